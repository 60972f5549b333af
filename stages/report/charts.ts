/**
 * The report's Vega-Lite figures: for each, the rows (from the upstream tables), the spec,
 * and the stages its data came from. A figure whose data does not exist for this model
 * (the IW curve of an `ae`) is returned as skipped, with the reason, never drawn empty.
 */
import { formatCount } from "../../pipeline/units.ts";
import type { Row } from "../../lib/table.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import { PENALTY_PARTS } from "../model/loss_parts.ts";
import { metric } from "../evaluation/metrics.ts";
import type { ChartFigure, Skipped } from "../render/chart.ts";
import { notation } from "../render/notation.ts";
import { bool, num } from "../render/upstream.ts";
import type { ReportInputs } from "./inputs.ts";
import {
  CLASS_MEAN,
  EXAMPLE,
  iwRise,
  klPerDimension,
  latentScatter,
  logVarOverEpochs,
  trainingCurves,
} from "./specs.ts";

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

/** The penalty's parts (loss_parts.ts): each a train line in the KL's panel. */
const PART_SERIES: Series[] = Object.values(PENALTY_PARTS).map((part) => ({
  metric: `${part.symbol} term`,
  split: "train",
  value: column(part.column),
}));

/**
 * In reading order: the bound, its parts, then the objective and the penalty, which are
 * merged into an earlier series when they equal it in every epoch (β = 1: loss = −ELBO and
 * regularizer = KL), so no panel repeats another.
 */
const SERIES: Series[] = [
  { metric: "−ELBO", split: "train", value: sum("recon", "kl") },
  { metric: "−ELBO", split: "validation", value: column("val_neg_elbo") },
  { metric: "reconstruction", split: "train", value: column("recon") },
  { metric: "reconstruction", split: "validation", value: column("val_recon") },
  { metric: "KL", split: "train", value: column("kl") },
  { metric: "KL", split: "validation", value: column("val_kl") },
  ...PART_SERIES,
  { metric: "loss (objective)", split: "train", value: column("loss") },
  { metric: "regularizer", split: "train", value: column("reg") },
];

/** Panels in reading order, by the series they draw; a panel with none drawn is left out. */
const PANELS = [
  { title: "−ELBO", metrics: ["−ELBO"] },
  { title: "loss (objective)", metrics: ["loss (objective)"] },
  { title: "reconstruction", metrics: ["reconstruction"] },
  {
    title: `KL and its ${Object.values(PENALTY_PARTS).map((p) => p.symbol).join(", ")} terms`,
    metrics: ["KL", ...PART_SERIES.map((s) => s.metric)],
  },
  { title: "regularizer", metrics: ["regularizer"] },
];

/** Equal up to float32 rounding of the summed terms. */
const same = (a: number | null, b: number | null) =>
  a !== null && b !== null && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The series to draw, each under its display name: zero-throughout terms dropped (the KL of
 * an `ae`), and a train series equal in every epoch to one already drawn merged into it as
 * `−ELBO = loss (objective)`. Without a KL, recon + KL is not an ELBO.
 */
function drawnSeries(history: Row[], kind: string): (Series & { name: string })[] {
  const drawn: (Series & { name: string })[] = [];
  const hasElbo = capabilitiesOf(kind).stochastic;
  for (const s of SERIES) {
    const values = history.map(s.value);
    if (values.every((v) => (v ?? 0) === 0) || (s.metric === "−ELBO" && !hasElbo)) continue;
    const twin = s.split === "train" &&
      drawn.find((d) =>
        d.split === "train" && history.every((row, i) => same(d.value(row), values[i]))
      );
    if (twin) {
      for (const d of drawn.filter((d) => d.metric === twin.metric)) d.name += ` = ${s.metric}`;
    } else drawn.push({ ...s, name: s.metric });
  }
  return drawn;
}

/**
 * A y range from epoch 2 on, when epoch 1 lies outside it: the first epoch's loss is often
 * far above the rest and would flatten every later change into a line. A log scale would not
 * help (265 → 170 nats is a factor of 1.6), so epoch 1 is clipped at the panel's edge instead,
 * the caption says so, and the CSV keeps its value.
 */
function laterEpochsDomain(rows: { epoch: number; value: number }[]): [number, number] | null {
  const later = rows.filter((r) => r.epoch >= 2).map((r) => r.value);
  const first = rows.filter((r) => r.epoch < 2).map((r) => r.value);
  if (later.length < 2 || first.length === 0) return null;
  const [low, high] = [Math.min(...later), Math.max(...later)];
  if (first.every((v) => v >= low && v <= high)) return null;
  // Every series of the panel has a point inside (resvg aborts on a line wholly clipped away).
  const pad = 0.05 * (high - low || Math.abs(high) || 1);
  return [low - pad, high + pad];
}

export function trainingCurvesFigure({ history, training }: ReportInputs): ChartFigure | Skipped {
  const title = "Training curves";
  const drawn = drawnSeries(history, training.model.kind);
  const rows = drawn.flatMap((s) =>
    history.flatMap((row) => {
      const [epoch, value] = [num(row, "epoch"), s.value(row)];
      return value === null || epoch === null
        ? []
        : [{ epoch, metric: s.name, value, split: s.split }];
    })
  );
  if (rows.length === 0) {
    return { id: "training_curves", title, skipped: "history.csv has no rows" };
  }
  const names = (
    metric: string,
  ) => [...new Set(drawn.filter((s) => s.metric === metric).map((s) => s.name))];
  const clipped: string[] = [];
  const panels = PANELS.flatMap(({ title, metrics }) => {
    const shown = metrics.flatMap(names);
    if (shown.length === 0) return [];
    const panelTitle = shown.length === 1 ? shown[0] : title;
    const domain = laterEpochsDomain(rows.filter((r) => shown.includes(r.metric)));
    if (domain) clipped.push(panelTitle);
    return [{ title: panelTitle, metrics: shown, ...(domain ? { domain } : {}) }];
  });
  const splits = [...new Set(rows.map((r) => r.split))];
  return {
    id: "training_curves",
    title,
    description: curvesCaption(drawn, splits, clipped),
    spec: trainingCurves(panels, splits),
    rows,
    stages: ["train"],
  };
}

function curvesCaption(drawn: { name: string }[], splits: string[], clipped: string[]): string {
  const merged = [...new Set(drawn.map((s) => s.name).filter((n) => n.includes(" = ")))];
  return [
    splits.includes("validation")
      ? "Per-epoch means over the training examples (solid) and over the held-out validation " +
        "split (dashed), in nats per example."
      : "Per-epoch means over the training examples, in nats per example. No validation " +
        "curve: training held out no validation split (train.validationFraction is 0).",
    "−ELBO is reconstruction + KL; loss is the optimized objective (reconstruction plus the " +
    "weighted regularizer); KL is the sum of its μ and σ terms.",
    ...(merged.length ? [`Terms equal in every epoch are drawn once: ${merged.join("; ")}.`] : []),
    "Terms that are zero in every epoch are not drawn.",
    ...(clipped.length
      ? [
        `Epoch 1 lies beyond the y range of ${clipped.join(", ")}: those scales are set by ` +
        "epochs 2 on, so later changes stay visible; the CSV holds every value.",
      ]
      : []),
  ].join(" ");
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
      return meanLogVar === null
        ? []
        : [{ epoch: num(row, "epoch"), dim, latent: `z${dim}`, meanLogVar }];
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
  // Named z0, z1, … as the latent dimensions table names them.
  const rows = klPerDim.map((row) => ({
    ...row,
    latent: `z${num(row, "dim")}`,
    kl: num(row, "kl"),
    active: bool(row, "active"),
    status: bool(row, "active") ? "active" : "inactive",
  }));
  const active = rows.filter((row) => row.active).length;
  const laws = notation(metrics);
  return {
    id,
    title,
    description: `The test-set KL each latent dimension carries, in nats per example. ` +
      `${active} of ${rows.length} dimensions are active (blue), as evaluate marks them ` +
      "from their activity (see the latent dimensions table); inactive ones are grey.",
    spec: klPerDimension(rows.map((row) => row.latent), laws.posterior, laws.prior),
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

export function latentFigure(
  { latents, klPerDim, classMeans }: ReportInputs,
): ChartFigure | Skipped {
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
  const point = (row: Row, kind: string) => ({
    [`z${x}`]: num(row, `z${x}`),
    [`z${y}`]: num(row, `z${y}`),
    label: row.label ?? null,
    point: kind,
  });
  // A CVAE with a learned prior mean per class: evaluate's class_means.csv, z0… per label.
  const means = (classMeans ?? []).filter((row) => num(row, `z${x}`) !== null);
  const rows = [
    ...latents.map((row) => point(row, EXAMPLE)),
    ...means.map((row) => point(row, CLASS_MEAN)),
  ];
  const which = latentDim === 2
    ? "both dimensions"
    : `dimensions z${x} and z${y} of ${latentDim}, the two with the largest activity`;
  return {
    id,
    title,
    description: `Posterior means of ${latents.length} test examples, coloured by class: ` +
      `${which}.` +
      (means.length
        ? " Diamonds: the learned prior's class means μ^y, labelled by class (class_means.csv)."
        : ""),
    spec: latentScatter(x, y, latentDim, means.length > 0),
    rows,
    stages: ["evaluate"],
  };
}

const signed = (value: number) => `${value < 0 ? "−" : "+"}${Math.abs(value).toFixed(2)}`;

export function iwFigure({ iw, metrics }: ReportInputs): ChartFigure | Skipped {
  const id = "iw_curve", title = "Importance-weighted bound";
  const elbo = metric(metrics.test, "iwExamplesElbo").value;
  const estimates = iw.flatMap((row) => {
    const [k, logLikelihood, stdError] = ["k", "log_likelihood", "std_error"].map((c) =>
      num(row, c)
    );
    return k === null || logLikelihood === null ? [] : [{ k, logLikelihood, stdError, row }];
  });
  if (estimates.length === 0 || elbo === null) {
    const reason = metric(metrics.test, "iw").reason ?? metric(metrics.test, "negElbo").reason;
    return {
      id,
      title,
      skipped: reason ??
        (estimates.length
          ? "metrics.json has no iwExamplesElbo to read the rise against"
          : "iw.csv has no estimates"),
    };
  }
  // A paired interval needs each example's L_K(x) − ELBO(x); evaluate may write its standard
  // error as rise_std_error. Without it, the difference of the means is drawn alone.
  const interval = estimates.every(({ row }) => num(row, "rise_std_error") !== null);
  const rows = estimates.map(({ k, logLikelihood, stdError, row }) => {
    const rise = logLikelihood - elbo;
    const se = num(row, "rise_std_error");
    return {
      k,
      logLikelihood,
      stdError,
      elbo,
      rise,
      riseText: signed(rise),
      ...(interval ? { riseStdError: se, riseLower: rise - se!, riseUpper: rise + se! } : {}),
    };
  });
  // What metrics.json says the bound bounds: log p(x), or log p(x | y) for a CVAE.
  const given = notation(metrics).evidence.match(/^log p\((.*)\)$/)?.[1] ?? "x";
  const last = rows.at(-1)!;
  const n = metric(metrics.test, "iwExamples").value;
  const examples = n === null
    ? "the same test examples"
    : `the same ${formatCount(n)} test examples`;
  return {
    id,
    title,
    description: `The importance-weighted bound log p̂_K(${given}) (Burda et al. 2015) minus ` +
      `the ELBO(${given}) of ${examples}, against the number of importance samples K, in ` +
      `nats per example. log p̂_K(${given}) is a lower bound on log p(${given})` +
      (given === "x | y" ? " (the CVAE scored with the true label y)" : "") +
      ` that tightens as K grows; K = 1 is the ELBO in expectation. At K = ${
        formatCount(last.k)
      }: ` +
      `log p̂_K(${given}) = ${minus(last.logLikelihood)}` +
      (last.stdError === null ? "" : ` ± ${last.stdError.toFixed(2)}`) +
      `, ELBO ${minus(elbo)}, rise ${last.riseText} nats. ` +
      (interval
        ? "Bars: ±1 standard error of the rise, paired per example."
        : "That ± is the spread between examples, which cancels in the difference; " +
          "evaluate records no per-example values, so the paired interval of the rise " +
          "is not drawn."),
    spec: iwRise(rows.map((r) => r.k), given, interval),
    rows,
    stages: ["evaluate"],
  };
}

/** Two decimals with a true minus sign, as the figures print numbers. */
const minus = (value: number) => value.toFixed(2).replace("-", "−");

/** 1000 → "1,000", as the axis prints K. */

/** Every chart, in the order the report shows them. */
export function chartFigures(inputs: ReportInputs): (ChartFigure | Skipped)[] {
  return [trainingCurvesFigure, logVarFigure, klFigure, latentFigure, iwFigure].map((f) =>
    f(inputs)
  );
}
