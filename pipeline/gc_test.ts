import { join } from "node:path";
import { collectGarbage, reachable, reportRoots } from "./gc.ts";
import { leasedEntries, RunLease } from "./run_lease.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { publishFake } from "./store_fakes.ts";
import { assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";
import { currentProcess, identityTag, readProcStat } from "./process_identity.ts";
import { deadPid, liveProcess } from "./process_testing.ts";

const key = (c: string) => c.repeat(64);
const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** prepare a ← train b ← evaluate c (reached); train d ← prepare a (not); a checkpoint of e. */
async function sampleStore() {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  await publishFake(store, "prepare", key("a"));
  await publishFake(store, "train", key("b"), { prepare: key("a") });
  await publishFake(store, "evaluate", key("c"), { train: key("b"), prepare: key("a") });
  await publishFake(store, "train", key("d"), { prepare: key("a") });
  await Deno.mkdir(store.workDir("train", key("e")), { recursive: true });
  await Deno.writeTextFile(join(store.workDir("train", key("e")), "state.json"), "{}");
  return { root, store };
}

Deno.test("reachable follows lineage upstream, through comparison input names too", async () => {
  const { store } = await sampleStore();
  await publishFake(store, "compare", key("f"), { "evaluate:vae": key("c") });
  const reached = await reachable(store, [`compare/${key("f")}`]);
  assertEquals(
    [...reached].sort(),
    [`compare/${key("f")}`, `evaluate/${key("c")}`, `prepare/${key("a")}`, `train/${key("b")}`],
  );
});

Deno.test("gc removes only the unreached, spares locked entries, and a dry run removes nothing", async () => {
  const { root, store } = await sampleStore();
  const keep = await reachable(store, [`evaluate/${key("c")}`]);
  const noLocks = () => Promise.resolve(false);
  const dry = await collectGarbage(store, keep, noLocks, true);
  assertEquals(dry.removed.map((r) => r.what), ["train dddddddd", "checkpoint train eeeeeeee"]);
  assertEquals(dry.kept, 3);
  assertEquals(await exists(store.dir("train", key("d"))), true);

  const lockedD = (stage: string, k: string) =>
    Promise.resolve(stage === "train" && k === key("d"));
  const real = await collectGarbage(store, keep, lockedD, false);
  assertEquals(real.removed.map((r) => r.what), ["checkpoint train eeeeeeee"]);
  assertEquals(real.locked.map((r) => r.what), ["train dddddddd"]);
  assertEquals(await exists(store.dir("train", key("d"))), true);
  assertEquals(await exists(store.workDir("train", key("e"))), false);
  for (const [stage, c] of [["prepare", "a"], ["train", "b"], ["evaluate", "c"]]) {
    assertEquals(await exists(store.dir(stage, key(c))), true, `${stage} ${c} must stay`);
  }
  assertEquals(await reportRoots(join(root, "no-reports")), []);
});

Deno.test("gc never follows a symlinked .work, .corrupt or .tmp: the victim folders survive", async () => {
  const { root, store } = await sampleStore();
  await Deno.remove(join(store.root, ".work"), { recursive: true });
  // Victims outside the store, named as gc would remove them, reached through symlinks.
  const victim = join(root, "victim");
  const named = [`train-${key("9")}`, `train-${key("8")}-1700000000000`, "train-x-pid1-old"];
  for (const name of named) {
    await Deno.mkdir(join(victim, name), { recursive: true });
    await Deno.writeTextFile(join(victim, name, "precious.txt"), "mine");
  }
  for (const internal of [".work", ".corrupt"]) {
    await Deno.symlink(victim, join(store.root, internal));
  }
  const keep = await reachable(store, [`evaluate/${key("c")}`]);
  const noLocks = () => Promise.resolve(false);
  const result = await collectGarbage(store, keep, noLocks, false);
  assertEquals(result.removed.map((r) => r.what), ["train dddddddd"]);
  assertEquals(result.left.map((r) => r.path), [".work", ".corrupt"]);
  assertIncludes(
    result.left[0].what,
    ".work: is a symlink, not a folder, not followed; left alone",
  );
  for (const name of named) {
    assertEquals(await Deno.readTextFile(join(victim, name, "precious.txt")), "mine");
  }
  // A .tmp that is a symlink: nothing is renamed through it (nor swept in it).
  await publishFake(store, "train", key("7"), { prepare: key("a") });
  await Deno.remove(join(store.root, ".tmp"), { recursive: true });
  await Deno.symlink(victim, join(store.root, ".tmp"));
  await assertRejects(
    () => collectGarbage(store, keep, noLocks, false),
    `${join(store.root, ".tmp")} is not a folder (a symlink)`,
  );
  assertEquals(await exists(store.dir("train", key("7"))), true);
  for (const name of named) {
    assertEquals(await Deno.readTextFile(join(victim, name, "precious.txt")), "mine");
  }
});

Deno.test("gc leaves symlinks inside .work and .corrupt and folders that are not checkpoints", async () => {
  const { root, store } = await sampleStore();
  const victim = join(root, "victim");
  await Deno.mkdir(victim);
  await Deno.writeTextFile(join(victim, "precious.txt"), "mine");
  await Deno.symlink(victim, join(store.root, ".work", `train-${key("9")}`));
  await Deno.mkdir(join(store.root, ".corrupt"));
  await Deno.symlink(victim, join(store.root, ".corrupt", `train-${key("8")}-1700000000000`));
  await Deno.mkdir(join(store.root, ".work", "notes"));
  const keep = await reachable(store, [`evaluate/${key("c")}`]);
  const result = await collectGarbage(store, keep, () => Promise.resolve(false), false);
  assertEquals(result.removed.map((r) => r.what), ["train dddddddd", "checkpoint train eeeeeeee"]);
  assertEquals(result.left.map((r) => r.path).sort(), [
    `.corrupt/train-${key("8")}-1700000000000`,
    ".work/notes",
    `.work/train-${key("9")}`,
  ]);
  assertEquals(await Deno.readTextFile(join(victim, "precious.txt")), "mine");
  assertEquals(await exists(join(store.root, ".work", "notes")), true);
});

Deno.test("gc refuses a folder that is not a store, and leaves a <stage>/<key> without its manifest", async () => {
  const root = await tempDir();
  const home = join(root, "home");
  await Deno.mkdir(join(home, "src", "a".repeat(64)), { recursive: true });
  await Deno.writeTextFile(join(home, "src", "a".repeat(64), "main.ts"), "precious");
  await Deno.mkdir(join(home, ".work", `train-${key("b")}`), { recursive: true });
  await Deno.writeTextFile(join(home, "notes.md"), "mine");
  const notAStore = new ArtifactStore(home);
  await assertRejects(
    () => collectGarbage(notAStore, new Set(), () => Promise.resolve(false), false),
    `${home} does not look like an artifact store (no <stage>/<key>/manifest.json); ` +
      "nothing was removed",
  );
  assertEquals(await exists(join(home, "src", "a".repeat(64), "main.ts")), true);
  assertEquals(await exists(join(home, ".work", `train-${key("b")}`)), true);

  // An empty folder, or one with only the store's own folders, is a store with nothing in it.
  assertEquals(
    (await collectGarbage(
      new ArtifactStore(join(root, "empty")),
      new Set(),
      () => Promise.resolve(false),
      false,
    )).removed,
    [],
  );

  const { store } = await sampleStore();
  const keep = await reachable(store, [`evaluate/${key("c")}`]);
  // A folder with no manifest, one whose manifest names another key, a bad key name, a link.
  await Deno.mkdir(store.dir("train", key("1")));
  await Deno.writeTextFile(join(store.dir("train", key("1")), "weights.bin"), "w");
  await Deno.mkdir(store.dir("train", key("2")));
  await Deno.copyFile(
    join(store.dir("train", key("d")), "manifest.json"),
    join(store.dir("train", key("2")), "manifest.json"),
  );
  await Deno.mkdir(join(store.root, "train", "not-a-key"));
  await Deno.symlink(join(root, "home"), store.dir("train", key("3")));
  await Deno.mkdir(store.dir("train", key("4")));
  await Deno.writeTextFile(join(store.dir("train", key("4")), "manifest.json"), '{"files":null}');
  const result = await collectGarbage(store, keep, () => Promise.resolve(false), false);
  assertEquals(result.removed.map((r) => r.what), ["train dddddddd", "checkpoint train eeeeeeee"]);
  assertEquals(result.left.map((r) => r.what).sort(), [
    `train/${key("1")}: not a store entry, left alone (manifest.json is missing)`,
    `train/${key("2")}: not a store entry, left alone (its manifest.json is for train dddddddd)`,
    `train/${key("3")}: not a store entry, left alone (a symlink, not followed)`,
    `train/${key("4")}: not a store entry, left alone ` +
    "(manifest.json is malformed: stage is not a stage name)",
    "train/not-a-key: not a store entry, left alone (its name is not a 64-hex-digit key)",
  ]);
  for (const k of ["1", "2", "4"]) assertEquals(await exists(store.dir("train", key(k))), true);
  assertEquals(await exists(join(root, "home", "notes.md")), true);
});

Deno.test("gc reclaims .tmp leftovers whose owner provably died, with their bytes, and no others", async () => {
  const me = currentProcess();
  const live = liveProcess();
  try {
    const { store } = await sampleStore();
    const gone = await deadPid();
    const liveStart = readProcStat(live.pid)!.startTime;
    const tagged = (o: Partial<typeof me>) => `train-aaaaaaaa-${identityTag({ ...me, ...o })}-r`;
    const dead = tagged({ pid: gone });
    const kept = [
      tagged({ pid: live.pid, startTime: liveStart }), // alive
      tagged({ pid: gone, host: "elsewhere" }), // unknown: another host
      "no-owner-in-this-name", // unknown
    ];
    for (const name of [dead, ...kept]) {
      await Deno.mkdir(join(store.root, ".tmp", name), { recursive: true });
      await Deno.writeTextFile(join(store.root, ".tmp", name, "partial.bin"), "12345");
    }
    await Deno.symlink("/", join(store.root, ".tmp", tagged({ pid: gone, startTime: 1 })));
    const keep = await reachable(store, [`evaluate/${key("c")}`, `train/${key("d")}`]);
    const noLocks = () => Promise.resolve(false);
    const dry = await collectGarbage(store, keep, noLocks, true);
    const temps = dry.removed.filter((r) => r.path.startsWith(".tmp"));
    assertEquals(temps.map((r) => [r.path, r.bytes]), [[join(".tmp", dead), 5]]);
    assertIncludes(temps[0].what, `temp ${dead} (`);
    assertEquals(await exists(join(store.root, ".tmp", dead)), true, "a dry run removes nothing");
    await collectGarbage(store, keep, noLocks, false);
    assertEquals(await exists(join(store.root, ".tmp", dead)), false);
    for (const name of kept) assertEquals(await exists(join(store.root, ".tmp", name)), true);
    assertEquals(await exists(join(store.root, ".tmp", tagged({ pid: gone, startTime: 1 }))), true);
  } finally {
    await live.stop();
  }
});

Deno.test("a live run's lease keeps its entries from gc; a dead run's lease counts for nothing", async () => {
  const { store } = await sampleStore();
  const lease = new RunLease(store, [`train/${key("d")}`]);
  await lease.take();
  assertEquals([...await leasedEntries(store)], [`train/${key("d")}`]);
  await lease.release();
  assertEquals([...await leasedEntries(store)], []);
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const owner = { ...currentProcess(), pid: gone.pid };
  const dead = { owner, entries: [`train/${key("d")}`] };
  await Deno.writeTextFile(join(store.root, ".locks", "run-dead.json"), JSON.stringify(dead));
  assertEquals([...await leasedEntries(store)], []);
});

Deno.test("a lease from another pid namespace counts while its heartbeat is within its lease", async () => {
  const { store } = await sampleStore();
  const path = join(await store.locksDir(), "run-elsewhere.json");
  const owner = { ...currentProcess(), pidNamespace: "pid:[1]", pid: await deadPid() };
  const write = (lease: object) => Deno.writeTextFile(path, JSON.stringify(lease));
  const entries = [`train/${key("d")}`];
  await write({ owner, entries, leaseMs: 60_000 });
  assertEquals([...await leasedEntries(store)], entries, "a fresh heartbeat");
  const stopped = new Date(Date.now() - 61_000);
  await Deno.utime(path, stopped, stopped);
  assertEquals([...await leasedEntries(store)], [], "its heartbeat stopped past its lease");
  await write({ owner, entries });
  await Deno.utime(path, stopped, stopped);
  assertEquals([...await leasedEntries(store)], entries, "no lease named: never judged");
});
