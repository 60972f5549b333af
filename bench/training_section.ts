/**
 * The whole-training section of `deno task bench`: a config trained by our train stage on
 * each backend and by PyTorch on each thread count (whole_training.ts), as one table of loop
 * seconds, samples/s, steps and final training loss (close, not equal: the same model and
 * data, other random draws), with what the time covers and the ratios to PyTorch's last row.
 */
import {
  agreementWarnings,
  epochRounds,
  loopSeconds,
  plural,
  speedRatio,
  trainingTable,
} from "./bench_output.ts";
import type { TrainingSide } from "./bench_output.ts";
import { noiseWarnings } from "./rounds.ts";
import { type Evaluated, wholeTraining } from "./whole_training.ts";

export interface TrainingSection {
  /** Our fastest side (the last backend trained). */
  ours: TrainingSide;
  /** PyTorch on each thread count (none when PyTorch is missing). */
  torch: TrainingSide[];
  warnings: string[];
  /** With `evaluate`: each backend's evaluate stage, for the evaluate section (else empty). */
  evaluated: Record<string, Evaluated>;
}

interface Resolved {
  model: { hidden: number[]; latentDim: number; activation: string; likelihood: string };
  loss: { regularizer: string; beta: number };
  train: { epochs: number; batchSize: number; learningRate: number };
}

export async function trainingSection(
  config: string,
  epochs: number | undefined,
  backends: ("wasm" | "blas")[],
  /** Also run the evaluate stage on each model trained (for the evaluate section). */
  evaluate: boolean,
  python: string | undefined,
  torchThreads: number[],
  say: (line: string) => void,
): Promise<TrainingSection> {
  const run = await wholeTraining({
    config,
    epochs,
    backends,
    python,
    torchThreads,
    evaluate,
    say,
  });
  const { model, loss, train } = run.resolved as unknown as Resolved;
  const first = run.sides[0];
  const layers = [run.inputDim, ...model.hidden, model.latentDim].join("-");
  console.log("");
  const budget = `${plural(train.epochs, "epoch")} × ${first.steps / first.epochSeconds.length} ` +
    `steps of ${train.batchSize} (${first.examples} examples), Adam lr ${train.learningRate}`;
  console.log(
    `── Whole training: ${config}${epochs ? ` with --epochs ${epochs}` : ""}: ${layers}, ` +
      `${model.activation}, ${model.likelihood}, ${loss.regularizer} β = ${loss.beta}; ${budget} ──`,
  );
  for (const line of trainingTable(run.sides)) console.log(line);
  console.log(
    "timed on each side: the epoch loop (shuffle, batches, each step with its loss read " +
      "back, the per-epoch mean log σ² pass, validation when configured, the checkpoint " +
      "written and fsynced each epoch); not start-up, the data load, the model's creation " +
      "or the final save",
  );
  const stages = Object.entries(run.stageSeconds).map(([k, s]) => `${k} ${s.toFixed(1)} s`);
  const whole = "our train stage in all (module load, backend and data, loop, final save)";
  console.log(`${whole}: ${stages.join(", ")}`);
  const torch = run.sides.find((s) =>
    s.label === `torch ${plural(torchThreads.at(-1)!, "thread")}`
  );
  const ours = run.sides.filter((s) => s.label.startsWith("tfjs")).reverse();
  if (torch) {
    const ratios = ours.map((s) =>
      `${s.label} / ${torch.label} = ${speedRatio(loopSeconds(torch), loopSeconds(s))}`
    );
    console.log(`ratios of loop times: ${ratios.join(",  ")}`);
  }
  const warnings = [
    ...agreementWarnings(run.sides),
    ...noiseWarnings(run.sides.map(epochRounds), "epochs"),
  ];
  const torchSides = run.sides.filter((s) => s.label.startsWith("torch"));
  return { ours: ours[0], torch: torchSides, warnings, evaluated: run.evaluated };
}
