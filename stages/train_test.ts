import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { configSchema } from "../pipeline/config_schema.ts";
import { NumericError } from "../pipeline/errors.ts";
import { sha256 } from "../pipeline/hash.ts";
import type { Progress } from "../pipeline/progress.ts";
import { testContext } from "../pipeline/stage_testing.ts";
import { readCsv } from "../pipeline/table.ts";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../pipeline/test_assert.ts";
import { prepare } from "./prepare.ts";
import { checkFinite, train, type TrainStageParams } from "./train.ts";
import { disposeModel } from "./model/networks.ts";
import { fileHandler, saveCheckpoint } from "./model/io.ts";
import * as tfl from "@tensorflow/tfjs-layers";
import { loadTrainedModel } from "./training/trained_model.ts";

const ROOT = await Deno.makeTempDir({ prefix: "train-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

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
  return { seed: c.seed, backend: c.backend, model: c.model, loss: c.loss, train: c.train };
}

async function runTrain(p: TrainStageParams, workDir?: string, progress?: () => Progress) {
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
  if (workDir) ctx.workDir = workDir;
  if (progress) ctx.progress = progress;
  await train(ctx);
  return ctx;
}

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
  const crashing = () => ({
    tick(step?: number) {
      if ((step ?? 0) > 20) throw new Error("simulated crash");
    },
    done() {},
  });
  await assertRejects(
    () => runTrain(params({ loss: { warmupEpochs: 2 } }), workDir, crashing),
    "simulated crash",
  );
  const resumed = await runTrain(params({ loss: { warmupEpochs: 2 } }), workDir);
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

Deno.test("a diverging run fails loudly instead of writing weights", async () => {
  const p = params({ train: { epochs: 3, batchSize: 40, learningRate: 1e30 } });
  const ctx = await testContext(p, { dir: ROOT, inputs: { prepare: PREPARED } });
  const error = await assertRejects(() => train(ctx));
  assert_(error instanceof NumericError, `expected a NumericError, got ${error}`);
  assertEquals([...Deno.readDirSync(ctx.outDir)], []);
});
