/**
 * `deno task bench`: how fast training runs here, ours against PyTorch, and how fast our
 * evaluate stage runs on blas against wasm, in one run.
 *
 * 1. The step benchmark (step_section.ts): samples/s of the standard VAE's training step on
 *    tfjs wasm and tfjs blas, and in PyTorch on 1 and 2 threads, with the GFLOP/s each
 *    achieves against the sgemm peak measured in the same run.
 * 2. The whole training of configs/vae.yaml (training_section.ts): our train stage on each
 *    backend, and the same model, data split and budget in PyTorch.
 * 3. The evaluate stage of configs/vae.yaml (evaluate_section.ts) on each backend, on the
 *    models section 2 trained: the target is blas ≥ 4× wasm for the whole stage.
 *
 * It ends with our fastest backend against PyTorch on 2 threads for the first two (the
 * target is ≥ 1.0×), and tfjs blas against tfjs wasm for evaluate (≥ 4×). PyTorch runs on
 * the OpenBLAS kernel it would pick on its own (torch_child.ts); our blas backend on the
 * one this environment sets. The machine is shared and noisy: each step side reports its
 * best round, and a side whose rounds (or epochs) disagree gets a warning; evaluate runs
 * once per backend (many seconds on wasm: no room for rounds), so read it on a quiet machine.
 */
import { parseArgs } from "node:util";
import {
  evaluateSummaryLine,
  loopSeconds,
  summaryLine,
  type TrainingSide,
} from "./bench_output.ts";
import { evaluateSection } from "./evaluate_section.ts";
import { best, noiseWarnings, type Result } from "./rounds.ts";
import { stepSection } from "./step_section.ts";
import type { StepOptions } from "./step_bench.ts";
import { pythonWithTorch } from "./torch_child.ts";
import { trainingSection } from "./training_section.ts";

const CONFIG = "configs/vae.yaml";
/** PyTorch's thread counts; the ratios are taken against the last. */
const TORCH_THREADS = [1, 2];

export const USAGE = `usage: deno task bench [--steps 30] [--rounds 3] [--warmup 10] [--epochs N]
                        [--skip-training] [--skip-evaluate]

Speed here: training, ours against PyTorch (when python3 or /usr/bin/python3 imports
torch), and evaluation, tfjs blas against tfjs wasm:
 1. the step benchmark: samples/s of the 784-512-20 VAE at batch 128 (tanh, Bernoulli,
    β = 1 KL, Adam) on tfjs wasm, tfjs blas (when a BLAS loads) and PyTorch on 1 and 2
    threads, with the GFLOP/s each achieves against the sgemm peak measured in the same run;
 2. the whole training of ${CONFIG}: the pipeline's train stage on wasm and blas, and the
    same model in PyTorch on the same prepared split, epochs, batch size and Adam settings;
 3. the evaluate stage of ${CONFIG} on wasm and blas, on the models just trained, timed
    from its manifest (the stage, and each phase such as importance weighting), with the
    backends' test −ELBO and IW bound checked to agree (PyTorch has no counterpart).
It ends with tfjs blas / PyTorch on 2 threads for 1 and 2 (target ≥ 1.0×), and tfjs blas /
tfjs wasm for 3.

options:
  --steps N          timed steps in each round of the step benchmark (default 30)
  --rounds N         timed rounds of each step side; the best is reported (default 3)
  --warmup N         untimed steps before the rounds (default 10)
  --epochs N         whole training: N epochs instead of the config's own (a quicker look;
                     evaluate then scores those models)
  --skip-training    the step benchmark only (evaluate needs the trained models: skipped too)
  --skip-evaluate    no evaluate section (the training does not go on to evaluate)
  -h, --help         this text`;

export interface Options extends StepOptions {
  epochs?: number;
  skipTraining: boolean;
  skipEvaluate: boolean;
}

/** Every option (USAGE documents each: a test checks). */
export const OPTIONS = {
  steps: { type: "string", default: "30" },
  rounds: { type: "string", default: "3" },
  warmup: { type: "string", default: "10" },
  epochs: { type: "string" },
  "skip-training": { type: "boolean", default: false },
  "skip-evaluate": { type: "boolean", default: false },
  help: { type: "boolean", short: "h" },
} as const;

/** The options of `args`, undefined for --help; throws one line on a bad one. */
export function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({ args, options: OPTIONS });
  if (values.help) return undefined;
  const count = (name: string, value: string, min: number) => {
    const n = Number(value);
    if (Number.isInteger(n) && n >= min) return n;
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
  };
  return {
    steps: count("steps", values.steps, 1),
    rounds: count("rounds", values.rounds, 1),
    warmup: count("warmup", values.warmup, 0),
    epochs: values.epochs === undefined ? undefined : count("epochs", values.epochs, 1),
    skipTraining: values["skip-training"],
    skipEvaluate: values["skip-evaluate"],
  };
}

/** What is running now: to stderr, so stdout holds only the tables. */
const say = (line: string) => console.error(line);

async function main(options: Options) {
  const python = await pythonWithTorch();
  const step = await stepSection(options, python, TORCH_THREADS, say);
  const backends: ("wasm" | "blas")[] = step.blasLoads ? ["wasm", "blas"] : ["wasm"];
  const evaluate = !options.skipEvaluate;
  const training = options.skipTraining ? undefined : await trainingSection(
    CONFIG,
    options.epochs,
    backends,
    evaluate,
    python,
    TORCH_THREADS,
    say,
  );
  const evaluated = training && evaluate
    ? evaluateSection(CONFIG, options.epochs, training.evaluated)
    : undefined;
  console.log("");
  const stepSpeed = (r: Result) => ({ label: r.label, speed: best(r) });
  if (step.torch.length) {
    console.log(summaryLine("step:", stepSpeed(step.ours), step.torch.map(stepSpeed)));
  }
  const loopSpeed = (s: TrainingSide) => ({ label: s.label, speed: 1 / loopSeconds(s) });
  if (training?.torch.length) {
    const torch = training.torch.map(loopSpeed);
    console.log(summaryLine("whole training:", loopSpeed(training.ours), torch));
  }
  if (evaluated && evaluated.sides.length > 1) {
    console.log(evaluateSummaryLine(evaluated.sides));
  }
  const warnings = [
    ...noiseWarnings(step.results),
    ...(training?.warnings ?? []),
    ...(evaluated?.warnings ?? []),
  ];
  for (const warning of warnings) console.log(warning);
}

if (import.meta.main) {
  let options: Options | undefined;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(1);
  }
  if (options) await main(options);
  else console.log(USAGE);
}
