/**
 * An image grid as a figure: the grid's PNG (pixels exactly as drawn, no resampling) under a
 * title, with its rows and columns labelled (class, z value), as SVG text. Rendered to PNG by
 * resvg, so the exported figure says what it shows without its caption.
 */
import { Buffer } from "node:buffer";
import { cropToContent, FONT_FAMILY } from "./figure.ts";

/** Labels along one side of the grid, one per row or column, and what they are. */
export interface Axis {
  title: string;
  labels: string[];
}

export interface GridFigureLayout {
  title: string;
  /** The grid's PNG and its pixel size. */
  png: Uint8Array;
  width: number;
  height: number;
  /** Where tile (0, 0) starts, and each tile's size in pixels; tiles are `gap` apart. */
  offset: number;
  tileWidth: number;
  tileHeight: number;
  gap: number;
  rows?: Axis;
  columns?: Axis;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]);

// Vega's sizes, so grids and charts read alike: title 13 bold, axis titles 11 bold, labels 10.
const TITLE = 13, AXIS_TITLE = 11, LABEL = 10;
/** DejaVu Sans is about 0.64 em per character; only used to leave room before the crop. */
const textWidth = (text: string, size: number) => Math.ceil(0.64 * size * text.length);

function text(
  x: number,
  y: number,
  content: string,
  size: number,
  extra = "",
): string {
  return `<text x="${x}" y="${y}" font-size="${size}" ${extra}>${escape(content)}</text>`;
}

/** The labelled figure as SVG, cropped to what it draws. */
export function gridFigureSvg(layout: GridFigureLayout): Promise<string> {
  const { rows, columns, offset, tileWidth, tileHeight, gap } = layout;
  const rowLabelWidth = rows ? Math.max(...rows.labels.map((l) => textWidth(l, LABEL))) : 0;
  const left = rows ? (rows.title ? 22 : 0) + rowLabelWidth + 8 : 0;
  const top = columns ? (columns.title ? 50 : 36) : 24;
  const centre = (i: number, tile: number) => offset + i * (tile + gap) + tile / 2;
  const parts: string[] = [text(0, 15, layout.title, TITLE, 'font-weight="bold"')];
  if (columns) {
    if (columns.title) {
      parts.push(text(
        left + layout.width / 2,
        top - 20,
        columns.title,
        AXIS_TITLE,
        'font-weight="bold" text-anchor="middle"',
      ));
    }
    columns.labels.forEach((label, i) =>
      parts.push(text(left + centre(i, tileWidth), top - 5, label, LABEL, 'text-anchor="middle"'))
    );
  }
  if (rows) {
    if (rows.title) {
      const y = top + layout.height / 2;
      parts.push(text(
        0,
        0,
        rows.title,
        AXIS_TITLE,
        `font-weight="bold" text-anchor="middle" transform="translate(12,${y}) rotate(-90)"`,
      ));
    }
    rows.labels.forEach((label, i) =>
      parts.push(text(left - 6, top + centre(i, tileHeight) + 4, label, LABEL, 'text-anchor="end"'))
    );
  }
  const width = left + Math.max(layout.width, textWidth(layout.title, TITLE)) + 20;
  const height = top + layout.height + 10;
  return cropToContent(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
      `version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect width="${width}" height="${height}" fill="white"/>` +
      `<g font-family="${FONT_FAMILY}, sans-serif" fill="black">${parts.join("")}</g>` +
      `<image x="${left}" y="${top}" width="${layout.width}" height="${layout.height}" ` +
      `image-rendering="optimizeSpeed" style="image-rendering:pixelated" ` +
      `xlink:href="data:image/png;base64,${Buffer.from(layout.png).toString("base64")}"/>` +
      `</svg>`,
  );
}
