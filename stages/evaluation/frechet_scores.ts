/**
 * The Fréchet distances evaluate reports (a domain-specific FID): a model's decoded samples
 * against held-out test images in the classify stage's feature space, beside the same
 * distance between real train and test images at the same N, the floor that reads it.
 * Every draw comes from the stream it is handed (evaluate's "frechet" fork).
 */
import type { Rng } from "../../lib/rng.ts";
import { type Classifier, featureRows, featureWidth } from "../classifier/mlp.ts";
import type { Dataset } from "../data/dataset.ts";
import { stratifiedSample } from "../data/split.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import type { Model } from "../model/networks.ts";
import { classIndices } from "../training/batches.ts";
import { classLatents } from "./conditional.ts";
import { decodeMeans } from "./decoding.ts";
import { type Examples, subset } from "./examples.ts";
import { fitGaussian, frechetFrom } from "./frechet.ts";
import { priorSamples, type Reference } from "./images.ts";
import { mean, rowsAt } from "./stats.ts";

/** One class's distances: its samples, and its train images, against its test images. */
export interface ClassFrechet {
  /** Images (and samples) on each side. */
  examples: number;
  /** Null when the class has fewer than 2 of them (no covariance). */
  samples: number | null;
  floor: number | null;
}

export interface FrechetScores {
  /** N: samples, test images and train images, each. */
  examples: number;
  /** Decoded prior samples against the test images. */
  samples: number;
  /** Train images against the same test images: what real data scores at this N. */
  floor: number;
  /** Conditional models: by class index, and the means over the classes that have both. */
  perClass: ClassFrechet[] | null;
  classMean: { samples: number; floor: number } | null;
}

/** What the distances are computed from. */
export interface FrechetInputs {
  model: Model;
  classifier: Classifier;
  /** The prepared splits, as the classifier was trained on them (no evaluation binarization). */
  test: Dataset;
  train: Dataset;
  classes: number[];
  classMeans: Float32Array | null;
  /** How an ae's prior samples are drawn (images.ts referenceGaussian). */
  reference: Reference;
}

export function frechetScores(
  inputs: FrechetInputs,
  samples: number,
  rng: Rng,
  batchSize: number,
): FrechetScores {
  const { model, classifier, classes } = inputs;
  const n = Math.min(samples, inputs.test.labels.length, inputs.train.labels.length);
  const test = heldOut(inputs.test, classes, n, rng.fork("test"));
  const train = heldOut(inputs.train, classes, n, rng.fork("train"));
  const prior = priorSamples(
    model,
    n,
    rng.fork("prior"),
    inputs.classMeans,
    inputs.reference,
    classes,
    batchSize,
  );
  const features = featuresOf(classifier, batchSize);
  const [testRows, trainRows] = [features.of(test.x), features.of(train.x)];
  const fromTest = frechetFrom(features.fit(testRows));
  const perClass = capabilitiesOf(model.params.kind).conditional
    ? classDistances(inputs, { test, testRows, train, trainRows }, features, rng, batchSize)
    : null;
  const scored = perClass?.filter((c) => c.samples !== null) ?? [];
  return {
    examples: n,
    samples: fromTest(features.fit(features.of(prior.data))),
    floor: fromTest(features.fit(trainRows)),
    perClass,
    classMean: scored.length
      ? { samples: mean(scored.map((c) => c.samples!)), floor: mean(scored.map((c) => c.floor!)) }
      : null,
  };
}

type Features = ReturnType<typeof featuresOf>;

/** The classifier's features of images, and Gaussians fitted to (some of) their rows. */
function featuresOf(classifier: Classifier, batchSize: number) {
  const width = featureWidth(classifier);
  return {
    of: (images: Float32Array) => featureRows(classifier, images, batchSize),
    fit: (rows: Float32Array, indices?: number[]) =>
      fitGaussian(indices ? rowsAt(rows, width, indices) : rows, width),
  };
}

/** `n` images of a split, a seeded stratified subset in seeded order. */
function heldOut(data: Dataset, classes: number[], n: number, rng: Rng): Examples {
  const all: Examples = {
    x: data.images,
    labels: data.labels,
    classIndex: classIndices(data.labels, classes),
    n: data.labels.length,
    inputDim: data.height * data.width,
  };
  return subset(all, stratifiedSample(data.labels, n, rng).chosen);
}

/**
 * Per class k: m_k = the fewer of its test and train images in the subsets; m_k class-k
 * samples (drawn as for sample accuracy) and the first m_k train images, each against the
 * first m_k test images of the class.
 */
function classDistances(
  inputs: FrechetInputs,
  held: { test: Examples; testRows: Float32Array; train: Examples; trainRows: Float32Array },
  features: Features,
  rng: Rng,
  batchSize: number,
): ClassFrechet[] {
  const { model } = inputs;
  const ofClass = (ex: Examples, k: number, m: number) =>
    Array.from(ex.classIndex.keys()).filter((i) => ex.classIndex[i] === k).slice(0, m);
  const counts = inputs.classes.map((_, k) =>
    Math.min(ofClass(held.test, k, Infinity).length, ofClass(held.train, k, Infinity).length)
  );
  const perClass = Math.max(...counts);
  const { z, classIndex } = classLatents(model, inputs.classMeans, perClass, rng.fork("class"));
  const sampleRows = features.of(decodeMeans(model, z, classIndex, batchSize));
  return counts.map((m, k) => {
    if (m < 2) return { examples: m, samples: null, floor: null };
    const fromTest = frechetFrom(features.fit(held.testRows, ofClass(held.test, k, m)));
    const own = Array.from({ length: m }, (_, i) => k * perClass + i);
    return {
      examples: m,
      samples: fromTest(features.fit(sampleRows, own)),
      floor: fromTest(features.fit(held.trainRows, ofClass(held.train, k, m))),
    };
  });
}
