/**
 * The comparison's Vega-Lite figures: several runs on shared axes, one colour per config.
 * Each returns its rows, spec and the stage its data came from (per run), or the reason it
 * cannot be drawn (no run has a posterior to plot), never an empty chart.
 */
import type { Row } from "../../lib/table.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import { metric, METRIC_ROWS } from "../evaluation/metrics.ts";
import type { ChartFigure, Skipped } from "../render/chart.ts";
import { CATEGORICAL, type ChartSpec } from "../render/figure.ts";
import { notation } from "../render/notation.ts";
import { bool, num } from "../render/upstream.ts";
import type { ComparedRun } from "./comparison.ts";

/** A compared run with the tables its figures read. */
export interface ComparedRunData extends ComparedRun {
  /** train's history.csv. */
  history: Row[];
  /** evaluate's kl_per_dim.csv, sorted by KL, largest first. */
  klPerDim: Row[];
}

const NATS = "nats per example";
const SIZE = { width: 420, height: 260 };
/** Two panels side by side, with the legend, within a 980 px page. */
const PANEL = { width: 330, height: 240 };
/** Colour by config; a config's runs under several seeds share its colour. */
const byGroup = (runs: ComparedRun[], title = "config") =>
  ({
    field: "group",
    type: "nominal",
    title,
    sort: [...new Set(runs.map((r) => r.group))],
    scale: { range: CATEGORICAL },
  }) as const;
const EPOCH = {
  field: "epoch",
  type: "quantitative",
  title: "epoch",
  axis: { tickMinStep: 1 },
} as const;

export function comparisonCharts(runs: ComparedRunData[]): (ChartFigure | Skipped)[] {
  return [rateDistortion(runs), elboCurves(runs), logVarCurves(runs), klPerDimension(runs)];
}

/** 1–2–5 ticks: a symlog axis left to itself labels only the far end. */
const SYMLOG_TICKS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
const symlogTicks = (max: number) => SYMLOG_TICKS.filter((t) => t <= 1.2 * max);
/** Points along the equal-ELBO curve: enough that its bend on the symlog axis looks smooth. */
const CURVE_POINTS = 120;
const RUN = "run", CURVE = "equal −ELBO";

/**
 * A metric's label as the report writes it (metrics.ts METRIC_ROWS), when every run's
 * notation gives the same one; its head in the comparison's tables otherwise.
 */
function metricLabel(runs: ComparedRun[], key: "rate" | "distortion"): string {
  const row = METRIC_ROWS[key];
  const labels = new Set(runs.map((run) => row.label(notation(run.metrics))));
  return labels.size === 1 ? [...labels][0] : row.compared.head;
}

/** Each run's test rate against its distortion, one colour per group, with the equal-ELBO curve. */
export function rateDistortion(
  runs: ComparedRun[],
  /** What a group is, for the legend: a config (compare), a variant at a grid point (sweep). */
  groupTitle = "config",
): ChartFigure | Skipped {
  const id = "rate_distortion", title = "Rate and distortion";
  const points = runs.flatMap((run) => {
    const rate = metric(run.metrics.test, "rate").value;
    const distortion = metric(run.metrics.test, "distortion").value;
    return rate === null || distortion === null ? [] : [{
      series: RUN,
      config: run.config.name,
      group: run.group,
      rate,
      distortion,
      negElbo: rate + distortion,
    }];
  });
  if (points.length === 0) return { id, title, skipped: "no run has a rate (KL)" };
  // One label per config: its name beside its first run (seeds would pile up labels).
  const isFirst = (group: string, i: number) => points.findIndex((r) => r.group === group) === i;
  const best = points.reduce((a, b) => (b.negElbo < a.negElbo ? b : a));
  const curve = equalElboCurve(best, points);
  const maxRate = Math.max(...points.map((r) => r.rate));
  const position = {
    // Symlog: a collapsed run (rate ≈ 0) and one without a regularizer (hundreds of nats)
    // fit on one axis without squeezing the rest together.
    x: {
      field: "rate",
      type: "quantitative",
      title: `${metricLabel(runs, "rate")} (${NATS}, symlog)`,
      scale: { type: "symlog" },
      axis: { values: symlogTicks(maxRate) },
    },
    y: {
      field: "distortion",
      type: "quantitative",
      title: `${metricLabel(runs, "distortion")} (${NATS})`,
      scale: { zero: false },
    },
  } as const;
  const only = (series: string) => [{ filter: { field: "series", equal: series } }];
  const spec: ChartSpec = {
    title: "Rate and distortion on the test set",
    ...SIZE,
    layer: [
      {
        transform: only(CURVE),
        mark: { type: "line", strokeDash: [5, 4], color: "#777", strokeWidth: 1.5 },
        encoding: position,
      },
      {
        transform: only(RUN),
        mark: { type: "point", filled: true, size: 80, opacity: 0.9 },
        encoding: { ...position, color: byGroup(runs, groupTitle) },
      },
      {
        mark: { type: "text", align: "left", dx: 7, dy: -7, fontSize: 11 },
        encoding: { ...position, text: { field: "label", type: "nominal" } },
      },
    ],
  };
  return {
    id,
    title,
    description: "Each run's test distortion (the expected reconstruction −log-likelihood) " +
      "against its rate (the KL from its posterior to its prior), in nats per example; " +
      "−ELBO is their sum. The rate axis is symlog: linear below 1 nat, logarithmic above. " +
      `The dashed curve is every point whose −ELBO equals the best run's (${best.config}, ` +
      `${best.negElbo.toFixed(2)}): a line of slope −1 on linear axes, bent here by the ` +
      "symlog axis. A run's height above it is how much larger its −ELBO is. Runs without " +
      "a posterior (ae) have no rate and are not drawn.",
    spec,
    rows: [
      ...points.map((row, i) => ({ ...row, label: isFirst(row.group, i) ? row.group : "" })),
      ...curve,
    ],
    stages: ["evaluate"],
  };
}

/**
 * distortion = E − rate for the best run's −ELBO E, sampled evenly on the symlog axis
 * (x = expm1(t), vega's symlog with constant 1) and cut where it leaves the runs' range.
 */
function equalElboCurve(
  best: { config: string; group: string; negElbo: number },
  points: { rate: number; distortion: number }[],
) {
  const maxRate = Math.max(1, 1.2 * Math.max(...points.map((p) => p.rate)));
  const distortions = points.map((p) => p.distortion);
  const [low, high] = [Math.min(...distortions), Math.max(...distortions, best.negElbo)];
  // A little below the lowest run, as the axis pads it: below that the curve leaves the frame.
  const floor = low - 0.05 * (high - low || 1);
  const end = Math.log1p(maxRate);
  const rates = Array.from(
    { length: CURVE_POINTS + 1 },
    (_, i) => Math.expm1((end * i) / CURVE_POINTS),
  ).filter((rate) => best.negElbo - rate >= floor);
  return rates.map((rate, i) => ({
    series: CURVE,
    config: best.config,
    group: best.group,
    rate,
    distortion: best.negElbo - rate,
    negElbo: best.negElbo,
    // Named at its lower end, away from the runs' own labels.
    label: i === rates.length - 1 ? `−ELBO = ${best.negElbo.toFixed(2)} (${best.config})` : "",
  }));
}

/** Round values between lo and hi for a log axis: 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k. */
function logTicks(lo: number, hi: number): number[] {
  const steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
  const ticks = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const step of steps) ticks.push(Number((step * 10 ** p).toPrecision(2)));
  }
  return ticks.filter((t) => t >= lo && t <= hi);
}

/** A run is left out of the zoomed panel when its last −ELBO is this much above the best. */
const ZOOM_FACTOR = 1.25;

function elboCurves(runs: ComparedRunData[]): ChartFigure | Skipped {
  const id = "elbo_curves", title = "Training −ELBO";
  const perRun = runs.map((run) => ({
    run,
    rows: run.history.flatMap((row) => {
      const [recon, kl, epoch] = [num(row, "recon"), num(row, "kl"), num(row, "epoch")];
      return recon === null || kl === null || epoch === null ? [] : [{
        config: run.config.name,
        group: run.group,
        epoch,
        negElbo: recon + kl,
      }];
    }),
  })).filter((r) => r.rows.length > 0 && capabilitiesOf(r.run.config.model.kind).stochastic);
  if (perRun.length === 0) return { id, title, skipped: "no run has an ELBO (all are ae)" };
  const best = Math.min(...perRun.map((r) => r.rows.at(-1)!.negElbo));
  const kept = perRun.filter((r) => r.rows.at(-1)!.negElbo <= ZOOM_FACTOR * best);
  const left = perRun.filter((r) => !kept.includes(r)).map((r) => r.run.config.name);
  const lastEpoch = Math.max(...perRun.flatMap((r) => r.rows.map((row) => row.epoch)));
  // The first epochs fall steeply and would set the zoomed panel's scale again.
  const from = Math.min(lastEpoch, Math.max(2, Math.ceil(lastEpoch / 5)));
  const zoomTitle = `epochs ${from}–${lastEpoch}` +
    (left.length ? `, without ${left.join(", ")}` : "");
  const rows = perRun.flatMap((r) =>
    r.rows.map((row) => ({ ...row, zoom: kept.includes(r) && row.epoch >= from }))
  );
  const values = rows.map((r) => r.negElbo);
  const y = (scale: Record<string, unknown>) =>
    ({
      field: "negElbo",
      type: "quantitative",
      title: `−ELBO (${NATS})`,
      // A log scale has no zero to include or leave out; left to itself it ticks every 20.
      ...(scale.type === "log"
        ? { scale, axis: { values: logTicks(Math.min(...values), Math.max(...values)) } }
        : { scale: { zero: false, ...scale } }),
    }) as const;
  const panel = (subtitle: string, scale: Record<string, unknown>) =>
    ({
      ...PANEL,
      title: { text: subtitle, fontSize: 12, anchor: "start" },
      mark: "line",
      encoding: {
        x: EPOCH,
        y: y(scale),
        color: byGroup(runs),
        detail: { field: "config", type: "nominal" },
      },
    }) as const;
  const spec: ChartSpec = {
    title: "−ELBO (β = 1) per epoch, training split",
    hconcat: [
      // nice: false, or the log axis stretches to the next powers of 10 (100–1,000).
      panel("all runs, log scale", { type: "log", nice: false }),
      { ...panel(`zoom: ${zoomTitle}`, {}), transform: [{ filter: "datum.zoom" }] },
    ],
  };
  return {
    id,
    title,
    description: "Reconstruction + KL averaged over each epoch's training batches, whatever " +
      "objective the run optimized: the bound every variant is judged by, as it trained. " +
      "Left, every run on a log scale; right, on a linear scale, " +
      (left.length
        ? `the runs whose last −ELBO is within ${Math.round(100 * (ZOOM_FACTOR - 1))}% of ` +
          `the best (not ${left.join(", ")}) `
        : "every run ") +
      `from epoch ${from}, where they separate.`,
    spec,
    rows,
    stages: ["train"],
  };
}

function logVarCurves(runs: ComparedRunData[]): ChartFigure | Skipped {
  const id = "log_var_curves", title = "Posterior log-variance";
  const rows = runs.flatMap((run) =>
    run.history.flatMap((row) => {
      const values = Object.keys(row).filter((c) => /^mean_log_var_\d+$/.test(c))
        .map((c) => num(row, c)).filter((v): v is number => v !== null);
      if (values.length === 0) return [];
      const meanLogVar = values.reduce((a, b) => a + b, 0) / values.length;
      return [{ config: run.config.name, group: run.group, epoch: num(row, "epoch"), meanLogVar }];
    })
  );
  if (rows.length === 0) return { id, title, skipped: "no run has an encoder variance" };
  return {
    id,
    title,
    description: "The encoder's log σ² averaged over training examples and latent dimensions " +
      "after each epoch. Without a regularizer it falls without bound (seed 000: the noise is " +
      "switched off and the VAE becomes an autoencoder); 0 is the prior's σ = 1.",
    // Zero stays on the axis: it is the prior's log σ², the level a variance returns to.
    spec: perEpoch(
      runs,
      "Posterior log σ², mean over latent dimensions",
      "meanLogVar",
      "mean log σ² (unitless)",
      true,
    ),
    rows,
    stages: ["train"],
  };
}

/** Rows `{config, epoch, <field>}`: one line per run over the epochs. */
function perEpoch(
  runs: ComparedRunData[],
  title: string,
  field: string,
  yTitle: string,
  zero = false,
): ChartSpec {
  return {
    title,
    ...SIZE,
    mark: "line",
    encoding: {
      x: EPOCH,
      y: { field, type: "quantitative", title: yTitle, scale: { zero } },
      color: byGroup(runs),
      detail: { field: "config", type: "nominal" },
    },
  };
}

function klPerDimension(runs: ComparedRunData[]): ChartFigure | Skipped {
  const id = "kl_per_dimension", title = "KL per latent dimension";
  const rows = runs.flatMap((run) =>
    run.klPerDim.flatMap((row, i) => {
      const kl = num(row, "kl");
      return kl === null ? [] : [{
        config: run.config.name,
        group: run.group,
        rank: i + 1,
        dim: num(row, "dim"),
        kl,
        active: bool(row, "active"),
      }];
    })
  );
  if (rows.length === 0) return { id, title, skipped: "no run has a KL per dimension" };
  const spec: ChartSpec = {
    title: "Test KL per latent dimension, largest first",
    ...SIZE,
    mark: "bar",
    encoding: {
      x: {
        field: "rank",
        type: "ordinal",
        title: "latent dimension, ranked by KL",
        axis: { labelAngle: 0 },
      },
      xOffset: { field: "config", type: "nominal", sort: runs.map((r) => r.config.name) },
      // Symlog: bars keep their zero baseline, and a run without a regularizer (hundreds of
      // nats) no longer flattens the others (a few nats) to the axis.
      y: {
        field: "kl",
        type: "quantitative",
        title: `KL (${NATS}, symlog)`,
        scale: { type: "symlog" },
        axis: { values: symlogTicks(Math.max(...rows.map((r) => r.kl))) },
      },
      color: byGroup(runs),
      tooltip: [{ field: "config" }, { field: "dim" }, { field: "kl" }, { field: "active" }],
    },
  };
  return {
    id,
    title,
    description: "Each run's test KL per latent dimension, sorted largest first (the dim " +
      "column of the CSV names the dimension), on a symlog axis: linear below 1 nat, " +
      "logarithmic above. A dimension with no KL carries no information about x.",
    spec,
    rows,
    stages: ["evaluate"],
  };
}
