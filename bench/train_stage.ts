/**
 * Our side of the whole-training benchmark, run as a child process (a fresh process per
 * backend, as `deno task run` is): a config's prepare and train stages, through the
 * pipeline's own runner, into the store given, and by default nothing after: `deno task run`
 * would go on to evaluate and report, which the training benchmark must neither time nor
 * wait for.
 *
 * With --evaluate the same child goes on to the evaluate stage, on the model it has just
 * trained, in the same process (as `deno task run` does it): the evaluate benchmark times it
 * from its own manifest, and nothing is trained twice. The report stage never runs.
 *
 *   deno run -A bench/train_stage.ts <config.yaml> <store folder> [--evaluate]
 *
 * Prints one JSON line: the train stage's manifest (its runInfo holds epochSeconds, the
 * time of each epoch of the loop), the prepare folder (PyTorch trains on the same split),
 * the final epoch's training loss (history.csv), and the examples fitted per epoch and the
 * input size (training.json); with --evaluate, also `evaluate`: that stage's manifest (its
 * start and end, and runInfo.seconds by phase) and its metrics.json. Log lines go to stderr.
 */
import { join } from "node:path";
import { loadConfig } from "../pipeline/config.ts";
import { PROJECT_ROOT } from "../pipeline/command_line.ts";
import { readModuleGraph } from "../pipeline/fingerprint.ts";
import { silentProgress } from "../pipeline/progress.ts";
import { planStages } from "../pipeline/plan.ts";
import { type RunEnv, runPlan } from "../pipeline/runner.ts";
import { ArtifactStore, readManifest } from "../pipeline/store.ts";
import { readCsv } from "../lib/table.ts";
import { readMetrics } from "../stages/evaluation/metrics.ts";
import { STAGES } from "../stages/registry.ts";
import type { TrainingSummary } from "../stages/training/trained_model.ts";

/** The stages run: the data, then the training that is timed. */
const UP_TO_TRAIN = STAGES.filter((s) => s.name === "prepare" || s.name === "train");
/**
 * With --evaluate, every stage but the report. Classify stays in: evaluate reads it for a
 * conditional model, and the planner skips it (untimed, unrun) for any other.
 */
const UP_TO_EVALUATE = STAGES.filter((s) => s.name !== "report");

if (import.meta.main) {
  const evaluate = Deno.args.includes("--evaluate");
  const [configPath, storeRoot] = Deno.args.filter((a) => a !== "--evaluate");
  const config = await loadConfig(configPath);
  const say = (line: string) => console.error(line);
  const env: RunEnv = {
    store: new ArtifactStore(storeRoot),
    graph: await readModuleGraph(new URL("../stages/registry.ts", import.meta.url)),
    projectRoot: PROJECT_ROOT,
    configPath,
    status: say,
    log: say,
    progress: silentProgress,
  };
  const stages = evaluate ? UP_TO_EVALUATE : UP_TO_TRAIN;
  const results = await runPlan(config, await planStages(config, stages, env), env);
  const dirOf = (stage: string) => results.find((r) => r.stage === stage)!.dir;
  const manifestOf = async (stage: string) => {
    const read = await readManifest(dirOf(stage));
    if (read.problem !== undefined) throw new Error(`${stage} manifest: ${read.problem}`);
    return read.manifest;
  };
  const history = await readCsv(join(dirOf("train"), "history.csv"));
  const summary: TrainingSummary = JSON.parse(
    await Deno.readTextFile(join(dirOf("train"), "training.json")),
  );
  console.log(JSON.stringify({
    manifest: await manifestOf("train"),
    prepareDir: dirOf("prepare"),
    finalLoss: Number(history.at(-1)!.loss),
    examples: summary.trainExamples,
    inputDim: summary.inputDim,
    ...(evaluate
      ? {
        evaluate: {
          manifest: await manifestOf("evaluate"),
          metrics: await readMetrics(dirOf("evaluate")),
        },
      }
      : {}),
  }));
}
