/**
 * The numbers only a conditional VAE has: how well it explains x given its label, how well
 * it explains x with the label summed out, and whether its class-y samples look like y.
 */
import type { Rng } from "../../lib/rng.ts";
import type { Row } from "../../lib/table.ts";
import { accuracy } from "../classifier/accuracy.ts";
import { type Classifier, predict } from "../classifier/mlp.ts";
import type { Model } from "../model/networks.ts";
import { decodeMeans } from "./decoding.ts";
import { negElboPerExample } from "./elbo.ts";
import { type Examples, relabelled } from "./examples.ts";
import type { ClassFrechet } from "./frechet_scores.ts";
import { logMeanExp } from "./log_sum_exp.ts";
import { posteriorPass } from "./posterior_pass.ts";
import { mean } from "./stats.ts";

/**
 * −ELBO(x, y') of every example under every label y', [n, classes] row-major. Each label's
 * pass draws the same ε (a fresh `epsRng()` stream), so the true-label column is exactly the
 * test pass's −ELBO, and the columns differ only through the label.
 */
export function perLabelNegElbo(
  model: Model,
  ex: Examples,
  epsRng: () => Rng,
  batchSize: number,
): Float64Array {
  const classes = model.numClasses;
  const out = new Float64Array(ex.n * classes);
  for (let k = 0; k < classes; k++) {
    const pass = posteriorPass(model, relabelled(ex, k), epsRng(), batchSize);
    negElboPerExample(pass).forEach((v, i) => out[i * classes + k] = v);
  }
  return out;
}

/**
 * log Σ_y (1/C) exp(ELBO(x, y)) per example: each ELBO(x, y) is a lower bound on
 * log p(x|y), so with a uniform p(y) = 1/C this estimates a lower bound on
 * log p(x) = log Σ_y p(y) p(x|y). (Each ELBO uses one seeded z, so the bound holds for the
 * exact ELBOs; the estimate itself carries their sampling noise.)
 */
export function logPxFromLabels(perLabel: Float64Array, classes: number): Float64Array {
  const n = perLabel.length / classes;
  const bounds = perLabel.map((v) => -v);
  return Float64Array.from(
    { length: n },
    (_, i) => logMeanExp(bounds, i * classes, (i + 1) * classes),
  );
}

/**
 * `m` latent draws per class, class by class: z ~ N(μ^Y, I) for cvae-prior (the class
 * prior), z ~ N(0, I) decoded with label y for cvae-concat. Returns z [C·m, d] and the class
 * index of each draw.
 */
export function classLatents(
  model: Model,
  classMeans: Float32Array | null,
  m: number,
  rng: Rng,
): { z: Float32Array; classIndex: Int32Array } {
  const d = model.params.latentDim;
  const classes = model.numClasses;
  const classIndex = Int32Array.from({ length: classes * m }, (_, i) => Math.floor(i / m));
  const z = Float32Array.from({ length: classes * m * d }, (_, i) => {
    const centre = classMeans ? classMeans[classIndex[Math.floor(i / d)] * d + (i % d)] : 0;
    return centre + rng.normal();
  });
  return { z, classIndex };
}

/** What the classify stage's net says of `m` decoded samples per class. */
export function sampleAccuracy(
  model: Model,
  classifier: Classifier,
  classMeans: Float32Array | null,
  m: number,
  rng: Rng,
  batchSize: number,
): { images: Float32Array; perClass: number[]; overall: number } {
  const { z, classIndex } = classLatents(model, classMeans, m, rng);
  const images = decodeMeans(model, z, classIndex, batchSize);
  const scored = accuracy(predict(classifier, images), classIndex, model.numClasses);
  return { images, perClass: scored.perClass, overall: scored.overall };
}

/**
 * per_class.csv: label, n, mean ELBO bound on log p(x|y) over the class, sample accuracy,
 * and with `frechet` the class's Fréchet distances and how many images each side had.
 */
export function perClassRows(
  ex: Examples,
  negElbo: Float64Array,
  classes: number[],
  samples: number[],
  frechet: ClassFrechet[] | null,
): Row[] {
  return classes.map((label, k) => {
    const own = negElbo.filter((_, i) => ex.classIndex[i] === k);
    return {
      label,
      n: own.length,
      log_px_given_y: own.length ? -mean(own) : null,
      sample_accuracy: samples[k],
      ...(frechet
        ? {
          frechet: frechet[k].samples,
          frechet_floor: frechet[k].floor,
          frechet_examples: frechet[k].examples,
        }
        : {}),
    };
  });
}

/** class_means.csv: the learned μ^Y, one row per class: label, z0…z{d−1}. */
export function classMeanRows(classMeans: Float32Array, classes: number[], d: number): Row[] {
  return classes.map((label, k) => ({
    label,
    ...Object.fromEntries(Array.from({ length: d }, (_, j) => [`z${j}`, classMeans[k * d + j]])),
  }));
}

/** class_distances.csv: the Euclidean distance ‖μ^a − μ^b‖, a matrix: label, to_<label>… */
export function classDistanceRows(classMeans: Float32Array, classes: number[], d: number): Row[] {
  const distance = (a: number, b: number) =>
    Math.hypot(
      ...Array.from({ length: d }, (_, j) => classMeans[a * d + j] - classMeans[b * d + j]),
    );
  return classes.map((label, a) => ({
    label,
    ...Object.fromEntries(classes.map((other, b) => [`to_${other}`, distance(a, b)])),
  }));
}
