/**
 * Every loss term of the pipeline, in nats, as pure functions of tensors. Per-example terms
 * are summed over their dimensions and returned as [batch]; the regularizer is a batch-level
 * quantity (free bits floors a batch mean), so it comes back as scalars.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LossParams } from "../config_schema.ts";
import { bernoulliNllRows, canFuseBernoulliNll } from "./fused_bernoulli.ts";
import { canFuseGaussian, PENALTY_OUTPUTS, penaltyKernel } from "./fused_gaussian.ts";
import type { RegTermName } from "./loss_parts.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/** ½(μ − μp)², the mean half of the KL (Su, eq. 5), elementwise [batch, d]. */
function klMuPart(mu: tf.Tensor2D, priorMu?: tf.Tensor2D): tf.Tensor2D {
  const diff = priorMu ? tf.sub(mu, priorMu) : mu;
  return tf.mul(0.5, tf.square(diff));
}

/** ½(σ² − log σ² − 1), the variance half of the KL (Su, eq. 5), elementwise [batch, d]. */
function klSigmaPart(logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(0.5, tf.sub(tf.sub(tf.exp(logVar), logVar), 1));
}

/**
 * KL(N(μ, σ²) ‖ N(μp, 1)) per example and latent dimension, [batch, d]:
 * ½(μ − μp)² + ½(σ² − log σ² − 1) (Su, eq. 4; eq. 8 with a class prior mean μp).
 */
export function klPerDim(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  priorMu?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => tf.add(klMuPart(mu, priorMu), klSigmaPart(logVar)));
}

/** Σ over the dimensions (axis 1), then the mean over the batch: nats per example. */
function batchMeanOfSums(t: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sum(t, 1));
}

/**
 * The regularizer and its parts (named in loss_parts.ts), each a batch mean of per-example
 * sums, in nats. `reg` is what joins the loss (before any warm-up weight); `muTerm` and
 * `sigmaTerm` are the unweighted parts of the chosen penalty (the two KL halves for kl,
 * split-kl and none; Σ(μ − μp)² and Σ(log σ²)² for separate-l2); `kl` is always the true
 * closed-form KL. (A type, not an interface, so that tf.tidy accepts it as a TensorContainer.)
 */
export type RegTerms = Record<RegTermName, tf.Scalar>;

/**
 * The penalty LossParams.regularizer selects:
 * - kl: β·Σ_j max(λ, KL_j), KL_j the batch-mean KL of latent dimension j. The floor λ is
 *   "free bits" (Kingma et al. 2016, "Improved variational inference with inverse
 *   autoregressive flow"), with one group per latent dimension: a dimension whose average KL
 *   over the minibatch is under λ nats gets no gradient from the KL, so it is not pushed into
 *   collapse.
 *   With λ = 0 this is exactly β·KL, since every KL_j ≥ 0.
 * - split-kl: wMu·½Σ(μ − μp)² + wSigma·½Σ(σ² − log σ² − 1) (eq. 5; wMu = wSigma = 1 is the KL).
 * - separate-l2: wMu·Σ(μ − μp)² + wSigma·Σ(log σ²)² (eq. 3, the naive penalties).
 * - none: 0 (a plain autoencoder with noise).
 */
export function regularizer(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  priorMu: tf.Tensor2D | undefined,
  loss: LossParams,
): RegTerms {
  return tf.tidy(() => {
    if (canFuseGaussian()) {
      // The blas backend: one kernel for all of them (fused_gaussian.ts), the same definitions.
      const packed = tf.unstack(penaltyKernel(mu, logVar, priorMu, loss));
      return Object.fromEntries(PENALTY_OUTPUTS.map((name, i) => [name, packed[i]])) as RegTerms;
    }
    const muPart = klMuPart(mu, priorMu);
    const sigmaPart = klSigmaPart(logVar);
    const klDims = tf.add(muPart, sigmaPart);
    const kl = batchMeanOfSums(klDims);
    const [klMu, klSigma] = [batchMeanOfSums(muPart), batchMeanOfSums(sigmaPart)];
    const weighted = (muTerm: tf.Scalar, sigmaTerm: tf.Scalar): RegTerms => ({
      reg: tf.add<tf.Scalar>(tf.mul(loss.wMu, muTerm), tf.mul(loss.wSigma, sigmaTerm)),
      muTerm,
      sigmaTerm,
      kl,
    });
    switch (loss.regularizer) {
      case "kl": {
        const floored = tf.maximum(tf.mean(klDims, 0), loss.freeBits);
        return {
          reg: tf.mul<tf.Scalar>(loss.beta, tf.sum(floored)),
          muTerm: klMu,
          sigmaTerm: klSigma,
          kl,
        };
      }
      case "split-kl":
        return weighted(klMu, klSigma);
      case "separate-l2": {
        const diff = priorMu ? tf.sub(mu, priorMu) : mu;
        return weighted(batchMeanOfSums(tf.square(diff)), batchMeanOfSums(tf.square(logVar)));
      }
      case "none":
        return { reg: tf.scalar(0), muTerm: klMu, sigmaTerm: klSigma, kl };
    }
  });
}

/**
 * Σ_pixels [softplus(l) − x·l] with its gradient σ(l) − x written out. softplus(l) is taken as
 * max(l, 0) − log σ(|l|): σ(|l|) lies in [½, 1], so the log never meets 0 and the result is
 * finite for any logit (exact to ~1e-7 nats a pixel). Why not tf.softplus: on wasm it and its
 * autodiff chain run scalar code, several times slower than sigmoid and log.
 */
const bernoulliNllOp = tf.customGrad((...args) => {
  const save = args.pop() as tf.GradSaveFunc;
  const [logits, x] = args as tf.Tensor2D[];
  save([logits, x]);
  const softplus = tf.sub(tf.relu(logits), tf.log(tf.sigmoid(tf.abs(logits))));
  return {
    value: tf.sum(tf.sub(softplus, tf.mul(x, logits)), 1),
    gradFunc: (dy, saved) => {
      const [l, xs] = saved;
      const perRow = tf.expandDims(dy, 1); // ∂/∂(per-example sum) broadcast over pixels
      return [tf.mul(perRow, tf.sub(tf.sigmoid(l), xs)), tf.mul(perRow, tf.neg(l))];
    },
  };
});

/**
 * −log Bernoulli(x; sigmoid(l)) summed over pixels, [batch]: softplus(l) − x·l, which is
 * −[x log p + (1 − x) log(1 − p)] rewritten so it stays finite for any logit (x may be a
 * grey level in [0, 1]: then it is the usual continuous-target BCE, not a normalized density).
 */
export function bernoulliNll(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  // The blas backend does it in one SIMD pass (fused_bernoulli.ts); the maths is the same.
  if (canFuseBernoulliNll(logits)) return bernoulliNllRows(logits, x);
  return bernoulliNllOp(logits, x) as tf.Tensor1D;
}

/**
 * −log N(x; mean, exp(logVar)) summed over pixels, [batch]:
 * Σ ½[log 2π + logVar + (x − mean)² / exp(logVar)]. logVar broadcasts (a scalar for one shared
 * variance). A true log-density, so ELBOs of Gaussian decoders are in nats too.
 */
export function gaussianNll(
  mean: tf.Tensor2D,
  x: tf.Tensor2D,
  logVar: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const scaled = tf.mul(tf.squaredDifference(x, mean), tf.exp(tf.neg(logVar)));
    const perPixel = tf.mul(0.5, tf.add(tf.add(scaled, logVar), LOG_2PI));
    return tf.sum(perPixel, 1);
  });
}

/**
 * The regularizer's weight in epoch `epoch` (0-based): min(1, epoch / warmupEpochs), so
 * epoch 0 trains on the reconstruction alone, the weight rises by 1/warmupEpochs per epoch,
 * and from epoch `warmupEpochs` on it is 1. warmupEpochs = 0 means no warm-up (always 1).
 * A fractional epoch (epoch + step / stepsPerEpoch) gives a per-step ramp on the same line.
 */
export function warmupWeight(epoch: number, warmupEpochs: number): number {
  if (!(epoch >= 0)) throw new RangeError(`warmupWeight: epoch must be ≥ 0, got ${epoch}`);
  if (!(warmupEpochs >= 0)) {
    throw new RangeError(`warmupWeight: warmupEpochs must be ≥ 0, got ${warmupEpochs}`);
  }
  return warmupEpochs === 0 ? 1 : Math.min(1, epoch / warmupEpochs);
}
