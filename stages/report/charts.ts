/**
 * The report's Vega-Lite figures: for each, the rows (from the upstream tables), the spec,
 * and the stages its data came from. A figure whose data does not exist for this model
 * (the IW curve of an `ae`) is returned as skipped, with the reason, never drawn empty.
 */
import type { Row } from "../../pipeline/table.ts";
import type { ChartSpec } from "./figure.ts";
import { bool, metric, num, type ReportInputs } from "./inputs.ts";
import {
  iwCurve,
  klPerDimension,
  latentScatter,
  logVarOverEpochs,
  trainingCurves,
} from "./specs.ts";

export interface ChartFigure {
  id: string;
  title: string;
  description: string;
  spec: ChartSpec;
  rows: Row[];
  /** The stages whose outputs the rows are (their upstream joins the provenance). */
  stages: string[];
}

export interface Skipped {
  id: string;
  title: string;
  skipped: string;
}

/** One line of a training-curve panel: a history column, or a value computed from a row. */
interface Series {
  metric: string;
  split: "train" | "validation";
  value: (row: Row) => number | null;
}

const column = (name: string) => (row: Row) => num(row, name);
const sum = (a: string, b: string) => (row: Row) => {
  const [x, y] = [num(row, a), num(row, b)];
  return x === null || y === null ? null : x + y;
};

/** Panels in reading order: the objective, the bound, then its parts and the penalties. */
const SERIES: Series[] = [
  { metric: "loss (objective)", split: "train", value: column("loss") },
  { metric: "−ELBO", split: "train", value: sum("recon", "kl") },
  { metric: "−ELBO", split: "validation", value: column("val_neg_elbo") },
  { metric: "reconstruction", split: "train", value: column("recon") },
  { metric: "reconstruction", split: "validation", value: column("val_recon") },
  { metric: "KL", split: "train", value: column("kl") },
  { metric: "KL", split: "validation", value: column("val_kl") },
  { metric: "μ term", split: "train", value: column("mu_term") },
  { metric: "σ term", split: "train", value: column("sigma_term") },
  { metric: "regularizer", split: "train", value: column("reg") },
];

export function trainingCurvesFigure({ history, training }: ReportInputs): ChartFigure | Skipped {
  const title = "Training curves";
  // A term that is zero every epoch (the KL of an `ae`) would only add a flat panel; and
  // without a KL, recon + KL is not an ELBO.
  const drawn = SERIES.filter((s) =>
    history.some((row) => (s.value(row) ?? 0) !== 0) &&
    (s.metric !== "−ELBO" || training.model.kind !== "ae")
  );
  const rows = drawn.flatMap((s) =>
    history.flatMap((row) => {
      const value = s.value(row);
      return value === null
        ? []
        : [{ epoch: num(row, "epoch"), metric: s.metric, value, split: s.split }];
    })
  );
  if (rows.length === 0) {
    return { id: "training_curves", title, skipped: "history.csv has no rows" };
  }
  const metrics = [...new Set(drawn.map((s) => s.metric))];
  return {
    id: "training_curves",
    title,
    description: "Per-epoch means over the training examples (and the validation split, when " +
      "one was held out), in nats per example. loss is the optimized objective (reconstruction " +
      "plus the weighted regularizer); −ELBO is reconstruction + KL. Terms that are zero in " +
      "every epoch are not drawn.",
    spec: trainingCurves(metrics),
    rows,
    stages: ["train"],
  };
}

export function logVarFigure({ history }: ReportInputs): ChartFigure | Skipped {
  const id = "log_var_over_epochs", title = "Posterior log-variance per latent dimension";
  const dims = Object.keys(history[0] ?? {}).flatMap((c) => {
    const dim = c.match(/^mean_log_var_(\d+)$/)?.[1];
    return dim === undefined ? [] : [Number(dim)];
  }).sort((a, b) => a - b);
  const rows = history.flatMap((row) =>
    dims.flatMap((dim) => {
      const meanLogVar = num(row, `mean_log_var_${dim}`);
      return meanLogVar === null ? [] : [{ epoch: num(row, "epoch"), dim, meanLogVar }];
    })
  );
  if (rows.length === 0) {
    return {
      id,
      title,
      skipped: "the encoder has no variance (no mean_log_var columns in history.csv)",
    };
  }
  return {
    id,
    title,
    description: "The encoder's log σ² averaged over the training examples after each epoch. " +
      "A dimension the model stops using sits at log σ² ≈ 0, the prior's σ = 1.",
    spec: logVarOverEpochs(),
    rows,
    stages: ["train"],
  };
}

export function klFigure({ klPerDim, metrics }: ReportInputs): ChartFigure | Skipped {
  const id = "kl_per_dimension", title = "KL per latent dimension";
  if (!klPerDim.some((row) => num(row, "kl") !== null)) {
    return {
      id,
      title,
      skipped: metric(metrics.test, "rate").reason ?? "kl_per_dim.csv has no KL values",
    };
  }
  const rows = klPerDim.map((row) => ({ ...row, kl: num(row, "kl"), active: bool(row, "active") }));
  const active = rows.filter((row) => row.active).length;
  return {
    id,
    title,
    description: `The test-set KL each latent dimension carries, in nats per example. ` +
      `${active} of ${rows.length} dimensions are active (coloured), as evaluate marks them ` +
      "from their activity (see the latent dimensions table).",
    spec: klPerDimension(),
    rows,
    stages: ["evaluate"],
  };
}

/**
 * The two dimensions to plot: the two the model uses most (largest activity), so that a
 * 20-dimensional latent space with collapsed dimensions still shows its structure.
 */
export function scatterDims(klPerDim: Row[], latentDim: number): [number, number] {
  const ranked = klPerDim
    .map((row) => ({ dim: num(row, "dim") ?? 0, activity: num(row, "activity") ?? -Infinity }))
    .filter(({ dim }) => dim < latentDim)
    .sort((a, b) => b.activity - a.activity || a.dim - b.dim);
  const [x, y] = ranked.length >= 2 ? [ranked[0].dim, ranked[1].dim] : [0, 1];
  return x < y ? [x, y] : [y, x];
}

export function latentFigure({ latents, klPerDim }: ReportInputs): ChartFigure | Skipped {
  const id = "latent_scatter", title = "Latent space";
  const latentDim = Object.keys(latents[0] ?? {}).filter((c) => /^z\d+$/.test(c)).length;
  if (latentDim < 2) {
    return {
      id,
      title,
      skipped: `a ${latentDim}-dimensional latent space has no scatter plot; see latents.csv`,
    };
  }
  const [x, y] = scatterDims(klPerDim, latentDim);
  const rows = latents.map((row) => ({
    [`z${x}`]: num(row, `z${x}`),
    [`z${y}`]: num(row, `z${y}`),
    label: row.label ?? null,
  }));
  const which = latentDim === 2
    ? "both dimensions"
    : `dimensions z${x} and z${y} of ${latentDim}, the two with the largest activity`;
  return {
    id,
    title,
    description: `Posterior means of ${rows.length} test examples, coloured by class: ${which}.`,
    spec: latentScatter(x, y, latentDim),
    rows,
    stages: ["evaluate"],
  };
}

export function iwFigure({ iw, metrics }: ReportInputs): ChartFigure | Skipped {
  const id = "iw_curve", title = "Importance-weighted log-likelihood";
  const rows = iw.flatMap((row) => {
    const [k, logLikelihood, stdError] = ["k", "log_likelihood", "std_error"].map((c) =>
      num(row, c)
    );
    if (k === null || logLikelihood === null) return [];
    const lower = stdError === null ? null : logLikelihood - stdError;
    const upper = stdError === null ? null : logLikelihood + stdError;
    return [{ k, logLikelihood, stdError, lower, upper }];
  });
  if (rows.length === 0) {
    const reason = metric(metrics.test, "iw").reason ?? metric(metrics.test, "negElbo").reason;
    return { id, title, skipped: reason ?? "iw.csv has no estimates" };
  }
  return {
    id,
    title,
    description: "The importance-weighted estimate of log p(x) on the test set against the " +
      "number of samples k, with ±1 standard error. It is a lower bound that tightens as k grows " +
      "(k = 1 is the ELBO).",
    spec: iwCurve(),
    rows,
    stages: ["evaluate"],
  };
}

/** Every chart, in the order the report shows them. */
export function chartFigures(inputs: ReportInputs): (ChartFigure | Skipped)[] {
  return [trainingCurvesFigure, logVarFigure, klFigure, latentFigure, iwFigure].map((f) =>
    f(inputs)
  );
}
