/**
 * The report's blocks as plain text for a terminal `columns` wide: no Markdown markup nor
 * escapes, tables with padded columns (numbers right-aligned, as the table's `align` says)
 * and prose wrapped between words. A table wider than the terminal is split into column
 * groups printed one under the other, each repeating the first column (the row's name), so
 * no cell is cut and no line wraps (unless one column alone is wider than the terminal).
 */
import { padVisible, visibleWidth, wrapWords } from "../../pipeline/text_width.ts";
import { type Block, cellText, figureLabel, type ReportDocument, type Table } from "./document.ts";

const GAP = "  ";

export function renderPlainText(doc: ReportDocument, columns: number): string {
  // The last column is left free: some terminals wrap a line that reaches it.
  const width = Math.max(20, columns - 1);
  return [doc.title, ...doc.blocks.map((b) => block(b, width))].join("\n\n") + "\n";
}

function block(b: Block, width: number): string {
  switch (b.kind) {
    case "heading":
      return b.text;
    case "text":
      return wrapWords(b.text, width).join("\n");
    case "table":
      return plainTable(b.table, width);
    case "figure":
      return wrapWords(`${figureLabel(b.number, b.figure)} ${b.figure.description}`, width)
        .join("\n");
    case "code":
      return b.text.trimEnd();
  }
}

/** The table's columns, grouped to fit `width`, each group as aligned lines. */
export function plainTable({ columns, align = [], rows }: Table, width: number): string {
  const cells = rows.map((row) => row.map((cell) => cellText(cell).replace(/\s*\n\s*/g, " ")));
  const widths = columns.map((head, i) =>
    Math.max(visibleWidth(head), ...cells.map((row) => visibleWidth(row[i] ?? "")))
  );
  const line = (texts: string[], group: number[]) =>
    group.map((i) => padVisible(texts[i] ?? "", widths[i], align[i])).join(GAP).trimEnd();
  return columnGroups(widths, width).map((group) =>
    [
      line(columns, group),
      group.map((i) => "─".repeat(widths[i])).join(GAP),
      ...cells.map((row) => line(row, group)),
    ].join("\n")
  ).join("\n\n");
}

/** Column indices in groups no wider than `width`, each starting with column 0. */
function columnGroups(widths: number[], width: number): number[][] {
  if (widths.length <= 1) return [widths.map((_, i) => i)];
  const groups: number[][] = [];
  let group = [0], used = widths[0];
  for (let i = 1; i < widths.length; i++) {
    if (group.length > 1 && used + GAP.length + widths[i] > width) {
      groups.push(group);
      group = [0];
      used = widths[0];
    }
    group.push(i);
    used += GAP.length + widths[i];
  }
  groups.push(group);
  return groups;
}
