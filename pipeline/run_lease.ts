/**
 * A run's lease on the entries of its plan. While a run works, `.locks/run-<owner>.json`
 * lists every `stage/key` it will make or read, with its owner's identity, so `gc` never
 * removes an entry a live run is about to read (a stage's lock covers only its own key).
 * A lease whose owner is provably dead counts for nothing: the rule of process_identity.ts
 * judgeHolder, by /proc on its own host and namespace, elsewhere by its heartbeat (the
 * lease file's mtime, refreshed like a lock's) against the `leaseMs` it names.
 * A store that cannot be written (read-only, and so fully cached) takes no lease.
 */
import { join } from "node:path";
import { isReadOnly } from "./disk_errors.ts";
import { LEASE_MS, readWithHeartbeat } from "./heartbeat.ts";
import { forgetHeld, noteHeld } from "./lock.ts";
import {
  currentProcess,
  identityTag,
  judgeHolder,
  type ProcessIdentity,
} from "./process_identity.ts";
import type { ArtifactStore } from "./store.ts";

interface Lease {
  owner: ProcessIdentity;
  entries: string[];
  /** How long the lease stays its owner's without a heartbeat (absent in earlier versions). */
  leaseMs?: number;
}

const LEASE = /^run-.*\.json$/;

/**
 * The lease of one run, taken when it first has something to compute (a fully cached run
 * writes nothing, not even a lease) and released when it ends.
 */
export class RunLease {
  #path: Promise<string | undefined> | undefined;

  constructor(
    private store: ArtifactStore,
    private entries: string[],
    private leaseMs = LEASE_MS,
  ) {}

  /** Write the lease, once. */
  take(): Promise<string | undefined> {
    const lease = { owner: currentProcess(), entries: this.entries, leaseMs: this.leaseMs };
    const path = this.#path ?? writeLease(this.store, lease);
    this.#path = path;
    return path;
  }

  async release(): Promise<void> {
    const path = await this.#path;
    if (!path) return;
    forgetHeld(path);
    await Deno.remove(path).catch(() => {});
  }
}

async function writeLease(store: ArtifactStore, lease: Lease): Promise<string | undefined> {
  try {
    const dir = await store.locksDir();
    const path = join(dir, `run-${identityTag()}-${crypto.randomUUID().slice(0, 8)}.json`);
    const text = JSON.stringify(lease) + "\n";
    await Deno.writeTextFile(path, text);
    noteHeld(path, text, lease.leaseMs);
    return path;
  } catch (error) {
    if (isReadOnly(error)) return undefined; // nothing to protect from a gc that cannot write
    throw error;
  }
}

/** Every `stage/key` a run that may still be alive holds a lease on. */
export async function leasedEntries(store: ArtifactStore): Promise<Set<string>> {
  const held = new Set<string>();
  const dir = join(store.root, ".locks");
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir)))
      .filter((e) => e.isFile && LEASE.test(e.name))
      .map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return held;
    throw error;
  }
  for (const name of names) {
    let lease: Lease, ageMs: number;
    try {
      const read = await readWithHeartbeat(join(dir, name));
      if (!read) continue;
      lease = JSON.parse(read.text);
      ageMs = read.ageMs;
    } catch {
      continue; // being written or removed: its run is about to start or has ended
    }
    if (!lease?.owner || !Array.isArray(lease.entries)) continue;
    if (judgeHolder(lease.owner, lease.leaseMs, ageMs).verdict === "dead") continue;
    for (const id of lease.entries) if (typeof id === "string") held.add(id);
  }
  return held;
}
