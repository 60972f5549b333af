/**
 * The mutual information I_q(x; z) between the examples and their latents, estimated as
 * He et al. 2019 do.
 */
import type { Rng } from "../../lib/rng.ts";
import { stratifiedSubset } from "../data/split.ts";
import type { Pass } from "./posterior_pass.ts";
import { logNormalAt } from "./gaussian.ts";
import { logMeanExp } from "./log_sum_exp.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * I_q(x; z) under q(x, z) = p_data(x) q(z|x) over N examples, as He et al. 2019 ("Lagging
 * inference networks and posterior collapse", `calc_mi`) estimate it:
 *   I = E_x[E_q(z|x) log q(z|x)] − E_x E_q(z|x)[log q(z)],
 * the first term in closed form (−½ d log 2π − ½ Σ_j (1 + log σ_j²)), the second with one
 * z_i ~ q(z|x_i) per example and q(z_i) = (1/N) Σ_j q(z_i|x_j), the aggregate posterior of
 * the same N examples. Since q(z_i) ≥ q(z_i|x_i)/N, the estimate cannot exceed log N by more
 * than noise: a model that tells all N examples apart saturates it.
 * mu and logVar are row-major [N, d]; ε comes from `rng`, d draws per example in order.
 */
export function mutualInformation(
  mu: Float32Array,
  logVar: Float32Array,
  d: number,
  rng: Rng,
): { mutualInformation: number; logN: number } {
  const n = mu.length / d;
  const z = Float64Array.from(mu, (m, i) => m + Math.exp(0.5 * logVar[i]) * rng.normal());
  let negEntropy = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += 1 + logVar[i * d + j];
    negEntropy += -0.5 * d * LOG_2PI - 0.5 * sum;
  }
  const densities = new Float64Array(n);
  let logQz = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) densities[j] = logNormalAt(z, i * d, mu, logVar, j * d, d);
    logQz += logMeanExp(densities);
  }
  return { mutualInformation: (negEntropy - logQz) / n, logN: Math.log(n) };
}

/** The estimate over `count` seeded, stratified examples of a pass (labels stratify). */
export function passMutualInformation(
  pass: Pass,
  labels: Uint8Array,
  count: number,
  rng: Rng,
): { mutualInformation: number; logN: number; examples: number } {
  const rows = stratifiedSubset(labels, count, rng.fork("mi-examples"));
  const d = pass.latentDim;
  const pick = (a: Float32Array) =>
    Float32Array.from({ length: rows.length * d }, (_, i) => a[rows[(i / d) | 0] * d + (i % d)]);
  const result = mutualInformation(pick(pass.mu), pick(pass.logVar!), d, rng.fork("mi"));
  return { ...result, examples: rows.length };
}
