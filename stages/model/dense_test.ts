import * as tf from "@tensorflow/tfjs-core";
import { assertClose } from "../../pipeline/test_assert.ts";
import { type BackendName, initBackend } from "./backend.ts";
import { blasTest } from "./blas_testing.ts";
import { dense, denseActivated } from "./dense.ts";

/** Small deterministic inputs: a fixed pseudo-random sequence in [−1, 1]. */
function values(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(12.9898 * (i + 1) + 78.233 * salt));
}

/** One test problem: x [b, i], w [i, o], bias [o], and the weights r of L = Σ r ⊙ dense(…). */
function problem(b: number, i: number, o: number) {
  return {
    b,
    i,
    o,
    x: values(b * i, 1),
    w: values(i * o, 2),
    bias: values(o, 3),
    r: values(b * o, 4),
  };
}
type Problem = ReturnType<typeof problem>;

// dense arranges its products by shape: batch < both widths ("wide"), or not ("narrow").
const PROBLEMS = { wide: problem(3, 4, 5), narrow: problem(6, 4, 2) };

/** L in float64 plain JS, the reference the finite differences are taken on. */
function loss64(p: Problem, [x, w, bias]: number[][]): number {
  let total = 0;
  for (let r = 0; r < p.b; r++) {
    for (let c = 0; c < p.o; c++) {
      let y = bias[c];
      for (let k = 0; k < p.i; k++) y += x[r * p.i + k] * w[k * p.o + c];
      total += p.r[r * p.o + c] * y;
    }
  }
  return total;
}

/** Central differences of loss64 with respect to each entry of argument `which`. */
function finiteDifferences(p: Problem, which: number, h = 1e-6): number[] {
  const args = [p.x, p.w, p.bias];
  return args[which].map((_, i) => {
    const shifted = (d: number) =>
      args.map((a, j) => (j === which ? a.map((v, k) => (k === i ? v + d : v)) : a));
    return (loss64(p, shifted(h)) - loss64(p, shifted(-h))) / (2 * h);
  });
}

type Layer = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** The layer's output and ∂L/∂x, ∂L/∂w, ∂L/∂b through it, as plain arrays. */
function run(p: Problem, layer: Layer): { y: number[]; grads: number[][] } {
  return tf.tidy(() => {
    const r = tf.tensor2d(p.r, [p.b, p.o]);
    const inputs = [
      tf.tensor2d(p.x, [p.b, p.i]),
      tf.tensor2d(p.w, [p.i, p.o]),
      tf.tensor1d(p.bias),
    ];
    const [x, w, b] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(r, layer(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)));
    return {
      y: Array.from(layer(x, w, b).dataSync()),
      grads: tf.grads(loss)(inputs).map((t) => Array.from(t.dataSync())),
    };
  });
}

const builtin: Layer = (x, w, b) => tf.add(tf.matMul(x, w), b);

for (const backend of ["wasm", "cpu", "blas"] as BackendName[]) {
  // The blas backend's tests need a BLAS: without one they are ignored (see blas_testing.ts).
  const test = backend === "blas" ? blasTest : Deno.test;
  for (const [shape, p] of Object.entries(PROBLEMS)) {
    const name = (what: string) => `dense ${what} (${shape} layer, ${backend})`;

    test(name("forward equals x·w + b"), async () => {
      await initBackend(backend);
      assertClose(run(p, dense).y, run(p, builtin).y, 1e-6);
    });

    test(name("gradients match float64 finite differences"), async () => {
      await initBackend(backend);
      const { grads } = run(p, dense);
      [0, 1, 2].forEach((i) => assertClose(grads[i], finiteDifferences(p, i), 1e-5, `arg ${i}`));
    });

    test(name("gradients match tfjs's own matMul gradient"), async () => {
      await initBackend(backend);
      const [ours, theirs] = [run(p, dense).grads, run(p, builtin).grads];
      ours.forEach((g, i) => assertClose(g, theirs[i], 1e-6, `argument ${i}`));
    });

    // On blas one kernel takes only the gradients something needs: none is zeroed.
    (backend === "blas" ? () => {} : test)(
      name("with inputGrad false: zero ∂x, the same ∂W and ∂b"),
      async () => {
        await initBackend(backend);
        const full = run(p, dense).grads;
        const [dx, dw, db] = run(p, (x, w, b) => dense(x, w, b, { inputGrad: false })).grads;
        assertClose(dx, new Array(p.b * p.i).fill(0), 0);
        assertClose(dw, full[1], 0);
        assertClose(db, full[2], 0);
      },
    );

    test(name("without bias: x·w, with the same gradients"), async () => {
      await initBackend(backend);
      // The bias is added outside, so both layers still take (x, w, b).
      const [ours, theirs] = [
        run(p, (x, w, b) => tf.add(dense(x, w), b)),
        run(p, (x, w, b) => tf.add(tf.matMul(x, w), b)),
      ];
      assertClose(ours.y, theirs.y, 1e-6);
      ours.grads.forEach((g, i) => assertClose(g, theirs.grads[i], 1e-6, `argument ${i}`));
    });

    test(
      name("tanh(x·w + b), fused or not, equals tf.tanh of the product, gradients too"),
      async () => {
        await initBackend(backend);
        const [ours, theirs] = [
          run(p, (x, w, b) => denseActivated(x, w, b, "tanh")),
          run(p, (x, w, b) => tf.tanh(tf.add(tf.matMul(x, w), b))),
        ];
        assertClose(ours.y, theirs.y, 1e-6);
        ours.grads.forEach((g, i) => assertClose(g, theirs.grads[i], 1e-5, `argument ${i}`));
      },
    );
  }
}

blasTest("the blas backend computes dense (and tanh) as wasm does, to float rounding", async () => {
  const p = problem(37, 29, 23); // no size a multiple of 4: the tails are exercised
  const on = async (backend: BackendName) => {
    await initBackend(backend);
    return [
      run(p, (x, w, b) => dense(x, w, b)),
      run(p, (x, w, b) => denseActivated(x, w, b, "tanh")),
    ];
  };
  const [wasm, blas] = [await on("wasm"), await on("blas")];
  await initBackend("wasm");
  blas.forEach((r, k) => {
    assertClose(r.y, wasm[k].y, 1e-5, `output ${k}`);
    r.grads.forEach((g, i) => assertClose(g, wasm[k].grads[i], 1e-4, `case ${k} argument ${i}`));
  });
});
