/**
 * comparison.csv: every column of the comparison's tables in one table, one row per run,
 * each cell as the table prints it (numbers to the table's digits, `n/a` where one does not
 * apply, `†` beside a value at a limit). The compare stage writes it; `compare --json` prints
 * it back as JSON.
 */
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { toCsv } from "../../lib/table.ts";
import { cellText, type Table } from "../render/document.ts";

export const COMPARISON_CSV = "comparison.csv";

/** The comparison as read back: its column heads in order, and each run's cells by head. */
export interface ComparisonRows {
  columns: string[];
  rows: Record<string, string>[];
}

export async function writeComparisonCsv(outDir: string, table: Table): Promise<void> {
  const rows = table.rows.map((row) =>
    Object.fromEntries(row.map((cell, i) => [table.columns[i], cellText(cell)]))
  );
  await Deno.writeTextFile(join(outDir, COMPARISON_CSV), toCsv(rows, table.columns));
}

/** A compare artifact's comparison.csv; every cell stays text (a short key is not a number). */
export async function readComparisonCsv(dir: string): Promise<ComparisonRows> {
  const [columns, ...cells]: string[][] = parse(
    await Deno.readTextFile(join(dir, COMPARISON_CSV)),
  );
  return {
    columns,
    rows: cells.map((row) => Object.fromEntries(columns.map((head, i) => [head, row[i]]))),
  };
}
