/**
 * The report's tables and summary lines, as document blocks: the numbers with their units,
 * per class and per latent dimension, and the runtime each stage ran on. Numbers are
 * formatted here, with fixed digits, so the text is the same on every machine and locale.
 */
import type { Row } from "../../lib/table.ts";
import { formatCount } from "../../pipeline/units.ts";
import {
  formatMetric,
  metric,
  metricRows,
  NATS,
  type Scored,
  type TestMetrics,
} from "../evaluation/metrics.ts";
import type { Cell, Table } from "../render/document.ts";
import { type Notation, notation } from "../render/notation.ts";
import { bool, num } from "../render/upstream.ts";
import type { ReportInputs } from "./inputs.ts";
import type { StageVersions } from "./provenance.ts";

const fixed = (digits: number) => (v: number) => v.toFixed(digits);
const percent = (v: number) => (100 * v).toFixed(1);

/** A value cell: the formatted number, or "n/a" with the reason on hover. */
function valueCell({ value, reason }: Scored, format: (v: number) => string): Cell {
  if (value !== null) return format(value);
  return reason ? { text: "n/a", title: reason } : "n/a";
}

/**
 * The last (largest-K) IW estimate: the tightest bound on the evidence, with how far it
 * rises above the ELBO of the same examples (the full test split's ELBO is another mean).
 */
function iwRow(test: TestMetrics, n: Notation): Cell[] | null {
  const best = test.iw?.filter((p) => typeof p.logLikelihood === "number").at(-1);
  if (!best) return null;
  const error = typeof best.stdError === "number" ? ` ± ${best.stdError.toFixed(2)}` : "";
  const elbo = metric(test, "iwExamplesElbo").value;
  const examples = metric(test, "iwExamples").value;
  const rise = elbo === null ? [] : [
    `${signed(best.logLikelihood - elbo)} over the ELBO of the same ` +
    `${examples === null ? "" : `${formatCount(examples)} `}test examples (${elbo.toFixed(2)})`,
  ];
  return [
    `${n.evidence}, IW lower bound, K = ${formatCount(best.k)}`,
    best.logLikelihood.toFixed(2) + error,
    "—",
    NATS,
    [...rise, "± one standard error over the examples"].join("; "),
  ];
}

const signed = (v: number) => (v < 0 ? "−" : "+") + Math.abs(v).toFixed(2);

/** Every metric row of metrics.ts the model has, the IW bound after the rate, the judge last. */
export function metricsTable({ metrics, classifier }: ReportInputs): Table {
  const n = notation(metrics);
  const rows: Cell[][] = [];
  for (const [key, spec] of metricRows()) {
    const section = metrics[spec.section];
    if (!section) continue; // a model without that section (no cvae block for a vae)
    const test = metric(section, key);
    const train = spec.train ? metric(metrics.train, key) : null;
    const format = (v: number) => formatMetric(spec, v, metrics);
    // A caveat about a number that is not there (an ae's rate) says nothing.
    const note = test.value === null ? undefined : spec.note?.(n, metrics);
    const notes = [...new Set([note, test.reason, train?.reason].filter(Boolean))];
    rows.push([
      spec.label(n),
      valueCell(test, format),
      train ? valueCell(train, format) : "—",
      spec.unit,
      notes.join("; "),
    ]);
    if (key === "rate") {
      const iw = iwRow(metrics.test, n);
      if (iw) rows.push(iw);
    }
  }
  const accuracy = classifier?.testAccuracy ?? metric(metrics.cvae, "classifierTestAccuracy").value;
  if (typeof accuracy === "number") {
    rows.push(["classifier test accuracy", percent(accuracy), "—", "%", "on real test images"]);
  }
  return {
    columns: ["quantity", "test", "train", "unit", "note"],
    align: ["left", "right", "right", "left", "left"],
    rows,
  };
}

/** Label → value, from a record by label (as a string key). */
function byLabel(values: Record<string, number> | undefined) {
  return new Map(Object.entries(values ?? {}).map(([label, v]) => [Number(label), v]));
}

/** Per class: test examples, the classifier's accuracy, and evaluate's per-class numbers. */
export function perClassTable({ card, classifier, perClass }: ReportInputs): Table | null {
  if (!classifier && !perClass) return null;
  const accuracy = byLabel(classifier?.perClassAccuracy);
  const evaluated = new Map((perClass ?? []).map((row) => [num(row, "label"), row]));
  const orNa = (v: number | null | undefined, format: (v: number) => string) =>
    typeof v === "number" ? format(v) : "n/a";
  const rows = card.classes.map((label) => {
    const row = evaluated.get(label);
    return [
      String(label),
      formatCount(card.counts.test[label] ?? 0),
      ...(classifier ? [orNa(accuracy.get(label), percent)] : []),
      ...(perClass ? [orNa(row && num(row, "log_px_given_y"), fixed(2))] : []),
      ...(perClass ? [orNa(row && num(row, "sample_accuracy"), percent)] : []),
    ];
  });
  return {
    columns: [
      "class",
      "test examples",
      ...(classifier ? ["classifier accuracy (%)"] : []),
      ...(perClass ? [`ELBO bound on log p(x | y) (${NATS})`, "sample accuracy (%)"] : []),
    ],
    align: ["left", "right", "right", "right", "right"],
    rows,
  };
}

/** Per latent dimension: KL, posterior moments, activity, and the aggregate posterior. */
export function latentTable({ klPerDim, metrics }: ReportInputs): Table {
  const n = notation(metrics);
  const aggregate = metrics.aggregatePosterior;
  const cell = (v: number | null | undefined, digits = 3) =>
    typeof v === "number" ? v.toFixed(digits) : "n/a";
  const rows = klPerDim.map((row, i) => {
    const dim = num(row, "dim") ?? i;
    return [
      `z${dim}`,
      cell(num(row, "kl")),
      cell(num(row, "mean_mu_sq")),
      cell(num(row, "mean_sigma_sq")),
      cell(num(row, "mean_log_var")),
      cell(num(row, "activity")),
      bool(row, "active") ? "yes" : "no",
      cell(aggregate?.mean[dim]),
      cell(aggregate?.variance[dim]),
    ];
  });
  return {
    columns: [
      "dim",
      `KL (${NATS})`,
      `mean ${n.muSquared}`,
      "mean σ²",
      "mean log σ²",
      "activity",
      "active",
      "aggregate mean",
      "aggregate variance",
    ],
    align: ["left", "right", "right", "right", "right", "right", "left", "right", "right"],
    rows,
  };
}

/** Any small CSV (class means, class distances) as it is, numbers to 3 decimals. */
export function csvTable(rows: Row[]): Table {
  const columns = Object.keys(rows[0] ?? {});
  const format = (v: Row[string]) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v ?? "");
  return {
    columns,
    align: columns.map((c) => typeof rows[0][c] === "number" && c !== "label" ? "right" : "left"),
    rows: rows.map((row) => columns.map((c) => format(row[c]))),
  };
}

/** Every stage the report's figures came from: its full key, the project commit and runtime. */
export function versionsTable(versions: StageVersions[]): Table {
  return {
    columns: ["stage", "key", "project commit", "Deno", "tfjs-core", "backend"],
    rows: versions.map((v) => [
      v.stage,
      { text: v.key, code: true },
      v.project,
      v.deno,
      v.tfjs ?? "—",
      v.backend ?? "—",
    ]),
  };
}

/** The run in three sentences: model, data, training. */
export function summary({ config, card, training, metrics }: ReportInputs): string[] {
  const { model, loss } = training;
  const classes = card.classes.length;
  const sumCounts = (counts: Record<string, number>) =>
    formatCount(Object.values(counts).reduce((a, b) => a + b, 0));
  return [
    `Model ${model.kind}: an MLP with hidden layers [${model.hidden.join(", ")}] ` +
    `(${model.activation}), ${model.latentDim} latent dimensions and a ${model.likelihood} ` +
    `likelihood; regularizer ${loss.regularizer}. Seed ${config.seed}.`,
    `Data: ${card.source}, ${card.height} × ${card.width} images in ${classes} classes ` +
    `(${card.classes.join(", ")}); ${sumCounts(card.counts.train)} training and ` +
    `${sumCounts(card.counts.test)} test examples; binarization ${card.binarize}.`,
    `Training: ${training.epochsRun} epochs on ${formatCount(training.trainExamples)} examples ` +
    `(${formatCount(training.validationExamples)} held out for validation); the weights of epoch ` +
    `${training.keptEpoch} were kept (${training.selection}).`,
    `Likelihoods, ELBO terms and KL are in ${metrics.units}; a value that does not apply to ` +
    "this model is shown as n/a, with the reason.",
  ];
}
