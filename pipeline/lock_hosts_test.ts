/**
 * The lock rules across "hosts": a run in another pid namespace (`unshare --pid --fork
 * --mount-proc`, as root) cannot be judged from our /proc, only by its heartbeat. Ignored
 * where unshare is not permitted, unless REQUIRE_UNSHARE=1 (CI), which makes that a failure.
 * Short leases (1.5 s, a heartbeat every 190 ms) keep the tests to a few seconds.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type LockOptions, withLock } from "./lock.ts";
import { currentProcess } from "./process_identity.ts";
import { withTempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";

const LEASE_MS = 1500;
const CONFIG = join(import.meta.dirname!, "..", "deno.json");
const moduleUrl = (name: string) => pathToFileURL(join(import.meta.dirname!, name)).href;

const unshareWorks = await new Deno.Command("unshare", {
  args: ["--pid", "--fork", "--mount-proc", "true"],
  stderr: "null",
}).output().then((out) => out.success, () => false);
const required = Deno.env.get("REQUIRE_UNSHARE") === "1";

/** A test that needs a second "host"; see the module comment for when it is ignored. */
function crossHost(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !unshareWorks && !required,
    fn: () => {
      if (!unshareWorks) {
        throw new Error("REQUIRE_UNSHARE=1 but `unshare --pid --fork --mount-proc` fails here");
      }
      return fn();
    },
  });
}

/**
 * A run in another pid namespace: it makes a temp dir in the store, takes the lock with our
 * short lease, then blocks its main thread for `busyMs` (a synchronous tfjs epoch) and holds
 * on until killed. Resolves once it holds the lock, with its temp dir's name.
 */
async function otherNamespaceOwner(dir: string, lock: string, busyMs: number) {
  const script = join(dir, "owner.ts");
  await Deno.writeTextFile(
    script,
    `import { withLock } from "${moduleUrl("lock.ts")}";
import { ArtifactStore } from "${moduleUrl("store.ts")}";
const temp = await new ArtifactStore(${JSON.stringify(join(dir, "store"))})
  .makeTempDir("train", "0123456789abcdef");
await withLock(${JSON.stringify(lock)}, async () => {
  console.log("HOLDING " + temp);
  const end = Date.now() + ${busyMs};
  while (Date.now() < end) { /* the main thread does not yield */ }
  await new Promise((r) => setTimeout(r, 60_000));
}, { leaseMs: ${LEASE_MS} });
`,
  );
  const child = new Deno.Command("unshare", {
    // --kill-child: SIGKILL to unshare kills the namespace's first process, hence all of it.
    args: ["--pid", "--fork", "--mount-proc", "--kill-child", Deno.execPath(), "run", "-A"]
      .concat(["--config", CONFIG, script]),
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the owner exited early: ${text}`);
    text += value;
  }
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone already */ }
    lines.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.status;
  };
  return { temp: text.trim().replace(/^HOLDING /, "").split("/").pop()!, kill };
}

function recording(extra: LockOptions) {
  const waits: string[] = [];
  const takeOvers: string[] = [];
  const options: LockOptions = {
    pollMs: 50,
    onWait: ({ message }) => waits.push(message),
    onTakeOver: ({ message }) => takeOvers.push(message),
    ...extra,
  };
  return { waits, takeOvers, options };
}

crossHost(
  "a live owner in another pid namespace, heartbeating, is waited for past its lease, its temp dir kept",
  async () => {
    await withTempDir(async (dir) => {
      const lock = join(dir, "train.lock");
      const owner = await otherNamespaceOwner(dir, lock, 2.5 * LEASE_MS);
      try {
        const { waits, takeOvers, options } = recording({ timeoutMs: 2 * LEASE_MS });
        await assertRejects(() => withLock(lock, () => Promise.resolve(), options), "gave up");
        assertEquals(takeOvers, [], "never taken over while its heartbeat runs");
        assertIncludes(waits[0], `on host ${currentProcess().host}`);
        assertIncludes(waits[0], "its heartbeat ");
        assertIncludes(waits[0], "(lease 1.5 s), on host ");
        const store = new ArtifactStore(join(dir, "store"));
        assertEquals(await store.sweepTemp(), []);
        assert_(await Deno.stat(join(dir, "store", ".tmp", owner.temp)), "its temp dir is kept");
      } finally {
        await owner.kill();
      }
    }, "lock-hosts-");
  },
);

crossHost(
  "a killed owner in another pid namespace is taken over once its lease expires; its temp dir is not ours to sweep",
  async () => {
    await withTempDir(async (dir) => {
      const lock = join(dir, "train.lock");
      const owner = await otherNamespaceOwner(dir, lock, 0);
      await owner.kill(); // SIGKILL: no cleanup, the lock file stays
      const killed = Date.now();
      const { takeOvers, options } = recording({ timeoutMs: 4 * LEASE_MS });
      await withLock(lock, () => Promise.resolve(), options);
      const waited = Date.now() - killed;
      assert_(waited > LEASE_MS - 400, `taken over ${waited} ms after the kill: before its lease`);
      assertEquals(takeOvers.length, 1, takeOvers.join("\n"));
      assertIncludes(takeOvers[0], "dead: its heartbeat stopped ");
      assertIncludes(takeOvers[0], `(lease 1.5 s), on host ${currentProcess().host}`);
      const store = new ArtifactStore(join(dir, "store"));
      assertEquals(await store.sweepTemp(), []);
      assert_(await Deno.stat(join(dir, "store", ".tmp", owner.temp)), "its temp dir is kept");
    }, "lock-hosts-");
  },
);

Deno.test("two processes racing to take over one dead lock: exactly one takes it over, each round", async () => {
  await withTempDir(async (dir) => {
    const rounds = 5;
    const me = currentProcess();
    // Dead by its lease: another pid namespace, a heartbeat stopped an hour ago.
    const dead = { ...me, pidNamespace: "pid:[1]", pid: 4242, token: "t", leaseMs: LEASE_MS };
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (let round = 0; round < rounds; round++) {
      const lock = join(dir, `lock-${round}`);
      await Deno.writeTextFile(lock, JSON.stringify({ ...dead, takenAt: hourAgo }) + "\n");
      await Deno.utime(lock, hourAgo, hourAgo);
    }
    const script = join(dir, "racer.ts");
    await Deno.writeTextFile(
      script,
      `import { withLock } from "${moduleUrl("lock.ts")}";
const [dir, goAt] = [Deno.args[0], Number(Deno.args[1])];
for (let round = 0; round < ${rounds}; round++) {
  await new Promise((r) => setTimeout(r, goAt + round * 200 - Date.now()));
  await withLock(dir + "/lock-" + round, async () => {
    await Deno.writeTextFile(dir + "/log-" + round, "in ${"$"}{Deno.pid}\\n", { append: true });
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeTextFile(dir + "/log-" + round, "out ${"$"}{Deno.pid}\\n", { append: true });
  }, { pollMs: 2, onTakeOver: () => console.log("TOOK " + round) });
}
`,
    );
    const goAt = String(Date.now() + 1500); // after both have started
    const racers = [0, 1].map(() =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", CONFIG, script, dir, goAt],
        stdout: "piped",
      }).output()
    );
    const outputs = await Promise.all(racers);
    const took = outputs.flatMap((out) => new TextDecoder().decode(out.stdout).split("\n"))
      .filter((line) => line.startsWith("TOOK")).sort();
    assertEquals(took, Array.from({ length: rounds }, (_, round) => `TOOK ${round}`));
    for (let round = 0; round < rounds; round++) {
      const log = (await Deno.readTextFile(join(dir, `log-${round}`))).trim().split("\n");
      const [a, b] = outputs.map((_, i) => log[2 * i].slice(3));
      assertEquals(log, [`in ${a}`, `out ${a}`, `in ${b}`, `out ${b}`], "one at a time");
    }
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
    assertEquals(names.filter((n) => /\.(takeover|stale|new)-/.test(n)), [], "no leftovers");
    assert_(outputs.every((out) => out.success), "both racers finished");
  }, "lock-hosts-");
});
