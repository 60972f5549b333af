/**
 * `deno task runs`: rows read from a store of real evaluate entries (metrics.json as the
 * report fixtures write it), their order, filters, the JSON shape, and entries that must be
 * skipped, not trusted nor fatal.
 */
import { join } from "node:path";
import { writeFixtures } from "../stages/render/test_fixtures.ts";
import { metricRows, renderPlainText } from "../stages/registry.ts";
import { parseCommandLine } from "./command_line.ts";
import { filterRuns, parseRunFilter, readRuns, type RunRow, runsDocument } from "./runs.ts";
import { fakeManifest } from "./store_fakes.ts";
import { ArtifactStore, type Manifest } from "./store.ts";
import { tempDir } from "./stage_testing.ts";
import { visibleWidth } from "./text_width.ts";
import { assert_, assertEquals, assertIncludes, assertThrows } from "./test_assert.ts";

const key = (digit: string) => digit.repeat(64);

/** metrics.json as evaluate writes it for a model kind (the fixtures' numbers). */
async function metricsText(kind: "vae" | "cvae-prior"): Promise<string> {
  const root = await tempDir("runs-fixture-");
  const { inputs } = await writeFixtures(root, { kind, size: 8 });
  return await Deno.readTextFile(join(inputs.evaluate, "metrics.json"));
}

interface Entry {
  key: string;
  train: string;
  name: string;
  seed: number;
  endedAt: string;
  /** Absent: an entry written before manifests recorded overrides. */
  overrides?: string[];
  resolved: unknown;
  metrics: string;
}

/** Publish an evaluate entry holding `metrics.json`, with a manifest saying what made it. */
async function publishEvaluate(store: ArtifactStore, entry: Entry): Promise<void> {
  const temp = await store.makeTempDir("evaluate", entry.key);
  await Deno.writeTextFile(join(temp, "metrics.json"), entry.metrics);
  const base = fakeManifest("evaluate", entry.key, { prepare: key("0"), train: entry.train });
  const config: Manifest["config"] = {
    name: entry.name,
    path: `configs/${entry.name}.yaml`,
    ...(entry.overrides ? { overrides: entry.overrides } : {}),
    resolved: entry.resolved,
  };
  await store.publish(temp, { ...base, config, seed: entry.seed, endedAt: entry.endedAt });
}

const resolved = (name: string, kind: string, beta: number, seed: number) => ({
  name,
  seed,
  model: { kind, latentDim: 3, hidden: [64] },
  loss: { regularizer: "kl", beta },
});

/** Three runs published out of time order; the middle one an older manifest. */
async function exampleStore(): Promise<ArtifactStore> {
  const store = new ArtifactStore(await tempDir("runs-store-"));
  const [vae, cvae] = [await metricsText("vae"), await metricsText("cvae-prior")];
  await publishEvaluate(store, {
    key: key("a"),
    train: key("1"),
    name: "vae@loss.beta=4",
    seed: 0,
    endedAt: "2026-03-02T10:00:00.000Z",
    overrides: ["loss.beta=4"],
    resolved: resolved("vae@loss.beta=4", "vae", 4, 0),
    metrics: vae,
  });
  await publishEvaluate(store, {
    key: key("b"),
    train: key("2"),
    name: "vae",
    seed: 0,
    endedAt: "2026-03-01T10:00:00.000Z",
    resolved: resolved("vae", "vae", 1, 0),
    metrics: vae,
  });
  await publishEvaluate(store, {
    key: key("c"),
    train: key("3"),
    name: "loss-balance/kl/seed1",
    seed: 1,
    endedAt: "2026-03-03T10:00:00.000Z",
    overrides: [],
    resolved: resolved("loss-balance/kl/seed1", "cvae-prior", 1, 1),
    metrics: cvae,
  });
  return store;
}

Deno.test("runs: one row per evaluate entry, oldest first, with its overrides, metrics and keys", async () => {
  const store = await exampleStore();
  const { runs, skipped } = await readRuns(store);
  assertEquals(skipped, []);
  assertEquals(runs.map((r) => r.row.name), ["vae", "vae@loss.beta=4", "loss-balance/kl/seed1"]);
  const [older, overridden, cvae] = runs.map((r) => r.row);
  // A manifest from before overrides were recorded reads as none.
  assertEquals(older.overrides, []);
  assertEquals(overridden.overrides, ["loss.beta=4"]);
  assertEquals(cvae.seed, 1);
  assertEquals(overridden.keys, { evaluate: key("a"), train: key("1") });
  assertEquals(overridden.endedAt, "2026-03-02T10:00:00.000Z");
  // The numbers are metrics.json's own, at full precision; null where one does not apply.
  const metrics = JSON.parse(await metricsText("cvae-prior"));
  assertEquals(cvae.metrics.negElbo, metrics.test.negElbo);
  assertEquals(cvae.metrics.sampleAccuracy, metrics.cvae.sampleAccuracy);
  assertEquals(older.metrics.sampleAccuracy, null);
  assertEquals(older.metrics.activeUnits, metrics.test.activeUnits);
});

Deno.test("runs --json: every row has one documented shape, full keys and every metric", async () => {
  const { runs } = await readRuns(await exampleStore());
  const rows: RunRow[] = JSON.parse(JSON.stringify(runs.map((r) => r.row)));
  const metricKeys = metricRows().map(([k]) => k).sort();
  for (const row of rows) {
    assertEquals(
      Object.keys(row).sort(),
      ["config", "endedAt", "keys", "metrics", "name", "overrides", "seed"],
    );
    assertEquals(Object.keys(row.metrics).sort(), metricKeys);
    assert_(/^[0-9a-f]{64}$/.test(row.keys.evaluate) && /^[0-9a-f]{64}$/.test(row.keys.train));
    assert_(Object.values(row.metrics).every((v) => v === null || typeof v === "number"));
  }
});

Deno.test("runs: filters by a part of the name, a glob, and config values (AND)", async () => {
  const { runs } = await readRuns(await exampleStore());
  const names = (...words: string[]) =>
    filterRuns(runs, words.map(parseRunFilter)).map((r) => r.row.name);
  assertEquals(names("vae"), ["vae", "vae@loss.beta=4"]);
  assertEquals(names("vae*"), ["vae", "vae@loss.beta=4"]);
  assertEquals(names("v?e"), ["vae"]); // a glob matches the whole name
  assertEquals(names("loss-balance/*/seed1"), ["loss-balance/kl/seed1"]);
  assertEquals(names("*beta=4"), ["vae@loss.beta=4"]);
  assertEquals(names("loss.beta=4"), ["vae@loss.beta=4"]);
  assertEquals(names("loss.beta=1,4"), ["vae", "vae@loss.beta=4", "loss-balance/kl/seed1"]);
  assertEquals(names("loss.beta=4.0"), ["vae@loss.beta=4"]); // YAML values, not their text
  assertEquals(names("model.kind=cvae-prior"), ["loss-balance/kl/seed1"]);
  assertEquals(names("model.hidden=[64]", "seed=0"), ["vae", "vae@loss.beta=4"]);
  assertEquals(names("vae", "loss.beta=1"), ["vae"]);
  assertEquals(names("seed=2"), []);
});

Deno.test("runs: a filter's typo or bad value is one line with the fix", async () => {
  const { runs } = await readRuns(await exampleStore());
  const filter = (word: string) => () => filterRuns(runs, [parseRunFilter(word)]);
  assertIncludes(assertThrows(filter("loss.bta=4")).message, "did you mean loss.beta?");
  // A name part spelled like a filter: the nearest key, and the glob that finds the name.
  assertIncludes(
    assertThrows(filter("beta=4")).message,
    "no run's config has beta; did you mean loss.beta? (in names: '*beta=4*')",
  );
  assertIncludes(assertThrows(filter("seed=[1")).message, "is not seed=<value>");
  assertIncludes(assertThrows(filter("seed=")).message, "is not seed=<value>");
  // With no runs there is nothing to check a key against, and nothing to list.
  assertEquals(filterRuns([], [parseRunFilter("loss.bta=4")]), []);
});

Deno.test("runs: corrupt entries are skipped with a note, never trusted nor fatal", async () => {
  const store = await exampleStore();
  const evaluate = join(store.root, "evaluate");
  // A file edited after publishing, a manifest cut short, and a file where an entry goes.
  await Deno.writeTextFile(join(evaluate, key("a"), "metrics.json"), "{}");
  const manifest = join(evaluate, key("b"), "manifest.json");
  await Deno.writeTextFile(manifest, (await Deno.readTextFile(manifest)).slice(0, 100));
  await Deno.writeTextFile(join(evaluate, key("d")), "not a folder");
  const { runs, skipped } = await readRuns(store);
  assertEquals(runs.map((r) => r.row.name), ["loss-balance/kl/seed1"]);
  assertEquals(skipped.length, 3);
  assertIncludes(skipped[0], "evaluate aaaaaaaa: metrics.json");
  assertIncludes(skipped[1], "evaluate bbbbbbbb: manifest.json is not valid JSON");
  assertIncludes(skipped[2], "evaluate dddddddd: the entry is not a folder");
  // A store with no evaluate entries yet, or none at all, has no runs.
  assertEquals(await readRuns(new ArtifactStore(join(store.root, "absent"))), {
    runs: [],
    skipped: [],
  });
});

Deno.test("runs: the table fits a terminal, and is one line per run in a pipe", async () => {
  const store = await exampleStore();
  const { runs } = await readRuns(store);
  const doc = runsDocument(runs, runs.length, "/s", []);
  const narrow = renderPlainText(doc, 80);
  assert_(narrow.split("\n").every((line) => visibleWidth(line) < 80), narrow);
  const wide = renderPlainText(doc, Infinity).split("\n");
  assertEquals(wide[0], "3 evaluated runs in /s, oldest first");
  const lines = wide.filter((line) => / [0-9a-f]{8} {2}[0-9a-f]{8} /.test(line));
  assertEquals(lines.map((line) => line.split(" ")[0]), [
    "vae",
    "vae@loss.beta=4",
    "loss-balance/kl/seed1",
  ]);
  // As the comparison shows them: its digits, a fraction as a percentage, n/a, units of d.
  assert_(
    /^vae@loss\.beta=4 +loss\.beta=4 +0 +71\.23 .* n\/a +2 of 3 +aaaaaaaa +11111111 +2026-03-02 10:00$/
      .test(lines[1]),
    lines[1],
  );
  assert_(/^vae +none /.test(lines[0]), lines[0]);
  assertIncludes(lines[2], " 91.0% ");
  const kept = filterRuns(runs, [parseRunFilter("vae")]);
  assertEquals(
    renderPlainText(runsDocument(kept, runs.length, "/s", ["vae"]), Infinity).split("\n")[0],
    "2 of 3 evaluated runs in /s matching vae, oldest first",
  );
  assertEquals(
    renderPlainText(runsDocument([], 0, "/s", []), 80),
    "0 evaluated runs in /s, oldest first\n",
  );
});

Deno.test("runs on the command line: filters are its words, --json its one option", () => {
  const args = parseCommandLine(["runs", "vae", "loss.beta=4", "--json"], ["train"]);
  assertEquals([args.command, args.targets, args.json], ["runs", ["vae", "loss.beta=4"], true]);
  assertEquals(parseCommandLine(["runs"], ["train"]).targets, []);
  assertIncludes(
    assertThrows(() => parseCommandLine(["runs", "--jsn"], ["train"])).message,
    "runs: unknown option --jsn; did you mean --json?",
  );
  assertIncludes(
    assertThrows(() => parseCommandLine(["runs", "--seeds", "1"], ["train"])).message,
    "runs does not take --seeds",
  );
  assertIncludes(
    assertThrows(() => parseCommandLine(["run", "c.yaml", "--json"], ["train"])).message,
    "run does not take --json",
  );
});
