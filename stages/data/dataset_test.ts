import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { sha256 } from "../../pipeline/hash.ts";
import { classCounts, readSourceFile, select } from "./dataset.ts";

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
  const dir = await Deno.makeTempDir();
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
