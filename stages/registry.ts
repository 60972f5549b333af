/**
 * The registry: the pipeline's stages, the compare and sweep stages, and what else the engine
 * needs of stages/ (the config schema, its checks, the BLAS library file, the metrics and
 * tables `deno task runs` and `compare --json` read), so pipeline/ imports nothing else from
 * stages/.
 */
import type { ResolvedConfig } from "./config_schema.ts";
import type { StageFn, StageSpec } from "../pipeline/stage.ts";
import { keyedDataPaths } from "./data/data_paths.ts";
import { sourceFiles } from "./data/source_files.ts";
import { computeOf } from "./model/compute.ts";
import { capabilitiesOf } from "./model/kinds.ts";
import { COMPARISON_BRIEF, SWEEP_BRIEF } from "./compare/comparison_brief.ts";

/**
 * The one table of stages, in dependency order. `params` picks the part of the config a
 * stage's results depend on: it is hashed into the key, so it must hold everything that
 * can change the outputs and nothing that cannot (no names, no paths of outputs).
 * Stages are imported only when they run, so a fully cached run never loads tfjs.
 */
export const STAGES: StageSpec<ResolvedConfig>[] = [
  {
    name: "prepare",
    module: new URL("./prepare.ts", import.meta.url),
    after: [],
    params: (c) => ({ seed: c.seed, data: keyedDataPaths(c.data) }),
    externalFiles: (c) => sourceFiles(c.data),
    load: () => import("./prepare.ts").then((m) => m.prepare as StageFn),
  },
  {
    name: "classify",
    module: new URL("./classify.ts", import.meta.url),
    after: ["prepare"],
    // The judge of class-conditional samples, and the feature space of the Fréchet distance.
    when: (c) => capabilitiesOf(c.model.kind).conditional || c.evaluate.frechetSamples > 0,
    whenSays: "it runs for conditional models and for the Fréchet distance " +
      "(evaluate.frechetSamples > 0)",
    params: (c) => ({ seed: c.seed, compute: computeOf(c), classifier: c.classifier }),
    load: () => import("./classify.ts").then((m) => m.classify as StageFn),
  },
  {
    name: "train",
    module: new URL("./train.ts", import.meta.url),
    after: ["prepare"],
    params: (c) => ({
      seed: c.seed,
      compute: computeOf(c),
      model: c.model,
      loss: c.loss,
      train: c.train,
    }),
    load: () => import("./train.ts").then((m) => m.train as StageFn),
    checkWork: (workDir) =>
      import("./training/checkpoint_manifest.ts").then((m) => m.checkpointProblems(workDir)),
  },
  {
    name: "evaluate",
    module: new URL("./evaluate.ts", import.meta.url),
    after: ["prepare", "train", "classify"],
    params: (c) => ({ seed: c.seed, compute: computeOf(c), evaluate: c.evaluate }),
    load: () => import("./evaluate.ts").then((m) => m.evaluate as StageFn),
  },
  {
    name: "report",
    module: new URL("./report.ts", import.meta.url),
    after: ["prepare", "classify", "train", "evaluate"],
    // The report prints the resolved config and names it in every caption, so all of it
    // (name included) shapes the report's bytes; no other stage is keyed on the name.
    params: (c) => ({ config: c }),
    publishes: true,
    load: () => import("./report.ts").then((m) => m.report as StageFn),
  },
];

/**
 * Not a stage of one config's plan: `deno task compare` runs it over several configs'
 * cached artifacts of the stages in `after` (train and evaluate), keyed on their keys
 * (`train:<name>`, `evaluate:<name>`) and the compared configs; its params are given by the
 * caller.
 */
export const COMPARE_STAGE: StageSpec<ResolvedConfig> = {
  name: "compare",
  module: new URL("./compare.ts", import.meta.url),
  after: ["train", "evaluate"],
  publishes: true,
  params: () => {
    throw new Error("compare's params come from the configs it compares");
  },
  terminalSummary: briefSummary(COMPARISON_BRIEF),
  load: () => import("./compare.ts").then((m) => m.compare as StageFn),
};

/**
 * Not a stage of one config's plan either: a sweep's report, run over every cell's cached
 * artifacts of the stages in `after` (`train:<cell>`, `evaluate:<cell>`, `report:<cell>`);
 * its params (stages/sweep.ts SweepParams) are given by the caller.
 */
export const SWEEP_STAGE: StageSpec<ResolvedConfig> = {
  name: "sweep",
  module: new URL("./sweep.ts", import.meta.url),
  after: ["train", "evaluate", "report"],
  publishes: true,
  params: () => {
    throw new Error("sweep's params come from the sweep's declaration and its cells");
  },
  terminalSummary: briefSummary(SWEEP_BRIEF),
  load: () => import("./sweep.ts").then((m) => m.sweep as StageFn),
};

/** An aggregate artifact's tables and notes (its brief, `file`) laid out for a terminal. */
function briefSummary(file: string): StageSpec["terminalSummary"] {
  return async (dir, columns) => {
    const [{ readComparisonBrief }, { renderPlainText }] = await Promise.all([
      import("./compare/comparison_brief.ts"),
      import("./render/plain_text.ts"),
    ]);
    const brief = await readComparisonBrief(dir, file);
    return brief && renderPlainText(brief, columns);
  };
}

/** The stages whose artifacts are reports (published under reports/, traced by `trace`). */
export const PUBLISHING_STAGES: string[] = [...STAGES, COMPARE_STAGE, SWEEP_STAGE]
  .filter((spec) => spec.publishes)
  .map((spec) => spec.name);

// What the engine needs of the stages besides the table, so that pipeline/ imports nothing
// else from stages/: the config's schema and the checks the loader runs on it, and the BLAS
// library file the launcher grants a run.
export { configSchema, knownLabels, type ResolvedConfig } from "./config_schema.ts";
export { type DataShape, memoryProblem } from "./limits.ts";
export { blasLibraryFile, withCoreShare } from "./model/compute.ts";
// What `deno task runs` shows of each evaluated run (the metrics its report's table has, laid
// out as the comparison's), and the comparison's table that `compare --json` prints.
export {
  formatMetric,
  metric,
  type MetricRow,
  metricRows,
  type Metrics,
  readMetrics,
} from "./evaluation/metrics.ts";
export { readComparisonCsv } from "./compare/comparison_csv.ts";
export { renderPlainText } from "./render/plain_text.ts";
export type { ReportDocument, Table } from "./render/document.ts";
