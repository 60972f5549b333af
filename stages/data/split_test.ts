import assert from "node:assert/strict";
import { Rng } from "../../lib/rng.ts";
import { filterClasses, quotas, stratifiedSplit, stratifiedSubset } from "./split.ts";

/** 1000 labels with unequal classes: 0 → 500, 1 → 300, 2 → 150, 7 → 50, interleaved. */
const labels = Uint8Array.from({ length: 1000 }, (_, i) => {
  const k = i % 20;
  return k < 10 ? 0 : k < 16 ? 1 : k < 19 ? 2 : 7;
});

function countsOf(indices: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const i of indices) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return counts;
}

Deno.test("quotas sum to k and stay within 1 of each class's exact share", () => {
  const counts = new Map([[0, 7], [1, 5], [2, 3], [9, 1]]);
  for (let k = 0; k <= 16; k++) {
    const q = quotas(counts, k);
    assert.equal([...q.values()].reduce((a, b) => a + b, 0), k);
    for (const [label, n] of counts) {
      assert.ok(Math.abs(q.get(label)! - (n * k) / 16) < 1, `k=${k} class ${label}`);
      assert.ok(q.get(label)! <= n);
    }
  }
});

Deno.test("stratifiedSplit: disjoint, complete, proportional and seeded", () => {
  const { train, test } = stratifiedSplit(labels, 0.2, new Rng(1).fork("split"));
  assert.equal(test.length, 200);
  assert.equal(train.length, 800);
  assert.deepEqual([...train, ...test].sort((a, b) => a - b), Array.from(labels.keys()));
  assert.deepEqual(countsOf(test), new Map([[0, 100], [1, 60], [2, 30], [7, 10]]));

  const again = stratifiedSplit(labels, 0.2, new Rng(1).fork("split"));
  assert.deepEqual(again, { train, test });
  const other = stratifiedSplit(labels, 0.2, new Rng(2).fork("split"));
  assert.notDeepEqual(other.test, test);
  // Seeded random order, not the source's order.
  assert.notDeepEqual(test, [...test].sort((a, b) => a - b));
});

Deno.test("stratifiedSplit keeps every class within ±1 of its share for awkward fractions", () => {
  for (const fraction of [0.01, 0.13, 0.333, 0.5, 0.9]) {
    const { test } = stratifiedSplit(labels, fraction, new Rng(3));
    assert.equal(test.length, Math.round(1000 * fraction));
    const counts = countsOf(test);
    for (const [label, n] of countsOf(Array.from(labels.keys()))) {
      const share = (n * test.length) / 1000;
      assert.ok(Math.abs((counts.get(label) ?? 0) - share) < 1, `${fraction}: class ${label}`);
    }
  }
});

Deno.test("stratifiedSubset takes a proportional subset, or everything when the limit is loose", () => {
  const subset = stratifiedSubset(labels, 100, new Rng(4));
  assert.equal(new Set(subset).size, 100);
  assert.deepEqual(countsOf(subset), new Map([[0, 50], [1, 30], [2, 15], [7, 5]]));
  assert.deepEqual(stratifiedSubset(labels, null, new Rng(4)), Array.from(labels.keys()));
  assert.deepEqual(stratifiedSubset(labels, 5000, new Rng(4)), Array.from(labels.keys()));
});

Deno.test("filterClasses keeps the listed labels in source order", () => {
  const small = Uint8Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
  assert.deepEqual(filterClasses(small, [1, 9]), [1, 3, 5]);
  assert.deepEqual(filterClasses(small, null), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(filterClasses(small, [8]), []);
});
