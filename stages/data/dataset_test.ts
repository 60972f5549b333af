import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { sha256 } from "../../pipeline/hash.ts";
import { checkImageSize, classCounts, readSourceFile, select } from "./dataset.ts";
import { tempDir } from "../../pipeline/stage_testing.ts";

Deno.test("select copies the chosen images and labels in the given order", () => {
  const data = {
    images: Float32Array.from({ length: 3 * 4 }, (_, i) => i / 12),
    labels: Uint8Array.from([7, 8, 9]),
    height: 2,
    width: 2,
  };
  const picked = select(data, [2, 0]);
  assert.deepEqual(Array.from(picked.labels), [9, 7]);
  assert.deepEqual(
    Array.from(picked.images),
    [8, 9, 10, 11, 0, 1, 2, 3].map((v) => Math.fround(v / 12)),
  );
  assert.equal(picked.height, 2);
});

Deno.test("classCounts counts each label, keys in ascending order", () => {
  const counts = classCounts(Uint8Array.from([10, 2, 2, 0, 10, 10]));
  assert.deepEqual(counts, { "0": 1, "2": 2, "10": 3 });
  assert.deepEqual(Object.keys(counts), ["0", "2", "10"]);
});

Deno.test("readSourceFile hashes the file, and names a missing one with its config key", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir, "x.bin");
    await Deno.writeFile(path, Uint8Array.from([1, 2, 3]));
    const { bytes, file } = await readSourceFile(path, "data.csv.path");
    assert.deepEqual(Array.from(bytes), [1, 2, 3]);
    assert.deepEqual(file, { path, sha256: sha256(Uint8Array.from([1, 2, 3])), size: 3 });

    for (const bad of [join(dir, "missing.csv"), dir]) {
      await assert.rejects(readSourceFile(bad, "data.csv.path"), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.ok(e.message.startsWith(`${bad}: `), e.message);
        assert.match(e.message, /data\.csv\.path/);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSourceFile: devices, a FIFO, a NUL byte and an oversized file fail fast, one line", async () => {
  const dir = await tempDir();
  try {
    const big = join(dir, "big.idx");
    await Deno.writeFile(big, new Uint8Array(4096));
    const cases: [string, RegExp, number?][] = [
      ["/dev/zero", /^\/dev\/zero: is a character device, not a file \(data\.idx\.trainImages\)/],
      ["/dev/urandom", /^\/dev\/urandom: is a character device/],
      [join(dir, "x\0.idx"), /the path contains a NUL byte \(data\.idx\.trainImages\)/],
      [big, /big\.idx: is 4 KiB, over the 1 KiB limit for a data file/, 1024],
    ];
    const fifo = join(dir, "pipe.idx");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
    if (made?.success) cases.push([fifo, /pipe\.idx: is a FIFO \(named pipe\), not a file/]);
    for (const [path, pattern, limit] of cases) {
      const started = performance.now();
      await assert.rejects(readSourceFile(path, "data.idx.trainImages", limit), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes("\n"));
        return true;
      });
      assert.ok(performance.now() - started < 3000, `${path}: took too long`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkImageSize refuses images too big for the dense nets or the memory budget", () => {
  checkImageSize("ok.idx", "data.idx.trainImages", 60_000, 28, 28);
  assert.throws(
    () => checkImageSize("wide.idx", "data.idx.trainImages", 1, 300, 300),
    /wide\.idx: images are 300×300 = 90000 pixels, over the 65536 a model here can take \(data\.idx\.trainImages\)/,
  );
  assert.throws(
    () => checkImageSize("many.idx", "data.idx.trainImages", 10_000_000, 256, 256),
    /many\.idx: 10000000 images of 256×256 need .* as float32, over half the .* memory budget/,
  );
});
