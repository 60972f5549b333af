/**
 * Reading a file a user named (a config, a data file) without trusting it: the path must name
 * a regular file (checked by stat before opening, so /dev/zero, a FIFO or a socket is never
 * opened), and the bytes are counted while they are read, so a file bigger than the limit, or
 * one that grows while being read (or a /proc file whose stat size is 0), stops at the limit
 * instead of filling memory. Every failure is a one-line UserError that names the file, the
 * YAML path that points at it and the fix, and never quotes the file's contents.
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { UserError } from "./errors.ts";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/**
 * Data files (IDX, CSV, the mnist package's JSON) are at most 1 GiB: the largest set this
 * pipeline is meant for, Fashion-MNIST, is 47 MB of IDX, and 1 GiB of unsigned bytes already
 * becomes 4 GiB of float32 in memory (see stages/limits.ts for the memory budget).
 */
export const DATA_MAX_BYTES = 1 * GiB;

export interface BoundedReadOptions {
  /** Refuse (and stop reading) past this many bytes. */
  maxBytes: number;
  /** What the file is, for the message: "config", "data file". */
  what: string;
  /** The YAML path whose value names the file ("extends", "data.csv.path"). */
  yamlPath?: string;
  /** The config file that names it, shown as "(<yamlPath> in <referrer>)". */
  referrer?: string;
  /** The fix when the path is wrong (default: "fix the path"). */
  fix?: string;
}

/** The bytes of a regular file of at most `maxBytes`, or a one-line UserError. */
export async function readBoundedFile(path: string, opts: BoundedReadOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let buffer = new Uint8Array(0);
  let used = 0;
  await streamBoundedFile(path, opts, (size) => {
    buffer = new Uint8Array(Math.min(size, opts.maxBytes));
  }, (chunk) => {
    // The stat size is usually exact: fill the buffer allocated for it, and keep whatever
    // comes past it (a /proc file, a file still being written) as extra chunks.
    const fits = Math.min(chunk.length, buffer.length - used);
    buffer.set(chunk.subarray(0, fits), used);
    used += fits;
    if (fits < chunk.length) chunks.push(chunk.slice(fits));
  });
  if (chunks.length === 0) return used === buffer.length ? buffer : buffer.subarray(0, used);
  const total = used + chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  out.set(buffer.subarray(0, used));
  let offset = used;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** sha256 and size of a regular file of at most `maxBytes`, streamed, or a one-line UserError. */
export async function hashBoundedFile(
  path: string,
  opts: BoundedReadOptions,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  await streamBoundedFile(path, opts, () => {}, (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  return { sha256: hash.digest("hex"), size };
}

/** Check that `path` names a regular file within the limit, without opening it. */
export async function statRegularFile(
  path: string,
  opts: BoundedReadOptions,
): Promise<Deno.FileInfo> {
  if (path.includes("\0")) throw fail(path, opts, "the path contains a NUL byte", opts.fix);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path); // follows symlinks: a link to /dev/zero is a device
  } catch (error) {
    throw fail(path, opts, ...osProblem(error, opts));
  }
  checkKind(path, info, opts);
  if (info.size > opts.maxBytes) {
    throw fail(
      path,
      opts,
      `is ${formatSize(info.size)}, over the ${formatSize(opts.maxBytes)} limit for a ${opts.what}`,
      sizeFix(opts),
    );
  }
  return info;
}

const CHUNK = 1 * MiB;

/**
 * stat, open, fstat again (the path may have been swapped), then read under the limit. Each
 * chunk `take` gets is only valid during the call: the next read overwrites it.
 */
async function streamBoundedFile(
  path: string,
  opts: BoundedReadOptions,
  start: (size: number) => void,
  take: (chunk: Uint8Array) => void,
): Promise<void> {
  await statRegularFile(path, opts);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw fail(path, opts, ...osProblem(error, opts));
  }
  try {
    const info = await file.stat();
    checkKind(path, info, opts);
    start(info.size);
    const scratch = new Uint8Array(CHUNK);
    let total = 0;
    while (true) {
      let n: number | null;
      try {
        n = await file.read(scratch);
      } catch (error) {
        throw fail(path, opts, ...osProblem(error, opts));
      }
      if (n === null) break;
      total += n;
      if (total > opts.maxBytes) {
        throw fail(
          path,
          opts,
          `holds more than the ${formatSize(opts.maxBytes)} limit for a ${opts.what} ` +
            `(it grew while being read, or its size is not known in advance)`,
          sizeFix(opts),
        );
      }
      take(scratch.subarray(0, n));
    }
  } finally {
    file.close();
  }
}

function checkKind(path: string, info: Deno.FileInfo, opts: BoundedReadOptions): void {
  if (info.isFile) return;
  const kind = info.isDirectory
    ? "a directory"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : info.isFifo
    ? "a FIFO (named pipe)"
    : info.isSocket
    ? "a socket"
    : "not a regular file";
  const what = kind.startsWith("not") ? kind : `${kind}, not a file`;
  throw fail(path, opts, `is ${what}`, regularFix(opts));
}

/** An OS error as a short reason: never its message, which may hold the path or more. */
function osProblem(error: unknown, opts: BoundedReadOptions): [string, string | undefined] {
  if (error instanceof Deno.errors.NotFound) return ["file not found", opts.fix];
  if (error instanceof Deno.errors.PermissionDenied) {
    return ["permission denied", "make it readable, or copy the file"];
  }
  if (error instanceof Deno.errors.NotADirectory) {
    return ["a part of the path is not a directory", opts.fix];
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return ["is a directory, not a file", regularFix(opts)];
  }
  if (error instanceof Deno.errors.FilesystemLoop) return ["has a symlink loop", opts.fix];
  if (error instanceof TypeError) return ["is not a valid path", opts.fix];
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown })?.code;
  return [`cannot be read (${name}${typeof code === "string" ? ` ${code}` : ""})`, opts.fix];
}

function regularFix(opts: BoundedReadOptions): string {
  return opts.yamlPath ? `point ${opts.yamlPath} at a regular file` : "name a regular file";
}

function sizeFix(opts: BoundedReadOptions): string {
  return opts.what === "config"
    ? "a config is a few lines of YAML: point at the right file"
    : "use a smaller file (the limits are in pipeline/bounded_read.ts)";
}

function fail(path: string, opts: BoundedReadOptions, problem: string, fix?: string): UserError {
  const where = opts.yamlPath
    ? ` (${opts.yamlPath}${opts.referrer ? ` in ${opts.referrer}` : ""})`
    : opts.referrer
    ? ` (named in ${opts.referrer})`
    : "";
  return new UserError(`${showPath(path)}: ${problem}${where}; ${fix ?? "fix the path"}`);
}

/** Bytes as "1 MiB", "4.2 GiB". */
export function formatSize(bytes: number): string {
  const units: [number, string][] = [[GiB, "GiB"], [MiB, "MiB"], [KiB, "KiB"]];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toPrecision(3))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * A value as it may appear in a one-line error: JSON-escaped (no newlines, no control
 * characters) and at most `max` characters of it, with "…" when cut. Never a whole file.
 */
export function excerpt(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const clean = (s: string) => s.replace(CONTROL, (c) => escapeChar(c));
  if (typeof value !== "string") return clean(text.length > max ? text.slice(0, max) + "…" : text);
  const cut = [...text].slice(0, max).join(""); // whole code points, no lone surrogates
  const quoted = clean(JSON.stringify(cut));
  return cut.length < text.length ? `${quoted.slice(0, -1)}…"` : quoted;
}

/**
 * Characters that would break a one-line message or hide text on a terminal: C0/C1 controls,
 * line and paragraph separators, zero-width and bidi marks (U+200B–U+200F), bidi embeddings
 * and overrides (U+202A–U+202E, e.g. the right-to-left override), bidi isolates
 * (U+2066–U+2069) and the zero-width no-break space / BOM (U+FEFF).
 */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * A path for a message: relative to the working directory when inside it, as given
 * otherwise; escaped and shortened when it is long or holds control characters.
 */
export function showPath(path: string): string {
  const rel = path.includes("\0") ? path : relative(Deno.cwd(), path);
  const shown = rel.startsWith("..") || rel === "" ? path : rel;
  if (shown.length <= 200 && !new RegExp(CONTROL.source).test(shown)) return shown;
  return excerpt(shown, 120);
}
