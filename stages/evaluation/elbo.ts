/**
 * The rate–distortion view of the ELBO with β = 1, whatever the model was trained with:
 * −ELBO = distortion + rate, distortion = E_q[−log p(x|z)] (one seeded z per example),
 * rate = KL(q(z|x) ‖ p(z)) in closed form against the model's prior (N(μ^Y, I) for
 * cvae-prior). Means over examples, nats per example. An ae has no q(z|x) to sample or to
 * compare with a prior: its distortion is taken at z = μ and its ELBO terms are null.
 */
import type { Pass } from "./posterior_pass.ts";
import { mean, rowSums } from "./stats.ts";

/** The terms, means over examples in nats; negElbo and rate are null for an ae. */
export interface ElboTerms {
  negElbo: number | null;
  distortion: number;
  rate: number | null;
}

/** −ELBO of each example: −log p(x|z) at its sampled z plus its closed-form KL. */
export function negElboPerExample(pass: Pass): Float64Array {
  if (!pass.kl || !pass.nllSampled) {
    throw new Error("negElboPerExample: the pass has no sampled z (an ae, or no ε given)");
  }
  const kl = rowSums(pass.kl, pass.latentDim);
  return kl.map((k, i) => k + pass.nllSampled![i]);
}

export function elboTerms(pass: Pass): ElboTerms {
  if (!pass.kl || !pass.nllSampled) {
    return { negElbo: null, distortion: mean(pass.nllMean), rate: null };
  }
  const distortion = mean(pass.nllSampled);
  const rate = mean(rowSums(pass.kl, pass.latentDim));
  return { negElbo: distortion + rate, distortion, rate };
}

/** BCE and squared error per example at z = μ and at the sampled z (null without one). */
export function reconstructionErrors(pass: Pass) {
  const orNull = (values?: Float32Array) => (values ? mean(values) : null);
  return {
    bceMeanZ: mean(pass.bceMean),
    bceSampledZ: orNull(pass.bceSampled),
    mseMeanZ: mean(pass.mseMean),
    mseSampledZ: orNull(pass.mseSampled),
  };
}
