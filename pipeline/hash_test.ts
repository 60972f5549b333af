import { join } from "node:path";
import {
  assert_,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "./test_assert.ts";
import { listFiles, listTree } from "./folders.ts";
import { canonicalJson, hashFile, hashValue, sha256 } from "./hash.ts";
import { tempDir, tempFile } from "./stage_testing.ts";

Deno.test("canonicalJson sorts keys at every depth, so key order never changes a hash", () => {
  const a = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } };
  const b = { a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 };
  assertEquals(canonicalJson(a), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
  assertEquals(hashValue(a), hashValue(b));
});

Deno.test("canonicalJson keeps array order and drops undefined members", () => {
  assertNotEquals(hashValue([1, 2]), hashValue([2, 1]));
  assertEquals(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
});

Deno.test("canonicalJson rejects NaN and Infinity instead of hashing them as null", () => {
  assertThrows(() => canonicalJson({ lr: NaN }), "$.lr is NaN");
  assertThrows(() => canonicalJson([Infinity]), "$[0] is Infinity");
});

Deno.test("sha256 matches the published test vector", () => {
  assertEquals(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("hashFile equals sha256 of the bytes and reports the size", async () => {
  const path = await tempFile();
  const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
  await Deno.writeFile(path, bytes);
  assertEquals(await hashFile(path), { sha256: sha256(bytes), size: bytes.length });
  await Deno.remove(path);
});

Deno.test("hashFile with regularOnly refuses a FIFO and a symlink without opening them", async () => {
  const dir = await tempDir();
  const fifo = join(dir, "weights.bin");
  assert_((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success, "mkfifo");
  await Deno.symlink("/dev/zero", join(dir, "zero"));
  await Deno.writeTextFile(join(dir, "real"), "abc");
  await Deno.symlink(join(dir, "real"), join(dir, "link"));
  await assertRejects(
    () => hashFile(fifo, { regularOnly: true, label: "weights.bin" }),
    "weights.bin is not a regular file (a FIFO)",
  );
  await assertRejects(() => hashFile(join(dir, "zero"), { regularOnly: true }), "(a symlink)");
  await assertRejects(() => hashFile(join(dir, "link"), { regularOnly: true }), "(a symlink)");
  assertEquals(await hashFile(join(dir, "real"), { regularOnly: true }), {
    sha256: sha256("abc"),
    size: 3,
  });
});

Deno.test("listTree names symlinks and special files by kind and never enters a linked folder", async () => {
  const dir = await tempDir();
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "a.txt"), "a");
  assert_((await new Deno.Command("mkfifo", { args: [join(dir, "sub", "p")] }).output()).success);
  await Deno.symlink(join(dir, "sub"), join(dir, "linked-dir"));
  await Deno.symlink("/dev/null", join(dir, "null"));
  assertEquals(await listTree(dir), [
    { path: "linked-dir", kind: "symlink" },
    { path: "null", kind: "symlink" },
    { path: "sub/a.txt", kind: "file" },
    { path: "sub/p", kind: "FIFO" },
  ]);
  assertEquals(await listFiles(dir), ["linked-dir", "null", "sub/a.txt", "sub/p"]);
});
