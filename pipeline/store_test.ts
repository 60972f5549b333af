import { join } from "node:path";
import { currentProcess, identityTag, readProcStat } from "./process_identity.ts";
import { deadPid, liveProcess, zombieProcess } from "./process_testing.ts";
import { withTempDir } from "./stage_testing.ts";
import { ArtifactStore, tempOwnerLiveness } from "./store.ts";
import { assert_, assertEquals } from "./test_assert.ts";

Deno.test("temp dirs are named after their owner: host, boot, pid namespace, pid, start time", async () => {
  await withTempDir(async (root) => {
    const dir = await new ArtifactStore(root).makeTempDir("train", "3f9a2c1d0000");
    const name = dir.slice(join(root, ".tmp").length + 1);
    assert_(name.startsWith(`train-3f9a2c1d-${identityTag()}-`), name);
    assertEquals(tempOwnerLiveness(name).verdict, "self");
  }, "store-test-");
});

Deno.test("sweepTemp removes only temp dirs whose owner provably died on this host", async () => {
  const me = currentProcess();
  const live = liveProcess();
  const zombie = await zombieProcess();
  try {
    await withTempDir(async (root) => {
      const store = new ArtifactStore(root);
      const liveStart = readProcStat(live.pid)!.startTime;
      const gone = await deadPid();
      const tagged = (o: Partial<typeof me>) => `train-aaaaaaaa-${identityTag({ ...me, ...o })}-r`;
      const kept = [
        tagged({ pid: live.pid, startTime: liveStart }),
        tagged({ pid: gone, pidNamespace: "pid:[1]" }), // another container: never judged
        tagged({ pid: gone, host: "elsewhere" }), // another host: never judged
        `train-aaaaaaaa-pid${live.pid}-old`, // pid-only name of an earlier version, alive
        "no-owner-in-this-name",
      ];
      const swept = [
        tagged({ pid: live.pid, startTime: liveStart - 1 }), // pid reused
        tagged({ pid: gone }),
        tagged({ pid: zombie.pid, startTime: readProcStat(zombie.pid)!.startTime }),
        tagged({ bootId: "an-earlier-boot" }),
        `train-aaaaaaaa-pid${gone}-old`,
      ];
      for (const name of [...kept, ...swept]) {
        await Deno.mkdir(join(root, ".tmp", name, "nested"), { recursive: true });
        await Deno.writeTextFile(join(root, ".tmp", name, "nested", "partial.bin"), "half");
      }
      const mine = await store.makeTempDir("train", "bbbbbbbb");
      const removed = await store.sweepTemp();
      assertEquals(removed, [...swept].sort());
      const left = [];
      for await (const entry of Deno.readDir(join(root, ".tmp"))) left.push(entry.name);
      assertEquals(left.sort(), [...kept, mine.slice(join(root, ".tmp").length + 1)].sort());
      assertEquals(await store.sweepTemp(), [], "a second sweep finds nothing");
    }, "store-test-");
  } finally {
    await live.stop();
    await zombie.stop();
  }
});

Deno.test("sweepTemp on a store without a temp area does nothing", async () => {
  await withTempDir(async (root) => {
    assertEquals(await new ArtifactStore(join(root, "never-made")).sweepTemp(), []);
  }, "store-test-");
});
