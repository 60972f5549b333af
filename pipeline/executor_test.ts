import { assertEquals, assertThrows } from "./test_assert.ts";
import { type ExecutorBlock, resolveExecutor, resourcesOf, withCores } from "./executor.ts";
import { parseCommandLine } from "./command_line.ts";
import { join } from "node:path";
import { readConfigSource } from "./config.ts";
import { executorBlock } from "./executor.ts";
import { expandTargets } from "./sweep.ts";
import { tempDir } from "./stage_testing.ts";

const run = (path: string, executor?: ExecutorBlock) => ({ path, executor });

Deno.test("resolveExecutor: the command line over the configs' block, which must agree", () => {
  const block = { kind: "slurm" as const, partition: "long", time: "2:00:00", cpus: 4 };
  assertEquals(resolveExecutor({}, [run("a.yaml")]), { kind: "local", cpus: undefined });
  assertEquals(resolveExecutor({}, [run("a.yaml", block), run("b.yaml", block)]), block);
  assertEquals(
    resolveExecutor({ partition: "debug", cpus: 1 }, [run("a.yaml", block)]),
    { ...block, partition: "debug", cpus: 1 },
  );
  // --executor local runs here whatever the block says; its cpus are the command line's.
  assertEquals(resolveExecutor({ executor: "local" }, [run("a.yaml", block)]), {
    kind: "local",
    cpus: undefined,
  });
  assertThrows(
    () => resolveExecutor({}, [run("a.yaml", block), run("b.yaml", { ...block, cpus: 2 })]),
    "a.yaml and b.yaml have different executor: blocks",
  );
});

Deno.test("withCores: a task's cores are its BLAS threads unless the config sets them", () => {
  const unset: { blasThreads?: number } = {};
  assertEquals(withCores(unset, 3), { blasThreads: 3 });
  assertEquals(withCores({ blasThreads: 2 }, 3), { blasThreads: 2 });
  assertEquals(withCores(unset, undefined), {});
  assertEquals(resourcesOf({ kind: "slurm" }, 2), { cpus: 2 });
  assertEquals(resourcesOf({ kind: "slurm", cpus: 8, time: "90" }, 2), { cpus: 8, time: "90" });
});

Deno.test("the executor's options: each checked, one line each", () => {
  const parse = (...words: string[]) => parseCommandLine(["run", "a.yaml", ...words], ["train"]);
  assertEquals(parse("--executor", "slurm", "--cpus", "2", "--time", "1-12").executor, {
    executor: "slurm",
    cpus: 2,
    time: "1-12",
  });
  assertThrows(() => parse("--executor", "kube"), "--executor must be local or slurm");
  assertThrows(() => parse("--cpus", "0"), "--cpus must be a whole number of cores per task");
  assertThrows(() => parse("--time", "2h"), "--time must be a Slurm time");
  assertThrows(() => parse("--partition", "a b"), "--partition must be a Slurm partition name");
  assertThrows(() => parse("--executor", "slurm", "--jobs", "2"), "give one");
  assertThrows(
    () => parseCommandLine(["status", "a.yaml", "--executor", "slurm"], ["train"]),
    "status does not take --executor",
  );
});

Deno.test("a config's executor: block, validated with the file, line and path of a bad value", async () => {
  const dir = await tempDir("executor-");
  const write = async (text: string) => {
    const path = join(dir, "study.yaml");
    await Deno.writeTextFile(path, text);
    return await readConfigSource(path);
  };
  try {
    const source = await write("executor:\n  kind: slurm\n  time: '2:00:00'\n  cpus: 2\n");
    assertEquals(executorBlock(source), { kind: "slurm", time: "2:00:00", cpus: 2 });
    assertEquals(executorBlock(await write("seed: 1\n")), undefined);
    assertThrows(
      () => executorBlock({ ...source, raw: { executor: { kind: "slurm", tme: 9 } } }),
      'unknown key executor.tme: did you mean "time"?',
    );
    const bad = await write("seed: 1\nexecutor:\n  time: 2h\n");
    assertThrows(() => executorBlock(bad), `study.yaml:3: executor.time must be a Slurm time`);
    // The stages never see the block: it joins no key.
    await write("executor:\n  kind: slurm\n");
    const { runs } = await expandTargets([join(dir, "study.yaml")], [], undefined);
    assertEquals(["executor" in runs[0].config, runs[0].executor], [false, { kind: "slurm" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
