/**
 * A Vega-Lite chart as a figure of a page: its rows, its data-less spec and the stages its
 * data came from, rendered into `figures/` (spec, SVG, PNG, CSV) and described for the
 * document. A figure that cannot be drawn is Skipped, with the reason, never drawn empty.
 */
import { join } from "node:path";
import { settleAll } from "../../lib/settle_all.ts";
import type { Row } from "../../lib/table.ts";
import type { FigureEntry } from "./document.ts";
import { type ChartSpec, renderFigure } from "./figure.ts";

export interface ChartFigure {
  id: string;
  title: string;
  description: string;
  spec: ChartSpec;
  rows: Row[];
  /** The stages whose outputs the rows are (their upstream joins the provenance). */
  stages: string[];
}

/** A figure that is not drawn, and why: the page says so where the figure would be. */
export interface Skipped {
  id: string;
  title: string;
  skipped: string;
}

/** Render `chart` into `<outDir>/figures/`, with the keys of the artifacts it came from. */
export async function renderChart(
  chart: ChartFigure,
  provenance: FigureEntry["provenance"],
  outDir: string,
): Promise<FigureEntry> {
  const { id, spec, rows } = chart;
  const { svg } = await renderFigure({
    name: id,
    spec,
    rows,
    provenance,
    outDir: join(outDir, "figures"),
  });
  const [, width, height] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
  return {
    id,
    title: chart.title,
    description: chart.description,
    provenance,
    image: `figures/${id}.svg`,
    svg,
    width,
    height,
    files: [
      { label: "data (CSV)", path: `figures/${id}.csv` },
      { label: "Vega-Lite spec", path: `figures/${id}.vl.json` },
      { label: "PNG", path: `figures/${id}.png` },
    ],
  };
}

/**
 * Every chart rendered, or skipped, in the order given. The charts render concurrently
 * (vega takes turns; resvg draws on its own threads: see figure.ts).
 */
export async function renderCharts(
  charts: (ChartFigure | Skipped)[],
  provenance: (chart: ChartFigure) => FigureEntry["provenance"],
  outDir: string,
): Promise<{ figures: FigureEntry[]; skipped: Skipped[] }> {
  return splitSkipped(
    await settleAll(
      charts.map(async (chart) =>
        "skipped" in chart ? chart : await renderChart(chart, provenance(chart), outDir)
      ),
    ),
  );
}

/** The figures drawn and those skipped, each in the order given. */
export function splitSkipped(
  all: (FigureEntry | Skipped)[],
): { figures: FigureEntry[]; skipped: Skipped[] } {
  const figures: FigureEntry[] = [], skipped: Skipped[] = [];
  for (const figure of all) {
    if ("skipped" in figure) skipped.push(figure);
    else figures.push(figure);
  }
  return { figures, skipped };
}
