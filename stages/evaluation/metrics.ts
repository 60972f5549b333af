/**
 * evaluate's metrics.json as its readers see it: the sections and how a number that does
 * not apply is written (null, with its reason), and the accessor that reads one number.
 */

/**
 * A number the evaluation could not give (e.g. the ELBO of an `ae`) is null, with its
 * reason either beside it as `{value: null, reason}` or in the section's `reasons` map.
 */
export type Metric = number | null | { value: number | null; reason?: string };
export type MetricSection = Record<string, unknown> & { reasons?: Record<string, string> };

/** evaluate's metrics.json; every number is in `units` (nats per example) unless named. */
export interface EvalMetrics {
  likelihood: string;
  units: string;
  /** The evaluated model: its kind says what the numbers bound (see render/notation.ts). */
  model?: { kind: string; regularizer: string; beta: number };
  test: MetricSection & { iw?: { k: number; logLikelihood: number; stdError: number }[] };
  train: MetricSection;
  aggregatePosterior?: { mean: number[]; variance: number[] };
  cvae?: MetricSection;
}

/** A metric's value and, when it is null, why. */
export function metric(
  section: MetricSection | undefined,
  key: string,
): { value: number | null; reason?: string } {
  const raw = section?.[key] as Metric | undefined;
  const value = typeof raw === "number" ? raw : raw?.value ?? null;
  const reason = (typeof raw === "object" ? raw?.reason : undefined) ?? section?.reasons?.[key];
  return value === null && reason ? { value, reason } : { value };
}
