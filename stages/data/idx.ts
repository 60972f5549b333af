/**
 * IDX files, the format MNIST and Fashion-MNIST ship in (http://yann.lecun.com/exdb/mnist/):
 * a big-endian magic number (0x0000 08 nd: unsigned bytes, nd dimensions), nd big-endian
 * uint32 sizes, then the bytes in C order. Gzipped files are recognised by their content.
 */
import { gunzipSync } from "node:zlib";
import { DATA_MAX_BYTES, formatSize } from "../../pipeline/bounded_read.ts";
import { UserError } from "../../pipeline/errors.ts";
import type { DataParams } from "../config_schema.ts";
import { checkImageSize, type Dataset, readSourceFile, type Source } from "./dataset.ts";

export type IdxParams = NonNullable<DataParams["idx"]>;

export const IDX_IMAGES = 0x00000803;
export const IDX_LABELS = 0x00000801;

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

/** Encode unsigned bytes of shape `dims` as an (uncompressed) IDX file. */
export function encodeIdx(data: Uint8Array, dims: number[]): Uint8Array {
  const head = 4 + 4 * dims.length;
  const out = new Uint8Array(head + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, head);
  return out;
}

/**
 * Decode IDX bytes (gzipped or not) that must carry `magic`; `path` and `key` go in errors.
 * A gzipped file may unpack to at most `maxBytes` (DATA_MAX_BYTES): a gzip bomb stops there.
 */
export function decodeIdx(
  raw: Uint8Array,
  magic: number,
  path: string,
  key: string,
  maxBytes = DATA_MAX_BYTES,
): { dims: number[]; data: Uint8Array } {
  const fail = (what: string, fix: string) => new UserError(`${path}: ${what}; ${fix}`);
  let bytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      // A Node Buffer: view it as a plain Uint8Array.
      const unzipped = gunzipSync(raw, { maxOutputLength: maxBytes });
      bytes = new Uint8Array(unzipped.buffer, unzipped.byteOffset, unzipped.byteLength);
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw fail(
          `unpacks to more than ${formatSize(maxBytes)}, the limit for a data file (${key})`,
          "use a smaller data set",
        );
      }
      // zlib's code, never its message: nothing of the file goes into an error.
      const code = (e as { code?: unknown }).code;
      const reason = typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : "";
      throw fail(`is not a valid gzip file${reason}`, "download it again");
    }
  }
  if (bytes.length < 4) throw fail("is too short to be an IDX file", `check ${key}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic && found >>> 16 !== 0) {
    // Not IDX at all: its first four bytes may be anything (a key file), so they are not shown.
    throw fail(
      "is not an IDX file (it does not start with an IDX magic number)",
      `point ${key} at an IDX ${magic === IDX_IMAGES ? "images" : "labels"} file`,
    );
  }
  if (found !== magic) {
    const swapped = found === IDX_IMAGES || found === IDX_LABELS
      ? `it looks like ${found === IDX_IMAGES ? "an images" : "a labels"} file, check ${key}`
      : `point ${key} at an IDX ${magic === IDX_IMAGES ? "images" : "labels"} file`;
    throw fail(`IDX magic number is ${hex(found)}, expected ${hex(magic)}`, swapped);
  }
  const rank = magic & 0xff;
  const dataStart = 4 + 4 * rank;
  if (bytes.length < dataStart) throw fail("is truncated inside its header", "download it again");
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const size = bytes.length - dataStart;
  if (size !== expected) {
    const what = size < expected ? "is truncated" : "has trailing bytes";
    throw fail(
      `${what}: its header says ${dims.join("×")} = ${expected} bytes of data but it holds ${size}`,
      "download it again",
    );
  }
  return { dims, data: bytes.subarray(dataStart) };
}

/** Read one images/labels pair and check that they belong together. */
async function readPair(imagesPath: string, labelsPath: string, split: string) {
  const imagesKey = `data.idx.${split}Images`;
  const labelsKey = `data.idx.${split}Labels`;
  const images = await readSourceFile(imagesPath, imagesKey);
  const labels = await readSourceFile(labelsPath, labelsKey);
  const x = decodeIdx(images.bytes, IDX_IMAGES, imagesPath, imagesKey);
  const y = decodeIdx(labels.bytes, IDX_LABELS, labelsPath, labelsKey);
  const [n, height, width] = x.dims;
  if (y.dims[0] !== n) {
    throw new UserError(
      `${labelsPath}: has ${y.dims[0]} labels but ${imagesPath} has ${n} images; ` +
        `set ${labelsKey} to the labels file that goes with ${imagesKey}`,
    );
  }
  if (n === 0 || height === 0 || width === 0) {
    throw new UserError(`${imagesPath}: holds no images (${x.dims.join("×")}); check ${imagesKey}`);
  }
  checkImageSize(imagesPath, imagesKey, n, height, width);
  // Unsigned bytes are grey levels 0..255 by construction, so scaling lands in [0, 1].
  const pixels = new Float32Array(x.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = x.data[i] / 255;
  const data: Dataset = { images: pixels, labels: y.data.slice(), height, width };
  return { data, files: [images.file, labels.file] };
}

/** The IDX source: train files, and test files when given (otherwise the stage splits train). */
export async function loadIdx(params: IdxParams): Promise<Source> {
  const train = await readPair(params.trainImages, params.trainLabels, "train");
  if (params.testImages === undefined || params.testLabels === undefined) {
    return { name: params.trainImages, train: train.data, test: null, files: train.files };
  }
  const test = await readPair(params.testImages, params.testLabels, "test");
  const [a, b] = [train.data, test.data];
  if (a.height !== b.height || a.width !== b.width) {
    throw new UserError(
      `${params.testImages}: images are ${b.height}×${b.width} but the train images are ` +
        `${a.height}×${a.width}; use test files from the same dataset`,
    );
  }
  return {
    name: params.trainImages,
    train: a,
    test: b,
    files: [...train.files, ...test.files],
  };
}
