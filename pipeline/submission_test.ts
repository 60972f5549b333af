import { join } from "node:path";
import { assert_, assertEquals, assertIncludes, assertThrows } from "./test_assert.ts";
import type { PlannedStage } from "./plan.ts";
import { tempDir } from "./stage_testing.ts";
import {
  batchScript,
  checkPlannedKeys,
  newSubmissionId,
  planTasks,
  readSubmissions,
  runsFolder,
  type SubmissionPlan,
  writeJobs,
  writeSubmission,
} from "./submission.ts";
import { UserError } from "./errors.ts";

/** A planned stage as far as a submission reads one. */
function stage(name: string, key: string, params: unknown = {}): PlannedStage {
  return {
    spec: { name } as PlannedStage["spec"],
    key,
    keyInputs: { stage: name, code: "c", params, inputs: {}, runtime: { deno: "2" } },
    fingerprint: { files: { "stages/x.ts": "h" }, npm: [] },
  };
}

const keysOf = (tasks: { stages: { key: string }[] }[]) =>
  tasks.map((t) => t.stages.map((s) => s.key));

Deno.test("planTasks: shared missing stages once, each run's own after, the sweep last", () => {
  const plans = [
    [stage("prepare", "p"), stage("train", "t1"), stage("report", "r1")],
    [stage("prepare", "p"), stage("train", "t2"), stage("report", "r2")],
    [stage("prepare", "p"), stage("train", "t3"), stage("report", "r3")],
  ];
  const cached = new Set(["t2", "r2"]);
  const phases = planTasks(["a", "b", "c"], plans, (s) => !cached.has(s.key), true);
  assertEquals(keysOf(phases.shared), [["p"]]);
  assertEquals(keysOf(phases.cells), [["t1", "r1"], ["t3", "r3"]]);
  assertEquals(phases.cells.map((t) => [t.run, t.name]), [[0, "a"], [2, "c"]]);
  assertEquals(phases.sweeps.length, 1);
  // Everything cached: nothing to submit, not even the sweep's report.
  const none = planTasks(["a", "b", "c"], plans, () => false, true);
  assertEquals([none.shared, none.cells, none.sweeps], [[], [], []]);
});

Deno.test("newSubmissionId: sortable by time, unique", () => {
  const at = new Date("2026-11-30T20:15:12Z");
  assert_(/^20261130-201512-[0-9a-f]{6}$/.test(newSubmissionId(at)), newSubmissionId(at));
  assert_(newSubmissionId(at) !== newSubmissionId(at));
});

function planFor(dir: string): SubmissionPlan {
  const plans = [[stage("train", "t1")], [stage("train", "t2")]];
  return {
    id: "20261130-201512-abcdef",
    createdAt: "2026-11-30T20:15:12Z",
    host: "vm",
    cwd: dir,
    argv: ["run", "study.yaml", "--executor", "slurm"],
    resources: { cpus: 2, partition: "debug", time: "1:00:00" },
    runs: [{ name: "study/kl/seed0", path: "study.yaml", resolved: {} }],
    phases: planTasks(["study/kl/seed0", "study/sep/seed0"], plans, () => true, true),
    code: { train: plans[0][0].fingerprint },
  };
}

Deno.test("batchScript: a job array with the resources, the signal, requeue and an exit file", async () => {
  const dir = await tempDir("submission-");
  try {
    const plan = planFor(dir);
    const script = batchScript(join(dir, "s"), plan, "cells", 2, ["/bin/deno", "run", "x y.ts"]);
    for (
      const line of [
        "#SBATCH --job-name=study-cells",
        "#SBATCH --array=0-1",
        `#SBATCH --output=${join(dir, "s", "logs", "cells-%a.log")}`,
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --partition=debug",
        "#SBATCH --time=1:00:00",
        "#SBATCH --signal=B:USR1@120",
        "#SBATCH --requeue",
        `/bin/deno run 'x y.ts' --task=${join(dir, "s")}:cells:"$task" &`,
        `echo $code > ${join(dir, "s", "exit", "cells-")}"$task"`,
      ]
    ) assertIncludes(script, line + "\n");
    // bash reads it: the syntax is checked without running anything.
    const path = join(dir, "cells.sh");
    await Deno.writeTextFile(path, script);
    const check = await new Deno.Command("bash", { args: ["-n", path] }).output();
    assertEquals(check.code, 0, new TextDecoder().decode(check.stderr));
    // A path with a control character cannot go into a script: one line, no script.
    assertUserError(
      () => batchScript(join(dir, "s\n"), plan, "cells", 2, ["deno"]),
      "a control character cannot go into a batch script",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a submission is read back only once sbatch took it (jobs.json written)", async () => {
  const store = await tempDir("submission-");
  try {
    const plan = planFor(store);
    const dir = join(runsFolder(store), plan.id);
    await writeSubmission(dir, plan, ["/bin/deno", "run"]);
    assertEquals(await readSubmissions(store), []);
    assert_((await Deno.stat(join(dir, "cells.sh"))).mode! & 0o100, "cells.sh is not executable");
    await assertRejectsNotFound(join(dir, "shared.sh")); // no shared stages: no such job
    await writeJobs(dir, { cells: "17", sweeps: "18" });
    const [read] = await readSubmissions(store);
    assertEquals([read.dir, read.plan.id, read.jobs], [dir, plan.id, {
      cells: "17",
      sweeps: "18",
    }]);
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

async function assertRejectsNotFound(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    assert_(error instanceof Deno.errors.NotFound, String(error));
    return;
  }
  throw new Error(`${path} exists`);
}

Deno.test("checkPlannedKeys: a key that changed since submission is refused, naming why", () => {
  const planned = stage("train", "a".repeat(64), { epochs: 40 });
  const task = {
    run: 0,
    name: "study/kl/seed0",
    stages: [{ stage: "train", key: planned.key, keyInputs: planned.keyInputs }],
  };
  const code = { train: planned.fingerprint };
  checkPlannedKeys(task, [planned], code, "deno task run study.yaml --executor slurm");
  const now = stage("train", "b".repeat(64), { epochs: 41 });
  assertUserError(
    () => checkPlannedKeys(task, [now], code, "deno task run study.yaml --executor slurm"),
    "study/kl/seed0: train's key is bbbbbbbb, not the aaaaaaaa planned at submission " +
      "(param epochs 40 → 41); nothing was computed: submit again with " +
      "`deno task run study.yaml --executor slurm`",
  );
  const edited = { ...now, fingerprint: { files: { "stages/x.ts": "h2" }, npm: [] } };
  assertUserError(
    () => checkPlannedKeys(task, [{ ...edited, keyInputs: planned.keyInputs }], code, "r"),
    "source stages/x.ts changed",
  );
});

function assertUserError(fn: () => unknown, includes: string): void {
  assert_(assertThrows(fn, includes) instanceof UserError, "not a UserError");
}
