import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { STAGES } from "../stages/registry.ts";
import { loadConfig } from "./config.ts";
import { UserError } from "./errors.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { silentProgress, terminalProgress } from "./progress.ts";
import { planStages, type RunEnv, runPlan } from "./runner.ts";
import { explainChange, previousRun } from "./staleness.ts";
import { ArtifactStore } from "./store.ts";
import { verifyPlan } from "./verify.ts";

const PROJECT_ROOT = resolve(new URL("..", import.meta.url).pathname);
const USAGE = `usage:
  deno task run <config.yaml> [--force [stage]]   run every stage, reusing cached ones
  deno task status <config.yaml>                  show each stage: cached, or stale and why
  deno task verify <config.yaml> [stage]          re-run stages and compare with the cache
options:
  --artifacts <dir>   artifact store (default: artifacts/ in the project)`;

/** The only place that owns the terminal and the exit code. */
async function main(argv: string[]): Promise<number> {
  const { command, configPath, force, only, artifacts } = parseCommandLine(argv);
  const config = await loadConfig(configPath);
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const isTerminal = Deno.stdout.isTerminal();
  const env: RunEnv = {
    store: new ArtifactStore(artifacts),
    graph: await readModuleGraph(new URL("../stages/registry.ts", import.meta.url)),
    projectRoot: PROJECT_ROOT,
    configPath,
    status: (line) => write(line + "\n"),
    log: (line) => write((isTerminal ? "\r\x1b[2K" : "") + line + "\n"),
    progress: isTerminal ? terminalProgress(write, Deno.consoleSize().columns) : silentProgress,
  };
  const plan = await planStages(config, STAGES, env);
  if (command === "run") {
    await runPlan(config, plan, env, force);
  } else if (command === "status") {
    await printStatus(plan, env, config.name);
  } else {
    const selected = only ? plan.filter((p) => p.spec.name === only) : plan;
    const mismatches = await verifyPlan(config, plan, selected, env);
    return mismatches === 0 ? 0 : 1;
  }
  return 0;
}

async function printStatus(
  plan: Awaited<ReturnType<typeof planStages>>,
  env: RunEnv,
  name: string,
) {
  for (const stage of plan) {
    const head = `${stage.spec.name.padEnd(8)} ${stage.key.slice(0, 8)}`;
    const found = await env.store.lookup(stage.spec.name, stage.key);
    if (found.state === "hit") {
      env.status(`${head}  cached`);
      continue;
    }
    if (found.state === "corrupt") {
      env.status(`${head}  corrupt: ${found.reason} (the next run redoes it)`);
      continue;
    }
    const previous = previousRun(await env.store.manifests(stage.spec.name), name);
    const why = previous ? explainChange(stage, previous).join("; ") : "never run";
    env.status(`${head}  stale: ${why}`);
  }
}

function parseCommandLine(argv: string[]) {
  const [command, ...rest] = argv;
  if (!["run", "status", "verify"].includes(command)) throw new UserError(USAGE);
  // `--force` alone means every stage; `--force train` means that stage.
  const stageNames = STAGES.map((s) => s.name);
  const forceAt = rest.indexOf("--force");
  let force: "all" | Set<string> = new Set();
  if (forceAt >= 0) {
    const next = rest[forceAt + 1];
    const named = next !== undefined && stageNames.includes(next);
    force = named ? new Set([next]) : "all";
    rest.splice(forceAt, named ? 2 : 1);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { artifacts: { type: "string" } },
  });
  const [configPath, only] = positionals;
  if (!configPath) throw new UserError(`missing config file\n${USAGE}`);
  if (only !== undefined && !stageNames.includes(only)) {
    throw new UserError(`unknown stage "${only}": stages are ${stageNames.join(", ")}`);
  }
  const artifacts = resolve(values.artifacts ?? `${PROJECT_ROOT}/artifacts`);
  return { command, configPath, force, only, artifacts };
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
