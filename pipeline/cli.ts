/**
 * The pipeline's commands, as launch.ts runs them with exactly the permissions each needs:
 * the one place that owns the terminal and the exit code.
 */
import { join } from "node:path";
import {
  COMPARE_STAGE,
  PUBLISHING_STAGES,
  readComparisonCsv,
  renderPlainText,
  STAGES,
  SWEEP_STAGE,
  withCoreShare,
} from "../stages/registry.ts";
import { auditStore } from "./audit.ts";
import { helpRequested } from "./command_help.ts";
import { showPath } from "./bounded_read.ts";
import { shellWord } from "./shell_word.ts";
import {
  type CommandLine,
  DEFAULT_ARTIFACTS,
  parseCommandLine,
  PROJECT_ROOT,
} from "./command_line.ts";
import { runComparison, runSweepReport } from "./comparison.ts";
import { checkDistinctNames, type ConfigRun } from "./seeds.ts";
import type { ResolvedConfig } from "./config.ts";
import { expandTargets, type Sweep } from "./sweep.ts";
import { claimRun, runWorkers, sharedStages, signalWorkers } from "./jobs.ts";
import { resolveExecutor, withCores } from "./executor.ts";
import { checkPlannedKeys, type SubmissionPlan } from "./submission.ts";
import { ClusterView } from "./submission_status.ts";
import { submitToSlurm } from "./slurm_submit.ts";
import { UserError } from "./errors.ts";
import { exitWith } from "./exit_with.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { interruptExitCode, interruptMessage } from "./interrupt.ts";
import { collectGarbage, reachable, reportRoots } from "./gc.ts";
import { lockHeld, releaseHeld } from "./lock.ts";
import { leasedEntries } from "./run_lease.ts";
import { lineProgress, terminalProgress } from "./progress_display.ts";
import { filterRuns, parseRunFilter, readRuns, runsDocument } from "./runs.ts";
import { checkPublishable, publishReport } from "./report_copy.ts";
import { type PlannedStage, planStages } from "./plan.ts";
import { type RunEnv, runPlan } from "./runner.ts";
import { stageState } from "./staleness.ts";
import { cellStatus, type CellVerdict, sweepCount } from "./sweep_status.ts";
import { ArtifactStore } from "./store.ts";
import { traceFigure } from "./trace.ts";
import type { StageSpec } from "./stage.ts";
import { formatBytes } from "./units.ts";
import { verifyPlan } from "./verify.ts";
import { statusLine } from "./stage_line.ts";

const STAGE_NAMES = STAGES.map((s) => s.name);

/** A config to run, as the registry's stages read it. */
type Run = ConfigRun<ResolvedConfig>;

const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
/** Where notes and progress go when stdout is kept for JSON (--json). */
const writeErr = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));

/** The only place that owns the terminal and the exit code. */
async function main(argv: string[]): Promise<number> {
  const help = helpRequested(argv);
  if (help !== undefined) {
    write(help + "\n");
    return 0;
  }
  const args = parseCommandLine(argv, STAGE_NAMES);
  const store = new ArtifactStore(args.artifacts);
  if (args.command === "trace") {
    const { lines, intact } = await traceFigure(args.target, store, STAGE_NAMES);
    for (const line of lines) write(line + "\n");
    return intact ? 0 : 1; // an edited figure, a missing or corrupt stage: not what it claims
  }
  if (args.command === "runs") return await listRuns(store, args);
  // `deno info` works out the module graph (~0.2 s) while the configs load.
  const graphRead = readModuleGraph(new URL("../stages/registry.ts", import.meta.url));
  graphRead.catch(() => {}); // a bad config is the error to report; the graph's, if any, later
  // Every config is loaded before anything runs, so a typo in the last one costs nothing.
  const expanded = await expandTargets(args.targets, args.overrides, args.seeds);
  // Under --jobs N each worker's BLAS gets its share of the cores, a Slurm task's BLAS its
  // --cpus (the thread count joins the keys).
  const executor = resolveExecutor(args.executor, expanded.runs);
  const share = (run: Run) => ({
    ...run,
    config: withCores(withCoreShare(run.config, args.jobs), executor.cpus),
  });
  const configs = expanded.runs.map(share);
  const sweeps = expanded.sweeps.map((sweep) => ({ ...sweep, cells: sweep.cells.map(share) }));
  // What would stop the run at its end is checked before its first stage.
  checkStagesApply(configs, args);
  await checkReportTargets(configs, sweeps, args);
  const graph = await graphRead;
  if (args.command === "compare") return await compare(configs, store, graph, args);
  if (args.command === "status" && args.json) return await statusJson(configs, store, graph);
  if (args.command === "gc") return await gc(configs, store, graph, args);
  if (args.command === "verify" && args.checkHashes) {
    return await checkHashes(configs, store, graph, args.reports);
  }
  if (args.command === "run" && args.task) {
    return await runTask(configs, sweeps, store, graph, args);
  }
  if (args.command === "run" && executor.kind === "slurm") {
    const granted = grantedFlags(args);
    const submitted = await submitToSlurm(configs, sweeps.length > 0, store, graph, args, {
      executor,
      granted,
      write,
    });
    if (submitted !== "nothing to compute") return submitted;
  }
  if (args.command === "run" && args.jobs > 1 && !args.worker && configs.length > 1) {
    const failed = await runInWorkers(configs, store, graph, args);
    return failed ? 1 : await publishSweeps(sweeps, store, graph, args);
  }
  let failed = 0;
  const tally = new Map<string, CellVerdict[]>(); // status: each sweep's cells
  // status: what became of stages submitted to a cluster (nothing to read when none was).
  const cluster = args.command === "status" ? await ClusterView.load(store.root) : undefined;
  for (const [i, run] of configs.entries()) {
    const { path, config } = run;
    if (args.worker && !(await claimRun(args.worker, i))) continue; // another worker's
    // Several runs: a header says which one the stage lines below it are about.
    const compact = args.command === "status" && run.cell !== undefined;
    const header = configs.length > 1 && !compact && !args.worker;
    if (header) write(`${i > 0 ? "\n" : ""}${runHeader(run)}\n`);
    // A worker's lines interleave with the others': each says which run it is about.
    const prefix = args.worker ? `${config.name}  ` : "";
    const env = runEnv(store, graph, path, runCommandFor(run, args), run.overrides, prefix);
    const plan = await planStages(config, STAGES, env);
    switch (args.command) {
      case "run":
      case "report": {
        // `report` renders from the store only: every stage before it must already be cached.
        const upstream = args.command === "report"
          ? STAGE_NAMES.filter((n) => !PUBLISHING_STAGES.includes(n))
          : [];
        const results = await runPlan(config, plan, env, {
          force: args.force,
          cachedOnly: new Set(upstream),
        });
        // A sweep's cells are published inside its report, not one folder each.
        const report = results.find((r) => PUBLISHING_STAGES.includes(r.stage));
        if (report && !run.cell) await publish(report.dir, args.reports, config.name, "report  ");
        break;
      }
      case "status":
        if (run.cell) {
          const cell = await cellStatus(plan, env, config.name, cluster);
          write(cell.line + "\n");
          tally.set(run.cell.sweep, [...tally.get(run.cell.sweep) ?? [], cell.verdict]);
          failed += cell.corrupt;
        } else failed += await printStatus(plan, env, config.name, cluster);
        break;
      case "verify": {
        const selected = args.only ? plan.filter((p) => p.spec.name === args.only) : plan;
        failed += await verifyPlan(config, plan, selected, env);
      }
    }
  }
  for (const [sweep, verdicts] of tally) write(sweepCount(sweep, verdicts) + "\n");
  const publishing = args.command === "run" || args.command === "report";
  if (publishing && !args.worker && failed === 0) {
    return await publishSweeps(sweeps, store, graph, args);
  }
  return failed === 0 ? 0 : 1;
}

/** Each sweep's report, from its cells in the store, published to <reports>/<sweep>/. */
async function publishSweeps(
  sweeps: Sweep[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const envFor = (path: string, run?: Run) =>
    runEnv(store, graph, path, run && runCommandFor(run, args), run?.overrides);
  const forced = args.force === "all" || args.force.has("report");
  for (const sweep of sweeps) {
    write(`\n── sweep ${sweep.name}: ${sweep.cells.length} cells ──\n`);
    const { dir } = await runSweepReport(sweep, STAGES, SWEEP_STAGE, envFor, forced);
    const summary = Deno.stdout.isTerminal()
      ? await SWEEP_STAGE.terminalSummary?.(dir, terminalColumns())
      : undefined;
    if (summary) write(summary + "\n");
    await publish(dir, args.reports, sweep.name, "sweep   ");
  }
  return 0;
}

/**
 * The names a command was given that it cannot act on are refused, not ignored: a stage
 * named to `verify` or `--force` must run for at least one of the configs.
 */
function checkStagesApply(configs: Run[], args: CommandLine): void {
  const named = args.command === "verify" && !args.checkHashes
    ? (args.only ? [args.only] : [])
    : args.command === "run" && args.force !== "all"
    ? [...args.force]
    : [];
  if (named.length === 0) return;
  const paths = [...new Set(configs.map((c) => c.path))];
  const runs = (spec: StageSpec<ResolvedConfig>, config: ResolvedConfig) =>
    !spec.when || spec.when(config);
  const here = STAGES.filter((spec) => configs.some(({ config }) => runs(spec, config)));
  for (const name of named) {
    if (here.some((spec) => spec.name === name)) continue;
    const spec = STAGES.find((s) => s.name === name)!;
    const shown = paths.map(showPath);
    const which = shown.length === 1 ? shown[0] : `any of ${shown.join(", ")}`;
    const why = spec.whenSays ? ` (${spec.whenSays})` : "";
    throw new UserError(
      `${name} does not run for ${which}${why}; stages here: ` +
        here.map((s) => s.name).join(", "),
    );
  }
}

/**
 * Every report folder the command will publish (each config's, or the comparison's) is
 * checked with publishReport's own rule before anything runs: a file or a foreign folder in
 * the way is found now, not after training. Two runs of one name are refused too.
 */
async function checkReportTargets(
  configs: Run[],
  sweeps: Sweep[],
  args: CommandLine,
): Promise<void> {
  if (args.command === "run" || args.command === "report") {
    checkDistinctNames(configs, "publish");
    for (const { config, cell } of configs) {
      if (!cell) await checkPublishable(args.reports, config.name);
    }
    for (const sweep of sweeps) await checkPublishable(args.reports, sweep.name);
  } else if (args.command === "compare") {
    checkDistinctNames(configs, "compare");
    await checkPublishable(args.reports, args.name ?? "comparison");
  }
}

/**
 * The command that makes a run: its config and overrides, its seed and store when they are
 * not the default. A sweep's cell is made by its sweep's command (which reuses every other
 * finished cell).
 */
function runCommandFor(run: Run, args: CommandLine): string {
  const overrides = run.cell ? args.overrides.map((o) => o.text) : run.overrides ?? [];
  const words = ["deno", "task", "run", shellWord(run.path), ...overrides.map(shellWord)];
  if (run.cell ? args.seeds : run.group !== undefined) {
    words.push("--seeds", run.cell ? args.seeds!.join(",") : String(run.config.seed));
  }
  if (args.artifacts !== DEFAULT_ARTIFACTS) words.push("--artifacts", shellWord(args.artifacts));
  return words.join(" ");
}

/**
 * `── configs/vae.yaml, seed 1 (vae-seed1) ──`, the seed under --seeds (a sweep's cell: its name). A header
 * rather than a prefix on every line: the stage lines keep their columns and their width.
 */
function runHeader({ path, config, group, cell }: Run): string {
  if (cell) return `── ${config.name} ──`;
  const seed = group === undefined ? "" : `, seed ${config.seed}`;
  return `── ${showPath(path)}${seed} (${config.name}) ──`;
}

/** The terminal's width now: asked at every draw, so a resized window is followed. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80; // stdout is a terminal but its size cannot be read: the classic width
  }
}

function runEnv(
  store: ArtifactStore,
  graph: RunEnv["graph"],
  configPath: string,
  runCommand?: string,
  overrides?: string[],
  prefix = "",
): RunEnv {
  // A worker shares the terminal with others: whole lines only, never a redraw.
  const isTerminal = Deno.stdout.isTerminal() && prefix === "";
  return {
    store,
    graph,
    projectRoot: PROJECT_ROOT,
    configPath,
    runCommand,
    overrides,
    status: (line) => write(prefix + line + "\n"),
    log: (line) => write((isTerminal ? "\r\x1b[2K" : "") + prefix + line + "\n"),
    // A pipe or a log file gets whole lines only: no carriage returns, no redraws.
    progress: isTerminal
      ? terminalProgress(write, terminalColumns)
      : lineProgress((text) => write(prefix + text)),
  };
}

/**
 * `run --jobs N` over several runs: the stages they share first, here, each once; then N
 * worker processes take the runs one at a time (see jobs.ts).
 */
async function runInWorkers(
  configs: Run[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const plans = [];
  for (const run of configs) {
    plans.push(await planStages(run.config, STAGES, runEnv(store, graph, run.path)));
  }
  const shared = sharedStages(plans);
  if (shared.length) write(`shared stages first (${shared.flat().length}), then the runs:\n`);
  for (const plan of shared) {
    const run = configs[plans.findIndex((p) => p.includes(plan[0]))];
    const env = runEnv(store, graph, run.path, runCommandFor(run, args), run.overrides);
    await runPlan(run.config, plan, env, { force: args.force, cachedOnly: new Set() });
  }
  const jobs = Math.min(args.jobs, configs.length);
  write(`${configs.length} runs in ${jobs} worker processes\n`);
  const claims = await store.makeTempDir("jobs", "claims");
  try {
    const failed = await runWorkers(jobs, Deno.args, grantedFlags(args), claims);
    if (failed) write(`${failed} of ${jobs} workers failed (see above); run again to resume\n`);
    return failed ? 1 : 0;
  } finally {
    await Deno.remove(claims, { recursive: true }).catch(() => {});
  }
}

/**
 * The permissions the launcher granted this process, for its workers; a process started with
 * every permission (the tests) gives its workers every permission.
 */
function grantedFlags(args: CommandLine): string[] {
  if (args.granted) return JSON.parse(args.granted);
  if (Deno.permissions.querySync({ name: "write" }).state === "granted") return ["-A"];
  throw new Error("internal: run --jobs needs the permissions the launcher grants (--granted)");
}

/**
 * One Slurm task of a submission (`--task=<dir>:<phase>:<index>`): plan its run as at
 * submission, check each key it makes is the one planned, and make them. A shared task
 * makes only its stages; a cell task finds the shared ones in the store; the sweeps task
 * renders the sweeps' reports.
 */
async function runTask(
  configs: Run[],
  sweeps: Sweep[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const { dir, phase, index } = args.task!;
  const plan: SubmissionPlan = JSON.parse(await Deno.readTextFile(join(dir, "plan.json")));
  if (phase === "sweeps") return await publishSweeps(sweeps, store, graph, args);
  const task = plan.phases[phase][index];
  const run = configs[task.run];
  const resubmit = ["deno", "task", ...plan.argv].map(shellWord).join(" ");
  if (run?.config.name !== task.name) {
    throw new UserError(
      `${task.name}: the command's runs are no longer those submitted (configs edited since); ` +
        `nothing was computed: submit again with \`${resubmit}\``,
    );
  }
  const env = runEnv(store, graph, run.path, runCommandFor(run, args), run.overrides);
  const stages = await planStages(run.config, STAGES, env);
  checkPlannedKeys(task, stages, plan.code, resubmit);
  // The plan up to this task's last stage; what comes before its stages must be in the store.
  const mine = new Set(task.stages.map((s) => s.stage));
  const upTo = stages.slice(0, stages.findLastIndex((s) => mine.has(s.spec.name)) + 1);
  const others = upTo.map((s) => s.spec.name).filter((name) => !mine.has(name));
  const force = args.force === "all" ? mine : new Set([...args.force].filter((n) => mine.has(n)));
  const results = await runPlan(run.config, upTo, env, { force, cachedOnly: new Set(others) });
  const report = results.find((r) => PUBLISHING_STAGES.includes(r.stage));
  if (report && !run.cell) await publish(report.dir, args.reports, run.config.name, "report  ");
  return 0;
}

/** The same env with every line it says on stderr: stdout holds only the JSON (--json). */
function onStderr(env: RunEnv): RunEnv {
  const line = (text: string) => writeErr(text + "\n");
  return { ...env, status: line, log: line, progress: lineProgress(writeErr) };
}

/**
 * Render the comparison of cached runs, print its table (or, with --json, its every column
 * as comparison.csv has them) and publish it to reports/.
 */
async function compare(
  configs: Run[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const envFor = (path: string, run?: Run) => {
    const env = runEnv(store, graph, path, run && runCommandFor(run, args), run?.overrides);
    return args.json ? onStderr(env) : env;
  };
  // `--force` re-renders the comparison itself; the runs it reads are never re-run here.
  const forced = args.force === "all";
  const { key, dir } = await runComparison(configs, STAGES, COMPARE_STAGE, envFor, forced);
  if (!args.json) write("\n" + await comparisonText(dir) + "\n");
  const name = args.name ?? "comparison";
  const report = await publish(dir, args.reports, name, "compare ", args.json ? writeErr : write);
  if (args.json) {
    write(JSON.stringify({ key, report, ...await readComparisonCsv(dir) }, null, 2) + "\n");
  }
  return 0;
}

/**
 * The comparison's table and notes as the output can show them: aligned plain text fitted
 * to a terminal, the Markdown (parseable, pasteable) anywhere else.
 */
async function comparisonText(dir: string): Promise<string> {
  const summary = Deno.stdout.isTerminal()
    ? await COMPARE_STAGE.terminalSummary?.(dir, terminalColumns())
    : undefined;
  return summary ?? await Deno.readTextFile(join(dir, "comparison.md"));
}

/**
 * Copy a report artifact to reports/<name>/ and say where it is (and what was kept aside);
 * returns its index.html.
 */
async function publish(
  dir: string,
  reportsRoot: string,
  name: string,
  label: string,
  out: (text: string) => void = write,
): Promise<string> {
  const say = (line: string) => out(`${label} ${line}\n`);
  const published = await publishReport(dir, reportsRoot, name, { onWait: say, onTakeOver: say });
  if (published.movedAside) {
    const { to, why } = published.movedAside;
    out(`${label} ${published.path} had been edited (${why}); kept it as ${to}\n`);
  }
  const index = join(published.path, "index.html");
  out(`${label} ${index}\n`);
  return index;
}

/**
 * One line per stage, and for a stage a cluster task is to make, what that task is doing;
 * the number of corrupt entries (a non-zero exit).
 */
async function printStatus(
  plan: PlannedStage[],
  env: RunEnv,
  configName: string,
  cluster?: ClusterView,
) {
  let corrupt = 0;
  for (const stage of plan) {
    const { state, why } = await stageState(stage, env.store, configName);
    if (state === "corrupt") corrupt++;
    const head = statusLine(stage.spec.name, stage.key, state);
    const task = state === "cached" ? undefined : await cluster?.doing(stage.key);
    const doing = task && task.state !== "ended" ? `; ${task.state} (${task.detail})` : "";
    env.status((why ? `${head}: ${why}` : head) + doing);
  }
  return corrupt;
}

/**
 * `status --json`: one object per run, `{name, config, seed, stages: [{stage, key, state,
 * why}]}`, as one JSON array on stdout; exit 1 when an entry is corrupt, as `status`.
 */
async function statusJson(configs: Run[], store: ArtifactStore, graph: RunEnv["graph"]) {
  const runs = [];
  const cluster = await ClusterView.load(store.root);
  for (const { path, config } of configs) {
    const plan = await planStages(config, STAGES, onStderr(runEnv(store, graph, path)));
    const stages = [];
    for (const stage of plan) {
      const { state, why } = await stageState(stage, store, config.name);
      const task = state === "cached" ? undefined : await cluster.doing(stage.key);
      const slurm = task && { job: task.ref.job, state: task.state, detail: task.detail };
      stages.push({ stage: stage.spec.name, key: stage.key, state, why, ...slurm && { slurm } });
    }
    runs.push({ name: config.name, config: path, seed: config.seed, stages });
  }
  write(JSON.stringify(runs, null, 2) + "\n");
  return runs.some((run) => run.stages.some((s) => s.state === "corrupt")) ? 1 : 0;
}

/**
 * `runs`: the experiments table of every evaluated run in the store that the filters keep,
 * or (--json) its rows as a JSON array. Skipped entries are noted on stderr.
 */
async function listRuns(store: ArtifactStore, args: CommandLine): Promise<number> {
  const filters = args.targets.map(parseRunFilter);
  const { runs, skipped } = await readRuns(store);
  for (const note of skipped) {
    writeErr(`runs: skipped ${note} (deno task verify --check-hashes lists every bad file)\n`);
  }
  const shown = filterRuns(runs, filters);
  if (args.json) {
    write(JSON.stringify(shown.map((run) => run.row), null, 2) + "\n");
  } else {
    // A terminal gets the table fitted to its width; a pipe gets one line per run, for grep.
    const columns = Deno.stdout.isTerminal() ? terminalColumns() : Infinity;
    const doc = runsDocument(shown, runs.length, store.root, args.targets);
    write(renderPlainText(doc, columns));
  }
  return 0;
}

/** `stage/key` of every stage the configs' plans reach. */
async function plannedEntries(
  configs: Run[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const { path, config } of configs) {
    for (const stage of await planStages(config, STAGES, runEnv(store, graph, path))) {
      ids.add(`${stage.spec.name}/${stage.key}`);
    }
  }
  return ids;
}

/** `verify --check-hashes`: rehash without running; every bad file named; exit 1 if any. */
async function checkHashes(
  configs: Run[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  reportsRoot: string,
): Promise<number> {
  const only = configs.length ? await plannedEntries(configs, store, graph) : undefined;
  const { counts, findings } = await auditStore(store, {
    only,
    reportsRoot: only ? undefined : reportsRoot,
    checkWork: Object.fromEntries(
      STAGES.flatMap((s) => s.checkWork ? [[s.name, s.checkWork]] : []),
    ),
  });
  for (const { place, problem } of findings) write(`BAD      ${place}: ${problem}\n`);
  const checked = `${counts.entries} store entries, ${counts.reports} report folders and ` +
    `${counts.checkpoints} checkpoints`;
  write(
    findings.length
      ? `checked ${checked}: ${findings.length} bad files (see above)\n`
      : `checked ${checked}: every file matches its recorded sha256\n`,
  );
  return findings.length ? 1 : 0;
}

/** `gc`: remove what no given config nor published report reaches. */
async function gc(
  configs: Run[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const roots = [
    ...await plannedEntries(configs, store, graph),
    ...await reportRoots(args.reports),
    ...await leasedEntries(store), // what live runs will read
    ...await (await ClusterView.load(store.root)).entriesAtWork(), // and queued Slurm tasks
  ];
  const keep = await reachable(store, roots);
  const isLocked = (stage: string, key: string) => lockHeld(store.lockPath(stage, key));
  const result = await collectGarbage(store, keep, isLocked, args.dryRun);
  const verb = args.dryRun ? "would remove" : "removed";
  for (const item of result.removed) {
    write(`${verb.padEnd(12)} ${item.what}  ${formatBytes(item.bytes)}\n`);
  }
  for (const item of result.locked) write(`kept (locked) ${item.what}: a run holds its lock\n`);
  for (const item of result.left) write(`left alone   ${item.what}\n`);
  const bytes = result.removed.reduce((n, item) => n + item.bytes, 0);
  write(
    `gc: ${verb} ${result.removed.length} entries, ${formatBytes(bytes)}; kept ${result.kept} ` +
      `reached by ${configs.length} configs and the reports in ${args.reports}\n`,
  );
  return 0;
}

if (import.meta.main) {
  // Temp dirs carry our identity, so the next run sweeps them; a training run's last whole
  // epoch is checkpointed, and the message says from where it resumes.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      signalWorkers(signal);
      releaseHeld(); // no `finally` runs after Deno.exit: free our locks and leases here
      console.error(`\n${interruptMessage(signal)}`);
      Deno.exit(interruptExitCode(signal));
    });
  }
  await exitWith(() => main(Deno.args));
}
