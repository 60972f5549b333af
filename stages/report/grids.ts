/**
 * The report's image grids: evaluate's image tensors (.npy, float32 in [0, 1]) laid out as
 * PNGs, each with a CSV that says which tile is which and a JSON sidecar with its
 * provenance (what `deno task trace` reads for a figure that has no Vega-Lite spec).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import type { NpyArray } from "../../pipeline/npy.ts";
import { type Row, toCsv } from "../../pipeline/table.ts";
import type { FigureEntry } from "./document.ts";
import type { Provenance } from "./figure.ts";
import type { ReportInputs } from "./inputs.ts";
import { type Axis, gridFigureSvg } from "./grid_svg.ts";
import { imageGrid } from "./png.ts";
import { svgToPng } from "./figure.ts";

export interface GridLayout {
  description: string;
  /** Tiles per row of the grid. */
  columns: number;
  /** One row per tile, in grid order: what the tile shows. */
  tiles: Row[];
  /** Labels drawn beside the grid's rows and above its columns (class, z value). */
  rowAxis?: Axis;
  columnAxis?: Axis;
}

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

/** Digits are drawn about 56 px tall: 28×28 at 2×, 8×8 at 7×. */
const TILE_PIXELS = 56;
const PADDING = 2;

/** `rows × columns` tiles, each with its place and what `about` says of it. */
export function tiles(
  rows: number,
  columns: number,
  about: (r: number, c: number) => Row = () => ({}),
) {
  return Array.from({ length: rows * columns }, (_, i) => {
    const [row, column] = [Math.floor(i / columns), i % columns];
    return { tile: i, row, column, ...about(row, column) };
  });
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

/** Width and height from the PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
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

export interface GridImage {
  id: string;
  title: string;
  description: string;
  /** Where the pixels came from, for the sidecar. */
  source: string;
  layout: GridLayout;
}

/** Write one grid into `<outDir>/images/`: PNG, tile CSV, provenance sidecar. */
export async function writeGrid(
  image: GridImage,
  array: NpyArray,
  provenance: Provenance,
  outDir: string,
): Promise<FigureEntry> {
  const { id, title, description, layout } = image;
  const { shape } = array;
  const [height, width] = shape.slice(-2);
  const count = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const scale = Math.max(1, Math.round(TILE_PIXELS / Math.max(height, width)));
  const grid = imageGrid(array.data as Float32Array, count, height, width, {
    columns: layout.columns,
    padding: PADDING,
    scale,
  });
  // The figure: the grid's pixels as they are, with its title and labels drawn around it.
  const svg = gridFigureSvg({
    title,
    png: grid,
    ...pngSize(grid),
    offset: PADDING,
    tileWidth: width * scale,
    tileHeight: height * scale,
    gap: PADDING,
    rows: layout.rowAxis,
    columns: layout.columnAxis,
  });
  const png = svgToPng(svg, 1);
  const sidecar = {
    title,
    description,
    source: image.source,
    shape,
    layout: { columns: layout.columns, scale, padding: PADDING },
    provenance,
  };
  const dir = join(outDir, "images");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${id}.png`), png);
  await writeFile(join(dir, `${id}.svg`), svg);
  await writeFile(join(dir, `${id}.csv`), toCsv(layout.tiles));
  await writeFile(join(dir, `${id}.provenance.json`), JSON.stringify(sidecar, null, 2) + "\n");
  return {
    id,
    title,
    description,
    provenance,
    image: `images/${id}.png`,
    ...pngSize(png),
    files: [
      { label: "SVG", path: `images/${id}.svg` },
      { label: "tiles (CSV)", path: `images/${id}.csv` },
      { label: "provenance (JSON)", path: `images/${id}.provenance.json` },
    ],
  };
}
