/**
 * The classify stage: a small MLP trained on the real train split, so that evaluate can
 * ask whether a CVAE's class-y samples look like class y to an independent judge. Its own
 * test accuracy says how far its labels can be trusted (samples can score above it).
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import type { ClassifierParams } from "./config_schema.ts";
import { Rng } from "../lib/rng.ts";
import type { StageFn } from "../pipeline/stage.ts";
import { accuracy } from "./classifier/accuracy.ts";
import {
  type Classifier,
  classifierWeights,
  createClassifier,
  crossEntropy,
  disposeClassifier,
  predict,
} from "./classifier/mlp.ts";
import { saveClassifier } from "./classifier/saved.ts";
import type { ClassifierSummary } from "./classifier/summary.ts";
import type { Dataset } from "./data/dataset.ts";
import { readPrepared } from "./data/prepared.ts";
import { initBackend } from "./model/backend.ts";
import type { Compute } from "./model/compute.ts";
import { oneHot } from "./model/networks.ts";
import { Adam } from "./training/adam.ts";
import { classIndices, epochBatches } from "./training/batches.ts";

export interface ClassifyStageParams {
  seed: number;
  /** The backend and, for blas, the library: results depend on them. */
  compute: Compute;
  classifier: ClassifierParams;
}

export const classify: StageFn<ClassifyStageParams> = async (ctx) => {
  const { seed, classifier: opts } = ctx.params;
  await initBackend(ctx.params.compute);
  const { train, test, card } = await readPrepared(ctx.inputs.prepare);
  const numClasses = card.classes.length;
  const inputDim = card.height * card.width;
  const net = createClassifier([inputDim, ...opts.hidden, numClasses], seed);
  const adam = new Adam(classifierWeights(net), {
    ...opts,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  const trainLoss: number[] = [];
  const stepsPerEpoch = Math.ceil(train.labels.length / opts.batchSize);
  const bar = ctx.progress("classify", opts.epochs * stepsPerEpoch);
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const onStep = () => bar.tick(undefined, `epoch ${epoch + 1}/${opts.epochs}`);
      trainLoss.push(fitEpoch(net, adam, train, card.classes, opts, seed, epoch, onStep));
      ctx.log(`classify epoch ${epoch + 1}/${opts.epochs}  loss ${trainLoss[epoch].toFixed(4)}`);
    }
    bar.done();
    const truth = classIndices(test.labels, card.classes);
    const scored = accuracy(predict(net, test.images), truth, numClasses);
    const summary: ClassifierSummary = {
      testAccuracy: scored.overall,
      perClassAccuracy: Object.fromEntries(
        card.classes.map((label, k) => [String(label), scored.perClass[k]]),
      ),
      classes: card.classes,
      epochs: opts.epochs,
      hidden: opts.hidden,
      activation: "relu",
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      trainExamples: train.labels.length,
      testExamples: test.labels.length,
      trainLoss,
    };
    await saveClassifier(net, ctx.outDir);
    await Deno.writeTextFile(
      join(ctx.outDir, "classifier.json"),
      JSON.stringify(summary, null, 2) + "\n",
    );
    ctx.log(`classify: test accuracy ${(100 * scored.overall).toFixed(2)}%`);
  } finally {
    disposeClassifier(net);
    adam.dispose();
  }
};

/** One shuffled pass over the train split; returns the mean cross-entropy of its steps. */
function fitEpoch(
  net: Classifier,
  adam: Adam,
  data: Dataset,
  classes: number[],
  opts: ClassifierParams,
  seed: number,
  epoch: number,
  /** Called after each step, for the progress bar. */
  onStep: () => void,
): number {
  // Forked by epoch number, like training's shuffles: each epoch's order stands alone.
  const rng = new Rng(seed).fork("classifier").fork(`epoch-${epoch}`);
  const order = rng.shuffle(Array.from(data.labels.keys()));
  const classIndex = classIndices(data.labels, classes);
  const vars = classifierWeights(net).map((w) => w.tensor);
  let total = 0;
  for (const batch of epochBatches(data, classIndex, order, opts.batchSize)) {
    const x = tf.tensor2d(batch.x, [batch.size, net.inputDim]);
    const y = oneHot(batch.classIndex, net.numClasses);
    const loss = adam.minimize(() => crossEntropy(net, x, y), true, vars)!;
    total += loss.dataSync()[0] * batch.size;
    tf.dispose([x, y, loss]);
    onStep();
  }
  return total / order.length;
}
