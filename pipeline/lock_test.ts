import { createHash } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type LockOptions, type LockRecord, releaseHeld, withLock } from "./lock.ts";
import { currentProcess, readProcStat } from "./process_identity.ts";
import { deadPid, liveProcess, zombieProcess } from "./process_testing.ts";
import { tempDir, withTempDir } from "./stage_testing.ts";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertNotEquals,
  assertRejects,
} from "./test_assert.ts";

/** A lock file as another run would have left it: our identity with `fields` changed. */
async function writeLock(path: string, fields: Partial<LockRecord>): Promise<void> {
  const record: LockRecord = {
    ...currentProcess(),
    takenAt: new Date(Date.now() - 42_000).toISOString(),
    token: crypto.randomUUID(),
    ...fields,
  };
  await Deno.writeTextFile(path, JSON.stringify(record) + "\n");
}

/** withLock with fast polling, recording every line it emits. */
function recording(extra: LockOptions = {}) {
  const waits: string[] = [];
  const takeOvers: string[] = [];
  const options: LockOptions = {
    pollMs: 20,
    onWait: ({ message }) => waits.push(message),
    onTakeOver: ({ message }) => takeOvers.push(message),
    ...extra,
  };
  return { waits, takeOvers, options };
}

/** Nothing but the lock (when held): no .new-, .stale- or .takeover- leftovers. */
async function leftovers(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("the lock file names its owner: host, boot, pid namespace, pid, start time", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    await withLock(path, async () => {
      const record = JSON.parse(await Deno.readTextFile(path));
      const me = currentProcess();
      assertEquals(
        [record.host, record.bootId, record.pidNamespace, record.pid, record.startTime],
        [me.host, me.bootId, me.pidNamespace, Deno.pid, readProcStat(Deno.pid)!.startTime],
      );
      assert_(me.bootId.length > 0 && me.pidNamespace.startsWith("pid:["), JSON.stringify(me));
      assert_(Math.abs(Date.parse(record.takenAt) - Date.now()) < 60_000, record.takenAt);
      assertEquals(await leftovers(dir), ["a.lock"]);
    });
    assertEquals(await leftovers(dir), [], "released, and no temp files left");
  }, "lock-test-");
});

Deno.test("a reused pid (live process, other start time) is a dead owner: taken over, said once", async () => {
  const other = liveProcess();
  try {
    await withTempDir(async (dir) => {
      const path = join(dir, "a.lock");
      const startTime = readProcStat(other.pid)!.startTime;
      await writeLock(path, { pid: other.pid, startTime: startTime - 1 });
      const { waits, takeOvers, options } = recording();
      assertEquals(await withLock(path, () => Promise.resolve("ran"), options), "ran");
      assertEquals(waits, []);
      assertEquals(takeOvers.length, 1, takeOvers.join("\n"));
      assertIncludes(takeOvers[0], `took over the lock of run ${other.pid} on host `);
      assertIncludes(takeOvers[0], "lock taken ");
      assertIncludes(takeOvers[0], `pid ${other.pid} now belongs to another process`);
      assertEquals(await leftovers(dir), []);
    }, "lock-test-");
  } finally {
    await other.stop();
  }
});

Deno.test("a zombie owner (killed, not reaped) is dead: its lock is taken over", async () => {
  const zombie = await zombieProcess();
  try {
    const stat = readProcStat(zombie.pid);
    assertEquals(stat?.state, "Z", `/proc/${zombie.pid}/stat should show a zombie`);
    await withTempDir(async (dir) => {
      const path = join(dir, "a.lock");
      await writeLock(path, { pid: zombie.pid, startTime: stat!.startTime });
      const { takeOvers, options } = recording({ timeoutMs: 2000 });
      await withLock(path, () => Promise.resolve(), options);
      assertEquals(takeOvers.length, 1);
      assertIncludes(takeOvers[0], `process ${zombie.pid} is a zombie`);
    }, "lock-test-");
  } finally {
    await zombie.stop();
  }
});

Deno.test("a gone owner, an owner from before a reboot, an old pid-only lock: taken over", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    const gone = await deadPid();
    const cases: [() => Promise<void>, string][] = [
      [() => writeLock(path, { pid: gone }), `process ${gone} is gone`],
      [() => writeLock(path, { bootId: "another-boot" }), "has rebooted since"],
      [() => Deno.writeTextFile(path, String(gone)), "a pid-only lock of an earlier version"],
      // Pid 1 in a container: an earlier run's pid-only lock names our own pid.
      [() => Deno.writeTextFile(path, String(Deno.pid)), "is this process, which did not"],
    ];
    for (const [write, reason] of cases) {
      await write();
      const { takeOvers, options } = recording({ timeoutMs: 2000 });
      await withLock(path, () => Promise.resolve(), options);
      assertEquals(takeOvers.length, 1, reason);
      assertIncludes(takeOvers[0], reason);
    }
  }, "lock-test-");
});

Deno.test("a live owner is waited for, named, and the wait ends when it dies", async () => {
  const owner = liveProcess();
  try {
    await withTempDir(async (dir) => {
      const path = join(dir, "a.lock");
      await writeLock(path, { pid: owner.pid, startTime: readProcStat(owner.pid)!.startTime });
      const { waits, takeOvers, options } = recording({ reportEveryMs: 100 });
      setTimeout(() => owner.stop(), 400);
      await withLock(path, () => Promise.resolve(), options);
      assert_(waits.length >= 2, `the waiting line repeats while waiting: ${waits}`);
      assertIncludes(waits[0], `waiting for run ${owner.pid} on host ${currentProcess().host}`);
      assertIncludes(waits[0], "(lock taken ");
      assertIncludes(waits[0], ", 42 s ago)");
      assertEquals(takeOvers.length, 1);
      assertIncludes(takeOvers[0], `process ${owner.pid} is gone`);
    }, "lock-test-");
  } finally {
    await owner.stop();
  }
});

Deno.test("an owner on another host or in another pid namespace is waited for, never taken", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    const gone = await deadPid();
    for (
      const [fields, reason] of [
        [{ host: "elsewhere.example", pid: gone }, "(owner on another host, elsewhere.example)"],
        [{ pidNamespace: "pid:[1]", pid: gone }, "(owner in another pid namespace, pid:[1])"],
      ] as const
    ) {
      await writeLock(path, fields);
      const { waits, takeOvers, options } = recording({ timeoutMs: 300 });
      await assertRejects(() => withLock(path, () => Promise.resolve(), options), "gave up");
      assertEquals(takeOvers, []);
      assertEquals(waits.length, 1, "said once (the repeat is every 30 s)");
      assertIncludes(waits[0], `waiting for run ${gone}`);
      assertIncludes(waits[0], reason);
      assertIncludes(waits[0], `if it does not, delete ${path}`);
      assert_(await Deno.stat(path).then(() => true), "the lock is left alone");
    }
  }, "lock-test-");
});

Deno.test("our own pid and start time in a lock no call holds is a bug: it throws, never waits", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    await writeLock(path, {});
    await assertRejects(
      () => withLock(path, () => Promise.resolve(), { timeoutMs: 5000 }),
      "names this very process",
    );
    await Deno.remove(path);
    await assertRejects(
      () => withLock(path, () => withLock(path, () => Promise.resolve()), { timeoutMs: 5000 }),
      "called again while this call chain holds it",
    );
    assertEquals(await leftovers(dir), [], "the outer call released its lock");
  }, "lock-test-");
});

Deno.test("an empty lock file is being written: waited for, then judged by its age", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    await Deno.writeTextFile(path, "");
    const young = recording({ timeoutMs: 200 });
    await assertRejects(() => withLock(path, () => Promise.resolve(), young.options), "gave up");
    assertEquals(young.takeOvers, []);
    const old = recording({ unreadableGraceMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    await withLock(path, () => Promise.resolve(), old.options);
    assertIncludes(old.takeOvers[0], "stayed empty");
  }, "lock-test-");
});

Deno.test("concurrent withLock calls serialise, in one process and across processes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    const events: string[] = [];
    const hold = (name: string) => async () => {
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 100));
      events.push(`${name} out`);
    };
    await Promise.all([withLock(path, hold("a")), withLock(path, hold("b"))]);
    assertEquals(events.filter((_, i) => i % 2 === 1).map((e) => e.endsWith("out")), [
      true,
      true,
    ]);
    assertNotEquals(events[0].split(" ")[0], events[2].split(" ")[0]);

    // Another process holds it: we wait, named, until it lets go.
    const script = join(dir, "holder.ts");
    const lockUrl = pathToFileURL(join(import.meta.dirname!, "lock.ts")).href;
    await Deno.writeTextFile(
      script,
      `import { withLock } from "${lockUrl}";
await withLock(${JSON.stringify(path)}, async () => {
  console.log("IN");
  await new Promise((r) => setTimeout(r, 700));
  await Deno.writeTextFile(${JSON.stringify(join(dir, "out"))}, "done");
});
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", join(import.meta.dirname!, "..", "deno.json"), script],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    for (let text = ""; !text.includes("IN");) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the holder exited early");
      text += value;
    }
    const { waits, options } = recording();
    const seen = await withLock(path, () => Deno.readTextFile(join(dir, "out")), options);
    assertEquals(seen, "done", "we ran only after the holder finished");
    assertIncludes(waits[0], `waiting for run ${child.pid} on host`);
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    assertEquals((await child.status).code, 0);
  }, "lock-test-");
});

Deno.test("a folder where a lock file goes is one line, not a stack trace", async () => {
  const dir = await tempDir();
  const path = join(dir, "train-x.lock");
  await Deno.mkdir(path);
  await assertRejects(
    () => withLock(path, () => Promise.resolve()),
    "is a folder where a lock file goes",
  );
});

Deno.test("releaseHeld removes the locks this process holds (for a signal handler)", async () => {
  const dir = await tempDir();
  const path = join(dir, "train-y.lock");
  let inside = false;
  await withLock(path, async () => {
    releaseHeld();
    inside = await Deno.lstat(path).then(() => true, () => false);
  });
  assertEquals(inside, false);
});

Deno.test("many calls of one process on one lock never mistake a just-released lock for a lost one", async () => {
  const dir = await tempDir();
  let inside = 0, most = 0;
  await Promise.all(Array.from({ length: 60 }, () =>
    withLock(join(dir, "x.lock"), async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 1));
      inside--;
    }, { pollMs: 1 })));
  assertEquals(most, 1);
});

Deno.test("an owner /proc cannot judge is judged by its heartbeat: waited for while fresh, taken over past its lease", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    const elsewhere = { host: "elsewhere.example", pid: 7, leaseMs: 60_000 };
    await writeLock(path, elsewhere); // mtime now: a fresh heartbeat
    const fresh = recording({ timeoutMs: 200 });
    await assertRejects(() => withLock(path, () => Promise.resolve(), fresh.options), "gave up");
    assertEquals(fresh.takeOvers, []);
    assertIncludes(fresh.waits[0], "waiting for run 7 on host elsewhere.example (lock taken ");
    assertIncludes(fresh.waits[0], "; its heartbeat ");
    assertIncludes(fresh.waits[0], " ago (lease 1 min 00 s), on host elsewhere.example)");
    const stopped = new Date(Date.now() - 180_000);
    await Deno.utime(path, stopped, stopped);
    const old = recording({ timeoutMs: 2000 });
    await withLock(path, () => Promise.resolve(), old.options);
    assertEquals(old.takeOvers.length, 1);
    assertIncludes(old.takeOvers[0], "its heartbeat stopped 3 min 00 s ago (lease 1 min 00 s)");
    assertEquals(await leftovers(dir), []);
  }, "lock-test-");
});

Deno.test("a take-over marker left by a dead taker is itself taken over, then the lock", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    await writeLock(path, { pid: await deadPid() });
    const text = await Deno.readTextFile(path);
    const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
    await writeLock(`${path}.takeover-${digest}`, { pid: await deadPid() });
    const { takeOvers, options } = recording({ timeoutMs: 2000 });
    await withLock(path, () => Promise.resolve(), options);
    assertEquals(takeOvers.length, 1);
    assertEquals(await leftovers(dir), []);
  }, "lock-test-");
});

Deno.test("the heartbeat refreshes a held lock's mtime, its text unchanged, while the main thread is busy", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.lock");
    const past = new Date(Date.now() - 60_000);
    await withLock(path, async () => {
      const text = await Deno.readTextFile(path);
      await Deno.utime(path, past, past);
      const end = Date.now() + 300; // 3 heartbeats of 100 ms; the main thread never yields
      while (Date.now() < end) { /* busy */ }
      const mtime = (await Deno.stat(path)).mtime!.getTime();
      assert_(mtime > past.getTime() + 50_000, `mtime not refreshed: ${new Date(mtime)}`);
      assertEquals(await Deno.readTextFile(path), text);
      assertEquals(JSON.parse(text).leaseMs, 800);
    }, { leaseMs: 800 });
  }, "lock-test-");
});
