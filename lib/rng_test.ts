import assert from "node:assert/strict";
import { Rng, xoshiro128StarStar } from "./rng.ts";

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.next());

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

Deno.test("xoshiro128** matches the reference C implementation", () => {
  // From prng.di.unimi.it/xoshiro128starstar.c, started at state {1, 2, 3, 4}.
  const state = Uint32Array.from([1, 2, 3, 4]);
  const got = Array.from({ length: 8 }, () => xoshiro128StarStar(state));
  assert.deepEqual(got, [
    11520,
    0,
    5927040,
    70819200,
    2031721883,
    1637235492,
    1287239034,
    3734860849,
  ]);
});

Deno.test("the same seed gives the same sequence; another seed another", () => {
  assert.deepEqual(draws(new Rng(7), 100), draws(new Rng(7), 100));
  assert.notDeepEqual(draws(new Rng(7), 100), draws(new Rng(8), 100));
  assert.notDeepEqual(draws(new Rng(0), 100), draws(new Rng(2 ** 31 - 1), 100));
  for (const x of draws(new Rng(3), 1000)) assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
});

Deno.test("fork: labelled, reproducible, and independent of the parent's position", () => {
  const a = new Rng(1);
  const b = new Rng(1);
  draws(b, 17); // the parent's position must not matter
  assert.deepEqual(draws(a.fork("split"), 50), draws(b.fork("split"), 50));
  assert.notDeepEqual(draws(a.fork("split"), 50), draws(a.fork("noise"), 50));
  assert.notDeepEqual(draws(new Rng(1).fork("split"), 50), draws(new Rng(2).fork("split"), 50));
  assert.notDeepEqual(draws(a.fork("split"), 50), draws(new Rng(1), 50));
  // Nested forks are distinct from flat ones, even when labels concatenate the same way.
  assert.notDeepEqual(draws(a.fork("a").fork("b"), 50), draws(a.fork("ab"), 50));
  assert.notDeepEqual(draws(a.fork("a").fork("b"), 50), draws(a.fork("b").fork("a"), 50));
  // Forking does not consume the parent's draws.
  const c = new Rng(1);
  c.fork("x");
  assert.deepEqual(draws(c, 10), draws(new Rng(1), 10));
});

Deno.test("uniform() is in [0, 1) with mean 1/2 and variance 1/12", () => {
  const rng = new Rng(11);
  const n = 200_000;
  const xs = Array.from({ length: n }, () => rng.uniform());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const { mean, variance } = moments(xs);
  // Five standard errors: a seeded test, so this is a fixed check, not a flaky one.
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 5 * Math.sqrt(1 / 180 / n), `variance ${variance}`);
});

Deno.test("int(n) is uniform on [0, n) by a chi-square test", () => {
  const rng = new Rng(5);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) counts[rng.int(10)]++;
  assert.ok(chiSquare(counts) < 27.88, `chi2 ${chiSquare(counts)}`); // df 9, p = 0.001

  // With n = 3·2^30 plain `next() % n` would make the lowest third twice as likely
  // as the others; rejection sampling must not.
  const n = 3 * 2 ** 30;
  const thirds = [0, 0, 0];
  for (let i = 0; i < 30_000; i++) {
    const r = rng.int(n);
    assert.ok(Number.isInteger(r) && r >= 0 && r < n);
    thirds[Math.floor(r / 2 ** 30)]++;
  }
  assert.ok(chiSquare(thirds) < 13.82, `chi2 ${chiSquare(thirds)} for ${thirds}`); // df 2
  assert.equal(new Rng(1).int(1), 0);
  assert.throws(() => rng.int(0), RangeError);
  assert.throws(() => rng.int(2.5), RangeError);
});

Deno.test("normal() has mean 0, variance 1 and Gaussian tails", () => {
  const rng = new Rng(13);
  const n = 200_000;
  const xs = Array.from({ length: n }, () => rng.normal());
  const { mean, variance } = moments(xs);
  assert.ok(Math.abs(mean) < 5 * Math.sqrt(1 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
  const beyond2 = xs.filter((x) => Math.abs(x) > 2).length / n; // 0.0455 for N(0, 1)
  assert.ok(Math.abs(beyond2 - 0.0455) < 0.003, `P(|x| > 2) = ${beyond2}`);
});

Deno.test("shuffle() permutes in place, reproducibly, with every order equally likely", () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = new Rng(2).shuffle(a);
  assert.equal(shuffled, a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(2).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);

  const rng = new Rng(3);
  const orders = new Map<string, number>();
  for (let i = 0; i < 60_000; i++) {
    const key = rng.shuffle(["a", "b", "c"]).join("");
    orders.set(key, (orders.get(key) ?? 0) + 1);
  }
  assert.equal(orders.size, 6);
  assert.ok(chiSquare([...orders.values()]) < 20.52, `orders ${[...orders]}`); // df 5
});

Deno.test("the constructor rejects seeds that are not non-negative integers", () => {
  for (const seed of [-1, 0.5, NaN, Infinity]) assert.throws(() => new Rng(seed), RangeError);
});
