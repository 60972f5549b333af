import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { initBackend } from "../model/backend.ts";
import { decodeMean, disposeModel, type Model } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { priorSamples, referenceGaussian, traversal } from "./images.ts";
import { quantileGrid } from "./normal_quantile.ts";
import { trainedDir } from "./test_models.ts";

const CLASSES = [0, 1, 2, 3];

async function tiny(kind: "vae" | "cvae-concat", latentDim = 2): Promise<Model> {
  const dir = await trainedDir(kind, latentDim === 2 ? {} : { latentDim });
  await initBackend("wasm");
  return (await loadTrainedModel(dir)).model;
}

Deno.test("reference Gaussian: N(0, I), the class-prior mixture's moments, or a fit (ae)", () => {
  const model = (kind: string) =>
    ({ params: { kind, latentDim: 2 }, numClasses: 2 }) as unknown as Model;
  const fitted = { mean: [1, 2], variance: [4, 9] };
  assertEquals(referenceGaussian(model("vae"), null, fitted).centre, [0, 0]);
  const mixture = referenceGaussian(model("cvae-prior"), Float32Array.from([1, 0, 3, 0]), fitted);
  assertEquals(mixture.centre, [2, 0]);
  assertClose(mixture.scale, [Math.sqrt(2), 1], 1e-12); // 1 + Var of the class means
  const ae = referenceGaussian(model("ae"), null, fitted);
  assertEquals([ae.centre, ae.scale], [[1, 2], [2, 3]]);
});

Deno.test("traversal in 3-D: the two first-ranked dimensions vary, the third stays put", async () => {
  const model = await tiny("vae", 3);
  const reference = { centre: [0.5, -1, 2], scale: [1, 2, 3], what: "test" };
  const before = tf.memory().numTensors;
  const set = traversal(model, 4, [2, 0, 1], reference, CLASSES, 5);
  assertEquals(tf.memory().numTensors, before);
  // Top-left tile: dim 2 (columns) at its lowest, dim 0 (rows) at its highest, dim 1 at −1.
  const q = quantileGrid(4);
  const corner = tf.tidy(() =>
    decodeMean(model, tf.tensor2d([[0.5 + q[3], -1, 2 + 3 * q[0]]])).dataSync()
  );
  assertClose(set.data.subarray(0, 64), corner, 1e-6);
  disposeModel(model);
  assertEquals(set.lead, [4, 4]);
  assertEquals(set.data.length, 16 * 64);
  assertEquals(set.note.columnDim, 2);
  assertEquals(set.note.rowDim, 0);
  assertClose(set.note.columnValues as number[], q.map((v) => 2 + 3 * v), 1e-12);
  assertClose(set.note.rowValues as number[], q.map((v) => 0.5 + v).reverse(), 1e-12);
  assert_(String(set.note.description).includes("the other 1 held at its centre"));
});

Deno.test("traversal in 1-D is one row; cvae-concat decodes with the first label", async () => {
  const model = await tiny("vae", 1);
  const line = traversal(model, 5, [0], { centre: [0], scale: [1], what: "N(0, I)" }, CLASSES, 9);
  disposeModel(model);
  assertEquals(line.lead, [1, 5]);
  assertEquals(line.note.rowDim, undefined);
  const concat = await tiny("cvae-concat");
  const grid = traversal(
    concat,
    3,
    [0, 1],
    { centre: [0, 0], scale: [1, 1], what: "N(0, I)" },
    CLASSES,
    9,
  );
  assertEquals(grid.note.label, 0);
  const samples = priorSamples(
    concat,
    6,
    new Rng(1),
    null,
    { centre: [0, 0], scale: [1, 1], what: "" },
    CLASSES,
    4,
  );
  disposeModel(concat);
  assertEquals(samples.note.labels, [0, 1, 2, 3, 0, 1]); // round-robin
  assert_(samples.data.every((v) => v >= 0 && v <= 1), "pixel means");
});
