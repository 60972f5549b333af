import {
  currentProcess,
  identityFromTag,
  identityTag,
  judgeLegacyPid,
  judgeOwner,
  readProcStat,
} from "./process_identity.ts";
import { deadPid, liveProcess, zombieProcess } from "./process_testing.ts";
import { assert_, assertEquals, assertIncludes } from "./test_assert.ts";

Deno.test("this process's identity comes from /proc and the host name", () => {
  const me = currentProcess();
  assertEquals(me.pid, Deno.pid);
  assertEquals(me.startTime, readProcStat(Deno.pid)!.startTime);
  assert_(me.startTime > 0 && me.host.length > 0, JSON.stringify(me));
  assertEquals(me.bootId, Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim());
  assertEquals(me.pidNamespace, Deno.readLinkSync("/proc/self/ns/pid"));
  assertEquals(judgeOwner(me).verdict, "self");
});

Deno.test("an owner is dead only on this host, boot and pid namespace, and provably so", async () => {
  const me = currentProcess();
  const live = liveProcess();
  const zombie = await zombieProcess();
  try {
    const liveStart = readProcStat(live.pid)!.startTime;
    const gone = await deadPid();
    const verdict = (o: Partial<typeof me>) => judgeOwner({ ...me, ...o });
    assertEquals(verdict({ pid: live.pid, startTime: liveStart }).verdict, "alive");
    assertEquals(verdict({ pid: live.pid, startTime: liveStart + 1 }).verdict, "dead");
    assertEquals(verdict({ pid: gone }).verdict, "dead");
    const z = verdict({ pid: zombie.pid, startTime: readProcStat(zombie.pid)!.startTime });
    assert_(z.verdict === "dead" && z.reason.includes("zombie"), JSON.stringify(z));
    // Our pid with another start time: an earlier process that had our pid.
    assertEquals(verdict({ startTime: me.startTime - 1 }).verdict, "dead");
    assertEquals(verdict({ bootId: "other" }).verdict, "dead");
    for (const other of [{ host: "elsewhere" }, { pidNamespace: "pid:[1]" }, { host: "" }]) {
      assertEquals(verdict({ ...other, pid: gone }).verdict, "unknown", JSON.stringify(other));
    }
    assertEquals(judgeLegacyPid(live.pid).verdict, "alive");
    assertEquals(judgeLegacyPid(gone).verdict, "dead");
    assertEquals(judgeLegacyPid(zombie.pid).verdict, "dead");
    assertEquals(judgeLegacyPid(Deno.pid).verdict, "dead");
  } finally {
    await live.stop();
    await zombie.stop();
  }
});

Deno.test("a temp dir's name tag stands for its owner as far as we can compare it", () => {
  const me = currentProcess();
  const tag = identityTag(me);
  assert_(/^pid\d+-s\d+-b[0-9a-f]{12}-n\d+-h[0-9a-f]{8}$/.test(tag), tag);
  assertEquals(identityFromTag(`train-3f9a2c1d-${tag}-Xy12`), me);
  const other = identityFromTag(`x-${identityTag({ ...me, host: "elsewhere", bootId: "b2" })}-`)!;
  assertIncludes(other.host, "host digest");
  assertEquals(judgeOwner(other).verdict, "unknown");
  const ns = identityFromTag(`x-${identityTag({ ...me, pidNamespace: "pid:[7]" })}-`)!;
  assertEquals(ns.pidNamespace, "pid:[7]");
  assertEquals(identityFromTag("train-3f9a2c1d-pid12-abc"), undefined);
});
