import { z } from "zod";

/**
 * Every setting the pipeline knows, with its typed default. This file is the one
 * place defaults live: YAML only overrides them, and an unknown key is an error.
 */

const positiveInt = z.int().positive();
const fraction = z.number().gt(0).lt(1);

const idxSource = z.strictObject({
  /** Path to the training images (IDX3, gzipped or not). */
  trainImages: z.string().min(1),
  trainLabels: z.string().min(1),
  /** Optional test files; without them the train files are split by `testFraction`. */
  testImages: z.string().min(1).optional(),
  testLabels: z.string().min(1).optional(),
});

const csvSource = z.strictObject({
  /** A CSV with a header row: one label column and one column per pixel. */
  path: z.string().min(1),
  labelColumn: z.string().min(1).default("label"),
  /** Pixel values must lie in [0, pixelMax]; they are divided by it into [0, 1]. */
  pixelMax: z.number().positive().default(1),
});

const syntheticSource = z.strictObject({
  /** Number of images in all (train + test). */
  count: positiveInt.default(2000),
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
  /** Keep only these classes (labels are kept as they are, not renumbered). */
  classes: z.array(z.int().min(0).max(255)).min(1).nullable().default(null),
  /** Keep at most this many examples per split (a seeded, stratified subset). */
  limit: z.strictObject({
    train: positiveInt.nullable().default(null),
    test: positiveInt.nullable().default(null),
  }).prefault({}),
});

export const modelSchema = z.strictObject({
  /**
   * vae: q(z|x) = N(μ, σ²), p(z) = N(0, I). cvae-prior: p(z|y) = N(μ^Y, I) with a learned
   * class mean (Su, eq. 8). cvae-concat: the one-hot label joins encoder and decoder inputs.
   * ae: the same nets with no noise and no regularizer.
   */
  kind: z.enum(["vae", "cvae-prior", "cvae-concat", "ae"]).default("vae"),
  latentDim: positiveInt.default(2),
  hidden: z.array(positiveInt).default([256]),
  activation: z.enum(["tanh", "relu", "elu", "sigmoid"]).default("tanh"),
  /** bernoulli: sigmoid outputs, BCE from logits. gaussian: N(x; decoder mean, σ²). */
  likelihood: z.enum(["bernoulli", "gaussian"]).default("bernoulli"),
  gaussian: z.strictObject({
    /** fixed: σ stays at `sigma`; learned: one log σ² for all pixels, initialised from `sigma`. */
    variance: z.enum(["fixed", "learned"]).default("fixed"),
    sigma: z.number().positive().default(0.1),
  }).prefault({}),
});

export const lossSchema = z.strictObject({
  /**
   * kl: β·KL(q‖p) in closed form (eq. 4). split-kl: wMu·½Σμ² + wSigma·½Σ(σ² − log σ² − 1) (eq. 5).
   * separate-l2: wMu·‖μ‖² + wSigma·‖log σ²‖² (eq. 3). none: reconstruction only.
   */
  regularizer: z.enum(["kl", "split-kl", "separate-l2", "none"]).default("kl"),
  beta: z.number().min(0).default(1),
  wMu: z.number().min(0).default(1),
  wSigma: z.number().min(0).default(1),
  /** Ramp the regularizer weight linearly from 0 to full over this many epochs. */
  warmupEpochs: z.int().min(0).default(0),
  /** Per-dimension floor λ (nats) under the KL term (Kingma et al. 2016); 0 = off. */
  freeBits: z.number().min(0).default(0),
});

export const trainSchema = z.strictObject({
  epochs: positiveInt.default(20),
  batchSize: positiveInt.default(100),
  learningRate: z.number().positive().default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-7),
  /** Fraction of the train split held out for validation (0 = none). */
  validationFraction: z.number().min(0).lt(1).default(0),
  /** Stop after this many epochs without a better validation loss (null = never). */
  patience: positiveInt.nullable().default(null),
  /** Which weights to keep: the last epoch's, or the best validation epoch's. */
  keep: z.enum(["last", "best-validation"]).default("last"),
});

export const classifierSchema = z.strictObject({
  /** Hidden layer widths of the MLP (relu) that labels images for conditional sample accuracy. */
  hidden: z.array(positiveInt).default([128]),
  epochs: positiveInt.default(5),
  batchSize: positiveInt.default(100),
  learningRate: z.number().positive().default(1e-3),
});

export const evaluateSchema = z.strictObject({
  /** Sample counts K of the importance-weighted bound on log p(x). */
  iwK: z.array(positiveInt).min(1).default([1, 10, 100, 1000]),
  /** Test examples (a seeded, stratified subset) for the IW bound: K = 1000 is costly. */
  iwExamples: positiveInt.default(500),
  /** Rows (example × sample pairs) per network pass: bounds the memory of every pass. */
  batchSize: positiveInt.default(5000),
  /** Test examples (seeded, stratified) whose posteriors form q(z) in the mutual information. */
  miExamples: positiveInt.default(2000),
  /** Test images shown beside their reconstructions. */
  reconstructions: positiveInt.default(16),
  /** Decoded draws from the prior (prior_samples.npy). */
  priorSamples: positiveInt.default(100),
  /** Samples per class that the classifier labels (CVAEs: conditional sample accuracy). */
  samplesPerClass: positiveInt.default(100),
  /** Of those, how many per class go into class_samples.npy. */
  classSampleImages: positiveInt.default(10),
  /** Points per side of the latent traversal grid. */
  gridSize: z.int().min(2).default(15),
});

export const configSchema = z.strictObject({
  /** Report and log name; defaults to the config file's base name. Not part of any key. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  /** Every random draw in every stage derives from this. */
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
  /** The tfjs backend: wasm is the fast one here; cpu is the pure-JS reference. */
  backend: z.enum(["wasm", "cpu"]).default("wasm"),
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
});

export type ResolvedConfig = z.output<typeof configSchema> & { name: string };
export type DataParams = z.output<typeof dataSchema>;
export type ModelParams = z.output<typeof modelSchema>;
export type LossParams = z.output<typeof lossSchema>;
export type TrainParams = z.output<typeof trainSchema>;
export type ClassifierParams = z.output<typeof classifierSchema>;
export type EvaluateParams = z.output<typeof evaluateSchema>;
