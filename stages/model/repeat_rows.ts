/**
 * Repeating each row of a tensor, the copies side by side ([g, w] → [g·s, w]), done by
 * broadcasting: the way that is fast on the wasm and blas backends.
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Each row of t [g, w] repeated s times in place, [g·s, w]. By broadcasting, because the
 * wasm backend's tile and gather are scalar loops, ~30× slower on 784-pixel rows; onto
 * tf.fill's zeros, made in the backend's memory (tf.zeros makes them in JavaScript and copies
 * them over: a third of the whole IW bound's time on the blas backend).
 */
export function repeatRows(t: tf.Tensor2D, s: number): tf.Tensor2D {
  if (s === 1) return t.clone();
  return tf.tidy(() => {
    const [g, w] = t.shape;
    return tf.reshape(tf.add(tf.fill([g, s, w], 0), tf.reshape(t, [g, 1, w])), [g * s, w]);
  });
}
