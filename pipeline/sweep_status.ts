/**
 * `deno task status` of a sweep: one line per cell (done, or its first stage that is not,
 * and why) and a count per sweep, instead of a header and a line per stage for each of
 * dozens of runs.
 */
import type { PlannedStage } from "./plan.ts";
import type { RunEnv } from "./runner.ts";
import { NEVER_RUN, stageState } from "./staleness.ts";
import type { ClusterView } from "./submission_status.ts";

export type CellVerdict = "done" | "stale" | "missing" | "queued" | "running" | "failed";

/**
 * A sweep's cell on one line: `done` when every stage is cached, else its first stage that is
 * not, with its state (`missing` when it never ran, `stale` and why, `corrupt`), and how many
 * after it wait on it; when a cluster task is to make that stage, what the task is doing
 * (queued, running, failed) leads the line and is the cell's verdict.
 */
export async function cellStatus(
  plan: PlannedStage[],
  env: RunEnv,
  name: string,
  cluster?: ClusterView,
) {
  const open: { stage: string; key: string; state: string; why: string }[] = [];
  let corrupt = 0;
  for (const stage of plan) {
    const { state, why } = await stageState(stage, env.store, name, true);
    if (state === "corrupt") corrupt++;
    if (state !== "cached") open.push({ stage: stage.spec.name, key: stage.key, state, why });
  }
  if (open.length === 0) return { line: `${name}  done`, verdict: "done" as const, corrupt };
  const [first, ...later] = open;
  const missing = first.state === "stale" && first.why === NEVER_RUN;
  const said = missing ? "missing" : `${first.state}: ${first.why}`;
  const rest = later.length
    ? ` (and ${later.length} later stage${later.length > 1 ? "s" : ""})`
    : "";
  const task = await cluster?.doing(first.key);
  if (task && task.state !== "ended") {
    const line = `${name}  ${task.state}: ${first.stage} ${said}${rest} (${task.detail})`;
    return { line, verdict: task.state, corrupt };
  }
  const verdict: CellVerdict = missing ? "missing" : "stale";
  return { line: `${name}  ${first.stage} ${said}${rest}`, verdict, corrupt };
}

/**
 * `loss-balance: 48 cells: 40 done, 3 stale, 5 missing`, and the cells a cluster's tasks are
 * on when there are any (`, 2 queued, 1 running, 1 failed`).
 */
export function sweepCount(sweep: string, verdicts: CellVerdict[]): string {
  const count = (v: CellVerdict) => verdicts.filter((x) => x === v).length;
  const cluster = (["queued", "running", "failed"] as const)
    .filter((v) => count(v) > 0).map((v) => `, ${count(v)} ${v}`).join("");
  return `${sweep}: ${verdicts.length} cells: ${count("done")} done, ${count("stale")} stale, ` +
    `${count("missing")} missing${cluster}`;
}
