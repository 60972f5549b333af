/**
 * The step benchmark's tfjs side: training steps of the standard VAE (784 → 512 tanh → 20 →
 * 512 tanh → 784, Bernoulli, β = 1 KL) at batch 128 with the pipeline's own Adam (which
 * takes the blas backend's fused update), on random binary data, on one backend. It is the
 * train stage's step without the data pipeline around it: what the backends differ in.
 */
import * as tf from "@tensorflow/tfjs-core";
import { lossSchema, modelSchema } from "../stages/config_schema.ts";
import { Rng } from "../lib/rng.ts";
import { type BackendName, initBackend } from "../stages/model/backend.ts";
import {
  createModel,
  disposeModel,
  namedWeights,
  sampleEps,
  trainStep,
} from "../stages/model/networks.ts";
import { Adam } from "../stages/training/adam.ts";
import type { VaeShape } from "./flops.ts";
import type { Result } from "./rounds.ts";

/** The step benchmark's model and batch (the PyTorch side, train_speed.py, uses the same). */
export const STEP_SHAPE: VaeShape = { input: 784, hidden: [512], latent: 20, batch: 128 };

export interface StepOptions {
  steps: number;
  rounds: number;
  warmup: number;
}

/** Samples per second of each round of `steps` timed steps, after `warmup` untimed ones. */
export async function benchTfjs(
  backend: BackendName,
  { steps, rounds, warmup }: StepOptions,
): Promise<Result> {
  await initBackend(backend);
  const { input, hidden, latent, batch } = STEP_SHAPE;
  const rng = new Rng(0);
  const params = modelSchema.parse({ hidden, latentDim: latent });
  const loss = lossSchema.parse({});
  const model = createModel(params, input, 10, 0);
  const adam = new Adam(namedWeights(model), {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  // A few fixed batches of random binary pixels, cycled: data loading is not what we time.
  const data = rng.fork("data");
  const batches = Array.from(
    { length: 4 },
    () =>
      tf.tensor2d(Float32Array.from({ length: batch * input }, () => data.int(2)), [batch, input]),
  );
  const noise = rng.fork("eps");
  const step = (i: number) => {
    const eps = sampleEps(noise, batch, latent);
    const terms = trainStep(model, adam, batches[i % batches.length], undefined, eps, loss, 1);
    const value = terms.loss.dataSync()[0]; // forces the step to finish
    tf.dispose([eps, terms]);
    return value;
  };
  for (let i = 0; i < warmup; i++) step(i);
  const perRound = Array.from({ length: rounds }, () => {
    const start = performance.now();
    let last = 0;
    for (let i = 0; i < steps; i++) last = step(i);
    if (!Number.isFinite(last)) throw new Error(`the loss diverged: ${last}`);
    return (steps * batch) / ((performance.now() - start) / 1000);
  });
  tf.dispose(batches);
  adam.dispose();
  disposeModel(model);
  return { label: `tfjs ${backend}`, rounds: perRound };
}
