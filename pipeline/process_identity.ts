/**
 * Who owns a lock or a temp dir, recorded well enough that another run can later tell,
 * without guessing, whether that owner still runs. A pid alone cannot: pids are reused,
 * a killed but unreaped process (a zombie) still has a /proc entry, and a pid means
 * nothing in another pid namespace (a container) or on another host.
 *
 * The rule (for locks and temp dirs alike): an owner is provably dead only when it ran on
 * this host, in this boot and in this pid namespace, and its pid is gone, now belongs to a
 * process that started at another time, or is a zombie. An owner on this host in an
 * earlier boot is dead too (the machine rebooted). Anything else cannot be judged from /proc.
 *
 * Files that name a lease and are refreshed by a heartbeat (locks, run leases; see
 * heartbeat.ts) add one rule for owners /proc cannot judge (another host, another pid
 * namespace): dead once the file's mtime is older than the lease (judgeHolder). Temp dirs
 * have no heartbeat: only their own host's, boot's and pid namespace's runs ever sweep them.
 */
import { createHash } from "node:crypto";
import { readProcFile, readProcLink } from "./proc_files.ts";
import { formatDuration } from "./units.ts";

export interface ProcessIdentity {
  /** The host name ("" when it cannot be read). */
  host: string;
  /** /proc/sys/kernel/random/boot_id: changes at every boot ("" when unknown). */
  bootId: string;
  /** readlink /proc/self/ns/pid, e.g. "pid:[4026531836]" ("" when unknown). */
  pidNamespace: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot (-1 when unknown). */
  startTime: number;
}

/**
 * What can be said about an owner from this process:
 * - `alive`: it runs (same host, boot and namespace, same pid and start time);
 * - `self`: it is this very process;
 * - `dead`: provably gone, `reason` says how we know;
 * - `beating`: cannot be judged from /proc, but its heartbeat is within its lease (`reason`);
 * - `unknown`: another host or pid namespace, or facts missing; `reason` says which.
 */
export type Liveness =
  | { verdict: "alive" }
  | { verdict: "self" }
  | { verdict: "beating"; reason: string }
  | { verdict: "dead"; reason: string }
  | { verdict: "unknown"; reason: string };

let current: ProcessIdentity | undefined;

/** This process's identity (read once: none of it changes while we run). */
export function currentProcess(): ProcessIdentity {
  current ??= {
    host: hostName(),
    bootId: readTrimmed("/proc/sys/kernel/random/boot_id"),
    pidNamespace: readLink("/proc/self/ns/pid"),
    pid: Deno.pid,
    startTime: readProcStat(Deno.pid)?.startTime ?? -1,
  };
  return current;
}

/**
 * A process's state letter and start time from /proc/<pid>/stat: undefined when there is no
 * such process, null when /proc cannot be read (then nothing may be judged dead).
 */
export function readProcStat(
  pid: number,
): { state: string; startTime: number } | undefined | null {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === "missing") return undefined;
  if (text === "unreadable") return null;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the
  // last ")". Field 3 (state) is then index 0 and field 22 (starttime) index 19.
  const fields = text.slice(text.lastIndexOf(")") + 1).trim().split(/\s+/);
  const startTime = Number(fields[19]);
  return { state: fields[0], startTime: Number.isFinite(startTime) ? startTime : -1 };
}

/** Whether `owner` still runs, by /proc (the rule above); `unknown` for another host or namespace. */
export function judgeOwner(owner: ProcessIdentity, me = currentProcess()): Liveness {
  if (!owner.host || !me.host) return { verdict: "unknown", reason: "host name unknown" };
  if (owner.host !== me.host) {
    return { verdict: "unknown", reason: `owner on another host, ${owner.host}` };
  }
  if (!owner.bootId || !me.bootId) return { verdict: "unknown", reason: "boot id unknown" };
  if (owner.bootId !== me.bootId) {
    return { verdict: "dead", reason: `host ${owner.host} has rebooted since` };
  }
  if (!owner.pidNamespace || owner.pidNamespace !== me.pidNamespace) {
    return {
      verdict: "unknown",
      reason: `owner in another pid namespace, ${owner.pidNamespace || "unknown"}`,
    };
  }
  if (owner.pid === me.pid && owner.startTime === me.startTime) return { verdict: "self" };
  const stat = readProcStat(owner.pid);
  if (stat === null) return { verdict: "unknown", reason: "/proc cannot be read" };
  if (!stat) return { verdict: "dead", reason: `process ${owner.pid} is gone` };
  if (stat.state === "Z" || stat.state === "X") {
    return { verdict: "dead", reason: `process ${owner.pid} is a zombie (killed, not reaped)` };
  }
  if (stat.startTime !== owner.startTime) {
    return {
      verdict: "dead",
      reason: `pid ${owner.pid} now belongs to another process (the owner is gone)`,
    };
  }
  return { verdict: "alive" };
}

/**
 * Whether the owner of a file refreshed by a heartbeat still runs: by /proc when it can be
 * judged from here (exact, immediate); otherwise by the heartbeat, which is `heartbeatAgeMs`
 * old (now − the file's mtime): dead past `leaseMs`, `beating` within it. A record without
 * a lease (earlier versions) stays `unknown`.
 */
export function judgeHolder(
  owner: ProcessIdentity,
  leaseMs: unknown,
  heartbeatAgeMs: number,
  me = currentProcess(),
): Liveness {
  const liveness = judgeOwner(owner, me);
  if (liveness.verdict !== "unknown" || !isLease(leaseMs)) return liveness;
  const where = `on host ${owner.host || "(unknown)"}` +
    (owner.host === me.host ? `, pid namespace ${owner.pidNamespace || "(unknown)"}` : "");
  const lease = `lease ${formatDuration(leaseMs)}`;
  if (heartbeatAgeMs > leaseMs) {
    return {
      verdict: "dead",
      reason: `its heartbeat stopped ${formatDuration(heartbeatAgeMs)} ago (${lease}), ${where}`,
    };
  }
  return {
    verdict: "beating",
    reason: `its heartbeat ${formatDuration(heartbeatAgeMs)} ago (${lease}), ${where}`,
  };
}

function isLease(ms: unknown): ms is number {
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0;
}

/**
 * The rule for pid-only records left by earlier versions: they name no host, boot or start
 * time, so a reused pid cannot be told from the owner. Dead if the pid is gone or a zombie,
 * or is our own pid (this process never writes pid-only records).
 */
export function judgeLegacyPid(pid: number, me = currentProcess()): Liveness {
  if (!Number.isInteger(pid) || pid <= 0) {
    return { verdict: "unknown", reason: `unreadable pid ${pid}` };
  }
  if (pid === me.pid) {
    return { verdict: "dead", reason: `pid ${pid} is this process, which did not write it` };
  }
  const stat = readProcStat(pid);
  if (stat === null) return { verdict: "unknown", reason: "/proc cannot be read" };
  if (!stat) return { verdict: "dead", reason: `process ${pid} is gone` };
  if (stat.state === "Z" || stat.state === "X") {
    return { verdict: "dead", reason: `process ${pid} is a zombie (killed, not reaped)` };
  }
  return { verdict: "alive" };
}

/**
 * A short, file-name-safe form of an identity, for names of temp dirs:
 * `pid<N>-s<start>-b<boot>-n<ns>-h<host>` (boot id and host name as short digests).
 */
export function identityTag(id = currentProcess()): string {
  const ns = id.pidNamespace.match(/\d+/)?.[0] ?? "0";
  return `pid${id.pid}-s${id.startTime}-b${bootDigest(id.bootId)}-n${ns}-h${hostDigest(id.host)}`;
}

const TAG = /-pid(\d+)-s(-?\d+)-b([0-9a-f]+)-n(\d+)-h([0-9a-f]+)(?:-|$)/;

/**
 * The identity a name's tag stands for, as far as it can be compared with `me`: where the
 * digests match ours the real values are filled in, where they differ a placeholder that
 * compares unequal. undefined when the name has no tag.
 */
export function identityFromTag(name: string, me = currentProcess()): ProcessIdentity | undefined {
  const m = name.match(TAG);
  if (!m) return undefined;
  const [, pid, start, boot, ns, host] = m;
  const myNs = me.pidNamespace.match(/\d+/)?.[0] ?? "0";
  return {
    host: host === hostDigest(me.host) && me.host ? me.host : `(host digest ${host})`,
    bootId: boot === bootDigest(me.bootId) && me.bootId ? me.bootId : `(boot ${boot})`,
    pidNamespace: ns === myNs ? me.pidNamespace : `pid:[${ns}]`,
    pid: Number(pid),
    startTime: Number(start),
  };
}

function bootDigest(bootId: string): string {
  return bootId.replaceAll("-", "").slice(0, 12) || "0";
}

function hostDigest(host: string): string {
  return createHash("sha256").update(host).digest("hex").slice(0, 8);
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return readTrimmed("/proc/sys/kernel/hostname");
  }
}

function readTrimmed(path: string): string {
  const text = readProcFile(path);
  return text === "missing" || text === "unreadable" ? "" : text.trim();
}

function readLink(path: string): string {
  const target = readProcLink(path);
  return target === "missing" || target === "unreadable" ? "" : target;
}
