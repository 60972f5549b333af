/**
 * What a config may ask of this machine, checked right after validation so a run that cannot
 * fit stops with one line instead of `Array buffer allocation failed` minutes later. The
 * estimate is deliberately coarse (within a small factor): float32 weights with their
 * gradients and Adam's two moments, the activations of the biggest batch a stage pushes
 * through the nets (kept for the backward pass), and the big host arrays evaluation keeps.
 */
import { formatSize, GiB } from "../pipeline/bounded_read.ts";
import { formatCount } from "../pipeline/units.ts";
import { capabilitiesOf } from "./model/kinds.ts";
import type { ResolvedConfig } from "./config_schema.ts";

/** The largest image a data source may hold, in pixels (256×256): the MLPs here are dense. */
export const MAX_INPUT_PIXELS = 256 * 256;

/**
 * The memory a run may plan to use: 8 GiB, or three quarters of this machine's memory when
 * that is smaller (Deno.systemMemoryInfo needs --allow-sys; without it, 8 GiB).
 */
export function memoryBudget(): number {
  const cap = 8 * GiB;
  try {
    const total = Deno.systemMemoryInfo().total;
    return total > 0 ? Math.min(cap, Math.floor(total * 0.75)) : cap;
  } catch {
    return cap;
  }
}

/** What the data will look like, as far as it is known before it is read. */
export interface DataShape {
  /** Pixels per image (784 for mnist, size² for synthetic). */
  inputDim: number;
  /** Number of classes the model sees. */
  numClasses: number;
  /** Examples held in memory (train + test), when known. */
  examples: number;
}

/** One part of the estimate, with the YAML path that drives it and how to shrink it. */
export interface MemoryTerm {
  yamlPath: string[];
  what: string;
  bytes: number;
  fix: string;
}

export interface MemoryEstimate {
  /** The peak: the data plus the hungriest stage. */
  total: number;
  /** The biggest single term of that peak: what a message names. */
  driver: MemoryTerm;
}

const F32 = 4;
const F64 = 8;
/** Weights, gradients, Adam's m and v, and one temporary of each during the update. */
const TRAINED_COPIES = 5;
/** Activations kept for the backward pass, their gradients, and a temporary. */
const ACTIVATION_COPIES = 3;

/** Parameters of a dense stack sizes[0] → sizes[1] → … (kernels and biases). */
function denseParams(sizes: number[]): number {
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1] * sizes[i] + sizes[i];
  return n;
}

/** Parameters of the VAE family's nets for this config (mirrors stages/model/networks.ts). */
export function modelParameters(model: ResolvedConfig["model"], shape: DataShape): number {
  const { inputDim: d, numClasses: c } = shape;
  const can = capabilitiesOf(model.kind);
  const label = can.labelInput ? c : 0;
  const top = model.hidden.at(-1) ?? d + label;
  const heads = (can.stochastic ? 2 : 1) * (top * model.latentDim + model.latentDim);
  return denseParams([d + label, ...model.hidden]) + heads +
    denseParams([model.latentDim + label, ...[...model.hidden].reverse(), d]) +
    (can.learnedPriorMean ? c * model.latentDim : 0);
}

/** The coarse peak memory of a run of `config` on data of `shape`. */
/** The sizes an estimate is made of: per-example layer widths, parameters, and what drives them. */
function modelFacts(model: ResolvedConfig["model"], shape: DataShape) {
  const { inputDim: d, numClasses: c } = shape;
  const label = capabilitiesOf(model.kind).labelInput ? c : 0;
  // Every layer's output width, input to reconstruction, for one example.
  const widths = d + label + 2 * sum(model.hidden) + 3 * model.latentDim + label + 2 * d;
  const params = modelParameters(model, shape);
  const latentShare = params - modelParameters({ ...model, latentDim: 1 }, shape);
  const weightsPath = latentShare > params / 2 ? ["model", "latentDim"] : ["model", "hidden"];
  const layersFix = weightsPath[1] === "hidden"
    ? "use fewer or narrower hidden layers"
    : "use a smaller latent space";
  return { widths, params, weightsPath, layersFix };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** What training holds: the trained weights with their optimizer state, and one batch. */
function trainTerms(
  model: ResolvedConfig["model"],
  train: Pick<ResolvedConfig["train"], "batchSize">,
  shape: DataShape,
): MemoryTerm[] {
  const { widths, params, weightsPath, layersFix } = modelFacts(model, shape);
  return [
    {
      yamlPath: weightsPath,
      what: `weights, gradients and Adam moments of ${formatCount(params)} parameters`,
      bytes: params * F32 * TRAINED_COPIES,
      fix: layersFix,
    },
    {
      yamlPath: ["train", "batchSize"],
      what: "training activations",
      bytes: train.batchSize * widths * F32 * ACTIVATION_COPIES,
      fix: "use a smaller train.batchSize",
    },
  ];
}

/**
 * The training stage's check once the data's real image size is known (an IDX or CSV file,
 * which the check at load can only guess): one line, or null when it fits.
 */
export function trainingMemoryProblem(
  model: ResolvedConfig["model"],
  train: Pick<ResolvedConfig["train"], "batchSize">,
  shape: DataShape,
  budget = memoryBudget(),
): string | null {
  const terms = trainTerms(model, train, shape);
  const total = sum(terms.map((t) => t.bytes));
  if (total <= budget) return null;
  const driver = terms.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return `${driver.yamlPath.join(".")} makes training on ${shape.inputDim}-pixel images need ` +
    `about ${formatSize(total)} (${driver.what}: ${formatSize(driver.bytes)}), over the ` +
    `${formatSize(budget)} memory budget; ${driver.fix}`;
}

export function estimateMemory(config: ResolvedConfig, shape: DataShape): MemoryEstimate {
  const { model, train, evaluate, classifier } = config;
  const { inputDim: d, numClasses: c } = shape;
  const { widths, params, weightsPath, layersFix } = modelFacts(model, shape);

  const data: MemoryTerm = {
    yamlPath: config.data.source === "synthetic" ? ["data", "synthetic", "count"] : ["data"],
    what: `the data as float32 (${shape.examples} images)`,
    bytes: shape.examples * d * F32 * 2, // the source and its filtered, split copy
    fix: "use fewer examples (data.limit)",
  };
  const trainStage = trainTerms(model, train, shape);
  // mnist and synthetic have no test split: prepare holds out data.testFraction of them.
  const testExamples = Math.min(
    Math.ceil(shape.examples * config.data.testFraction),
    config.data.limit.test ?? Infinity,
  );
  const iwK = Math.max(...evaluate.iwK);
  const evaluateStage: MemoryTerm[] = [
    {
      yamlPath: weightsPath,
      what: `the weights of ${formatCount(params)} parameters`,
      bytes: params * F32,
      fix: layersFix,
    },
    {
      yamlPath: ["evaluate", "batchSize"],
      what: "evaluation activations",
      bytes: evaluate.batchSize * widths * F32 * ACTIVATION_COPIES,
      fix: "use a smaller evaluate.batchSize (it only bounds each pass)",
    },
    {
      yamlPath: ["evaluate", "iwK"],
      what: `importance weights (${Math.min(evaluate.iwExamples, testExamples)} examples × ` +
        `K = ${iwK})`,
      bytes: Math.min(evaluate.iwExamples, testExamples) * iwK * F64,
      fix: "use a smaller K or fewer evaluate.iwExamples",
    },
    {
      yamlPath: ["evaluate", "samplesPerClass"],
      what: "class-conditional samples",
      bytes: evaluate.samplesPerClass * c * d * F32 * 2,
      fix: "use fewer evaluate.samplesPerClass",
    },
    {
      yamlPath: ["evaluate", "priorSamples"],
      what: "prior samples",
      bytes: evaluate.priorSamples * d * F32 * 2,
      fix: "use fewer evaluate.priorSamples",
    },
    {
      yamlPath: ["evaluate", "gridSize"],
      what: "the latent traversal grid",
      bytes: evaluate.gridSize ** 2 * d * F32 * 2,
      fix: "use a smaller evaluate.gridSize",
    },
    {
      yamlPath: ["evaluate", "reconstructions"],
      what: "reconstructions",
      bytes: evaluate.reconstructions * d * F32 * 2,
      fix: "use fewer evaluate.reconstructions",
    },
    {
      // Posterior passes over every example: μ, log σ², prior μ, KL per dimension.
      yamlPath: ["model", "latentDim"],
      what: "posterior statistics of every example",
      bytes: shape.examples * model.latentDim * F32 * 4 + testExamples * c * F64,
      fix: "use a smaller latent space or fewer examples",
    },
  ];
  const classifierParams = denseParams([d, ...classifier.hidden, c]);
  const classifierStage: MemoryTerm[] = [
    {
      yamlPath: ["classifier", "hidden"],
      what: `the classifier's ${formatCount(classifierParams)} parameters with ` +
        `their gradients and Adam moments`,
      bytes: classifierParams * F32 * TRAINED_COPIES,
      fix: "use fewer or narrower classifier layers",
    },
    {
      yamlPath: ["classifier", "batchSize"],
      what: "classifier activations",
      bytes: classifier.batchSize * (d + sum(classifier.hidden) + c) * F32 * ACTIVATION_COPIES,
      fix: "use a smaller classifier.batchSize",
    },
  ];
  const stages = [trainStage, evaluateStage, classifierStage];
  const peak = stages.reduce((a, b) =>
    sum(b.map((t) => t.bytes)) > sum(a.map((t) => t.bytes)) ? b : a
  );
  const terms = [data, ...peak];
  const driver = terms.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { total: sum(terms.map((t) => t.bytes)), driver };
}

/** The one-line problem when the estimate exceeds the budget, or null when it fits. */
export function memoryProblem(
  config: ResolvedConfig,
  shape: DataShape,
  budget = memoryBudget(),
): { yamlPath: string[]; message: string } | null {
  const { total, driver } = estimateMemory(config, shape);
  if (total <= budget) return null;
  return {
    yamlPath: driver.yamlPath,
    message: `${driver.yamlPath.join(".")} makes the run need about ${formatSize(total)} ` +
      `(${driver.what}: ${formatSize(driver.bytes)}), over the ${formatSize(budget)} ` +
      `memory budget; ${driver.fix}`,
  };
}
