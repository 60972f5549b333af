/**
 * The images the report shows, as float32 pixel means in [0, 1] with a note each (for
 * images.json) that says exactly which z made them. Shapes end in [H, W]; the caller adds
 * them (these functions see flat pixels).
 */
import type { Rng } from "../../lib/rng.ts";
import { stratifiedSample } from "../data/split.ts";
import { capabilitiesOf, type KindCapabilities } from "../model/kinds.ts";
import type { Model } from "../model/networks.ts";
import { decodeMeans } from "./decoding.ts";
import type { Examples } from "./examples.ts";
import { quantileGrid } from "./normal_quantile.ts";

/** One set of images: pixel means, their leading dimensions, and the note for images.json. */
export interface ImageSet {
  data: Float32Array;
  /** Leading dimensions, before [H, W]. */
  lead: number[];
  note: Record<string, unknown>;
}

/**
 * The Gaussian that stands in for "the prior" when picking latent points: N(0, I) for vae and
 * cvae-concat; for cvae-prior the moment-matched Gaussian of the uniform mixture of class
 * priors N(μ^Y, I) (mean of the μ^Y, variance 1 + their variance); for an ae, which has no
 * prior, a diagonal Gaussian fitted to the test encoder means.
 */
export interface Reference {
  centre: number[];
  scale: number[];
  what: string;
}

export function referenceGaussian(
  model: Model,
  classMeans: Float32Array | null,
  fitted: { mean: number[]; variance: number[] },
): Reference {
  const d = model.params.latentDim;
  const dims = Array.from({ length: d }, (_, j) => j);
  if (!capabilitiesOf(model.params.kind).stochastic) {
    return {
      centre: fitted.mean,
      scale: fitted.variance.map(Math.sqrt),
      what: "a diagonal Gaussian fitted to the test encoder means (an ae has no prior)",
    };
  }
  if (!classMeans) return { centre: dims.map(() => 0), scale: dims.map(() => 1), what: "N(0, I)" };
  const c = model.numClasses;
  const centre = dims.map((j) => sumOver(c, (k) => classMeans[k * d + j]) / c);
  const spread = dims.map((j) => sumOver(c, (k) => (classMeans[k * d + j] - centre[j]) ** 2) / c);
  return {
    centre,
    scale: spread.map((v) => Math.sqrt(1 + v)),
    what: "the moment-matched Gaussian of the uniform mixture of class priors N(μ^Y, I)",
  };
}

function sumOver(n: number, f: (k: number) => number): number {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += f(k);
  return sum;
}

/** `n` test images (stratified, seeded, ordered by class) beside their decodings at z = μ. */
export function reconstructions(
  model: Model,
  ex: Examples,
  mu: Float32Array,
  n: number,
  rng: Rng,
  classes: number[],
): ImageSet {
  const d = model.params.latentDim;
  const chosen = stratifiedSample(ex.labels, Math.min(n, ex.n), rng).chosen
    .sort((a, b) => ex.classIndex[a] - ex.classIndex[b] || a - b);
  const z = Float32Array.from(
    { length: chosen.length * d },
    (_, i) => mu[chosen[i / d | 0] * d + i % d],
  );
  const classIndex = Int32Array.from(chosen, (i) => ex.classIndex[i]);
  const decoded = decodeMeans(model, z, classIndex, chosen.length);
  const data = new Float32Array(2 * decoded.length);
  chosen.forEach((i, k) =>
    data.set(ex.x.subarray(i * ex.inputDim, (i + 1) * ex.inputDim), k * ex.inputDim)
  );
  data.set(decoded, decoded.length);
  return {
    data,
    lead: [2, chosen.length],
    note: {
      description: "Row 0: test images; row 1: their decodings (pixel means) at z = μ(x), " +
        "the posterior mean" +
        (capabilitiesOf(model.params.kind).labelInput ? ", with the true label." : "."),
      testIndices: chosen,
      labels: chosen.map((i) => classes[ex.classIndex[i]]),
    },
  };
}

/**
 * `n` decoded draws from the model's generative story: z ~ N(0, I) (vae; cvae-concat with
 * labels taken round-robin), z ~ N(μ^Y, I) with classes round-robin (cvae-prior: an equal-
 * weight mixture of the class priors), or z from the fitted Gaussian (ae, and said so).
 */
export function priorSamples(
  model: Model,
  n: number,
  rng: Rng,
  classMeans: Float32Array | null,
  reference: Reference,
  classes: number[],
  batchSize: number,
): ImageSet {
  const d = model.params.latentDim;
  const can = capabilitiesOf(model.params.kind);
  const classIndex = Int32Array.from(
    { length: n },
    (_, i) => can.conditional ? i % model.numClasses : 0,
  );
  const z = Float32Array.from({ length: n * d }, (_, i) => {
    const [row, j] = [i / d | 0, i % d];
    if (!can.stochastic) return reference.centre[j] + reference.scale[j] * rng.normal();
    const centre = classMeans ? classMeans[classIndex[row] * d + j] : 0;
    return centre + rng.normal();
  });
  return {
    data: decodeMeans(model, z, classIndex, batchSize),
    lead: [n],
    note: {
      description: `${n} decoded draws (pixel means): ${priorDraws(can, reference)}.`,
      ...(can.conditional ? { labels: Array.from(classIndex, (k) => classes[k]) } : {}),
      ...(can.stochastic ? {} : { mean: reference.centre, std: reference.scale }),
    },
  };
}

/** How priorSamples draws z, for its note. */
function priorDraws(can: KindCapabilities, reference: Reference): string {
  if (!can.stochastic) return `z ~ ${reference.what}`;
  if (can.learnedPriorMean) {
    return "z ~ N(μ^Y, I) with the class y taken round-robin: the equal-weight " +
      "mixture of the class priors";
  }
  if (can.labelInput) return "z ~ N(0, I) decoded with the label, labels taken round-robin";
  return "z ~ N(0, I), the prior";
}

/**
 * Decodings on a g × g grid of latent points. Two latent dimensions are varied (the whole
 * plane when d = 2; otherwise the two listed first in `ranked`: kl_per_dim.csv's order), at
 * the reference Gaussian's quantiles Φ⁻¹((i + ½)/g); the others stay at its centre.
 * Columns step dims[0] left to right, low to high; rows step dims[1] top to bottom, high to
 * low (like a plot's axes). With d = 1 the grid is one row.
 */
export function traversal(
  model: Model,
  g: number,
  ranked: number[],
  reference: Reference,
  classes: number[],
  batchSize: number,
): ImageSet {
  const d = model.params.latentDim;
  const dims = d <= 2 ? [0, 1].slice(0, d) : ranked.slice(0, 2);
  const q = quantileGrid(g);
  const at = (dim: number, i: number) => reference.centre[dim] + reference.scale[dim] * q[i];
  const rows = dims.length === 2 ? g : 1;
  const z = new Float32Array(rows * g * d);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < g; c++) {
      const point = z.subarray((r * g + c) * d, (r * g + c + 1) * d);
      point.set(reference.centre);
      point[dims[0]] = at(dims[0], c);
      if (dims.length === 2) point[dims[1]] = at(dims[1], g - 1 - r);
    }
  }
  const label = capabilitiesOf(model.params.kind).labelInput ? { label: classes[0] } : {};
  return {
    data: decodeMeans(model, z, new Int32Array(rows * g), batchSize),
    lead: [rows, g],
    note: {
      description: traversalText(dims, g, d, reference, model, classes),
      columnDim: dims[0],
      columnValues: q.map((_, i) => at(dims[0], i)),
      ...(dims.length === 2
        ? { rowDim: dims[1], rowValues: q.map((_, i) => at(dims[1], g - 1 - i)) }
        : {}),
      fixedAt: reference.centre,
      ...label,
    },
  };
}

function traversalText(
  dims: number[],
  g: number,
  d: number,
  reference: Reference,
  model: Model,
  classes: number[],
): string {
  const axes = [`z${dims[0]} in columns, low to high`];
  if (dims.length === 2) axes.push(`z${dims[1]} in rows, high to low`);
  const parts = [
    `Decodings (pixel means) on a grid: ${axes.join("; ")}`,
    `at the quantiles Φ⁻¹((i + ½)/${g}) of ${reference.what}`,
  ];
  if (d > 2) {
    parts.push(
      `the two dimensions ranked first in kl_per_dim.csv (most KL; most activity for an ae), ` +
        `the other ${d - 2} held at its centre`,
    );
  }
  if (capabilitiesOf(model.params.kind).labelInput) {
    parts.push(`decoded with label ${classes[0]}`);
  }
  return parts.join("; ") + ".";
}

/**
 * class_samples: the first `shown` of each class's `perClass` decoded draws (the samples the
 * classifier scored), [classes, shown] images.
 */
export function classSamples(
  model: Model,
  all: Float32Array,
  perClass: number,
  shown: number,
  classes: number[],
): ImageSet {
  const m = Math.min(shown, perClass);
  const pixels = model.inputDim;
  const data = new Float32Array(classes.length * m * pixels);
  for (let k = 0; k < classes.length; k++) {
    data.set(all.subarray(k * perClass * pixels, (k * perClass + m) * pixels), k * m * pixels);
  }
  const how = capabilitiesOf(model.params.kind).learnedPriorMean
    ? "z ~ N(μ^Y, I), the class prior"
    : "z ~ N(0, I) decoded with label y";
  return {
    data,
    lead: [classes.length, m],
    note: {
      description: `Row y: ${m} decoded draws (pixel means) for class y, ${how}; the first ` +
        `${m} of the ${perClass} per class that the classifier scored for sample accuracy.`,
      labels: classes,
    },
  };
}
