/**
 * NumPy `.npy` files (format version 1.0), so every tensor the pipeline stores can be
 * opened with `numpy.load`. Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { UserError } from "../pipeline/errors.ts";

export type NpyDtype = "<f4" | "|u1" | "<i4";
export type NpyData = Float32Array | Uint8Array | Int32Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version, 2-byte header length (v1.0)
const ALIGN = 64; // NumPy aligns the data so it can be memory-mapped
const GROWTH_DIGITS = 21; // NumPy leaves room for the first dimension to grow in place

// Every machine we run on is little-endian, so typed arrays already hold '<' bytes.
const DTYPES: Record<NpyDtype, (buffer: ArrayBuffer) => NpyData> = {
  "<f4": (b) => new Float32Array(b),
  "|u1": (b) => new Uint8Array(b),
  "<i4": (b) => new Int32Array(b),
};

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Uint8Array) return "|u1";
  return "<i4";
}

/** Python's repr of a shape tuple: `()`, `(5,)`, `(2, 3)`. */
function shapeRepr(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** The header exactly as NumPy writes it, byte for byte, so files hash the same either way. */
function header(dtype: NpyDtype, shape: number[]): string {
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_DIGITS - String(shape[0]).length);
  const padding = ALIGN - ((PREAMBLE + dict.length + 1) % ALIGN);
  return dict + " ".repeat(padding % ALIGN) + "\n";
}

/** Serialize a C-ordered array of `shape` to the bytes of a `.npy` file. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`encodeNpy: shape ${JSON.stringify(shape)} must be non-negative integers`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(
      `encodeNpy: shape ${shapeRepr(shape)} needs ${size} values, got ${data.length}`,
    );
  }
  const head = new TextEncoder().encode(header(dtypeOf(data), shape));
  const out = new Uint8Array(PREAMBLE + head.length + data.byteLength);
  out.set(MAGIC, 0);
  out.set([1, 0, head.length & 0xff, head.length >> 8], MAGIC.length);
  out.set(head, PREAMBLE);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), PREAMBLE + head.length);
  return out;
}

/** Parse `.npy` bytes; `name` (usually the path) starts every error message. */
export function decodeNpy(bytes: Uint8Array, name = "npy data"): NpyArray {
  const fail = (what: string, fix: string) => new UserError(`${name}: ${what}; ${fix}`);
  if (bytes.length < PREAMBLE || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw fail("not a .npy file (bad magic bytes)", "write it with numpy.save or writeNpy");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw fail(`unsupported .npy format version ${major}.${bytes[7]}`, "save it with numpy.save");
  }
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw fail("the header is truncated", "write the file again");
  const dict = new TextDecoder().decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr':\s*'([^']*)'/.exec(dict)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw fail(`unreadable header ${JSON.stringify(dict.trim())}`, "write it with numpy.save");
  }
  if (!(descr in DTYPES)) {
    throw fail(`dtype '${descr}' is not supported`, "save it as float32, uint8 or int32");
  }
  if (fortran === "True") {
    throw fail("is in Fortran order", "save numpy.ascontiguousarray(a) instead");
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw fail(`bad shape (${shapeText})`, "write the file again");
  }

  const dtype = descr as NpyDtype;
  const itemSize = dtype === "|u1" ? 1 : 4;
  const expected = shape.reduce((a, b) => a * b, 1) * itemSize;
  const found = bytes.length - dataStart;
  if (found !== expected) {
    throw fail(
      `shape ${shapeRepr(shape)} needs ${expected} data bytes but the file has ${found}`,
      "the file is truncated or corrupt, write it again",
    );
  }
  // slice() copies into a fresh, aligned buffer that a typed array can view.
  const data = DTYPES[dtype](bytes.slice(dataStart).buffer);
  return { data, shape, dtype };
}

export async function writeNpy(path: string | URL, data: NpyData, shape: number[]): Promise<void> {
  await Deno.writeFile(path, encodeNpy(data, shape));
}

export async function readNpy(path: string | URL): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${path}: file not found; run the stage that writes it`);
    }
    throw e;
  }
  return decodeNpy(bytes, String(path));
}
