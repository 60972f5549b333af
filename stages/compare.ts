/**
 * The compare stage: several runs side by side, as an ablation is read. Its inputs are
 * each run's train and evaluate artifacts, named `train:<config>` and `evaluate:<config>`;
 * it writes one table (test metrics on one scale, the true ELBO with β = 1), figures on
 * shared axes, and the runs' prior samples one row per config, each with the keys of every
 * artifact its data came from.
 *
 * outDir/
 *   index.html, README.md     the comparison (same content)
 *   comparison.md             the tables and their notes alone
 *   comparison.csv            every column of those tables, one row per run
 *   comparison.json           the tables and their notes as document blocks (for the terminal)
 *   figures/<id>.{vl.json,svg,png,csv}, images/prior_samples.{png,csv,provenance.json}
 */
import { join } from "node:path";
import type { ResolvedConfig } from "./config_schema.ts";
import type { StageContext, StageFn } from "../pipeline/stage.ts";
import { readMetrics } from "./evaluation/metrics.ts";
import {
  comparisonNotes,
  comparisonTable,
  comparisonTables,
  seedSummaryTable,
} from "./compare/comparison.ts";
import { writeComparisonBrief } from "./compare/comparison_brief.ts";
import { writeComparisonCsv } from "./compare/comparison_csv.ts";
import { type ComparedRunData, comparisonCharts } from "./compare/comparison_charts.ts";
import { priorSamplesGrid } from "./compare/prior_samples.ts";
import { renderCharts, type Skipped } from "./render/chart.ts";
import { type Block, type FigureEntry, heading, table, text } from "./render/document.ts";
import type { Provenance } from "./render/figure.ts";
import { renderHtml } from "./render/html.ts";
import { renderMarkdown } from "./render/markdown.ts";
import { readRows, readUpstream } from "./render/upstream.ts";

export interface CompareParams {
  /**
   * The compared runs, in the order given: each run's name, the config it came from (runs
   * of one config under several seeds share it) and its resolved config.
   */
  runs: { name: string; group: string; config: ResolvedConfig }[];
}

export const compare: StageFn<CompareParams> = async (ctx) => {
  const runs = await Promise.all(ctx.params.runs.map((run) => readRun(run, ctx)));
  const { figures, skipped } = await renderCharts(
    comparisonCharts(runs),
    (chart) => provenance(ctx, chart.stages),
    ctx.outDir,
  );
  const samples = await priorSamples(runs, ctx);
  if ("skipped" in samples) skipped.push(samples);
  else figures.push(samples);

  // Two tables that each fit a page; the CSV keeps every column in one.
  const summary = comparisonTable(runs);
  const overSeeds = seedSummaryTable(runs);
  const tables = [...comparisonTables(runs), ...(overSeeds ? [overSeeds] : [])].map(table);
  const notes = comparisonNotes(runs).map(text);
  const blocks: Block[] = [
    ...tables,
    ...notes,
    heading("Figures"),
    ...figures.map((figure, i): Block => ({ kind: "figure", figure, number: i + 1 })),
    ...skipped.map((s) => text(`Not shown: ${s.title}, because ${s.skipped}.`)),
    heading("Runs"),
    table(runsTable(ctx)),
  ];
  const doc = { title: `Comparison: ${configNames(ctx).join(", ")}`, blocks };
  await Deno.writeTextFile(join(ctx.outDir, "index.html"), renderHtml(doc));
  await Deno.writeTextFile(join(ctx.outDir, "README.md"), renderMarkdown(doc));
  // The tables and their notes alone, for the terminal and for pasting into a paper or README.
  const brief = { title: doc.title, blocks: [...tables, ...notes] };
  await Deno.writeTextFile(join(ctx.outDir, "comparison.md"), renderMarkdown(brief));
  await writeComparisonBrief(ctx.outDir, brief);
  await writeComparisonCsv(ctx.outDir, summary);
  ctx.log(`compare: ${runs.length} runs, ${figures.length} figures`);
};

async function readRun(
  { name, group, config }: CompareParams["runs"][number],
  ctx: StageContext<CompareParams>,
): Promise<ComparedRunData> {
  const [train, evaluate] = [`train:${name}`, `evaluate:${name}`];
  if (!ctx.inputs[train] || !ctx.inputs[evaluate]) {
    throw new Error(`compare: no ${train} or ${evaluate} input; the caller must pass both`);
  }
  const from = (stage: string, file: string) => join(ctx.inputs[stage], file);
  return {
    config: { ...config, name },
    group,
    evaluateKey: ctx.inputKeys[evaluate],
    metrics: await readUpstream(ctx.inputs[evaluate], "metrics.json", "evaluate", readMetrics),
    history: await readRows(from(train, "history.csv"), "train"),
    klPerDim: await readRows(from(evaluate, "kl_per_dim.csv"), "evaluate"),
  };
}

/** The keys of every run's artifact of the given stages: `evaluate:vae`, `evaluate:cvae`, … */
function provenance(ctx: StageContext<CompareParams>, stages: string[]): Provenance {
  const keys = ctx.params.runs.flatMap(({ name }) =>
    stages.map((stage) => [`${stage}:${name}`, ctx.inputKeys[`${stage}:${name}`]])
  );
  return {
    config: `comparison of ${configNames(ctx).join(", ")}`,
    stages: Object.fromEntries(keys),
  };
}

/** The compared configs, each once however many seeds it ran under. */
function configNames(ctx: StageContext<CompareParams>): string[] {
  return [...new Set(ctx.params.runs.map((r) => r.group))];
}

/** The first prior samples of every run, one row per config (same image size needed). */
function priorSamples(
  runs: ComparedRunData[],
  ctx: StageContext<CompareParams>,
): Promise<FigureEntry | Skipped> {
  const names = runs.map((r) => r.config.name);
  return priorSamplesGrid(
    names.map((name) => ({
      evaluateDir: ctx.inputs[`evaluate:${name}`],
      label: name,
      tile: { config: name },
    })),
    "config",
    (m) =>
      `One row per config, top to bottom: ${names.join(", ")}; the first ${m} ` +
      "of each run's decoded prior draws, as its evaluate made them: z ~ N(0, I), the " +
      "class-mixture prior for cvae-prior, a Gaussian fitted to the codes for an ae.",
    provenance(ctx, ["evaluate"]),
    ctx.outDir,
  );
}

/** Which config each row came from and the artifacts it used, by full key. */
function runsTable(ctx: StageContext<CompareParams>) {
  return {
    columns: ["config", "train", "evaluate"],
    rows: ctx.params.runs.map(({ name }) => [
      name,
      { text: ctx.inputKeys[`train:${name}`], code: true },
      { text: ctx.inputKeys[`evaluate:${name}`], code: true },
    ]),
  };
}
