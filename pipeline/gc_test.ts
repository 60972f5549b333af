import { join } from "node:path";
import { collectGarbage, reachable, reportRoots } from "./gc.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { publishFake } from "./store_fakes.ts";
import { assertEquals } from "./test_assert.ts";

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
