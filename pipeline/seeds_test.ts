import { configSchema } from "./config_schema.ts";
import { parseSeeds, withSeeds } from "./seeds.ts";
import { assertEquals, assertIncludes, assertThrows } from "./test_assert.ts";

Deno.test("--seeds parses distinct non-negative integers and names what is wrong", () => {
  assertEquals(parseSeeds("0,1, 2"), [0, 1, 2]);
  for (const bad of ["", "1,1", "-1", "1.5", "a", "4294967296"]) {
    const error = assertThrows(() => parseSeeds(bad));
    assertIncludes(error.message, `got "${bad}"`);
  }
});

Deno.test("withSeeds runs each config once per seed, named by it and grouped under it", () => {
  const config = { ...configSchema.parse({ seed: 7 }), name: "vae" };
  assertEquals(withSeeds([{ path: "v.yaml", config }], undefined), [{ path: "v.yaml", config }]);
  const runs = withSeeds([{ path: "v.yaml", config }], [0, 3]);
  assertEquals(runs.map((r) => [r.config.name, r.config.seed, r.group]), [
    ["vae-seed0", 0, "vae"],
    ["vae-seed3", 3, "vae"],
  ]);
  assertEquals(runs[1].config.model, config.model);
});
