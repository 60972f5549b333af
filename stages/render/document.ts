/**
 * A report or a comparison as a list of blocks, built once and rendered twice: as a
 * self-contained HTML page (html.ts) and as a README for a code host (markdown.ts), so the
 * two never disagree.
 */
import type { Provenance } from "./figure.ts";

/** Text in a table cell, optionally monospace, with a tooltip (the full key, a reason), a link. */
export type Span = string | { text: string; title?: string; code?: boolean; href?: string };

/** A table cell: one span, or several shown comma-separated (a group's seeds, each linked). */
export type Cell = Span | Span[];

export interface Table {
  columns: string[];
  /** Per column; numbers read best right-aligned. Default: left. */
  align?: ("left" | "right")[];
  rows: Cell[][];
}

export interface FigureEntry {
  /** File stem and HTML anchor. */
  id: string;
  title: string;
  description: string;
  provenance: Provenance;
  /** The figure's image by path relative to the report: SVG for charts, PNG for grids. */
  image: string;
  /** Charts only: the SVG text, inlined into the HTML page. */
  svg?: string;
  /** Display size in CSS pixels. */
  width: number;
  height: number;
  /** The figure's other files (data, spec, provenance), relative to the report. */
  files: { label: string; path: string }[];
}

export type Block =
  | { kind: "heading"; text: string; id: string }
  | { kind: "text"; text: string }
  | { kind: "table"; table: Table }
  | { kind: "figure"; figure: FigureEntry; number: number }
  | { kind: "code"; language: string; text: string };

export interface ReportDocument {
  title: string;
  blocks: Block[];
}

export const text = (text: string): Block => ({ kind: "text", text });
export const table = (table: Table): Block => ({ kind: "table", table });
/** A section heading; its anchor is its text, lower-cased and hyphenated. */
export const heading = (text: string): Block => ({
  kind: "heading",
  text,
  id: text.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
});

const spanText = (span: Span): string => typeof span === "string" ? span : span.text;

export const cellText = (cell: Cell): string =>
  Array.isArray(cell) ? cell.map(spanText).join(", ") : spanText(cell);

/** `Figure 3. Latent space.` — the same label in both renderings. */
export const figureLabel = (number: number, figure: FigureEntry): string =>
  `Figure ${number}. ${figure.title}.`;
