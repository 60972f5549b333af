/** Diagonal-Gaussian log-densities, in nats: the q(z|x) and p(z) terms of the IW and MI. */
import * as tf from "@tensorflow/tfjs-core";

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log N(z; mean, diag exp(logVar)) per row, [batch]: −½ Σ_j [log 2π + logVar_j +
 * (z_j − mean_j)² / exp(logVar_j)]. Without `mean` it is 0; without `logVar`, unit variance
 * (the prior N(0, I), or N(μ^Y, I) for cvae-prior).
 */
export function logNormal(
  z: tf.Tensor2D,
  mean?: tf.Tensor2D,
  logVar?: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const sq = tf.square(mean ? tf.sub(z, mean) : z);
    const scaled = logVar ? tf.mul(sq, tf.exp(tf.neg(logVar))) : sq;
    const perDim = logVar ? tf.add(scaled, logVar) : scaled;
    return tf.mul(-0.5, tf.add(tf.sum(perDim, 1), z.shape[1] * LOG_2PI));
  });
}

/**
 * The same density in float64 on plain arrays: log N(z[zAt…]; mean[at…], exp(logVar[at…]))
 * over `d` dimensions starting at the given offsets (rows of row-major matrices).
 */
export function logNormalAt(
  z: ArrayLike<number>,
  zAt: number,
  mean: ArrayLike<number>,
  logVar: ArrayLike<number>,
  at: number,
  d: number,
): number {
  let sum = d * LOG_2PI;
  for (let j = 0; j < d; j++) {
    const diff = z[zAt + j] - mean[at + j];
    sum += logVar[at + j] + (diff * diff) / Math.exp(logVar[at + j]);
  }
  return -0.5 * sum;
}
