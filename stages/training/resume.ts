import type * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import type { Row } from "../../pipeline/table.ts";
import type { Adam } from "./adam.ts";
import { type NamedTensor, readTensors, writeTensors } from "../model/io.ts";

/** Where training stands after a whole epoch: enough to carry on as if never stopped. */
export interface TrainingState {
  completedEpochs: number;
  history: Row[];
  /** The best validation epoch so far (1-based) and its loss, when validating. */
  best: { epoch: number; loss: number } | null;
}

type Named = { name: string; tensor: tf.Variable }[];

/**
 * Save the model, the optimizer and the state into `<workDir>/checkpoint`, replacing the
 * previous one only once the new one is complete: a crash mid-save leaves the old one.
 * `best` (the best-validation weights) is copied along when given.
 */
export async function saveResumePoint(
  workDir: string,
  weights: Named,
  optimizer: Adam,
  state: TrainingState,
  best?: Named,
): Promise<void> {
  const next = join(workDir, "checkpoint.next");
  const current = join(workDir, "checkpoint");
  await Deno.remove(next, { recursive: true }).catch(() => {});
  await Deno.mkdir(next, { recursive: true });
  await writeTensors(next, "model", weights);
  await writeTensors(next, "optimizer", optimizer.namedState());
  if (best) await writeTensors(next, "best", best);
  const full = { ...state, optimizerStep: optimizer.step, hasBest: Boolean(best) };
  await Deno.writeTextFile(join(next, "state.json"), JSON.stringify(full));
  await Deno.remove(current, { recursive: true }).catch(() => {});
  await Deno.rename(next, current);
}

/**
 * Restore the last checkpoint into `weights`, `optimizer` and (if saved) `best`; returns its
 * state, or null when there is none (a fresh start).
 */
export async function loadResumePoint(
  workDir: string,
  weights: Named,
  optimizer: Adam,
  best?: Named,
): Promise<TrainingState | null> {
  const dir = join(workDir, "checkpoint");
  let saved: TrainingState & { optimizerStep: number; hasBest: boolean };
  try {
    saved = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  await restore(dir, "model", weights);
  await restore(dir, "optimizer", optimizer.namedState());
  if (best && saved.hasBest) await restore(dir, "best", best);
  optimizer.step = saved.optimizerStep;
  return { completedEpochs: saved.completedEpochs, history: saved.history, best: saved.best };
}

/** Overwrite variables with saved values, matched by name; every name must be present. */
async function restore(dir: string, stem: string, into: Named): Promise<void> {
  const saved: NamedTensor[] = await readTensors(dir, stem);
  try {
    const byName = new Map(saved.map((s) => [s.name, s.tensor]));
    for (const { name, tensor } of into) {
      const value = byName.get(name);
      if (!value) throw new Error(`${dir}/${stem}.json has no tensor named ${name}`);
      tensor.assign(value);
    }
  } finally {
    for (const { tensor } of saved) tensor.dispose();
  }
}
