import assert from "node:assert/strict";
import { Rng } from "../../lib/rng.ts";
import type { Dataset } from "./dataset.ts";
import { makeSynthetic, SHAPES } from "./synthetic.ts";

function classMeans(d: Dataset, classes: number): Float64Array[] {
  const pixels = d.height * d.width;
  const sums = Array.from({ length: classes }, () => new Float64Array(pixels));
  const counts = new Array(classes).fill(0);
  d.labels.forEach((label, i) => {
    counts[label]++;
    for (let p = 0; p < pixels; p++) sums[label][p] += d.images[i * pixels + p];
  });
  return sums.map((s, c) => s.map((v) => v / counts[c]));
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>, offset = 0) => {
  let sum = 0;
  for (let p = 0; p < a.length; p++) sum += (a[p] - b[offset + p]) ** 2;
  return Math.sqrt(sum);
};

Deno.test("synthetic data is seeded, balanced and in [0, 1]", () => {
  const params = { count: 103, size: 8 as const, classes: 4, noise: 0.1 };
  const a = makeSynthetic(params, new Rng(1));
  const b = makeSynthetic(params, new Rng(1));
  const c = makeSynthetic(params, new Rng(2));
  assert.deepEqual(a.train.images, b.train.images);
  assert.notDeepEqual(a.train.images, c.train.images);
  assert.equal(a.train.images.length, 103 * 64);
  assert.ok(a.train.images.every((v) => v >= 0 && v <= 1));
  const counts = [0, 0, 0, 0];
  for (const label of a.train.labels) counts[label]++;
  assert.deepEqual(counts, [26, 26, 26, 25]);
  assert.equal(a.test, null);
  assert.deepEqual(a.files, []);
});

Deno.test("every synthetic class is a distinct shape a nearest-mean classifier recognises", () => {
  assert.equal(SHAPES.length, 10);
  for (const size of [8, 28] as const) {
    const params = { count: 2000, size, classes: 10, noise: 0.1 };
    const fit = makeSynthetic(params, new Rng(7)).train;
    const held = makeSynthetic(params, new Rng(8)).train;
    const means = classMeans(fit, 10);
    // Class means are far apart (RMS difference per pixel).
    for (let i = 0; i < 10; i++) {
      for (let j = i + 1; j < 10; j++) {
        const rms = distance(means[i], means[j]) / size;
        assert.ok(rms > 0.1, `size ${size}: ${SHAPES[i].name} vs ${SHAPES[j].name}: ${rms}`);
      }
    }
    // ...and fresh samples are told apart by the nearest class mean: the data is learnable.
    const pixels = size * size;
    let correct = 0;
    held.labels.forEach((label, i) => {
      const d = means.map((m) => distance(m, held.images, i * pixels));
      if (d.indexOf(Math.min(...d)) === label) correct++;
    });
    assert.ok(correct / held.labels.length > 0.9, `size ${size}: accuracy ${correct / 2000}`);
  }
});
