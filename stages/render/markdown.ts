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
  type Span,
  type Table,
} from "./document.ts";
import { padVisible, visibleWidth } from "../../pipeline/text_width.ts";
import { provenanceCaption } from "./figure.ts";

/**
 * Plain text with a backslash only where Markdown would read markup, so that the file reads
 * as plain text too: `*` and backticks always; `_` unless inside a word (E_q, Σ_y), where
 * CommonMark never starts emphasis; `]` before `(` (a link); `<` before a tag or autolink;
 * `&` before an entity; `#`, `>`, list markers at a line's start; `|` in tables only.
 */
function escape(text: string, inTable = false): string {
  const word = /[\p{L}\p{N}]/u;
  const out = [...text].map((c, i, chars) => {
    const [before, after] = [chars[i - 1] ?? "", chars[i + 1] ?? ""];
    const markup = /[\\`*]/.test(c) ||
      (c === "_" && !(word.test(before) && word.test(after))) ||
      (c === "]" && after === "(") ||
      (c === "<" && /[A-Za-z/!?]/.test(after)) ||
      (c === "&" && /[A-Za-z#]/.test(after)) ||
      (c === "|" && inTable);
    return markup ? `\\${c}` : c;
  }).join("");
  // At a line's start: a heading, a quote, a list item.
  return out.replace(/^(#|>|[-+] |\d+[.)] )/, (m) => `\\${m}`);
}

/** A table cell on one line; code spans keep their text but still escape pipes (GFM). */
const cellMarkdown = (value: Cell): string =>
  Array.isArray(value) ? value.map(spanMarkdown).join(", ") : spanMarkdown(value);

function spanMarkdown(value: Span): string {
  const text = cellText(value).replace(/\n/g, " ");
  const shown = typeof value !== "string" && value.code
    ? `\`${text.replace(/\|/g, "\\|")}\``
    : escape(text, true);
  return typeof value !== "string" && value.href ? `[${shown}](${value.href})` : shown;
}

/** A GFM table whose columns are padded to line up, so that it reads as plain text too. */
function markdownTable({ columns, align = [], rows }: Table): string {
  const cells = [columns, ...rows].map((row) => row.map(cellMarkdown));
  const widths = columns.map((_, i) =>
    Math.max(3, ...cells.map((row) => visibleWidth(row[i] ?? "")))
  );
  const pad = (text: string, i: number) => padVisible(text, widths[i], align[i] ?? "left");
  const line = (row: string[]) => `| ${row.map(pad).join(" | ")} |`;
  const rule = widths.map((w, i) => align[i] === "right" ? "-".repeat(w - 1) + ":" : "-".repeat(w));
  return [line(cells[0]), `| ${rule.join(" | ")} |`, ...cells.slice(1).map(line)].join("\n");
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
