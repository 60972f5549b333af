import { join } from "node:path";
import { COMPARE_STAGE, STAGES } from "../stages/registry.ts";
import { auditStore } from "./audit.ts";
import { type CommandLine, parseCommandLine, PROJECT_ROOT } from "./command_line.ts";
import { runComparison } from "./comparison.ts";
import { type ConfigRun, withSeeds } from "./seeds.ts";
import { loadConfig } from "./config.ts";
import { exitWith } from "./exit_with.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { interruptExitCode, interruptMessage } from "./interrupt.ts";
import { collectGarbage, reachable, reportRoots } from "./gc.ts";
import { lockHeld } from "./lock.ts";
import { silentProgress, terminalProgress } from "./progress.ts";
import { publishReport } from "./report_copy.ts";
import { type PlannedStage, planStages, type RunEnv, runPlan } from "./runner.ts";
import { stageState } from "./staleness.ts";
import { ArtifactStore } from "./store.ts";
import { traceFigure } from "./trace.ts";
import { formatBytes } from "./units.ts";
import { verifyPlan } from "./verify.ts";

const STAGE_NAMES = STAGES.map((s) => s.name);

const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));

/** The only place that owns the terminal and the exit code. */
async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, STAGE_NAMES);
  const store = new ArtifactStore(args.artifacts);
  if (args.command === "trace") {
    for (const line of await traceFigure(args.target, store, STAGE_NAMES)) write(line + "\n");
    return 0;
  }
  // Every config is loaded before anything runs, so a typo in the last one costs nothing.
  const loaded: ConfigRun[] = [];
  for (const path of args.targets) loaded.push({ path, config: await loadConfig(path) });
  const configs = withSeeds(loaded, args.seeds);
  const graph = await readModuleGraph(new URL("../stages/registry.ts", import.meta.url));
  if (args.command === "compare") return await compare(configs, store, graph, args);
  if (args.command === "gc") return await gc(configs, store, graph, args);
  if (args.command === "verify" && args.checkHashes) {
    return await checkHashes(configs, store, graph, args.reports);
  }
  let failed = 0;
  for (const { path, config } of configs) {
    const env = runEnv(store, graph, path);
    const plan = await planStages(config, STAGES, env);
    switch (args.command) {
      case "run":
      case "report": {
        // `report` renders from the store only: every stage before it must already be cached.
        const upstream = args.command === "report" ? STAGE_NAMES.filter((n) => n !== "report") : [];
        const results = await runPlan(config, plan, env, {
          force: args.force,
          cachedOnly: new Set(upstream),
        });
        const report = results.find((r) => r.stage === "report");
        if (report) await publish(report.dir, args.reports, config.name, "report  ");
        break;
      }
      case "status":
        failed += await printStatus(plan, env, config.name);
        break;
      case "verify": {
        const selected = args.only ? plan.filter((p) => p.spec.name === args.only) : plan;
        failed += await verifyPlan(config, plan, selected, env);
      }
    }
  }
  return failed === 0 ? 0 : 1;
}

function runEnv(store: ArtifactStore, graph: RunEnv["graph"], configPath: string): RunEnv {
  const isTerminal = Deno.stdout.isTerminal();
  return {
    store,
    graph,
    projectRoot: PROJECT_ROOT,
    configPath,
    status: (line) => write(line + "\n"),
    log: (line) => write((isTerminal ? "\r\x1b[2K" : "") + line + "\n"),
    progress: isTerminal ? terminalProgress(write, Deno.consoleSize().columns) : silentProgress,
  };
}

/** Render the comparison of cached runs, print its table and publish it to reports/. */
async function compare(
  configs: ConfigRun[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const envFor = (path: string) => runEnv(store, graph, path);
  // `--force` re-renders the comparison itself; the runs it reads are never re-run here.
  const forced = args.force === "all";
  const { dir } = await runComparison(configs, STAGES, COMPARE_STAGE, envFor, forced);
  write("\n" + await Deno.readTextFile(join(dir, "comparison.md")) + "\n");
  await publish(dir, args.reports, args.name ?? "comparison", "compare ");
  return 0;
}

/** Copy a report artifact to reports/<name>/ and say where it is (and what was kept aside). */
async function publish(dir: string, reportsRoot: string, name: string, label: string) {
  const published = await publishReport(dir, reportsRoot, name);
  if (published.movedAside) {
    const { to, why } = published.movedAside;
    write(`${label} ${published.path} had been edited (${why}); kept it as ${to}\n`);
  }
  write(`${label} ${join(published.path, "index.html")}\n`);
}

/** One line per stage; the number of corrupt entries (a non-zero exit). */
async function printStatus(plan: PlannedStage[], env: RunEnv, configName: string) {
  let corrupt = 0;
  for (const stage of plan) {
    const { state, why } = await stageState(stage, env.store, configName);
    if (state === "corrupt") corrupt++;
    const head = `${stage.spec.name.padEnd(8)} ${stage.key.slice(0, 8)}  ${state}`;
    env.status(why ? `${head}: ${why}` : head);
  }
  return corrupt;
}

/** `stage/key` of every stage the configs' plans reach. */
async function plannedEntries(
  configs: ConfigRun[],
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
  configs: ConfigRun[],
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
  configs: ConfigRun[],
  store: ArtifactStore,
  graph: RunEnv["graph"],
  args: CommandLine,
): Promise<number> {
  const roots = [
    ...await plannedEntries(configs, store, graph),
    ...await reportRoots(args.reports),
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
      console.error(`\n${interruptMessage(signal)}`);
      Deno.exit(interruptExitCode(signal));
    });
  }
  await exitWith(() => main(Deno.args));
}
