import { join } from "node:path";
import { readConfigSource, resolveConfig } from "./config.ts";
import { UserError } from "./errors.ts";
import { isOverride, overridePatch, parseOverride } from "./overrides.ts";
import { tempDir } from "./stage_testing.ts";
import { assert_, assertEquals, assertIncludes, assertThrows } from "./test_assert.ts";

Deno.test("an override is a YAML path, '=', and one YAML value or several", () => {
  assertEquals(parseOverride("train.epochs=5"), {
    text: "train.epochs=5",
    path: ["train", "epochs"],
    values: [5],
  });
  assertEquals(parseOverride("loss.beta=1,2,4").values, [1, 2, 4]);
  assertEquals(parseOverride("loss.regularizer=separate-l2").values, ["separate-l2"]);
  assertEquals(parseOverride("model.hidden=[512, 256]").values, [[512, 256]]);
  // Commas inside brackets and quotes do not split; a sweep of lists.
  assertEquals(parseOverride("model.hidden=[512,256],[64]").values, [[512, 256], [64]]);
  assertEquals(parseOverride('name="a,b"').values, ["a,b"]);
  assertEquals(parseOverride("train.learningRate=1e-3").values, [0.001]);
  assertEquals(parseOverride("data.classes=null").values, [null]);
  assertEquals(parseOverride("seed=0,1,2").path, ["seed"]);
});

Deno.test("override words are told from config files and stages", () => {
  assert_(isOverride("loss.beta=4"));
  assert_(isOverride("seed=1"));
  assert_(!isOverride("configs/vae.yaml"));
  assert_(!isOverride("a=b.yaml"), "a config file whose name holds '=' is a config");
  assert_(!isOverride("train"));
  assert_(!isOverride("--force=train"));
});

Deno.test("a bad override is one line: the word, what is wrong, the fix", () => {
  const cases: [string, string[]][] = [
    ["loss.beta=", ["loss.beta=", "a value is missing"]],
    ["loss.beta=1,,2", ["a value is missing"]],
    ["loss.beta=1,1", ["listed twice"]],
    ["loss..beta=1", ["not a YAML path like loss.beta"]],
    ["loss.beta=[1", ["is not a YAML value", "write lists as [a, b]"]],
  ];
  for (const [word, says] of cases) {
    const error = assertThrows(() => parseOverride(word));
    assert_(error instanceof UserError, String(error));
    assert_(!error.message.includes("\n"), error.message);
    for (const part of ["command line:", ...says]) assertIncludes(error.message, part);
  }
});

Deno.test("an override is checked against the schema with the YAML key's own errors", async () => {
  const dir = await tempDir("override-test-");
  try {
    const path = join(dir, "c.yaml");
    await Deno.writeTextFile(path, "loss:\n  beta: 2\n");
    const source = await readConfigSource(path);
    const resolve = (word: string) => resolveConfig(source, [overridePatch(parseOverride(word))]);
    assertEquals(resolve("loss.beta=4").loss.beta, 4, "the command line wins over the file");
    assertEquals(resolve("model.hidden=[64]").model.hidden, [64]);
    const cases: [string, string][] = [
      ["loss.bta=4", `command line: "loss.bta=4": unknown key loss.bta: did you mean "beta"?`],
      ["lss.beta=4", `command line: "lss.beta=4": unknown key lss: did you mean "loss"?`],
      ["loss.beta=-1", `command line: "loss.beta=-1": loss.beta must be ≥ 0, got -1`],
      ["loss.beta.x=1", `command line: "loss.beta.x=1": loss.beta is a value, not a mapping`],
      [
        "loss.regularizer=kll",
        `loss.regularizer must be one of "kl" | "split-kl" | "separate-l2" | "none" (did you ` +
        `mean "kl"?), got "kll"`,
      ],
    ];
    for (const [word, says] of cases) {
      const error = assertThrows(() => resolve(word));
      assert_(error instanceof UserError, String(error));
      assertIncludes(error.message, says);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
