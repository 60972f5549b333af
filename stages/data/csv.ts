/**
 * A CSV of square images: a header row, one label column (`labelColumn`), and every other
 * column one pixel in row-major order, with values in [0, pixelMax] (the Kaggle MNIST layout).
 */
import { parse } from "csv-parse/sync";
import { excerpt, MiB, showPath } from "../../pipeline/bounded_read.ts";
import { UserError } from "../../pipeline/errors.ts";
import type { DataParams } from "../config_schema.ts";
import { checkImageSize, readSourceFile, type Source } from "./dataset.ts";

export type CsvParams = NonNullable<DataParams["csv"]>;

/**
 * A CSV is parsed whole, as strings, which takes about ten times its size in memory, and one
 * JS string holds at most 512 Mi characters: 256 MiB keeps both in reach (Kaggle's MNIST
 * train.csv is 73 MB, Fashion-MNIST's 127 MB).
 */
export const CSV_MAX_BYTES = 256 * MiB;

interface Row {
  record: string[];
  info: { lines: number };
}

/**
 * Header cells are quoted in a message only when they look like column names: a file that is
 * not a CSV at all (`data.csv.path: ~/.aws/credentials`) must not have its first line printed.
 */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_ .\-]{0,40}$/;

function looksLikeHeader(header: string[]): boolean {
  return header.length >= 2 && header.every((cell) => COLUMN_NAME.test(cell));
}

/**
 * A bad cell as a message shows it: quoted when it is a mistyped number ("1..5", "", "1e"),
 * or a short word in a file whose header looks like a CSV's ("zero"); anything else (a file
 * that is not a CSV, `key=value`, a long token) is described by its length, not shown.
 */
function showCell(cell: string, named: boolean): string {
  if (/^[-+0-9.eE]{0,12}$/.test(cell)) return excerpt(cell, 20);
  if (named && /^[A-Za-z0-9_.+\-]{1,20}$/.test(cell)) return excerpt(cell, 20);
  return `a cell of ${[...cell].length} characters`;
}

/** A csv-parse error as its code and line: its message may quote the file (`value is "…"`). */
function parseProblem(error: unknown): string {
  const { code, lines } = error as { code?: unknown; lines?: unknown };
  const what = typeof code === "string" && /^[A-Z_]{1,60}$/.test(code)
    ? code.replace(/^CSV_/, "").toLowerCase().replaceAll("_", " ")
    : "unreadable";
  return typeof lines === "number" ? `${what} at line ${lines}` : what;
}

/** A cell as a number, or null when it is not one (an empty cell is not zero). */
function numberOf(cell: string): number | null {
  const value = Number(cell);
  return cell.trim() === "" || !Number.isFinite(value) ? null : value;
}

export async function loadCsv(params: CsvParams): Promise<Source> {
  const { path, labelColumn, pixelMax } = params;
  const { bytes, file } = await readSourceFile(path, "data.csv.path", CSV_MAX_BYTES);
  const fail = (what: string, fix: string) => new UserError(`${showPath(path)}: ${what}; ${fix}`);

  let rows: Row[];
  try {
    rows = parse(new TextDecoder().decode(bytes), {
      info: true,
      relax_column_count: true, // ragged rows are reported below, with their line number
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Row[];
  } catch (e) {
    throw fail(`is not valid CSV (${parseProblem(e)})`, "fix the file");
  }
  if (rows.length === 0) throw fail("is empty", "it needs a header row and one row per image");

  const header = rows[0].record;
  const named = looksLikeHeader(header);
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    if (!named) {
      throw fail(
        `has no column ${excerpt(labelColumn, 40)}, and its first line does not look like a ` +
          `CSV header (${header.length} field${header.length === 1 ? "" : "s"})`,
        "point data.csv.path at a CSV with a header row of column names",
      );
    }
    const shown = header.slice(0, 5).map((c) => excerpt(c, 20)).join(", ");
    throw fail(
      `has no column ${excerpt(labelColumn, 40)} (columns: ${shown}${
        header.length > 5 ? ", …" : ""
      })`,
      "set data.csv.labelColumn to the name of the label column",
    );
  }
  const pixels = header.length - 1;
  const side = Math.round(Math.sqrt(pixels));
  if (pixels === 0 || side * side !== pixels) {
    throw fail(
      `has ${pixels} pixel columns, which is not a square image`,
      "give one column per pixel of an n×n image",
    );
  }
  const n = rows.length - 1;
  if (n === 0) throw fail("has a header but no data rows", "add one row per image");
  checkImageSize(path, "data.csv.path", n, side, side);

  const images = new Float32Array(n * pixels);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const { record, info } = rows[r + 1];
    const at = (c: number) =>
      `line ${info.lines}, column ${
        named ? excerpt(header[c], 20) : `${c + 1} of ${header.length}`
      }`;
    if (record.length !== header.length) {
      throw fail(
        `line ${info.lines} has ${record.length} fields but the header has ${header.length}`,
        "give every row one label and one value per pixel",
      );
    }
    let p = 0;
    for (let c = 0; c < record.length; c++) {
      const value = numberOf(record[c]);
      if (value === null) {
        throw fail(`${at(c)}: ${showCell(record[c], named)} is not a number`, "fix the cell");
      }
      if (c === labelIndex) {
        if (!Number.isInteger(value) || value < 0 || value > 255) {
          throw fail(`${at(c)}: label ${value} is not an integer in 0..255`, "fix the label");
        }
        labels[r] = value;
      } else {
        if (value < 0 || value > pixelMax) {
          throw fail(
            `${at(c)}: ${value} is outside [0, ${pixelMax}]`,
            "set data.csv.pixelMax to the largest pixel value the data uses",
          );
        }
        images[r * pixels + p++] = value / pixelMax;
      }
    }
  }
  return {
    name: path,
    train: { images, labels, height: side, width: side },
    test: null,
    files: [file],
  };
}
