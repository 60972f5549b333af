/**
 * What an evaluate stage says about its own run, reduced to what the benchmark compares: its
 * times from its manifest (start to end, and runInfo.seconds, the seconds of each phase it
 * times itself) and its headline numbers from metrics.json (test −ELBO, and the importance-
 * weighted bound at the largest K). Read from the stage's own record, so the benchmark times
 * exactly what `deno task run` would, and checks that both backends computed the same thing.
 * Pure functions of those two files; nothing here times anything.
 */
import type { Manifest } from "../pipeline/store.ts";

/** The phase the target is about: nearly all of the stage's time on wasm. */
export const IW_PHASE = "importance weighting";

/** One backend's evaluate stage. */
export interface EvaluateSide {
  label: string;
  /** The stage from start to end (its manifest's startedAt and endedAt), in seconds. */
  seconds: number;
  /** Seconds of each phase the stage timed (runInfo.seconds), in the stage's order. */
  phases: Record<string, number>;
  /** Test −ELBO, nats per example; null for a model without one (an ae). */
  negElbo: number | null;
  /** The bound log p̂_K at the largest K, on `examples` test examples; null without one. */
  iw: { k: number; logLikelihood: number; examples: number } | null;
}

/** Throws `what` is wrong with `label`'s evaluate stage, as one line. */
function failing(label: string, what: string): never {
  throw new Error(`${label}'s evaluate stage: ${what}`);
}

/** One of metrics.json's test.iw estimates (the fields read here). */
interface IwEstimate {
  k: number;
  logLikelihood: number;
}

/**
 * `label`'s evaluate stage from its manifest and metrics.json. Throws one line naming what is
 * missing: a stage that stopped recording its phases must fail the benchmark loudly, not
 * print zeros.
 */
export function evaluateSide(
  label: string,
  manifest: Pick<Manifest, "startedAt" | "endedAt" | "runInfo">,
  metrics: unknown,
): EvaluateSide {
  const seconds = (Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt)) / 1000;
  if (!(seconds >= 0)) {
    failing(label, `no start and end in its manifest (${manifest.startedAt}, ${manifest.endedAt})`);
  }
  const recorded = manifest.runInfo.seconds;
  if (typeof recorded !== "object" || recorded === null) {
    failing(label, "its manifest has no runInfo.seconds (the seconds of each phase)");
  }
  const phases = recorded as Record<string, unknown>;
  for (const [name, value] of Object.entries(phases)) {
    if (typeof value !== "number" || !(value >= 0)) {
      failing(label, `runInfo.seconds["${name}"] is ${value}`);
    }
  }
  const test = (metrics as { test?: Record<string, unknown> } | null)?.test;
  if (!test) failing(label, "its metrics.json has no test section");
  const { negElbo, iw, iwExamples } = test;
  const estimates = Array.isArray(iw) ? (iw as IwEstimate[]) : [];
  const largest = estimates.reduce<IwEstimate | undefined>(
    (a, b) => (a && a.k >= b.k ? a : b),
    undefined,
  );
  return {
    label,
    seconds,
    phases: phases as Record<string, number>,
    negElbo: typeof negElbo === "number" ? negElbo : null,
    iw: largest
      ? { k: largest.k, logLikelihood: largest.logLikelihood, examples: Number(iwExamples) }
      : null,
  };
}

/**
 * Headline numbers further apart than this (nats) mean the backends did not compute the
 * same thing. Each backend evaluates the model it trained itself, but both train and
 * evaluate with the same seed and the same draws, so only floating-point rounding (another
 * summation order in the BLAS, carried through the training's steps) should separate them.
 */
export const METRIC_AGREEMENT = 0.05;

/** One headline number of a side: test −ELBO, or log p̂_K at its largest K. */
export interface Headline {
  name: string;
  value: number | null;
}

/** A side's headline numbers, in the same order for every side. */
export function headlines(side: EvaluateSide): Headline[] {
  return [
    { name: "test −ELBO", value: side.negElbo },
    { name: `log p̂_${side.iw?.k ?? "K"}`, value: side.iw?.logLikelihood ?? null },
  ];
}

/**
 * A warning for each headline number of a side that is METRIC_AGREEMENT or more from the
 * first side's (or that one side has and the other lacks), and for a bound on another K.
 */
export function metricWarnings(sides: EvaluateSide[]): string[] {
  const [first, ...rest] = sides;
  const warnings: string[] = [];
  for (const side of rest) {
    if (first.iw && side.iw && first.iw.k !== side.iw.k) {
      warnings.push(
        `warning: ${side.label} bounds log p̂ at K = ${side.iw.k}, ${first.label} at ` +
          `K = ${first.iw.k}: not the same evaluation`,
      );
      continue;
    }
    const theirs = headlines(first);
    headlines(side).forEach(({ value, ...own }, i) => {
      const reference = theirs[i].value;
      // Named after whichever has it (the same K on both: checked above).
      const name = reference === null ? own.name : theirs[i].name;
      if (value === null && reference === null) return;
      const apart = value === null || reference === null ? NaN : Math.abs(value - reference);
      if (apart < METRIC_AGREEMENT) return;
      const show = (v: number | null) => (v === null ? "none" : v.toFixed(2));
      warnings.push(
        `warning: ${side.label}'s ${name} ${show(value)} is not within ${METRIC_AGREEMENT} nats ` +
          `of ${first.label}'s ${show(reference)}: the backends do not compute the same model ` +
          "(same seed, same draws: only rounding should separate them)",
      );
    });
  }
  return warnings;
}
