/**
 * The resume checkpoint of a training run, in the stage's work dir (which survives a crash):
 *
 *     checkpoint/        the last complete checkpoint: tensors, state.json, checkpoint.json
 *     checkpoint.next/   one being written: never trusted, deleted on load
 *     checkpoint.prev/   the one before, present only while a new one is swapped in
 *
 * Saving writes everything into `checkpoint.next`, each file fsynced, then `checkpoint.json`
 * (the sha256 and size of every other file, the epoch, the run it belongs to) last, then
 * fsyncs the folder. Only then is it swapped in by two renames, `checkpoint` →
 * `checkpoint.prev` and `checkpoint.next` → `checkpoint`, the work dir fsynced, and
 * `checkpoint.prev` deleted. A rename is atomic, so at every instant `checkpoint` — or,
 * between the two renames, `checkpoint.prev` — is a complete checkpoint on disk. (Versioned
 * folders plus a pointer file would do the same with one more file to keep consistent.)
 *
 * Loading verifies every file against `checkpoint.json` before restoring anything, trying
 * `checkpoint` and then `checkpoint.prev`. A checkpoint that fails is moved aside to
 * `<name>.corrupt` (one log line says why) and never used: a tampered or half-written
 * checkpoint must not leak into weights that are then published as if trained cleanly.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import { basename, dirname, join } from "node:path";
import { describeDiskError, namingPath } from "../../pipeline/disk_errors.ts";
import { UserError } from "../../pipeline/errors.ts";
import { sha256 } from "../../pipeline/hash.ts";
import type { FileRecord } from "../../pipeline/recorded_files.ts";
import type { Row } from "../../lib/table.ts";
import type { Adam } from "./adam.ts";
import {
  checkCheckpoint,
  CHECKPOINT_DIRS,
  type CheckpointManifest,
  type CheckpointProblems,
  keyOf,
  writeCheckpointManifest,
} from "./checkpoint_manifest.ts";
import { type NamedTensor, readTensors, type WriteFile, writeTensors } from "../model/io.ts";
import { pathExists } from "../../pipeline/folders.ts";
import { settleAll } from "../../lib/settle_all.ts";

/** Where training stands after a whole epoch: enough to carry on as if never stopped. */
export interface TrainingState {
  completedEpochs: number;
  history: Row[];
  /** The best validation epoch so far (1-based) and its loss, when validating. */
  best: { epoch: number; loss: number } | null;
}

type Named = { name: string; tensor: tf.Variable }[];

/** What a checkpoint holds: the model, the optimizer and (with best-validation) the best weights. */
export interface ResumeParts {
  weights: Named;
  optimizer: Adam;
  best?: Named;
}

/** Where a resumed run's state came from, for the log. */
export interface Resumed {
  state: TrainingState;
  /** The checkpoint folder it was read from (`…/checkpoint` or `…/checkpoint.prev`). */
  dir: string;
  /** When that checkpoint was saved (ISO 8601). */
  savedAt: string;
}

const { current: CURRENT, next: NEXT, prev: PREV } = CHECKPOINT_DIRS;

type SavedState = TrainingState & { optimizerStep: number; hasBest: boolean };

/**
 * Save the model, the optimizer and the state as the new `<workDir>/checkpoint`, replacing
 * the previous one atomically (see the module comment). If anything fails — a full disk —
 * the partial `checkpoint.next` is removed, the previous checkpoint stays, and the error is
 * one line. `write` is how files reach the disk (tests inject a failing one).
 */
export async function saveResumePoint(
  workDir: string,
  parts: ResumeParts,
  state: TrainingState,
  { write = writeDurably }: { write?: WriteFile } = {},
): Promise<void> {
  const next = join(workDir, NEXT);
  await Deno.remove(next, { recursive: true }).catch(ignoreNotFound);
  // The manifest records the bytes meant to be written (hashed in memory, not read back), so
  // a write the disk got wrong fails verification instead of being blessed.
  const files: Record<string, FileRecord> = {};
  const recorded: WriteFile = async (path, data) => {
    await write(path, data);
    files[basename(path)] = { sha256: sha256(data), size: data.length };
  };
  try {
    await Deno.mkdir(next, { recursive: true });
    const saved: SavedState = {
      ...state,
      optimizerStep: parts.optimizer.step,
      hasBest: Boolean(parts.best),
    };
    // Written and fsynced all at once: the disk flushes them together, not one by one.
    await settleAll([
      writeTensors(next, "model", parts.weights, recorded),
      writeTensors(next, "optimizer", parts.optimizer.namedState(), recorded),
      ...(parts.best ? [writeTensors(next, "best", parts.best, recorded)] : []),
      recorded(join(next, "state.json"), new TextEncoder().encode(JSON.stringify(saved))),
    ]);
    await writeCheckpointManifest(next, workDir, state.completedEpochs, files, write);
    await syncDir(next);
    await swapIn(workDir);
  } catch (error) {
    await Deno.remove(next, { recursive: true }).catch(ignoreNotFound);
    const kept = await pathExists(join(workDir, CURRENT)) || await pathExists(join(workDir, PREV));
    const after = `removed the partial copy${kept ? ", kept the previous checkpoint" : ""}`;
    const full = describeDiskError(error, diskWrite(workDir));
    if (full) throw new UserError(`${full.message} (${after})`, { cause: error });
    throw new Error(
      `train: could not save the checkpoint after epoch ${state.completedEpochs} in ` +
        `${workDir}: ${oneLine(error)}; ${after}`,
      { cause: error },
    );
  }
}

/** Where a checkpoint write happens, for a full disk's one-line message. */
function diskWrite(workDir: string) {
  const run = basename(workDir);
  const key = keyOf(run);
  // A runner-made work dir is <store>/.work/<stage>-<key>; elsewhere (tests) it is its own root.
  if (!key) return { root: workDir, stage: "train" };
  return { root: dirname(dirname(workDir)), stage: run.slice(0, -key.length - 1), key };
}

/** checkpoint → checkpoint.prev, checkpoint.next → checkpoint, then drop checkpoint.prev. */
async function swapIn(workDir: string): Promise<void> {
  const [current, next, prev] = [CURRENT, NEXT, PREV].map((name) => join(workDir, name));
  if (await pathExists(current)) {
    // A leftover prev (a crash after the second rename) is older than current: drop it.
    await Deno.remove(prev, { recursive: true }).catch(ignoreNotFound);
    await Deno.rename(current, prev);
  }
  // Without a current, an existing prev is what the run resumed from: it stays until here.
  await Deno.rename(next, current);
  await syncDir(workDir);
  await Deno.remove(prev, { recursive: true }).catch(ignoreNotFound);
}

/**
 * Restore the newest valid checkpoint into `parts`; returns its state and where it came from,
 * or null for a fresh start. Every file is verified before anything is restored; a bad
 * checkpoint is moved aside with one `log` line, and a leftover `checkpoint.next` deleted.
 */
export async function loadResumePoint(
  workDir: string,
  parts: ResumeParts,
  log: (line: string) => void = () => {},
): Promise<Resumed | null> {
  const next = join(workDir, NEXT);
  if (await pathExists(next)) {
    await Deno.remove(next, { recursive: true });
    log(`train: removed ${next}: a save was interrupted before it completed`);
  }
  const rejected: ({ name: string } & CheckpointProblems)[] = [];
  let found: Resumed | null = null;
  for (const name of [CURRENT, PREV]) {
    const dir = join(workDir, name);
    if (!(await pathExists(dir))) continue;
    const tried = await tryCheckpoint(dir, workDir, parts);
    if ("state" in tried) {
      found = tried;
      break;
    }
    rejected.push({ name, ...tried });
    await moveAside(dir);
  }
  const outcome = found
    ? `resuming from ${basename(found.dir)} after epoch ${found.state.completedEpochs}`
    : "starting from epoch 1";
  for (const { name, epoch, problems } of rejected) {
    const what = epoch === null ? `${name} (epoch unknown)` : `${name} after epoch ${epoch}`;
    const why = problems.join(", ");
    log(`train: ${what} is corrupt (${why}); ${outcome} (moved it to ${name}.corrupt)`);
  }
  return found;
}

/**
 * Verify one checkpoint folder (every file against checkpoint.json, then state.json against
 * the manifest) and, if it passes, restore it into `parts`.
 */
async function tryCheckpoint(
  dir: string,
  workDir: string,
  parts: ResumeParts,
): Promise<Resumed | CheckpointProblems> {
  const checked = await checkCheckpoint(dir, workDir);
  if ("problems" in checked) return checked;
  const { manifest } = checked;
  const problem = (text: string) => ({ problems: [text], epoch: manifest.epoch });
  const saved: SavedState = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  if (saved.completedEpochs !== manifest.epoch) {
    return problem(`state.json is after epoch ${saved.completedEpochs}, not ${manifest.epoch}`);
  }
  if (saved.hasBest && !("best.bin" in manifest.files)) return problem("best.bin is not listed");
  const state = await restore(dir, manifest, saved, parts);
  return "problems" in state ? state : { state, dir, savedAt: manifest.savedAt };
}

/**
 * Read every saved tensor, check it fits (names and shapes), and only then assign them all:
 * a checkpoint that does not fit changes nothing.
 */
async function restore(
  dir: string,
  manifest: CheckpointManifest,
  saved: SavedState,
  parts: ResumeParts,
): Promise<TrainingState | CheckpointProblems> {
  const groups: [string, Named][] = [
    ["model", parts.weights],
    ["optimizer", parts.optimizer.namedState()],
  ];
  if (parts.best && saved.hasBest) groups.push(["best", parts.best]);
  const loaded: NamedTensor[] = [];
  try {
    const assignments: [tf.Variable, tf.Tensor][] = [];
    for (const [stem, into] of groups) {
      let tensors: NamedTensor[];
      try {
        tensors = await readTensors(dir, stem);
      } catch (error) {
        // Hashes can match a checkpoint whose contents are still wrong (written by another
        // version, or by hand): one that cannot be read back is corrupt, not a crash.
        const why = String((error as Error)?.message ?? error).split("\n")[0].slice(0, 160);
        return { problems: [`${stem}.json cannot be read back (${why})`], epoch: manifest.epoch };
      }
      loaded.push(...tensors);
      const byName = new Map(tensors.map((t) => [t.name, t.tensor]));
      for (const { name, tensor } of into) {
        const value = byName.get(name);
        const fits = value && value.shape.join() === tensor.shape.join();
        if (!fits) {
          const problem = `${stem}.json has no tensor ${name}[${tensor.shape}]`;
          return { problems: [problem], epoch: manifest.epoch };
        }
        assignments.push([tensor, value]);
      }
    }
    for (const [variable, value] of assignments) variable.assign(value);
  } finally {
    for (const { tensor } of loaded) tensor.dispose();
  }
  parts.optimizer.step = saved.optimizerStep;
  return { completedEpochs: saved.completedEpochs, history: saved.history, best: saved.best };
}

/** Keep one bad copy to look at (it goes with the work dir when the stage publishes). */
async function moveAside(dir: string): Promise<void> {
  const aside = `${dir}.corrupt`;
  await Deno.remove(aside, { recursive: true }).catch(ignoreNotFound);
  await Deno.rename(dir, aside);
}

/**
 * Write a file and fsync it, so a checkpoint that is renamed into place is on the disk. A
 * failure names the file (Deno's write errors do not), keeping the OS error's code.
 */
export async function writeDurably(path: string, data: Uint8Array): Promise<void> {
  try {
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
    await file.sync();
  } catch (error) {
    throw namingPath(error, path);
  }
}

/** fsync a directory, so the renames and new entries in it survive a power cut. */
async function syncDir(path: string): Promise<void> {
  using dir = await Deno.open(path, { read: true });
  await dir.sync();
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim();
}
