/**
 * What the CLI prints when its output is not a terminal (a pipe, a CI log): a header per run
 * when there are several, whole lines only, and the progress of long loops as a line at
 * their start and end.
 */
import { join } from "node:path";
import { tempDir, tempFile } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { cli, denoTask } from "./cli_testing.ts";

const CONFIG = "tests/fixtures/synthetic.yaml";

/** The header lines of an output, in order. */
const headers = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("── "));

Deno.test("several runs: a header names each config before its lines; one run: none", async () => {
  const store = await tempDir("cli-output-store-");
  const other = await tempFile(".yaml");
  await Deno.writeTextFile(other, `extends: ${Deno.cwd()}/${CONFIG}\nname: other\n`);

  const one = await cli("status", CONFIG, "--artifacts", store);
  assertEquals(one.code, 0, one.stderr);
  assertEquals(headers(one.stdout), []);

  const two = await cli("status", CONFIG, other, "--artifacts", store);
  assertEquals(two.code, 0, two.stderr);
  assertEquals(headers(two.stdout), [`── ${CONFIG} (synthetic) ──`, `── ${other} (other) ──`]);
  // Each header comes before its run's stage lines.
  const blocks = two.stdout.trim().split("\n\n");
  assertEquals(blocks.map((b) => b.split("\n")[0]), headers(two.stdout));
  assert_(blocks.every((b) => b.includes("\nprepare ")), two.stdout);

  const seeds = await cli("status", CONFIG, "--seeds", "3,4", "--artifacts", store);
  assertEquals(headers(seeds.stdout), [
    `── ${CONFIG}, seed 3 (synthetic-seed3) ──`,
    `── ${CONFIG}, seed 4 (synthetic-seed4) ──`,
  ]);
});

Deno.test("in a pipe: no carriage return; training's epochs and a loop's start and end", async () => {
  const store = await tempDir("cli-output-store-");
  const reports = await tempDir("cli-output-reports-");
  const run = await cli("run", CONFIG, "--artifacts", store, "--reports", reports);
  assertEquals(run.code, 0, run.stderr);
  assert_(!run.stdout.includes("\r") && !run.stdout.includes("\x1b"), JSON.stringify(run.stdout));
  const lines = run.stdout.split("\n");
  const train = lines.filter((l) => l.startsWith("train"));
  // 480 training examples in batches of 50, for 2 epochs: 20 steps.
  assertEquals(train[0], "train  0/20");
  assertEquals(train.filter((l) => l.startsWith("train epoch ")).length, 2);
  assert_(/^train {2}20\/20 {2}in /.test(train.at(-2)!), train.join("\n"));
  assertIncludes(train.at(-1)!, "ran in");
  assertIncludes(run.stdout, "\nevaluate IW  0/");
  assertIncludes(await Deno.readTextFile(join(reports, "synthetic", "index.html")), "synthetic");
});

Deno.test("--json: stdout holds only JSON (status, compare, runs), the rest goes to stderr", async () => {
  const store = await tempDir("cli-output-store-");
  const reports = await tempDir("cli-output-reports-");
  const folders = ["--artifacts", store, "--reports", reports];
  const before = await cli("status", CONFIG, "--json", ...folders);
  assertEquals(before.code, 0, before.stderr);
  const [planned] = JSON.parse(before.stdout);
  assertEquals(planned.name, "synthetic");
  // prepare, classify (the Fréchet distance's features), train, evaluate, report.
  assertEquals(planned.stages.map((s: { state: string }) => s.state), [
    "stale",
    "stale",
    "stale",
    "stale",
    "stale",
  ]);
  assertEquals(planned.stages[0].why, "never run");

  assertEquals((await cli("run", CONFIG, ...folders)).code, 0);
  const status = JSON.parse((await cli("status", CONFIG, "--json", ...folders)).stdout);
  assertEquals(status[0].stages.map((s: { state: string }) => s.state), [
    "cached",
    "cached",
    "cached",
    "cached",
    "cached",
  ]);
  const evaluate = status[0].stages.find((s: { stage: string }) => s.stage === "evaluate").key;

  const compare = await cli("compare", CONFIG, "--json", ...folders);
  assertEquals(compare.code, 0, compare.stderr);
  const table = JSON.parse(compare.stdout);
  assertEquals(table.report, join(reports, "comparison", "index.html"));
  assertEquals(table.rows.map((r: Record<string, string>) => r.config), ["synthetic"]);
  assertEquals(table.rows[0].evaluate, evaluate.slice(0, 8));
  assertIncludes(compare.stderr, "compare  ");

  // Through the launcher: `runs` is granted no write at all.
  const runs = await denoTask(["runs", "--json", "--artifacts", store]);
  assertEquals(runs.code, 0, runs.stderr);
  const [row] = JSON.parse(runs.stdout);
  assertEquals([row.name, row.overrides, row.keys.evaluate], ["synthetic", [], evaluate]);
  assertEquals(typeof row.metrics.negElbo, "number");

  // A run with a command-line override is its own run, listed with the override.
  const overridden = await cli("run", CONFIG, "train.epochs=1", ...folders);
  assertEquals(overridden.code, 0, overridden.stderr);
  assertIncludes(overridden.stdout, join(reports, "synthetic@train.epochs=1", "index.html"));
  const listed = await denoTask(["runs", "train.epochs=1", "--json", "--artifacts", store]);
  assertEquals(
    JSON.parse(listed.stdout).map((
      r: { name: string; overrides: string[] },
    ) => [r.name, r.overrides]),
    [["synthetic@train.epochs=1", ["train.epochs=1"]]],
  );
});
