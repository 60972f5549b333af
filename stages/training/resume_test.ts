import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { hashFile } from "../../pipeline/hash.ts";
import { withTempDir } from "../../pipeline/stage_testing.ts";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertRejects,
} from "../../pipeline/test_assert.ts";
import { initBackend } from "../model/backend.ts";
import { Adam } from "./adam.ts";
import { checkpointProblems } from "./checkpoint_manifest.ts";
import {
  loadResumePoint,
  type ResumeParts,
  saveResumePoint,
  type TrainingState,
  writeDurably,
} from "./resume.ts";

await initBackend("cpu");

const ADAM = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Two named variables filled from `fill`, and an Adam over them at step `step`. */
function makeParts(fill: number, step = 0, size = 6): ResumeParts {
  const values = (offset: number) =>
    Float32Array.from({ length: size }, (_, i) => fill + i + offset);
  // tidy frees the initial values; variables outlive it.
  const weights = tf.tidy(() => [
    { name: "layer/kernel", tensor: tf.variable(tf.tensor1d(values(0))) },
    { name: "layer/bias", tensor: tf.variable(tf.tensor1d(values(100))) },
  ]);
  const optimizer = new Adam(weights, ADAM);
  optimizer.step = step;
  tf.tidy(() => {
    for (const { m, v } of optimizer.moments.values()) {
      m.assign(tf.fill(m.shape, fill / 10));
      v.assign(tf.fill(v.shape, fill / 100));
    }
  });
  return { weights, optimizer };
}

function dispose(parts: ResumeParts): void {
  tf.dispose(parts.weights.map((w) => w.tensor));
  parts.optimizer.dispose();
}

const state = (epoch: number): TrainingState => ({
  completedEpochs: epoch,
  history: Array.from({ length: epoch }, (_, i) => ({ epoch: i + 1, loss: 10 - i })),
  best: null,
});

/** The values in `parts` as plain arrays, to compare what was restored. */
function snapshot(parts: ResumeParts) {
  return {
    weights: parts.weights.map((w) => [...w.tensor.dataSync()]),
    moments: parts.optimizer.namedState().map((s) => [...s.tensor.dataSync()]),
    step: parts.optimizer.step,
  };
}

/** Save checkpoints after epochs 1..n with values that differ per epoch. */
async function saveEpochs(workDir: string, n: number): Promise<void> {
  for (let epoch = 1; epoch <= n; epoch++) {
    const parts = makeParts(epoch, epoch * 8);
    await saveResumePoint(workDir, parts, state(epoch));
    dispose(parts);
  }
}

/** Load into fresh parts; returns the resumed epoch (0 for a fresh start), log and values. */
async function load(workDir: string) {
  const parts = makeParts(0);
  const lines: string[] = [];
  const resumed = await loadResumePoint(workDir, parts, (line) => lines.push(line));
  const values = snapshot(parts);
  dispose(parts);
  return { epoch: resumed?.state.completedEpochs ?? 0, resumed, lines, values };
}

/** The values makeParts(fill, step) holds. */
function expected(fill: number, step: number) {
  const parts = makeParts(fill, step);
  const values = snapshot(parts);
  dispose(parts);
  return values;
}

const entries = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("a checkpoint round-trips exactly, with a manifest of every file's sha256", async () => {
  await withTempDir(async (workDir) => {
    const before = tf.memory().numTensors;
    await saveEpochs(workDir, 3);
    assertEquals(await entries(workDir), ["checkpoint"]);
    const manifest = JSON.parse(
      await Deno.readTextFile(join(workDir, "checkpoint", "checkpoint.json")),
    );
    assertEquals(manifest.epoch, 3);
    assertEquals(Object.keys(manifest.files), [
      "model.bin",
      "model.json",
      "optimizer.bin",
      "optimizer.json",
      "state.json",
    ]);
    assert_(/^[0-9a-f]{64}$/.test(manifest.files["model.bin"].sha256));
    const { epoch, resumed, lines, values } = await load(workDir);
    assertEquals(epoch, 3);
    assertEquals(resumed?.state.history, state(3).history);
    assertEquals(resumed?.dir, join(workDir, "checkpoint"));
    assertEquals(values, expected(3, 24));
    assertEquals(lines, []);
    assertEquals(await checkpointProblems(workDir), []);
    assertEquals(tf.memory().numTensors, before);
  }, "resume-test-");
});

Deno.test("a tampered checkpoint is discarded before anything is restored", async () => {
  await withTempDir(async (workDir) => {
    await saveEpochs(workDir, 3);
    const bin = join(workDir, "checkpoint", "model.bin");
    const bytes = await Deno.readFile(bin);
    bytes[5] ^= 0x40;
    await Deno.writeFile(bin, bytes);
    assertEquals(await checkpointProblems(workDir), [
      "checkpoint: model.bin does not match its sha256",
    ]);
    const { epoch, lines, values } = await load(workDir);
    assertEquals(epoch, 0);
    assertEquals(lines, [
      "train: checkpoint after epoch 3 is corrupt (model.bin does not match its sha256); " +
      "starting from epoch 1 (moved it to checkpoint.corrupt)",
    ]);
    assertEquals(values, expected(0, 0), "nothing restored");
    assertEquals(await entries(workDir), ["checkpoint.corrupt"]);
  }, "resume-test-");
});

Deno.test("a checkpoint whose hashes match but whose tensors cannot be read back is not used", async () => {
  await withTempDir(async (workDir) => {
    await saveEpochs(workDir, 2);
    // Rewrite model.json with a wrong shape and re-hash it, as another version might have.
    const dir = join(workDir, "checkpoint");
    const spec = await Deno.readTextFile(join(dir, "model.json"));
    const wrong = spec.replace(/"shape":\s*\[\s*(\d+)/, (_, n) => `"shape":[${Number(n) * 7}`);
    assert_(wrong !== spec, "the test must change a shape");
    await Deno.writeTextFile(join(dir, "model.json"), wrong);
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "checkpoint.json")));
    manifest.files["model.json"] = await hashFile(join(dir, "model.json"));
    await Deno.writeTextFile(join(dir, "checkpoint.json"), JSON.stringify(manifest));
    const { epoch, lines, values } = await load(workDir);
    assertEquals(epoch, 0);
    assertIncludes(
      lines[0],
      "train: checkpoint after epoch 2 is corrupt (model.json cannot be read back",
    );
    assertEquals(values, expected(0, 0), "nothing restored");
  }, "resume-test-");
});

Deno.test("a checkpoint without its manifest, or with a file missing, is not used", async () => {
  await withTempDir(async (workDir) => {
    await saveEpochs(workDir, 2);
    await Deno.remove(join(workDir, "checkpoint", "optimizer.bin"));
    const missing = await load(workDir);
    assertEquals(missing.epoch, 0);
    assertIncludes(
      missing.lines[0],
      "checkpoint after epoch 2 is corrupt (optimizer.bin is missing)",
    );
    await saveEpochs(workDir, 1);
    await Deno.remove(join(workDir, "checkpoint", "checkpoint.json"));
    const legacy = await load(workDir);
    assertEquals(legacy.epoch, 0);
    assertIncludes(
      legacy.lines[0],
      "checkpoint (epoch unknown) is corrupt (checkpoint.json is missing)",
    );
  }, "resume-test-");
});

Deno.test("a checkpoint copied from another stage key is not used", async () => {
  await withTempDir(async (root) => {
    const mine = join(root, `train-${"a".repeat(64)}`);
    const other = join(root, `train-${"b".repeat(64)}`);
    await saveEpochs(other, 2);
    await Deno.mkdir(mine);
    await Deno.rename(join(other, "checkpoint"), join(mine, "checkpoint"));
    const { epoch, lines } = await load(mine);
    assertEquals(epoch, 0);
    assertIncludes(lines[0], `it was saved for key ${"b".repeat(64)}, not ${"a".repeat(64)}`);
  }, "resume-test-");
});

Deno.test("a crash between the renames resumes from checkpoint.prev; checkpoint.next goes", async () => {
  await withTempDir(async (root) => {
    const workDir = join(root, "work");
    const elsewhere = join(root, "elsewhere");
    await saveEpochs(workDir, 2);
    await saveEpochs(elsewhere, 3);
    // Mid-swap: checkpoint → checkpoint.prev done, checkpoint.next → checkpoint not yet.
    await Deno.rename(join(workDir, "checkpoint"), join(workDir, "checkpoint.prev"));
    await Deno.rename(join(elsewhere, "checkpoint"), join(workDir, "checkpoint.next"));
    const { epoch, resumed, lines, values } = await load(workDir);
    assertEquals(epoch, 2);
    assertEquals(resumed?.dir, join(workDir, "checkpoint.prev"));
    assertEquals(values, expected(2, 16));
    assertEquals(lines, [
      `train: removed ${
        join(workDir, "checkpoint.next")
      }: a save was interrupted before it completed`,
    ]);
    assertEquals(await entries(workDir), ["checkpoint.prev"]);
    // The next save replaces it, leaving one checkpoint.
    const parts = makeParts(3, 24);
    await saveResumePoint(workDir, parts, state(3));
    dispose(parts);
    assertEquals(await entries(workDir), ["checkpoint"]);
    assertEquals((await load(workDir)).epoch, 3);
  }, "resume-test-");
});

Deno.test("a corrupt checkpoint falls back to a valid checkpoint.prev", async () => {
  await withTempDir(async (root) => {
    const workDir = join(root, "work");
    const elsewhere = join(root, "elsewhere");
    await saveEpochs(workDir, 2);
    await saveEpochs(elsewhere, 3);
    await Deno.rename(join(workDir, "checkpoint"), join(workDir, "checkpoint.prev"));
    await Deno.rename(join(elsewhere, "checkpoint"), join(workDir, "checkpoint"));
    await Deno.writeTextFile(join(workDir, "checkpoint", "state.json"), "{}");
    const { epoch, lines } = await load(workDir);
    assertEquals(epoch, 2);
    assertEquals(lines.length, 1);
    assertIncludes(lines[0], "train: checkpoint after epoch 3 is corrupt (state.json has 2 bytes");
    assertIncludes(lines[0], "; resuming from checkpoint.prev after epoch 2");
  }, "resume-test-");
});

/** A writer that fails like a full disk once `budget` bytes are written, half-writing a file. */
function fullDiskAfter(budget: number) {
  let left = budget;
  return async (path: string, data: Uint8Array) => {
    const fits = Math.min(left, data.length);
    left -= fits;
    await writeDurably(path, data.subarray(0, fits));
    if (fits < data.length) {
      throw Object.assign(
        new Error(`No space left on device (os error 28): write '${path}'`),
        { code: "ENOSPC" },
      );
    }
  };
}

Deno.test("a full disk while checkpointing keeps the previous checkpoint, no partial copy", async () => {
  await withTempDir(async (workDir) => {
    await saveEpochs(workDir, 1);
    const parts = makeParts(2, 16);
    const error = await assertRejects(() =>
      saveResumePoint(workDir, parts, state(2), { write: fullDiskAfter(300) })
    );
    dispose(parts);
    assert_(error instanceof UserError, `a UserError, got ${error}`);
    assert_(!error.message.includes("\n"), `one line: ${error.message}`);
    assertIncludes(error.message, "no space left on device in " + workDir);
    assertIncludes(error.message, "(removed the partial copy, kept the previous checkpoint)");
    assertEquals(await entries(workDir), ["checkpoint"]);
    const { epoch, values } = await load(workDir);
    assertEquals(epoch, 1);
    assertEquals(values, expected(1, 8));
  }, "resume-test-");
});

Deno.test("any other save failure is one plain line and leaves no partial copy", async () => {
  await withTempDir(async (workDir) => {
    const parts = makeParts(1, 8);
    const failing = () => Promise.reject(new Error("the disk went away\n  at somewhere"));
    const error = await assertRejects(() =>
      saveResumePoint(workDir, parts, state(1), { write: failing })
    );
    dispose(parts);
    assertEquals(
      error.message,
      `train: could not save the checkpoint after epoch 1 in ${workDir}: the disk went away ` +
        "at somewhere; removed the partial copy",
    );
    assertEquals(await entries(workDir), []);
  }, "resume-test-");
});

/** Whether this machine lets us mount a tmpfs (root in a container that allows it). */
async function canMountTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const dir = await Deno.makeTempDir({ prefix: "resume-test-mount-" });
  try {
    const mount = await run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    if (mount) await run("umount", [dir]);
    return mount;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a real full disk (a tiny tmpfs) while checkpointing keeps the previous checkpoint",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await withTempDir(async (disk) => {
      // One checkpoint (64 KiB of weights, 128 KiB of moments) fits in 320 KiB; two do not.
      assert_(await run("mount", ["-t", "tmpfs", "-o", "size=320k", "tmpfs", disk]), "mount");
      try {
        const workDir = join(disk, "work");
        await Deno.mkdir(workDir);
        const first = makeParts(1, 8, 8192);
        await saveResumePoint(workDir, first, state(1));
        dispose(first);
        const second = makeParts(2, 16, 8192);
        const error = await assertRejects(() => saveResumePoint(workDir, second, state(2)));
        dispose(second);
        assertIncludes(error.message, "no space left on device");
        assertIncludes(error.message, "while writing train (checkpoint.next/");
        assert_(!error.message.includes("\n"), `one line: ${error.message}`);
        assertEquals(await entries(workDir), ["checkpoint"]);
        const parts = makeParts(0, 0, 8192);
        const resumed = await loadResumePoint(workDir, parts);
        assertEquals(resumed?.state.completedEpochs, 1);
        dispose(parts);
      } finally {
        await run("umount", [disk]);
      }
    }, "resume-test-tmpfs-");
  },
});
