import { configSchema } from "../stages/registry.ts";
import { checkDistinctNames, parseSeeds, withSeeds } from "./seeds.ts";
import { UserError } from "./errors.ts";
import { MAX_NAME_LENGTH } from "./names.ts";
import { assert_, assertEquals, assertIncludes, assertThrows } from "./test_assert.ts";

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

Deno.test("withSeeds refuses, before anything runs, a name that the seed suffix makes too long", () => {
  const long = "n".repeat(MAX_NAME_LENGTH); // a valid `name:` on its own
  const config = { ...configSchema.parse({}), name: long };
  const error = assertThrows(() =>
    withSeeds([{ path: "/cfg/long.yaml", config }], [0, 1, 2, 3, 5])
  );
  assert_(error instanceof UserError, `expected a UserError, got ${error}`);
  const message = error.message;
  assert_(!message.includes("\n"), message);
  assertIncludes(message, "/cfg/long.yaml: under --seeds the run name ");
  assertIncludes(message, `"${"n".repeat(20)}…-seed0" (106 characters)`);
  assertIncludes(message, `is longer than ${MAX_NAME_LENGTH} characters`);
  assertIncludes(message, "shorten `name:` in the config");
  assertIncludes(message, "at most 94 characters");
  assert_(!message.includes("n".repeat(21)), `the name is quoted whole: ${message}`);
  // A name that fits with its longest suffix passes.
  const fits = { ...config, name: "n".repeat(MAX_NAME_LENGTH - "-seed5".length) };
  assertEquals(withSeeds([{ path: "f.yaml", config: fits }], [5])[0].config.name.length, 100);
});

Deno.test("checkDistinctNames refuses two runs of one name, after --seeds has named them", () => {
  const config = (name: string) => ({ ...configSchema.parse({}), name });
  const runs = [
    { path: "a/syn.yaml", config: config("syn") },
    { path: "b/syn.yaml", config: config("syn") },
  ];
  const publish = assertThrows(() => checkDistinctNames(runs, "publish"));
  assert_(publish instanceof UserError, String(publish));
  assertIncludes(publish.message, 'b/syn.yaml: config name "syn" is also a/syn.yaml\'s');
  assertIncludes(publish.message, "do not overwrite each other in reports/syn");
  const compare = assertThrows(() => checkDistinctNames(runs, "compare"));
  assertIncludes(compare.message, "so the comparison can tell them apart");
  const seeded = assertThrows(() => checkDistinctNames(withSeeds(runs, [0, 1]), "publish"));
  assertIncludes(seeded.message, 'b/syn.yaml: run name "syn-seed0" is also a/syn.yaml\'s');
  // Different names, and one config's seeds, pass.
  checkDistinctNames([runs[0], { path: "c.yaml", config: config("syn-seed1") }], "publish");
  checkDistinctNames(withSeeds([runs[0]], [0, 1]), "publish");
});
