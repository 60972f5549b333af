/**
 * `checkpoint.json`, the manifest of a training resume checkpoint: the sha256 and size of
 * every file beside it, the epoch it was saved after and the run (work dir) it belongs to.
 * The loader (resume.ts) trusts a checkpoint only when every file matches it; `verify
 * --check-hashes` audits checkpoints with `checkpointProblems`. This module imports no tfjs,
 * so the CLI can audit without loading a backend.
 *
 * @module
 */
import { basename, join } from "node:path";
import { readRegularTextFile } from "../../pipeline/folders.ts";
import { type FileRecord, recordedFilesProblems } from "../../pipeline/recorded_files.ts";

export const CHECKPOINT_FORMAT = "vae-pipeline-checkpoint/1";
export const CHECKPOINT_MANIFEST = "checkpoint.json";

/** The folders of a work dir's checkpoint (see resume.ts for how they are swapped). */
export const CHECKPOINT_DIRS = {
  current: "checkpoint",
  next: "checkpoint.next",
  prev: "checkpoint.prev",
} as const;

/** Every checkpoint has these; one with the best-validation weights also has best.{json,bin}. */
const REQUIRED = ["state.json", "model.json", "model.bin", "optimizer.json", "optimizer.bin"];

export interface CheckpointManifest {
  format: string;
  /** Completed epochs: the checkpoint is "after epoch N". */
  epoch: number;
  /** The work dir's name, `<stage>-<key>` when the runner made it. */
  run: string;
  /** The stage key, when the work dir's name carries one. */
  key: string | null;
  savedAt: string;
  files: Record<string, FileRecord>;
}

/** Why a checkpoint folder cannot be trusted, and its epoch when the manifest says. */
export interface CheckpointProblems {
  problems: string[];
  epoch: number | null;
}

/**
 * Write `checkpoint.json` for the `files` just written into `dir` (through `write`, which
 * fsyncs): written last, so a folder with a manifest had all its files written first.
 */
export async function writeCheckpointManifest(
  dir: string,
  workDir: string,
  epoch: number,
  files: Record<string, FileRecord>,
  write: (path: string, data: Uint8Array) => Promise<void>,
): Promise<void> {
  const run = basename(workDir);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    epoch,
    run,
    key: keyOf(run),
    savedAt: new Date().toISOString(),
    files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a < b ? -1 : 1)),
  };
  const json = JSON.stringify(manifest, null, 2) + "\n";
  await write(join(dir, CHECKPOINT_MANIFEST), new TextEncoder().encode(json));
}

/**
 * Check a checkpoint folder against its manifest: the format, the run it belongs to, that
 * the required files are listed, and every file's size and sha256 (missing or extra files
 * too). Reads nothing but hashes.
 */
export async function checkCheckpoint(
  dir: string,
  workDir: string,
): Promise<{ manifest: CheckpointManifest } | CheckpointProblems> {
  let manifest: CheckpointManifest;
  try {
    // A FIFO or device here must not hang an audit: only a small regular file is read.
    const text = await readRegularTextFile(join(dir, CHECKPOINT_MANIFEST), { maxBytes: 1 << 20 });
    manifest = JSON.parse(text);
  } catch (error) {
    const what = error instanceof Deno.errors.NotFound ? "missing" : "unreadable";
    return { problems: [`${CHECKPOINT_MANIFEST} is ${what}`], epoch: null };
  }
  const epoch = Number.isInteger(manifest?.epoch) ? manifest.epoch : null;
  if (manifest?.format !== CHECKPOINT_FORMAT) {
    const problem = `${CHECKPOINT_MANIFEST} has format ${manifest?.format}, ` +
      `expected ${CHECKPOINT_FORMAT}`;
    return { problems: [problem], epoch };
  }
  const key = keyOf(basename(workDir));
  if (key && manifest.key !== key) {
    return { problems: [`it was saved for key ${manifest.key}, not ${key}`], epoch };
  }
  const files = typeof manifest.files === "object" && manifest.files ? manifest.files : {};
  const problems = REQUIRED.filter((name) => !(name in files))
    .map((name) => `${CHECKPOINT_MANIFEST} does not list ${name}`);
  problems.push(...await recordedFilesProblems(dir, files, [CHECKPOINT_MANIFEST]));
  return problems.length ? { problems, epoch } : { manifest };
}

/**
 * Every problem of the checkpoint a run in `workDir` would resume from (for `verify
 * --check-hashes`): `checkpoint`, or `checkpoint.prev` when a swap was cut short. [] when
 * it is intact or there is none; an unfinished `checkpoint.next` is not one (never used).
 */
export async function checkpointProblems(workDir: string): Promise<string[]> {
  for (const name of [CHECKPOINT_DIRS.current, CHECKPOINT_DIRS.prev]) {
    const dir = join(workDir, name);
    try {
      await Deno.lstat(dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const checked = await checkCheckpoint(dir, workDir);
    return "problems" in checked ? checked.problems.map((p) => `${name}: ${p}`) : [];
  }
  return [];
}

/**
 * The epoch of the checkpoint a resume would start from right now (current, else the
 * previous one), read synchronously so a signal handler can ask; null when there is none.
 * Not verified here: the loader verifies before it trusts.
 */
export function savedEpochSync(workDir: string): number | null {
  for (const name of [CHECKPOINT_DIRS.current, CHECKPOINT_DIRS.prev]) {
    try {
      const epoch = JSON.parse(Deno.readTextFileSync(join(workDir, name, CHECKPOINT_MANIFEST)))
        ?.epoch;
      if (Number.isInteger(epoch)) return epoch;
    } catch { /* none there, or mid-write: look at the previous one */ }
  }
  return null;
}

/** The stage key in a runner-made work dir name (`train-<64 hex>`), else null. */
export function keyOf(run: string): string | null {
  return run.match(/-([0-9a-f]{64})$/)?.[1] ?? null;
}
