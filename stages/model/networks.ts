/**
 * The VAE family as plain data (tf.Variables) and pure functions over tensors, shared by the
 * train and evaluate stages. Shapes: x [batch, inputDim] in [0, 1], one-hot labels
 * [batch, numClasses], latents [batch, latentDim].
 *
 * - vae: q(z|x) = N(μ, σ²) from an MLP encoder, p(z) = N(0, I), decoder p(x|z).
 * - cvae-prior (Su, eq. 8): p(z|y) = N(μ^Y, I), μ^Y = onehot(y)·M, a learned table with no
 *   bias (a Dense layer on the one-hot label in Su's code). Neither net sees the label.
 * - cvae-concat: the one-hot label is concatenated to the encoder's and decoder's inputs.
 * - ae: the same nets without the log σ² head; z = μ, no noise, no regularizer.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LossParams, ModelParams } from "../config_schema.ts";
import { Rng } from "../../lib/rng.ts";
import { dense, denseActivated } from "./dense.ts";
import { bernoulliNllRows, canFuseBernoulliNll } from "./fused_bernoulli.ts";
import { canFuseGaussian, reparameterizeKernel } from "./fused_gaussian.ts";
import { capabilitiesOf } from "./kinds.ts";
import { repeatRows } from "./repeat_rows.ts";
import { bernoulliNll, gaussianNll, type RegTerms, regularizer } from "./losses.ts";
import { REG_TERMS } from "./loss_parts.ts";

/** One dense layer's parameters: kernel [in, out], bias [out]. */
export interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

export interface Model {
  readonly params: ModelParams;
  readonly inputDim: number;
  readonly numClasses: number;
  /** Encoder hidden layers, in order. */
  readonly encoder: DenseParams[];
  readonly mu: DenseParams;
  /** The log σ² head (no activation: log-variance is unconstrained); absent for ae. */
  readonly logVar?: DenseParams;
  /** Decoder hidden layers (the encoder's sizes reversed), then the output layer. */
  readonly decoder: DenseParams[];
  /** cvae-prior's class-mean table μ^Y, [numClasses, latentDim]. */
  readonly classMeans?: tf.Variable<tf.Rank.R2>;
  /** The Gaussian decoder's one shared log σ², when its variance is learned. */
  readonly decoderLogVar?: tf.Variable<tf.Rank.R0>;
}

/** Makes the initial value of the parameter called `name`. */
type Init = (name: string, shape: number[]) => tf.Tensor;

/** Every parameter under a stable name, in a fixed order: what is trained and saved. */
export function namedWeights(model: Model): { name: string; tensor: tf.Variable }[] {
  const layer = (name: string, l: DenseParams) => [
    { name: `${name}/kernel`, tensor: l.kernel as tf.Variable },
    { name: `${name}/bias`, tensor: l.bias as tf.Variable },
  ];
  return [
    ...model.encoder.flatMap((l, i) => layer(`encoder/hidden_${i}`, l)),
    ...layer("encoder/mu", model.mu),
    ...(model.logVar ? layer("encoder/log_var", model.logVar) : []),
    ...model.decoder.slice(0, -1).flatMap((l, i) => layer(`decoder/hidden_${i}`, l)),
    ...layer("decoder/output", model.decoder[model.decoder.length - 1]),
    ...(model.classMeans ? [{ name: "prior/class_means", tensor: model.classMeans }] : []),
    ...(model.decoderLogVar ? [{ name: "decoder/log_var", tensor: model.decoderLogVar }] : []),
  ] as { name: string; tensor: tf.Variable }[];
}

/** The variables an optimizer should train (pass them as its var list: never "all"). */
export function trainableVariables(model: Model): tf.Variable[] {
  return namedWeights(model).map((w) => w.tensor);
}

export function disposeModel(model: Model): void {
  tf.dispose(trainableVariables(model));
}

/** Extra input width the label adds to each net (when the label is an input). */
function labelWidth(params: ModelParams, numClasses: number): number {
  return capabilitiesOf(params.kind).labelInput ? numClasses : 0;
}

/** The model's structure, with every parameter's initial value taken from `init`. */
export function buildModel(
  params: ModelParams,
  inputDim: number,
  numClasses: number,
  init: Init,
): Model {
  const variable = <R extends tf.Rank>(name: string, shape: number[]) => {
    const value = init(name, shape);
    if (!tf.util.arraysEqual(value.shape, shape)) {
      throw new Error(`${name}: expected shape [${shape}], got [${value.shape}]`);
    }
    const v = tf.variable(value) as tf.Variable<R>;
    value.dispose(); // the variable holds its own reference to the data
    return v;
  };
  const layer = (name: string, fanIn: number, fanOut: number): DenseParams => ({
    kernel: variable(`${name}/kernel`, [fanIn, fanOut]),
    bias: variable(`${name}/bias`, [fanOut]),
  });
  /** Dense layers from sizes[0] through each later size: sizes[i] → sizes[i + 1]. */
  const stack = (prefix: string, sizes: number[]) =>
    sizes.slice(1).map((size, i) => layer(`${prefix}/hidden_${i}`, sizes[i], size));

  const { hidden, latentDim, kind, likelihood, gaussian } = params;
  const { stochastic, learnedPriorMean } = capabilitiesOf(kind);
  const extra = labelWidth(params, numClasses);
  const encoderSizes = [inputDim + extra, ...hidden];
  const decoderSizes = [latentDim + extra, ...[...hidden].reverse()];
  const top = encoderSizes[encoderSizes.length - 1];
  return {
    params,
    inputDim,
    numClasses,
    encoder: stack("encoder", encoderSizes),
    mu: layer("encoder/mu", top, latentDim),
    logVar: stochastic ? layer("encoder/log_var", top, latentDim) : undefined,
    decoder: [
      ...stack("decoder", decoderSizes),
      layer("decoder/output", decoderSizes[decoderSizes.length - 1], inputDim),
    ],
    classMeans: learnedPriorMean
      ? variable("prior/class_means", [numClasses, latentDim])
      : undefined,
    decoderLogVar: likelihood === "gaussian" && gaussian.variance === "learned"
      ? variable("decoder/log_var", [])
      : undefined,
  };
}

/** Glorot (Xavier) uniform: U(±√(6 / (fanIn + fanOut))), Keras's default for Dense kernels. */
function glorotUniform(rng: Rng, [fanIn, fanOut]: number[]): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = Float32Array.from(
    { length: fanIn * fanOut },
    () => (2 * rng.uniform() - 1) * limit,
  );
  return tf.tensor2d(values, [fanIn, fanOut]);
}

/**
 * A new model with seeded initial weights: Glorot-uniform kernels (and class-mean table),
 * zero biases, the decoder log σ² at log(sigma²). Each parameter draws from its own stream,
 * forked from the seed by the parameter's name, so adding a layer never shifts the others.
 */
export function createModel(
  params: ModelParams,
  inputDim: number,
  numClasses: number,
  seed: number,
): Model {
  const rng = new Rng(seed).fork("model-init");
  return buildModel(params, inputDim, numClasses, (name, shape) => {
    if (name.endsWith("/bias")) return tf.zeros(shape);
    if (name === "decoder/log_var") return tf.scalar(2 * Math.log(params.gaussian.sigma));
    return glorotUniform(rng.fork(name), shape);
  });
}

/**
 * The hidden stack: activation(x·W + b), layer after layer. `inputGrad` false when x is data,
 * so the first layer skips a gradient nothing needs (see dense).
 */
function mlp(
  layers: DenseParams[],
  x: tf.Tensor2D,
  params: ModelParams,
  inputGrad: boolean,
): tf.Tensor2D {
  return layers.reduce(
    (h, l, i) =>
      denseActivated(h, l.kernel, l.bias, params.activation, { inputGrad: inputGrad || i > 0 }),
    x,
  );
}

function requireLabels(model: Model, y: tf.Tensor2D | undefined, what: string): tf.Tensor2D {
  if (!y) throw new Error(`${what}: a ${model.params.kind} model needs one-hot labels`);
  return y;
}

/** x, with the one-hot label appended when the label is an input (cvae-concat). */
function withLabels(model: Model, x: tf.Tensor2D, y: tf.Tensor2D | undefined, what: string) {
  if (!capabilitiesOf(model.params.kind).labelInput) return x;
  return tf.concat([x, requireLabels(model, y, what)], 1);
}

/** One-hot float labels [n, numClasses] from integer labels. */
export function oneHot(labels: ArrayLike<number>, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => {
    const indices = tf.tensor1d(Array.from(labels), "int32");
    return tf.cast(tf.oneHot(indices, numClasses), "float32") as tf.Tensor2D;
  });
}

/** The posterior q(z|x): its mean and log-variance (no log-variance for ae). */
export type Posterior = { mu: tf.Tensor2D; logVar?: tf.Tensor2D };

export function encode(model: Model, x: tf.Tensor2D, yOneHot?: tf.Tensor2D): Posterior {
  return tf.tidy(() => {
    const h = mlp(model.encoder, withLabels(model, x, yOneHot, "encode"), model.params, false);
    // Without hidden layers the heads read the data directly: no input gradient either.
    const inputGrad = model.encoder.length > 0;
    const head = (l: DenseParams) => dense(h, l.kernel, l.bias, { inputGrad });
    return { mu: head(model.mu), logVar: model.logVar && head(model.logVar) };
  });
}

/** The prior mean of z: μ^Y = onehot(y)·M for cvae-prior, zeros [batch, latentDim] otherwise. */
export function priorMean(model: Model, yOneHot: tf.Tensor2D): tf.Tensor2D {
  if (!model.classMeans) return tf.zeros([yOneHot.shape[0], model.params.latentDim]);
  return dense(yOneHot, model.classMeans, undefined, { inputGrad: false });
}

/** z = μ + ε·σ, σ = exp(½ log σ²): the sample stays differentiable in μ and log σ². */
export function reparameterize(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  eps: tf.Tensor2D,
): tf.Tensor2D {
  if (canFuseGaussian()) return reparameterizeKernel(mu, logVar, eps);
  return tf.tidy(() => tf.add(mu, tf.mul(eps, tf.exp(tf.mul(0.5, logVar)))));
}

/**
 * The decoder's output: logits for a Bernoulli decoder, pixel means in (0, 1) (a sigmoid) for
 * a Gaussian one. Use decodeMean for pixel means of either.
 */
export function decode(model: Model, z: tf.Tensor2D, yOneHot?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const layers = model.decoder;
    const input = withLabels(model, z, yOneHot, "decode");
    const h = mlp(layers.slice(0, -1), input, model.params, true);
    const out = layers[layers.length - 1];
    const logits = dense(h, out.kernel, out.bias);
    return model.params.likelihood === "gaussian" ? tf.sigmoid(logits) : logits;
  });
}

/** E[x|z]: pixel means in (0, 1), whatever the likelihood (for images and samples). */
export function decodeMean(model: Model, z: tf.Tensor2D, yOneHot?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const out = decode(model, z, yOneHot);
    return model.params.likelihood === "bernoulli" ? tf.sigmoid(out) : out;
  });
}

/**
 * The Gaussian decoder's log σ² (a scalar): the learned variable itself (so gradients reach
 * it), or log(sigma²) when fixed. Use inside a tidy and never dispose it.
 */
function decoderLogVar(model: Model): tf.Scalar {
  return model.decoderLogVar ?? tf.scalar(2 * Math.log(model.params.gaussian.sigma));
}

/**
 * −log p(x|z) per example [batch], in nats, from decode's output. With `xRepeat` > 1, x holds
 * one image for each xRepeat rows of `decoded` (several decodings of one image, as the IW
 * bound makes): row r is scored against image ⌊r / xRepeat⌋.
 */
export function reconstructionNll(
  model: Model,
  decoded: tf.Tensor2D,
  x: tf.Tensor2D,
  xRepeat = 1,
): tf.Tensor1D {
  return tf.tidy(() => {
    if (model.params.likelihood === "bernoulli" && canFuseBernoulliNll(decoded)) {
      return bernoulliNllRows(decoded, x, xRepeat);
    }
    const images = repeatRows(x, xRepeat);
    return model.params.likelihood === "bernoulli"
      ? bernoulliNll(decoded, images)
      : gaussianNll(decoded, images, decoderLogVar(model));
  });
}

/** Everything one pass computes, per example, for the loss and for evaluation. */
export type Forward = Posterior & {
  /** μ^Y for cvae-prior; absent when the prior mean is 0. */
  priorMu?: tf.Tensor2D;
  z: tf.Tensor2D;
  /** decode's output (logits or Gaussian means). */
  decoded: tf.Tensor2D;
  /** −log p(x|z), [batch]. */
  recon: tf.Tensor1D;
};

/**
 * Encode, sample z = μ + ε·σ, decode. Without `eps` (and always for ae) z = μ: the
 * deterministic reconstruction. The caller draws ε, so the caller owns the seed.
 */
export function forward(
  model: Model,
  x: tf.Tensor2D,
  yOneHot: tf.Tensor2D | undefined,
  eps: tf.Tensor2D | undefined,
): Forward {
  return tf.tidy(() => {
    const { mu, logVar } = encode(model, x, yOneHot);
    const priorMu = model.classMeans && priorMean(model, requireLabels(model, yOneHot, "forward"));
    const z = eps && logVar ? reparameterize(mu, logVar, eps) : mu;
    const decoded = decode(model, z, yOneHot);
    return { mu, logVar, priorMu, z, decoded, recon: reconstructionNll(model, decoded, x) };
  });
}

/**
 * The training loss and its parts, each a scalar batch mean in nats per example:
 * loss = recon + reg, reg = regWeight · (the regularizer of `loss`), so `reg` is exactly what
 * entered the loss. kl is the true closed-form KL against the prior (μ^Y for cvae-prior),
 * logged whatever the regularizer; muTerm and sigmaTerm are described at RegTerms.
 * An ae has no posterior variance: its kl, penalty parts and reg are 0.
 */
export type LossTerms = RegTerms & { loss: tf.Scalar; recon: tf.Scalar };

export function lossTerms(
  model: Model,
  x: tf.Tensor2D,
  yOneHot: tf.Tensor2D | undefined,
  eps: tf.Tensor2D | undefined,
  loss: LossParams,
  regWeight: number,
): LossTerms {
  return tf.tidy(() => {
    const f = forward(model, x, yOneHot, eps);
    const recon = tf.mean(f.recon) as tf.Scalar;
    const terms = f.logVar ? regularizer(f.mu, f.logVar, f.priorMu, loss) : zeroTerms();
    const reg = tf.mul<tf.Scalar>(regWeight, terms.reg);
    return { ...terms, reg, recon, loss: tf.add<tf.Scalar>(recon, reg) };
  });
}

function zeroTerms(): RegTerms {
  return Object.fromEntries(REG_TERMS.map(({ name }) => [name, tf.scalar(0)])) as RegTerms;
}

/**
 * One optimizer step on lossTerms, over this model's variables only. Returns the terms of
 * the step (computed before the update); they are tf.keep'd so they outlive the optimizer's
 * internal tidy: dispose them (tf.dispose(terms)) once read. Nothing else is left behind.
 */
export function trainStep(
  model: Model,
  optimizer: tf.Optimizer,
  x: tf.Tensor2D,
  yOneHot: tf.Tensor2D | undefined,
  eps: tf.Tensor2D | undefined,
  loss: LossParams,
  regWeight: number,
): LossTerms {
  let terms: LossTerms | undefined;
  // returnCost = true: minimize hands back terms.loss instead of disposing it.
  optimizer.minimize(
    () => {
      terms = lossTerms(model, x, yOneHot, eps, loss, regWeight);
      Object.values(terms).forEach((t) => tf.keep(t));
      return terms.loss;
    },
    true,
    trainableVariables(model),
  );
  return terms as LossTerms;
}

/** ε ~ N(0, I), [batch, latentDim], drawn from the pipeline's seeded generator. */
export function sampleEps(rng: Rng, batch: number, latentDim: number): tf.Tensor2D {
  const values = Float32Array.from({ length: batch * latentDim }, () => rng.normal());
  return tf.tensor2d(values, [batch, latentDim]);
}
