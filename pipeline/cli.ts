import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { COMPARE_STAGE, STAGES } from "../stages/registry.ts";
import { runComparison } from "./comparison.ts";
import { type ConfigRun, parseSeeds, withSeeds } from "./seeds.ts";
import { loadConfig } from "./config.ts";
import { UserError } from "./errors.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { silentProgress, terminalProgress } from "./progress.ts";
import { publishReport } from "./report_copy.ts";
import { type PlannedStage, planStages, type RunEnv, runPlan } from "./runner.ts";
import { stageState } from "./staleness.ts";
import { ArtifactStore } from "./store.ts";
import { traceFigure } from "./trace.ts";
import { verifyPlan } from "./verify.ts";

const PROJECT_ROOT = resolve(new URL("..", import.meta.url).pathname);
const STAGE_NAMES = STAGES.map((s) => s.name);
const USAGE = `usage:
  deno task run <config.yaml>... [--force [stage]]  run every stage, reusing cached ones
  deno task report <config.yaml>...                 render reports from cached artifacts only
  deno task compare <config.yaml>... [--name n]     cached runs side by side: table and figures
  deno task status <config.yaml>...                 each stage: cached, or stale and why
  deno task verify <config.yaml>... [stage]         re-run stages and compare with the cache
  deno task trace <figure file>                     print a figure's lineage
options:
  --artifacts <dir>   artifact store (default: artifacts/ in the project)
  --reports <dir>     where reports are copied (default: reports/ in the project)
  --name <name>       compare: the report folder's name (default: comparison)
  --seeds 0,1,2       every config once per seed (runs named <config>-seed<N>); compare
                      then adds each config's mean ± sd over its seeds`;

const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));

/** The only place that owns the terminal and the exit code. */
async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv);
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
        if (report) {
          const dir = await publishReport(report.dir, args.reports, config.name);
          env.status(`report   ${join(dir, "index.html")}`);
        }
        break;
      }
      case "status":
        await printStatus(plan, env, config.name);
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
  args: ReturnType<typeof parseCommandLine>,
): Promise<number> {
  const envFor = (path: string) => runEnv(store, graph, path);
  // `--force` re-renders the comparison itself; the runs it reads are never re-run here.
  const forced = args.force === "all";
  const { dir } = await runComparison(configs, STAGES, COMPARE_STAGE, envFor, forced);
  write("\n" + await Deno.readTextFile(join(dir, "comparison.md")) + "\n");
  const published = await publishReport(dir, args.reports, args.name ?? "comparison");
  write(`compare  ${join(published, "index.html")}\n`);
  return 0;
}

async function printStatus(plan: PlannedStage[], env: RunEnv, configName: string) {
  for (const stage of plan) {
    const { state, why } = await stageState(stage, env.store, configName);
    const head = `${stage.spec.name.padEnd(8)} ${stage.key.slice(0, 8)}  ${state}`;
    env.status(why ? `${head}: ${why}` : head);
  }
}

function parseCommandLine(argv: string[]) {
  const [command, ...rest] = argv;
  if (!["run", "report", "status", "verify", "trace", "compare"].includes(command)) {
    throw new UserError(USAGE);
  }
  // `--force` alone means every stage; `--force train` means that stage.
  const forceAt = rest.indexOf("--force");
  let force: "all" | Set<string> = new Set();
  if (forceAt >= 0) {
    const next = rest[forceAt + 1];
    const named = next !== undefined && STAGE_NAMES.includes(next);
    force = named ? new Set([next]) : "all";
    rest.splice(forceAt, named ? 2 : 1);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      artifacts: { type: "string" },
      reports: { type: "string" },
      name: { type: "string" },
      seeds: { type: "string" },
    },
  });
  if (positionals.length === 0) {
    throw new UserError(`missing ${command === "trace" ? "figure" : "config"} file\n${USAGE}`);
  }
  // `verify <config>... [stage]`: a last positional that is not a YAML file names a stage.
  const last = positionals.at(-1)!;
  const namesStage = command === "verify" && positionals.length > 1 && !/\.ya?ml$/.test(last);
  const only = namesStage ? positionals.pop() : undefined;
  if (only !== undefined && !STAGE_NAMES.includes(only)) {
    throw new UserError(`unknown stage "${only}": stages are ${STAGE_NAMES.join(", ")}`);
  }
  return {
    command: command as "run" | "report" | "status" | "verify" | "trace" | "compare",
    targets: positionals,
    target: positionals[0],
    force,
    only,
    name: values.name,
    seeds: values.seeds === undefined ? undefined : parseSeeds(values.seeds),
    artifacts: resolve(values.artifacts ?? join(PROJECT_ROOT, "artifacts")),
    reports: resolve(values.reports ?? join(PROJECT_ROOT, "reports")),
  };
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    // Temp dirs carry our pid, so the next run sweeps them; nothing half-written is published.
    console.error("\ninterrupted: nothing from the unfinished stage was published");
    Deno.exit(130);
  });
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(1);
  }
}
