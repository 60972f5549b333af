import * as tf from "@tensorflow/tfjs-core";
import { assertClose } from "../../pipeline/test_assert.ts";
import { type BackendName, initBackend } from "./backend.ts";
import { dense } from "./dense.ts";

/** Small deterministic inputs: a fixed pseudo-random sequence in [−1, 1]. */
function values(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(12.9898 * (i + 1) + 78.233 * salt));
}

const [B, I, O] = [3, 4, 5];
const X = values(B * I, 1);
const W = values(I * O, 2);
const BIAS = values(O, 3);
const R = values(B * O, 4); // weights of the scalar test loss L = Σ R ⊙ dense(x, w, b)

/** L in float64 plain JS, the reference the finite differences are taken on. */
function loss64(x: number[], w: number[], b: number[]): number {
  let total = 0;
  for (let r = 0; r < B; r++) {
    for (let c = 0; c < O; c++) {
      let y = b[c];
      for (let k = 0; k < I; k++) y += x[r * I + k] * w[k * O + c];
      total += R[r * O + c] * y;
    }
  }
  return total;
}

/** Central differences of loss64 with respect to each entry of argument `which`. */
function finiteDifferences(which: 0 | 1 | 2, h = 1e-6): number[] {
  const args = [X, W, BIAS];
  return args[which].map((_, i) => {
    const shifted = (d: number) =>
      args.map((a, j) => (j === which ? a.map((v, k) => (k === i ? v + d : v)) : a));
    const [xp, wp, bp] = shifted(h);
    const [xm, wm, bm] = shifted(-h);
    return (loss64(xp, wp, bp) - loss64(xm, wm, bm)) / (2 * h);
  });
}

type Layer = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** ∂L/∂x, ∂L/∂w, ∂L/∂b through `layer`, as plain arrays. */
function gradients(layer: Layer): number[][] {
  return tf.tidy(() => {
    const r = tf.tensor2d(R, [B, O]);
    const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(r, layer(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)));
    const inputs = [tf.tensor2d(X, [B, I]), tf.tensor2d(W, [I, O]), tf.tensor1d(BIAS)];
    return tf.grads(loss)(inputs).map((t) => Array.from(t.dataSync()));
  });
}

for (const backend of ["wasm", "cpu"] as BackendName[]) {
  Deno.test(`dense forward equals x·w + b (${backend})`, async () => {
    await initBackend(backend);
    const [y, ref] = tf.tidy(() => {
      const [x, w, b] = [tf.tensor2d(X, [B, I]), tf.tensor2d(W, [I, O]), tf.tensor1d(BIAS)];
      return [dense(x, w, b).dataSync(), tf.add(tf.matMul(x, w), b).dataSync()];
    });
    assertClose(y, ref, 1e-6);
  });

  Deno.test(`dense gradients match float64 finite differences (${backend})`, async () => {
    await initBackend(backend);
    const got = gradients(dense);
    for (const which of [0, 1, 2] as const) {
      assertClose(got[which], finiteDifferences(which), 1e-5, `argument ${which}`);
    }
  });

  Deno.test(`dense gradients match tfjs's own matMul gradient (${backend})`, async () => {
    await initBackend(backend);
    const ours = gradients(dense);
    const theirs = gradients((x, w, b) => tf.add(tf.matMul(x, w), b));
    ours.forEach((g, i) => assertClose(g, theirs[i], 1e-6, `argument ${i}`));
  });

  Deno.test(`dense without bias: x·w and the same gradients (${backend})`, async () => {
    await initBackend(backend);
    const [ours, theirs] = tf.tidy(() => {
      const [x, w] = [tf.tensor2d(X, [B, I]), tf.tensor2d(W, [I, O])];
      const r = tf.tensor2d(R, [B, O]);
      const grad = (f: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor) =>
        tf.grads((a, b) => tf.sum(tf.mul(r, f(a as tf.Tensor2D, b as tf.Tensor2D))))([x, w])
          .flatMap((t) => Array.from(t.dataSync()));
      return [grad((a, b) => dense(a, b)), grad((a, b) => tf.matMul(a, b))];
    });
    assertClose(ours, theirs, 1e-6);
  });
}
