/**
 * Reading an upstream artifact's files, for the stages that render them: one error per
 * missing file that names it and the stage to re-run, and CSV cells read as numbers and
 * booleans (an empty cell is a value that does not apply).
 */
import { basename, dirname, join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { readCsv, type Row } from "../../lib/table.ts";

/** A file-not-found becomes null: the file is one that only some models write. */
export async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof MissingInput) return null;
    throw error;
  }
}

class MissingInput extends UserError {}

/** Throws MissingInput, naming the stage to re-run, when `path` does not exist. */
export async function present(path: string, stage: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInput(`report: ${path} is missing; re-run the ${stage} stage`);
    }
    throw error;
  }
}

/**
 * `file` of a stage's artifact `dir`, read by `read` (the stage's own reader, given the dir):
 * a missing or corrupt file names the stage to re-run.
 */
export async function readUpstream<T>(
  dir: string,
  file: string,
  stage: string,
  read: (dir: string) => Promise<T>,
): Promise<T> {
  const path = join(dir, file);
  await present(path, stage);
  try {
    return await read(dir);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new UserError(`report: ${path} is not valid JSON (${error}); re-run the ${stage} stage`);
  }
}

/** A JSON file of a stage's that has no reader of its own. */
export function readJson<T>(path: string, stage: string): Promise<T> {
  return readUpstream(
    dirname(path),
    basename(path),
    stage,
    async () => JSON.parse(await Deno.readTextFile(path)),
  );
}

/** A CSV's rows, an empty cell (a value that does not apply) as null. */
export async function readRows(path: string, stage: string): Promise<Row[]> {
  await present(path, stage);
  const rows = await readCsv(path);
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === "" ? null : v]))
  );
}

/** A CSV cell as a number; empty, missing or non-numeric cells are null. */
export function num(row: Row, column: string): number | null {
  const value = row[column];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A CSV cell as a boolean (`true`/`false`, or 1/0). */
export function bool(row: Row, column: string): boolean {
  const value = row[column];
  return value === true || value === "true" || value === 1;
}
