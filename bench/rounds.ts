/**
 * Timed rounds and what they say about the machine. The machine is shared and noisy, so each
 * side runs several rounds and reports its best (the least disturbed), with the median
 * beside it; rounds far apart mean something else was running, and a ratio built on them
 * cannot be trusted, so each such side gets a warning.
 */

export interface Result {
  label: string;
  /** Samples per second of each round. */
  rounds: number[];
}

export const best = (r: Result) => Math.max(...r.rounds);

export const median = (r: Result) =>
  [...r.rounds].sort((a, b) => a - b)[Math.floor(r.rounds.length / 2)];

/** Rounds further apart than this (relative to the best) mean the machine was busy. */
export const NOISY = 0.2;

/** How far the slowest round fell below the best one, as a fraction of the best. */
export const spread = (r: Result) => (best(r) - Math.min(...r.rounds)) / best(r);

/** A warning for each side whose rounds disagree by over NOISY: its ratio cannot be trusted. */
export function noiseWarnings(results: Result[], what = "rounds"): string[] {
  return results.filter((r) => r.rounds.length > 1 && spread(r) > NOISY).map((r) =>
    `warning: ${r.label} ${what} differ by ${(spread(r) * 100).toFixed(0)}% ` +
    `(over ${NOISY * 100}%): the machine was busy; close other work and run again`
  );
}
