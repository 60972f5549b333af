/**
 * What the latent dimensions carry over a split: KL and activity per dimension, the active
 * units, the aggregate posterior's moments, and every example's posterior mean.
 */
import type { Row } from "../../lib/table.ts";
import type { Pass } from "./posterior_pass.ts";
import { column, mean, variance } from "./stats.ts";

/** Burda et al.'s threshold on Var_x(μ_j) for a dimension to count as active. */
export const ACTIVITY_THRESHOLD = 0.01;

/**
 * What each latent dimension carries, over a split's examples.
 * - kl: E_x[KL_j], the dimension's share of the rate (nats per example);
 * - mean_mu_sq, mean_sigma_sq, mean_log_var: E_x of (μ_j − μp_j)², σ_j², log σ_j², so that
 *   kl = ½(mean_mu_sq + mean_sigma_sq − mean_log_var − 1) exactly (μp = μ^Y for cvae-prior);
 * - activity: Var_x(E_q[z_j]) = Var_x(μ_j), and active = activity > 0.01 (Burda et al. 2015,
 *   "Importance weighted autoencoders", §5.2): a dimension whose posterior mean ignores x is
 *   unused, whatever its KL.
 * Rows are sorted by kl, largest first (by activity for an ae, which has no KL), dim kept.
 */
export function klPerDimRows(pass: Pass): Row[] {
  const d = pass.latentDim;
  const rows = Array.from({ length: d }, (_, j): Row => {
    const mu = column(pass.mu, d, j);
    const priorMu = column(pass.priorMu, d, j);
    const activity = variance(mu);
    const logVar = pass.logVar && column(pass.logVar, d, j);
    return {
      dim: j,
      kl: pass.kl ? mean(column(pass.kl, d, j)) : null,
      mean_mu_sq: mean(mu.map((m, i) => (m - priorMu[i]) ** 2)),
      mean_sigma_sq: logVar ? mean(logVar.map(Math.exp)) : null,
      mean_log_var: logVar ? mean(logVar) : null,
      activity,
      active: activity > ACTIVITY_THRESHOLD,
    };
  });
  const key = pass.kl ? "kl" : "activity";
  return rows.sort((a, b) =>
    (b[key] as number) - (a[key] as number) || (a.dim as number) - (b.dim as number)
  );
}

export function activeUnits(rows: Row[]): number {
  return rows.filter((r) => r.active).length;
}

/**
 * The aggregate posterior q(z) = E_x q(z|x), by its first two moments per dimension: mean
 * E_x[μ_j] and variance E_x[σ_j²] + Var_x(μ_j) (the law of total variance; just Var_x(μ_j)
 * for an ae). A VAE whose q(z) is far from the prior samples badly from the prior.
 */
export function aggregatePosterior(pass: Pass): { mean: number[]; variance: number[] } {
  const d = pass.latentDim;
  const dims = Array.from({ length: d }, (_, j) => j);
  return {
    mean: dims.map((j) => mean(column(pass.mu, d, j))),
    variance: dims.map((j) => {
      const spread = variance(column(pass.mu, d, j));
      return pass.logVar ? spread + mean(column(pass.logVar, d, j).map(Math.exp)) : spread;
    }),
  };
}

/** latents.csv: every example's posterior mean z0…z{d−1} and its dataset label. */
export function latentRows(pass: Pass, labels: ArrayLike<number>): Row[] {
  const d = pass.latentDim;
  return Array.from({ length: pass.n }, (_, i) => {
    const row: Row = {};
    for (let j = 0; j < d; j++) row[`z${j}`] = pass.mu[i * d + j];
    row.label = labels[i];
    return row;
  });
}
