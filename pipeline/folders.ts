/**
 * Reading folder trees: the few walks the store, reports and checks all need. Nothing here
 * follows a symlink or opens anything that is not a regular file: a FIFO, a device or a
 * link to one (`/dev/zero`) put inside a store entry or a report folder is reported by
 * its kind, never read (reading it would block forever or never end).
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";

/** What a directory entry is, as `lstat` sees it (symlinks are not followed). */
export type EntryKind =
  | "file"
  | "directory"
  | "symlink"
  | "FIFO"
  | "socket"
  | "character device"
  | "block device"
  | "special file";

/** The kind of a `Deno.lstat` result. */
export function kindOf(info: Deno.FileInfo): EntryKind {
  if (info.isSymlink) return "symlink";
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isFifo) return "FIFO";
  if (info.isSocket) return "socket";
  if (info.isCharDevice) return "character device";
  if (info.isBlockDevice) return "block device";
  return "special file";
}

/** "a FIFO", "a symlink", "an …": the kind as the end of a sentence. */
export function describeKind(kind: EntryKind): string {
  return `a ${kind}`;
}

/** `<name> is not a regular file (a FIFO)`: the one way every check names such a file. */
export function notRegularProblem(name: string, kind: EntryKind): string {
  return `${name} is not a regular file (${describeKind(kind)})`;
}

/** Thrown when something that must be a regular file is not; the message names its kind. */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  constructor(readonly path: string, readonly kind: EntryKind, label = path) {
    super(notRegularProblem(label, kind));
  }
}

/** One entry under a folder: its relative path ("/" separators) and its kind. */
export interface TreeEntry {
  path: string;
  kind: Exclude<EntryKind, "directory">;
}

/**
 * Every non-directory under `dir`, sorted by path: regular files, and also symlinks and
 * special files (FIFOs, devices, sockets), each with its kind. A symlink is listed as
 * one, never followed, so a link to a folder is not descended into.
 */
export async function listTree(dir: string, prefix = ""): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isSymlink) out.push({ path: rel, kind: "symlink" });
    else if (entry.isDirectory) out.push(...await listTree(dir, rel));
    else if (entry.isFile) out.push({ path: rel, kind: "file" });
    else {
      // readDir does not say which special file it is: lstat does (and never follows).
      const kind = kindOf(await Deno.lstat(join(dir, rel)));
      if (kind === "directory") out.push(...await listTree(dir, rel));
      else out.push({ path: rel, kind });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Relative paths of everything under `dir` that is not a folder, sorted, with "/"
 * separators: regular files, symlinks and special files (see listTree for their kinds).
 * Symlinked folders are listed, not descended into.
 */
export async function listFiles(dir: string): Promise<string[]> {
  return (await listTree(dir)).map((entry) => entry.path);
}

/** Names of the visible subfolders of `dir` (internals start with "."); [] if it is absent. */
export async function subdirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      // A symlink to a folder is not a subfolder (readDir does not follow links).
      if (entry.isDirectory && !entry.isSymlink && !entry.name.startsWith(".")) {
        out.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort();
}

/** Bytes of every regular file under `dir` (symlinks are not followed). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isSymlink) continue;
    if (entry.isDirectory) total += await folderBytes(path);
    else if (entry.isFile) total += (await Deno.lstat(path)).size;
  }
  return total;
}

/** Whether anything (a file, folder or link) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The kind of what is at `path` (never following a symlink), or undefined if nothing is. */
export async function kindAt(path: string): Promise<EntryKind | undefined> {
  try {
    return kindOf(await Deno.lstat(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Open a regular file for reading, or throw NotRegularFileError: lstat first (a symlink or
 * a special file is refused unopened), then open without following a symlink and without
 * blocking (a FIFO swapped in between the two would otherwise block the open), then check
 * the opened file again. `label` names the file in the error (default: its path).
 */
export async function openRegularFile(
  path: string,
  label = path,
): Promise<{ handle: FileHandle; size: number }> {
  const kind = kindOf(await Deno.lstat(path));
  if (kind !== "file") throw new NotRegularFileError(path, kind, label);
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    // O_NOFOLLOW on a symlink swapped in since the lstat: ELOOP.
    if ((error as { code?: string }).code === "ELOOP") {
      throw new NotRegularFileError(path, "symlink", label);
    }
    throw error;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    const kind: EntryKind = stat.isFIFO()
      ? "FIFO"
      : stat.isCharacterDevice()
      ? "character device"
      : stat.isBlockDevice()
      ? "block device"
      : stat.isSocket()
      ? "socket"
      : stat.isDirectory()
      ? "directory"
      : "special file";
    throw new NotRegularFileError(path, kind, label);
  }
  return { handle, size: stat.size };
}

const CHUNK = 1024 * 1024;

/** Stream a regular file's bytes to `take` (see openRegularFile); returns the byte count. */
export async function readRegularFile(
  path: string,
  take: (chunk: Uint8Array) => void,
  options: { label?: string; maxBytes?: number } = {},
): Promise<number> {
  const { handle } = await openRegularFile(path, options.label);
  try {
    const buffer = new Uint8Array(CHUNK);
    let total = 0;
    while (true) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
      if (options.maxBytes !== undefined && total > options.maxBytes) {
        throw new FileTooLargeError(options.label ?? path, options.maxBytes);
      }
      take(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/** A file read with a limit held more bytes than the limit. */
export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
  constructor(readonly label: string, readonly maxBytes: number) {
    super(`${label} is larger than ${maxBytes} bytes`);
  }
}

/** The text of a regular file of at most `maxBytes` (see openRegularFile, readRegularFile). */
export async function readRegularTextFile(
  path: string,
  options: { label?: string; maxBytes: number },
): Promise<string> {
  const chunks: Uint8Array[] = [];
  await readRegularFile(path, (chunk) => chunks.push(chunk.slice()), options);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}
