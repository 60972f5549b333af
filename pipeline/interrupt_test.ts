import { join } from "node:path";
import { interruptExitCode, interruptMessage, noteResumePoint } from "./interrupt.ts";
import { silentProgress } from "./progress.ts";
import type { PlannedStage } from "./plan.ts";
import { execute, type RunEnv } from "./runner.ts";
import { withTempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { assertEquals } from "./test_assert.ts";

Deno.test("an interrupt says where a running stage will resume, or just what was kept", () => {
  assertEquals(
    interruptMessage("SIGINT"),
    "interrupted (SIGINT): nothing from the unfinished stage was published",
  );
  noteResumePoint("train 3f9a2c1d", "after epoch 2 of 30");
  noteResumePoint("train 3f9a2c1d", "after epoch 3 of 30");
  assertEquals(
    interruptMessage("SIGTERM"),
    "interrupted (SIGTERM): train 3f9a2c1d will resume after epoch 3 of 30 when run again; " +
      "nothing from the unfinished stage was published",
  );
  noteResumePoint("train 3f9a2c1d", null);
  assertEquals(
    interruptMessage("SIGTERM"),
    "interrupted (SIGTERM): nothing from the unfinished stage was published",
  );
});

Deno.test("the exit status after a signal is 128 + its number", () => {
  assertEquals(interruptExitCode("SIGINT"), 130);
  assertEquals(interruptExitCode("SIGTERM"), 143);
});

Deno.test("the runner passes a stage's resume point on, and forgets it when the stage ends", async () => {
  await withTempDir(async (root) => {
    const seen: string[] = [];
    const key = "3f9a2c1d".padEnd(64, "0");
    const stage: PlannedStage = {
      key,
      keyInputs: { stage: "train", code: "c", params: {}, inputs: {}, runtime: {} },
      fingerprint: { files: {}, npm: [] },
      spec: {
        name: "train",
        module: new URL(import.meta.url),
        after: [],
        params: () => ({}),
        load: () =>
          Promise.resolve(async (ctx) => {
            ctx.resumePoint?.("after epoch 3 of 30");
            seen.push(interruptMessage("SIGTERM"));
            await Deno.writeTextFile(join(ctx.outDir, "out.txt"), "done");
          }),
      },
    };
    const env: RunEnv = {
      store: new ArtifactStore(join(root, "artifacts")),
      graph: {} as RunEnv["graph"],
      projectRoot: root,
      configPath: "test.yaml",
      status: () => {},
      log: () => {},
      progress: silentProgress,
    };
    await execute({ name: "test", seed: 0 }, stage, {}, env);
    assertEquals(seen, [
      "interrupted (SIGTERM): train 3f9a2c1d will resume after epoch 3 of 30 when run again; " +
      "nothing from the unfinished stage was published",
    ]);
    assertEquals(
      interruptMessage("SIGTERM"),
      "interrupted (SIGTERM): nothing from the unfinished stage was published",
    );
  }, "interrupt-test-");
});
