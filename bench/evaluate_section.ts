/**
 * The evaluate section of `deno task bench`: a config's evaluate stage on tfjs wasm and tfjs
 * blas, on the models the whole-training section has just trained (it trains nothing of its
 * own), timed by the stage's own manifest: start to end, and each phase it times. The issue's
 * target is the stage as a whole, at least 4× faster on blas than on wasm; on wasm nearly
 * all of it is the importance-weighted bound, so that phase is shown beside it. The two
 * backends must also compute the same numbers: their headline metrics are checked to agree.
 */
import { evaluateTable, metricTable } from "./bench_output.ts";
import {
  type EvaluateSide,
  evaluateSide,
  METRIC_AGREEMENT,
  metricWarnings,
} from "./evaluate_results.ts";
import type { Evaluated } from "./whole_training.ts";

export interface EvaluateSection {
  /** Each backend's evaluate stage, in the order trained (wasm first). */
  sides: EvaluateSide[];
  warnings: string[];
}

/** Print the section from each backend's evaluate stage (by side label). */
export function evaluateSection(
  config: string,
  epochs: number | undefined,
  evaluated: Record<string, Evaluated>,
): EvaluateSection {
  const sides = Object.entries(evaluated).map(([label, { manifest, metrics }]) =>
    evaluateSide(label, manifest, metrics)
  );
  if (sides.length === 0) throw new Error("evaluate section: no backend was evaluated");
  const { iw } = sides[0];
  console.log("");
  console.log(
    `── Evaluate: ${config}${epochs ? ` with --epochs ${epochs}` : ""}, on the models trained ` +
      `above${iw ? `: log p̂_K up to K = ${iw.k} on ${iw.examples} test examples` : ""} ──`,
  );
  for (const line of evaluateTable(sides)) console.log(line);
  console.log(
    "timed: each backend's evaluate stage once, in the process that trained it (as " +
      "`deno task run` does), from its manifest: start to end (data and model load, every " +
      "phase, the tables and images written) and each phase it times itself (runInfo.seconds)",
  );
  console.log("PyTorch: no counterpart here (the reference has no evaluate stage)");
  if (sides.length === 1) console.log(`${sides[0].label} only (no BLAS loaded): no speed-up`);
  console.log("");
  for (const line of metricTable(sides)) console.log(line);
  const warnings = metricWarnings(sides);
  if (sides.length > 1) {
    console.log(
      warnings.length
        ? `the backends' metrics differ by ${METRIC_AGREEMENT} nats or more: see the warnings`
        : `the backends' metrics agree (each within ${METRIC_AGREEMENT} nats)`,
    );
  }
  return { sides, warnings };
}
