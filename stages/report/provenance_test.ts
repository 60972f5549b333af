import { assertEquals } from "../../pipeline/test_assert.ts";
import { describeVersion } from "./provenance.ts";

Deno.test("the project version as the report shows it: short commit, and whether it was dirty", () => {
  const commit = "3f9a2c1d04ab9c8e7f6a5b4c3d2e1f0a9b8c7d6e";
  assertEquals(describeVersion({ commit, dirty: false }), "3f9a2c1d04ab");
  assertEquals(describeVersion({ commit, dirty: true }), "3f9a2c1d04ab (uncommitted changes)");
  assertEquals(describeVersion({ commit, dirty: null }), "3f9a2c1d04ab (changes unknown)");
  assertEquals(describeVersion({ commit: null, dirty: null }), "unknown");
  assertEquals(describeVersion(undefined), "unknown"); // an entry made before versions were kept
});
