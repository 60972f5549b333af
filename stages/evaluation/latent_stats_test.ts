import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { readPrepared } from "../data/prepared.ts";
import { initBackend } from "../model/backend.ts";
import { disposeModel } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { examplesOf } from "./examples.ts";
import { activeUnits, aggregatePosterior, klPerDimRows } from "./latent_stats.ts";
import { type Pass, posteriorPass } from "./posterior_pass.ts";
import { preparedDir, trainedDir } from "./test_models.ts";

/** A hand-made pass over 2 examples in 2 dimensions (only what the statistics read). */
function pass(): Pass {
  const mu = Float32Array.from([0.5, 1, 0.5, 3]); // dim 1 varies (activity 1), dim 0 does not
  const logVar = Float32Array.from([Math.log(0.5), 0, Math.log(0.5), 0]);
  const priorMu = new Float32Array(4);
  const kl = mu.map((m, i) => 0.5 * (m * m + Math.exp(logVar[i]) - logVar[i] - 1));
  const zeros = new Float32Array(2);
  return {
    n: 2,
    latentDim: 2,
    mu,
    logVar,
    priorMu,
    kl,
    nllMean: zeros,
    bceMean: zeros,
    mseMean: zeros,
  };
}

Deno.test("kl_per_dim rows: per-dimension KL, its parts, activity, sorted by KL", () => {
  const rows = klPerDimRows(pass());
  assertEquals(rows.map((r) => r.dim), [1, 0]); // dim 1 carries more KL: listed first
  const [first, second] = rows;
  assertClose(first.kl as number, 0.5 * (5 + 1 - 0 - 1), 1e-6); // E[μ²] = (1 + 9)/2 = 5
  assertClose(first.activity as number, 1, 1e-6);
  assertEquals(second.active, false); // Var_x(μ_1) = 0
  for (const r of rows) {
    const identity = 0.5 * ((r.mean_mu_sq as number) + (r.mean_sigma_sq as number) -
      (r.mean_log_var as number) - 1);
    assertClose(r.kl as number, identity, 1e-6, `dim ${r.dim}`);
  }
  assertEquals(activeUnits(rows), 1);
});

Deno.test("the aggregate posterior's variance is E[σ²] + Var(μ) (total variance)", () => {
  const { mean, variance } = aggregatePosterior(pass());
  assertClose(mean, [0.5, 2], 1e-6);
  assertClose(variance, [0.5 + 0, 1 + 1], 1e-6);
});

Deno.test("a dimension whose μ is cut off from x is found inactive, with no μ part in its KL", async () => {
  const dir = await trainedDir("vae", { latentDim: 3 });
  await initBackend("wasm");
  const { model, summary } = await loadTrainedModel(dir);
  // Kill dimension 1: μ_1 = 0 for every x (its column of the μ head's kernel and its bias).
  const dead = 1;
  const keep = tf.tensor1d([1, 0, 1]);
  model.mu.kernel.assign(tf.tidy(() => tf.mul(model.mu.kernel, keep)));
  model.mu.bias.assign(tf.tidy(() => tf.mul(model.mu.bias, keep)));
  keep.dispose();
  const { test } = await readPrepared(await preparedDir());
  const rows = klPerDimRows(
    posteriorPass(model, examplesOf(test, summary.classes), new Rng(0), 50),
  );
  disposeModel(model);
  const row = rows.find((r) => r.dim === dead)!;
  assertEquals(row.activity, 0);
  assertEquals(row.active, false);
  assertEquals(row.mean_mu_sq, 0);
  assert_(rows.some((r) => r.active), "the other dimensions still carry x");
  assertEquals(activeUnits(rows), rows.filter((r) => r.dim !== dead && r.active).length);
});
