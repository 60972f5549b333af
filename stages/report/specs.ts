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
    // Three small panels a row: up to seven terms fit a page width without scrolling.
    width: 250,
    height: 160,
    mark: { type: "line", point: true },
    encoding: {
      facet: {
        field: "metric",
        type: "nominal",
        sort: metrics,
        columns: 3,
        title: null,
        header: { labelFontSize: 12, labelFontWeight: "bold" },
      },
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

/**
 * Rows `{z<x>, z<y>, label}`: two latent means of test examples, by class. The subtitle
 * names the dimensions shown, since with more than two the choice is the report's.
 */
export function latentScatter(x = 0, y = 1, latentDim = 2): ChartSpec {
  return {
    title: {
      text: "Latent space (posterior means, test set)",
      subtitle: `dimensions z${x} and z${y} of ${latentDim}`,
    },
    width: 360,
    height: 360,
    mark: { type: "point", filled: true, size: 12, opacity: 0.6 },
    encoding: {
      x: { field: `z${x}`, type: "quantitative", title: `z${x} (posterior mean)` },
      y: { field: `z${y}`, type: "quantitative", title: `z${y} (posterior mean)` },
      color: { field: "label", type: "nominal", title: "class" },
    },
  };
}

/**
 * Rows `{k, logLikelihood, lower, upper}`: the importance-weighted bound tightens as k
 * grows; the rule spans ±1 standard error of the estimate (rows with null bounds get none).
 */
export function iwCurve(): ChartSpec {
  const y = { type: "quantitative", title: `log p(x) (${NATS})`, scale: { zero: false } } as const;
  return {
    title: "Importance-weighted log-likelihood estimate",
    ...SIZE,
    encoding: {
      x: {
        field: "k",
        type: "quantitative",
        title: "importance samples k (log scale)",
        scale: { type: "log", base: 2 },
        axis: { tickMinStep: 1 },
      },
    },
    layer: [
      { mark: "rule", encoding: { y: { field: "lower", ...y }, y2: { field: "upper" } } },
      { mark: { type: "line", point: true }, encoding: { y: { field: "logLikelihood", ...y } } },
    ],
  };
}
