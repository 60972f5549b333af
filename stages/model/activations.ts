/**
 * The hidden-layer activations a config can name, tanh among them computed as 2σ(2x) − 1
 * because the wasm backend's own tanh is slow.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ModelParams } from "../config_schema.ts";

/**
 * tanh as 2σ(2x) − 1, with the gradient (1 − y²)·dy. Why: the wasm backend computes tanh with
 * scalar code, ~15× slower than its vectorised sigmoid, and tanh is the reference activation
 * (seed 004). The identity is exact; float32 rounding differs from tf.tanh by ~1e-7.
 */
const fastTanh = tf.customGrad((...args) => {
  const save = args.pop() as tf.GradSaveFunc;
  const [x] = args as tf.Tensor[];
  const y = tf.sub(tf.mul(2, tf.sigmoid(tf.mul(2, x))), 1);
  save([y]);
  return {
    value: y,
    gradFunc: (dy, [ys]) => tf.mul(dy, tf.sub(1, tf.square(ys))),
  };
});

export function tanh(x: tf.Tensor2D): tf.Tensor2D {
  return fastTanh(x) as tf.Tensor2D;
}

/** The hidden-layer activations ModelParams.activation names. */
export const ACTIVATIONS: Record<ModelParams["activation"], (x: tf.Tensor2D) => tf.Tensor2D> = {
  tanh,
  relu: tf.relu,
  elu: tf.elu,
  sigmoid: tf.sigmoid,
};
