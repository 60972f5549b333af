/**
 * What became of the stages a cluster submission was to make, for `status` and for `run`
 * (which never submits a key that a queued or running task will make). The store speaks
 * first (a key there is done, whoever made it); then squeue, for the task that makes the
 * key in the newest submission; then the task's exit-code file, once squeue has forgotten it.
 */
import { showPath } from "./bounded_read.ts";
import { type QueueEntry, queueStates } from "./slurm.ts";
import {
  exitFile,
  logFile,
  type Phase,
  PHASES,
  readSubmissions,
  type Submission,
  type Task,
} from "./submission.ts";

/** A task of a submission: the one that makes some key. */
export interface TaskRef {
  submission: Submission;
  phase: Phase;
  index: number;
  /** `<job>_<task>`, as squeue names it. */
  job: string;
}

/** What a task is doing (`running`), and where (`slurm job 13_2 on node7; log …`). */
export interface TaskView {
  state: "queued" | "running" | "failed" | "ended";
  detail: string;
}

/** Slurm's states of a task that has not ended. */
const WAITING = ["PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD"];
const WORKING = ["RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "STOPPED", "RESIZING"];

/** The store's submissions and squeue's word on their tasks, read once per command. */
export class ClusterView {
  private constructor(
    private submissions: Submission[],
    private byKey: Map<string, TaskRef>,
    private queue: Map<string, QueueEntry> | undefined,
  ) {}

  /** Read every submission in the store, and ask squeue once about all their jobs. */
  static async load(storeRoot: string): Promise<ClusterView> {
    const submissions = await readSubmissions(storeRoot);
    const byKey = new Map<string, TaskRef>();
    // Newest first: a key resubmitted is the newer task's.
    for (const submission of submissions.toReversed()) {
      for (const { ref, task } of submittedTasks(submission)) {
        for (const { key } of task.stages) if (!byKey.has(key)) byKey.set(key, ref);
      }
    }
    const jobs = submissions.flatMap((s) => Object.values(s.jobs));
    const queue = byKey.size ? await queueStates(jobs) : new Map();
    return new ClusterView(submissions, byKey, queue);
  }

  /** The task of the newest submission that makes `key`, if one does. */
  taskFor(key: string): TaskRef | undefined {
    return this.byKey.get(key);
  }

  /** What the task that makes `key` is doing, and which task it is; undefined when none. */
  async doing(key: string): Promise<(TaskView & { ref: TaskRef }) | undefined> {
    const ref = this.byKey.get(key);
    return ref && { ref, ...await this.view(ref) };
  }

  /**
   * `stage/key` of every entry a submission still at work will make or read (its tasks'
   * stages and their inputs), so `gc` keeps them: a queued cell needs the shared stages.
   */
  async entriesAtWork(): Promise<string[]> {
    const ids = new Set<string>();
    for (const submission of this.submissions) {
      const tasks = submittedTasks(submission);
      const views = await Promise.all(tasks.map(({ ref }) => this.view(ref)));
      if (!views.some(atWork)) continue;
      for (const { task } of tasks) {
        for (const { stage, key, keyInputs } of task.stages) {
          ids.add(`${stage}/${key}`);
          for (const [name, upstream] of Object.entries(keyInputs.inputs)) {
            ids.add(`${name}/${upstream}`);
          }
        }
      }
    }
    return [...ids];
  }

  /** What the task is doing: from squeue while it knows the task, else from its exit file. */
  async view(ref: TaskRef): Promise<TaskView> {
    const { submission, phase, index, job } = ref;
    const log = `log ${showPath(logFile(submission.dir, phase, index))}`;
    const entry = this.queue?.get(job);
    if (entry && WAITING.includes(entry.state)) {
      const why = entry.reason && entry.reason !== "None" ? `, waiting: ${entry.reason}` : "";
      return { state: "queued", detail: `slurm job ${job}${why}` };
    }
    if (entry && WORKING.includes(entry.state)) {
      const on = entry.node ? ` on ${entry.node}` : "";
      return { state: "running", detail: `slurm job ${job}${on}; ${log}` };
    }
    const code = await readExitCode(exitFile(submission.dir, phase, index));
    const exit = code === undefined ? "" : `, exit code ${code}`;
    if (entry && entry.state !== "COMPLETED") {
      return { state: "failed", detail: `slurm job ${job} ${entry.state}${exit}; ${log}` };
    }
    if (code === 0) return { state: "ended", detail: `slurm job ${job}; ${log}` };
    if (code !== undefined) return { state: "failed", detail: `slurm job ${job}${exit}; ${log}` };
    if (this.queue === undefined) {
      return { state: "queued", detail: `slurm job ${job}, no squeue here to say more; ${log}` };
    }
    return {
      state: "failed",
      detail: `slurm job ${job} ended without an exit code: killed, or its node failed; ${log}`,
    };
  }
}

/** A task still queued or running. */
export const atWork = (view: TaskView): boolean =>
  view.state === "queued" || view.state === "running";

/** Every task of the phases sbatch took, with its place (the job array and its index). */
function submittedTasks(submission: Submission): { ref: TaskRef; task: Task }[] {
  return PHASES.flatMap((phase) => {
    const job = submission.jobs[phase];
    if (job === undefined) return [];
    return submission.plan.phases[phase].map((task, index) => ({
      ref: { submission, phase, index, job: `${job}_${index}` },
      task,
    }));
  });
}

/** The code a task's batch script left, or undefined when it has not (yet). */
async function readExitCode(path: string): Promise<number | undefined> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
