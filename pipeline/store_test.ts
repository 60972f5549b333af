import { join } from "node:path";
import { currentProcess, identityTag, readProcStat } from "./process_identity.ts";
import { deadPid, liveProcess, zombieProcess } from "./process_testing.ts";
import { tempDir, withTempDir } from "./stage_testing.ts";
import { ArtifactStore, parseManifest, tempOwnerLiveness } from "./store.ts";
import { publishFake } from "./store_fakes.ts";
import { assert_, assertEquals, assertRejects } from "./test_assert.ts";

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

/** Make a FIFO at `path` (Deno has no mkfifo of its own). */
async function mkfifo(path: string): Promise<void> {
  const { success } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert_(success, `mkfifo ${path}`);
}

Deno.test("a FIFO or a link to /dev/zero in an entry is corrupt, named, and never opened", async () => {
  await withTempDir(async (root) => {
    const store = new ArtifactStore(root);
    const [a, b, c] = ["a", "b", "c"].map((x) => x.repeat(64));
    for (const key of [a, b, c]) await publishFake(store, "train", key);
    await Deno.remove(join(store.dir("train", a), "out.txt"));
    await mkfifo(join(store.dir("train", a), "out.txt"));
    await Deno.remove(join(store.dir("train", b), "out.txt"));
    await Deno.symlink("/dev/zero", join(store.dir("train", b), "out.txt"));
    await Deno.mkdir(join(store.dir("train", c), "sub"));
    await mkfifo(join(store.dir("train", c), "sub", "extra"));
    assertEquals(await store.lookup("train", a), {
      state: "corrupt",
      dir: store.dir("train", a),
      reason: "out.txt is not a regular file (a FIFO)",
    });
    const linked = await store.lookup("train", b);
    assertEquals(
      linked.state === "corrupt" && linked.reason,
      "out.txt is not a regular file (a symlink)",
    );
    const nested = await store.lookup("train", c);
    assertEquals(
      nested.state === "corrupt" && nested.reason,
      "sub/extra is not a regular file (a FIFO)",
    );
    // Nor is a manifest that is a FIFO or a link opened.
    await Deno.rename(join(store.dir("train", c), "manifest.json"), join(root, "m.json"));
    await mkfifo(join(store.dir("train", c), "manifest.json"));
    const fifoManifest = await store.lookup("train", c);
    assertEquals(
      fifoManifest.state === "corrupt" && fifoManifest.reason,
      "manifest.json is not a regular file (a FIFO)",
    );
    assertEquals((await store.manifests("train")).map((m) => m.key).sort(), [a, b]);
  }, "store-test-");
});

Deno.test("a manifest of null, with files null or for another key is a corrupt entry with a reason", async () => {
  await withTempDir(async (root) => {
    const store = new ArtifactStore(root);
    const keys = ["a", "b", "c", "d", "e"].map((x) => x.repeat(64));
    for (const key of keys) await publishFake(store, "train", key);
    const manifestOf = (key: string) => join(store.dir("train", key), "manifest.json");
    const good = JSON.parse(await Deno.readTextFile(manifestOf(keys[0])));
    await Deno.writeTextFile(manifestOf(keys[0]), "null");
    await Deno.writeTextFile(manifestOf(keys[1]), JSON.stringify({ ...good, files: null }));
    await Deno.writeTextFile(manifestOf(keys[2]), "{not json");
    await Deno.writeTextFile(manifestOf(keys[3]), JSON.stringify({ ...good, keyInputs: null }));
    const reasons = [];
    for (const key of keys) {
      const found = await store.lookup("train", key);
      reasons.push(found.state === "corrupt" ? found.reason : found.state);
    }
    assertEquals(reasons, [
      "manifest.json is malformed: it is null, not an object",
      "manifest.json is malformed: files is null",
      "manifest.json is not valid JSON",
      // keys[3] holds keys[0]'s manifest with keyInputs null: its shape is checked first.
      "manifest.json is malformed: keyInputs is null",
      "hit",
    ]);
    await Deno.writeTextFile(manifestOf(keys[3]), JSON.stringify(good));
    const other = await store.lookup("train", keys[3]);
    assertEquals(
      other.state === "corrupt" && other.reason,
      `manifest is for train ${keys[0]}, not its folder`,
    );
    // status explains staleness from the manifests that are sound, and does not throw.
    assertEquals((await store.manifests("train")).map((m) => m.key).sort(), [keys[0], keys[4]]);
    assertEquals(parseManifest("[]"), "manifest.json is malformed: it is a list, not an object");
  }, "store-test-");
});

Deno.test("an entry that is a symlink is corrupt, and the store's .tmp must be a real folder", async () => {
  await withTempDir(async (root) => {
    const store = new ArtifactStore(join(root, "store"));
    const elsewhere = await publishFake(
      new ArtifactStore(join(root, "other")),
      "train",
      "a".repeat(64),
    );
    await Deno.mkdir(join(store.root, "train"), { recursive: true });
    await Deno.symlink(elsewhere, store.dir("train", "a".repeat(64)));
    const found = await store.lookup("train", "a".repeat(64));
    assertEquals(
      found.state === "corrupt" && found.reason,
      "the entry is not a folder (a symlink)",
    );
    await Deno.mkdir(join(root, "victim"));
    await Deno.symlink(join(root, "victim"), join(store.root, ".tmp"));
    await assertRejects(
      () => store.makeTempDir("train", "b".repeat(64)),
      "is not a folder (a symlink)",
    );
    assertEquals(await Array.fromAsync(Deno.readDir(join(root, "victim"))), []);
  }, "store-test-");
});

Deno.test("a .locks that is a symlink is refused: locks are never written outside the store", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  await Deno.mkdir(store.root, { recursive: true });
  await Deno.mkdir(join(root, "victim"));
  await Deno.symlink(join(root, "victim"), join(store.root, ".locks"));
  await assertRejects(() => store.locksDir(), "is not a folder (a symlink)");
});
