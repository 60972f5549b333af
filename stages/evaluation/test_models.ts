/**
 * Real upstream artifacts for the evaluation tests: synthetic 8×8 data in 4 classes, prepared
 * once, and tiny models trained by the train stage itself (a few epochs, seconds), made once
 * per process and shared by every test module that asks.
 */
import { configSchema } from "../config_schema.ts";
import { testContext } from "../../pipeline/stage_testing.ts";
import { classify, type ClassifyStageParams } from "../classify.ts";
import { prepare } from "../prepare.ts";
import { train, type TrainStageParams } from "../train.ts";
import { computeOf } from "../model/compute.ts";
import { capabilitiesOf, type ModelKind } from "../model/kinds.ts";

export const ROOT = await Deno.makeTempDir({ prefix: "evaluation-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

export const SEED = 3;

const cache = new Map<string, Promise<string>>();

function once(key: string, make: () => Promise<string>): Promise<string> {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key)!;
}

/** The prepare stage's output dir: 320 train and 80 test images, 8×8, 4 classes. */
export function preparedDir(): Promise<string> {
  return once("prepare", async () => {
    const data = configSchema.parse({
      data: { source: "synthetic", synthetic: { count: 400, size: 8, classes: 4 } },
    }).data;
    const ctx = await testContext({ seed: SEED, data }, { dir: ROOT });
    await prepare(ctx);
    return ctx.outDir;
  });
}

/** The classify stage's output dir for the synthetic data (a 64-16-4 MLP). */
export function classifierDir(): Promise<string> {
  return once("classify", async () => {
    const c = configSchema.parse({
      classifier: { hidden: [16], epochs: 5, batchSize: 40, learningRate: 0.01 },
    });
    const params: ClassifyStageParams = {
      seed: SEED,
      compute: computeOf(c),
      classifier: c.classifier,
    };
    const ctx = await testContext(params, { dir: ROOT, inputs: { prepare: await preparedDir() } });
    await classify(ctx);
    return ctx.outDir;
  });
}

/** A tiny model of `kind` trained by the train stage (hidden [32], 15 epochs: enough to use z); returns its dir. */
export function trainedDir(
  kind: ModelKind,
  model: Record<string, unknown> = {},
): Promise<string> {
  return once(JSON.stringify([kind, model]), async () => {
    const c = configSchema.parse({
      seed: SEED,
      model: { kind, hidden: [32], latentDim: 2, ...model },
      loss: { regularizer: capabilitiesOf(kind).stochastic ? "kl" : "none" },
      train: { epochs: 15, batchSize: 40, learningRate: 0.01 },
    });
    const params: TrainStageParams = {
      seed: c.seed,
      compute: computeOf(c),
      model: c.model,
      loss: c.loss,
      train: c.train,
    };
    const ctx = await testContext(params, { dir: ROOT, inputs: { prepare: await preparedDir() } });
    await train(ctx);
    return ctx.outDir;
  });
}
