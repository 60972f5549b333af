import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals, assertNotEquals } from "../../pipeline/test_assert.ts";
import { disposeClassifier, featureRows, featureWidth } from "../classifier/mlp.ts";
import { loadClassifier } from "../classifier/saved.ts";
import { readPrepared } from "../data/prepared.ts";
import { initBackend } from "../model/backend.ts";
import type { ModelKind } from "../model/kinds.ts";
import { disposeModel } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { fitGaussian, frechetDistance } from "./frechet.ts";
import { frechetScores } from "./frechet_scores.ts";
import { referenceGaussian } from "./images.ts";
import { classifierDir, preparedDir, trainedDir } from "./test_models.ts";

/**
 * The synthetic splits and the classify stage's net on them (a 64-16-4 MLP), on the wasm
 * backend: set after the upstream stages ran, which set their own.
 */
async function judged() {
  const [prepared, classifier] = [await preparedDir(), await classifierDir()];
  await initBackend("wasm");
  const { train, test, card } = await readPrepared(prepared);
  const net = await loadClassifier(classifier);
  const fit = (images: Float32Array) => fitGaussian(featureRows(net, images), featureWidth(net));
  return { train, test, card, net, fit };
}

Deno.test("Fréchet in classifier features: test against train is small, noise against data large", async () => {
  const { train, test, net, fit } = await judged();
  try {
    const rng = new Rng(5);
    const noise = Float32Array.from(test.images, () => rng.uniform());
    const [testFit, trainFit] = [fit(test.images), fit(train.images)];
    const floor = frechetDistance(testFit, trainFit);
    const noisy = frechetDistance(testFit, fit(noise));
    assert_(floor > 0 && noisy > 20 * floor, `test–train ${floor}, test–noise ${noisy}`);
    // Half the images turned to noise lands in between.
    const half = test.images.map((v, i) => i < test.images.length / 2 ? noise[i] : v);
    const mixed = frechetDistance(testFit, fit(half));
    assert_(floor < mixed && mixed < noisy, `${floor} < ${mixed} < ${noisy}`);
  } finally {
    disposeClassifier(net);
  }
});

async function scores(kind: ModelKind, seed: number, samples = 60) {
  const trained = await trainedDir(kind);
  const { train, test, card, net } = await judged();
  const { model } = await loadTrainedModel(trained);
  try {
    const classMeans = model.classMeans ? Float32Array.from(model.classMeans.dataSync()) : null;
    const latentDim = model.params.latentDim;
    const fitted = { mean: new Array(latentDim).fill(0), variance: new Array(latentDim).fill(1) };
    const reference = referenceGaussian(model, classMeans, fitted);
    const inputs = {
      model,
      classifier: net,
      test,
      train,
      classes: card.classes,
      classMeans,
      reference,
    };
    return frechetScores(inputs, samples, new Rng(seed).fork("frechet"), 50);
  } finally {
    disposeModel(model);
    disposeClassifier(net);
  }
}

Deno.test("frechetScores: deterministic under the seed, N capped by the test split", async () => {
  const before = tf.memory().numTensors;
  const first = await scores("vae", 1);
  assertEquals(await scores("vae", 1), first);
  assertNotEquals((await scores("vae", 2)).samples, first.samples);
  assertEquals(tf.memory().numTensors, before, "frechetScores leaked tensors");
  assertEquals(first.examples, 60);
  assertEquals((await scores("vae", 1, 2000)).examples, 80); // the synthetic test split's size
  assert_(first.floor > 0 && first.samples > first.floor, JSON.stringify(first));
  assertEquals([first.perClass, first.classMean], [null, null]);
});

Deno.test("frechetScores per class (cvae): each class against its own test images, and the mean", async () => {
  const scored = await scores("cvae-prior", 1);
  const perClass = scored.perClass!;
  assertEquals(perClass.length, 4);
  // 60 test images stratified over 4 equal classes: 15 each, and as many train images.
  assertEquals(perClass.map((c) => c.examples), [15, 15, 15, 15]);
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  assertClose(scored.classMean!.samples, mean(perClass.map((c) => c.samples!)), 1e-12);
  assertClose(scored.classMean!.floor, mean(perClass.map((c) => c.floor!)), 1e-12);
  assert_(perClass.every((c) => c.floor! > 0 && c.samples! > 0), JSON.stringify(perClass));
});
