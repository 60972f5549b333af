/**
 * The blas backend against the wasm one: the same maths to float rounding (its products are
 * BLAS's, its fused kernels SIMD), byte-identical from run to run, and no tensor left behind.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LossParams, lossSchema, modelSchema } from "../config_schema.ts";
import { Rng } from "../../lib/rng.ts";
import { assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { reconTerms } from "../evaluation/posterior_pass.ts";
import { Adam } from "../training/adam.ts";
import { type BackendName, initBackend } from "./backend.ts";
import { blasTest } from "./blas_testing.ts";
import { MODEL_KINDS, type ModelKind } from "./kinds.ts";
import { bernoulliNll, regularizer } from "./losses.ts";
import {
  createModel,
  disposeModel,
  lossTerms,
  namedWeights,
  oneHot,
  reconstructionNll,
  reparameterize,
  sampleEps,
  trainStep,
} from "./networks.ts";

// 16 pixels (a multiple of 4, so the fused Bernoulli kernel runs), 3 classes, batches of 5.
const [INPUT, CLASSES, LATENT, BATCH] = [16, 3, 2, 5];

/** `f` on each backend in turn, each time from plain arrays; wasm is active afterwards. */
async function onBoth<T>(f: () => T): Promise<{ wasm: T; blas: T }> {
  const results: Partial<Record<BackendName, T>> = {};
  for (const backend of ["wasm", "blas"] as const) {
    await initBackend(backend);
    results[backend] = f();
  }
  await initBackend("wasm");
  return results as { wasm: T; blas: T };
}

const numbers = (n: number, salt: number) =>
  Array.from({ length: n }, (_, i) => Math.sin(12.9898 * (i + 1) + 78.233 * salt));

blasTest("matMul: every transpose flag and a broadcast batch, as on wasm", async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[4, 7, 5], [4, 5, 3], false, false],
    [[4, 7, 5], [1, 5, 3], false, false],
  ];
  const { wasm, blas } = await onBoth(() =>
    cases.map(([sa, sb, ta, tb], i) =>
      tf.tidy(() => {
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const a = tf.tensor(numbers(size(sa), i), sa);
        const b = tf.tensor(numbers(size(sb), i + 9), sb);
        const product = sa.length === 2
          ? tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb)
          : tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb);
        return { shape: product.shape, values: Array.from(product.dataSync()) };
      })
    )
  );
  blas.forEach((r, i) => {
    assertEquals(r.shape, wasm[i].shape);
    assertClose(r.values, wasm[i].values, 1e-5, `case ${i}`);
  });
});

blasTest("sum: column sums by BLAS, every other axis as on wasm", async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[7, 5], 0, false],
    [[7, 5], -2, true],
    [[7, 5], 1, false],
    [[7, 5], [0, 1], false],
    [[3, 4, 5], 0, false],
  ];
  const { wasm, blas } = await onBoth(() =>
    cases.map(([shape, axis, keepDims], i) =>
      tf.tidy(() => {
        const x = tf.tensor(numbers(shape.reduce((p, d) => p * d, 1), i), shape);
        const sum = tf.sum(x, axis, keepDims);
        return { shape: sum.shape, values: Array.from(sum.dataSync()) };
      })
    )
  );
  blas.forEach((r, i) => {
    assertEquals(r.shape, wasm[i].shape, `case ${i}`);
    assertClose(r.values, wasm[i].values, 1e-5, `case ${i}`);
  });
  // The column sums themselves, against plain arithmetic.
  await initBackend("blas");
  const sums = tf.tidy(() =>
    Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), 0).dataSync())
  );
  await initBackend("wasm");
  assertEquals(sums, [9, 12]);
});

blasTest("clone: shares the memory, and outlives its original", async () => {
  await initBackend("blas");
  const original = tf.tensor1d([1, 2, 3]);
  const copy = original.clone();
  assertEquals(copy.dataId, original.dataId); // one buffer, two tensors
  original.dispose();
  assertEquals(Array.from(copy.dataSync()), [1, 2, 3]);
  copy.dispose();
  assertEquals(tf.memory().numTensors, 0);
  await initBackend("wasm");
});

blasTest("bernoulliNll: the fused kernel and its gradients equal the composite op's", async () => {
  const logits = numbers(BATCH * INPUT, 1).map((v, i) => (i % 13 === 0 ? 80 * v : 6 * v));
  const targets = numbers(BATCH * INPUT, 2).map((v) => (v + 1) / 2);
  const weights = numbers(BATCH, 3);
  const { wasm, blas } = await onBoth(() =>
    tf.tidy(() => {
      const l = tf.tensor2d(logits, [BATCH, INPUT]);
      const x = tf.tensor2d(targets, [BATCH, INPUT]);
      const r = tf.tensor1d(weights);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(r, bernoulliNll(a as tf.Tensor2D, b as tf.Tensor2D)));
      return {
        value: Array.from(bernoulliNll(l, x).dataSync()),
        grads: tf.grads(f)([l, x]).map((g) => Array.from(g.dataSync())),
      };
    })
  );
  assertClose(blas.value, wasm.value, 2e-5);
  blas.grads.forEach((g, i) => assertClose(g, wasm.grads[i], 1e-6, `argument ${i}`));
});

blasTest(
  "bernoulliNll against images repeated: fused with repeat, as on the repeated rows",
  async () => {
    const [images, repeat] = [2, 3];
    const vae = model("vae"); // only its likelihood matters here
    const logits = numbers(images * repeat * INPUT, 4).map((v) => 8 * v);
    const targets = numbers(images * INPUT, 5).map((v) => (v + 1) / 2);
    const { wasm, blas } = await onBoth(() =>
      tf.tidy(() => {
        const l = tf.tensor2d(logits, [images * repeat, INPUT]);
        const x = tf.tensor2d(targets, [images, INPUT]);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(reconstructionNll(vae, a as tf.Tensor2D, b as tf.Tensor2D, repeat));
        return {
          value: Array.from(reconstructionNll(vae, l, x, repeat).dataSync()),
          grads: tf.grads(f)([l, x]).map((g) => Array.from(g.dataSync())),
        };
      })
    );
    disposeModel(vae);
    assertClose(blas.value, wasm.value, 2e-5);
    blas.grads.forEach((g, i) => assertClose(g, wasm.grads[i], 1e-5, `argument ${i}`));
  },
);

blasTest("regularizer: every penalty's terms and gradients agree on blas and wasm", async () => {
  const [batch, d] = [6, 3];
  const mu = numbers(batch * d, 6).map((v) => 2 * v);
  const logVar = numbers(batch * d, 7).map((v) => 3 * v);
  const prior = numbers(batch * d, 8);
  const variants: Partial<LossParams>[] = [
    { regularizer: "kl" },
    { regularizer: "kl", beta: 4, freeBits: 0.4 },
    { regularizer: "split-kl", wMu: 0.5, wSigma: 3 },
    { regularizer: "separate-l2", wMu: 2, wSigma: 0.1 },
    { regularizer: "none" },
  ];
  for (const variant of variants) {
    for (const withPrior of [false, true]) {
      const { wasm, blas } = await onBoth(() =>
        tf.tidy(() => {
          const [m, lv, p] = [mu, logVar, prior].map((v) => tf.tensor2d(v, [batch, d]));
          const terms = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            regularizer(
              a as tf.Tensor2D,
              b as tf.Tensor2D,
              withPrior ? c as tf.Tensor2D : undefined,
              lossSchema.parse(variant),
            );
          // Every term carries a gradient here, so each one's derivative is checked.
          const weighted = (a: tf.Tensor, b: tf.Tensor, c = p as tf.Tensor) => {
            const t = terms(a, b, c);
            return tf.addN([
              t.reg,
              tf.mul(0.3, t.muTerm),
              tf.mul(0.7, t.sigmaTerm),
              tf.mul(0.1, t.kl),
            ]);
          };
          const t = terms(m, lv, p);
          return {
            terms: [t.reg, t.muTerm, t.sigmaTerm, t.kl].map((x) => x.dataSync()[0]),
            grads: tf.grads(weighted)(withPrior ? [m, lv, p] : [m, lv]).map((g) =>
              Array.from(g.dataSync())
            ),
          };
        })
      );
      const what = `${JSON.stringify(variant)}${withPrior ? " with a prior mean" : ""}`;
      assertClose(blas.terms, wasm.terms, 1e-5, what);
      blas.grads.forEach((g, i) => assertClose(g, wasm.grads[i], 1e-6, `${what}, argument ${i}`));
    }
  }
});

blasTest("reparameterize: z = μ + ε·σ and its gradients, as on wasm", async () => {
  const { wasm, blas } = await onBoth(() =>
    tf.tidy(() => {
      const [m, lv, e] = [9, 10, 11].map((salt) => tf.tensor2d(numbers(12, salt), [4, 3]));
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(reparameterize(a as tf.Tensor2D, b as tf.Tensor2D, e)));
      return {
        z: Array.from(reparameterize(m, lv, e).dataSync()),
        grads: tf.grads(f)([m, lv]).map((g) => Array.from(g.dataSync())),
      };
    })
  );
  assertClose(blas.z, wasm.z, 1e-6);
  blas.grads.forEach((g, i) => assertClose(g, wasm.grads[i], 1e-5, `argument ${i}`));
});

blasTest("reconTerms: the fused likelihood and squared error, as on wasm", async () => {
  const vae = model("vae");
  const { wasm, blas } = await onBoth(() =>
    tf.tidy(() => {
      const l = tf.tensor2d(numbers(BATCH * INPUT, 12).map((v) => 9 * v), [BATCH, INPUT]);
      const x = tf.tensor2d(numbers(BATCH * INPUT, 13).map((v) => (v + 1) / 2), [BATCH, INPUT]);
      const terms = reconTerms(vae, l, x);
      return [terms.nll, terms.bce, terms.mse].map((t) => Array.from(t.dataSync()));
    })
  );
  disposeModel(vae);
  blas.forEach((values, i) => assertClose(values, wasm[i], 2e-5, ["nll", "bce", "mse"][i]));
});

blasTest("Adam: the fused update follows the composite one over 30 steps", async () => {
  const config = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const { wasm, blas } = await onBoth(() => {
    const w = tf.variable(tf.tensor1d([0.5, -0.5, 2, 0, 1.5, -3, 0.25]));
    const target = tf.tensor1d([1, -2, 3, 0.5, -1, 2, 0]);
    const adam = new Adam([{ name: "w", tensor: w }], config);
    for (let i = 0; i < 30; i++) {
      adam.minimize(() => tf.sum(tf.square(tf.sub(w, target))), false, [w]);
    }
    const out = Array.from(w.dataSync());
    adam.dispose();
    tf.dispose([w, target]);
    return out;
  });
  assertClose(blas, wasm, 1e-5);
});

const model = (kind: ModelKind) =>
  createModel(modelSchema.parse({ kind, hidden: [12], latentDim: LATENT }), INPUT, CLASSES, 4);

function batch() {
  const rng = new Rng(1);
  const x = Float32Array.from({ length: BATCH * INPUT }, () => rng.uniform());
  return {
    x: tf.tensor2d(x, [BATCH, INPUT]),
    y: oneHot([0, 1, 2, 0, 1], CLASSES),
    eps: sampleEps(rng.fork("eps"), BATCH, LATENT),
  };
}

blasTest("every model kind's loss terms agree on blas and wasm", async () => {
  for (const kind of MODEL_KINDS) {
    const m = model(kind);
    const { wasm, blas } = await onBoth(() =>
      tf.tidy(() => {
        const { x, y, eps } = batch();
        const terms = lossTerms(m, x, y, eps, lossSchema.parse({}), 1);
        return Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, t.dataSync()[0]]));
      })
    );
    disposeModel(m);
    for (const key of Object.keys(wasm)) assertClose([blas[key]], [wasm[key]], 1e-4, key);
  }
});

/** 40 Adam steps of a cvae-concat on blas: its weights' bytes, and the tensors left over. */
function trainBytes(): { bytes: string[]; leaked: number } {
  const m = model("cvae-concat");
  const adam = new Adam(namedWeights(m), {
    learningRate: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  const data = batch();
  const rng = new Rng(3);
  const step = () => {
    const eps = sampleEps(rng, BATCH, LATENT);
    tf.dispose([eps, trainStep(m, adam, data.x, data.y, eps, lossSchema.parse({}), 1)]);
  };
  step(); // the first step makes Adam's bookkeeping
  const before = tf.memory().numTensors;
  for (let i = 0; i < 39; i++) step();
  const leaked = tf.memory().numTensors - before;
  const bytes = namedWeights(m).map((w) => new Uint8Array(w.tensor.dataSync().buffer).join());
  adam.dispose();
  disposeModel(m);
  tf.dispose([data.x, data.y, data.eps]);
  return { bytes, leaked };
}

blasTest("training on blas is byte-identical run to run and leaves no tensor behind", async () => {
  await initBackend("blas");
  const [a, b] = [trainBytes(), trainBytes()];
  await initBackend("wasm");
  assertEquals(a.leaked, 0);
  assertEquals(a.bytes, b.bytes);
});
