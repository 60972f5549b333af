import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { configSchema } from "./config_schema.ts";
import { computeOf } from "./model/compute.ts";
import { sha256 } from "../pipeline/hash.ts";
import { recordingProgress } from "../pipeline/progress_testing.ts";
import { testContext } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals } from "../pipeline/test_assert.ts";
import { classify, type ClassifyStageParams } from "./classify.ts";
import { disposeClassifier, layerSizes, predict } from "./classifier/mlp.ts";
import { loadClassifier } from "./classifier/saved.ts";
import { readClassifierSummary } from "./classifier/summary.ts";
import { readPrepared } from "./data/prepared.ts";
import { preparedDir, ROOT } from "./evaluation/test_models.ts";

function params(seed = 0): ClassifyStageParams {
  const c = configSchema.parse({
    seed,
    classifier: { hidden: [16], epochs: 4, batchSize: 40, learningRate: 0.01 },
  });
  return { seed: c.seed, compute: computeOf(c), classifier: c.classifier };
}

async function run(p: ClassifyStageParams) {
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: await preparedDir() } });
  await classify(ctx);
  return { dir: ctx.outDir, summary: await readClassifierSummary(ctx.outDir) };
}

const bytes = async (dir: string) =>
  sha256(await Deno.readFile(join(dir, "weights.bin"))) +
  sha256(await Deno.readFile(join(dir, "classifier.json")));

Deno.test("classify learns the synthetic classes and is byte-identical from its seed", async () => {
  const a = await run(params());
  const b = await run(params());
  const c = await run(params(1));
  assertEquals(await bytes(a.dir), await bytes(b.dir));
  assert_(await bytes(a.dir) !== await bytes(c.dir), "another seed, other weights");
  const { summary } = a;
  assert_(summary.testAccuracy > 0.9, `test accuracy ${summary.testAccuracy}`);
  assertEquals(Object.keys(summary.perClassAccuracy), ["0", "1", "2", "3"]);
  assertEquals(summary.epochs, 4);
  assertEquals(summary.hidden, [16]);
  assert_(summary.trainLoss[3] < summary.trainLoss[0], `loss falls: ${summary.trainLoss}`);
});

Deno.test("the saved classifier loads back and predicts the accuracy it reported", async () => {
  const { dir, summary } = await run(params());
  const before = tf.memory().numTensors;
  const net = await loadClassifier(dir);
  assertEquals(layerSizes(net), [64, 16, 4]);
  const { test, card } = await readPrepared(await preparedDir());
  const predicted = predict(net, test.images, 7);
  disposeClassifier(net);
  assertEquals(tf.memory().numTensors, before);
  const right = predicted.filter((k, i) => card.classes[k] === test.labels[i]).length;
  assertEquals(right / test.labels.length, summary.testAccuracy);
});

Deno.test("classify shows a bar over every training step, one note per epoch", async () => {
  const p = params();
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: await preparedDir() } });
  const { progress, loops } = recordingProgress();
  await classify({ ...ctx, progress });
  const { train } = await readPrepared(await preparedDir());
  const steps = p.classifier.epochs * Math.ceil(train.labels.length / p.classifier.batchSize);
  assertEquals(loops.map((l) => [l.label, l.total, l.done]), [["classify", steps, true]]);
  assertEquals(loops[0].ticks.map((t) => t.step), Array.from({ length: steps }, (_, i) => i + 1));
  assertEquals(loops[0].ticks.at(-1)!.info, "epoch 4/4");
});

Deno.test("classify leaks no tensors", async () => {
  await run(params()); // warm up the backend
  const before = tf.memory().numTensors;
  await run(params(2));
  assertEquals(tf.memory().numTensors, before);
});
