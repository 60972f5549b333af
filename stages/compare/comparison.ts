/**
 * Runs side by side: one row per config, from each run's cached evaluate artifact. Every
 * model is scored by its true ELBO (β = 1) whatever it was trained with, so ablations of
 * the loss balance compare on one scale. Numbers are formatted with fixed digits, as in
 * the report's tables.
 */
import type { LossParams, ResolvedConfig } from "../config_schema.ts";
import { formatCount } from "../../pipeline/units.ts";
import {
  formatMetric,
  metric,
  METRIC_ROWS,
  type MetricKey,
  type MetricRow,
  metricRows,
  type Metrics,
  miSaturated,
} from "../evaluation/metrics.ts";
import { mean, variance } from "../evaluation/stats.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import type { Cell, Table } from "../render/document.ts";
import { notation } from "../render/notation.ts";

export interface ComparedRun {
  config: ResolvedConfig & { name: string };
  /** The config the run came from: runs of one config under several seeds share it. */
  group: string;
  /** The evaluate artifact's key: the provenance of the row. */
  evaluateKey: string;
  metrics: Metrics;
}

/** The training objective in one short phrase: what an ablation varies. */
export function objective(loss: LossParams, kind: string): string {
  if (!capabilitiesOf(kind).stochastic) return `reconstruction only (${kind})`;
  const parts = {
    kl: `KL, β = ${loss.beta}`,
    "split-kl": `split KL, wμ = ${loss.wMu}, wσ = ${loss.wSigma}`,
    "separate-l2": `‖μ‖² and ‖log σ²‖², wμ = ${loss.wMu}, wσ = ${loss.wSigma}`,
    none: "no regularizer",
  }[loss.regularizer];
  const extras = [
    loss.warmupEpochs > 0 ? `warm-up ${loss.warmupEpochs} epochs` : "",
    loss.freeBits > 0 && loss.regularizer === "kl" ? `free bits ${loss.freeBits}` : "",
  ].filter(Boolean);
  return [parts, ...extras].join("; ");
}

interface Column {
  head: string;
  cell: (run: ComparedRun) => Cell;
  right?: boolean;
  /** Its number summarized over seeds (seedSummaryTable), under `head` unless it names one. */
  summary?: Omit<SeedColumn, "head"> & { head?: string };
}

/** A number summarized over seeds: its head, its decimals, its value in a run's metrics. */
export interface SeedColumn {
  head: string;
  digits: number;
  value: (m: Metrics) => number | null;
  /** Marks the summary (†) when a run's value carries that caveat. */
  caveat?: (m: Metrics) => boolean;
}

const CONFIG: Column = { head: "config", cell: (r) => r.config.name };
const MODEL: Column = { head: "model", cell: (r) => r.config.model.kind };
const OBJECTIVE: Column = {
  head: "objective",
  cell: (r) => objective(r.config.loss, r.config.model.kind),
};
const IW: Column = {
  head: "IW bound",
  right: true,
  cell: (r) => iw(r.metrics),
  summary: { digits: 2, value: (m) => m.test.iw?.at(-1)?.logLikelihood ?? null },
};
const IW_GAIN: Column = { head: "IW − ELBO", right: true, cell: (r) => iwGain(r.metrics) };
const TRAIN_NEG_ELBO: Column = {
  head: "train −ELBO",
  right: true,
  cell: (r) => {
    const { value } = metric(r.metrics.train, "negElbo");
    return value === null ? "n/a" : value.toFixed(METRIC_ROWS.negElbo.digits);
  },
};
const EVALUATE: Column = {
  head: "evaluate",
  cell: (r) => ({ text: r.evaluateKey.slice(0, 8), code: true }),
};
/** What the run's −ELBO and IW bound bound, from its metrics.json (notation.ts). */
const BOUND_ON: Column = {
  head: "bound on",
  cell: (r) => hasElbo(r) ? notation(r.metrics).evidence : "n/a",
};
/** An ae has no ELBO, so no bound on anything. */
const hasElbo = (run: ComparedRun) => metric(run.metrics.test, "negElbo").value !== null;

/** A metric's column as metrics.ts has it: its head, its digits, † where a value has a caveat. */
function metricColumn(key: MetricKey, row: MetricRow): Column {
  const { head, digits = row.digits } = row.compared ?? { head: key };
  const value = (m: Metrics) => metric(m[row.section], key).value;
  return {
    head,
    right: true,
    cell: ({ metrics }) => {
      const v = value(metrics);
      if (v === null) return "n/a";
      const text = formatMetric(row, v, metrics, digits) + (row.percent ? "%" : "");
      return row.caveat?.(metrics) ? `${text} ${CEILING_MARK}` : text;
    },
    summary: {
      head: row.percent ? `${head} (%)` : head,
      digits,
      value: (m) => {
        const v = value(m);
        return v !== null && row.percent ? 100 * v : v;
      },
      caveat: row.caveat,
    },
  };
}

/** The metric columns metrics.ts places in one of the two tables, in its order. */
const metricColumns = (table: "bound" | "code") =>
  metricRows().filter(([, row]) => row.compared?.table === table).map(([key, row]) =>
    metricColumn(key, row)
  );

const BOUND_TERMS = metricColumns("bound");
/** Training's −ELBO and the code's size lead the second table (the report has the size last). */
const TRAINING_AND_CODE = [
  TRAIN_NEG_ELBO,
  metricColumn("activeUnits", METRIC_ROWS.activeUnits),
  ...metricColumns("code"),
];

/**
 * The columns of the comparison as a page shows it, two tables that each fit a page's
 * width: the bound and its terms, then training and the latent code. The IW column names
 * what it bounds when every run bounds the same thing; otherwise a column says it per run.
 */
function pageColumns(runs: ComparedRun[]): Column[][] {
  const iw = iwColumn(runs);
  const boundOn = iw === IW ? [BOUND_ON] : [];
  return [
    [CONFIG, MODEL, OBJECTIVE, ...boundOn, ...BOUND_TERMS, iw, IW_GAIN],
    [CONFIG, ...TRAINING_AND_CODE, EVALUATE],
  ];
}

export function comparisonTables(runs: ComparedRun[]): Table[] {
  return pageColumns(runs).map((columns) => columnsTable(runs, columns));
}

/** The IW column, headed with what it bounds when every run with an ELBO bounds the same. */
function iwColumn(runs: ComparedRun[]): Column {
  const evidences = [...new Set(runs.filter(hasElbo).map((r) => notation(r.metrics).evidence))];
  return evidences.length === 1 ? { ...IW, head: `${evidences[0]}, IW` } : IW;
}

/** Every column in one table, each run's bound named per row: comparison.csv. */
export function comparisonTable(runs: ComparedRun[]): Table {
  return columnsTable(runs, [
    CONFIG,
    MODEL,
    OBJECTIVE,
    BOUND_ON,
    ...BOUND_TERMS,
    IW,
    IW_GAIN,
    ...TRAINING_AND_CODE,
    EVALUATE,
  ]);
}

function columnsTable(runs: ComparedRun[], columns: Column[]): Table {
  return {
    columns: columns.map((c) => c.head),
    align: columns.map((c) => c.right ? "right" : "left"),
    rows: runs.map((run) => columns.map((c) => c.cell(run))),
  };
}

/**
 * One row per config run under several seeds: each number's mean ± sample standard
 * deviation over the seeds. Null when no config has more than one run.
 */
export function seedSummaryTable(runs: ComparedRun[]): Table | null {
  const groups = new Map<string, ComparedRun[]>();
  for (const run of runs) groups.set(run.group, [...groups.get(run.group) ?? [], run]);
  if (![...groups.values()].some((g) => g.length > 1)) return null;
  const summarized = seedColumns(runs).flat();
  return {
    columns: ["config", "seeds", ...summarized.map((s) => s.head)],
    align: ["left", "left", ...summarized.map(() => "right" as const)],
    rows: [...groups].map(([group, members]) => [
      group,
      members.map((r) => r.config.seed).join(", "),
      ...summarized.map((s) => {
        const cell = meanSd(members.map((r) => s.value(r.metrics)), s.digits);
        return members.some((r) => s.caveat?.(r.metrics)) ? `${cell} ${CEILING_MARK}` : cell;
      }),
    ]),
  };
}

/**
 * The numbers summarized over seeds, in the comparison's two pages (the bound and its
 * terms; training and the latent code): every metric column METRIC_ROWS gives a head, and
 * the IW bound.
 */
export function seedColumns(runs: ComparedRun[]): SeedColumn[][] {
  return pageColumns(runs).map((columns) =>
    columns.flatMap((c) => c.summary ? [{ ...c.summary, head: c.summary.head ?? c.head }] : [])
  );
}

/** `mean ± sd` (sample sd, n − 1) of the values that exist; the mean alone for one. */
function meanSd(values: (number | null)[], digits: number): Cell {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return "n/a";
  const m = mean(present);
  if (present.length === 1) return m.toFixed(digits);
  const sd = Math.sqrt(variance(present) * present.length / (present.length - 1));
  return `${m.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

/** Beside an MI estimate at its ceiling log N, pointing to the note that says why. */
export const CEILING_MARK = "†";

/**
 * What the tables' numbers mean, what each run's bounds bound, and its likelihood; and what
 * the seed summary is, unless the caller says it (`overSeeds: false`).
 */
export function comparisonNotes(
  runs: ComparedRun[],
  { overSeeds = true }: { overSeeds?: boolean } = {},
): string[] {
  const kMax = runs.flatMap((r) => r.metrics.test.iw?.map((e) => e.k) ?? []);
  const likelihoods = [...new Set(runs.map((r) => r.metrics.likelihood))];
  return [
    "Test split unless named; −ELBO, distortion, rate and the IW bound in nats per example. " +
    "Every run is scored by its true ELBO (β = 1), whatever objective it was trained with: " +
    "distortion + rate = −ELBO. The IW bound is the " +
    `importance-weighted lower bound at the largest K (${formatCount(Math.max(0, ...kMax))}) on ` +
    "a seeded subset of the test split, and IW − ELBO how far it rises above the ELBO of " +
    "that same subset. n/a means it does not apply.",
    ...boundsNote(runs),
    ...miNotes(runs),
    ...(runs.some((r) => r.metrics.cvae)
      ? [
        "sample acc.: the share of class-conditional samples the classifier gives their class " +
        "(CVAEs only).",
      ]
      : []),
    ...frechetNote(runs),
    // Some config ran under several seeds: the seed summary table is there.
    ...(overSeeds && new Set(runs.map((r) => r.group)).size < runs.length
      ? [
        "Over seeds: mean ± sample standard deviation of each config's runs. A seed changes " +
        "every random draw of a run — the train/test split, the initial weights, the batches, " +
        "ε — so the spread is that of the whole procedure, not of training alone.",
      ]
      : []),
    ...likelihoods.map((l) => `Likelihood: ${l}.`),
  ];
}

/** What the Fréchet columns compare, with the N they were computed at. */
function frechetNote(runs: ComparedRun[]): string[] {
  const sizes = [
    ...new Set(runs.flatMap((r) => {
      const n = metric(r.metrics.test, "frechetSamples").value;
      return n === null ? [] : [formatCount(n)];
    })),
  ];
  if (sizes.length === 0) return [];
  return [
    `Fréchet: the Fréchet distance (the FID's formula) between N = ${sizes.join(", ")} ` +
    "decoded prior samples and as many test images in the classifier's last hidden layer; " +
    "lower is better. Fréchet floor: the same between train and those test images, what real " +
    "data scores at that N. class Fréchet: per class, the mean over classes (CVAEs only).",
  ];
}

/** Which runs' −ELBO and IW bound bound log p(x), and which log p(x | y). */
function boundsNote(runs: ComparedRun[]): string[] {
  const byEvidence = new Map<string, string[]>();
  for (const run of runs.filter(hasElbo)) {
    const { evidence } = notation(run.metrics);
    byEvidence.set(evidence, [...byEvidence.get(evidence) ?? [], run.group]);
  }
  // Configs, each once however many seeds it ran under.
  const parts = [...byEvidence].map(([evidence, groups]) =>
    `for ${byEvidence.size === 1 ? "every run" : andList([...new Set(groups)])}, ` +
    "−ELBO is an upper bound " +
    `on −${evidence} and the IW bound a lower bound on ${evidence}` +
    (evidence === "log p(x)" ? "" : ", y the true label")
  );
  const conditional = byEvidence.has("log p(x | y)")
    ? " A bound on log p(x | y) knows the class: it is not on the scale of an " +
      "unconditional model's log p(x)."
    : "";
  if (parts.length === 0) return [];
  const sentence = parts.join("; ");
  return [sentence[0].toUpperCase() + sentence.slice(1) + "." + conditional];
}

/** `a`, `a and b`, `a, b and c`. */
const andList = (items: string[]) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

function miNotes(runs: ComparedRun[]): string[] {
  const ceilings = [
    ...new Set(runs.flatMap((r) => {
      const logN = metric(r.metrics.test, "logN").value;
      return logN === null ? [] : [logN.toFixed(2)];
    })),
  ];
  if (ceilings.length === 0) return [];
  const saturated = runs.filter((r) => miSaturated(r.metrics.test)).map((r) => r.config.name);
  return [
    "MI: the estimate of I(x; z) on N test examples, with q(z) the mean of those same N " +
    `posteriors; it cannot pass log N (${ceilings.join(", ")}) but by sampling noise.`,
    ...(saturated.length
      ? [
        `${CEILING_MARK} At its ceiling log N (${andList([...new Set(saturated)])}): the ` +
        "estimator is saturated and biased low. Each z's own posterior is 1/N of that q(z), " +
        "so when the posteriors do not overlap the estimate is log N plus noise whatever " +
        "the information in z: I(x; z) is at least about log N, and how much more the " +
        "estimate cannot tell.",
      ]
      : []),
  ];
}

function iw(metrics: Metrics): Cell {
  const best = metrics.test.iw?.at(-1);
  return best ? best.logLikelihood.toFixed(2) : "n/a";
}

/** How far the largest-k bound rises above the ELBO of the same examples. */
function iwGain(metrics: Metrics): Cell {
  const best = metrics.test.iw?.at(-1);
  const { value: elbo } = metric(metrics.test, "iwExamplesElbo");
  return best && elbo !== null ? (best.logLikelihood - elbo).toFixed(2) : "n/a";
}
