import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
import { UserError } from "../pipeline/errors.ts";
import { tempDir } from "../pipeline/stage_testing.ts";

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

Deno.test("npy round trip keeps dtype, shape and values", () => {
  const cases = [
    { data: new Float32Array([0, 0.5, -1.25, 3e-8, 1e30, 7]), shape: [2, 3] },
    { data: new Uint8Array([0, 1, 127, 255]), shape: [4] },
    { data: new Int32Array([-2147483648, 0, 2147483647]), shape: [3, 1, 1] },
    { data: new Int32Array([42]), shape: [] },
    { data: new Float32Array(0), shape: [0, 28, 28] },
  ];
  for (const { data, shape } of cases) {
    const back = decodeNpy(encodeNpy(data, shape));
    assert.deepEqual(back.shape, shape);
    assert.equal(back.data.constructor, data.constructor);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  }
});

Deno.test("decodeNpy reads data that is not aligned for its type, and views what is", () => {
  const data = new Float32Array([1.5, -2, 3e-8, 7]);
  const file = encodeNpy(data, [2, 2]);
  // The same file one byte into a larger buffer: its floats start at an odd address.
  const shifted = new Uint8Array(file.length + 1);
  shifted.set(file, 1);
  const odd = decodeNpy(shifted.subarray(1));
  assert.deepEqual(Array.from(odd.data), Array.from(data));
  // Aligned, the array is a view of the bytes: no copy of a large file.
  const aligned = decodeNpy(file);
  assert.equal(aligned.data.buffer, file.buffer);
  assert.deepEqual(Array.from(aligned.data), Array.from(data));
});

Deno.test("readNpy reads a file whole, large or empty", async () => {
  const dir = await tempDir("npy-read");
  const large = Float32Array.from({ length: 300_000 }, (_, i) => Math.fround(i / 7));
  await writeNpy(join(dir, "large.npy"), large, [1000, 300]);
  const back = await readNpy(join(dir, "large.npy"));
  assert.deepEqual(back.shape, [1000, 300]);
  assert.deepEqual(back.data, large);
  await writeNpy(join(dir, "empty.npy"), new Uint8Array(0), [0]);
  assert.deepEqual((await readNpy(join(dir, "empty.npy"))).shape, [0]);
  // A pipe has no size in advance: every byte past the (zero) stat size is still read.
  const fifo = join(dir, "pipe.npy");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
  if (!made?.success) return; // no mkfifo here: the sized reads above are the test
  const [piped] = await Promise.all([readNpy(fifo), writeNpy(fifo, large, [1000, 300])]);
  assert.deepEqual(piped.data, large);
});

Deno.test("npy header bytes are exactly what numpy.save writes", () => {
  // Copied from `np.save` output (numpy 2.4): growth padding after the dict, then 64-byte alignment.
  const expected = [
    [
      new Float32Array(6),
      [2, 3],
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(58) + "\n",
    ],
    [
      new Uint8Array(5),
      [5],
      "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }" + " ".repeat(60) + "\n",
    ],
    [
      new Int32Array(1),
      [],
      "{'descr': '<i4', 'fortran_order': False, 'shape': (), }" + " ".repeat(62) + "\n",
    ],
  ] as const;
  for (const [data, shape, dict] of expected) {
    const bytes = encodeNpy(data, [...shape]);
    assert.equal(latin1(bytes.subarray(0, 10)), "\x93NUMPY\x01\x00v\x00");
    assert.equal(latin1(bytes.subarray(10, 128)), dict);
    assert.equal(bytes.length, 128 + data.byteLength);
  }
});

Deno.test("npy data always starts on a 64-byte boundary", () => {
  for (const shape of [[1], [12345], [2, 1, 3, 1, 2, 1, 1, 2, 1, 1, 3, 1], [60000, 28, 28]]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const bytes = encodeNpy(new Uint8Array(size), shape);
    const headerLength = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + headerLength) % 64, 0);
    assert.equal(bytes[10 + headerLength - 1], 0x0a); // '\n'
  }
});

Deno.test("decodeNpy rejects what it cannot read with one clear line", () => {
  const good = encodeNpy(new Float32Array([1, 2, 3, 4]), [2, 2]);
  const withHeader = (from: string, to: string) => {
    const text = latin1(good.subarray(10, 128)).replace(from, to);
    const bytes = good.slice();
    bytes.set(new TextEncoder().encode(text), 10);
    return bytes;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ["bad magic", new TextEncoder().encode("PK\x03\x04 not numpy"), /bad magic/],
    ["float64", withHeader("'<f4'", "'<f8'"), /dtype '<f8' is not supported/],
    ["big-endian", withHeader("'<f4'", "'>f4'"), /dtype '>f4' is not supported/],
    ["fortran order", withHeader("False", "True "), /Fortran order/],
    ["truncated", good.subarray(0, good.length - 3), /needs 16 data bytes but the file has 13/],
  ];
  for (const [label, bytes, message] of cases) {
    assert.throws(() => decodeNpy(bytes, "x.npy"), (e: unknown) => {
      assert.ok(e instanceof UserError, label);
      assert.match(e.message, /^x\.npy: /, label);
      assert.match(e.message, message, label);
      assert.ok(!e.message.includes("\n"), label);
      return true;
    });
  }
});

async function hasNumpy(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function python(script: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", { args: ["-c", script, ...args] }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `python failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

const numpy = await hasNumpy();

Deno.test({
  name: "numpy loads the files we write",
  ignore: !numpy,
  async fn() {
    const dir = await tempDir();
    try {
      const f32 = Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1);
      await writeNpy(join(dir, "a.npy"), f32, [2, 3, 4]);
      await writeNpy(join(dir, "b.npy"), Uint8Array.from([0, 9, 200, 255]), [4]);
      await writeNpy(join(dir, "c.npy"), Int32Array.from([-5, 70000]), [1, 2]);
      const report = await python(
        `
import json, sys, numpy as np
out = {}
for name in ["a", "b", "c"]:
    a = np.load(sys.argv[1] + "/" + name + ".npy")
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist()}
print(json.dumps(out))
`,
        dir,
      );
      const got = JSON.parse(report);
      assert.deepEqual(got.a.shape, [2, 3, 4]);
      assert.equal(got.a.dtype, "<f4");
      assert.deepEqual(got.a.values, Array.from(f32));
      assert.deepEqual(got.b, { dtype: "|u1", shape: [4], values: [0, 9, 200, 255] });
      assert.deepEqual(got.c, { dtype: "<i4", shape: [1, 2], values: [-5, 70000] });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "we read the files numpy writes, byte-identical to ours",
  ignore: !numpy,
  async fn() {
    const dir = await tempDir();
    try {
      await python(
        `
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/f.npy", (np.arange(60, dtype=np.float32) / 3).reshape(3, 4, 5))
np.save(d + "/u.npy", np.arange(7, dtype=np.uint8) * 30)
np.save(d + "/i.npy", np.array([[-1, 2], [3, -400000]], dtype=np.int32))
np.save(d + "/d.npy", np.zeros(3))
`,
        dir,
      );
      const f = await readNpy(join(dir, "f.npy"));
      assert.equal(f.dtype, "<f4");
      assert.deepEqual(f.shape, [3, 4, 5]);
      assert.deepEqual(
        Array.from(f.data),
        Array.from({ length: 60 }, (_, i) => Math.fround(i / 3)),
      );
      const u = await readNpy(join(dir, "u.npy"));
      assert.deepEqual([u.dtype, u.shape, Array.from(u.data)], [
        "|u1",
        [7],
        [0, 30, 60, 90, 120, 150, 180],
      ]);
      const i = await readNpy(join(dir, "i.npy"));
      assert.deepEqual([i.dtype, i.shape, Array.from(i.data)], ["<i4", [2, 2], [
        -1,
        2,
        3,
        -400000,
      ]]);
      // Same array, same bytes: our writer is a drop-in for np.save.
      for (const name of ["f", "u", "i"]) {
        const theirs = await Deno.readFile(join(dir, `${name}.npy`));
        const { data, shape } = await readNpy(join(dir, `${name}.npy`));
        assert.deepEqual(encodeNpy(data, shape), theirs);
      }
      await assert.rejects(readNpy(join(dir, "d.npy")), /d\.npy: dtype '<f8' is not supported/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("readNpy names a missing file", async () => {
  await assert.rejects(readNpy("/nonexistent/x.npy"), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^\/nonexistent\/x\.npy: file not found/);
    return true;
  });
});
