import { parse } from "csv-parse/sync";
import { excerpt, MiB } from "../../pipeline/bounded_read.ts";
import { UserError } from "../../pipeline/errors.ts";
import type { DataParams } from "../../pipeline/config_schema.ts";
import { checkImageSize, readSourceFile, type Source } from "./dataset.ts";

/**
 * A CSV of square images: a header row, one label column (`labelColumn`), and every other
 * column one pixel in row-major order, with values in [0, pixelMax] (the Kaggle MNIST layout).
 */

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

/** A cell as a number, or null when it is not one (an empty cell is not zero). */
function numberOf(cell: string): number | null {
  const value = Number(cell);
  return cell.trim() === "" || !Number.isFinite(value) ? null : value;
}

export async function loadCsv(params: CsvParams): Promise<Source> {
  const { path, labelColumn, pixelMax } = params;
  const { bytes, file } = await readSourceFile(path, "data.csv.path", CSV_MAX_BYTES);
  const fail = (what: string, fix: string) => new UserError(`${path}: ${what}; ${fix}`);

  let rows: Row[];
  try {
    rows = parse(new TextDecoder().decode(bytes), {
      info: true,
      relax_column_count: true, // ragged rows are reported below, with their line number
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Row[];
  } catch (e) {
    // csv-parse may quote the offending field: keep a short, escaped excerpt of it.
    const reason = excerpt(String((e as Error).message).split("\n")[0], 80).slice(1, -1);
    throw fail(`is not valid CSV (${reason})`, "fix the file");
  }
  if (rows.length === 0) throw fail("is empty", "it needs a header row and one row per image");

  const header = rows[0].record;
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
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
    const at = (c: number) => `line ${info.lines}, column ${excerpt(header[c], 20)}`;
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
        throw fail(`${at(c)}: ${excerpt(record[c], 20)} is not a number`, "fix the cell");
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
