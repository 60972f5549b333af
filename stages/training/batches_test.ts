import { Rng } from "../../lib/rng.ts";
import { assert_, assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { binarizeInPlace, classIndices, epochBatches } from "./batches.ts";

Deno.test("class indices follow the card's label list, not the raw labels", () => {
  assertEquals(Array.from(classIndices(Uint8Array.from([5, 3, 5]), [3, 5])), [1, 0, 1]);
  assertThrows(() => classIndices(Uint8Array.from([7]), [3, 5]), "label 7 is not in classes");
});

Deno.test("epoch batches cover the order exactly once, the last one short", () => {
  const images = Float32Array.from({ length: 5 * 4 }, (_, i) => Math.floor(i / 4) / 10);
  const data = { images, labels: Uint8Array.from([0, 1, 0, 1, 0]), height: 2, width: 2 };
  const drawn = epochBatches(data, Int32Array.from([0, 1, 0, 1, 0]), [4, 2, 0, 3, 1], 2);
  // Each batch's pixels live until the next is drawn (one buffer, reused): keep copies.
  const buffers = new Set<ArrayBufferLike>();
  const batches = Array.from(drawn, (batch) => {
    buffers.add(batch.x.buffer);
    return { ...batch, x: batch.x.slice() };
  });
  assertEquals(buffers.size, 1);
  assertEquals(batches.map((b) => b.size), [2, 2, 1]);
  assertEquals(Array.from(batches[0].x), [0.4, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.2].map(Math.fround));
  assertEquals(Array.from(batches[2].classIndex), [1]);
});

Deno.test("dynamic binarization gives 0/1 pixels that are 1 as often as their grey level", () => {
  const x = new Float32Array(40_000).fill(0.3);
  binarizeInPlace(x, new Rng(4));
  assert_(x.every((v) => v === 0 || v === 1));
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  // Binomial standard error √(0.3·0.7/40000) ≈ 0.0023: 5 standard errors.
  assert_(Math.abs(mean - 0.3) < 0.012, `mean ${mean}`);
});
