import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { initBackend } from "../model/backend.ts";
import { klPerDim } from "../model/losses.ts";
import { logNormal, logNormalAt } from "./gaussian.ts";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The closed-form KL the evaluator reports (losses.klPerDim), summed over dims, per row. */
function closedFormKl(mu: number[][], logVar: number[][], priorMu: number[][]): number[] {
  return tf.tidy(() => {
    const kl = klPerDim(tf.tensor2d(mu), tf.tensor2d(logVar), tf.tensor2d(priorMu));
    return Array.from(tf.sum(kl, 1).dataSync());
  });
}

Deno.test("closed-form KL: an exact hand-computed case", async () => {
  await initBackend("wasm");
  // KL_j = ½[(μ − μp)² + σ² − log σ² − 1]: ½·1, ½(2 − log 2 − 1), ½·1.
  const [kl] = closedFormKl([[1, 0, 2]], [[0, Math.log(2), 0]], [[0, 0, 1]]);
  assertClose(kl, 0.5 + 0.5 * (1 - Math.log(2)) + 0.5, 1e-6);
  assertClose(closedFormKl([[0, 0]], [[0, 0]], [[0, 0]]), [0], 0); // q = p
});

Deno.test("closed-form KL equals a Monte Carlo estimate E_q[log q − log p]", async () => {
  await initBackend("wasm");
  const rng = new Rng(11);
  const d = 3;
  const rows = 5;
  const draw = (f: () => number) =>
    Array.from({ length: rows }, () => Array.from({ length: d }, f));
  const mu = draw(() => rng.normal());
  const logVar = draw(() => -2 + 3 * rng.uniform());
  const priorMu = draw(() => rng.normal());
  const closed = closedFormKl(mu, logVar, priorMu);
  const samples = 200_000;
  const unit = new Array(d).fill(0);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const z = new Float64Array(d);
    for (let s = 0; s < samples; s++) {
      for (let j = 0; j < d; j++) z[j] = mu[r][j] + Math.exp(0.5 * logVar[r][j]) * rng.normal();
      sum += logNormalAt(z, 0, mu[r], logVar[r], 0, d) - logNormalAt(z, 0, priorMu[r], unit, 0, d);
    }
    const mc = sum / samples;
    const relative = Math.abs(mc - closed[r]) / closed[r];
    assert_(relative < 1e-2, `row ${r}: closed form ${closed[r]}, Monte Carlo ${mc}`);
  }
});

Deno.test("logNormal (tensors) and logNormalAt (float64) agree with the density formula", async () => {
  await initBackend("wasm");
  const z = [[0.5, -1], [0, 0]];
  const mean = [[0, 1], [0, 0]];
  const logVar = [[Math.log(4), 0], [0, 0]];
  const expected = [
    -2 * HALF_LOG_2PI - 0.5 * Math.log(4) - 0.5 * (0.25 / 4) - 0.5 * 4,
    -2 * HALF_LOG_2PI,
  ];
  const before = tf.memory().numTensors;
  const [general, unit] = tf.tidy(() => [
    Array.from(logNormal(tf.tensor2d(z), tf.tensor2d(mean), tf.tensor2d(logVar)).dataSync()),
    Array.from(logNormal(tf.tensor2d(z)).dataSync()),
  ]);
  assertEquals(tf.memory().numTensors, before);
  assertClose(general, expected, 1e-6);
  assertClose(unit[1], expected[1], 1e-6);
  assertClose(unit[0], -2 * HALF_LOG_2PI - 0.5 * (0.25 + 1), 1e-6);
  assertClose(logNormalAt(z[0], 0, mean[0], logVar[0], 0, 2), expected[0], 1e-12);
});
