import * as tf from "@tensorflow/tfjs-core";
import { type LossParams, lossSchema } from "../config_schema.ts";
import { assert_, assertClose, assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { initBackend } from "./backend.ts";
import {
  bernoulliNll,
  gaussianNll,
  klPerDim,
  type RegTerms,
  regularizer,
  warmupWeight,
} from "./losses.ts";

await initBackend("wasm");

// Two examples, two latent dimensions, and a class prior mean for the cvae-prior form.
const MU = [[1, 0], [0.5, -2]];
const LOG_VAR = [[0, Math.log(2)], [-1, 0.5]];
const PRIOR_MU = [[0.5, 1], [0, -1]];

/** ½(μ − μp)² + ½(σ² − log σ² − 1) in float64, the reference. */
const klOf = (mu: number, logVar: number, priorMu = 0) =>
  0.5 * (mu - priorMu) ** 2 + 0.5 * (Math.exp(logVar) - logVar - 1);

const flat = (t: tf.Tensor) => Array.from(t.dataSync());
const params = (overrides: Partial<LossParams>) => lossSchema.parse(overrides);

/** The regularizer on MU, LOG_VAR (and PRIOR_MU when asked), read back as numbers. */
function regOf(loss: LossParams, withPrior = false): Record<keyof RegTerms, number> {
  return tf.tidy(() => {
    const terms = regularizer(
      tf.tensor2d(MU),
      tf.tensor2d(LOG_VAR),
      withPrior ? tf.tensor2d(PRIOR_MU) : undefined,
      loss,
    );
    const read = (t: tf.Scalar) => t.dataSync()[0];
    return {
      reg: read(terms.reg),
      muTerm: read(terms.muTerm),
      sigmaTerm: read(terms.sigmaTerm),
      kl: read(terms.kl),
    };
  });
}

/** The batch mean over examples of a per-example sum over dimensions, in float64. */
const batchMean = (f: (mu: number, logVar: number, prior: number) => number, prior = false) =>
  MU.map((row, b) =>
    row.reduce((s, mu, j) => s + f(mu, LOG_VAR[b][j], prior ? PRIOR_MU[b][j] : 0), 0)
  ).reduce((s, v) => s + v, 0) / MU.length;

const TRUE_KL = batchMean((m, v) => klOf(m, v));

Deno.test("klPerDim equals the closed form, with and without a prior mean", () => {
  const [plain, withPrior] = tf.tidy(() => [
    flat(klPerDim(tf.tensor2d(MU), tf.tensor2d(LOG_VAR))),
    flat(klPerDim(tf.tensor2d(MU), tf.tensor2d(LOG_VAR), tf.tensor2d(PRIOR_MU))),
  ]);
  const expected = (prior: boolean) =>
    MU.flatMap((row, b) => row.map((m, j) => klOf(m, LOG_VAR[b][j], prior ? PRIOR_MU[b][j] : 0)));
  assertClose(plain, expected(false), 1e-6);
  assertClose(withPrior, expected(true), 1e-6);
  // A hand value: μ = 1, σ² = 1 against N(0, 1) is ½ nat.
  assertClose(plain[0], 0.5, 1e-7);
});

Deno.test("klPerDim agrees with a Monte Carlo estimate of E_q[log q − log p]", () => {
  const [mu, logVar, priorMu] = [[0.8, -1.5, 0.3], [-0.7, 0.4, -2], [0.5, -1, 0]];
  const n = 200_000;
  const [closed, estimate] = tf.tidy(() => {
    const eps = tf.randomNormal([n, 3], 0, 1, "float32", 1234);
    const sigma = tf.exp(tf.mul(0.5, tf.tensor1d(logVar)));
    const z = tf.add(tf.tensor1d(mu), tf.mul(sigma, eps));
    // log q(z) − log p(z) per sample: the log 2π terms cancel.
    const logQ = tf.mul(-0.5, tf.add(tf.tensor1d(logVar), tf.square(eps)));
    const logP = tf.mul(-0.5, tf.square(tf.sub(z, tf.tensor1d(priorMu))));
    const mc = tf.mean(tf.sum(tf.sub(logQ, logP), 1));
    const kl = tf.sum(klPerDim(tf.tensor2d([mu]), tf.tensor2d([logVar]), tf.tensor2d([priorMu])));
    return [kl.dataSync()[0], mc.dataSync()[0]];
  });
  const relative = Math.abs(estimate - closed) / closed;
  assert_(relative < 1e-2, `Monte Carlo ${estimate} vs closed form ${closed}: ${relative}`);
});

Deno.test("regularizer kl: β·KL, its two halves, and the true KL", () => {
  const r = regOf(params({ regularizer: "kl", beta: 2.5 }));
  assertClose(r.kl, TRUE_KL, 1e-5);
  assertClose(r.reg, 2.5 * TRUE_KL, 1e-5);
  assertClose(r.muTerm, batchMean((m) => 0.5 * m * m), 1e-6);
  assertClose(r.sigmaTerm, batchMean((_, v) => 0.5 * (Math.exp(v) - v - 1)), 1e-6);
  assertClose(r.muTerm + r.sigmaTerm, r.kl, 1e-6);
});

Deno.test("regularizer kl with free bits floors each dimension's batch-mean KL at λ", () => {
  const lambda = 1;
  const perDim = [0, 1].map((j) =>
    (klOf(MU[0][j], LOG_VAR[0][j]) + klOf(MU[1][j], LOG_VAR[1][j])) / 2
  );
  assert_(perDim.some((k) => k < lambda) && perDim.some((k) => k > lambda), "λ splits the dims");
  const r = regOf(params({ regularizer: "kl", freeBits: lambda }));
  assertClose(r.reg, perDim.reduce((s, k) => s + Math.max(lambda, k), 0), 1e-5);
  assertClose(r.kl, TRUE_KL, 1e-5); // the logged KL is the true one, not the floored one

  // A dimension under the floor gets no gradient from the KL; one above it does.
  const grad = tf.tidy(() =>
    flat(
      tf.grad((m) =>
        regularizer(m as tf.Tensor2D, tf.tensor2d(LOG_VAR), undefined, params({ freeBits: lambda }))
          .reg
      )(tf.tensor2d(MU)),
    )
  );
  const floored = perDim.findIndex((k) => k < lambda);
  assertEquals([grad[floored], grad[2 + floored]], [0, 0]);
  const kept = 1 - floored;
  assert_(grad[kept] !== 0 || grad[2 + kept] !== 0, "the dim above the floor keeps its gradient");
});

Deno.test("regularizer split-kl with wMu = wSigma = 1 equals the closed-form KL", () => {
  for (const withPrior of [false, true]) {
    const r = regOf(params({ regularizer: "split-kl" }), withPrior);
    assertClose(r.reg, batchMean(klOf, withPrior), 1e-5);
    assertClose(r.reg, r.kl, 1e-6);
  }
  const weighted = regOf(params({ regularizer: "split-kl", wMu: 3, wSigma: 0.5 }));
  assertClose(weighted.reg, 3 * weighted.muTerm + 0.5 * weighted.sigmaTerm, 1e-5);
});

Deno.test("regularizer separate-l2: wMu·Σ(μ − μp)² + wSigma·Σ(log σ²)²", () => {
  const r = regOf(params({ regularizer: "separate-l2", wMu: 2, wSigma: 0.25 }), true);
  // Hand sums: Σ(μ − μp)² = (0.25 + 1 + 0.25 + 1) / 2 examples; Σ(log σ²)² likewise.
  const muTerm = (0.25 + 1 + 0.25 + 1) / 2;
  const sigmaTerm = (0 + Math.log(2) ** 2 + 1 + 0.25) / 2;
  assertClose(r.muTerm, muTerm, 1e-6);
  assertClose(r.sigmaTerm, sigmaTerm, 1e-6);
  assertClose(r.reg, 2 * muTerm + 0.25 * sigmaTerm, 1e-5);
  assertClose(r.kl, batchMean(klOf, true), 1e-5);
});

Deno.test("regularizer none adds nothing but still reports the KL", () => {
  const r = regOf(params({ regularizer: "none" }));
  assertEquals(r.reg, 0);
  assertClose(r.kl, TRUE_KL, 1e-5);
});

Deno.test("bernoulliNll equals the naive BCE on moderate logits", () => {
  const logits = [[-3, -0.5, 0, 0.7, 2.5], [1, -1, 4, -4, 0.1]];
  const x = [[0, 1, 0.3, 1, 0], [1, 0, 1, 0.5, 0.9]]; // grey levels are allowed
  const got = tf.tidy(() => flat(bernoulliNll(tf.tensor2d(logits), tf.tensor2d(x))));
  const expected = logits.map((row, b) =>
    row.reduce((s, l, i) => {
      const p = 1 / (1 + Math.exp(-l));
      return s - (x[b][i] * Math.log(p) + (1 - x[b][i]) * Math.log(1 - p));
    }, 0)
  );
  assertClose(got, expected, 1e-5);
});

Deno.test("bernoulliNll stays finite and right at logits ±100", () => {
  const got = tf.tidy(() =>
    flat(bernoulliNll(tf.tensor2d([[100, -100], [100, -100]]), tf.tensor2d([[1, 0], [0, 1]])))
  );
  // Confidently right costs ~0 nats; confidently wrong costs |logit| nats per pixel.
  assertClose(got, [0, 200], 1e-4);
});

Deno.test("bernoulliNll's gradient is σ(l) − x for the logits and −l for the targets", () => {
  const logits = [[-3, 0, 2.5], [100, -100, 0.4]];
  const x = [[0, 1, 0.3], [1, 1, 0]];
  const [dl, dx] = tf.tidy(() =>
    tf.grads((l, t) => tf.sum(bernoulliNll(l as tf.Tensor2D, t as tf.Tensor2D)))(
      [tf.tensor2d(logits), tf.tensor2d(x)],
    ).map(flat)
  );
  const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
  assertClose(dl, logits.flatMap((row, b) => row.map((l, i) => sigmoid(l) - x[b][i])), 1e-6);
  assertClose(dx, logits.flat().map((l) => -l), 1e-6);
});

Deno.test("gaussianNll equals −log of the normal density", () => {
  const mean = [[0.2, 0.8, 0.5], [0, 1, 0.3]];
  const x = [[0.25, 0.5, 0.5], [1, 0, 0.31]];
  for (const logVar of [Math.log(0.01), 0, 0.7]) {
    const got = tf.tidy(() =>
      flat(gaussianNll(tf.tensor2d(mean), tf.tensor2d(x), tf.scalar(logVar)))
    );
    const variance = Math.exp(logVar);
    const expected = mean.map((row, b) =>
      -row.reduce((s, m, i) => {
        const density = Math.exp(-((x[b][i] - m) ** 2) / (2 * variance)) /
          Math.sqrt(2 * Math.PI * variance);
        return s + Math.log(density);
      }, 0)
    );
    assertClose(got, expected, 1e-4, `logVar ${logVar}`);
  }
});

Deno.test("warmupWeight ramps linearly from 0 at epoch 0 to 1 at epoch warmupEpochs", () => {
  assertEquals([0, 1, 2, 3, 4, 10].map((e) => warmupWeight(e, 4)), [0, 0.25, 0.5, 0.75, 1, 1]);
  assertEquals([0, 5].map((e) => warmupWeight(e, 0)), [1, 1]); // no warm-up
  assertEquals(warmupWeight(1.5, 3), 0.5); // a per-step ramp on the same line
  assertThrows(() => warmupWeight(-1, 3), "epoch must be ≥ 0");
});
