import { join } from "node:path";
import { loadConfig } from "./config.ts";
import { expandTargets } from "./sweep.ts";
import { UserError } from "./errors.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";
import { tempDir } from "./stage_testing.ts";

async function writeConfigs(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("config-test-");
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return dir;
}

Deno.test("an empty mapping resolves to the typed defaults, named after its file", async () => {
  const dir = await writeConfigs({ "plain.yaml": "{}\n" });
  const config = await loadConfig(join(dir, "plain.yaml"));
  assertEquals(config.name, "plain");
  assertEquals(config.seed, 0);
  assertEquals(config.model.kind, "vae");
  assertEquals(config.model.latentDim, 2);
  assertEquals(config.train.batchSize, 100);
  assertEquals(config.data.limit, { train: null, test: null });
});

Deno.test("extends overlays the child on its parent: mappings merge, lists replace", async () => {
  const dir = await writeConfigs({
    "base.yaml": "seed: 7\nmodel:\n  hidden: [512, 256]\n  latentDim: 8\ntrain:\n  epochs: 3\n",
    "mid.yaml": "extends: base.yaml\nmodel:\n  hidden: [64]\n",
    "leaf.yaml": "extends: mid.yaml\nname: leafy\nmodel:\n  kind: cvae-prior\n",
  });
  const config = await loadConfig(join(dir, "leaf.yaml"));
  assertEquals(config.name, "leafy");
  assertEquals(config.seed, 7);
  assertEquals(config.model.hidden, [64]);
  assertEquals(config.model.latentDim, 8);
  assertEquals(config.model.kind, "cvae-prior");
  assertEquals(config.train.epochs, 3);
});

/** Each bad config, and what its one-line error must say (file:line, YAML path, value, fix). */
const BAD_CONFIGS: [string, Record<string, string>, string[]][] = [
  ["unknown key, with a suggestion", { "c.yaml": "model:\n  latentDm: 3\n" }, [
    "c.yaml:2:",
    "unknown key model.latentDm",
    'did you mean "latentDim"?',
  ]],
  ["unknown top-level section", { "c.yaml": "trainer:\n  epochs: 3\n" }, [
    "c.yaml:1:",
    "unknown key trainer",
    'did you mean "train"?',
  ]],
  ["unknown key with no close match lists the valid ones", { "c.yaml": "loss:\n  zzz: 1\n" }, [
    "unknown key loss.zzz",
    "valid keys here: regularizer, beta",
  ]],
  ["negative batch size", { "c.yaml": "train:\n  batchSize: -4\n" }, [
    "c.yaml:2:",
    "train.batchSize must be > 0, got -4",
  ]],
  ["fractional integer", { "c.yaml": "model:\n  latentDim: 2.5\n" }, [
    "model.latentDim must be an integer, got 2.5",
  ]],
  ["string where a number goes", { "c.yaml": "train:\n  learningRate: fast\n" }, [
    'train.learningRate must be a number, got "fast"',
  ]],
  ["bad enum value, with a suggestion", { "c.yaml": "data:\n  source: mnst\n" }, [
    "data.source must be one of",
    '(did you mean "mnist"?), got "mnst"',
  ]],
  ["bad list element", { "c.yaml": "model:\n  hidden: [256, 0]\n" }, [
    "model.hidden[1] must be > 0, got 0",
  ]],
  ["scalar where a mapping goes", { "c.yaml": "model: 5\n" }, [
    "model must be a mapping, got 5",
  ]],
  ["missing source settings", { "c.yaml": "data:\n  source: idx\n" }, [
    'data.idx is required when data.source is "idx"',
  ]],
  [
    "best-validation without a validation split",
    { "c.yaml": "train:\n  keep: best-validation\n" },
    [
      "train.keep needs a validation split: set train.validationFraction > 0",
    ],
  ],
  ["an integer past 2^53 names the schema's bound and the value as written", {
    "c.yaml": "seed: 9007199254740993\n",
  }, ["c.yaml:1:", "seed must be ≤ 2147483647, got 9007199254740993"]],
  ["a huge negative integer names the schema's bound", {
    "c.yaml": "train:\n  epochs: -90071992547409930\n",
  }, ["c.yaml:2:", "train.epochs must be > 0, got -90071992547409930"]],
  ["an integer just past the schema's bound", { "c.yaml": "seed: 2147483648\n" }, [
    "seed must be ≤ 2147483647, got 2147483648",
  ]],
  ["YAML syntax error", { "c.yaml": "model: [1, 2\n" }, ["c.yaml:", "invalid YAML"]],
  ["duplicate key", { "c.yaml": "seed: 1\nseed: 2\n" }, ["c.yaml:2:", "invalid YAML"]],
  ["a list at the top", { "c.yaml": "- 1\n- 2\n" }, ["c.yaml: a config must be a mapping"]],
  ["missing file", {}, ["c.yaml: file not found; check the config path"]],
  ["missing parent", { "c.yaml": "extends: nope.yaml\n" }, [
    "nope.yaml: file not found (extends in ",
    "c.yaml:1); fix the extends path",
  ]],
  ["extends cycle", { "c.yaml": "extends: d.yaml\n", "d.yaml": "extends: c.yaml\n" }, [
    "extends forms a cycle",
  ]],
  ["error in a parent points at the parent's line", {
    "c.yaml": "extends: p.yaml\nseed: 3\n",
    "p.yaml": "seed: 1\ntrain:\n  epochs: 0\n",
  }, ["p.yaml:3:", "train.epochs must be > 0, got 0"]],
];

for (const [what, files, parts] of BAD_CONFIGS) {
  Deno.test(`config error: ${what}`, async () => {
    const dir = await writeConfigs(files);
    const error = await assertRejects(() => loadConfig(join(dir, "c.yaml")));
    assert_(error instanceof UserError, `expected a UserError, got ${error}`);
    assert_(!error.message.includes("\n"), `not one line: ${error.message}`);
    for (const part of parts) assertIncludes(error.message, part);
    // Loading a config never writes: the directory holds exactly what the test put there.
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(entries, Object.keys(files).sort());
  });
}

Deno.test("data paths are relative to the config file that sets them", async () => {
  const dir = await writeConfigs({
    "base.yaml": "data:\n  source: csv\n  csv:\n    path: data/pixels.csv\n",
  });
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "leaf.yaml"), "extends: ../base.yaml\n");
  const config = await loadConfig(join(dir, "sub", "leaf.yaml"));
  assertEquals(config.data.csv?.path, join(dir, "data", "pixels.csv"));
});

Deno.test("every shipped config under configs/ loads", async () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (path.endsWith(".yaml")) files.push(path);
    }
  };
  walk(new URL("../configs", import.meta.url).pathname);
  assert_(files.length >= 5, `found only ${files.length} configs`);
  // A sweep's every cell resolves too.
  for (const file of files) await expandTargets([file], [], undefined);
});
