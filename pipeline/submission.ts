/**
 * A submission to a cluster: what `run --executor slurm` plans on the submitting machine and
 * leaves in the store, under `.runs/<id>/`, for the jobs and for `status`:
 *
 * - `plan.json`: the command, each run's resolved config, and the tasks of each phase with
 *   the keys they are to make (and the code those keys were computed from);
 * - `<phase>.sh`: the batch script of each phase, a Slurm job array, one task per entry;
 * - `jobs.json`: the job id of each phase, once sbatch has taken it;
 * - `logs/<phase>-<task>.log` (Slurm writes them) and `exit/<phase>-<task>` (each task's exit
 *   code, written by its batch script when it ends).
 *
 * The phases run in order, each after the previous one succeeded: `shared` computes the
 * stages several runs share (the data split, the classifier), each key once; `cells` makes
 * each run's own stages (train, evaluate, report); `sweeps` renders the sweeps' reports. Only
 * missing keys are planned, and each in one task only, so no task ever waits on another's
 * lock.
 */
import { join } from "node:path";
import { type CodeFingerprint } from "./fingerprint.ts";
import { sharedStages } from "./jobs.ts";
import type { PlannedStage } from "./plan.ts";
import { scriptWord } from "./shell_word.ts";
import type { KeyInputs } from "./store.ts";
import { explainChange } from "./staleness.ts";
import { UserError } from "./errors.ts";

export const PHASES = ["shared", "cells", "sweeps"] as const;
export type Phase = typeof PHASES[number];

/** A stage a task makes: its planned key and what went into it. */
export interface TaskStage {
  stage: string;
  key: string;
  keyInputs: KeyInputs;
}

/** One task of a job array: a run's stages to make (`run` indexes the command's runs). */
export interface Task {
  run: number;
  name: string;
  stages: TaskStage[];
}

/** Slurm's resources for every task of a submission. */
export interface Resources {
  cpus: number;
  partition?: string;
  time?: string;
}

/** plan.json. */
export interface SubmissionPlan {
  id: string;
  createdAt: string;
  host: string;
  /** The folder the command ran in, and the command line the tasks repeat. */
  cwd: string;
  argv: string[];
  resources: Resources;
  runs: { name: string; path: string; resolved: unknown }[];
  phases: Record<Phase, Task[]>;
  /** The code each stage's planned keys were computed from, by stage name. */
  code: Record<string, CodeFingerprint>;
}

/** jobs.json: the Slurm job id of each phase that has tasks. */
export type SubmittedJobs = Partial<Record<Phase, string>>;

/** A submission read back from the store. */
export interface Submission {
  dir: string;
  plan: SubmissionPlan;
  jobs: SubmittedJobs;
}

/**
 * What each phase must do, given each run's plan and whether a stage's key is in the store
 * (or forced): the missing stages several runs share, each once, in `shared`; each run's
 * other missing stages in `cells`; and `sweeps` when there are sweeps and anything to make.
 */
export function planTasks(
  names: string[],
  plans: PlannedStage[][],
  isMissing: (stage: PlannedStage) => boolean,
  hasSweeps: boolean,
): Record<Phase, Task[]> {
  const missing = plans.map((plan) => plan.filter(isMissing));
  const task = (run: number, stages: PlannedStage[]): Task => ({
    run,
    name: names[run],
    stages: stages.map((s) => ({ stage: s.spec.name, key: s.key, keyInputs: s.keyInputs })),
  });
  const shared = sharedStages(missing).map((stages) =>
    task(missing.findIndex((plan) => plan.includes(stages[0])), stages)
  );
  const sharedKeys = new Set(shared.flatMap((t) => t.stages.map((s) => s.key)));
  const cells = missing.flatMap((plan, run) => {
    const own = plan.filter((stage) => !sharedKeys.has(stage.key));
    return own.length ? [task(run, own)] : [];
  });
  const anything = shared.length + cells.length > 0;
  return {
    shared,
    cells,
    sweeps: hasSweeps && anything ? [{ run: -1, name: "", stages: [] }] : [],
  };
}

/** A new submission's id: when, and a few random letters (`20261130-201512-3fa9c1`). */
export function newSubmissionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

/** `<store>/.runs`, where submissions live. */
export const runsFolder = (storeRoot: string) => join(storeRoot, ".runs");

/** A task's log and exit-code files. */
export const logFile = (dir: string, phase: Phase, task: number) =>
  join(dir, "logs", `${phase}-${task}.log`);
export const exitFile = (dir: string, phase: Phase, task: number) =>
  join(dir, "exit", `${phase}-${task}`);

/** Write plan.json and each phase's batch script into a new folder `dir`. */
export async function writeSubmission(
  dir: string,
  plan: SubmissionPlan,
  /** The pipeline's command line that every task runs (each adds its own `--task`). */
  taskCommand: string[],
): Promise<void> {
  await Deno.mkdir(join(dir, "logs"), { recursive: true });
  await Deno.mkdir(join(dir, "exit"), { recursive: true });
  await writeAtomically(join(dir, "plan.json"), JSON.stringify(plan, null, 1) + "\n");
  for (const phase of PHASES) {
    const tasks = plan.phases[phase].length;
    if (tasks === 0) continue;
    const script = batchScript(dir, plan, phase, tasks, taskCommand);
    await Deno.writeTextFile(scriptFile(dir, phase), script, { mode: 0o755 });
  }
}

export const scriptFile = (dir: string, phase: Phase) => join(dir, `${phase}.sh`);

/** Record the job ids sbatch gave (the submission is live from here on). */
export async function writeJobs(dir: string, jobs: SubmittedJobs): Promise<void> {
  await writeAtomically(join(dir, "jobs.json"), JSON.stringify(jobs) + "\n");
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.new-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, path);
}

/**
 * The batch script of one phase: a job array of `tasks` tasks, each running the pipeline's
 * command for its own task. Slurm's cancel and time limit reach the pipeline as SIGTERM
 * (it keeps its last epoch's checkpoint and exits); two minutes before the time limit Slurm
 * signals the script (USR1), which stops the pipeline the same way and requeues the task,
 * so it resumes from that checkpoint. The task's exit code is left in exit/.
 */
export function batchScript(
  dir: string,
  plan: SubmissionPlan,
  phase: Phase,
  tasks: number,
  command: string[],
): string {
  const { cpus, partition, time } = plan.resources;
  const directives = [
    // What squeue shows: the study (a sweep's name, or the first run's) and the phase.
    `--job-name=${plan.runs[0].name.split("/")[0]}-${phase}`,
    `--array=0-${tasks - 1}`,
    `--output=${join(dir, "logs", `${phase}-%a.log`)}`,
    "--open-mode=append",
    `--chdir=${plan.cwd}`,
    `--cpus-per-task=${cpus}`,
    ...(partition ? [`--partition=${partition}`] : []),
    ...(time ? [`--time=${time}`] : []),
    "--signal=B:USR1@120",
    "--requeue",
  ];
  const exitPath = join(dir, "exit", `${phase}-`);
  return [
    "#!/bin/bash",
    `# ${phase} of submission ${plan.id}, written by \`deno task run --executor slurm\`.`,
    ...directives.map((d) => `#SBATCH ${scriptWord(d)}`),
    "task=${SLURM_ARRAY_TASK_ID:-0}",
    `echo "── ${phase} task $task, slurm job \${SLURM_ARRAY_JOB_ID:-?}_$task, attempt ` +
    `\${SLURM_RESTART_COUNT:-0}, host $(hostname), $(date -u +%FT%TZ) ──"`,
    `${command.map(scriptWord).join(" ")} --task=${scriptWord(`${dir}:${phase}:`)}"$task" &`,
    "child=$!",
    "requeue=0",
    // The time limit is near: stop like Ctrl-C, then put the task back in the queue.
    "trap 'requeue=1; kill -TERM $child 2>/dev/null' USR1",
    "trap 'kill -TERM $child 2>/dev/null' TERM",
    // `wait` returns early when a trap runs: wait again until the pipeline has exited.
    "while true; do wait $child; code=$?; kill -0 $child 2>/dev/null || break; done",
    `echo $code > ${scriptWord(exitPath)}"$task"`,
    'if [ "$requeue" = 1 ]; then scontrol requeue "$SLURM_JOB_ID"; fi',
    "exit $code",
    "",
  ].join("\n");
}

/** Every submission in the store, oldest first; a folder that is not one is passed over. */
export async function readSubmissions(storeRoot: string): Promise<Submission[]> {
  const root = runsFolder(storeRoot);
  const found: Submission[] = [];
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(root))).filter((e) => e.isDirectory)
      .map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return found;
    throw error;
  }
  for (const name of names.sort()) {
    const dir = join(root, name);
    try {
      const plan = JSON.parse(await Deno.readTextFile(join(dir, "plan.json")));
      const jobs = JSON.parse(await Deno.readTextFile(join(dir, "jobs.json")));
      found.push({ dir, plan, jobs });
    } catch { /* being written, or sbatch never took it: nothing runs for it */ }
  }
  return found;
}

/**
 * A task's check before it computes: every key it makes is the key planned at submission.
 * Code or a config edited since would otherwise silently put other artifacts in the store
 * than the ones submitted; the error names what changed.
 */
export function checkPlannedKeys(
  task: Task,
  now: PlannedStage[],
  code: Record<string, CodeFingerprint>,
  resubmit: string,
): void {
  for (const planned of task.stages) {
    const stage = now.find((s) => s.spec.name === planned.stage);
    if (stage?.key === planned.key) continue;
    const why = stage
      ? explainChange(stage, { keyInputs: planned.keyInputs, fingerprint: code[planned.stage] })
        .join("; ")
      : "the stage is no longer in the run's plan";
    throw new UserError(
      `${task.name}: ${planned.stage}'s key is ${stage ? stage.key.slice(0, 8) : "gone"}, ` +
        `not the ${planned.key.slice(0, 8)} planned at submission (${why}); nothing was ` +
        `computed: submit again with \`${resubmit}\``,
    );
  }
}
