/**
 * CSV tables: rows written with a header in a stable column order, so the same rows give the
 * same bytes, and read back with numbers as numbers.
 */
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";

/** A flat record: one CSV row. */
export type Row = Record<string, string | number | boolean | null>;

/**
 * Rows as CSV text with a header. Columns come from `columns` or, by default, from the
 * order keys first appear in the rows, so the same rows always give the same bytes.
 * Numbers are written in full precision (JavaScript's shortest round-trip form), booleans
 * as true/false, null as an empty cell.
 */
export function toCsv(rows: Row[], columns?: string[]): string {
  const header = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return stringify(rows, { header: true, columns: header, cast: { boolean: String } });
}

export async function writeCsv(path: string, rows: Row[], columns?: string[]): Promise<void> {
  await Deno.writeTextFile(path, toCsv(rows, columns));
}

/** Read a CSV written by `writeCsv`; numeric-looking cells come back as numbers. */
export async function readCsv(path: string): Promise<Row[]> {
  return parse(await Deno.readTextFile(path), {
    columns: true,
    cast: (value) => value !== "" && Number.isFinite(Number(value)) ? Number(value) : value,
  });
}
