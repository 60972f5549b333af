/**
 * A sweep end to end through the CLI: three cells in two worker processes compute each key
 * once (the shared data split first), a second run is all cache hits, and changing one grid
 * value re-runs exactly the cells that hold it.
 */
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { tempDir } from "../pipeline/stage_testing.ts";
import { cli } from "./cli_testing.ts";

const FIXTURE = join(Deno.cwd(), "tests/fixtures/synthetic.yaml");

const sweepYaml = (wSigmas: number[]) =>
  `extends: ${FIXTURE}
train: { epochs: 1 }
sweep:
  baseline: kl
  variants:
    kl: {}
    sep:
      set: { loss.regularizer: separate-l2 }
      grid: { loss.wSigma: [${wSigmas.join(", ")}] }
`;

/** `stage key` of every stage that ran (not reused) in a command's output. */
function ranKeys(stdout: string): string[] {
  return stdout.split("\n")
    .map((line) => line.match(/^(?:\S+ {2})?(\w+) +([0-9a-f]{8}) {2}ran in /))
    .filter((m) => m !== null)
    .map((m) => `${m![1]} ${m![2]}`);
}

/** The entries of one stage in the store. */
async function entries(store: string, stage: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(store, stage))) names.push(entry.name);
  return names;
}

Deno.test("a sweep in two workers: each key once, then all hits, then only the changed cells", async () => {
  const dir = await tempDir("sweep-e2e-");
  const [store, reports, config] = [join(dir, "a"), join(dir, "r"), join(dir, "study.yaml")];
  const run = () => cli("run", config, "--jobs", "2", "--artifacts", store, "--reports", reports);
  try {
    await Deno.writeTextFile(config, sweepYaml([0.25, 1]));
    const first = await run();
    assertEquals(first.code, 0, first.stderr + first.stdout);
    const ran = ranKeys(first.stdout);
    assertEquals(ran.length, new Set(ran).size, `a key computed twice:\n${first.stdout}`);
    // One shared data split; three cells of train, evaluate and report.
    const count = (stage: string) => ran.filter((r) => r.startsWith(`${stage} `)).length;
    assertEquals([count("prepare"), count("train"), count("evaluate")], [1, 3, 3], first.stdout);
    assertEquals((await entries(store, "train")).length, 3);
    assert_(first.stdout.indexOf("prepare") < first.stdout.indexOf("worker processes"));
    // It ends with the sweep report's path; the report holds every cell's own report.
    const index = join(reports, "study", "index.html");
    assertEquals(first.stdout.trim().split("\n").at(-1), `sweep    ${index}`);
    const html = await Deno.readTextFile(index);
    for (const cell of ["kl", "sep/wSigma=0.25", "sep/wSigma=1"]) {
      assert_(html.includes(`href="cells/${cell}/index.html"`), `no link to ${cell}`);
      assert_((await Deno.stat(join(reports, "study", "cells", cell, "index.html"))).isFile);
    }

    const second = await run();
    assertEquals(second.code, 0, second.stderr);
    assertEquals(ranKeys(second.stdout), [], second.stdout);

    await Deno.writeTextFile(config, sweepYaml([0.25, 2]));
    // status shows the grid: a line per cell and the count; the jobs' keys need --jobs.
    const folders = ["--artifacts", store, "--reports", reports];
    const status = await cli("status", config, "--jobs", "2", ...folders);
    assertEquals(status.stdout.split("\n").filter(Boolean), [
      "study/kl  done",
      "study/sep/wSigma=0.25  done",
      "study/sep/wSigma=2  train missing (and 2 later stages)",
      "study: 3 cells: 2 done, 0 stale, 1 missing",
    ]);
    // Without --jobs, every core per run: other keys (the BLAS threads, the report's config).
    const otherCores = await cli("status", config, ...folders);
    assertIncludes(otherCores.stdout, "study: 3 cells: 0 done, ");
    const changed = await run();
    assertEquals(changed.code, 0, changed.stderr);
    const rerun = ranKeys(changed.stdout);
    // The changed cell's stages, and the sweep's report over it.
    assertEquals(rerun.map((r) => r.split(" ")[0]).sort(), [
      "evaluate",
      "report",
      "sweep",
      "train",
    ]);
    const cellLines = changed.stdout.split("\n")
      .filter((l) => / ran in /.test(l) && !l.startsWith("sweep "));
    assert_(cellLines.every((l) => l.startsWith("study/sep/wSigma=2  ")), changed.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
