/**
 * The training stage: fit a model from the config to the prepared train split with Adam,
 * checkpointing after every epoch so an interrupted run resumes to the same final weights.
 * Every random draw (initial weights, shuffling, ε, dynamic binarization, the validation
 * split) comes from the seed, epoch by epoch, so a resumed epoch draws what it would have.
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import {
  type LossParams,
  lossSchema,
  type ModelParams,
  type TrainParams,
} from "./config_schema.ts";
import { NumericError, UserError } from "../pipeline/errors.ts";
import { trainingMemoryProblem } from "./limits.ts";
import { Rng } from "../lib/rng.ts";
import type { Progress } from "../pipeline/progress.ts";
import type { StageFn } from "../pipeline/stage.ts";
import { type Row, writeCsv } from "../lib/table.ts";
import type { Dataset } from "./data/dataset.ts";
import { readPrepared } from "./data/prepared.ts";
import { initBackend } from "./model/backend.ts";
import type { Compute } from "./model/compute.ts";
import { warmupWeight } from "./model/losses.ts";
import { LOGGED_TERMS } from "./model/loss_parts.ts";
import {
  createModel,
  encode,
  lossTerms,
  type Model,
  namedWeights,
  oneHot,
  sampleEps,
  trainStep,
} from "./model/networks.ts";
import { Adam } from "./training/adam.ts";
import { type Batch, classIndices, epochBatches } from "./training/batches.ts";
import { loadResumePoint, saveResumePoint, type TrainingState } from "./training/resume.ts";
import { savedEpochSync } from "./training/checkpoint_manifest.ts";
import { saveCheckpoint, saveLayers } from "./model/io.ts";
import type { TrainingSummary } from "./training/trained_model.ts";

export interface TrainStageParams {
  seed: number;
  /** The backend and, for blas, the library: results depend on them. */
  compute: Compute;
  model: ModelParams;
  loss: LossParams;
  train: TrainParams;
}

/**
 * The loss whose value is −ELBO, to score validation with whatever was trained: the
 * closed-form KL at β = 1 without free bits (the schema's defaults for the rest, unused by it).
 */
const ELBO_LOSS = lossSchema.parse({ regularizer: "kl", beta: 1, freeBits: 0 });

/** How the kept weights are chosen when validating: recorded with the weights. */
const SELECTION_RULE = "lowest validation −ELBO (recon + KL, β = 1, one seeded ε per example)";

export const train: StageFn<TrainStageParams> = async (ctx) => {
  const { seed, model: modelParams, loss, train: opts } = ctx.params;
  await initBackend(ctx.params.compute);
  const { train: data, card } = await readPrepared(ctx.inputs.prepare);
  const classIndex = classIndices(data.labels, card.classes);
  const { fit, validation } = splitValidation(data.labels.length, opts, seed);
  checkSplit(data.labels.length, fit.length, validation.length, opts.validationFraction);
  // The check at load guessed the image size of IDX and CSV data; now it is known.
  const shape = {
    inputDim: card.height * card.width,
    numClasses: card.classes.length,
    examples: 0,
  };
  const tooBig = trainingMemoryProblem(modelParams, opts, shape);
  if (tooBig) throw new UserError(`train: ${tooBig}`);
  const model = createModel(modelParams, shape.inputDim, shape.numClasses, seed);
  const weights = namedWeights(model);
  const adam = new Adam(weights, opts);
  // With best-validation selection, a copy of the best weights rides along in checkpoints.
  const best = opts.keep === "best-validation" ? weights.map(copyVariable) : undefined;
  const parts = { weights, optimizer: adam, best };
  const resumed = await loadResumePoint(ctx.workDir, parts, ctx.log);
  const state: TrainingState = resumed?.state ?? { completedEpochs: 0, history: [], best: null };
  // Where an interrupt would resume from, read from the checkpoint on disk at that very
  // moment: the CLI says so on Ctrl-C or SIGTERM.
  ctx.resumePoint?.(() => {
    const epoch = savedEpochSync(ctx.workDir);
    return epoch === null ? null : `after epoch ${epoch} of ${opts.epochs}`;
  });
  if (resumed) {
    ctx.log(
      `train: resuming after epoch ${state.completedEpochs} of ${opts.epochs} from ` +
        `${resumed.dir} (saved ${resumed.savedAt}; every file matches its sha256)`,
    );
  }

  const run: EpochRun = {
    model,
    adam,
    data,
    classIndex,
    fit,
    validation,
    params: ctx.params,
    dynamicBinarize: card.binarize === "dynamic",
    stepsPerEpoch: Math.ceil(fit.length / opts.batchSize),
    progress: ctx.progress("train", opts.epochs * Math.ceil(fit.length / opts.batchSize)),
  };
  const epochSeconds: number[] = [];
  const tensorsAtStart = tf.memory().numTensors;
  for (let epoch = state.completedEpochs; epoch < opts.epochs; epoch++) {
    const started = performance.now();
    const row = await fitEpoch(run, epoch);
    state.history.push(row);
    state.completedEpochs = epoch + 1;
    if (validation.length && improves(row, state)) {
      state.best = { epoch: epoch + 1, loss: row.val_neg_elbo as number };
      best?.forEach((b, i) => b.tensor.assign(weights[i].tensor));
    }
    await saveResumePoint(ctx.workDir, parts, state);
    epochSeconds.push((performance.now() - started) / 1000);
    ctx.log(epochLine(row, opts.epochs, epochSeconds.at(-1)!));
    const leaked = tf.memory().numTensors - tensorsAtStart;
    if (leaked !== 0) throw new Error(`train: ${leaked} tensors leaked in epoch ${epoch + 1}`);
    if (shouldStop(state, opts)) {
      ctx.log(
        `train: early stop after epoch ${epoch + 1}: no better validation for ${opts.patience}`,
      );
      break;
    }
  }
  run.progress.done();
  if (best) weights.forEach((w, i) => w.tensor.assign(best[i].tensor));

  // Raw weights for exact reloading by later stages; the tfjs layers format for other tools.
  await saveCheckpoint(model, ctx.outDir);
  await saveLayers(model, join(ctx.outDir, "model"));
  await writeCsv(join(ctx.outDir, "history.csv"), state.history);
  const summary: TrainingSummary = {
    model: modelParams,
    loss,
    inputDim: card.height * card.width,
    height: card.height,
    width: card.width,
    classes: card.classes,
    trainExamples: fit.length,
    validationExamples: validation.length,
    epochsRun: state.completedEpochs,
    keptEpoch: best ? state.best?.epoch ?? state.completedEpochs : state.completedEpochs,
    selection: best ? SELECTION_RULE : "weights after the last epoch",
  };
  await Deno.writeTextFile(join(ctx.outDir, "training.json"), JSON.stringify(summary, null, 2));
  ctx.record("selection", summary.selection);
  ctx.record("epochSeconds", epochSeconds);
  ctx.record("samplesPerSecond", (fit.length * epochSeconds.length) / sum(epochSeconds) || null);
  tf.dispose([...weights.map((w) => w.tensor), ...(best ?? []).map((b) => b.tensor)]);
  adam.dispose();
};

/** What every epoch of one training run shares. */
interface EpochRun {
  model: Model;
  adam: Adam;
  data: Dataset;
  classIndex: Int32Array;
  fit: number[];
  validation: number[];
  params: TrainStageParams;
  /** Resample binary pixels from the grey levels every epoch (data.binarize: dynamic). */
  dynamicBinarize: boolean;
  stepsPerEpoch: number;
  progress: Progress;
}

/**
 * Train one epoch and measure it: the history row. The epoch's random streams (order, ε,
 * binarization) are forked from the seed by the epoch number, so a resumed run draws the
 * same numbers as an uninterrupted one.
 */
async function fitEpoch(run: EpochRun, epoch: number): Promise<Row> {
  const { model, data, classIndex, params, stepsPerEpoch } = run;
  const { seed, loss, train: opts } = params;
  const rng = new Rng(seed).fork(`epoch-${epoch}`);
  const order = rng.fork("order").shuffle([...run.fit]);
  const binarizer = run.dynamicBinarize ? rng.fork("binarize") : undefined;
  const batches = epochBatches(data, classIndex, order, opts.batchSize, binarizer);
  const onStep = (step: number, mean: number) =>
    run.progress.tick(
      epoch * stepsPerEpoch + step,
      `epoch ${epoch + 1}/${opts.epochs}  loss ${fmt(mean)}`,
    );
  const means = await runEpoch(
    model,
    run.adam,
    batches,
    rng.fork("eps"),
    loss,
    epoch,
    stepsPerEpoch,
    onStep,
  );
  const row = {
    epoch: epoch + 1,
    ...means,
    reg_weight: warmupWeight(epoch + 1, loss.warmupEpochs),
    learning_rate: opts.learningRate,
    ...(run.validation.length
      ? validationTerms(model, data, classIndex, run.validation, seed)
      : {}),
    ...meanLogVarPerDim(model, data, classIndex, run.fit),
  };
  checkEpochRow(row);
  return row;
}

/**
 * Every number of an epoch's history row (the means, the validation −ELBO, the mean log σ²)
 * is finite, or the run stops: a NaN mean (an empty set, a term that overflowed only in the
 * sum) must never reach the history, the best-epoch choice or the published weights.
 */
export function checkEpochRow(row: Row): void {
  for (const [name, value] of Object.entries(row)) {
    if (typeof value !== "number" || Number.isFinite(value)) continue;
    throw new NumericError(
      `train: epoch ${row.epoch}: the epoch's ${name} is ${value}; lower ` +
        `train.learningRate, check the data for bad values, or check train.validationFraction`,
    );
  }
}

/**
 * How often the epoch loop lets the event loop run (ms of work): often enough that Ctrl-C or
 * SIGTERM is handled within a fraction of a second, rarely enough to cost ~1% (a yield takes
 * ~2 ms here: setTimeout's clock granularity).
 */
export const YIELD_EVERY_MS = 150;

/**
 * Let timers and signal listeners run: a turn of the event loop, not just a microtask.
 * (A MessageChannel round trip is cheaper but, once npm modules are loaded, does not let
 * timers run here.)
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * One pass over the batches: a step each, the terms read back once per step (which also
 * finishes the step) and checked, so a NaN stops training at the step it appears in.
 * Yields to the event loop every YIELD_EVERY_MS, so an interrupt need not wait for the
 * epoch to end. Returns batch-size-weighted means of each term: nats per example.
 */
async function runEpoch(
  model: Model,
  adam: Adam,
  batches: Iterable<Batch>,
  epsRng: Rng,
  loss: LossParams,
  epoch: number,
  stepsPerEpoch: number,
  onStep: (step: number, meanLoss: number) => void,
): Promise<Record<string, number>> {
  const totals = LOGGED_TERMS.map(() => 0);
  let seen = 0;
  let step = 0;
  let lastYield = performance.now();
  const classes = model.numClasses;
  for (const batch of batches) {
    const regWeight = warmupWeight(epoch + step / stepsPerEpoch, loss.warmupEpochs);
    const x = tf.tensor2d(batch.x, [batch.size, model.inputDim]);
    const y = oneHot(batch.classIndex, classes);
    const eps = model.logVar ? sampleEps(epsRng, batch.size, model.params.latentDim) : undefined;
    // trainStep's terms are kept past the optimizer's tidy, so they are disposed here.
    const t = trainStep(model, adam, x, y, eps, loss, regWeight);
    const values = tf.stack(LOGGED_TERMS.map(({ name }) => t[name]));
    const read = values.dataSync();
    tf.dispose([x, y, eps, values, ...Object.values(t)]);
    checkFinite(read, epoch, step);
    read.forEach((v, i) => totals[i] += v * batch.size);
    seen += batch.size;
    step++;
    onStep(step, totals[0] / seen);
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  // checkSplit makes this impossible; an epoch of no steps would log NaN means as if trained.
  if (step === 0 || seen === 0) {
    throw new Error(`train: epoch ${epoch + 1} had no training steps (no examples to fit)`);
  }
  return Object.fromEntries(LOGGED_TERMS.map(({ column }, i) => [column, totals[i] / seen]));
}

/** Stop at once on a NaN or Inf, naming the epoch, the step and the term that blew up. */
export function checkFinite(values: ArrayLike<number>, epoch: number, step: number): void {
  for (const [i, { column }] of LOGGED_TERMS.entries()) {
    if (Number.isFinite(values[i])) continue;
    const all = LOGGED_TERMS.map((term, j) => `${term.column}=${values[j]}`).join(", ");
    throw new NumericError(
      `train: epoch ${epoch + 1}, step ${step + 1}: the ${column} term is ${values[i]} ` +
        `(${all}); lower train.learningRate or check the data for bad values`,
    );
  }
}

/**
 * Both parts of the split are non-empty (the validation part when validating), or a one-line
 * UserError naming train.validationFraction, the counts and the fix: `0.999` would leave no
 * example to fit (every epoch NaN), `0.0001` none to validate (a "best validation" of nothing).
 */
export function checkSplit(n: number, fit: number, validation: number, fraction: number): void {
  if (fit > 0 && (fraction === 0 || validation > 0)) return;
  const split = `train.validationFraction: ${fraction} splits the ${n} training example` +
    `${n === 1 ? "" : "s"} into ${fit} to fit and ${validation} to validate`;
  if (n < 2) {
    throw new UserError(
      `${split}; there are too few to train${fraction > 0 ? " and validate" : ""}: ` +
        `use more data (data.limit.train, data.classes)${
          fraction > 0 ? " or set train.validationFraction: 0 and train.keep: last" : ""
        }`,
    );
  }
  // Math.round(n·f) is in 1..n−1 for f in [1/n, 1 − 1/n]: shown to 4 digits, rounded inward.
  const low = Number((1 / n).toPrecision(4));
  const high = Math.floor((1 - 1 / n) * 1e4) / 1e4;
  const range = `between ${low} and ${high}`;
  if (fit === 0) {
    throw new UserError(
      `${split}: nothing is left to train on; lower train.validationFraction (${range})`,
    );
  }
  throw new UserError(
    `${split}: the validation set is empty; raise train.validationFraction (${range}), ` +
      `or set it to 0 with train.keep: last`,
  );
}

/**
 * The held-out tail of a seeded shuffle of the train split, when validating; the rest is
 * fitted. Sorted, so each part's order does not depend on how the shuffle happened to fall.
 */
function splitValidation(n: number, opts: TrainParams, seed: number) {
  const order = new Rng(seed).fork("validation").shuffle(Array.from({ length: n }, (_, i) => i));
  const size = Math.round(n * opts.validationFraction);
  const byIndex = (a: number, b: number) => a - b;
  return { fit: order.slice(size).sort(byIndex), validation: order.slice(0, size).sort(byIndex) };
}

/** −ELBO on the validation rows (β = 1, one fixed-seed ε per example), and its parts. */
function validationTerms(
  model: Model,
  data: Dataset,
  classIndex: Int32Array,
  rows: number[],
  seed: number,
): Row {
  const epsRng = new Rng(seed).fork("validation-eps");
  let recon = 0;
  let kl = 0;
  for (const batch of epochBatches(data, classIndex, rows, 500)) {
    const values = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.size, model.inputDim]);
      const y = oneHot(batch.classIndex, model.numClasses);
      const eps = model.logVar ? sampleEps(epsRng, batch.size, model.params.latentDim) : undefined;
      const t = lossTerms(model, x, y, eps, ELBO_LOSS, 1);
      return tf.stack([t.recon, t.kl]);
    });
    const [r, k] = values.dataSync();
    values.dispose();
    recon += r * batch.size;
    kl += k * batch.size;
  }
  return {
    val_neg_elbo: (recon + kl) / rows.length,
    val_recon: recon / rows.length,
    val_kl: kl / rows.length,
  };
}

/**
 * Mean log σ² of each latent dimension over (up to) the first 1,000 fitted examples: the
 * trace that shows the variance collapsing to 0 without a regularizer (seed 000).
 */
function meanLogVarPerDim(
  model: Model,
  data: Dataset,
  classIndex: Int32Array,
  fit: number[],
): Row {
  if (!model.logVar) return {};
  const rows = fit.slice(0, 1000);
  const sums = new Float64Array(model.params.latentDim);
  for (const batch of epochBatches(data, classIndex, rows, 500)) {
    const mean = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.size, model.inputDim]);
      const y = oneHot(batch.classIndex, model.numClasses);
      return tf.sum(encode(model, x, y).logVar!, 0);
    });
    mean.dataSync().forEach((v, j) => sums[j] += v);
    mean.dispose();
  }
  return Object.fromEntries([...sums].map((s, j) => [`mean_log_var_${j}`, s / rows.length]));
}

function improves(row: Row, state: TrainingState): boolean {
  return state.best === null || (row.val_neg_elbo as number) < state.best.loss;
}

function shouldStop(state: TrainingState, opts: TrainParams): boolean {
  if (opts.patience === null || state.best === null) return false;
  return state.completedEpochs - state.best.epoch >= opts.patience;
}

function copyVariable({ name, tensor }: { name: string; tensor: tf.Variable }) {
  return { name, tensor: tf.variable(tensor, false) };
}

function epochLine(row: Row, epochs: number, seconds: number): string {
  const parts = [`train epoch ${row.epoch}/${epochs}`, `loss ${fmt(row.loss)}`];
  parts.push(`recon ${fmt(row.recon)}`, `kl ${fmt(row.kl)}`);
  if (row.val_neg_elbo !== undefined) parts.push(`val −elbo ${fmt(row.val_neg_elbo)}`);
  parts.push(`${seconds.toFixed(1)} s`);
  return parts.join("  ");
}

function fmt(value: unknown): string {
  return typeof value === "number" ? value.toFixed(2) : String(value);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
