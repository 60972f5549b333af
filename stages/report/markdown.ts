/**
 * The report as a README for a code host: the same blocks as the HTML page, with charts
 * and image grids by relative path and the full stage keys in the provenance table
 * (Markdown has no hover, so figure captions carry the short keys).
 */
import {
  type Block,
  type Cell,
  cellText,
  type FigureEntry,
  figureLabel,
  type ReportDocument,
  type Table,
} from "./document.ts";
import { provenanceCaption } from "./figure.ts";

/** Plain text, with the characters Markdown would read as markup escaped. */
const escape = (text: string) => text.replace(/[\\`*_[\]<>|#]/g, "\\$&");

/** A table cell on one line; code spans keep their text but still escape pipes (GFM). */
const cellMarkdown = (value: Cell): string => {
  const text = cellText(value).replace(/\n/g, " ");
  return typeof value !== "string" && value.code
    ? `\`${text.replace(/\|/g, "\\|")}\``
    : escape(text);
};

function markdownTable({ columns, align = [], rows }: Table): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = columns.map((_, i) => align[i] === "right" ? "---:" : "---");
  return [
    line(columns.map(cellMarkdown)),
    line(rule),
    ...rows.map((row) => line(row.map(cellMarkdown))),
  ].join("\n");
}

function figure(entry: FigureEntry, number: number): string {
  const files = entry.files.map((f) => `[${f.label}](${f.path})`).join(" · ");
  return [
    `![${escape(entry.title)}](${entry.image})`,
    "",
    // A trailing backslash is a hard line break in CommonMark.
    `**${escape(figureLabel(number, entry))}** ${escape(entry.description)}\\`,
    `_${escape(provenanceCaption(entry.provenance))}_ · ${files}`,
  ].join("\n");
}

function block(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `## ${escape(b.text)}`;
    case "text":
      return escape(b.text);
    case "table":
      return markdownTable(b.table);
    case "figure":
      return figure(b.figure, b.number);
    case "code":
      return "```" + b.language + "\n" + b.text.trimEnd() + "\n```";
  }
}

export function renderMarkdown(doc: ReportDocument): string {
  return [`# ${doc.title}`, ...doc.blocks.map(block)].join("\n\n") + "\n";
}
