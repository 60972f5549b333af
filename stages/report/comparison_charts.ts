/**
 * The comparison's Vega-Lite figures: several runs on shared axes, one colour per config.
 * Each returns its rows, spec and the stage its data came from (per run), or the reason it
 * cannot be drawn (no run has a posterior to plot), never an empty chart.
 */
import type { Row } from "../../pipeline/table.ts";
import type { ChartFigure, Skipped } from "./charts.ts";
import type { ComparedRun } from "./comparison.ts";
import type { ChartSpec } from "./figure.ts";
import { bool, metric, num } from "./inputs.ts";

/** A compared run with the tables its figures read. */
export interface ComparedRunData extends ComparedRun {
  /** train's history.csv. */
  history: Row[];
  /** evaluate's kl_per_dim.csv, sorted by KL, largest first. */
  klPerDim: Row[];
}

const NATS = "nats per example";
const SIZE = { width: 420, height: 260 };
/** Colour by config; a config's runs under several seeds share its colour. */
const byGroup = (runs: ComparedRunData[]) =>
  ({
    field: "group",
    type: "nominal",
    title: "config",
    sort: [...new Set(runs.map((r) => r.group))],
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
const RATE_TICKS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

function rateDistortion(runs: ComparedRunData[]): ChartFigure | Skipped {
  const id = "rate_distortion", title = "Rate and distortion";
  const rows = runs.flatMap((run) => {
    const rate = metric(run.metrics.test, "rate").value;
    const distortion = metric(run.metrics.test, "distortion").value;
    return rate === null || distortion === null ? [] : [{
      config: run.config.name,
      group: run.group,
      rate,
      distortion,
      negElbo: rate + distortion,
    }];
  });
  if (rows.length === 0) return { id, title, skipped: "no run has a rate (KL)" };
  // One label per config: its name beside its first run (seeds would pile up labels).
  const isFirst = (group: string, i: number) => rows.findIndex((r) => r.group === group) === i;
  const position = {
    // Symlog: a collapsed run (rate ≈ 0) and one without a regularizer (hundreds of nats)
    // fit on one axis without squeezing the rest together.
    x: {
      field: "rate",
      type: "quantitative",
      title: `rate, KL (${NATS})`,
      scale: { type: "symlog" },
      axis: { values: RATE_TICKS.filter((t) => t <= 1.2 * Math.max(...rows.map((r) => r.rate))) },
    },
    y: {
      field: "distortion",
      type: "quantitative",
      title: `distortion (${NATS})`,
      scale: { zero: false },
    },
  } as const;
  const spec: ChartSpec = {
    title: "Rate and distortion on the test set",
    ...SIZE,
    layer: [
      {
        mark: { type: "point", filled: true, size: 80 },
        encoding: { ...position, color: byGroup(runs) },
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
    description: "Each run's test distortion E_q[−log p(x|z)] against its rate KL(q(z|x) ‖ " +
      "p(z)), in nats per example; −ELBO is their sum, so runs on a line of slope −1 have " +
      "the same ELBO. Runs without a posterior (ae) have no rate and are not drawn.",
    spec,
    rows: rows.map((row, i) => ({ ...row, label: isFirst(row.group, i) ? row.group : "" })),
    stages: ["evaluate"],
  };
}

function elboCurves(runs: ComparedRunData[]): ChartFigure | Skipped {
  const id = "elbo_curves", title = "Training −ELBO";
  const rows = runs.filter((run) => run.config.model.kind !== "ae").flatMap((run) =>
    run.history.flatMap((row) => {
      const [recon, kl] = [num(row, "recon"), num(row, "kl")];
      return recon === null || kl === null ? [] : [{
        config: run.config.name,
        group: run.group,
        epoch: num(row, "epoch"),
        negElbo: recon + kl,
      }];
    })
  );
  if (rows.length === 0) return { id, title, skipped: "no run has an ELBO (all are ae)" };
  return {
    id,
    title,
    description: "Reconstruction + KL averaged over each epoch's training batches, whatever " +
      "objective the run optimized: the bound every variant is judged by, as it trained.",
    spec: perEpoch(runs, "−ELBO (β = 1) per epoch, training split", "negElbo", `−ELBO (${NATS})`),
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
      x: { field: "rank", type: "ordinal", title: "latent dimension, ranked by KL" },
      xOffset: { field: "config", type: "nominal", sort: runs.map((r) => r.config.name) },
      y: { field: "kl", type: "quantitative", title: `KL (${NATS})` },
      color: byGroup(runs),
      tooltip: [{ field: "config" }, { field: "dim" }, { field: "kl" }, { field: "active" }],
    },
  };
  return {
    id,
    title,
    description: "Each run's test KL per latent dimension, sorted largest first (the dim " +
      "column of the CSV names the dimension). A dimension with no KL carries no information " +
      "about x.",
    spec,
    rows,
    stages: ["evaluate"],
  };
}
