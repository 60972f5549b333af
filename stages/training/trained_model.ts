/**
 * The train stage's artifact as later stages read it: training.json's summary and the model
 * rebuilt from its saved weights.
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import type { LossParams, ModelParams } from "../config_schema.ts";
import { loadCheckpoint } from "../model/io.ts";
import { buildModel, disposeModel, type Model } from "../model/networks.ts";

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
  const zeros = (_: string, shape: number[]) => tf.zeros(shape);
  const model = buildModel(summary.model, summary.inputDim, summary.classes.length, zeros);
  try {
    await loadCheckpoint(model, dir);
  } catch (error) {
    disposeModel(model);
    throw error;
  }
  return { model, summary };
}
