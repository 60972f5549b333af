/**
 * The benchmark's tables and ratios as text: aligned columns a researcher can paste, the
 * same for every side, so tfjs and PyTorch rows read against each other. Pure functions of
 * the measurements; nothing here times anything.
 */
import { padVisible, visibleWidth } from "../pipeline/text_width.ts";
import { type EvaluateSide, headlines, IW_PHASE } from "./evaluate_results.ts";
import { gflopsPerSecond } from "./flops.ts";
import { best, median, type Result } from "./rounds.ts";

/** Rows of cells as aligned lines: columns two spaces apart, numbers right-aligned. */
export function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => visibleWidth(r[j] ?? ""))));
  const numeric = (j: number) => rows.slice(1).every((r) => /^[-\d.,×%]*$/.test(r[j] ?? ""));
  return rows.map((r) =>
    r.map((cell, j) => padVisible(cell, widths[j], numeric(j) ? "right" : "left"))
      .join("  ").trimEnd()
  );
}

/** `1 thread`, `2 threads`. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** How many times faster `ours` is than `theirs`, given as speeds: `1.05×`. */
export const speedRatio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}×`;

/** A side's label and speed (samples/s, or anything where more is faster). */
export interface Speed {
  label: string;
  speed: number;
}

/**
 * The summary's line for one benchmark: ours against the last PyTorch row (the target's
 * reference), and against PyTorch's fastest row when that is another one (on two cores,
 * PyTorch's OpenMP and OpenBLAS thread pools can slow each other down), so a ratio is
 * never read off a PyTorch setting that PyTorch itself would beat.
 */
export function summaryLine(what: string, ours: Speed, torch: Speed[]): string {
  const reference = torch.at(-1)!;
  const fastest = torch.reduce((a, b) => b.speed > a.speed ? b : a);
  let line = `${what.padEnd(16)}${ours.label} / ${reference.label} = ` +
    `${speedRatio(ours.speed, reference.speed)}  (target ≥ 1.0×)`;
  if (fastest !== reference) {
    line += `; / ${fastest.label}, PyTorch's fastest here: ${
      speedRatio(ours.speed, fastest.speed)
    }`;
  }
  return line;
}

/** One side of the step benchmark and the BLAS kernel its products ran on ("" for none). */
export interface StepSide {
  result: Result;
  kernel: string;
}

/** The step table: best and median samples/s, GFLOP/s achieved and its share of the peak. */
export function stepTable(
  sides: StepSide[],
  flopsPerStep: number,
  batch: number,
  peak: number | undefined,
): string[] {
  const header = ["side", "samples/s", "median", "GFLOP/s", "of peak", "BLAS kernel", "rounds"];
  const rows = sides.map(({ result, kernel }) => {
    const gflops = gflopsPerSecond(flopsPerStep, batch, best(result));
    return [
      result.label,
      best(result).toFixed(0),
      median(result).toFixed(0),
      gflops.toFixed(1),
      peak ? `${(100 * gflops / peak).toFixed(1)}%` : "",
      kernel || "—",
      result.rounds.map((v) => v.toFixed(0)).join(" "),
    ];
  });
  return alignColumns([header, ...rows]);
}

/** One side's whole training: the loop's epochs, what it ended at, and its BLAS kernel. */
export interface TrainingSide {
  label: string;
  /** Wall seconds of each epoch of the training loop. */
  epochSeconds: number[];
  /** The last epoch's mean training loss (nats per example). */
  finalLoss: number;
  steps: number;
  /** Examples fitted per epoch. */
  examples: number;
  kernel: string;
}

export const loopSeconds = (side: TrainingSide) => side.epochSeconds.reduce((a, b) => a + b, 0);

/** The whole-training table: loop seconds, samples/s over the loop, steps and final loss. */
export function trainingTable(sides: TrainingSide[]): string[] {
  const header = ["side", "loop s", "samples/s", "steps", "final loss", "BLAS kernel"];
  const rows = sides.map((side) => [
    side.label,
    loopSeconds(side).toFixed(1),
    (side.examples * side.epochSeconds.length / loopSeconds(side)).toFixed(0),
    String(side.steps),
    side.finalLoss.toFixed(2),
    side.kernel || "—",
  ]);
  return alignColumns([header, ...rows]);
}

/** Final losses further apart than this (relative) suggest the sides train different things. */
export const LOSS_AGREEMENT = 0.05;

/**
 * Warnings when the sides did not do the same training: other step or example counts, or
 * final losses more than LOSS_AGREEMENT apart (other random draws alone land closer).
 */
export function agreementWarnings(sides: TrainingSide[]): string[] {
  const [first, ...rest] = sides;
  const warnings: string[] = [];
  for (const side of rest) {
    if (side.steps !== first.steps || side.examples !== first.examples) {
      warnings.push(
        `warning: ${side.label} ran ${side.steps} steps over ${side.examples} examples, ` +
          `${first.label} ${first.steps} over ${first.examples}: not the same budget`,
      );
    }
    const apart = Math.abs(side.finalLoss - first.finalLoss) / Math.abs(first.finalLoss);
    if (!(apart <= LOSS_AGREEMENT)) {
      warnings.push(
        `warning: ${side.label}'s final loss ${side.finalLoss.toFixed(2)} is ` +
          `${(100 * apart).toFixed(0)}% from ${first.label}'s ${first.finalLoss.toFixed(2)} ` +
          `(over ${100 * LOSS_AGREEMENT}%): the two may not train the same model`,
      );
    }
  }
  return warnings;
}

/** The epochs after the first (which pays for warm-up) as rounds, for the noise warnings. */
export function epochRounds(side: TrainingSide): Result {
  const rounds = side.epochSeconds.slice(1).map((s) => side.examples / s);
  return { label: `${side.label} (whole training)`, rounds };
}

/**
 * The evaluate table, seconds: the stage from start to end, then each phase it timed, one
 * column per backend, and with two or more the first's seconds over the last's (how many
 * times faster the last is, as the speed-up the target is stated in).
 */
export function evaluateTable(sides: EvaluateSide[]): string[] {
  const [first, last] = [sides[0], sides.at(-1)!];
  const pair = sides.length > 1;
  const header = ["seconds", ...sides.map((s) => s.label), ...(pair ? ["speed-up"] : [])];
  const row = (name: string, of: (s: EvaluateSide) => number | undefined) => [
    name,
    ...sides.map((s) => of(s)?.toFixed(1) ?? ""),
    ...(pair ? [ratioOfSeconds(of(first), of(last))] : []),
  ];
  const phases = [...new Set(sides.flatMap((s) => Object.keys(s.phases)))];
  return alignColumns([
    header,
    row("the stage, start to end", (s) => s.seconds),
    ...phases.map((p) => row(`  ${p}`, (s) => s.phases[p])),
  ]);
}

/** Phases shorter than this (shown as 0.0 s) are timer noise: no speed-up is read off them. */
const SHORTEST_RATIO_SECONDS = 0.05;

/** `slow / fast` as a speed-up (`4.12×`), blank when either is missing or too short. */
function ratioOfSeconds(slow?: number, fast?: number): string {
  if (slow === undefined || fast === undefined) return "";
  return Math.min(slow, fast) >= SHORTEST_RATIO_SECONDS ? speedRatio(slow, fast) : "";
}

/** The headline numbers side by side, nats, and how far the last is from the first. */
export function metricTable(sides: EvaluateSide[]): string[] {
  const [first, last] = [sides[0], sides.at(-1)!];
  const pair = sides.length > 1;
  const header = ["nats", ...sides.map((s) => s.label), ...(pair ? ["difference"] : [])];
  const show = (v: number | null | undefined) => (typeof v === "number" ? v.toFixed(2) : "—");
  const rows = headlines(first).map(({ name }, i) => {
    const value = (s: EvaluateSide) => headlines(s)[i].value;
    const [a, b] = [value(first), value(last)];
    const label = i === 1 && first.iw ? `${name}, ${first.iw.examples} test examples` : name;
    return [
      label,
      ...sides.map((s) => show(value(s))),
      ...(pair ? [a !== null && b !== null ? Math.abs(b - a).toFixed(3) : "—"] : []),
    ];
  });
  return alignColumns([header, ...rows]);
}

/**
 * The summary's line for evaluate: the last backend's speed-up over the first's. No target is
 * printed: the goal (4×) was against the wasm evaluation before the blas backend, which this
 * bench cannot run; today's wasm shares some of blas's gains (README, Speed).
 */
export function evaluateSummaryLine(sides: EvaluateSide[]): string {
  const [first, last] = [sides[0], sides.at(-1)!];
  const iw = ratioOfSeconds(first.phases[IW_PHASE], last.phases[IW_PHASE]);
  return `${"evaluate:".padEnd(16)}${last.label} / ${first.label} = ` +
    `${speedRatio(first.seconds, last.seconds)}` +
    (iw ? `; ${IW_PHASE} alone: ${iw}` : "");
}
