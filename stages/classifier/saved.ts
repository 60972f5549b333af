/**
 * The classify stage's weights on disk: `weights.json` + `weights.bin`, the pipeline's
 * exact float32 tensor files. The layer sizes are read back from the kernels' shapes.
 */
import * as tf from "@tensorflow/tfjs-core";
import { readTensors, writeTensors } from "../model/io.ts";
import { buildClassifier, type Classifier, classifierWeights } from "./mlp.ts";

const STEM = "weights";

export function saveClassifier(c: Classifier, dir: string): Promise<void> {
  return writeTensors(dir, STEM, classifierWeights(c));
}

/** Rebuild a saved classifier exactly. The caller disposes it (disposeClassifier). */
export async function loadClassifier(dir: string): Promise<Classifier> {
  const saved = await readTensors(dir, STEM);
  try {
    const byName = new Map(saved.map((w) => [w.name, w.tensor]));
    const kernels = saved.filter((w) => w.name.endsWith("/kernel")).map((w) => w.tensor);
    const shapes = kernels.map((k) => k.shape as [number, number]);
    const sizes = [shapes[0][0], ...shapes.map(([, out]) => out)];
    return buildClassifier(sizes, (name, shape) => {
      const value = byName.get(name);
      if (!value || !tf.util.arraysEqual(value.shape, shape)) {
        throw new Error(`${dir}: ${STEM} has no ${name} of shape [${shape}]`);
      }
      return tf.clone(value); // buildClassifier disposes what init returns
    });
  } finally {
    tf.dispose(saved.map((w) => w.tensor));
  }
}
