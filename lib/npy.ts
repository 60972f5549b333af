/**
 * NumPy `.npy` files (format version 1.0), so every tensor the pipeline stores can be
 * opened with `numpy.load`. Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { fileURLToPath } from "node:url";
import { namingPath } from "../pipeline/disk_errors.ts";
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
const DTYPES: Record<NpyDtype, (buffer: ArrayBufferLike, at: number, length: number) => NpyData> = {
  "<f4": (b, at, length) => new Float32Array(b, at, length),
  "|u1": (b, at, length) => new Uint8Array(b, at, length),
  "<i4": (b, at, length) => new Int32Array(b, at, length),
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
  const head = headerBytes(data, shape);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head, 0);
  out.set(bytesOf(data), head.length);
  return out;
}

/** Everything of a `.npy` file before its data: magic, version, header length, header. */
function headerBytes(data: NpyData, shape: number[]): Uint8Array {
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
  const out = new Uint8Array(PREAMBLE + head.length);
  out.set(MAGIC, 0);
  out.set([1, 0, head.length & 0xff, head.length >> 8], MAGIC.length);
  out.set(head, PREAMBLE);
  return out;
}

function bytesOf(data: NpyData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Parse `.npy` bytes; `name` (usually the path) starts every error message. The array views
 * `bytes` where its data is aligned for its type (always, for a file NumPy or writeNpy wrote
 * and readNpy read): no copy of a large file's data.
 */
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
  const length = expected / itemSize;
  const at = bytes.byteOffset + dataStart;
  const data = at % itemSize === 0
    ? DTYPES[dtype](bytes.buffer, at, length)
    // Misaligned (bytes cut from a larger buffer): slice() copies into an aligned one.
    : DTYPES[dtype](bytes.slice(dataStart).buffer, 0, length);
  return { data, shape, dtype };
}

/** The `.npy` file of `data`: its header, then its data straight from memory (no copy). */
export async function writeNpy(path: string | URL, data: NpyData, shape: number[]): Promise<void> {
  const head = headerBytes(data, shape);
  try {
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    for (const part of [head, bytesOf(data)]) {
      for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
    }
  } catch (error) {
    throw namingPath(error, path instanceof URL ? fileURLToPath(path) : path);
  }
}

export async function readNpy(path: string | URL): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${path}: file not found; run the stage that writes it`);
    }
    throw e;
  }
  return decodeNpy(bytes, String(path));
}

/**
 * A file's bytes, read into one buffer of its size. Deno.readFile takes ~4× as long for the
 * prepared data's 25 MB (~190 ms against ~50 ms here): it grows its buffer as it reads.
 */
async function readWholeFile(path: string | URL): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  let bytes = new Uint8Array((await file.stat()).size);
  // Where a read past the stat size goes: it usually finds the end of the file.
  const probe = new Uint8Array(64 * 1024);
  let used = 0;
  while (true) {
    const n = await file.read(used < bytes.length ? bytes.subarray(used) : probe);
    if (n === null) return used === bytes.length ? bytes : bytes.subarray(0, used);
    if (used === bytes.length) {
      // The file grew since its stat (or has no size, a pipe): keep what came, read on.
      bytes = grown(bytes, probe.subarray(0, n));
    }
    used += n;
  }
}

function grown(bytes: Uint8Array, extra: Uint8Array): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(2 * bytes.length + extra.length);
  bigger.set(bytes);
  bigger.set(extra, bytes.length);
  return bigger;
}
