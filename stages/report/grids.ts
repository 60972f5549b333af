/**
 * The report's image grids: which of evaluate's image tensors (.npy, float32 in [0, 1]) it
 * draws, each laid out and labelled from its shape and evaluate's note in images.json.
 * render/grid_image.ts writes each as a PNG with its tile CSV and provenance sidecar.
 */
import { UserError } from "../../pipeline/errors.ts";
import type { NpyArray } from "../../lib/npy.ts";
import type { FigureEntry } from "../render/document.ts";
import type { Provenance } from "../render/figure.ts";
import { type GridLayout, tiles, writeGrid } from "../render/grid_image.ts";
import type { ReportInputs } from "./inputs.ts";

/** What images.json says about one tensor (evaluate's note), the fields the labels use. */
interface ImageNote {
  labels?: unknown;
  columnDim?: unknown;
  columnValues?: unknown;
  rowDim?: unknown;
  rowValues?: unknown;
}

const note = (inputs: ReportInputs, id: string): ImageNote => {
  const entry = inputs.imageNotes[id];
  return typeof entry === "object" && entry !== null ? entry as ImageNote : {};
};
const numbers = (value: unknown): number[] | null =>
  Array.isArray(value) && value.every((v) => typeof v === "number") ? value : null;
/** z values to two decimals, with a true minus sign as the charts print them. */
const zText = (z: number) => z.toFixed(2).replace("-", "−");

/** Column labels when every tile of each column has the same class (round-robin draws). */
function columnClasses(labels: number[] | null, columns: number): string[] | null {
  if (!labels || labels.length < columns) return null;
  const same = labels.every((label, i) => label === labels[i % columns]);
  return same ? labels.slice(0, columns).map(String) : null;
}

export interface GridFigure {
  id: string;
  /** evaluate's tensor. */
  file: string;
  title: string;
  /** The tensor's shape, by name: its rank is checked before drawing. */
  shape: string[];
  layout: (shape: number[], inputs: ReportInputs) => GridLayout;
}

export const GRIDS: GridFigure[] = [
  {
    id: "reconstructions",
    file: "reconstructions.npy",
    title: "Reconstructions",
    shape: ["2", "n", "H", "W"],
    layout: ([, n], inputs) => {
      const labels = numbers(note(inputs, "reconstructions").labels);
      const known = labels?.length === n ? labels : null;
      return {
        description: "Top row: test images; bottom row: their reconstructions.",
        columns: n,
        tiles: tiles(2, n, (r, c) => ({
          shows: r === 0 ? "original" : "reconstruction",
          example: c,
          ...(known ? { label: known[c] } : {}),
        })),
        rowAxis: { title: "", labels: ["test image", "reconstruction"] },
        ...(known ? { columnAxis: { title: "class", labels: known.map(String) } } : {}),
      };
    },
  },
  {
    id: "prior_samples",
    file: "prior_samples.npy",
    title: "Samples from the prior",
    shape: ["n", "H", "W"],
    layout: ([n], inputs) => {
      const columns = Math.ceil(Math.sqrt(n));
      const labels = numbers(note(inputs, "prior_samples").labels);
      const known = labels?.length === n ? labels : null;
      const byColumn = columnClasses(known, columns);
      return {
        description: `${n} decoded draws z ~ p(z).`,
        columns,
        tiles: tiles(Math.ceil(n / columns), columns, (r, c) => ({
          sample: r * columns + c,
          ...(known ? { label: known[r * columns + c] ?? null } : {}),
        })).slice(0, n),
        ...(byColumn
          ? { columnAxis: { title: "class y of the prior draw", labels: byColumn } }
          : {}),
      };
    },
  },
  {
    id: "class_samples",
    file: "class_samples.npy",
    title: "Class-conditional samples",
    shape: ["classes", "m", "H", "W"],
    layout: ([classes, m], { training }) => {
      const label = (r: number) => training.classes[r] ?? r;
      const labels = Array.from({ length: classes }, (_, r) => label(r));
      return {
        description: `One row per class, top to bottom: ${labels.join(", ")}; ` +
          `${m} samples each.`,
        columns: m,
        tiles: tiles(classes, m, (r, c) => ({ label: label(r), sample: c })),
        rowAxis: { title: "class y", labels: labels.map(String) },
      };
    },
  },
  {
    id: "traversal",
    file: "traversal.npy",
    title: "Latent traversal",
    shape: ["rows", "columns", "H", "W"],
    layout: ([rows, columns], inputs) => {
      const { columnDim, rowDim, ...values } = note(inputs, "traversal");
      const [x, y] = [numbers(values.columnValues), numbers(values.rowValues)];
      // The z value of each column and row, when evaluate's note gives them all.
      const known = x?.length === columns && y?.length === rows &&
        typeof columnDim === "number" && typeof rowDim === "number";
      return {
        description: `Decoder outputs on a ${rows} × ${columns} grid of latent points.`,
        columns,
        tiles: tiles(
          rows,
          columns,
          (r, c) => known ? { [`z${columnDim}`]: x![c], [`z${rowDim}`]: y![r] } : {},
        ),
        ...(known
          ? {
            columnAxis: { title: `z${columnDim}`, labels: x!.map(zText) },
            rowAxis: { title: `z${rowDim}`, labels: y!.map(zText) },
          }
          : {}),
      };
    },
  },
];

/** What images.json says about a tensor, looked up by id or file name. */
export function imageNote(notes: Record<string, unknown>, grid: GridFigure): string | null {
  const entry = notes[grid.id] ?? notes[grid.file];
  if (typeof entry === "string") return entry;
  const description = (entry as { description?: unknown } | undefined)?.description;
  return typeof description === "string" ? description : null;
}

/** Draw one of evaluate's tensors as a grid: its shape checked, its layout and note applied. */
export async function renderGrid(
  grid: GridFigure,
  array: NpyArray,
  inputs: ReportInputs,
  provenance: Provenance,
  outDir: string,
): Promise<FigureEntry> {
  const { shape } = array;
  if (shape.length !== grid.shape.length || array.dtype !== "<f4") {
    throw new UserError(
      `report: evaluate's ${grid.file} is ${array.dtype} of shape [${shape}], expected ` +
        `float32 [${grid.shape}]; re-run evaluate`,
    );
  }
  const layout = grid.layout(shape, inputs);
  const note = imageNote(inputs.imageNotes, grid);
  return await writeGrid(
    {
      id: grid.id,
      title: grid.title,
      description: note ? `${layout.description} ${note}` : layout.description,
      source: `evaluate/${grid.file}`,
      layout,
    },
    array,
    provenance,
    outDir,
  );
}
