/**
 * `deno task status` of a sweep: one line per cell (done, or its first stage that is not,
 * and why) and a count per sweep, instead of a header and a line per stage for each of
 * dozens of runs.
 */
import type { PlannedStage } from "./plan.ts";
import type { RunEnv } from "./runner.ts";
import { NEVER_RUN, stageState } from "./staleness.ts";

export type CellVerdict = "done" | "stale" | "missing";

/**
 * A sweep's cell on one line: `done` when every stage is cached, else its first stage that is
 * not, with its state (`missing` when it never ran, `stale` and why, `corrupt`), and how many
 * after it wait on it.
 */
export async function cellStatus(plan: PlannedStage[], env: RunEnv, name: string) {
  const open: { stage: string; state: string; why: string }[] = [];
  let corrupt = 0;
  for (const stage of plan) {
    const { state, why } = await stageState(stage, env.store, name, true);
    if (state === "corrupt") corrupt++;
    if (state !== "cached") open.push({ stage: stage.spec.name, state, why });
  }
  if (open.length === 0) return { line: `${name}  done`, verdict: "done" as const, corrupt };
  const [first, ...later] = open;
  const missing = first.state === "stale" && first.why === NEVER_RUN;
  const said = missing ? "missing" : `${first.state}: ${first.why}`;
  const rest = later.length
    ? ` (and ${later.length} later stage${later.length > 1 ? "s" : ""})`
    : "";
  const verdict: CellVerdict = missing ? "missing" : "stale";
  return { line: `${name}  ${first.stage} ${said}${rest}`, verdict, corrupt };
}

/** `loss-balance: 48 cells: 40 done, 3 stale, 5 missing`. */
export function sweepCount(sweep: string, verdicts: CellVerdict[]): string {
  const count = (v: CellVerdict) => verdicts.filter((x) => x === v).length;
  return `${sweep}: ${verdicts.length} cells: ${count("done")} done, ${count("stale")} stale, ` +
    `${count("missing")} missing`;
}
