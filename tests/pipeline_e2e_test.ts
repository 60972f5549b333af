/**
 * End to end through the CLI, as a user runs it: a synthetic config twice (the second run
 * is all cache hits and writes nothing), `status`, `verify`, and a bad config that fails
 * with one line and writes nothing.
 */
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { listFiles } from "../pipeline/folders.ts";
import { tempDir, tempFile } from "../pipeline/stage_testing.ts";
import { cli } from "./cli_testing.ts";

const CONFIG = "tests/fixtures/synthetic.yaml";

async function fileStamps(dir: string): Promise<string[]> {
  const names = await listFiles(dir);
  return await Promise.all(names.map(async (name) => {
    const info = await Deno.stat(join(dir, name));
    return `${name} ${info.size} ${info.mtime?.getTime()}`;
  }));
}

Deno.test("run twice: the second run is all cache hits and writes nothing", async () => {
  const store = await tempDir("e2e-store-");
  const reports = await tempDir("e2e-reports-");
  const first = await cli("run", CONFIG, "--artifacts", store, "--reports", reports);
  assertEquals(first.code, 0, first.stderr);
  assertIncludes(first.stdout, "prepare");
  assertIncludes(first.stdout, "ran in");

  const before = await fileStamps(store);
  const second = await cli("run", CONFIG, "--artifacts", store, "--reports", reports);
  assertEquals(second.code, 0, second.stderr);
  const lines = second.stdout.trim().split("\n");
  // A vae has no class samples to judge, but the Fréchet distance needs the classifier.
  const stages = ["prepare", "classify", "train", "evaluate", "report"];
  assertEquals(lines.map((l) => l.split(" ")[0]), [...stages, "report"], second.stdout);
  assert_(lines.slice(0, -1).every((l) => l.includes("  cached  ")), second.stdout);
  assertEquals(lines.at(-1), `report   ${join(reports, "synthetic", "index.html")}`);
  assert_((await Deno.stat(join(reports, "synthetic", "index.html"))).isFile);
  assertEquals(await fileStamps(store), before);

  const compared = await cli("compare", CONFIG, "--artifacts", store, "--reports", reports);
  assertEquals(compared.code, 0, compared.stderr);
  const evaluateKey = lines.find((l) => l.startsWith("evaluate"))!.split(/\s+/)[1];
  // Piped, compare prints comparison.md: a Markdown table, its columns padded to line up.
  assert_(/^\| synthetic +\| vae +\| KL, β = 1 +\|/m.test(compared.stdout), compared.stdout);
  assertIncludes(compared.stdout, `\`${evaluateKey}\``);

  const status = await cli("status", CONFIG, "--artifacts", store);
  assertEquals(status.code, 0, status.stderr);
  assert_(status.stdout.trim().split("\n").every((l) => l.endsWith("cached")), status.stdout);

  const changed = await tempFile(".yaml");
  await Deno.writeTextFile(
    changed,
    `extends: ${Deno.cwd()}/${CONFIG}\ndata:\n  testFraction: 0.3\n`,
  );
  const stale = await cli("status", changed, "--artifacts", store);
  assertIncludes(stale.stdout, "stale: param data.testFraction 0.2 → 0.3");
  // compare and report read the store only: a run that was never made is named, not made.
  for (const command of ["compare", "report"]) {
    const missing = await cli(command, changed, "--artifacts", store, "--reports", reports);
    assertEquals(missing.code, 1, missing.stdout);
    assertIncludes(missing.stderr, "is not in the store");
    assertIncludes(missing.stderr, `deno task run ${changed}`);
  }

  const verify = await cli("verify", CONFIG, "--artifacts", store);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  assertIncludes(verify.stdout, "identical");

  // Seeds: the config's own seed (1) reuses its artifacts; seed 2 is a run of its own.
  const seeded = ["--seeds", "1,2", "--artifacts", store, "--reports", reports];
  const sweep = await cli("run", CONFIG, ...seeded);
  assertEquals(sweep.code, 0, sweep.stderr);
  const trainLines = sweep.stdout.split("\n").filter((l) => /^train +[0-9a-f]{8} /.test(l));
  assertEquals(trainLines.length, 2, sweep.stdout);
  assertIncludes(trainLines[0], "  cached  ");
  assertIncludes(trainLines[1], "ran in");
  const overSeeds = await cli("compare", CONFIG, ...seeded);
  assertEquals(overSeeds.code, 0, overSeeds.stderr);
  assert_(/^\| synthetic-seed2 \| vae +\|/m.test(overSeeds.stdout), overSeeds.stdout);
  assert_(/^\| synthetic +\| 1, 2 +\|/m.test(overSeeds.stdout), overSeeds.stdout);
});

Deno.test("a bad config fails with one line naming the place and the fix, and writes nothing", async () => {
  const store = join(await tempDir(), "never-created");
  const bad = await tempFile(".yaml");
  await Deno.writeTextFile(bad, "train:\n  batchSiz: 10\n");
  const result = await cli("run", bad, "--artifacts", store);
  assertEquals(result.code, 1);
  assertEquals(result.stdout, "");
  const message = result.stderr.trim();
  assert_(!message.includes("\n"), message);
  assertIncludes(message, `${bad}:2: unknown key train.batchSiz: did you mean "batchSize"?`);
  let exists = true;
  await Deno.stat(store).catch(() => exists = false);
  assert_(!exists, "the artifact store must not be created for an invalid config");
});
