/**
 * Disk errors the user can fix (a full disk, a read-only store) as one line that says what
 * was being written, where, and what to do, instead of a stack trace. Used by the runner
 * around a stage's run and by any code that writes into the store (checkpoints).
 */
import { isAbsolute, relative, resolve } from "node:path";
import { UserError } from "./errors.ts";
import { stageLabel } from "./stage_line.ts";

/** Where a write failed: the store's root, and the stage and key it was for, if any. */
export interface DiskWrite {
  root: string;
  stage?: string;
  key?: string;
  /** What was being written ("the lock", "checkpoint.next/optimizer.bin"); by default the
   * path named in the error's message, relative to the store. */
  what?: string;
}

/** ENOSPC (errno 28) or EDQUOT (122): no room left to write. */
export function isNoSpace(error: unknown): boolean {
  return hasCode(error, ["ENOSPC", "EDQUOT"]) ||
    /No space left on device|os error 28\b|Disk quota exceeded|os error 122\b/.test(message(error));
}

/** EROFS (errno 30), or no permission (EACCES/EPERM, Deno's PermissionDenied). */
export function isReadOnly(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied ||
    hasCode(error, ["EROFS", "EACCES", "EPERM"]) ||
    /Read-only file system|os error 30\b|Permission denied|os error 13\b/.test(message(error));
}

/**
 * A one-line UserError for a full disk or a read-only store, or undefined when `error` is
 * neither (or is already a UserError): the caller rethrows the original then.
 */
export function describeDiskError(error: unknown, where: DiskWrite): UserError | undefined {
  if (error instanceof UserError) return undefined;
  const path = pathIn(error);
  const inStore = path === undefined || isInside(where.root, path);
  const what = where.what ?? (path === undefined ? "its files" : shortPath(where.root, path));
  const subject = where.stage
    ? `${where.key ? stageLabel(where.stage, where.key) : where.stage} (${what})`
    : what;
  if (isNoSpace(error)) {
    return new UserError(
      `no space left on device in ${inStore ? where.root : path} while writing ${subject}; ` +
        `free space and run again — nothing was published`,
      { cause: error },
    );
  }
  // A permission error elsewhere (a data file, the reports folder) is not the store's.
  if (isReadOnly(error) && inStore) {
    return new UserError(
      `the artifact store ${where.root} is read-only (needed to write ${subject}); ` +
        `make it writable or pass --artifacts <a writable dir> — nothing was published`,
      { cause: error },
    );
  }
  return undefined;
}

/**
 * `error` from writing `path`, with the path at the end of its message as Deno puts it
 * (`…: write '/x/y'`), where Deno's own message does not name it (writes to an open file):
 * describeDiskError reads the path from there. The OS error's code is kept.
 */
export function namingPath(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error.message.includes(path)) return error;
  const code = (error as { code?: string }).code;
  return Object.assign(new Error(`${error.message}: write '${path}'`, { cause: error }), { code });
}

/** Run `fn`; a full disk or read-only store becomes describeDiskError's one line. */
export async function withDiskErrors<T>(where: DiskWrite, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw describeDiskError(error, where) ?? error;
  }
}

function hasCode(error: unknown, codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.includes(code);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The path Deno names at the end of its message (`…: writefile '/x/y'`). */
function pathIn(error: unknown): string | undefined {
  return message(error).match(/'([^']+)'\s*$/)?.[1];
}

function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return !rel.startsWith("..") && !isAbsolute(rel);
}

/** A path in the store as the user thinks of it: inside a stage's scratch dir, its own name. */
function shortPath(root: string, path: string): string {
  if (!isInside(root, path)) return path;
  if (relative(resolve(root), resolve(path)).startsWith(".locks")) return "its lock";
  return relative(resolve(root), resolve(path)).replace(/^\.(tmp|work)\/[^/]+\//, "");
}
