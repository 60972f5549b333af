/**
 * A number summarized over a handful of seeds: its mean, sample standard deviation and the
 * 95% confidence interval of the mean, mean ± t_{0.975, n−1} · sd / √n (Student's t with
 * n − 1 degrees of freedom: the seeds' spread is estimated from the seeds themselves). And
 * paired differences: two variants compared seed by seed, the same seed's split, initial
 * weights and batches on both sides, so the spread they share cancels.
 */
import { mean, variance } from "../evaluation/stats.ts";
import { tQuantile } from "./student_t.ts";

export const CONFIDENCE = 0.95;

export interface OverSeeds {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null with one value. */
  sd: number | null;
  /** The 95% t interval of the mean; null with one value. */
  interval: [number, number] | null;
}

/** The summary of the values that exist, or null when none does. */
export function overSeeds(values: (number | null)[]): OverSeeds | null {
  const present = values.filter((v): v is number => v !== null);
  const n = present.length;
  if (n === 0) return null;
  const m = mean(present);
  if (n === 1) return { n, mean: m, sd: null, interval: null };
  const sd = Math.sqrt((variance(present) * n) / (n - 1));
  const half = tQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * sd / Math.sqrt(n);
  return { n, mean: m, sd, interval: [m - half, m + half] };
}

/** `mean ± sd [low, high]`, the mean alone for one value, n/a for none. */
export function formatOverSeeds(summary: OverSeeds | null, digits: number): string {
  if (!summary) return "n/a";
  const f = (v: number) => v.toFixed(digits);
  if (!summary.interval || summary.sd === null) return f(summary.mean);
  const [low, high] = summary.interval;
  return `${f(summary.mean)} ± ${f(summary.sd)} [${f(low)}, ${f(high)}]`;
}

/**
 * Per cell, `value(cell) − value(its partner)`, the partner being the baseline's cell at the
 * same seed: null where either is missing (no baseline cell at that seed, or the metric does
 * not apply).
 */
export function pairedDifferences<T>(
  cells: T[],
  partner: (cell: T) => T | undefined,
  value: (cell: T) => number | null,
): (number | null)[] {
  return cells.map((cell) => {
    const baseline = partner(cell);
    const [a, b] = [value(cell), baseline === undefined ? null : value(baseline)];
    return a === null || b === null ? null : a - b;
  });
}
