import { assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { formatOverSeeds, overSeeds, pairedDifferences } from "./over_seeds.ts";

Deno.test("overSeeds: mean, sample sd and the 95% t interval, by hand", () => {
  // 1, 2, 6: mean 3, sample variance (4 + 1 + 9) / 2 = 7, half-width 4.302653 · √7 / √3.
  const s = overSeeds([1, 2, null, 6])!;
  assertEquals(s.n, 3);
  assertClose(s.mean, 3, 1e-15);
  assertClose(s.sd!, Math.sqrt(7), 1e-14);
  const half = 4.302652730 * Math.sqrt(7 / 3);
  assertClose(s.interval!, [3 - half, 3 + half], 1e-8);
  assertEquals(formatOverSeeds(s, 2), "3.00 ± 2.65 [-3.57, 9.57]");
  // Five values: t_{0.975,4} = 2.776445. 10, 12, 11, 13, 14: mean 12, sd √2.5.
  const five = overSeeds([10, 12, 11, 13, 14])!;
  assertClose(five.interval![1] - 12, 2.776445105 * Math.sqrt(2.5 / 5), 1e-8);
});

Deno.test("overSeeds: one value is its mean alone, none is n/a", () => {
  assertEquals(overSeeds([4.5, null]), { n: 1, mean: 4.5, sd: null, interval: null });
  assertEquals(formatOverSeeds(overSeeds([4.5]), 1), "4.5");
  assertEquals(overSeeds([null]), null);
  assertEquals(formatOverSeeds(null, 1), "n/a");
});

Deno.test("pairedDifferences: per seed against the baseline's cell of that seed, else null", () => {
  const baseline = new Map([[0, 10], [1, 20]]);
  const cells = [{ seed: 0, v: 11 }, { seed: 1, v: 23 }, { seed: 2, v: 5 }, { seed: 0, v: null }];
  const diffs = pairedDifferences(
    cells,
    (c) => baseline.has(c.seed) ? { seed: c.seed, v: baseline.get(c.seed)! } : undefined,
    (c) => c.v,
  );
  assertEquals(diffs, [1, 3, null, null]);
  // Their mean and interval are those of the differences: 2 ± √2 [2 ∓ 12.706 · √2 / √2].
  const s = overSeeds(diffs)!;
  assertClose(s.interval!, [2 - 12.70620474, 2 + 12.70620474], 1e-7);
});
