/**
 * Training throughput of the standard VAE (784 → 512 tanh → 20 → 512 tanh → 784, Bernoulli,
 * β = 1 KL) at batch 128 with Adam, on random binary data, on the wasm backend. When PyTorch
 * is importable, the same model runs in PyTorch (bench/train_speed.py, 1 and 2 threads) in
 * the same run and the ratio is printed: the target is ≥ 0.25× PyTorch on two threads.
 *
 * The machine is shared and noisy, so each side runs `rounds` timed rounds of `steps` steps
 * and reports its best round (the least disturbed), with the median beside it.
 *
 *   deno task bench [--steps 30] [--rounds 3] [--warmup 10] [--backend wasm]
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { lossSchema, modelSchema } from "../pipeline/config_schema.ts";
import { Rng } from "../pipeline/rng.ts";
import { type BackendName, initBackend } from "../stages/model/backend.ts";
import { createModel, disposeModel, sampleEps, trainStep } from "../stages/model/networks.ts";

const [INPUT, HIDDEN, LATENT, BATCH] = [784, 512, 20, 128];

interface Options {
  steps: number;
  rounds: number;
  warmup: number;
}

export interface Result {
  label: string;
  /** Samples per second of each round. */
  rounds: number[];
}

const best = (r: Result) => Math.max(...r.rounds);
const median = (r: Result) => [...r.rounds].sort((a, b) => a - b)[Math.floor(r.rounds.length / 2)];

/** Samples per second of each round of `steps` timed steps, after `warmup` untimed ones. */
async function benchTfjs(
  backend: BackendName,
  { steps, rounds, warmup }: Options,
): Promise<Result> {
  await initBackend(backend);
  const rng = new Rng(0);
  const params = modelSchema.parse({ hidden: [HIDDEN], latentDim: LATENT });
  const loss = lossSchema.parse({});
  const model = createModel(params, INPUT, 10, 0);
  const optimizer = tf.train.adam(1e-3);
  // A few fixed batches of random binary pixels, cycled: data loading is not what we time.
  const data = rng.fork("data");
  const batches = Array.from(
    { length: 4 },
    () =>
      tf.tensor2d(Float32Array.from({ length: BATCH * INPUT }, () => data.int(2)), [BATCH, INPUT]),
  );
  const noise = rng.fork("eps");
  const step = (i: number) => {
    const eps = sampleEps(noise, BATCH, LATENT);
    const terms = trainStep(model, optimizer, batches[i % batches.length], undefined, eps, loss, 1);
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
    return (steps * BATCH) / ((performance.now() - start) / 1000);
  });
  tf.dispose(batches);
  optimizer.dispose();
  disposeModel(model);
  return { label: `tfjs ${backend}`, rounds: perRound };
}

/** The first python with torch importable, or undefined (pyenv's python3 may lack it). */
async function pythonWithTorch(): Promise<string | undefined> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const probe = new Deno.Command(python, { args: ["-c", "import torch"], stderr: "null" });
      if ((await probe.output()).success) return python;
    } catch {
      // not installed under this name: try the next
    }
  }
  return undefined;
}

async function benchTorch(python: string, threads: number, options: Options): Promise<Result> {
  const script = new URL("./train_speed.py", import.meta.url).pathname;
  const flags = Object.entries(options).map(([k, v]) => `--${k}=${v}`);
  const args = [script, `--threads=${threads}`, ...flags];
  const out = await new Deno.Command(python, { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`${python} ${args.join(" ")} failed`);
  const { rounds } = JSON.parse(new TextDecoder().decode(out.stdout));
  return { label: `torch ${threads} thread${threads > 1 ? "s" : ""}`, rounds };
}

/** Rounds further apart than this (relative to the best) mean the machine was busy. */
const NOISY = 0.2;

/** How far the slowest round fell below the best one, as a fraction of the best. */
export const spread = (r: Result) => (best(r) - Math.min(...r.rounds)) / best(r);

const show = (r: Result) =>
  console.log(
    `${r.label.padEnd(16)} ${best(r).toFixed(0).padStart(6)} samples/s` +
      `  (median ${median(r).toFixed(0)}, rounds ${r.rounds.map((v) => v.toFixed(0)).join(" ")})`,
  );

/** A warning for each side whose rounds disagree by over NOISY: its ratio cannot be trusted. */
export function noiseWarnings(results: Result[]): string[] {
  return results.filter((r) => spread(r) > NOISY).map((r) =>
    `warning: ${r.label} rounds differ by ${(spread(r) * 100).toFixed(0)}% ` +
    `(over ${NOISY * 100}%): the machine was busy; close other work and run again`
  );
}

const USAGE = `usage: deno task bench [--steps 30] [--rounds 3] [--warmup 10] [--backend wasm]

Training throughput (samples/s) of a 784-512-20 VAE at batch 128 with Adam, best of the
rounds, side by side with PyTorch on 1 and 2 threads when python3 can import torch.`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        steps: { type: "string", default: "30" },
        rounds: { type: "string", default: "3" },
        warmup: { type: "string", default: "10" },
        backend: { type: "string", default: "wasm" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(1);
  }
}

if (import.meta.main) {
  const values = parseOptions();
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const options = {
    steps: Number(values.steps),
    rounds: Number(values.rounds),
    warmup: Number(values.warmup),
  };
  console.log(`VAE ${INPUT}-${HIDDEN}-${LATENT}, tanh, Bernoulli, batch ${BATCH}, Adam`);
  const ours = await benchTfjs(values.backend as BackendName, options);
  show(ours);
  const python = await pythonWithTorch();
  if (!python) {
    console.log("PyTorch not importable: no comparison (apt-get install python3-torch)");
  } else {
    const one = await benchTorch(python, 1, options);
    show(one);
    const two = await benchTorch(python, 2, options);
    show(two);
    const ratio = best(ours) / best(two);
    console.log(`ratio ${ratio.toFixed(2)}× PyTorch on 2 threads, best rounds (target ≥ 0.25×)`);
    for (const warning of noiseWarnings([ours, one, two])) console.log(warning);
  }
  if (!python) { for (const warning of noiseWarnings([ours])) console.log(warning); }
}
