/**
 * Vega-Lite specs for the report, without data: renderFigure injects the rows and the
 * provenance. Each builder is pure and documents the row shape it expects. Likelihoods,
 * ELBO terms and KL are in nats per example, and the axis titles say so.
 */
import type { ChartSpec } from "./figure.ts";

const NATS = "nats per example";
// Vega lays out without a font (it guesses 0.8 em per character, wider than DejaVu), so
// y-axis titles are kept under ~27 characters to fit the 240 px height without slack.
const SIZE = { width: 360, height: 240 };

/**
 * Rows `{epoch, metric, value, split}` (long format): one panel per metric, in the given
 * order, with its own y scale (ELBO and KL differ by orders of magnitude); one line per
 * split. Rows of other metrics are filtered out.
 */
export function trainingCurves(metrics: string[]): ChartSpec {
  return {
    title: "Training curves",
    transform: [{ filter: { field: "metric", oneOf: metrics } }],
    ...SIZE,
    mark: { type: "line", point: true },
    encoding: {
      facet: { field: "metric", type: "nominal", sort: metrics, columns: 2, title: null },
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: NATS, scale: { zero: false } },
      color: { field: "split", type: "nominal", title: "split" },
    },
    resolve: { scale: { y: "independent" } },
  };
}

/** Rows `{dim, kl, active}`: the KL each latent dimension carries; inactive ones greyed. */
export function klPerDimension(): ChartSpec {
  return {
    title: "KL(q(z_d|x) ‖ p(z_d)) per latent dimension",
    ...SIZE,
    mark: "bar",
    encoding: {
      x: { field: "dim", type: "ordinal", title: "latent dimension" },
      y: { field: "kl", type: "quantitative", title: `KL (${NATS})` },
      color: {
        field: "active",
        type: "nominal",
        title: "active",
        scale: { domain: [true, false], range: ["#4c78a8", "#bab0ac"] },
      },
    },
  };
}

/**
 * Rows `{epoch, dim, meanLogVar}`, the encoder's log σ² averaged over examples: collapsed
 * dimensions sit at log σ² ≈ 0 (the prior's σ = 1). Log-variance has no unit.
 */
export function logVarOverEpochs(): ChartSpec {
  return {
    title: "Posterior log-variance per latent dimension",
    ...SIZE,
    mark: "line",
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: {
        field: "meanLogVar",
        type: "quantitative",
        title: "mean log σ² (unitless)",
      },
      // Ordinal with a sequential scheme: works for any number of dimensions.
      color: { field: "dim", type: "ordinal", title: "dimension", scale: { scheme: "viridis" } },
    },
  };
}

/** Rows `{z1, z2, label}`: the first two latent means of test examples, by class. */
export function latentScatter(): ChartSpec {
  return {
    title: "Latent space (posterior means)",
    width: 360,
    height: 360,
    mark: { type: "point", filled: true, size: 12, opacity: 0.6 },
    encoding: {
      x: { field: "z1", type: "quantitative", title: "z₁ (posterior mean)" },
      y: { field: "z2", type: "quantitative", title: "z₂ (posterior mean)" },
      color: { field: "label", type: "nominal", title: "class" },
    },
  };
}

/** Rows `{k, logLikelihood}`: the importance-weighted bound tightens as k grows. */
export function iwCurve(): ChartSpec {
  return {
    title: "Importance-weighted log-likelihood estimate",
    ...SIZE,
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "k",
        type: "quantitative",
        title: "importance samples k (log scale)",
        scale: { type: "log", base: 2 },
        axis: { tickMinStep: 1 },
      },
      y: {
        field: "logLikelihood",
        type: "quantitative",
        title: `log p(x) (${NATS})`,
        scale: { zero: false },
      },
    },
  };
}
