/**
 * An image grid as a figure: image tensors (.npy, float32 in [0, 1]) laid out as a PNG,
 * with a CSV that says which tile is which and a JSON sidecar with its provenance (what
 * `deno task trace` reads for a figure that has no Vega-Lite spec).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NpyArray } from "../../lib/npy.ts";
import { type Row, toCsv } from "../../lib/table.ts";
import type { FigureEntry } from "./document.ts";
import { type Provenance, svgToPng } from "./figure.ts";
import { type Axis, gridFigureSvg } from "./grid_svg.ts";
import { imageGrid } from "./png.ts";

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

/** Width and height from the PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
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
  const svg = await gridFigureSvg({
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
  const png = await svgToPng(svg, 1);
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
