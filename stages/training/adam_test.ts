import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../model/backend.ts";
import { assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { Adam } from "./adam.ts";

await initBackend("wasm");

/** Minimise a small quadratic with an optimizer; returns the parameters after `steps`. */
function run(optimizer: tf.Optimizer, w: tf.Variable, steps: number): Float32Array {
  const target = tf.tensor1d([1, -2, 3]);
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(() => tf.sum(tf.square(tf.sub(w, target))), false, [w]);
  }
  target.dispose();
  return w.dataSync() as Float32Array;
}

Deno.test("Adam matches tfjs's own Adam step for step (the trusted reference)", () => {
  const config = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const ours = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]));
  const theirs = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]));
  const adam = new Adam([{ name: "w", tensor: ours }], config);
  const reference = tf.train.adam(config.learningRate, config.beta1, config.beta2, config.epsilon);
  // tfjs multiplies β^t up in float32 while ours computes it in float64 from the step, so
  // the two drift apart by float32 rounding only: ~1e-7 at first, ~1e-5 after 46 steps.
  for (const [steps, tolerance] of [[1, 1e-6], [5, 1e-5], [40, 1e-4]]) {
    assertClose(run(adam, ours, steps), run(reference, theirs, steps), tolerance, `+${steps}`);
  }
  assertEquals(adam.step, 46);
  adam.dispose();
  reference.dispose();
  tf.dispose([ours, theirs]);
});

Deno.test("Adam's state is its moments and its step: restoring them continues exactly", () => {
  const config = { learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-7 };
  const a = tf.variable(tf.tensor1d([0, 0, 0]));
  const adamA = new Adam([{ name: "w", tensor: a }], config);
  run(adamA, a, 7);
  // A second optimizer given A's weights, moments and step continues bit for bit.
  const b = tf.variable(a);
  const adamB = new Adam([{ name: "w", tensor: b }], config);
  adamB.namedState().forEach((s, i) => s.tensor.assign(adamA.namedState()[i].tensor));
  adamB.step = adamA.step;
  assertEquals(Array.from(run(adamB, b, 5)), Array.from(run(adamA, a, 5)));
  adamA.dispose();
  adamB.dispose();
  tf.dispose([a, b]);
});
