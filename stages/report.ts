/**
 * The report stage: every figure of a run, each traceable to the exact artifacts it came
 * from, as an HTML page that opens offline and a README for a code host. Reads only its
 * inputs' files; writes the same bytes for the same inputs (no dates, no machine facts
 * beyond the Deno version, which is part of the stage key).
 *
 * outDir/
 *   index.html, README.md     the report (same content)
 *   figures/<id>.{vl.json,svg,png,csv}
 *   images/<id>.{png,csv,provenance.json}
 */
import { join } from "node:path";
import * as vega from "vega";
import { version as vegaLiteVersion } from "vega-lite";
import { stringify as toYaml } from "yaml";
import type { StageContext, StageFn } from "../pipeline/stage.ts";
import { renderChart, type Skipped, splitSkipped } from "./render/chart.ts";
import { settleAll } from "../lib/settle_all.ts";
import {
  type Block,
  type FigureEntry,
  heading,
  type ReportDocument,
  table,
  text,
} from "./render/document.ts";
import { renderHtml } from "./render/html.ts";
import { renderMarkdown } from "./render/markdown.ts";
import { chartFigures } from "./report/charts.ts";
import { GRIDS, renderGrid } from "./report/grids.ts";
import { readImages, readReportInputs, type ReportInputs } from "./report/inputs.ts";
import { lineage, stageVersions } from "./report/provenance.ts";
import {
  csvTable,
  latentTable,
  metricsTable,
  perClassTable,
  summary,
  versionsTable,
} from "./report/tables.ts";

export interface ReportParams {
  /** The fully resolved config, with its name. */
  config: unknown;
}

export const report: StageFn<ReportParams> = async (ctx) => {
  const inputs = await readReportInputs(ctx.params.config, ctx.inputs);
  const { figures, skipped } = await renderFigures(inputs, ctx);
  const doc = buildDocument(inputs, figures, skipped, ctx);
  await Deno.writeTextFile(join(ctx.outDir, "index.html"), renderHtml(doc));
  await Deno.writeTextFile(join(ctx.outDir, "README.md"), renderMarkdown(doc));
  ctx.log(`report: ${figures.length} figures, ${skipped.length} not applicable`);
};

/**
 * Charts first, then image grids, in that order on the page; rendered concurrently (vega
 * takes turns, resvg draws on its own threads: see figure.ts).
 */
async function renderFigures(
  inputs: ReportInputs,
  ctx: StageContext<ReportParams>,
): Promise<{ figures: FigureEntry[]; skipped: Skipped[] }> {
  const provenance = (stages: string[]) =>
    lineage(inputs.config.name, stages, ctx.inputKeys, inputs.manifests);
  const charts = chartFigures(inputs).map(async (chart) =>
    "skipped" in chart ? chart : await renderChart(chart, provenance(chart.stages), ctx.outDir)
  );
  const grids = GRIDS.map(async (grid): Promise<FigureEntry | Skipped> => {
    const array = await readImages(inputs, grid.file);
    if (!array) return { ...grid, skipped: `evaluate wrote no ${grid.file} for this model` };
    return await renderGrid(grid, array, inputs, provenance(["evaluate"]), ctx.outDir);
  });
  return splitSkipped(await settleAll([...charts, ...grids]));
}

function buildDocument(
  inputs: ReportInputs,
  figures: FigureEntry[],
  skipped: Skipped[],
  ctx: StageContext<ReportParams>,
): ReportDocument {
  return {
    title: `Report: ${inputs.config.name}`,
    blocks: [
      ...summary(inputs).map(text),
      heading("Results"),
      table(metricsTable(inputs)),
      heading("Figures"),
      ...figures.map((figure, i): Block => ({ kind: "figure", figure, number: i + 1 })),
      ...skipped.map((s) => text(`Not shown: ${s.title}, because ${s.skipped}.`)),
      ...perClassBlocks(inputs),
      heading("Latent dimensions"),
      table(latentTable(inputs)),
      ...provenanceBlocks(inputs, ctx),
      heading("Configuration"),
      { kind: "code", language: "yaml", text: configYaml(inputs.config) },
    ],
  };
}

/** Per-class numbers, and a CVAE prior's class means and their distances, when there are any. */
function perClassBlocks(inputs: ReportInputs): Block[] {
  const perClass = perClassTable(inputs);
  const csvs: [string, ReportInputs["classMeans"]][] = [
    ["Learned class means μ^Y of the prior (class_means.csv).", inputs.classMeans],
    ["Distances between the class means (class_distances.csv).", inputs.classDistances],
  ];
  const blocks = [
    ...(perClass ? [table(perClass)] : []),
    ...csvs.flatMap(([caption, rows]) =>
      rows?.length ? [text(caption), table(csvTable(rows))] : []
    ),
  ];
  return blocks.length ? [heading("Per class"), ...blocks] : [];
}

/** Every upstream stage's full key and runtime, and what rendered the report. */
function provenanceBlocks(inputs: ReportInputs, ctx: StageContext<ReportParams>): Block[] {
  const { config, manifests } = inputs;
  const all = lineage(config.name, Object.keys(ctx.inputs), ctx.inputKeys, manifests);
  return [
    heading("Provenance"),
    text(
      "Each figure's caption names the config and the short keys of the artifacts its data " +
        "came from; the full keys are below, in each Vega-Lite spec's usermeta, and in each " +
        "image grid's provenance JSON. deno task trace, given any figure file, walks it back " +
        "to its runs.",
    ),
    table(versionsTable(stageVersions(all, manifests))),
    text(
      `Rendered with Deno ${Deno.version.deno}, Vega-Lite ${vegaLiteVersion} and Vega ` +
        `${vega.version}.`,
    ),
  ];
}

/** The resolved config as YAML, its name first: the name is what the captions call it. */
function configYaml({ name, ...rest }: ReportInputs["config"]): string {
  return toYaml({ name, ...rest });
}
