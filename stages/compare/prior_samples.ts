/**
 * Several runs' prior samples as one image grid, one row per run: the first samples of
 * each run's evaluate/prior_samples.npy, as its evaluate drew them. The compare and sweep
 * stages say in `description` how the rows' z relate.
 */
import { join } from "node:path";
import { type NpyArray, readNpy } from "../../lib/npy.ts";
import type { Row } from "../../lib/table.ts";
import type { Skipped } from "../render/chart.ts";
import type { FigureEntry } from "../render/document.ts";
import type { Provenance } from "../render/figure.ts";
import { tiles, writeGrid } from "../render/grid_image.ts";

/** Prior samples shown per run. */
export const SAMPLES_PER_RUN = 10;

/** One grid row: its run's evaluate artifact, its label, what its tiles' CSV rows say of it. */
export interface PriorSamplesRow {
  evaluateDir: string;
  label: string;
  tile: Row;
}

/** The grid, or why it cannot be drawn (the runs' images differ in size). */
export async function priorSamplesGrid(
  rows: PriorSamplesRow[],
  /** What the rows' labels name: "config", "group". */
  rowTitle: string,
  /** The caption, given how many samples each row shows. */
  description: (shown: number) => string,
  provenance: Provenance,
  outDir: string,
): Promise<FigureEntry | Skipped> {
  const id = "prior_samples", title = "Samples from the prior";
  const arrays: NpyArray[] = [];
  for (const row of rows) arrays.push(await readNpy(join(row.evaluateDir, `${id}.npy`)));
  const sizes = new Set(arrays.map((a) => a.shape.slice(1).join("×")));
  if (sizes.size > 1) {
    return { id, title, skipped: `the runs' images differ in size (${[...sizes].join(", ")})` };
  }
  const [height, width] = arrays[0].shape.slice(1);
  const m = Math.min(SAMPLES_PER_RUN, ...arrays.map((a) => a.shape[0]));
  const pixels = new Float32Array(rows.length * m * height * width);
  arrays.forEach((a, r) =>
    pixels.set(a.data.subarray(0, m * height * width), r * m * height * width)
  );
  return await writeGrid(
    {
      id,
      title,
      description: description(m),
      source: "evaluate/prior_samples.npy of each run",
      layout: {
        description: "",
        columns: m,
        tiles: tiles(rows.length, m, (r, c) => ({ ...rows[r].tile, sample: c })),
        rowAxis: { title: rowTitle, labels: rows.map((r) => r.label) },
      },
    },
    { dtype: "<f4", shape: [rows.length, m, height, width], data: pixels },
    provenance,
    outDir,
  );
}
