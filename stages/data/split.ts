/**
 * Seeded, stratified choices of examples: the train/test split, samples and subsets that keep
 * each class's share, and filtering by class.
 */
import type { Rng } from "../../lib/rng.ts";

/**
 * How many of `k` picks each class gets so that the sample keeps the class proportions:
 * the largest-remainder method, so quotas sum to exactly `k` and each is within 1 of its
 * exact share. Integer arithmetic and label-order tie breaks keep it deterministic.
 */
export function quotas(counts: Map<number, number>, k: number): Map<number, number> {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const rows = [...counts].sort(([a], [b]) => a - b).map(([label, n]) => ({
    label,
    quota: Math.floor((n * k) / total),
    remainder: (n * k) % total,
  }));
  let left = k - rows.reduce((sum, r) => sum + r.quota, 0);
  for (const row of [...rows].sort((a, b) => b.remainder - a.remainder || a.label - b.label)) {
    if (left-- <= 0) break;
    row.quota++;
  }
  return new Map(rows.map((r) => [r.label, r.quota]));
}

/**
 * Pick `k` of the examples, stratified by label. Both parts come back in a seeded random
 * order, so a source stored class by class (like the mnist package) is not left sorted.
 */
export function stratifiedSample(
  labels: Uint8Array,
  k: number,
  rng: Rng,
): { chosen: number[]; rest: number[] } {
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const left = quotas(counts, k);
  const chosen: number[] = [];
  const rest: number[] = [];
  // Walking a random permutation and taking each class's first `quota` members picks a
  // uniformly random subset within every class.
  for (const i of rng.shuffle(Array.from(labels.keys()))) {
    const quota = left.get(labels[i])!;
    if (quota > 0) {
      chosen.push(i);
      left.set(labels[i], quota - 1);
    } else {
      rest.push(i);
    }
  }
  return { chosen, rest };
}

/** Hold out `testFraction` of the examples (rounded), stratified by label. */
export function stratifiedSplit(
  labels: Uint8Array,
  testFraction: number,
  rng: Rng,
): { train: number[]; test: number[] } {
  const { chosen, rest } = stratifiedSample(labels, Math.round(labels.length * testFraction), rng);
  return { train: rest, test: chosen };
}

/** At most `limit` examples, stratified by label; all of them, in order, if there are no more. */
export function stratifiedSubset(labels: Uint8Array, limit: number | null, rng: Rng): number[] {
  if (limit === null || limit >= labels.length) return Array.from(labels.keys());
  return stratifiedSample(labels, limit, rng).chosen;
}

/** Indices of the examples whose label is in `classes` (all of them when `classes` is null). */
export function filterClasses(labels: Uint8Array, classes: number[] | null): number[] {
  const keep = classes === null ? null : new Set(classes);
  const out: number[] = [];
  labels.forEach((label, i) => {
    if (keep === null || keep.has(label)) out.push(i);
  });
  return out;
}
