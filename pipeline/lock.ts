/**
 * One run per artifact key: a lock file that says who holds it (host, boot, pid namespace,
 * pid, start time, lease; see process_identity.ts), so a later run can tell a live owner,
 * which it waits for and names, from a provably dead one, whose lock it takes over and says
 * so. Safe on a filesystem shared by several hosts (NFSv3+/v4, Lustre): it relies only on
 * atomic link/O_EXCL create and rename, never on flock.
 *
 * - Taking: the JSON is written and fsynced to a private file first, then hard-linked to
 *   the lock path; link fails if the lock exists, and a reader never sees half a record.
 * - Holding: a heartbeat refreshes the file's mtime (heartbeat.ts), so a run that cannot
 *   judge us from /proc (another host or pid namespace) judges us by the lease we name.
 * - Taking over a dead owner's lock: whoever creates the take-over marker of the judged
 *   record renames the lock to a unique side name, checks it is that record, deletes it.
 * - Waiting: one line naming the owner and when it took the lock, repeated every ~30 s.
 * - Our own pid and start time in a lock that no call of ours holds is a bug: we throw
 *   rather than wait on ourselves. Calls in one process for one path queue behind each other.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { LEASE_MS, readWithHeartbeat, startBeating, stopAll, stopBeating } from "./heartbeat.ts";
import {
  currentProcess,
  judgeHolder,
  judgeLegacyPid,
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
  /** How long the lock stays the owner's without a heartbeat (absent in earlier versions). */
  leaseMs?: number;
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
  /** The lease our lock names, refreshed every leaseMs / LEASE_BEATS (default LEASE_MS). */
  leaseMs?: number;
}

/** Tokens held by the current async call chain: a nested call for one of them is a bug. */
const heldInChain = new AsyncLocalStorage<ReadonlySet<string>>();
/** Tokens held by any call in this process. */
const heldHere = new Set<string>();
/** Files this process holds (lock files, run leases) → their text, for releaseHeld. */
const heldFiles = new Map<string, string>();

/**
 * Note a file this process holds until `forgetHeld`, so an interrupt can release it, and
 * keep its heartbeat (for the `leaseMs` its record names) until then.
 */
export function noteHeld(path: string, text: string, leaseMs = LEASE_MS): void {
  heldFiles.set(path, text);
  startBeating(path, text, leaseMs);
}

export function forgetHeld(path: string): void {
  heldFiles.delete(path);
  stopBeating(path);
}

/**
 * Remove every lock and lease this process holds, if still ours: for the CLI's signal
 * handler, which exits at once (no `finally` runs), so the next run finds no stale lock.
 */
export function releaseHeld(): void {
  stopAll();
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
    leaseMs: options.leaseMs ?? LEASE_MS,
  };
  path = resolve(path);
  const text = await acquire(path, record, options);
  noteHeld(path, text, record.leaseMs);
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
    const liveness = judgeSeen(seen, graceMs);
    if (seen.kind === "unreadable") {
      if (liveness.verdict === "dead") {
        info = { path, owner: { pid: 0 }, liveness, message: "" };
        info.message = `took over the lock ${path} (${liveness.reason})`;
        if (await takeOver(path, seen.text, record, graceMs)) {
          options.onTakeOver?.(info);
          continue;
        }
        // Someone else is taking it over: wait for them like for an owner.
      }
      // Being written by an earlier version (which wrote in place): retry shortly.
    } else {
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
        if (await takeOver(path, seen.text, record, graceMs)) {
          options.onTakeOver?.(info);
          continue;
        }
        // Someone else is taking it over (or did, or the owner released it): read again soon.
        info.message = describe(path, seen, liveness, "wait");
      } else {
        info = {
          path,
          owner: seen.owner,
          liveness,
          message: describe(path, seen, liveness, "wait"),
        };
        const now = Date.now();
        if (seen.text !== lastSeen || now - lastReport >= reportEveryMs) {
          options.onWait?.({ ...info, waitedMs: now - started });
          lastReport = now;
          lastSeen = seen.text;
        }
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
  | { kind: "legacy"; text: string; ageMs: number; owner: { pid: number } }
  | { kind: "record"; text: string; ageMs: number; owner: LockRecord };

/** What the lock file says now, and how old its heartbeat (mtime) is. */
async function readLock(path: string): Promise<Seen> {
  const read = await readWithHeartbeat(path).catch((error) => {
    throw asUserError(path, error);
  });
  if (!read) return { kind: "missing" };
  const { text, ageMs } = read;
  if (/^\s*\d+\s*$/.test(text)) {
    return { kind: "legacy", text, ageMs, owner: { pid: Number(text) } };
  }
  try {
    const owner = JSON.parse(text);
    if (typeof owner?.pid === "number") {
      const blank = { host: "", bootId: "", pidNamespace: "" };
      return { kind: "record", text, ageMs, owner: { ...blank, ...owner } };
    }
  } catch { /* being written, or garbage: judged by age */ }
  return { kind: "unreadable", text, ageMs };
}

/** Whether the owner of what we read still runs (process_identity.ts, with the lease). */
function judgeSeen(seen: Exclude<Seen, { kind: "missing" }>, graceMs: number): Liveness {
  switch (seen.kind) {
    case "unreadable":
      return seen.ageMs > graceMs
        ? {
          verdict: "dead",
          reason: `its file stayed ${seen.text.trim() ? "unreadable" : "empty"} for ` +
            `${formatDuration(seen.ageMs)}: the writer died mid-write`,
        }
        : { verdict: "unknown", reason: "its record is being written" };
    case "legacy":
      return judgeLegacyPid(seen.owner.pid);
    case "record":
      return judgeHolder(seen.owner, seen.owner.leaseMs, seen.ageMs);
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw asUserError(path, error);
  }
}

function asUserError(path: string, error: unknown): unknown {
  return error instanceof Deno.errors.IsADirectory
    ? new UserError(`${path} is a folder where a lock file goes; remove it and run again`)
    : error;
}

/**
 * Remove the lock if it still holds `judged`, the text of a record we found dead. False if
 * it was not ours to remove (someone else is taking it over, took it over or released it
 * first): the caller reads the lock again.
 *
 * Exclusive without flock (unreliable on NFS): only the run that creates the marker
 * `<lock>.takeover-<digest of judged>` (an atomic link, as the lock itself) renames the lock
 * aside. Why that is enough:
 * - Two takers of one record: one creates the marker, the other finds it and backs off.
 * - A taker that judged long ago: it reads and judges the lock again once it holds the
 *   marker, so a lock made anew since (a new text: every record has a fresh token), or an
 *   owner whose heartbeat came back, is left alone. While we hold the marker nobody else
 *   may remove the judged record, and its dead owner does not, so what we rename is what we
 *   judged (checked once more under the side name, against runs of earlier versions).
 * - The owner's heartbeat changes only the mtime: the text we compare stays valid.
 * - A taker that dies holding the marker: the marker is a record with a heartbeat of its
 *   own; once its owner is judged dead, the next taker removes it the same way, then retries.
 */
async function takeOver(
  path: string,
  judged: string,
  record: LockRecord,
  graceMs: number,
): Promise<boolean> {
  const digest = createHash("sha256").update(judged).digest("hex").slice(0, 16);
  const marker = `${path}.takeover-${digest}`;
  const taker: LockRecord = {
    ...record,
    takenAt: new Date().toISOString(),
    token: crypto.randomUUID(),
  };
  const mine = JSON.stringify(taker) + "\n";
  if (!await tryCreate(marker, mine)) {
    const other = await readLock(marker);
    if (other.kind !== "missing" && judgeSeen(other, graceMs).verdict === "dead") {
      await takeOver(marker, other.text, record, graceMs);
    }
    return false;
  }
  noteHeld(marker, mine, taker.leaseMs);
  try {
    const now = await readLock(path);
    if (now.kind === "missing" || now.text !== judged) return false;
    if (judgeSeen(now, graceMs).verdict !== "dead") return false;
    const aside = `${path}.stale-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.rename(path, aside);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
    if (await readText(aside) !== judged) {
      // Only a run that ignores the marker (an earlier version) gets here: put its lock back.
      await Deno.link(aside, path).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      return false;
    }
    await Deno.remove(aside);
    return true;
  } finally {
    forgetHeld(marker);
    if (await readText(marker).catch(() => undefined) === mine) {
      await Deno.remove(marker).catch(() => {});
    }
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
  const beating = liveness.verdict === "beating" ? `; ${liveness.reason}` : "";
  const unknown = liveness.verdict === "unknown"
    ? `; cannot tell from here whether it still runs (${liveness.reason})` +
      ` — if it does not, delete ${path}`
    : "";
  return `waiting for run ${pid}${host} (${taken}${self}${beating}${unknown})`;
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
 * dead (a live, heartbeating or unjudgeable owner, or a record still being written). For `gc`, which
 * must never remove what a run is working on.
 */
export async function lockHeld(path: string, graceMs = 10_000): Promise<boolean> {
  const seen = await readLock(path);
  return seen.kind !== "missing" && judgeSeen(seen, graceMs).verdict !== "dead";
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
