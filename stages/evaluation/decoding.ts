/**
 * Latent points decoded to pixel means in batches: how the evaluator makes the images the
 * report shows.
 */
import * as tf from "@tensorflow/tfjs-core";
import { decodeMean, type Model, oneHot } from "../model/networks.ts";

/**
 * Pixel means E[x|z] in [0, 1] for latent points z [n, d] (row-major), with class indices
 * for a cvae-concat decoder, in passes of `batchSize`: the images the report shows.
 */
export function decodeMeans(
  model: Model,
  z: Float32Array,
  classIndex: Int32Array,
  batchSize: number,
): Float32Array {
  const d = model.params.latentDim;
  const n = z.length / d;
  const out = new Float32Array(n * model.inputDim);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const means = tf.tidy(() => {
      const zs = tf.tensor2d(z.subarray(start * d, (start + size) * d), [size, d]);
      const y = oneHot(classIndex.subarray(start, start + size), model.numClasses);
      return decodeMean(model, zs, y);
    });
    out.set(means.dataSync(), start * model.inputDim);
    means.dispose();
  }
  return out;
}
