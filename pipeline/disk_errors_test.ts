import { join } from "node:path";
import { describeDiskError, isNoSpace, isReadOnly, namingPath } from "./disk_errors.ts";
import { UserError } from "./errors.ts";
import type { ModuleGraph } from "./fingerprint.ts";
import { hashValue } from "./hash.ts";
import { silentProgress } from "./progress.ts";
import type { PlannedStage } from "./plan.ts";
import { type RunEnv, runStage } from "./runner.ts";
import type { StageFn } from "./stage.ts";
import { withTempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { listFiles } from "./folders.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";

/** An error as Deno raises it for a failed write (a plain Error with an errno code). */
function osError(text: string, code: string): Error {
  return Object.assign(new Error(text), { code });
}

Deno.test("a write error that does not name its file gets the path, and keeps its code", () => {
  const full = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  const named = namingPath(full, "/s/.tmp/x/train_images.npy") as Error & { code: string };
  assertEquals(
    named.message,
    "No space left on device (os error 28): write '/s/.tmp/x/train_images.npy'",
  );
  assertEquals([named.code, named.cause], ["ENOSPC", full]);
  assertEquals(
    describeDiskError(named, { root: "/s" })?.message,
    "no space left on device in /s while writing train_images.npy; free space and run " +
      "again — nothing was published",
  );
  const saysIt = new Error("No such file or directory (os error 2): open '/s/a.npy'");
  assertEquals(namingPath(saysIt, "/s/a.npy"), saysIt);
});

Deno.test("a full disk and a read-only store become one line naming the stage and the file", () => {
  const where = { root: "/s", stage: "train", key: "3f9a2c1d99" };
  const full = osError(
    "No space left on device (os error 28): write '/s/.work/train-3f9a/checkpoint.next/optimizer.bin'",
    "ENOSPC",
  );
  assert_(isNoSpace(full) && !isReadOnly(full));
  const mapped = describeDiskError(full, where)!;
  assert_(mapped instanceof UserError && mapped.cause === full);
  assertEquals(
    mapped.message,
    "no space left on device in /s while writing train 3f9a2c1d (checkpoint.next/optimizer.bin)" +
      "; free space and run again — nothing was published",
  );
  const readOnly = osError("Read-only file system (os error 30): mkdir '/s/.locks'", "EROFS");
  assertEquals(
    describeDiskError(readOnly, where)!.message,
    "the artifact store /s is read-only (needed to write train 3f9a2c1d (its lock)); " +
      "make it writable or pass --artifacts <a writable dir> — nothing was published",
  );
  const denied = new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/s/x'");
  assertIncludes(describeDiskError(denied, { root: "/s", what: "x" })!.message, "read-only");
  // Not the store's problem, or not a disk error: left to the caller.
  const elsewhere = osError("Permission denied (os error 13): open '/data/x.idx'", "EACCES");
  assertEquals(describeDiskError(elsewhere, where), undefined);
  assertEquals(describeDiskError(new Error("boom"), where), undefined);
  assertEquals(describeDiskError(new UserError("already one line"), where), undefined);
  // No code, only Deno's message: still recognised.
  assert_(isNoSpace(new Error("No space left on device (os error 28)")));
});

/** Whether this process may mount (root in a privileged container): tmpfs and bind mounts. */
function canMount(): boolean {
  if (Deno.build.os !== "linux") return false;
  const dir = Deno.makeTempDirSync({ prefix: "mount-probe-" });
  try {
    const mount = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir];
    if (!run("mount", mount)) return false;
    return run("umount", [dir]);
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function run(command: string, args: string[]): boolean {
  return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
}

const MOUNTS = canMount();
const ROOT = Deno.uid() === 0;

/** A one-stage plan whose stage runs `fn`, and an env that keeps the lines it prints. */
function oneStage(name: string, root: string, fn: StageFn) {
  const keyInputs = { stage: name, code: "c", params: {}, inputs: {}, runtime: { deno: "x" } };
  const stage: PlannedStage = {
    spec: {
      name,
      module: new URL(import.meta.url),
      after: [],
      params: () => ({}),
      load: () => Promise.resolve(fn),
    },
    key: hashValue(keyInputs),
    keyInputs,
    fingerprint: { files: {}, npm: [] },
  };
  const lines: string[] = [];
  const env: RunEnv = {
    store: new ArtifactStore(root),
    graph: { modules: new Map(), redirects: {}, npmPackages: {} } as ModuleGraph,
    projectRoot: root,
    configPath: "test.yaml",
    status: (line) => lines.push(line),
    log: (line) => lines.push(line),
    progress: silentProgress,
  };
  const go = () => runStage({ name: "test", seed: 0 }, stage, {}, env, false);
  return { stage, env, lines, go };
}

Deno.test({
  name: MOUNTS
    ? "a full disk (2 MB tmpfs) fails in one line, publishes nothing, leaves no temp dir"
    : "a full disk (needs mount: not permitted here, skipped)",
  ignore: !MOUNTS,
  fn: () =>
    withTempDir(async (dir) => {
      const root = join(dir, "store");
      await Deno.mkdir(root);
      if (!run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", root])) throw new Error("mount");
      try {
        const big = new Uint8Array(3_000_000);
        const cases: [string, StageFn, string][] = [
          ["train", async (ctx) => {
            await Deno.mkdir(join(ctx.workDir, "checkpoint.next"));
            await Deno.writeFile(join(ctx.workDir, "checkpoint.next", "optimizer.bin"), big);
          }, "checkpoint.next/optimizer.bin"],
          ["evaluate", (ctx) => Deno.writeFile(join(ctx.outDir, "big.bin"), big), "big.bin"],
        ];
        for (const [name, fn, what] of cases) {
          const { stage, env, go } = oneStage(name, root, fn);
          const error = await assertRejects(go);
          assert_(error instanceof UserError, `a UserError, got ${error.stack}`);
          assertEquals(
            error.message,
            `no space left on device in ${root} while writing ${name} ${stage.key.slice(0, 8)} ` +
              `(${what}); free space and run again — nothing was published`,
          );
          assertEquals((await env.store.lookup(name, stage.key)).state, "miss");
          assertEquals(await listFiles(join(root, ".tmp")), [], "the partial temp dir is gone");
          assertEquals(await listFiles(join(root, ".locks")), [], "the lock is released");
          // The stage's checkpoints are kept to resume from; the space they hold is freed here.
          await Deno.remove(join(root, ".work"), { recursive: true }).catch(() => {});
        }
      } finally {
        run("umount", [root]);
      }
    }, "disk-full-test-"),
});

/** Every entry under `dir` (directories too) with its size and mtime. */
async function snapshot(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const info = await Deno.lstat(join(dir, rel));
    out.push(`${rel} ${info.size} ${info.mtime?.getTime()}`);
    if (entry.isDirectory) out.push(...await snapshot(dir, rel));
  }
  return out.sort();
}

Deno.test("a cached stage touches nothing: no lock, no temp dir, no changed mtime", async () => {
  await withTempDir(async (root) => {
    const { lines, go } = oneStage(
      "prepare",
      root,
      (ctx) => Deno.writeTextFile(join(ctx.outDir, "x"), "1"),
    );
    await go();
    await Deno.remove(join(root, ".locks"), { recursive: true });
    const before = await snapshot(root);
    lines.length = 0;
    const again = await go();
    assert_(again.cached && lines.length === 1 && lines[0].includes("  cached  "), lines[0]);
    assertEquals(await snapshot(root), before);
  }, "read-only-test-");
});

/** Make `dir` read-only for this process: chmod, or for root (whom chmod does not stop) a
 * read-only bind mount. Returns the undo, or undefined when neither is possible. */
function makeReadOnly(dir: string): (() => void) | undefined {
  if (!ROOT) {
    run("chmod", ["-R", "a-w", dir]);
    return () => run("chmod", ["-R", "u+w", dir]);
  }
  if (!MOUNTS || !run("mount", ["--bind", dir, dir])) return undefined;
  if (!run("mount", ["-o", "remount,ro,bind", dir])) {
    run("umount", [dir]);
    return undefined;
  }
  return () => run("umount", [dir]);
}

Deno.test({
  name: !ROOT || MOUNTS
    ? "a fully cached run works on a read-only store; a miss there says so in one line"
    : "a read-only store (root without mount permission: cannot make one, skipped)",
  ignore: ROOT && !MOUNTS,
  fn: () =>
    withTempDir(async (dir) => {
      const root = join(dir, "store");
      const write: StageFn = (ctx) => Deno.writeTextFile(join(ctx.outDir, "x"), "1");
      const cached = oneStage("prepare", root, write);
      await cached.go();
      // A dead run's leftover, which the sweep must leave alone rather than fail on.
      await Deno.mkdir(join(root, ".tmp", "prepare-aaaaaaaa-pid999999999-old"));
      const undo = makeReadOnly(root);
      assert_(undo, "could not make the store read-only");
      try {
        assertEquals(await cached.env.store.sweepTemp(), []);
        assert_((await cached.go()).cached);
        const missing = oneStage("train", root, write);
        const error = await assertRejects(missing.go);
        assert_(error instanceof UserError, `a UserError, got ${error.stack}`);
        assertEquals(
          error.message,
          `the artifact store ${root} is read-only (needed to write train ` +
            `${missing.stage.key.slice(0, 8)} (its lock)); make it writable or pass ` +
            `--artifacts <a writable dir> — nothing was published`,
        );
      } finally {
        undo();
      }
    }, "read-only-test-"),
});
