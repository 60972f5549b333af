import type * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import type { LossParams, ModelParams } from "../../pipeline/config_schema.ts";
import { buildModel, type Model } from "../model/networks.ts";
import { loadTensors } from "./tensor_file.ts";

/** training.json: what the train stage fitted, on what, and which weights it kept. */
export interface TrainingSummary {
  model: ModelParams;
  loss: LossParams;
  inputDim: number;
  height: number;
  width: number;
  /** Dataset labels in one-hot order: class index i is label classes[i]. */
  classes: number[];
  trainExamples: number;
  validationExamples: number;
  epochsRun: number;
  keptEpoch: number;
  selection: string;
}

/**
 * Rebuild the trained model from a train artifact directory (weights.json + weights.bin),
 * with exactly the saved values. The caller owns the model: disposeModel it when done.
 */
export async function loadTrainedModel(
  dir: string,
): Promise<{ model: Model; summary: TrainingSummary }> {
  const summary: TrainingSummary = JSON.parse(
    await Deno.readTextFile(join(dir, "training.json")),
  );
  const saved = new Map<string, tf.Tensor>();
  for (const { name, tensor } of await loadTensors(dir, "weights")) saved.set(name, tensor);
  const model = buildModel(summary.model, summary.inputDim, summary.classes.length, (name) => {
    const value = saved.get(name);
    if (!value) throw new Error(`${dir}/weights.json has no tensor named ${name}`);
    saved.delete(name);
    return value;
  });
  if (saved.size > 0) {
    throw new Error(`${dir}/weights.json has unused tensors: ${[...saved.keys()]}`);
  }
  return { model, summary };
}
