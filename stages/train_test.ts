import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { configSchema } from "./config_schema.ts";
import { computeOf } from "./model/compute.ts";
import { NumericError } from "../pipeline/errors.ts";
import { sha256 } from "../pipeline/hash.ts";
import type { StageContext } from "../pipeline/stage.ts";
import type { ResumePoint } from "../pipeline/interrupt.ts";
import { tempDir, testContext } from "../pipeline/stage_testing.ts";
import { readCsv } from "../lib/table.ts";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../pipeline/test_assert.ts";
import { prepare } from "./prepare.ts";
import { UserError } from "../pipeline/errors.ts";
import { checkEpochRow, checkFinite, checkSplit, train, type TrainStageParams } from "./train.ts";
import { disposeModel } from "./model/networks.ts";
import { fileHandler, saveCheckpoint } from "./model/io.ts";
import * as tfl from "@tensorflow/tfjs-layers";
import { loadTrainedModel } from "./training/trained_model.ts";

const ROOT = await tempDir("train-test-");

/** Small synthetic data (8×8, 4 classes), prepared once for every test here. */
const PREPARED = await (async () => {
  const data = configSchema.parse({
    data: { source: "synthetic", synthetic: { count: 400, size: 8, classes: 4 } },
  }).data;
  const ctx = await testContext({ seed: 3, data }, { dir: ROOT });
  await prepare(ctx);
  return ctx.outDir;
})();

function params(overrides: Record<string, unknown> = {}): TrainStageParams {
  const c = configSchema.parse({
    model: { hidden: [16], latentDim: 2 },
    train: { epochs: 3, batchSize: 40 },
    ...overrides,
  });
  return { seed: c.seed, compute: computeOf(c), model: c.model, loss: c.loss, train: c.train };
}

/** Hooks a test can give the stage's context: a kept work dir, progress, log, resume notes. */
type Hooks = Partial<Pick<StageContext, "workDir" | "progress" | "log" | "resumePoint">>;

async function runTrain(p: TrainStageParams, hooks: Hooks = {}) {
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
  Object.assign(ctx, hooks);
  await train(ctx);
  return ctx;
}

/** A progress whose tick throws past `step`: a crash in the middle of an epoch. */
const crashAfterStep = (last: number, before: () => void = () => {}) => () => ({
  tick(step?: number) {
    if ((step ?? 0) > last) {
      before();
      throw new Error("simulated crash");
    }
  },
  done() {},
});

const weightsHash = async (dir: string) => sha256(await Deno.readFile(join(dir, "weights.bin")));

Deno.test("the same config trains to byte-identical weights; another seed does not", async () => {
  const a = await runTrain(params());
  const b = await runTrain(params());
  const c = await runTrain(params({ seed: 1 }));
  assertEquals(await weightsHash(a.outDir), await weightsHash(b.outDir));
  assertEquals(
    await Deno.readTextFile(join(a.outDir, "history.csv")),
    await Deno.readTextFile(join(b.outDir, "history.csv")),
  );
  assertNotEquals(await weightsHash(a.outDir), await weightsHash(c.outDir));
});

Deno.test("an interrupted training resumes from its last epoch to the same final weights", async () => {
  const whole = await runTrain(params({ loss: { warmupEpochs: 2 } }));
  const workDir = await Deno.makeTempDir({ dir: ROOT });
  // Crash in the middle of epoch 3 (8 steps per epoch): epochs 1–2 are checkpointed.
  // What an interrupt would say, asked at the moment of the crash (as a signal handler asks).
  let asked: ResumePoint | undefined;
  const answer = () => typeof asked === "function" ? asked() : asked;
  await assertRejects(
    () =>
      runTrain(params({ loss: { warmupEpochs: 2 } }), {
        workDir,
        progress: crashAfterStep(20, () => assertEquals(answer(), "after epoch 2 of 3")),
        resumePoint: (where) => asked = where,
      }),
    "simulated crash",
  );
  const lines: string[] = [];
  const resumed = await runTrain(params({ loss: { warmupEpochs: 2 } }), {
    workDir,
    log: (line) => lines.push(line),
  });
  assertIncludes(
    lines[0],
    `train: resuming after epoch 2 of 3 from ${join(workDir, "checkpoint")} (saved `,
  );
  assertEquals(await weightsHash(resumed.outDir), await weightsHash(whole.outDir));
  assertEquals(
    await Deno.readTextFile(join(resumed.outDir, "history.csv")),
    await Deno.readTextFile(join(whole.outDir, "history.csv")),
  );
});

Deno.test("the saved weights load back into a model identical to the trained one", async () => {
  const ctx = await runTrain(params({ model: { kind: "cvae-prior", hidden: [16] } }));
  const { model, summary } = await loadTrainedModel(ctx.outDir);
  assertEquals(summary.classes, [0, 1, 2, 3]);
  assert_(model.classMeans !== undefined, "cvae-prior keeps its class-mean table");
  const resaved = await Deno.makeTempDir({ dir: ROOT });
  await saveCheckpoint(model, resaved);
  assertEquals(await weightsHash(resaved), await weightsHash(ctx.outDir));
  disposeModel(model);
  // The tfjs layers format, one net per folder, for tools outside the pipeline.
  for (const net of ["encoder", "decoder", "prior"]) {
    const layers = await tfl.loadLayersModel(fileHandler(join(ctx.outDir, "model", net)));
    assertEquals(layers.inputs.length, 1);
    layers.dispose();
  }
});

Deno.test("training leaks no tensors", async () => {
  await runTrain(params({ train: { epochs: 1, batchSize: 40 } })); // warm up the backend
  const before = tf.memory().numTensors;
  await runTrain(params({ model: { kind: "cvae-prior", hidden: [16] } }));
  await runTrain(params({ model: { kind: "ae", hidden: [16] }, loss: { regularizer: "none" } }));
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("history logs every term per epoch, in nats per example", async () => {
  const ctx = await runTrain(params({ loss: { regularizer: "split-kl", wMu: 2, wSigma: 0.5 } }));
  const history = await readCsv(join(ctx.outDir, "history.csv"));
  assertEquals(history.length, 3);
  for (const row of history) {
    const { loss, recon, reg, mu_term, sigma_term, kl } = row as Record<string, number>;
    assert_(Math.abs(loss - (recon + reg)) < 1e-3, `loss ≠ recon + reg: ${JSON.stringify(row)}`);
    // split-kl: reg = wMu·(½Σμ²) + wSigma·(½Σ(σ² − log σ² − 1)), and kl = the sum of the halves.
    assert_(Math.abs(reg - (2 * mu_term + 0.5 * sigma_term)) < 1e-3, JSON.stringify(row));
    assert_(Math.abs(kl - (mu_term + sigma_term)) < 1e-3, JSON.stringify(row));
    assert_("mean_log_var_0" in row && "mean_log_var_1" in row);
  }
});

Deno.test("validation keeps the best epoch and early stopping records why it stopped", async () => {
  const ctx = await runTrain(params({
    train: {
      epochs: 4,
      batchSize: 40,
      validationFraction: 0.25,
      keep: "best-validation",
      patience: 1,
      learningRate: 0.05,
    },
  }));
  const summary = JSON.parse(await Deno.readTextFile(join(ctx.outDir, "training.json")));
  const history = await readCsv(join(ctx.outDir, "history.csv"));
  const losses = history.map((r) => r.val_neg_elbo as number);
  const bestEpoch = losses.indexOf(Math.min(...losses)) + 1;
  assertEquals(summary.keptEpoch, bestEpoch);
  assertEquals(summary.validationExamples, 80);
  assertEquals(summary.trainExamples, 240);
  assertIncludes(summary.selection, "lowest validation −ELBO");
  assertIncludes(String(ctx.records.selection), "lowest validation −ELBO");
});

Deno.test("a NaN stops training with the epoch, the step and the term", () => {
  checkFinite([1, 2, 3, 4, 5, 6], 0, 0);
  const error = assertThrows(() => checkFinite([1, 2, NaN, 4, 5, 6], 4, 11));
  assert_(error instanceof NumericError);
  assertIncludes(error.message, "epoch 5, step 12: the kl term is NaN");
});

Deno.test("a validation split that leaves either set empty stops before the first epoch", async () => {
  // PREPARED has 320 training examples: 0.999 holds out all of them, 0.0001 none.
  const cases: [number, string[]][] = [
    [0.999, [
      "train.validationFraction: 0.999 splits the 320 training examples into 0 to fit and " +
      "320 to validate: nothing is left to train on",
      "lower train.validationFraction (between 0.003125 and 0.9968)",
    ]],
    [0.0001, [
      "train.validationFraction: 0.0001 splits the 320 training examples into 320 to fit and " +
      "0 to validate: the validation set is empty",
      "raise train.validationFraction (between 0.003125 and 0.9968), or set it to 0",
    ]],
  ];
  for (const [fraction, says] of cases) {
    const p = params({
      train: { epochs: 2, batchSize: 40, validationFraction: fraction, keep: "best-validation" },
    });
    const lines: string[] = [];
    const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
    ctx.log = (line) => lines.push(line);
    const error = await assertRejects(() => train(ctx));
    assert_(error instanceof UserError, `expected a UserError, got ${error}`);
    assert_(!error.message.includes("\n"), error.message);
    for (const part of says) assertIncludes(error.message, part);
    assertEquals(lines, [], "no epoch ran");
    assertEquals([...Deno.readDirSync(ctx.outDir)], [], "nothing was written");
  }
  // The bounds it suggests work, and a split with room on both sides passes.
  checkSplit(320, 319, 1, 0.003125);
  checkSplit(320, 320, 0, 0);
  assertThrows(() => checkSplit(1, 0, 1, 0.5), "too few to train and validate");
  assertThrows(() => checkSplit(0, 0, 0, 0), "use more data");
});

Deno.test("an epoch's means must be finite: a NaN mean is never logged or kept", () => {
  checkEpochRow({ epoch: 1, loss: 1, recon: 2, val_neg_elbo: 3, mean_log_var_0: -1 });
  for (const [column, value] of [["loss", NaN], ["val_neg_elbo", NaN], ["kl", Infinity]]) {
    const error = assertThrows(() => checkEpochRow({ epoch: 4, loss: 1, [column]: value }));
    assert_(error instanceof NumericError, `expected a NumericError, got ${error}`);
    assertIncludes(error.message, `train: epoch 4: the epoch's ${column} is ${value}`);
  }
});

Deno.test("a diverging run fails loudly instead of writing weights", async () => {
  // Past the config's range on purpose: the stage itself must still stop on the NaN.
  const p = params();
  p.train = { ...p.train, learningRate: 1e30 };
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
  const error = await assertRejects(() => train(ctx));
  assert_(error instanceof NumericError, `expected a NumericError, got ${error}`);
  assertEquals([...Deno.readDirSync(ctx.outDir)], []);
});

/** A run crashed in epoch 3 of 3: its work dir holds the checkpoint after epoch 2. */
async function crashedRun(p: TrainStageParams): Promise<string> {
  const workDir = await Deno.makeTempDir({ dir: ROOT });
  await assertRejects(() => runTrain(p, { workDir, progress: crashAfterStep(20) }));
  return workDir;
}

Deno.test("a tampered checkpoint is discarded and the run ends as a clean one", async () => {
  const whole = await runTrain(params());
  const workDir = await crashedRun(params());
  // Scale the saved weights by 1.5, as if someone had edited them: same size, other bytes.
  const bin = join(workDir, "checkpoint", "model.bin");
  const weights = new Float32Array((await Deno.readFile(bin)).buffer);
  await Deno.writeFile(bin, new Uint8Array(weights.map((w) => w * 1.5).buffer));
  const lines: string[] = [];
  const ctx = await runTrain(params(), { workDir, log: (line) => lines.push(line) });
  assertEquals(lines[0].split("; ").slice(0, 2), [
    "train: checkpoint after epoch 2 is corrupt (model.bin does not match its sha256)",
    "starting from epoch 1 (moved it to checkpoint.corrupt)",
  ]);
  assert_(!lines.some((line) => line.includes("resuming")), lines.join("\n"));
  assertEquals(await weightsHash(ctx.outDir), await weightsHash(whole.outDir));
});

Deno.test("a crash between the checkpoint renames resumes from the previous one", async () => {
  const whole = await runTrain(params());
  const workDir = await crashedRun(params());
  // What a crash after `checkpoint` → `checkpoint.prev` leaves: prev, and a next not yet moved.
  await Deno.rename(join(workDir, "checkpoint"), join(workDir, "checkpoint.prev"));
  await Deno.mkdir(join(workDir, "checkpoint.next"));
  await Deno.writeTextFile(join(workDir, "checkpoint.next", "model.json"), "{");
  const lines: string[] = [];
  const ctx = await runTrain(params(), { workDir, log: (line) => lines.push(line) });
  assertIncludes(lines.join("\n"), "train: removed " + join(workDir, "checkpoint.next"));
  assertIncludes(
    lines.join("\n"),
    `train: resuming after epoch 2 of 3 from ${join(workDir, "checkpoint.prev")}`,
  );
  assertEquals(await weightsHash(ctx.outDir), await weightsHash(whole.outDir));
});

Deno.test("the epoch loop yields to the event loop, so timers and signals run mid-epoch", async () => {
  // 32 steps (320 train examples) of ≥ 20 ms each (a slow progress bar): over 640 ms.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const seen: number[] = [];
  const slow = () => ({
    tick() {
      const until = performance.now() + 20;
      while (performance.now() < until) { /* a slow step */ }
      seen.push(ticks);
    },
    done() {},
  });
  try {
    await runTrain(params({ train: { epochs: 1, batchSize: 10 } }), { progress: slow });
  } finally {
    clearInterval(timer);
  }
  assertEquals(seen.length, 32);
  // The timer fired between steps of the one epoch (at each yield), not only at its end.
  const midEpoch = new Set(seen.slice(0, -1)).size;
  assert_(midEpoch >= 3, `the interval ran at ${midEpoch - 1} points mid-epoch: ${seen}`);
});

Deno.test("a model too big for memory on the real image size stops before any allocation", async () => {
  const p = params({ model: { hidden: [16384, 16384, 16384, 16384] } });
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
  await assertRejects(
    () => train(ctx),
    "train: model.hidden makes training on 64-pixel images need",
  );
});
