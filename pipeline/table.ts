import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";

/** A flat record: one CSV row. */
export type Row = Record<string, string | number | boolean | null>;

/**
 * Rows as CSV text with a header. Columns come from `columns` or, by default, from the
 * first row's keys in order, so the same rows always give the same bytes. Numbers are
 * written with full precision (JavaScript's shortest round-trip form).
 */
export function toCsv(rows: Row[], columns?: string[]): string {
  const header = columns ?? Object.keys(rows[0] ?? {});
  return stringify(rows.map((row) => header.map((c) => row[c] ?? "")), {
    header: true,
    columns: header,
  });
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
