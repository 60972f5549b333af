/**
 * The one pass of the model over a split that the evaluation's metrics are computed from:
 * posteriors, KL and reconstruction terms, kept per example.
 */
import * as tf from "@tensorflow/tfjs-core";
import { bernoulliReconRows, canFuseBernoulliNll } from "../model/fused_bernoulli.ts";
import type { Rng } from "../../lib/rng.ts";
import { klPerDim } from "../model/losses.ts";
import {
  decode,
  encode,
  type Model,
  oneHot,
  priorMean,
  reconstructionNll,
  reparameterize,
  sampleEps,
} from "../model/networks.ts";
import type { Examples } from "./examples.ts";

/**
 * One pass of the model over a split, kept per example (float32, row-major), so that every
 * metric after it is plain arithmetic on arrays. Reconstruction terms are in nats (nll, bce)
 * or squared error (mse), summed over pixels, at z = μ and at one sampled z = μ + σ·ε.
 */
export interface Pass {
  n: number;
  latentDim: number;
  /** Posterior means [n, d]. */
  mu: Float32Array;
  /** Posterior log-variances [n, d]; absent for ae. */
  logVar?: Float32Array;
  /** Prior means [n, d] (μ^Y of each example's class for cvae-prior, else zeros). */
  priorMu: Float32Array;
  /** KL(q(z|x) ‖ p(z)) per dimension [n, d], closed form (Su, eq. 4 / eq. 8); absent for ae. */
  kl?: Float32Array;
  /** −log p(x|z) under the model's likelihood, at z = μ and at the sampled z. */
  nllMean: Float32Array;
  nllSampled?: Float32Array;
  /** BCE of the pixel means against x (for a Bernoulli decoder, the same as nll). */
  bceMean: Float32Array;
  bceSampled?: Float32Array;
  /** Σ (x − pixel mean)². */
  mseMean: Float32Array;
  mseSampled?: Float32Array;
}

type PassKey = Exclude<keyof Pass, "n" | "latentDim">;

/**
 * Run the model over `ex` in batches of `batchSize`. ε comes from `epsRng`, d draws per
 * example in example order, so the numbers do not depend on the batch size. Without `epsRng`
 * (and always for ae) only the z = μ terms are computed.
 */
export function posteriorPass(
  model: Model,
  ex: Examples,
  epsRng: Rng | undefined,
  batchSize: number,
): Pass {
  const d = model.params.latentDim;
  const sampled = epsRng !== undefined && model.logVar !== undefined;
  const widths: Partial<Record<PassKey, number>> = {
    mu: d,
    priorMu: d,
    nllMean: 1,
    bceMean: 1,
    mseMean: 1,
    ...(model.logVar ? { logVar: d, kl: d } : {}),
    ...(sampled ? { nllSampled: 1, bceSampled: 1, mseSampled: 1 } : {}),
  };
  const out: Partial<Record<PassKey, Float32Array>> = {};
  for (const [key, width] of Object.entries(widths)) {
    out[key as PassKey] = new Float32Array(ex.n * width);
  }
  for (let start = 0; start < ex.n; start += batchSize) {
    const size = Math.min(batchSize, ex.n - start);
    const eps = sampled ? sampleEps(epsRng, size, d) : undefined;
    const batch = tf.tidy(() => passBatch(model, ex, start, size, eps));
    for (const [key, tensor] of Object.entries(batch)) {
      out[key as PassKey]!.set(tensor.dataSync(), start * widths[key as PassKey]!);
    }
    tf.dispose([eps, ...Object.values(batch)]);
  }
  return { n: ex.n, latentDim: d, ...out } as Pass;
}

function passBatch(
  model: Model,
  ex: Examples,
  start: number,
  size: number,
  eps: tf.Tensor2D | undefined,
): Record<string, tf.Tensor> {
  const rows = ex.x.subarray(start * ex.inputDim, (start + size) * ex.inputDim);
  const x = tf.tensor2d(rows, [size, ex.inputDim]);
  const y = oneHot(ex.classIndex.subarray(start, start + size), model.numClasses);
  const { mu, logVar } = encode(model, x, y);
  const priorMu = priorMean(model, y);
  const atMean = reconTerms(model, decode(model, mu, y), x);
  const out: Record<string, tf.Tensor> = {
    mu,
    priorMu,
    nllMean: atMean.nll,
    bceMean: atMean.bce,
    mseMean: atMean.mse,
  };
  if (logVar) {
    out.logVar = logVar;
    out.kl = klPerDim(mu, logVar, model.classMeans ? priorMu : undefined);
  }
  if (logVar && eps) {
    const atSample = reconTerms(model, decode(model, reparameterize(mu, logVar, eps), y), x);
    out.nllSampled = atSample.nll;
    out.bceSampled = atSample.bce;
    out.mseSampled = atSample.mse;
  }
  return out;
}

/** Pixel means are clipped this far from 0 and 1 before a BCE of a Gaussian decoder's means. */
const CLIP = 1e-6;

/** −log p(x|z), the BCE of the pixel means, and the squared error, each [batch]. */
export function reconTerms(model: Model, decoded: tf.Tensor2D, x: tf.Tensor2D) {
  return tf.tidy(() => {
    if (model.params.likelihood === "bernoulli" && canFuseBernoulliNll(decoded)) {
      // The blas backend: both in one pass over the logits (fused_bernoulli.ts).
      const [nll, mse] = bernoulliReconRows(decoded, x);
      return { nll, bce: nll, mse };
    }
    const nll = reconstructionNll(model, decoded, x);
    const bernoulli = model.params.likelihood === "bernoulli";
    const means = bernoulli ? tf.sigmoid(decoded) : decoded;
    // A Gaussian decoder has no logits: take the BCE of its (clipped) means directly.
    const bce = bernoulli ? nll : bceOfMeans(tf.clipByValue(means, CLIP, 1 - CLIP), x);
    const mse = tf.sum(tf.squaredDifference(x, means), 1) as tf.Tensor1D;
    return { nll, bce, mse };
  });
}

function bceOfMeans(p: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const terms = tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p))));
  return tf.neg(tf.sum(terms, 1));
}
