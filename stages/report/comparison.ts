/**
 * Runs side by side: one row per config, from each run's cached evaluate artifact. Every
 * model is scored by its true ELBO (β = 1) whatever it was trained with, so ablations of
 * the loss balance compare on one scale. Numbers are formatted with fixed digits, as in
 * the report's tables.
 */
import type { LossParams, ResolvedConfig } from "../../pipeline/config_schema.ts";
import type { Cell, Table } from "./document.ts";
import { mean, variance } from "../evaluation/stats.ts";
import { type EvalMetrics, metric } from "./inputs.ts";
import { count } from "./tables.ts";

export interface ComparedRun {
  config: ResolvedConfig & { name: string };
  /** The config the run came from: runs of one config under several seeds share it. */
  group: string;
  /** The evaluate artifact's key: the provenance of the row. */
  evaluateKey: string;
  metrics: EvalMetrics;
}

/** The training objective in one short phrase: what an ablation varies. */
export function objective(loss: LossParams, kind: string): string {
  if (kind === "ae") return "reconstruction only (ae)";
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

const COLUMNS: { head: string; cell: (run: ComparedRun) => Cell; right?: boolean }[] = [
  { head: "config", cell: (r) => r.config.name },
  { head: "model", cell: (r) => r.config.model.kind },
  { head: "objective", cell: (r) => objective(r.config.loss, r.config.model.kind) },
  { head: "−ELBO", right: true, cell: (r) => value(r.metrics.test, "negElbo", 2) },
  { head: "distortion", right: true, cell: (r) => value(r.metrics.test, "distortion", 2) },
  { head: "rate (KL)", right: true, cell: (r) => value(r.metrics.test, "rate", 2) },
  { head: "log p(x) IW", right: true, cell: (r) => iw(r.metrics) },
  { head: "IW − ELBO", right: true, cell: (r) => iwGain(r.metrics) },
  { head: "train −ELBO", right: true, cell: (r) => value(r.metrics.train, "negElbo", 2) },
  { head: "active units", right: true, cell: (r) => activeUnits(r.metrics) },
  { head: "MI (nats)", right: true, cell: (r) => value(r.metrics.test, "mutualInformation", 2) },
  { head: "sample acc.", right: true, cell: (r) => sampleAccuracy(r.metrics) },
  { head: "evaluate", cell: (r) => ({ text: r.evaluateKey.slice(0, 8), code: true }) },
];

/** The comparison table; ELBO terms and log p(x) are test-set nats per example. */
export function comparisonTable(runs: ComparedRun[]): Table {
  return {
    columns: COLUMNS.map((c) => c.head),
    align: COLUMNS.map((c) => c.right ? "right" : "left"),
    rows: runs.map((run) => COLUMNS.map((c) => c.cell(run))),
  };
}

/** The numbers summarized over seeds, per run (null where one does not apply). */
const SUMMARIZED: { head: string; digits: number; value: (m: EvalMetrics) => number | null }[] = [
  { head: "−ELBO", digits: 2, value: (m) => metric(m.test, "negElbo").value },
  { head: "distortion", digits: 2, value: (m) => metric(m.test, "distortion").value },
  { head: "rate (KL)", digits: 2, value: (m) => metric(m.test, "rate").value },
  { head: "log p(x) IW", digits: 2, value: (m) => m.test.iw?.at(-1)?.logLikelihood ?? null },
  { head: "active units", digits: 1, value: (m) => metric(m.test, "activeUnits").value },
  { head: "MI (nats)", digits: 2, value: (m) => metric(m.test, "mutualInformation").value },
  {
    head: "sample acc. (%)",
    digits: 1,
    value: (m) => {
      const accuracy = metric(m.cvae, "sampleAccuracy").value;
      return accuracy === null ? null : 100 * accuracy;
    },
  },
];

/**
 * One row per config run under several seeds: each number's mean ± sample standard
 * deviation over the seeds. Null when no config has more than one run.
 */
export function seedSummaryTable(runs: ComparedRun[]): Table | null {
  const groups = new Map<string, ComparedRun[]>();
  for (const run of runs) groups.set(run.group, [...groups.get(run.group) ?? [], run]);
  if (![...groups.values()].some((g) => g.length > 1)) return null;
  return {
    columns: ["config", "seeds", ...SUMMARIZED.map((s) => s.head)],
    align: ["left", "left", ...SUMMARIZED.map(() => "right" as const)],
    rows: [...groups].map(([group, members]) => [
      group,
      members.map((r) => r.config.seed).join(", "),
      ...SUMMARIZED.map((s) => meanSd(members.map((r) => s.value(r.metrics)), s.digits)),
    ]),
  };
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

/** What the table's numbers mean, and the likelihood each run's nats come from. */
export function comparisonNotes(runs: ComparedRun[]): string[] {
  const kMax = runs.flatMap((r) => r.metrics.test.iw ?? []).reduce((k, e) => Math.max(k, e.k), 0);
  const likelihoods = [...new Set(runs.map((r) => r.metrics.likelihood))];
  return [
    "Test split unless named; −ELBO, distortion, rate and log p(x) in nats per example. " +
    "Every run is scored by its true ELBO (β = 1), whatever objective it was trained with. " +
    `log p(x) IW is the importance-weighted bound at the largest k (${count(kMax)}), ` +
    "on a seeded subset of the test split, and IW − ELBO how far it rises above the ELBO " +
    "of that same subset; sample acc. is the share of class-conditional " +
    "samples a classifier gives their class (CVAEs only); n/a means it does not apply.",
    ...(runs.some((r) => r.config.model.kind.startsWith("cvae"))
      ? [
        "For a CVAE, −ELBO and log p(x) IW bound log p(x | y) with the true label, which " +
        "knows the class: they are not on the scale of an unconditional model's log p(x).",
      ]
      : []),
    // Some config ran under several seeds: the seed summary table is there.
    ...(new Set(runs.map((r) => r.group)).size < runs.length
      ? [
        "Over seeds: mean ± sample standard deviation of each config's runs. A seed changes " +
        "every random draw of a run — the train/test split, the initial weights, the batches, " +
        "ε — so the spread is that of the whole procedure, not of training alone.",
      ]
      : []),
    ...likelihoods.map((l) => `Likelihood: ${l}.`),
  ];
}

function value(section: EvalMetrics["test"], key: string, digits: number): Cell {
  const { value } = metric(section, key);
  return value === null ? "n/a" : value.toFixed(digits);
}

function iw(metrics: EvalMetrics): Cell {
  const best = metrics.test.iw?.at(-1);
  return best ? best.logLikelihood.toFixed(2) : "n/a";
}

/** How far the largest-k bound rises above the ELBO of the same examples. */
function iwGain(metrics: EvalMetrics): Cell {
  const best = metrics.test.iw?.at(-1);
  const { value: elbo } = metric(metrics.test, "iwExamplesElbo");
  return best && elbo !== null ? (best.logLikelihood - elbo).toFixed(2) : "n/a";
}

function activeUnits(metrics: EvalMetrics): Cell {
  const { value: units } = metric(metrics.test, "activeUnits");
  const { value: dims } = metric(metrics.test, "latentDim");
  return units === null ? "n/a" : `${units} of ${dims}`;
}

function sampleAccuracy(metrics: EvalMetrics): Cell {
  const { value } = metric(metrics.cvae, "sampleAccuracy");
  return value === null ? "n/a" : `${(100 * value).toFixed(1)}%`;
}
