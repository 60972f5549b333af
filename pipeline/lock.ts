/**
 * One run per artifact key: a lock file that says who holds it (host, boot, pid namespace,
 * pid, start time; see process_identity.ts), so a later run can tell a live owner, which it
 * waits for and names, from a provably dead one, whose lock it takes over and says so.
 *
 * - Taking: the JSON is written and fsynced to a private file first, then hard-linked to
 *   the lock path; link fails if the lock exists, and a reader never sees half a record.
 * - Taking over a dead owner's lock: under a short kernel lock (flock, released if we die),
 *   rename it to a unique side name, check it is the record we judged, delete it, retry.
 * - Waiting: one line naming the owner and when it took the lock, repeated every ~30 s.
 * - Our own pid and start time in a lock that no call of ours holds is a bug: we throw
 *   rather than wait on ourselves. Calls in one process for one path queue behind each other.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, join, resolve } from "node:path";
import {
  currentProcess,
  judgeLegacyPid,
  judgeOwner,
  type Liveness,
  type ProcessIdentity,
  readProcStat,
} from "./process_identity.ts";
import { UserError } from "./errors.ts";
import { formatDuration } from "./units.ts";

/** What a lock file holds. */
export interface LockRecord extends ProcessIdentity {
  /** When the lock was taken (ISO 8601). */
  takenAt: string;
  /** Unique per withLock call: tells calls of one process apart. */
  token: string;
}

/** The owner of a lock we wait for or take over, with what we know of it. */
export interface LockOwnerInfo {
  path: string;
  /** The record, or for a pid-only lock of an earlier version just its pid. */
  owner: LockRecord | { pid: number };
  liveness: Liveness;
  /** One line for a log: `waiting for run 32414 on host h (lock taken …, 42 s ago)`. */
  message: string;
}

export interface LockOptions {
  /** Called when waiting starts, when the owner changes, and every `reportEveryMs`. */
  onWait?: (info: LockOwnerInfo & { waitedMs: number }) => void;
  /** Called once per lock of a dead owner that was removed. */
  onTakeOver?: (info: LockOwnerInfo) => void;
  /** How often to retry while the lock is held (default 200 ms). */
  pollMs?: number;
  /** How often to repeat the waiting line (default 30 s). */
  reportEveryMs?: number;
  /** Give up after this long (tests only: the CLI waits indefinitely, and keeps saying so). */
  timeoutMs?: number;
  /** An empty or unparseable lock file older than this is a writer that died mid-write
   * (earlier versions wrote in place); younger, it is being written (default 10 s). */
  unreadableGraceMs?: number;
}

/** Tokens held by the current async call chain: a nested call for one of them is a bug. */
const heldInChain = new AsyncLocalStorage<ReadonlySet<string>>();
/** Tokens held by any call in this process. */
const heldHere = new Set<string>();
/** Files this process holds (lock files, run leases) → their text, for releaseHeld. */
const heldFiles = new Map<string, string>();

/** Note a file this process holds until `forgetHeld`, so an interrupt can release it. */
export function noteHeld(path: string, text: string): void {
  heldFiles.set(path, text);
}

export function forgetHeld(path: string): void {
  heldFiles.delete(path);
}

/**
 * Remove every lock and lease this process holds, if still ours: for the CLI's signal
 * handler, which exits at once (no `finally` runs), so the next run finds no stale lock.
 */
export function releaseHeld(): void {
  for (const [path, text] of heldFiles) {
    try {
      if (Deno.readTextFileSync(path) === text) Deno.removeSync(path);
    } catch { /* gone already, or unreadable: the next run judges it */ }
  }
  heldFiles.clear();
}

/**
 * Run `fn` while holding the lock file `path`, so two runs asking for the same artifact at
 * once do the work once: the second waits, then finds the first one's result.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const record: LockRecord = {
    ...currentProcess(),
    takenAt: "",
    token: crypto.randomUUID(),
  };
  path = resolve(path);
  const text = await acquire(path, record, options);
  noteHeld(path, text);
  const chain = new Set(heldInChain.getStore() ?? []).add(record.token);
  try {
    return await heldInChain.run(chain, fn);
  } finally {
    forgetHeld(path);
    // Remove the lock only if it is still ours (it always should be). Never throw from
    // here: that would hide the error `fn` may be failing with. The token stays known
    // until the file is gone, so a call of this process waiting on it never sees a lock
    // naming us that no call holds.
    try {
      if (await readText(path) === text) await Deno.remove(path);
    } catch { /* a lock we cannot remove is judged by the next run: we will be dead */ }
    heldHere.delete(record.token);
  }
}

async function acquire(path: string, record: LockRecord, options: LockOptions): Promise<string> {
  const pollMs = options.pollMs ?? 200;
  const reportEveryMs = options.reportEveryMs ?? 30_000;
  const graceMs = options.unreadableGraceMs ?? 10_000;
  const started = Date.now();
  let lastReport = -Infinity;
  let lastSeen: string | undefined;
  while (true) {
    // Read first: a waiting run only reads, it writes nothing until the lock is free.
    const seen = await readLock(path);
    if (seen.kind === "missing") {
      record.takenAt = new Date().toISOString();
      const text = JSON.stringify(record) + "\n";
      heldHere.add(record.token); // before the link: a sibling may read the file at once
      if (await tryCreate(path, text)) return text;
      heldHere.delete(record.token);
      continue; // someone was faster: read who
    }
    let info: LockOwnerInfo | undefined;
    if (seen.kind === "unreadable") {
      if (seen.ageMs > graceMs) {
        const liveness: Liveness = {
          verdict: "dead",
          reason: `its file stayed ${seen.text.trim() ? "unreadable" : "empty"} for ` +
            `${formatDuration(seen.ageMs)}: the writer died mid-write`,
        };
        info = { path, owner: { pid: 0 }, liveness, message: "" };
        info.message = `took over the lock ${path} (${liveness.reason})`;
        if (await takeOver(path, seen.text)) options.onTakeOver?.(info);
        continue;
      }
      // Being written by an earlier version (which wrote in place): retry shortly.
    } else {
      const liveness = seen.kind === "legacy"
        ? judgeLegacyPid(seen.owner.pid)
        : judgeOwner(seen.owner);
      if (liveness.verdict === "self") {
        const token = (seen.owner as LockRecord).token;
        if (heldInChain.getStore()?.has(token)) {
          throw new Error(`withLock(${path}) called again while this call chain holds it`);
        }
        if (!heldHere.has(token)) {
          // A call of ours may have released it since we read it (it forgets its token
          // only after removing the file): only a file still there is a lost lock.
          if (await readText(path) !== seen.text) continue;
          throw new Error(
            `the lock ${path} names this very process (pid ${Deno.pid}) but no call of it ` +
              `holds the lock: a bug (a lock not released); not waiting on ourselves`,
          );
        }
        // Another call in this process holds it: wait like for anyone else.
      }
      if (liveness.verdict === "dead") {
        info = {
          path,
          owner: seen.owner,
          liveness,
          message: describe(path, seen, liveness, "take"),
        };
        if (await takeOver(path, seen.text)) options.onTakeOver?.(info);
        continue;
      }
      info = { path, owner: seen.owner, liveness, message: describe(path, seen, liveness, "wait") };
      const now = Date.now();
      if (seen.text !== lastSeen || now - lastReport >= reportEveryMs) {
        options.onWait?.({ ...info, waitedMs: now - started });
        lastReport = now;
        lastSeen = seen.text;
      }
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new Error(
        `gave up after ${formatDuration(Date.now() - started)} waiting for the lock ${path}` +
          (info ? `: ${info.message}` : ""),
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Create the lock holding exactly `text`; false if it exists. */
async function tryCreate(path: string, text: string): Promise<boolean> {
  const temp = `${path}.new-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  try {
    try {
      await writeAll(file, text);
      await file.sync();
    } finally {
      file.close();
    }
    try {
      await Deno.link(temp, path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return false;
      if (!linkUnsupported(error)) throw error;
    }
    // A file system without hard links: create in place (readers wait out a partial file).
    const direct = await Deno.open(path, { write: true, createNew: true }).catch((error) => {
      if (error instanceof Deno.errors.AlreadyExists) return undefined;
      throw error;
    });
    if (!direct) return false;
    try {
      await writeAll(direct, text);
      await direct.sync();
    } finally {
      direct.close();
    }
    return true;
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

function linkUnsupported(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return error instanceof Deno.errors.PermissionDenied ||
    ["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(code ?? "");
}

async function writeAll(file: Deno.FsFile, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

type Seen =
  | { kind: "missing" }
  | { kind: "unreadable"; text: string; ageMs: number }
  | { kind: "legacy"; text: string; owner: { pid: number } }
  | { kind: "record"; text: string; owner: LockRecord };

/** What the lock file says now. */
async function readLock(path: string): Promise<Seen> {
  const text = await readText(path);
  if (text === undefined) return { kind: "missing" };
  if (/^\s*\d+\s*$/.test(text)) return { kind: "legacy", text, owner: { pid: Number(text) } };
  try {
    const owner = JSON.parse(text);
    if (typeof owner?.pid === "number") {
      return { kind: "record", text, owner: { host: "", bootId: "", pidNamespace: "", ...owner } };
    }
  } catch { /* being written, or garbage: judged by age below */ }
  let ageMs = 0;
  try {
    ageMs = Date.now() - ((await Deno.stat(path)).mtime?.getTime() ?? Date.now());
  } catch { /* gone: the next loop sees it missing */ }
  return { kind: "unreadable", text, ageMs };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.IsADirectory) {
      throw new UserError(`${path} is a folder where a lock file goes; remove it and run again`);
    }
    throw error;
  }
}

/**
 * Remove the lock if it still holds `judged` (the record we found dead). Serialised by a
 * kernel lock on one file per lock directory, so two runs never both take over, and a
 * fresh lock made by whoever took over first is never removed. False if it was not ours
 * to remove (someone else took over or released it first): the caller just retries.
 */
async function takeOver(path: string, judged: string): Promise<boolean> {
  const guard = await Deno.open(join(dirname(path), ".takeover"), {
    read: true,
    write: true,
    create: true,
  });
  try {
    await guard.lock(true); // released by close, or by the kernel if we die
    if (await readText(path) !== judged) return false;
    const aside = `${path}.stale-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.rename(path, aside);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
    if (await readText(aside) !== judged) {
      // Only a run that ignores the guard (another version) gets here: put its lock back.
      await Deno.link(aside, path).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      return false;
    }
    await Deno.remove(aside);
    return true;
  } finally {
    guard.close();
  }
}

function describe(
  path: string,
  seen: Extract<Seen, { kind: "legacy" | "record" }>,
  liveness: Liveness,
  action: "wait" | "take",
): string {
  const { pid } = seen.owner;
  const record = seen.kind === "record" ? seen.owner : undefined;
  const host = record?.host ? ` on host ${record.host}` : "";
  const taken = record?.takenAt
    ? `lock taken ${localTime(record.takenAt)}, ${ago(record.takenAt)}`
    : "a pid-only lock of an earlier version";
  if (action === "take") {
    const why = liveness.verdict === "dead" ? liveness.reason : "";
    return `took over the lock of run ${pid}${host} (${taken}; dead: ${why})`;
  }
  const self = liveness.verdict === "self" ? "; another stage of this process" : "";
  const unknown = liveness.verdict === "unknown"
    ? `; cannot tell from here whether it still runs (${liveness.reason})` +
      ` — if it does not, delete ${path}`
    : "";
  return `waiting for run ${pid}${host} (${taken}${self}${unknown})`;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function ago(iso: string): string {
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return "at an unknown time";
  if (ms < 1000) return "just now";
  return ms < 60_000 ? `${Math.round(ms / 1000)} s ago` : `${formatDuration(ms)} ago`;
}

/**
 * Whether someone may hold the lock at `path`: it exists and its owner is not provably
 * dead (a live or unjudgeable owner, or a record still being written). For `gc`, which
 * must never remove what a run is working on.
 */
export async function lockHeld(path: string, graceMs = 10_000): Promise<boolean> {
  const seen = await readLock(path);
  switch (seen.kind) {
    case "missing":
      return false;
    case "unreadable":
      return seen.ageMs <= graceMs;
    case "legacy":
      return judgeLegacyPid(seen.owner.pid).verdict !== "dead";
    case "record":
      return judgeOwner(seen.owner).verdict !== "dead";
  }
}

/**
 * Whether a process with this pid runs on this machine: its /proc entry exists and it is
 * not a zombie. For records that hold nothing but a pid; see process_identity.ts for more.
 */
export function processAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  if (stat === null) return true; // /proc unreadable: never judge a process dead blind
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}
