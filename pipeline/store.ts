import { join, relative } from "node:path";
import { listFiles, pathExists } from "./folders.ts";
import { hashFile } from "./hash.ts";
import { type FileRecord, recordedFilesProblem } from "./recorded_files.ts";
import type { CodeFingerprint } from "./fingerprint.ts";
import { describeDiskError, isReadOnly } from "./disk_errors.ts";
import {
  identityFromTag,
  identityTag,
  judgeLegacyPid,
  judgeOwner,
  type Liveness,
} from "./process_identity.ts";

/** Everything that determines a stage's results; its canonical JSON hashes to the key. */
export interface KeyInputs {
  stage: string;
  /** Digest of the stage's CodeFingerprint. */
  code: string;
  params: unknown;
  /** Upstream stage name → artifact key. */
  inputs: Record<string, string>;
  /** The Deno version (npm packages, tfjs included, are in the code fingerprint). */
  runtime: Record<string, string>;
  /** Path → sha256 of each external file the stage reads (absent when there are none). */
  files?: Record<string, string>;
}

export type { FileRecord } from "./recorded_files.ts";

/** manifest.json: what made an artifact and what it holds. Written last, published with it. */
export interface Manifest {
  stage: string;
  key: string;
  keyInputs: KeyInputs;
  fingerprint: CodeFingerprint;
  config: { name: string; path: string; resolved: unknown };
  seed: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Facts about the run that are not results (timings): kept out of the files. */
  runInfo: Record<string, unknown>;
  files: Record<string, FileRecord>;
}

export type Lookup =
  | { state: "hit"; dir: string; manifest: Manifest }
  | { state: "miss"; dir: string }
  | { state: "corrupt"; dir: string; reason: string };

export const MANIFEST = "manifest.json";

/** `artifacts/<stage>/<key>/`: one directory per stage invocation, named by its key. */
export class ArtifactStore {
  constructor(readonly root: string) {}

  dir(stage: string, key: string): string {
    return join(this.root, stage, key);
  }

  /** A hit only if the manifest parses and every file matches its recorded hash and size. */
  async lookup(stage: string, key: string): Promise<Lookup> {
    const dir = this.dir(stage, key);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        const exists = await pathExists(dir);
        return exists ? { state: "corrupt", dir, reason: "manifest.json is missing" } : {
          state: "miss",
          dir,
        };
      }
      return { state: "corrupt", dir, reason: `manifest.json is unreadable: ${error}` };
    }
    const reason = await this.verifyFiles(dir, manifest);
    return reason ? { state: "corrupt", dir, reason } : { state: "hit", dir, manifest };
  }

  /** Why the files on disk differ from the manifest, or undefined if they match exactly. */
  async verifyFiles(dir: string, manifest: Manifest): Promise<string | undefined> {
    if (manifest.key !== relative(join(this.root, manifest.stage), dir)) {
      return `manifest key ${manifest.key} does not match its directory`;
    }
    return await recordedFilesProblem(dir, manifest.files, [MANIFEST]);
  }

  /** Every manifest stored for a stage (used to explain why a key is stale). */
  async manifests(stage: string): Promise<Manifest[]> {
    const out: Manifest[] = [];
    try {
      for await (const entry of Deno.readDir(join(this.root, stage))) {
        if (!entry.isDirectory) continue;
        try {
          const text = await Deno.readTextFile(join(this.root, stage, entry.name, MANIFEST));
          out.push(JSON.parse(text));
        } catch { /* an entry without a readable manifest is not a run to compare with */ }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return out.sort((a, b) => a.endedAt.localeCompare(b.endedAt));
  }

  /** The lock a run holds while it computes this stage key. */
  lockPath(stage: string, key: string): string {
    return join(this.root, ".locks", `${stage}-${key}.lock`);
  }

  /** Crash-surviving scratch space for one stage key (checkpoints to resume from). */
  workDir(stage: string, key: string): string {
    return join(this.root, ".work", `${stage}-${key}`);
  }

  /**
   * Same-disk scratch space, so publishing is a single atomic rename. Its name carries the
   * owner's identity (pid, start time, boot, pid namespace, host; see identityTag), so a
   * later run can tell a dead run's leftovers from a live one's, even across pid reuse.
   */
  async makeTempDir(stage: string, key: string): Promise<string> {
    const tmpRoot = join(this.root, ".tmp");
    try {
      await Deno.mkdir(tmpRoot, { recursive: true });
      const prefix = `${stage}-${key.slice(0, 8)}-${identityTag()}-`;
      return await Deno.makeTempDir({ dir: tmpRoot, prefix });
    } catch (error) {
      throw describeDiskError(error, { root: this.root, stage, key, what: "a temp dir" }) ??
        error;
    }
  }

  /** sha256 and size of every file a stage wrote, by relative path. */
  async hashFiles(dir: string): Promise<Record<string, FileRecord>> {
    const files: Record<string, FileRecord> = {};
    for (const name of await listFiles(dir)) {
      if (name !== MANIFEST) files[name] = await hashFile(join(dir, name));
    }
    return files;
  }

  /**
   * Hash what the stage wrote, add the manifest, and rename the temp dir into place.
   * An entry already there (a forced re-run) is first moved into the temp area and then
   * deleted, so the key never points at a mix of old and new files.
   */
  async publish(tempDir: string, manifest: Omit<Manifest, "files">): Promise<Manifest> {
    const { stage, key } = manifest;
    try {
      const full: Manifest = { ...manifest, files: await this.hashFiles(tempDir) };
      await Deno.writeTextFile(join(tempDir, MANIFEST), JSON.stringify(full, null, 2) + "\n");
      const target = this.dir(stage, key);
      await Deno.mkdir(join(this.root, stage), { recursive: true });
      if (await pathExists(target)) {
        const old = await this.makeTempDir(`replaced-${stage}`, key);
        await Deno.remove(old);
        await Deno.rename(target, old);
        try {
          await Deno.rename(tempDir, target);
        } catch (error) {
          // Put the previous entry back, so a failed replace leaves the key as it was.
          await Deno.rename(old, target).catch(() => {});
          throw error;
        }
        // A leftover here is ours (tagged) and swept once we are gone.
        await Deno.remove(old, { recursive: true }).catch(() => {});
      } else {
        await Deno.rename(tempDir, target);
      }
      return full;
    } catch (error) {
      throw describeDiskError(error, { root: this.root, stage, key }) ?? error;
    }
  }

  /** Move a bad entry out of the store's namespace so no later lookup can trust it. */
  async quarantine(stage: string, key: string): Promise<string> {
    const aside = join(this.root, ".corrupt", `${stage}-${key}-${Date.now()}`);
    await Deno.mkdir(join(this.root, ".corrupt"), { recursive: true });
    await Deno.rename(this.dir(stage, key), aside);
    return aside;
  }

  /**
   * Remove temp dirs left by runs that provably died (kill -9, power loss, a reboot): by the
   * rule of process_identity.ts, only this host's, this pid namespace's runs whose process
   * is gone, reused or a zombie. A run elsewhere is never judged dead. Names of earlier
   * versions (`-pid<N>-` only) keep the pid-only rule. Returns the names removed. On a
   * read-only store it removes nothing and does not fail.
   */
  async sweepTemp(): Promise<string[]> {
    const tmpRoot = join(this.root, ".tmp");
    const removed: string[] = [];
    let entries: string[];
    try {
      entries = [];
      for await (const entry of Deno.readDir(tmpRoot)) entries.push(entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return removed;
      throw error;
    }
    for (const name of entries.sort()) {
      if (tempOwnerLiveness(name).verdict !== "dead") continue;
      try {
        await Deno.remove(join(tmpRoot, name), { recursive: true });
        removed.push(name);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // another run swept it
        if (isReadOnly(error)) return removed; // a read-only store: nothing to sweep
        throw error;
      }
    }
    return removed;
  }
}

/** The stage and key a work dir's name (`<stage>-<key>`, see workDir) stands for. */
export function parseWorkDirName(name: string): { stage: string; key: string } {
  const cut = name.lastIndexOf("-");
  return { stage: name.slice(0, cut), key: name.slice(cut + 1) };
}

/** Whether the run that made a temp dir (named by makeTempDir) still runs. */
export function tempOwnerLiveness(name: string): Liveness {
  const owner = identityFromTag(name);
  if (owner) return judgeOwner(owner);
  const pid = name.match(/-pid(\d+)-/)?.[1];
  if (pid === undefined) return { verdict: "unknown", reason: "no owner in its name" };
  return judgeLegacyPid(Number(pid));
}
