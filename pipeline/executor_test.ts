import { assertEquals, assertThrows } from "./test_assert.ts";
import { resolveExecutor, resourcesOf, withCores } from "./executor.ts";
import { parseCommandLine } from "./command_line.ts";

const run = (path: string, executor?: object) => ({ path, config: { executor } as never });

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
