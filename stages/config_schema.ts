/**
 * Every setting the pipeline knows, with its typed default. This file is the one
 * place defaults live: YAML only overrides them, and an unknown key is an error.
 *
 * Every number has a range that reflects what can run on these machines (2 cores, a few
 * GiB), so a typo like `latentDim: 1e9` is a one-line error, not an allocation failure an
 * hour later. The ranges are per key; stages/limits.ts then checks the memory the whole
 * combination needs. Non-finite values (.nan, .inf, 1e400) are never numbers here.
 */
import { z } from "zod";
import { MAX_NAME_LENGTH, SAFE_NAME } from "../pipeline/names.ts";

const positiveInt = z.int().positive();
const fraction = z.number().gt(0).lt(1);
/** Epochs: 100,000 passes over even a tiny data set is days of CPU here. */
const MAX_EPOCHS = 100_000;
/** A batch of 65,536 is more than any data set this pipeline reads in one step. */
const MAX_BATCH = 65_536;
/** Layer widths: 16,384 wide already means 784×16,384 ≈ 13M weights per layer. */
const MAX_WIDTH = 16_384;
/** Dense MLPs deeper than 8 layers do not train well here and are a likely typo. */
const MAX_LAYERS = 8;
/** Example counts: more than any data set read here (mnist 10k, Fashion-MNIST 70k). */
const MAX_EXAMPLES = 10_000_000;
/** Loss weights beyond 10^6 only overflow float32 losses. */
const MAX_WEIGHT = 1e6;
/** The Fréchet distance's feature width: 512 already takes seconds per eigendecomposition. */
const MAX_FEATURE_WIDTH = 512;

/** A file path from a config: one line, no NUL, no longer than any OS accepts. */
const filePath = z.string().min(1).max(4096).refine(
  // deno-lint-ignore no-control-regex
  (path) => !/[\u0000-\u001f\u007f]/.test(path),
  "must be a file path without control characters (NUL, newline, …)",
);
const layers = z.array(z.int().positive().max(MAX_WIDTH)).max(MAX_LAYERS);

const idxSource = z.strictObject({
  /** Path to the training images (IDX3, gzipped or not). */
  trainImages: filePath,
  trainLabels: filePath,
  /** Optional test files; without them the train files are split by `testFraction`. */
  testImages: filePath.optional(),
  testLabels: filePath.optional(),
});

const csvSource = z.strictObject({
  /** A CSV with a header row: one label column and one column per pixel. */
  path: filePath,
  labelColumn: z.string().min(1).max(256).default("label"),
  /** Pixel values must lie in [0, pixelMax]; they are divided by it into [0, 1]. (≤ 2^32.) */
  pixelMax: z.number().positive().max(2 ** 32).default(1),
});

const syntheticSource = z.strictObject({
  /** Number of images in all (train + test); a million 28×28 images is 3 GiB of float32. */
  count: positiveInt.max(1_000_000).default(2000),
  /** Side length in pixels. */
  size: z.union([z.literal(8), z.literal(28)]).default(8),
  /** Number of classes (distinct shapes). */
  classes: z.int().min(2).max(10).default(4),
  /** Std of the Gaussian pixel noise added before clipping to [0, 1]. */
  noise: z.number().min(0).max(1).default(0.05),
});

export const dataSchema = z.strictObject({
  source: z.enum(["mnist", "idx", "csv", "synthetic"]).default("mnist"),
  idx: idxSource.optional(),
  csv: csvSource.optional(),
  synthetic: syntheticSource.prefault({}),
  /** Held-out fraction, stratified by class, when the source has no test split. */
  testFraction: fraction.default(0.2),
  /** none: keep grey levels; static: threshold once; dynamic: Bernoulli-sample each epoch in training. */
  binarize: z.enum(["none", "static", "dynamic"]).default("none"),
  threshold: fraction.default(0.5),
  /**
   * Keep only these classes (labels are kept as they are, not renumbered). A whole config
   * needs at least 2 distinct ones (checked below, in configSchema).
   */
  classes: z.array(z.int().min(0).max(255)).min(1).max(256).nullable().default(null),
  /** Keep at most this many examples per split (a seeded, stratified subset). */
  limit: z.strictObject({
    train: positiveInt.max(MAX_EXAMPLES).nullable().default(null),
    test: positiveInt.max(MAX_EXAMPLES).nullable().default(null),
  }).prefault({}),
});

export const modelSchema = z.strictObject({
  /**
   * vae: q(z|x) = N(μ, σ²), p(z) = N(0, I). cvae-prior: p(z|y) = N(μ^Y, I) with a learned
   * class mean (Su, eq. 8). cvae-concat: the one-hot label joins encoder and decoder inputs.
   * ae: the same nets with no noise and no regularizer.
   */
  kind: z.enum(["vae", "cvae-prior", "cvae-concat", "ae"]).default("vae"),
  /** ≤ 1024: far past any latent space this pipeline studies (its plots use 2). */
  latentDim: positiveInt.max(1024).default(2),
  /** Encoder widths (the decoder mirrors them): ≤ 8 layers of ≤ 16,384 units. */
  hidden: layers.default([256]),
  activation: z.enum(["tanh", "relu", "elu", "sigmoid"]).default("tanh"),
  /** bernoulli: sigmoid outputs, BCE from logits. gaussian: N(x; decoder mean, σ²). */
  likelihood: z.enum(["bernoulli", "gaussian"]).default("bernoulli"),
  gaussian: z.strictObject({
    /** fixed: σ stays at `sigma`; learned: one log σ² for all pixels, initialised from `sigma`. */
    variance: z.enum(["fixed", "learned"]).default("fixed"),
    sigma: z.number().positive().max(1000).default(0.1),
  }).prefault({}),
});

export const lossSchema = z.strictObject({
  /**
   * kl: β·KL(q‖p) in closed form (eq. 4). split-kl: wMu·½Σμ² + wSigma·½Σ(σ² − log σ² − 1) (eq. 5).
   * separate-l2: wMu·‖μ‖² + wSigma·‖log σ²‖² (eq. 3). none: reconstruction only.
   */
  regularizer: z.enum(["kl", "split-kl", "separate-l2", "none"]).default("kl"),
  beta: z.number().min(0).max(MAX_WEIGHT).default(1),
  wMu: z.number().min(0).max(MAX_WEIGHT).default(1),
  wSigma: z.number().min(0).max(MAX_WEIGHT).default(1),
  /** Ramp the regularizer weight linearly from 0 to full over this many epochs. */
  warmupEpochs: z.int().min(0).max(MAX_EPOCHS).default(0),
  /** Per-dimension floor λ (nats) under the KL term (Kingma et al. 2016); 0 = off. ≤ 1000. */
  freeBits: z.number().min(0).max(1000).default(0),
});

export const trainSchema = z.strictObject({
  epochs: positiveInt.max(MAX_EPOCHS).default(20),
  batchSize: positiveInt.max(MAX_BATCH).default(100),
  /** Adam steps beyond 10 only diverge. */
  learningRate: z.number().positive().max(10).default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().max(1).default(1e-7),
  /** Fraction of the train split held out for validation (0 = none). */
  validationFraction: z.number().min(0).lt(1).default(0),
  /** Stop after this many epochs without a better validation loss (null = never). */
  patience: positiveInt.max(MAX_EPOCHS).nullable().default(null),
  /** Which weights to keep: the last epoch's, or the best validation epoch's. */
  keep: z.enum(["last", "best-validation"]).default("last"),
});

export const classifierSchema = z.strictObject({
  /** Hidden layer widths of the MLP (relu) that labels images for conditional sample accuracy. */
  hidden: layers.default([128]),
  epochs: positiveInt.max(MAX_EPOCHS).default(5),
  batchSize: positiveInt.max(MAX_BATCH).default(100),
  learningRate: z.number().positive().max(10).default(1e-3),
});

export const evaluateSchema = z.strictObject({
  /**
   * Sample counts K of the importance-weighted bound on log p(x): K ≤ 100,000 (each example
   * costs K decoder passes), at most 16 of them.
   */
  iwK: z.array(positiveInt.max(100_000)).min(1).max(16).default([1, 10, 100, 1000]),
  /** Test examples (a seeded, stratified subset) for the IW bound: K = 1000 is costly. */
  iwExamples: positiveInt.max(100_000).default(500),
  /** Rows (example × sample pairs) per network pass: bounds the memory of every pass. */
  batchSize: positiveInt.max(1_000_000).default(5000),
  /**
   * Test examples (seeded, stratified) whose posteriors form q(z) in the mutual information.
   * The estimate is O(n²·latentDim) time, so at most 20,000.
   */
  miExamples: positiveInt.max(20_000).default(2000),
  /** Test images shown beside their reconstructions (a report figure: ≤ 1000). */
  reconstructions: positiveInt.max(1000).default(16),
  /** Decoded draws from the prior (prior_samples.npy), ≤ 10,000. */
  priorSamples: positiveInt.max(10_000).default(100),
  /** Samples per class that the classifier labels (CVAEs: conditional sample accuracy). */
  samplesPerClass: positiveInt.max(10_000).default(100),
  /** Of those, how many per class go into class_samples.npy (a figure: ≤ 100). */
  classSampleImages: positiveInt.max(100).default(10),
  /** Points per side of the latent traversal grid (a figure: ≤ 100, so ≤ 10,000 images). */
  gridSize: z.int().min(2).max(100).default(15),
  /**
   * N of the Fréchet distance in the classifier's feature space: N decoded prior samples
   * against N test images (a seeded, stratified subset; fewer when a split is smaller), and
   * N train images against the same test images as the data-against-data floor; CVAEs also
   * per class. 0 switches it off, and with it the classify stage unless the model is
   * conditional. ≤ 10,000 (a covariance needs 2). The estimate is biased up by about 1/N (on
   * mnist the floor is 0.95 at N = 1000, 0.46 at 2000); its time is the eigendecompositions',
   * which do not grow with N.
   */
  frechetSamples: z.int().min(0).max(10_000).refine(
    (n) => n !== 1,
    "must be 0 (off) or at least 2: a covariance needs 2 samples",
  ).default(2000),
});

export const configSchema = z.strictObject({
  /** Report and log name; defaults to the config file's base name. Not part of any key. */
  name: z.string().max(MAX_NAME_LENGTH).regex(SAFE_NAME).optional(),
  /** Every random draw in every stage derives from this. */
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
  /**
   * The tfjs backend: blas (wasm with a system BLAS doing the matrix products) is the fast
   * one; auto takes it when a BLAS loads, else wasm; cpu is the pure-JS reference.
   */
  backend: z.enum(["auto", "wasm", "blas", "cpu"]).default("auto"),
  /** Threads of each BLAS product (default: every core); part of every key the BLAS joins. */
  blasThreads: positiveInt.max(1024).optional(),
  data: dataSchema.prefault({}),
  model: modelSchema.prefault({}),
  loss: lossSchema.prefault({}),
  train: trainSchema.prefault({}),
  classifier: classifierSchema.prefault({}),
  evaluate: evaluateSchema.prefault({}),
}).superRefine((config, ctx) => {
  const source = config.data.source;
  if ((source === "idx" || source === "csv") && config.data[source] === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["data", source],
      message: `is required when data.source is "${source}"`,
    });
  }
  const idx = config.data.idx;
  if (idx && (idx.testImages === undefined) !== (idx.testLabels === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["data", "idx", idx.testImages === undefined ? "testImages" : "testLabels"],
      message: "is required when the other test file is given (give both or neither)",
    });
  }
  if (config.train.keep === "best-validation" && config.train.validationFraction === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["train", "keep"],
      message: "needs a validation split: set train.validationFraction > 0",
    });
  }
  checkClasses(config.data, ctx);
  checkFrechetFeatures(config, ctx);
});

/**
 * The Fréchet distance compares the classifier's last hidden layer: there must be one, and
 * narrow enough for its O(width³) eigendecompositions (a 128-wide one takes ~40 ms).
 */
function checkFrechetFeatures(
  config: { classifier: { hidden: number[] }; evaluate: { frechetSamples: number } },
  ctx: z.RefinementCtx,
): void {
  if (config.evaluate.frechetSamples === 0) return;
  const hidden = config.classifier.hidden;
  const last = hidden.at(-1);
  if (last !== undefined && last <= MAX_FEATURE_WIDTH) return;
  ctx.addIssue({
    code: "custom",
    path: ["classifier", "hidden", ...(last === undefined ? [] : [hidden.length - 1])],
    message: last === undefined
      ? "must have a hidden layer: its activations are evaluate.frechetSamples's features " +
        "(or set evaluate.frechetSamples: 0)"
      : `must be ≤ ${MAX_FEATURE_WIDTH} in its last layer, the features of ` +
        "evaluate.frechetSamples (or set evaluate.frechetSamples: 0)",
  });
}

/**
 * The labels a source is known to hold before it is read: mnist's digits, synthetic's
 * 0..classes-1. IDX and CSV files are checked when prepare reads them, before it writes.
 */
export function knownLabels(data: z.output<typeof dataSchema>): number[] | null {
  if (data.source === "mnist") return Array.from({ length: 10 }, (_, i) => i);
  if (data.source === "synthetic") {
    return Array.from({ length: data.synthetic.classes }, (_, i) => i);
  }
  return null;
}

/**
 * Everything about classes that can fail before prepare writes: training one-hot encodes
 * labels (tf.oneHot needs depth ≥ 2), so a run needs 2 distinct classes; a listed class the
 * source cannot have is a typo; a per-split limit below the class count drops classes.
 */
function checkClasses(data: z.output<typeof dataSchema>, ctx: z.RefinementCtx): void {
  const known = knownLabels(data);
  const listed = data.classes;
  if (listed) {
    const seen = new Set<number>();
    listed.forEach((label, i) => {
      if (seen.has(label)) {
        ctx.addIssue({
          code: "custom",
          path: ["data", "classes", i],
          message: "repeats a class listed before it: list each class once",
        });
      }
      seen.add(label);
      if (known && !known.includes(label)) {
        ctx.addIssue({
          code: "custom",
          path: ["data", "classes", i],
          message: `is not a class of data.source ${data.source} (it has ${known[0]}–${
            known.at(-1)
          }): fix data.classes`,
        });
      }
    });
    if (seen.size < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["data", "classes"],
        message: "must list at least 2 distinct classes (training one-hot encodes labels), " +
          "or be left out to keep them all",
      });
    }
  }
  const count = listed ? new Set(listed).size : known?.length;
  if (count === undefined) return;
  for (const split of ["train", "test"] as const) {
    const limit = data.limit[split];
    if (limit !== null && limit < count) {
      ctx.addIssue({
        code: "custom",
        path: ["data", "limit", split],
        message: `must be ≥ ${count} to keep one example of each of the ${count} classes`,
      });
    }
  }
}

export type ResolvedConfig = z.output<typeof configSchema> & { name: string };
export type DataParams = z.output<typeof dataSchema>;
export type ModelParams = z.output<typeof modelSchema>;
export type LossParams = z.output<typeof lossSchema>;
export type TrainParams = z.output<typeof trainSchema>;
export type ClassifierParams = z.output<typeof classifierSchema>;
export type EvaluateParams = z.output<typeof evaluateSchema>;
