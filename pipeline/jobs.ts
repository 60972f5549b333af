/**
 * `run --jobs N`: a command's runs (a sweep's cells) in N worker processes. The stages that
 * several runs share (the data split, the classifier) run first, in the parent, once each;
 * then every worker walks the same list of runs and takes the next one no other worker has
 * claimed (a file created with O_EXCL per run in a claims folder), so the cores stay busy to
 * the end and no worker waits on another's lock. The store's per-key locks still guarantee
 * one computation per key whatever happens. An interrupted command, run again, reuses every
 * finished stage and resumes a training from its last checkpoint.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "./command_line.ts";
import type { PlannedStage } from "./plan.ts";

/** The worker processes of this command, so a signal can be passed on to them. */
const workers = new Set<Deno.ChildProcess>();

/**
 * Whether this worker takes run `index`: true for exactly one of the workers sharing
 * `claims`, whichever asks first.
 */
export async function claimRun(claims: string, index: number): Promise<boolean> {
  try {
    const file = await Deno.open(join(claims, `${index}`), { createNew: true, write: true });
    file.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}

/**
 * Of each run's plan, the stages whose key another run's plan also holds, each key once (in
 * the first plan that has it): what the parent runs before the workers start. A shared
 * stage's upstream stages are shared too (equal keys have equal inputs), so each returned
 * plan is complete.
 */
export function sharedStages(plans: PlannedStage[][]): PlannedStage[][] {
  const runsOf = new Map<string, number>();
  const id = (stage: PlannedStage) => `${stage.spec.name}/${stage.key}`;
  for (const plan of plans) {
    for (const key of new Set(plan.map(id))) runsOf.set(key, (runsOf.get(key) ?? 0) + 1);
  }
  const taken = new Set<string>();
  return plans.map((plan) =>
    plan.filter((stage) => {
      const key = id(stage);
      if ((runsOf.get(key) ?? 0) < 2 || taken.has(key)) return false;
      taken.add(key);
      return true;
    })
  ).filter((plan) => plan.length > 0);
}

/**
 * Start `jobs` workers: this command line again, with `--worker <claims>` instead of
 * `--jobs`, under the permissions the launcher granted (`granted`: Deno's flags, as JSON).
 * Their output goes straight to ours, a whole line at a time. Returns how many failed.
 */
export async function runWorkers(
  jobs: number,
  argv: string[],
  granted: string[],
  claims: string,
): Promise<number> {
  const args = [
    "run",
    "--config",
    join(PROJECT_ROOT, "deno.json"),
    ...granted,
    join(PROJECT_ROOT, "pipeline", "cli.ts"),
    ...workerArgs(argv),
    `--worker=${claims}`,
  ];
  const started = Array.from({ length: jobs }, () => {
    const child = new Deno.Command(Deno.execPath(), { args, stdin: "null" }).spawn();
    workers.add(child);
    return child;
  });
  const statuses = await Promise.all(started.map((child) => child.status));
  for (const child of started) workers.delete(child);
  return statuses.filter((status) => !status.success).length;
}

/**
 * The command line minus what only the parent acts on (`--granted`); `--jobs` stays, since a
 * worker's share of the cores depends on it.
 */
export function workerArgs(argv: string[]): string[] {
  return argv.filter((word) => !word.startsWith("--granted="));
}

/** Pass a signal on to the workers (Ctrl-C in a terminal reaches them anyway). */
export function signalWorkers(signal: Deno.Signal): void {
  for (const child of workers) {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  }
}
