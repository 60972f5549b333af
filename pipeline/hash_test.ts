import { assertEquals, assertNotEquals, assertThrows } from "./test_assert.ts";
import { canonicalJson, hashFile, hashValue, sha256 } from "./hash.ts";
import { tempFile } from "./stage_testing.ts";

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
