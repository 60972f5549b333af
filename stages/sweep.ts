/**
 * The sweep stage: a sweep's cells read as a study. Its inputs are every cell's train,
 * evaluate and report artifacts (`train:<cell>`, `evaluate:<cell>`, `report:<cell>`); it
 * writes one row per group (a variant at a grid point) with each number's mean ± sd and 95%
 * interval over the seeds, the paired differences against the baseline variant at the same
 * seed, figures with a point per seed, the groups' prior samples decoded from one z, and a
 * copy of every cell's own report, so the folder opens offline and every row links to its
 * cells. Every figure carries the keys of the artifacts its data came from.
 *
 * outDir/
 *   index.html, README.md     the sweep's report (same content)
 *   sweep.md                  its tables and notes alone
 *   sweep.csv                 one row per cell: every metric, where it sits in the sweep, keys
 *   sweep.json                the tables and notes as document blocks (for the terminal)
 *   figures/<id>.{vl.json,svg,png,csv}, images/prior_samples.{png,svg,csv,provenance.json}
 *   cells/<cell>/             each cell's report artifact, manifest included, byte for byte
 */
import { join } from "node:path";
import { toCsv } from "../lib/table.ts";
import type { StageContext, StageFn } from "../pipeline/stage.ts";
import type { ResolvedConfig } from "./config_schema.ts";
import { comparisonNotes, seedColumns } from "./compare/comparison.ts";
import { SWEEP_BRIEF, writeComparisonBrief } from "./compare/comparison_brief.ts";
import { rateDistortion } from "./compare/comparison_charts.ts";
import { priorSamplesGrid } from "./compare/prior_samples.ts";
import { readMetrics } from "./evaluation/metrics.ts";
import { capabilitiesOf } from "./model/kinds.ts";
import { type ChartFigure, renderCharts, type Skipped } from "./render/chart.ts";
import { type Block, type FigureEntry, heading, table, text } from "./render/document.ts";
import type { Provenance } from "./render/figure.ts";
import { renderHtml } from "./render/html.ts";
import { renderMarkdown } from "./render/markdown.ts";
import { readRows, readUpstream } from "./render/upstream.ts";
import { copyCellReport } from "./sweep/cell_reports.ts";
import {
  againstAxis,
  klHeatmap,
  logVarPerDimension,
  metricsOverSeeds,
} from "./sweep/sweep_charts.ts";
import {
  baselinePartner,
  cellReportDir,
  groupName,
  groupsOf,
  type SweepAxis,
  type SweepGroup,
  type SweptCell,
} from "./sweep/sweep_cells.ts";
import {
  cellsTable,
  differenceTables,
  groupTables,
  sweepNotes,
  sweepRows,
} from "./sweep/sweep_tables.ts";

export interface SweepParams {
  /** The sweep's name (its report folder reports/<name>/). */
  name: string;
  /** The variant the others are compared with, at the same seed (none: a sweep of one variant). */
  baseline?: string;
  /** Grid axes in declaration order: YAML path (`loss.wSigma`), its short label as in cell names (`wSigma`), its values in order. */
  axes: SweepAxis[];
  /** Every cell, in declaration order (variants × grid points × seeds). */
  cells: {
    /** The full run name, e.g. `loss-balance/separate-l2/wSigma=3/seed1`. */
    name: string;
    /** `separate-l2`. */
    variant: string;
    /** Each grid axis's value in this cell, by axis path; absent where the axis is not this variant's. */
    point: SweptCell["point"];
    seed: number;
    config: ResolvedConfig;
  }[];
}

export const sweep: StageFn<SweepParams> = async (ctx) => {
  const cells = await Promise.all(ctx.params.cells.map((cell) => readCell(cell, ctx)));
  const groups = groupsOf(cells);
  const { baseline, axes } = ctx.params;
  const partner = baselinePartner(cells, baseline);
  const pages = seedColumns(cells);

  const { figures, skipped } = await renderCharts(
    charts(groups, cells, ctx),
    (_chart) => provenance(ctx, cells),
    ctx.outDir,
  );
  const samples = await priorSamples(groups, ctx);
  if ("skipped" in samples) skipped.push(samples);
  else figures.push(samples);

  const tables = [
    heading("Over seeds"),
    ...groupTables(groups, pages).map(table),
    ...(baseline === undefined ? [] : [
      heading("Against the baseline"),
      ...differenceTables(groups, pages, baseline, partner).map(table),
    ]),
  ];
  const notes = [
    ...sweepNotes(groups, baseline, partner),
    ...comparisonNotes(cells, { overSeeds: false }),
  ].map(text);
  const doc = {
    title: `Sweep: ${ctx.params.name}`,
    blocks: [
      text(shape(ctx.params, groups)),
      ...tables,
      ...notes,
      heading("Figures"),
      ...figures.map((figure, i): Block => ({ kind: "figure", figure, number: i + 1 })),
      ...skipped.map((s) => text(`Not shown: ${s.title}, because ${s.skipped}.`)),
      heading("Cells"),
      table(cellsTable(cells, axes)),
    ],
  };
  for (const cell of cells) {
    await copyCellReport(
      ctx.inputs[`report:${cell.config.name}`],
      join(ctx.outDir, cellReportDir(cell)),
      cell.config.name,
    );
  }
  await Deno.writeTextFile(join(ctx.outDir, "index.html"), renderHtml(doc));
  await Deno.writeTextFile(join(ctx.outDir, "README.md"), renderMarkdown(doc));
  const brief = { title: doc.title, blocks: [...tables, ...notes] };
  await Deno.writeTextFile(join(ctx.outDir, "sweep.md"), renderMarkdown(brief));
  await writeComparisonBrief(ctx.outDir, brief, SWEEP_BRIEF);
  const csv = sweepRows(cells, axes, pages.flat(), partner);
  await Deno.writeTextFile(join(ctx.outDir, "sweep.csv"), toCsv(csv.rows, csv.columns));
  ctx.log(`sweep: ${cells.length} cells in ${groups.length} groups, ${figures.length} figures`);
};

/** `12 cells: 4 groups (2 variants) × 3 seeds; baseline kl.` */
function shape(params: SweepParams, groups: SweepGroup[]): string {
  const variants = new Set(groups.map((g) => g.variant)).size;
  const seeds = [...new Set(params.cells.map((c) => c.seed))];
  return `${params.cells.length} cells: ${groups.length} groups (${variants} variants at ` +
    `their grid points) under seeds ${seeds.join(", ")}` +
    (params.baseline === undefined ? ". " : `; baseline ${params.baseline}. `) +
    "The figures are drawn from every cell's test-split evaluation.";
}

function charts(
  groups: SweepGroup[],
  cells: SweptCell[],
  ctx: StageContext<SweepParams>,
): (ChartFigure | Skipped)[] {
  const { axes, baseline } = ctx.params;
  const columns = seedColumns(cells).flat();
  return [
    metricsOverSeeds(groups, columns),
    ...axes.map((axis) => againstAxis(axis, axes, groups, baseline, columns)),
    rateDistortion(cells, "group"),
    logVarPerDimension(groups),
    klHeatmap(groups),
  ];
}

async function readCell(
  { name, variant, point, seed, config }: SweepParams["cells"][number],
  ctx: StageContext<SweepParams>,
): Promise<SweptCell> {
  const [train, evaluate, report] = ["train", "evaluate", "report"].map((s) => `${s}:${name}`);
  for (const input of [train, evaluate, report]) {
    if (!ctx.inputs[input]) throw new Error(`sweep: no ${input} input; the caller must pass it`);
  }
  const label = name.startsWith(`${ctx.params.name}/`)
    ? name.slice(ctx.params.name.length + 1)
    : name;
  return {
    config: { ...config, name },
    group: groupName(label),
    evaluateKey: ctx.inputKeys[evaluate],
    metrics: await readUpstream(ctx.inputs[evaluate], "metrics.json", "evaluate", readMetrics),
    history: await readRows(join(ctx.inputs[train], "history.csv"), "train"),
    klPerDim: await readRows(join(ctx.inputs[evaluate], "kl_per_dim.csv"), "evaluate"),
    label,
    variant,
    point,
    seed,
    keys: {
      train: ctx.inputKeys[train],
      evaluate: ctx.inputKeys[evaluate],
      report: ctx.inputKeys[report],
    },
  };
}

/** The keys of the evaluate artifacts of `cells`, by `evaluate:<cell>`. */
function provenance(ctx: StageContext<SweepParams>, cells: SweptCell[]): Provenance {
  return {
    config: `sweep ${ctx.params.name}`,
    stages: Object.fromEntries(
      cells.map((c) => [`evaluate:${c.config.name}`, c.keys.evaluate]),
    ),
  };
}

/**
 * One row per group from its cell at the first seed. Evaluate draws its prior samples from
 * the seed's own stream (`prior-samples`), so those cells decode the same z wherever z ~
 * N(0, I) in the same number of dimensions: their blur is compared like for like.
 */
async function priorSamples(
  groups: SweepGroup[],
  ctx: StageContext<SweepParams>,
): Promise<FigureEntry | Skipped> {
  const seed = groups[0].cells[0].seed;
  const shown = groups.flatMap((g) => g.cells.filter((c) => c.seed === seed).slice(0, 1));
  const missing = groups.filter((g) => !g.cells.some((c) => c.seed === seed));
  const dims = shown[0].config.model.latentDim;
  const differs = shown.filter((c) => {
    const can = capabilitiesOf(c.config.model.kind);
    return !can.stochastic || can.learnedPriorMean || c.config.model.latentDim !== dims;
  });
  const rows = shown.map((cell) => ({
    evaluateDir: ctx.inputs[`evaluate:${cell.config.name}`],
    label: cell.group,
    tile: { group: cell.group, cell: cell.label },
  }));
  return await priorSamplesGrid(
    rows,
    "group",
    (m) =>
      `One row per group, top to bottom: ${shown.map((c) => c.group).join(", ")}; the first ` +
      `${m} decoded prior draws of each group's cell at seed ${seed}. Evaluate draws them ` +
      "from a random stream of the seed alone, so every row decodes the same ε: the same " +
      `z ~ N(0, I) where the prior is N(0, I) in the same ${dims} dimensions, and the ` +
      "rows' blur is compared like for like. " +
      (differs.length
        ? `Not the same z for ${differs.map((c) => c.group).join(", ")}: a cvae-prior ` +
          "draws z = μ^y + ε (its class means), an ae z from a Gaussian fitted to its codes, " +
          "and another latent size other numbers. "
        : "") +
      (missing.length
        ? `Not shown: ${missing.map((g) => g.name).join(", ")} (no cell at seed ${seed}).`
        : ""),
    provenance(ctx, shown),
    ctx.outDir,
  );
}
