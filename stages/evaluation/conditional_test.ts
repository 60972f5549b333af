import { Rng } from "../../lib/rng.ts";
import { assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import type { Model } from "../model/networks.ts";
import { classDistanceRows, classLatents, classMeanRows, logPxFromLabels } from "./conditional.ts";
import { mean } from "./stats.ts";

Deno.test("log p(x) from per-label bounds: log of the mean of exp(ELBO) over labels", () => {
  // Two examples, two labels, −ELBO per (example, label).
  const perLabel = Float64Array.from([10, 12, 1000, 1000]);
  const logPx = logPxFromLabels(perLabel, 2);
  assertClose(logPx[0], Math.log((Math.exp(-10) + Math.exp(-12)) / 2), 1e-12);
  assertClose(logPx[1], -1000, 1e-9); // equal bounds: the mean changes nothing; no underflow
});

Deno.test("class mean table and pairwise distances", () => {
  const means = Float32Array.from([0, 0, 3, 4, 0, 4]);
  assertEquals(classMeanRows(means, [2, 5, 7], 2), [
    { label: 2, z0: 0, z1: 0 },
    { label: 5, z0: 3, z1: 4 },
    { label: 7, z0: 0, z1: 4 },
  ]);
  const rows = classDistanceRows(means, [2, 5, 7], 2);
  assertEquals(rows[0], { label: 2, to_2: 0, to_5: 5, to_7: 4 });
  assertEquals(rows[1].to_7, 3);
  assertEquals(rows[2].to_5, 3);
});

Deno.test("class latents: m draws per class around μ^Y (cvae-prior) or 0 (cvae-concat)", () => {
  const model = { params: { latentDim: 2 }, numClasses: 2 } as unknown as Model;
  const means = Float32Array.from([5, -5, -3, 1]);
  const m = 4000;
  const { z, classIndex } = classLatents(model, means, m, new Rng(4));
  assertEquals(classIndex.slice(m - 1, m + 1), Int32Array.from([0, 1]));
  const dimOf = (k: number, j: number) =>
    Float64Array.from({ length: m }, (_, i) => z[(k * m + i) * 2 + j]);
  assertClose([0, 1].flatMap((k) => [0, 1].map((j) => mean(dimOf(k, j)))), means, 0.1);
  const centred = classLatents(model, null, m, new Rng(4)).z;
  assertClose(mean(centred), 0, 0.05);
});
