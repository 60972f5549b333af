/**
 * The whole training of a config, ours against PyTorch's, on the same split and budget.
 *
 * Ours: the pipeline's prepare and train stages, through its runner, in a child process per
 * backend (bench/train_stage.ts), into a temporary store: prepare runs once and is shared.
 * The time is the train stage's own record of its epoch loop (runInfo.epochSeconds in its
 * manifest), not the process's start-up, the data load, the model's creation or the final
 * save. PyTorch (bench/whole_training.py) then trains the resolved config's model on the
 * prepared train split, doing the same per-epoch work, and times the same loop.
 *
 * When asked, each of our children goes on to the evaluate stage on the model it has just
 * trained (the store is temporary and gone when this returns, so the evaluate benchmark
 * takes that stage's manifest and metrics from here rather than training again).
 */
import { join, resolve } from "node:path";
import type { Manifest } from "../pipeline/store.ts";
import { type Compute, describeCompute } from "../stages/model/compute.ts";
import { plural, type TrainingSide } from "./bench_output.ts";
import { runTorch } from "./torch_child.ts";

export interface WholeTrainingOptions {
  /** The config to train (its own settings, except the backend). */
  config: string;
  /** Epochs instead of the config's own (a shorter look), or undefined. */
  epochs?: number;
  backends: ("wasm" | "blas")[];
  /** A python that imports torch, or undefined to train ours only. */
  python?: string;
  torchThreads: number[];
  /** Also run the evaluate stage on each backend's trained model (never timed here). */
  evaluate?: boolean;
  /** Where progress goes (one line before each training starts). */
  say: (line: string) => void;
}

export interface WholeTraining {
  sides: TrainingSide[];
  /** Our train stage's total wall time (start-up, data load, loop, save) by side label. */
  stageSeconds: Record<string, number>;
  /** The resolved config both sides trained. */
  resolved: Record<string, unknown>;
  /** Pixels per image of the prepared data. */
  inputDim: number;
  /** With `evaluate`: each backend's evaluate stage, by side label (else empty). */
  evaluated: Record<string, Evaluated>;
}

/** One evaluate stage as the child left it: its manifest and its metrics.json. */
export interface Evaluated {
  manifest: Manifest;
  metrics: unknown;
}

/** The temporary config: the real one, on `backend`, with `epochs` when given. */
export function benchConfig(config: string, backend: string, epochs?: number): string {
  const lines = [`extends: ${JSON.stringify(resolve(config))}`, `backend: ${backend}`];
  if (epochs !== undefined) lines.push("train:", `  epochs: ${epochs}`);
  return lines.join("\n") + "\n";
}

export async function wholeTraining(options: WholeTrainingOptions): Promise<WholeTraining> {
  const tmp = await Deno.makeTempDir({ prefix: "vae-bench-" });
  // Ctrl-C ends the process without running `finally`: the store is removed here too (the
  // children, in the same process group, get the signal as well).
  const onInterrupt = () => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } finally {
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    const sides: TrainingSide[] = [];
    const stageSeconds: Record<string, number> = {};
    const evaluated: Record<string, Evaluated> = {};
    let prepared: { dir: string; resolved: Record<string, unknown>; inputDim: number } | undefined;
    for (const backend of options.backends) {
      const then = options.evaluate ? ", then evaluating it" : "";
      options.say(`training ${options.config} on tfjs ${backend}${then} …`);
      const path = join(tmp, `${backend}.yaml`);
      await Deno.writeTextFile(path, benchConfig(options.config, backend, options.epochs));
      const run = await trainOurs(path, join(tmp, "artifacts"), options.evaluate ?? false);
      const label = `tfjs ${backend}`;
      sides.push({ ...run.side, label });
      stageSeconds[label] = run.manifest.durationMs / 1000;
      if (run.evaluate) evaluated[label] = run.evaluate;
      const resolved = run.manifest.config.resolved as Record<string, unknown>;
      prepared ??= { dir: run.prepareDir, resolved, inputDim: run.inputDim };
    }
    if (!prepared) throw new Error("whole training: no backend to train on");
    const configJson = join(tmp, "resolved.json");
    await Deno.writeTextFile(configJson, JSON.stringify(prepared.resolved));
    for (const threads of options.python ? options.torchThreads : []) {
      const label = `torch ${plural(threads, "thread")}`;
      options.say(`training ${options.config} on ${label} …`);
      const workdir = join(tmp, `torch-${threads}`);
      await Deno.mkdir(workdir);
      const out = await runTorch(options.python!, "whole_training.py", [
        `--config=${configJson}`,
        `--prepared=${prepared.dir}`,
        `--workdir=${workdir}`,
        `--threads=${threads}`,
      ]);
      sides.push({
        label,
        epochSeconds: out.epochSeconds as number[],
        finalLoss: out.finalLoss as number,
        steps: out.steps as number,
        examples: out.examples as number,
        kernel: `${out.core}, ${plural(threads, "thread")}`,
      });
    }
    const { resolved, inputDim } = prepared;
    return { sides, stageSeconds, resolved, inputDim, evaluated };
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await Deno.remove(tmp, { recursive: true });
  }
}

/**
 * Run bench/train_stage.ts on `config` into `store`: our side of one training, and with
 * `evaluate` the evaluate stage after it.
 */
async function trainOurs(config: string, store: string, evaluate: boolean) {
  const script = new URL("./train_stage.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, config, store, ...(evaluate ? ["--evaluate"] : [])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const log = new TextDecoder().decode(out.stderr).trim();
    const what = evaluate ? "training and evaluating" : "training";
    throw new Error(`${what} ${config} failed:\n${log}`);
  }
  const { manifest, prepareDir, finalLoss, examples, inputDim, evaluate: evaluated } = JSON.parse(
    new TextDecoder().decode(out.stdout),
  ) as {
    manifest: Manifest;
    prepareDir: string;
    finalLoss: number;
    examples: number;
    inputDim: number;
    evaluate?: Evaluated;
  };
  const epochSeconds = manifest.runInfo.epochSeconds as number[];
  const { compute, train } = manifest.keyInputs.params as {
    compute: Compute;
    train: { batchSize: number };
  };
  const side: Omit<TrainingSide, "label"> = {
    epochSeconds,
    finalLoss,
    steps: epochSeconds.length * Math.ceil(examples / train.batchSize),
    examples,
    kernel: compute.backend === "blas" ? blasKernel(compute) : "",
  };
  return { side, manifest, prepareDir, inputDim, evaluate: evaluated };
}

/** `Haswell, 2 threads`: the kernel and threads of a blas Compute (no library name). */
function blasKernel(compute: Compute & { backend: "blas" }): string {
  const { core, threads } = compute.blas;
  return core ? `${core}, ${plural(threads, "thread")}` : describeCompute(compute);
}
