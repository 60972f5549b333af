/**
 * What `status` and `gc` read of a submission's tasks, with squeue's answers given by a
 * stand-in on PATH (tests/slurm_e2e_test.ts asks a real cluster).
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./test_assert.ts";
import { tempDir } from "./stage_testing.ts";
import {
  exitFile,
  runsFolder,
  type SubmissionPlan,
  writeJobs,
  writeSubmission,
} from "./submission.ts";
import { ClusterView } from "./submission_status.ts";

const inputs = (upstream: Record<string, string>) => ({
  stage: "x",
  code: "c",
  params: {},
  inputs: upstream,
  runtime: {},
});

/** A submission of one shared task (prepare) and two cells (train), as jobs 7 and 8. */
async function submission(store: string): Promise<string> {
  const plan: SubmissionPlan = {
    id: "20261130-200000-aaaaaa",
    createdAt: "2026-11-30T20:00:00Z",
    host: "vm",
    cwd: store,
    argv: ["run", "study.yaml"],
    resources: { cpus: 1 },
    runs: [{ name: "study/a", path: "study.yaml", resolved: {} }],
    phases: {
      shared: [{
        run: 0,
        name: "a",
        stages: [{ stage: "prepare", key: "p", keyInputs: inputs({}) }],
      }],
      cells: ["t0", "t1"].map((key, run) => ({
        run,
        name: `cell${run}`,
        stages: [{ stage: "train", key, keyInputs: inputs({ prepare: "p", classify: "c" }) }],
      })),
      sweeps: [],
    },
    code: {},
  };
  const dir = join(runsFolder(store), plan.id);
  await writeSubmission(dir, plan, ["deno"]);
  await writeJobs(dir, { shared: "7", cells: "8" });
  return dir;
}

/** Run `fn` with a stand-in squeue on PATH that prints `lines`. */
async function withSqueue(lines: string[], fn: () => Promise<void>): Promise<void> {
  const bin = await tempDir("squeue-");
  const path = Deno.env.get("PATH") ?? "";
  try {
    await Deno.writeTextFile(
      join(bin, "squeue"),
      `#!/bin/sh\ncat <<'EOF'\n${lines.join("\n")}\nEOF\n`,
      { mode: 0o755 },
    );
    Deno.env.set("PATH", `${bin}:${path}`);
    await fn();
  } finally {
    Deno.env.set("PATH", path);
    await Deno.remove(bin, { recursive: true });
  }
}

Deno.test("status of a task: squeue while it knows the task, else its exit file", async () => {
  const store = await tempDir("cluster-view-");
  try {
    const dir = await submission(store);
    await Deno.writeTextFile(exitFile(dir, "shared", 0), "0\n");
    await Deno.writeTextFile(exitFile(dir, "cells", 1), "143\n");
    await withSqueue(["8_0|RUNNING|None|node7", "8_1|CANCELLED|None|node7"], async () => {
      const view = await ClusterView.load(store);
      const of = async (key: string) => await view.view(view.taskFor(key)!);
      assertEquals((await of("p")).state, "ended");
      const running = await of("t0");
      assertEquals(running.state, "running");
      assertIncludes(running.detail, "slurm job 8_0 on node7; log ");
      assertEquals(await of("t1"), {
        state: "failed",
        detail: `slurm job 8_1 CANCELLED, exit code 143; log ${join(dir, "logs", "cells-1.log")}`,
      });
      // A task still at work keeps its submission's entries and their inputs from gc.
      assertEquals((await view.entriesAtWork()).sort(), [
        "classify/c",
        "prepare/p",
        "train/t0",
        "train/t1",
      ]);
    });
    await withSqueue(["8_0|PENDING|Priority|"], async () => {
      const view = await ClusterView.load(store);
      assertEquals(await view.view(view.taskFor("t0")!), {
        state: "queued",
        detail: "slurm job 8_0, waiting: Priority",
      });
    });
    // Squeue has forgotten them: the exit files speak; a task without one was killed.
    await withSqueue([], async () => {
      const view = await ClusterView.load(store);
      assertEquals((await view.view(view.taskFor("t0")!)).state, "failed");
      assertIncludes((await view.view(view.taskFor("t0")!)).detail, "ended without an exit code");
      assertEquals(await view.entriesAtWork(), []);
    });
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});
