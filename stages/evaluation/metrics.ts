/**
 * The evaluate stage's contract: metrics.json, as its type and its reader, with what every
 * number in it is (DEFINITIONS, written into the file itself so that it travels with the
 * numbers), why one is null (NOT_APPLICABLE), and how the report's and the comparison's
 * tables show each one (METRIC_ROWS). A new metric is a field, a definition and a row here;
 * its computation and evaluate.ts write it; the tables follow from its row.
 */
import { join } from "node:path";
import type { LossParams, ModelParams } from "../config_schema.ts";
import { formatCount } from "../../pipeline/units.ts";
import type { Notation } from "../render/notation.ts";
import type { ElboTerms } from "./elbo.ts";
import type { IwEstimate } from "./importance.ts";
import { atMiCeiling, miCeilingNoise } from "./mi_ceiling.ts";

/** The unit of every number in metrics.json but those a definition says otherwise of. */
export const NATS = "nats per example";

/** metrics.json, key for key as evaluate writes it. */
export interface Metrics {
  /** Which likelihood every nats figure comes from (likelihood.ts). */
  likelihood: string;
  units: typeof NATS;
  /** The evaluated model: its kind says what the numbers bound (render/notation.ts). */
  model: { kind: ModelParams["kind"]; regularizer: LossParams["regularizer"]; beta: number };
  test: TestMetrics;
  train: TrainMetrics;
  aggregatePosterior: { mean: number[]; variance: number[] };
  /** Conditional models only. */
  cvae?: CvaeMetrics;
  definitions: typeof DEFINITIONS;
}

/** The test split's numbers; DEFINITIONS says what each is. */
export interface TestMetrics extends ElboTerms {
  examples: number;
  bceMeanZ: number;
  bceSampledZ: number | null;
  mseMeanZ: number;
  mseSampledZ: number | null;
  activeUnits: number;
  latentDim: number;
  mutualInformation: number | null;
  logN: number | null;
  /** Present with an MI estimate. */
  miExamples?: number;
  /** Present with an IW bound. */
  iwExamples?: number;
  iwExamplesElbo?: number;
  iw: IwEstimate[] | null;
  /** Null when switched off (evaluate.frechetSamples: 0), with the reason. */
  frechet: number | null;
  frechetFloor: number | null;
  /** Present with a Fréchet distance. */
  frechetSamples?: number;
  /** Why each null number is null (an ae's; the Fréchet distance's when it is off). */
  reasons?: Partial<typeof NOT_APPLICABLE.test & typeof FRECHET_OFF>;
}

/** The same terms over the whole train split. */
export interface TrainMetrics extends ElboTerms {
  examples: number;
  reasons?: Partial<typeof NOT_APPLICABLE.train>;
}

export interface CvaeMetrics {
  logPxGivenY: number;
  logPx: number;
  labelPrior: string;
  sampleAccuracy: number;
  samplesPerClass: number;
  classifierTestAccuracy: number;
  /** Null when switched off, or when no class has 2 images to compare. */
  frechetClassMean: number | null;
  frechetClassMeanFloor: number | null;
  reasons?: Partial<typeof FRECHET_OFF>;
}

/** An evaluate artifact's metrics.json. */
export async function readMetrics(dir: string): Promise<Metrics> {
  return JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
}

/** What every number in metrics.json is. All in nats per example unless a line says otherwise. */
export const DEFINITIONS = {
  negElbo: "−ELBO with β = 1 (distortion + rate), whatever objective the model was trained " +
    "with: an upper bound on −log p(x) (vae) or on −log p(x|y) with the true label (CVAEs)",
  distortion: "E_q[−log p(x|z)] under the likelihood above, one seeded z = μ + σ·ε per " +
    "example (z = μ for an ae)",
  rate: "KL(q(z|x) ‖ p(z)) in closed form, against N(0, I) (vae, cvae-concat) or N(μ^Y, I) " +
    "of the true class (cvae-prior)",
  bceMeanZ: "BCE of the decoder's pixel means against x, summed over pixels, at z = μ (for a " +
    "Bernoulli decoder the same as −log p(x|z); for a Gaussian one, of its means clipped to " +
    "[1e-6, 1 − 1e-6])",
  bceSampledZ: "the same BCE at the sampled z of distortion",
  mseMeanZ: "Σ over pixels of (x − pixel mean)² at z = μ: squared error per example, not nats",
  mseSampledZ: "the same squared error at the sampled z of distortion",
  activeUnits: "latent dimensions with Var_x(μ_j) > 0.01 (Burda et al. 2015), see kl_per_dim.csv",
  mutualInformation: "I_q(x; z) in nats, He et al. 2019's calc_mi over miExamples seeded, " +
    "stratified test examples: E[log q(z|x)] (closed form) − E[log q(z)] with one z per " +
    "example, q(z) the mean of the same N examples' posteriors (a minibatch aggregate " +
    "posterior, each z's own posterior weighted 1/N). So q(z_i) ≥ q(z_i|x_i)/N and the " +
    "estimate is at most logN + (1/N) Σ_i ½(‖ε_i‖² − d), noise of mean 0 and sd √(d/2N): " +
    "it can pass logN by that noise. Near logN it is saturated and biased low (posteriors " +
    "that do not overlap give logN whatever I_q(x; z) of the data distribution is)",
  logN: "log of miExamples (N): the ceiling of mutualInformation, up to the noise of one z " +
    "per example (sd √(latentDim/2N))",
  iw: "log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x) (Burda et al. 2015), mean and " +
    "standard error over iwExamples seeded, stratified test examples: a lower bound on " +
    "log p(x) (vae), or on log p(x|y) with the true label (CVAEs: p(z|y) for cvae-prior, " +
    "q(z|x,y) and p(x|z,y) for cvae-concat), that tightens with K; the draws are nested " +
    "(each K uses the first K of the largest K's draws); K = 1 is the ELBO in expectation; " +
    "rise ± riseStdError: the mean of L_K(x) − ELBO(x) over the same examples, its standard " +
    "error paired per example",
  iwExamplesElbo: "the mean ELBO (as negElbo, negated) of the iwExamples examples the IW " +
    "bound uses: its K = 1 value in expectation, the baseline its tightening is read from",
  train: "the same terms over the whole prepare train split (any validation rows included)",
  aggregatePosterior: "q(z) = E_x q(z|x) on the test split, per dimension: mean E[μ_j] and " +
    "variance E[σ_j²] + Var(μ_j)",
  logPxGivenY: "mean ELBO with the true label: a lower bound on log p(x|y) (= −test.negElbo)",
  logPx: "mean over test examples of log Σ_y (1/C) exp(ELBO(x, y)), each label's ELBO " +
    "with the same seeded z draw: an estimate of a lower bound on log p(x) under a uniform " +
    "label prior p(y) = 1/C",
  sampleAccuracy: "fraction of samplesPerClass decoded draws per class (z ~ N(μ^Y, I) for " +
    "cvae-prior; z ~ N(0, I) with label y for cvae-concat) that the classify stage's net " +
    "labels as y, averaged over classes",
  classifierTestAccuracy: "that net's accuracy on the real test images: how far its labels " +
    "can be trusted. Not a ceiling: clean, prototypical samples can score above it",
  frechet: "Fréchet distance d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}) (the " +
    "FID's formula, squared as the FID reports it; lower is better) between Gaussians fitted " +
    "(mean, covariance over n − 1) to the features of frechetSamples decoded prior samples " +
    "(pixel means, drawn as prior_samples are) and of frechetSamples test images (a seeded, " +
    "stratified subset, as prepared: no evaluation binarization); features: the relu " +
    "activations of the last hidden layer of the classify stage's net. Biased upward at " +
    "finite N: read it against frechetFloor, at the same N",
  frechetFloor: "the same distance between frechetSamples train images (a seeded, stratified " +
    "subset) and the same test images: what real data scores at this N, the value a model " +
    "whose samples were real images would reach in expectation",
  frechetSamples: "N: samples, test images and train images on each side of frechet and " +
    "frechetFloor (evaluate.frechetSamples, fewer when a split is smaller)",
  frechetClassMean: "mean over classes of the same distance between each class's decoded " +
    "samples (z ~ N(μ^Y, I) for cvae-prior; z ~ N(0, I) with label y for cvae-concat) and " +
    "that class's images among the frechetSamples test images, m_y of each, m_y the fewer of " +
    "the class's test and train images in the subsets (per_class.csv: frechet, " +
    "frechet_examples); biased upward more than frechet, as m_y ≈ N/C",
  frechetClassMeanFloor: "the same mean over classes of each class's m_y train images " +
    "against its m_y test images (per_class.csv: frechet_floor)",
};

const AE = "an ae has no posterior variance (q(z|x) is a point mass at μ)";

/** Why a metric is null for an ae: stated, not invented. */
export const NOT_APPLICABLE = {
  test: {
    negElbo: `${AE}, so its KL to any prior, and with it the ELBO, is undefined`,
    rate: `${AE}, so its KL to any prior is undefined`,
    bceSampledZ: `${AE}: there is no z to sample; see bceMeanZ`,
    mseSampledZ: `${AE}: there is no z to sample; see mseMeanZ`,
    mutualInformation: `${AE}: I_q(x; z) of a deterministic encoder is not a finite number`,
    logN: `${AE}: no mutual information is estimated`,
    iw: `${AE} and no prior, so there is no importance-weighted bound on log p(x)`,
  },
  train: {
    negElbo: `${AE}, so its ELBO is undefined`,
    rate: `${AE}, so its KL to any prior is undefined`,
  },
};

/** Why the Fréchet numbers are null when the config switches them off. */
export const FRECHET_OFF = {
  frechet: "evaluate.frechetSamples is 0: switched off",
  frechetFloor: "evaluate.frechetSamples is 0: switched off",
  frechetClassMean: "evaluate.frechetSamples is 0: switched off",
  frechetClassMeanFloor: "evaluate.frechetSamples is 0: switched off",
};

/** A number of metrics.json and, when it is null, why. */
export interface Scored {
  value: number | null;
  reason?: string;
}

/** A key of a section of metrics.json. */
export type SectionKey = keyof TestMetrics | keyof CvaeMetrics;

/**
 * `key` of a section, null when the number is not there (or the section is not: no cvae
 * block for a vae), with the reason the section's `reasons` give for it.
 */
export function metric(section: object | undefined, key: SectionKey): Scored {
  const fields = (section ?? {}) as Record<string, unknown> & { reasons?: Record<string, string> };
  const raw = fields[key];
  const value = typeof raw === "number" ? raw : null;
  const reason = fields.reasons?.[key];
  return value === null && reason ? { value, reason } : { value };
}

/** How the tables show one number of metrics.json. */
export interface MetricRow {
  /** The report's quantity, in the model's own notation: a CVAE's bounds are on log p(x | y). */
  label: (n: Notation) => string;
  section: "test" | "cvae";
  /** Whether the train section has it too (the report's train column). */
  train?: boolean;
  unit: string;
  /** Decimals shown (of the percentage, for a fraction). */
  digits: number;
  /** A fraction, shown as a percentage. */
  percent?: boolean;
  /** Its own text, where decimals alone do not say it. */
  format?: (value: number, metrics: Metrics) => string;
  /** The report's note beside a value: what it assumes, or a caveat ("" for none). */
  note?: (n: Notation, metrics: Metrics) => string;
  /**
   * Its column in the comparison: the head, the decimals there, and which of the two tables
   * (the bound and its terms, or training and the latent code) holds it. Without a table,
   * comparison.ts places it; without `compared`, the comparison leaves it out.
   */
  compared?: { head: string; digits?: number; table?: "bound" | "code" };
  /** Whether a run's value is at a limit, for the comparison's mark (†) and its note. */
  caveat?: (metrics: Metrics) => boolean;
}

/** The Fréchet distance's unit: squared distance between feature vectors, not nats. */
const FRECHET_UNIT = "squared classifier-feature distance";

/** A defined number the tables can show. */
type RowKey = keyof typeof DEFINITIONS & SectionKey;

/**
 * The report's metric rows in order, keyed by metrics.json's key: each row's definition is
 * DEFINITIONS[key]. The comparison's metric columns are the rows it names a head for.
 */
export const METRIC_ROWS = {
  negElbo: {
    label: (n) => `−ELBO, upper bound on −${n.evidence}`,
    section: "test",
    train: true,
    unit: NATS,
    digits: 2,
    note: (n) => n.evidence === "log p(x)" ? "β = 1" : "β = 1; y the true label",
    compared: { head: "−ELBO", table: "bound" },
  },
  distortion: {
    label: (n) => `distortion, E_${n.posterior}[−log ${n.likelihood}]`,
    section: "test",
    train: true,
    unit: NATS,
    digits: 2,
    compared: { head: "distortion", table: "bound" },
  },
  rate: {
    label: (n) => `rate, KL(${n.posterior} ‖ ${n.prior})`,
    section: "test",
    train: true,
    unit: NATS,
    digits: 2,
    note: (n) => n.priorLaw,
    compared: { head: "rate", table: "bound" },
  },
  bceMeanZ: { label: () => "BCE at z = μ", section: "test", unit: NATS, digits: 2 },
  bceSampledZ: { label: () => "BCE at sampled z", section: "test", unit: NATS, digits: 2 },
  mseMeanZ: {
    label: () => "MSE at z = μ",
    section: "test",
    unit: "squared error per example",
    digits: 3,
  },
  mseSampledZ: {
    label: () => "MSE at sampled z",
    section: "test",
    unit: "squared error per example",
    digits: 3,
  },
  mutualInformation: {
    label: () => "mutual information I(x; z), estimate",
    section: "test",
    unit: "nats",
    digits: 3,
    note: (_, metrics) => miNote(metrics.test),
    compared: { head: "MI (nats)", digits: 2, table: "code" },
    caveat: (metrics) => miSaturated(metrics.test),
  },
  logN: {
    label: () => "log N, the ceiling of the I(x; z) estimate",
    section: "test",
    unit: "nats",
    digits: 3,
    note: (_, metrics) => logNNote(metrics.test),
  },
  logPxGivenY: {
    label: () => "log p(x | y), ELBO bound",
    section: "cvae",
    unit: NATS,
    digits: 2,
    note: () => "y the true label; = −(−ELBO)",
  },
  logPx: {
    label: () => "log p(x) = log Σ_y p(y) p(x | y), ELBO bound",
    section: "cvae",
    unit: NATS,
    digits: 2,
    note: () => "uniform p(y), each label's ELBO",
  },
  sampleAccuracy: {
    label: () => "class-conditional sample accuracy",
    section: "cvae",
    unit: "%",
    digits: 1,
    percent: true,
    note: () => "decoded samples the classifier gives their conditioning class",
    compared: { head: "sample acc.", table: "code" },
  },
  frechet: {
    label: () => "Fréchet distance, prior samples to test images",
    section: "test",
    unit: FRECHET_UNIT,
    digits: 2,
    note: (_, metrics) => frechetNote(metrics.test.frechetSamples, metrics.test.frechetFloor),
    compared: { head: "Fréchet", table: "code" },
  },
  frechetFloor: {
    label: () => "Fréchet distance, train images to test images",
    section: "test",
    unit: FRECHET_UNIT,
    digits: 2,
    note: (_, metrics) =>
      frechetNote(metrics.test.frechetSamples) + "; the data-against-data floor",
    compared: { head: "Fréchet floor", table: "code" },
  },
  frechetClassMean: {
    label: () => "Fréchet distance per class, class samples to test images, mean",
    section: "cvae",
    unit: FRECHET_UNIT,
    digits: 2,
    note: (_, metrics) => frechetNote(undefined, metrics.cvae?.frechetClassMeanFloor),
    compared: { head: "class Fréchet", table: "code" },
  },
  frechetClassMeanFloor: {
    label: () => "Fréchet distance per class, train to test images, mean",
    section: "cvae",
    unit: FRECHET_UNIT,
    digits: 2,
    note: () => "the data-against-data floor per class; per_class.csv has each class",
  },
  activeUnits: {
    label: () => "active units",
    section: "test",
    unit: "latent dimensions",
    digits: 1,
    format: (units, metrics) => `${units} of ${metrics.test.latentDim}`,
    compared: { head: "active units" },
  },
} satisfies { [key in RowKey]?: MetricRow };

export type MetricKey = keyof typeof METRIC_ROWS;

/** Every row with its key, in the report's order. */
export const metricRows = (): [MetricKey, MetricRow][] =>
  Object.entries(METRIC_ROWS) as [MetricKey, MetricRow][];

/** A row's value as text: to its digits (of the percentage, for a fraction), or its own format. */
export function formatMetric(
  row: MetricRow,
  value: number,
  metrics: Metrics,
  digits = row.digits,
): string {
  if (row.format) return row.format(value, metrics);
  return (row.percent ? 100 * value : value).toFixed(digits);
}

/** Whether a split's MI estimate sits at its ceiling log N (see mi_ceiling.ts). */
export function miSaturated(test: TestMetrics): boolean {
  const [mi, logN] = [metric(test, "mutualInformation").value, metric(test, "logN").value];
  const dims = metric(test, "latentDim").value;
  return mi !== null && logN !== null && dims !== null && atMiCeiling(mi, logN, dims);
}

/** Beside a saturated MI estimate: that it is biased there, and why, never "a ≤ b". */
function miNote(test: TestMetrics): string {
  if (!miSaturated(test)) return "";
  return "saturated at its ceiling log N, so biased low: q(z) is the mean of the same N " +
    "posteriors (each z's own weighted 1/N), so the estimate cannot pass log N but by " +
    "noise; I(x; z) may be far larger";
}

/** What a Fréchet row is read with: its N, its direction, and the floor beside it. */
function frechetNote(samples: number | undefined, floor?: number | null): string {
  return [
    samples === undefined
      ? "per class, as many samples as images"
      : `N = ${formatCount(samples)} each`,
    "classifier features; lower is better",
    ...(typeof floor === "number" ? [`train against test images: ${floor.toFixed(2)}`] : []),
  ].join("; ");
}

function logNNote(test: TestMetrics): string {
  const logN = metric(test, "logN").value, dims = metric(test, "latentDim").value;
  if (logN === null || dims === null) return "";
  return `N = ${formatCount(Math.round(Math.exp(logN)))} test examples; the estimate can pass ` +
    `it by noise (sd ${miCeilingNoise(dims, logN).toFixed(3)})`;
}
