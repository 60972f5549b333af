import { Rng } from "../../lib/rng.ts";
import { assert_, assertEquals } from "../../pipeline/test_assert.ts";
import type { Dataset } from "../data/dataset.ts";
import { examplesOf, isBinary, relabelled, subset } from "./examples.ts";

const data: Dataset = {
  images: Float32Array.from({ length: 3 * 4 }, (_, i) => (i % 4) / 4),
  labels: Uint8Array.from([7, 3, 7]),
  height: 2,
  width: 2,
};

Deno.test("examples: class indices, subsets, relabelling, without touching the split", () => {
  const ex = examplesOf(data, [3, 7]);
  assertEquals(ex.classIndex, Int32Array.from([1, 0, 1]));
  assertEquals([ex.n, ex.inputDim], [3, 4]);
  const part = subset(ex, [2, 1]);
  assertEquals(part.labels, Uint8Array.from([7, 3]));
  assertEquals(part.x, Float32Array.from([0, 0.25, 0.5, 0.75, 0, 0.25, 0.5, 0.75]));
  assertEquals(relabelled(ex, 0).classIndex, Int32Array.from([0, 0, 0]));
  assertEquals(ex.classIndex, Int32Array.from([1, 0, 1]));
  assert_(!isBinary(ex.x));
});

Deno.test("a binarizer draws each pixel once, seeded, and leaves the split as it was", () => {
  const grey = data.images.slice();
  const a = examplesOf(data, [3, 7], new Rng(9));
  const b = examplesOf(data, [3, 7], new Rng(9));
  assert_(isBinary(a.x));
  assertEquals(a.x, b.x);
  assertEquals(data.images, grey);
  assert_(a.x.every((v, i) => grey[i] > 0 || v === 0), "a pixel of grey level 0 stays 0");
});
