/**
 * A small MLP that labels images: x [batch, inputDim] → relu hidden layers → class logits.
 * It judges the VAE's class-conditional samples, so it is kept apart from the VAE's code and
 * trained on real images only.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { dense } from "../model/dense.ts";
import type { DenseParams } from "../model/networks.ts";

/** The classifier's dense layers and its input and output sizes. */
export interface Classifier {
  /** Hidden layers, then the output layer (no activation: logits). */
  readonly layers: DenseParams[];
  readonly inputDim: number;
  readonly numClasses: number;
}

/** Layer sizes from input to logits. */
export function layerSizes(c: Classifier): number[] {
  return [c.inputDim, ...c.layers.map((l) => l.kernel.shape[1])];
}

/** Makes the initial value of the parameter called `name`. */
type Init = (name: string, shape: number[]) => tf.Tensor;

/** The classifier's structure, each parameter's value taken from `init`. */
export function buildClassifier(sizes: number[], init: Init): Classifier {
  const variable = <R extends tf.Rank>(name: string, shape: number[]) => {
    const value = init(name, shape);
    const v = tf.variable(value) as tf.Variable<R>;
    value.dispose();
    return v;
  };
  const layers = sizes.slice(1).map((out, i) => ({
    kernel: variable<tf.Rank.R2>(`${layerName(i, sizes)}/kernel`, [sizes[i], out]),
    bias: variable<tf.Rank.R1>(`${layerName(i, sizes)}/bias`, [out]),
  }));
  return { layers, inputDim: sizes[0], numClasses: sizes[sizes.length - 1] };
}

function layerName(i: number, sizes: number[]): string {
  return i === sizes.length - 2 ? "classifier/output" : `classifier/hidden_${i}`;
}

/**
 * A new classifier with Glorot-uniform kernels and zero biases, each kernel from its own
 * stream forked from the seed by its name (the VAE's initialisation, on its own fork).
 */
export function createClassifier(sizes: number[], seed: number): Classifier {
  const rng = new Rng(seed).fork("classifier-init");
  return buildClassifier(sizes, (name, shape) => {
    if (name.endsWith("/bias")) return tf.zeros(shape);
    const stream = rng.fork(name);
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    const values = Float32Array.from(
      { length: shape[0] * shape[1] },
      () => (2 * stream.uniform() - 1) * limit,
    );
    return tf.tensor2d(values, shape as [number, number]);
  });
}

/** Every parameter under a stable name, in layer order: what is trained and saved. */
export function classifierWeights(c: Classifier): { name: string; tensor: tf.Variable }[] {
  const sizes = layerSizes(c);
  return c.layers.flatMap((l, i) => [
    { name: `${layerName(i, sizes)}/kernel`, tensor: l.kernel as tf.Variable },
    { name: `${layerName(i, sizes)}/bias`, tensor: l.bias as tf.Variable },
  ]);
}

export function disposeClassifier(c: Classifier): void {
  tf.dispose(classifierWeights(c).map((w) => w.tensor));
}

/**
 * The relu activations of the last hidden layer [batch, width]: the features the Fréchet
 * distance compares (the input itself when there is no hidden layer).
 */
export function features(c: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    c.layers.slice(0, -1).reduce(
      // The first layer reads data: its input gradient is never needed.
      (h, l, i) => tf.relu(dense(h, l.kernel, l.bias, { inputGrad: i > 0 })),
      x,
    )
  );
}

/** Class logits [batch, numClasses]. */
export function logits(c: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const out = c.layers[c.layers.length - 1];
    return dense(features(c, x), out.kernel, out.bias, { inputGrad: c.layers.length > 1 });
  });
}

/** Mean softmax cross-entropy of the logits against one-hot labels (nats per example). */
export function crossEntropy(c: Classifier, x: tf.Tensor2D, yOneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(yOneHot, tf.logSoftmax(logits(c, x))), 1))));
}

/** The most likely class index of each of the `n` images in `x`, in passes of `batchSize`. */
export function predict(c: Classifier, x: Float32Array, batchSize = 1000): Int32Array {
  const out = new Int32Array(x.length / c.inputDim);
  return inBatches(c, x, batchSize, out, (xs) => tf.argMax(logits(c, xs), 1));
}

/** Width of `features`: the last hidden layer's (the input's when there is none). */
export function featureWidth(c: Classifier): number {
  return layerSizes(c).at(-2)!;
}

/** The features of the `n` images in `x`, [n, featureWidth] row-major. */
export function featureRows(c: Classifier, x: Float32Array, batchSize = 1000): Float32Array {
  const out = new Float32Array((x.length / c.inputDim) * featureWidth(c));
  return inBatches(c, x, batchSize, out, (xs) => features(c, xs));
}

/** `f` of the images in `x`, in passes of `batchSize`, written row by row into `out`. */
function inBatches<T extends Float32Array | Int32Array>(
  c: Classifier,
  x: Float32Array,
  batchSize: number,
  out: T,
  f: (xs: tf.Tensor2D) => tf.Tensor,
): T {
  const n = x.length / c.inputDim;
  const width = out.length / n;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const rows = x.subarray(start * c.inputDim, (start + size) * c.inputDim);
    const result = tf.tidy(() => f(tf.tensor2d(rows, [size, c.inputDim])));
    out.set(result.dataSync(), start * width);
    result.dispose();
  }
  return out;
}
