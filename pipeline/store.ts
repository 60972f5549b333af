/**
 * The artifact store: `artifacts/<stage>/<key>/`, one folder per stage run, with the
 * manifest.json that says what made it and what it holds; a lookup is a hit only when every
 * file still matches it.
 */
import { join } from "node:path";
import {
  FileTooLargeError,
  kindAt,
  listTree,
  NotRegularFileError,
  notRegularProblem,
  readRegularTextFile,
} from "./folders.ts";
import { hashFile } from "./hash.ts";
import { UserError } from "./errors.ts";
import { SAFE_NAME } from "./names.ts";
import { type FileRecord, recordedFilesProblem } from "./recorded_files.ts";
import type { CodeFingerprint } from "./fingerprint.ts";
import type { ProjectVersion } from "./project_version.ts";
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
  /**
   * The run that made the entry: its name, config file, command-line overrides
   * (`train.epochs=2`, in the order given; absent in older entries) and resolved config.
   */
  config: { name: string; path: string; overrides?: string[]; resolved: unknown };
  seed: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Facts about the run that are not results (timings): kept out of the files. */
  runInfo: Record<string, unknown>;
  /** The project's git commit and whether its tree was dirty (absent in older entries). */
  project?: ProjectVersion;
  files: Record<string, FileRecord>;
}

export type Lookup =
  | { state: "hit"; dir: string; manifest: Manifest }
  | { state: "miss"; dir: string }
  | { state: "corrupt"; dir: string; reason: string };

export const MANIFEST = "manifest.json";

/** A manifest is a few KiB; far past that, the file is not one (and is not read whole). */
export const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;

/** A store key: the hex sha256 of its key inputs. */
export const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The one check of a manifest's shape: the Manifest it holds, or what is wrong with it
 * (a sentence that starts with "manifest.json"). Everything that reads a manifest (lookup,
 * status, gc, audit, trace, publishing reports) goes through it, so a `null`, a `"files":
 * null` or a missing field is a corrupt entry with a reason, never a TypeError.
 */
export function parseManifest(text: string): Manifest | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `${MANIFEST} is not valid JSON`;
  }
  const problem = manifestShapeProblem(json);
  return problem ? `${MANIFEST} is malformed: ${problem}` : json as Manifest;
}

function manifestShapeProblem(m: unknown): string | undefined {
  if (!isObject(m)) return `it is ${jsonKind(m)}, not an object`;
  if (typeof m.stage !== "string" || !SAFE_NAME.test(m.stage)) return "stage is not a stage name";
  if (typeof m.key !== "string" || !KEY_PATTERN.test(m.key)) return "key is not 64 hex digits";
  if (typeof m.endedAt !== "string") return `endedAt is ${jsonKind(m.endedAt)}`;
  const k = m.keyInputs;
  if (!isObject(k)) return `keyInputs is ${jsonKind(k)}`;
  for (const field of ["inputs", "runtime"]) {
    if (!isStringRecord(k[field])) return `keyInputs.${field} is not a map of strings`;
  }
  if (k.files !== undefined && !isStringRecord(k.files)) {
    return "keyInputs.files is not a map of strings";
  }
  const f = m.fingerprint;
  if (!isObject(f)) return `fingerprint is ${jsonKind(f)}`;
  if (!isStringRecord(f.files)) return "fingerprint.files is not a map of strings";
  if (!isStringList(f.npm)) {
    return "fingerprint.npm is not a list of strings";
  }
  const c = m.config;
  if (!isObject(c)) return `config is ${jsonKind(c)}`;
  if (typeof c.name !== "string" || typeof c.path !== "string") {
    return "config.name or config.path is not a string";
  }
  if (c.overrides !== undefined && !isStringList(c.overrides)) {
    return "config.overrides is not a list of strings";
  }
  if (!isObject(m.files)) return `files is ${jsonKind(m.files)}`;
  for (const [name, record] of Object.entries(m.files)) {
    if (
      !isObject(record) || typeof record.sha256 !== "string" ||
      typeof record.size !== "number" || !Number.isSafeInteger(record.size) || record.size < 0
    ) {
      return `files[${JSON.stringify(name).slice(0, 80)}] is not a sha256 and a size`;
    }
  }
  return undefined;
}

const isStringList = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((item) => typeof item === "string");

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

const isStringRecord = (x: unknown): x is Record<string, string> =>
  isObject(x) && Object.values(x).every((v) => typeof v === "string");

const jsonKind = (x: unknown) =>
  x === null ? "null" : Array.isArray(x) ? "a list" : x === undefined ? "missing" : `a ${typeof x}`;

/** A manifest read from a folder, or why there is none to trust. */
export type ManifestRead =
  | { manifest: Manifest; problem?: undefined }
  | { manifest?: undefined; problem: string; missing: boolean };

/**
 * Read and check `<dir>/manifest.json`: it must be a regular file (a symlink, a FIFO or a
 * device is refused unopened) of at most MANIFEST_MAX_BYTES with a manifest's shape.
 */
export async function readManifest(dir: string): Promise<ManifestRead> {
  let text: string;
  try {
    text = await readRegularTextFile(join(dir, MANIFEST), {
      label: MANIFEST,
      maxBytes: MANIFEST_MAX_BYTES,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { problem: `${MANIFEST} is missing`, missing: true };
    }
    if (error instanceof NotRegularFileError || error instanceof FileTooLargeError) {
      return { problem: error.message, missing: false };
    }
    if (error instanceof Deno.errors.NotADirectory) {
      return { problem: `${MANIFEST} is missing (not a folder)`, missing: true };
    }
    const code = (error as { code?: unknown })?.code;
    const why = error instanceof Error ? error.name : String(error);
    return {
      problem: `${MANIFEST} is unreadable (${typeof code === "string" ? code : why})`,
      missing: false,
    };
  }
  const parsed = parseManifest(text);
  return typeof parsed === "string" ? { problem: parsed, missing: false } : { manifest: parsed };
}

/** `artifacts/<stage>/<key>/`: one directory per stage invocation, named by its key. */
export class ArtifactStore {
  constructor(readonly root: string) {}

  dir(stage: string, key: string): string {
    return join(this.root, stage, key);
  }

  /**
   * A hit only if the entry is a real folder (not a symlink), the manifest is a regular
   * file of a manifest's shape for this stage and key, and every file is a regular file
   * matching its recorded hash and size. Nothing that is not a regular file is opened.
   */
  async lookup(stage: string, key: string): Promise<Lookup> {
    const dir = this.dir(stage, key);
    const kind = await kindAt(dir);
    if (kind === undefined) return { state: "miss", dir };
    if (kind !== "directory") {
      return { state: "corrupt", dir, reason: `the entry is not a folder (a ${kind})` };
    }
    const read = await readManifest(dir);
    if (read.problem !== undefined) return { state: "corrupt", dir, reason: read.problem };
    const reason = await this.verifyFiles(dir, read.manifest, stage, key);
    return reason
      ? { state: "corrupt", dir, reason }
      : { state: "hit", dir, manifest: read.manifest };
  }

  /** Why the files on disk differ from the manifest, or undefined if they match exactly. */
  async verifyFiles(
    dir: string,
    manifest: Manifest,
    stage = manifest.stage,
    key = manifest.key,
  ): Promise<string | undefined> {
    if (manifest.stage !== stage || manifest.key !== key || this.dir(stage, key) !== dir) {
      return `manifest is for ${manifest.stage} ${manifest.key}, not its folder`;
    }
    return await recordedFilesProblem(dir, manifest.files, [MANIFEST]);
  }

  /** Every manifest stored for a stage (used to explain why a key is stale). */
  async manifests(stage: string): Promise<Manifest[]> {
    const out: Manifest[] = [];
    try {
      for await (const entry of Deno.readDir(join(this.root, stage))) {
        if (!entry.isDirectory || entry.isSymlink) continue;
        // An entry without a sound manifest is not a run to compare with.
        const { manifest } = await readManifest(join(this.root, stage, entry.name));
        if (manifest) out.push(manifest);
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
      await this.checkInternalFolder(".tmp");
      const prefix = `${stage}-${key.slice(0, 8)}-${identityTag()}-`;
      return await Deno.makeTempDir({ dir: tmpRoot, prefix });
    } catch (error) {
      throw describeDiskError(error, { root: this.root, stage, key, what: "a temp dir" }) ??
        error;
    }
  }

  /**
   * sha256 and size of every file a stage wrote, by relative path. A stage writes regular
   * files only: a symlink or a special file in its output is an error, never followed.
   */
  async hashFiles(dir: string): Promise<Record<string, FileRecord>> {
    const files: Record<string, FileRecord> = {};
    for (const { path, kind } of await listTree(dir)) {
      if (kind !== "file") {
        throw new Error(`the stage's output ${notRegularProblem(path, kind)}; write files only`);
      }
      if (path !== MANIFEST) {
        files[path] = await hashFile(join(dir, path), { regularOnly: true, label: path });
      }
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
      if (await kindAt(target) !== undefined) {
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
    await this.checkInternalFolder(".corrupt");
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
    for (const { name } of (await this.deadTemps()).dead) {
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

  /**
   * The temp dirs in `.tmp` whose owner provably died (tempOwnerLiveness), each with the
   * reason; and the entries that are not real folders (symlinks, files), which are never
   * judged nor followed. Nothing when `.tmp` is absent or is itself not a real folder.
   */
  async deadTemps(): Promise<{
    dead: { name: string; reason: string }[];
    notFolders: { name: string; kind: string }[];
  }> {
    const tmpRoot = join(this.root, ".tmp");
    const dead: { name: string; reason: string }[] = [];
    const notFolders: { name: string; kind: string }[] = [];
    if (await kindAt(tmpRoot) !== "directory") return { dead, notFolders };
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(tmpRoot)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, isDirectory, isSymlink } of entries) {
      if (!isDirectory || isSymlink) {
        const kind = isSymlink ? "symlink" : await kindAt(join(tmpRoot, name));
        if (kind) notFolders.push({ name, kind });
        continue;
      }
      const liveness = tempOwnerLiveness(name);
      if (liveness.verdict === "dead") dead.push({ name, reason: liveness.reason });
    }
    return { dead, notFolders };
  }

  /** `.locks/`, made when first needed; a real folder, never a symlink out of the store. */
  async locksDir(): Promise<string> {
    await Deno.mkdir(join(this.root, ".locks"), { recursive: true });
    await this.checkInternalFolder(".locks");
    return join(this.root, ".locks");
  }

  /**
   * `.tmp`, `.corrupt` and `.locks` are where entries are renamed to and locks written: a
   * symlink there would move (and later delete) them outside the store, so each must be a
   * real folder.
   */
  private async checkInternalFolder(name: string): Promise<void> {
    const kind = await kindAt(join(this.root, name));
    if (kind !== "directory") {
      throw new UserError(
        `${join(this.root, name)} is not a folder (a ${kind}); the store keeps its own ` +
          `folders there: remove it (nothing was changed)`,
      );
    }
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
