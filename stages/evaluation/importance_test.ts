import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { readPrepared } from "../data/prepared.ts";
import { initBackend } from "../model/backend.ts";
import { disposeModel } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { negElboPerExample } from "./elbo.ts";
import { examplesOf } from "./examples.ts";
import { importanceLogWeights, iwEstimates } from "./importance.ts";
import { posteriorPass } from "./posterior_pass.ts";
import { mean, standardError } from "./stats.ts";
import { preparedDir, trainedDir } from "./test_models.ts";

async function tinyVae(kind: "vae" | "cvae-prior" = "vae") {
  const dir = await trainedDir(kind);
  await initBackend("wasm");
  const { model, summary } = await loadTrainedModel(dir);
  const { test } = await readPrepared(await preparedDir());
  return { model, test: examplesOf(test, summary.classes) };
}

Deno.test("IW with K = 1 is the ELBO in expectation and rises with K, over seeds", async () => {
  for (const kind of ["vae", "cvae-prior"] as const) {
    const { model, test } = await tinyVae(kind);
    const before = tf.memory().numTensors;
    const ks = [1, 4, 16, 64];
    const gaps: number[] = [];
    const curves: number[][] = [];
    for (let seed = 0; seed < 12; seed++) {
      const logW = importanceLogWeights(model, test, 64, new Rng(seed).fork("iw"), 500);
      const curve = iwEstimates(logW, 64, ks).map((e) => e.logLikelihood);
      const pass = posteriorPass(model, test, new Rng(seed).fork("elbo"), 500);
      gaps.push(curve[0] - -mean(negElboPerExample(pass)));
      curves.push(curve);
    }
    assertEquals(tf.memory().numTensors, before, `${kind}: tensors leaked`);
    // L_1 uses a Monte Carlo KL, the ELBO the closed form: equal up to sampling noise.
    const gap = mean(gaps);
    const noise = standardError(gaps);
    assert_(Math.abs(gap) < 4 * noise + 1e-3, `${kind}: E[L_1] − ELBO = ${gap} ± ${noise}`);
    const average = ks.map((_, i) => mean(curves.map((c) => c[i])));
    for (let i = 1; i < ks.length; i++) {
      assert_(average[i] > average[i - 1], `${kind}: mean L_K falls with K: ${average}`);
    }
    disposeModel(model);
  }
});

Deno.test("IW log-weights do not depend on the batch size", async () => {
  const { model, test } = await tinyVae();
  const small = importanceLogWeights(model, test, 30, new Rng(5), 7);
  const large = importanceLogWeights(model, test, 30, new Rng(5), 1000);
  const single = importanceLogWeights(model, test, 30, new Rng(5), 30);
  assertClose(small, large, 1e-4);
  assertClose(single, large, 1e-4);
  disposeModel(model);
});

Deno.test("iwEstimates: log-mean-exp of each example's first k nested draws", () => {
  // Example 0: weights log 1, log 3 (k = 1: 0; k = 2: log 2). Example 1: all equal to −5.
  const logW = Float64Array.from([0, Math.log(3), -5, -5]);
  const [one, two] = iwEstimates(logW, 2, [1, 2]);
  assertClose(one.logLikelihood, (0 + -5) / 2, 1e-12);
  assertClose(two.logLikelihood, (Math.log(2) + -5) / 2, 1e-12);
  assertClose(two.stdError, Math.abs(Math.log(2) + 5) / 2, 1e-12); // sd of 2 values / √2
  assertEquals(two.k, 2);
});

Deno.test("the rise above the ELBO is paired per example: its error ignores shared difficulty", () => {
  // Three examples of very different difficulty, two draws each; each ELBO sits a fixed
  // 0.5 nats below that example's K = 2 bound, except the last (0.8 below).
  const logW = Float64Array.from([-100, -101, -200, -199, -300, -302]);
  const bound = (a: number, b: number) => Math.log((Math.exp(a - b) + 1) / 2) + b;
  const l2 = [bound(-100, -101), bound(-200, -199), bound(-300, -302)];
  const elbo = Float64Array.from([l2[0] - 0.5, l2[1] - 0.5, l2[2] - 0.8]);
  const [k1, k2] = iwEstimates(logW, 2, [1, 2], elbo);
  assertClose(k2.rise!, 0.6, 1e-9);
  assertClose(k2.riseStdError!, standardError([0.5, 0.5, 0.8]), 1e-9);
  // The levels' error is ~100 nats (the examples differ); the paired error stays ~0.1.
  assert_(k2.stdError > 50 && k2.riseStdError! < 0.2, `${k2.stdError} ${k2.riseStdError}`);
  assertClose(k1.rise!, mean([-100, -200, -300]) - mean(elbo), 1e-9);
  assertEquals(iwEstimates(logW, 2, [2])[0].rise, undefined); // no ELBOs given: no rise
});
