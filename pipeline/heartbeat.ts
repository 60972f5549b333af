/**
 * The heartbeat of the files a process holds (lock files, run leases): every
 * `leaseMs / LEASE_BEATS` their mtime is set to now, their text left unchanged, so a run on
 * another host, which cannot ask /proc whether we still run, can tell from the file's age:
 * a file not refreshed for its lease belongs to a dead run (process_identity.ts judgeHolder).
 *
 * The refreshing runs in a Worker, so a long synchronous computation on the main thread (a
 * tfjs epoch) cannot stop it. One per process, started when the first file is held and
 * ended when the last one is released: a Worker keeps the process alive, and Deno's web
 * Worker cannot be unref'd. Its code is `beatInWorker` below, started from its source (a
 * blob URL): no module file to read, and no type check of it at every start under
 * `deno test`. It inherits this process's permissions and needs read and write access to
 * the held files (open, utime), which a run has for its store.
 */
import { formatDuration } from "./units.ts";

/** How often a held file is refreshed with the default lease. */
export const HEARTBEAT_MS = 15_000;
/** Heartbeats per lease: a few missed ones (a busy file server) do not lose the lock. */
export const LEASE_BEATS = 8;
/** How long a held file stays its owner's without a heartbeat (written into each record). */
export const LEASE_MS = LEASE_BEATS * HEARTBEAT_MS;

/** What the worker is told: start refreshing a file (while it holds `text`), or stop. */
export type HeartbeatMessage =
  | { hold: string; text: string; everyMs: number }
  | { release: string };

let worker: Worker | undefined;
const beating = new Set<string>();
let warned = false;

/** Refresh `path` every `leaseMs / LEASE_BEATS` while it holds `text`, until stopBeating. */
export function startBeating(path: string, text: string, leaseMs = LEASE_MS): void {
  worker ??= startWorker();
  beating.add(path);
  post({ hold: path, text, everyMs: leaseMs / LEASE_BEATS });
}

export function stopBeating(path: string): void {
  if (!beating.delete(path)) return;
  if (beating.size > 0) post({ release: path });
  else stopAll();
}

/** Stop every heartbeat and end the worker (nothing keeps the process alive after). */
export function stopAll(): void {
  beating.clear();
  worker?.terminate();
  worker = undefined;
}

function startWorker(): Worker {
  const source = new Blob([`(${beatInWorker})()`], { type: "text/javascript" });
  const started = new Worker(URL.createObjectURL(source), { type: "module" });
  // An error in the worker (it catches its own; this is one loading it) must never end
  // the run that holds the files: it costs the heartbeat, which we say once.
  started.onerror = (event) => {
    event.preventDefault();
    warn(event.message);
  };
  started.onmessageerror = (event) => event.preventDefault();
  return started;
}

function post(message: HeartbeatMessage): void {
  try {
    worker?.postMessage(message);
  } catch (error) {
    warn(String(error));
  }
}

function warn(why: string): void {
  if (warned) return;
  warned = true;
  console.error(
    `warning: the heartbeat of this run's locks stopped (${why}); runs on other hosts will ` +
      `judge its locks dead once their lease (${formatDuration(LEASE_MS)}) ends`,
  );
}

/**
 * The worker's code, self-contained (it runs from its source text): for each held file,
 * every `everyMs`, set its mtime to now if the file still holds the text we wrote. The check
 * and the touch go through one open file, so a lock that was taken over (renamed aside, a
 * new one made in its place) is never refreshed for its new owner. Every error is
 * swallowed: a file we cannot refresh is one whose lease others will judge, and nothing
 * here may throw into the process.
 */
function beatInWorker(): void {
  const timers = new Map<string, ReturnType<typeof setInterval>>();
  const touchIfHolds = async (path: string, text: string) => {
    const file = await Deno.open(path);
    try {
      const expected = new TextEncoder().encode(text);
      const buffer = new Uint8Array(expected.length + 1);
      let length = 0;
      while (length < buffer.length) {
        const read = await file.read(buffer.subarray(length));
        if (read === null) break;
        length += read;
      }
      if (length !== expected.length || expected.some((byte, i) => byte !== buffer[i])) return;
      const now = new Date();
      await file.utime(now, now);
    } finally {
      file.close();
    }
  };
  globalThis.addEventListener("message", (event) => {
    const message = (event as MessageEvent<HeartbeatMessage>).data;
    const path = "hold" in message ? message.hold : message.release;
    clearInterval(timers.get(path));
    timers.delete(path);
    if ("hold" in message) {
      const beat = () => touchIfHolds(path, message.text).catch(() => {});
      timers.set(path, setInterval(beat, message.everyMs));
    }
  });
}

/**
 * A held file's text and the age of its last heartbeat (now − mtime, never negative);
 * undefined when there is no such file. Opened, not just stat'ed: on NFS an open revalidates
 * the cached attributes (close-to-open consistency), a bare stat may return a minute-old
 * mtime. The age compares two hosts' clocks: they must agree to well within a lease (NTP).
 */
export async function readWithHeartbeat(
  path: string,
): Promise<{ text: string; ageMs: number } | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let mtime: Date | null;
  try {
    mtime = (await file.stat()).mtime;
  } catch (error) {
    file.close();
    throw error;
  }
  const text = await new Response(file.readable).text(); // closes the file
  return { text, ageMs: Math.max(0, Date.now() - (mtime?.getTime() ?? Date.now())) };
}
