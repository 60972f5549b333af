import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { readPrepared } from "../data/prepared.ts";
import { initBackend } from "../model/backend.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import { disposeModel } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { examplesOf } from "./examples.ts";
import { posteriorPass } from "./posterior_pass.ts";
import { preparedDir, trainedDir } from "./test_models.ts";

Deno.test("a pass gives the same per-example numbers in any batch size, leaking nothing", async () => {
  for (const kind of ["cvae-concat", "ae"] as const) {
    const dir = await trainedDir(kind);
    await initBackend("wasm");
    const { model, summary } = await loadTrainedModel(dir);
    const { test } = await readPrepared(await preparedDir());
    const ex = examplesOf(test, summary.classes);
    const before = tf.memory().numTensors;
    const small = posteriorPass(model, ex, new Rng(1), 7);
    const whole = posteriorPass(model, ex, new Rng(1), 1000);
    assertEquals(tf.memory().numTensors, before);
    disposeModel(model);
    for (const key of Object.keys(whole) as (keyof typeof whole)[]) {
      const [a, b] = [small[key], whole[key]];
      if (typeof a === "number") assertEquals(a, b);
      else assertClose(a!, b as Float32Array, 1e-4, `${kind} ${key}`);
    }
    assertEquals(whole.mu.length, 80 * 2);
    // An ae has no posterior variance: nothing sampled, no KL.
    const sampled = capabilitiesOf(kind).stochastic;
    assert_(!sampled === (whole.kl === undefined && whole.nllSampled === undefined));
  }
});
