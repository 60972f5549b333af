/**
 * The importance-weighted bound (Burda et al. 2015): for z_1…z_K ~ q(z|x),
 *   L_K(x) = log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x) ≤ log p(x),
 * with E[L_1] = ELBO and E[L_K] rising with K towards log p(x). For a CVAE the prior and
 * decoder take the true label, so it bounds log p(x|y).
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Progress, silentProgress } from "../../pipeline/progress.ts";
import type { Rng } from "../../lib/rng.ts";
import {
  decode,
  type Model,
  oneHot,
  reconstructionNll,
  reparameterize,
  sampleEps,
} from "../model/networks.ts";
import { repeatRows } from "../model/repeat_rows.ts";
import { stratifiedSubset } from "../data/split.ts";
import { type Examples, subset } from "./examples.ts";
import { logNormal } from "./gaussian.ts";
import { logMeanExp } from "./log_sum_exp.ts";
import { posteriorPass } from "./posterior_pass.ts";
import { mean, standardError } from "./stats.ts";

/**
 * log w = log p(x|z) + log p(z) − log q(z|x) for kMax draws per example, [n·kMax] with
 * example i's draws at [i·kMax, (i + 1)·kMax). At most `batchSize` (example, draw) rows go
 * through the decoder at once, so memory stays bounded for any K: whole examples when kMax
 * fits, else one example's draws in slices. ε is drawn row by row in that order, so the
 * weights do not depend on the batch size. `progress` ticks once per decoder pass: with
 * K = 1000 this is most of an evaluation's time.
 */
export function importanceLogWeights(
  model: Model,
  ex: Examples,
  kMax: number,
  rng: Rng,
  batchSize: number,
  progress: (label: string, total: number) => Progress = silentProgress,
): Float64Array {
  if (!model.logVar) throw new Error("importanceLogWeights: an ae has no q(z|x) to sample");
  const d = model.params.latentDim;
  const post = posteriorPass(model, ex, undefined, batchSize);
  const group = Math.max(1, Math.floor(batchSize / kMax));
  const slice = Math.min(kMax, batchSize);
  const logW = new Float64Array(ex.n * kMax);
  const bar = progress("evaluate IW", Math.ceil(ex.n / group) * Math.ceil(kMax / slice));
  for (let first = 0; first < ex.n; first += group) {
    const g = Math.min(group, ex.n - first);
    for (let k0 = 0; k0 < kMax; k0 += slice) {
      const s = Math.min(slice, kMax - k0);
      const eps = sampleEps(rng, g * s, d);
      const values = tf.tidy(() => {
        // Each example's row, repeated for its s draws.
        const rows = (data: ArrayLike<number>, width: number) =>
          repeatRows(
            tf.tensor2d(
              Float32Array.from(
                { length: g * width },
                (_, i) => data[first * width + i],
              ),
              [g, width],
            ),
            s,
          );
        const [mu, logVar] = [rows(post.mu, d), rows(post.logVar!, d)];
        // Each image once: the likelihood reads it for each of its s decodings.
        const x = tf.tensor2d(ex.x.subarray(first * ex.inputDim, (first + g) * ex.inputDim), [
          g,
          ex.inputDim,
        ]);
        const y = repeatRows(oneHot(ex.classIndex.subarray(first, first + g), model.numClasses), s);
        const z = reparameterize(mu, logVar, eps);
        const logPxz = tf.neg(reconstructionNll(model, decode(model, z, y), x, s));
        const logPz = logNormal(z, model.classMeans ? rows(post.priorMu, d) : undefined);
        return tf.sub(tf.add(logPxz, logPz), logNormal(z, mu, logVar));
      });
      const read = values.dataSync();
      for (let e = 0; e < g; e++) {
        logW.set(read.subarray(e * s, (e + 1) * s), (first + e) * kMax + k0);
      }
      tf.dispose([eps, values]);
      bar.tick();
    }
  }
  bar.done();
  return logW;
}

export interface IwEstimate {
  k: number;
  /** Mean over examples of L_k(x), nats per example. */
  logLikelihood: number;
  /** Its standard error over examples. */
  stdError: number;
  /** Mean over examples of L_k(x) − ELBO(x): the bound's rise above the same examples' ELBO. */
  rise?: number;
  /**
   * The rise's standard error, paired per example: far smaller than the levels' errors, since
   * an example that is hard for one bound is hard for both.
   */
  riseStdError?: number;
}

/**
 * L_k for each k from the first k of each example's kMax draws (nested draws: the estimates
 * for different k share samples, so their differences are far less noisy than their levels).
 */
export function iwEstimates(
  logW: Float64Array,
  kMax: number,
  ks: number[],
  elbo?: Float64Array,
): IwEstimate[] {
  const n = logW.length / kMax;
  if (elbo && elbo.length !== n) throw new RangeError(`iwEstimates: ${elbo.length} ELBOs for ${n}`);
  return ks.map((k) => {
    if (k > kMax) throw new RangeError(`iwEstimates: k = ${k} exceeds the ${kMax} draws`);
    const perExample = Float64Array.from(
      { length: n },
      (_, i) => logMeanExp(logW, i * kMax, i * kMax + k),
    );
    const estimate = { k, logLikelihood: mean(perExample), stdError: standardError(perExample) };
    if (!elbo) return estimate;
    const rises = perExample.map((v, i) => v - elbo[i]);
    return { ...estimate, rise: mean(rises), riseStdError: standardError(rises) };
  });
}

/**
 * The IW bound for each K in `ks` on `count` seeded, stratified test examples, and the mean
 * ELBO of those same examples (from `negElbo`, the test pass's): the subset's level differs
 * from the whole split's, so the bound's tightening is read against this, paired per example.
 */
export function importanceWeighted(
  model: Model,
  test: Examples,
  negElbo: Float64Array,
  ks: number[],
  count: number,
  rng: Rng,
  batchSize: number,
  progress?: (label: string, total: number) => Progress,
): { examples: number; elbo: number; estimates: IwEstimate[] } {
  const rows = stratifiedSubset(test.labels, count, rng.fork("iw-examples"));
  const kMax = Math.max(...ks);
  const examples = subset(test, rows);
  const logW = importanceLogWeights(model, examples, kMax, rng.fork("iw"), batchSize, progress);
  const elbo = Float64Array.from(rows, (i) => -negElbo[i]);
  return {
    examples: rows.length,
    elbo: mean(elbo),
    estimates: iwEstimates(logW, kMax, [...new Set(ks)].sort((a, b) => a - b), elbo),
  };
}
