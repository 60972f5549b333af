import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { UserError } from "../../pipeline/errors.ts";
import { decodeIdx, encodeIdx, IDX_IMAGES, IDX_LABELS, loadIdx } from "./idx.ts";
import { tempDir } from "../../pipeline/stage_testing.ts";

const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
const images = encodeIdx(pixels, [3, 2, 2]);
const labels = encodeIdx(Uint8Array.from([4, 0, 9]), [3]);

/** `fn` throws a one-line UserError that starts with `path` and matches `pattern`. */
function assertDataError(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
}

Deno.test("encodeIdx writes the standard header: magic, big-endian sizes, bytes", () => {
  assert.deepEqual(Array.from(labels), [0, 0, 8, 1, 0, 0, 0, 3, 4, 0, 9]);
  assert.deepEqual(Array.from(images.subarray(0, 16)), [
    0,
    0,
    8,
    3,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    2,
  ]);
});

Deno.test("decodeIdx reads plain and gzipped files alike", () => {
  for (const bytes of [images, gzipSync(images)]) {
    const { dims, data } = decodeIdx(bytes, IDX_IMAGES, "x", "data.idx.trainImages");
    assert.deepEqual(dims, [3, 2, 2]);
    assert.deepEqual(data, pixels);
  }
});

Deno.test("decodeIdx rejects bad magic, swapped files, truncation, trailing bytes, bad gzip", () => {
  const key = "data.idx.trainImages";
  const wrongMagic = images.slice();
  wrongMagic[2] = 0x0d; // float data, not unsigned bytes
  assertDataError(
    () => decodeIdx(wrongMagic, IDX_IMAGES, "a.idx", key),
    "a.idx",
    /magic number is 0x00000d03, expected 0x00000803/,
  );
  assertDataError(
    () => decodeIdx(labels, IDX_IMAGES, "l.idx", key),
    "l.idx",
    /looks like a labels file, check data\.idx\.trainImages/,
  );
  assertDataError(
    () => decodeIdx(images.subarray(0, images.length - 1), IDX_IMAGES, "t.idx", key),
    "t.idx",
    /truncated: its header says 3×2×2 = 12 bytes of data but it holds 11/,
  );
  assertDataError(
    () => decodeIdx(images.subarray(0, 10), IDX_IMAGES, "h.idx", key),
    "h.idx",
    /truncated inside its header/,
  );
  assertDataError(
    () => decodeIdx(Uint8Array.from([...images, 0]), IDX_IMAGES, "x.idx", key),
    "x.idx",
    /trailing bytes/,
  );
  assertDataError(
    () => decodeIdx(gzipSync(images).subarray(0, 20), IDX_IMAGES, "g.gz", key),
    "g.gz",
    /not a valid gzip file/,
  );
  assert.equal(decodeIdx(labels, IDX_LABELS, "l", key).dims[0], 3);
});

Deno.test("loadIdx reads train and test pairs, scales to [0, 1] and records the files", async () => {
  const dir = await tempDir();
  try {
    const path = (name: string) => join(dir, name);
    await Deno.writeFile(path("train-images.gz"), gzipSync(images));
    await Deno.writeFile(path("train-labels"), labels);
    await Deno.writeFile(
      path("test-images"),
      encodeIdx(Uint8Array.from([255, 0, 0, 51]), [1, 2, 2]),
    );
    await Deno.writeFile(path("test-labels"), encodeIdx(Uint8Array.from([2]), [1]));

    const trainOnly = await loadIdx({
      trainImages: path("train-images.gz"),
      trainLabels: path("train-labels"),
    });
    assert.equal(trainOnly.test, null);
    assert.equal(trainOnly.name, path("train-images.gz"));
    assert.deepEqual(Array.from(trainOnly.train.labels), [4, 0, 9]);
    assert.deepEqual(
      Array.from(trainOnly.train.images),
      Array.from(pixels, (v) => Math.fround(v / 255)),
    );

    const both = await loadIdx({
      trainImages: path("train-images.gz"),
      trainLabels: path("train-labels"),
      testImages: path("test-images"),
      testLabels: path("test-labels"),
    });
    assert.deepEqual(Array.from(both.test!.images), [1, 0, 0, 0.2].map(Math.fround));
    assert.deepEqual(both.files.map((f) => f.path), [
      path("train-images.gz"),
      path("train-labels"),
      path("test-images"),
      path("test-labels"),
    ]);
    assert.equal(both.files[1].size, labels.length);

    // Labels that do not belong to the images.
    await Deno.writeFile(path("two-labels"), encodeIdx(Uint8Array.from([1, 2]), [2]));
    await assert.rejects(
      loadIdx({ trainImages: path("train-images.gz"), trainLabels: path("two-labels") }),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.startsWith(`${path("two-labels")}: has 2 labels but `) &&
        e.message.includes("has 3 images"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeIdx stops a gzip that unpacks past the limit (a gzip bomb)", () => {
  const bomb = gzipSync(encodeIdx(new Uint8Array(1_000_000), [1000, 1000]));
  assertDataError(
    () => decodeIdx(bomb, IDX_IMAGES, "bomb.gz", "data.idx.trainImages", 100_000),
    "bomb.gz",
    /unpacks to more than 97\.7 KiB, the limit for a data file \(data\.idx\.trainImages\)/,
  );
});

Deno.test("loadIdx refuses /dev/urandom and images too large for the nets, before allocating", async () => {
  const dir = await tempDir();
  try {
    const labelsPath = join(dir, "labels");
    await Deno.writeFile(labelsPath, encodeIdx(Uint8Array.from([1, 2]), [2]));
    const started = performance.now();
    await assert.rejects(
      loadIdx({ trainImages: "/dev/urandom", trainLabels: labelsPath }),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.startsWith(
          "/dev/urandom: is a character device, not a file (data.idx.trainImages)",
        ),
    );
    assert.ok(performance.now() - started < 3000);

    const wide = join(dir, "wide");
    await Deno.writeFile(wide, encodeIdx(new Uint8Array(2 * 300 * 300), [2, 300, 300]));
    await assert.rejects(
      loadIdx({ trainImages: wide, trainLabels: labelsPath }),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.startsWith(`${wide}: images are 300×300 = 90000 pixels, over the 65536`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
