/**
 * `run --executor slurm` on the submitting machine: plan every run, keep the stages the store
 * lacks, write the submission (submission.ts) and hand its job arrays to sbatch, each after
 * the one before. Slurm schedules; nothing here waits for a job.
 */
import { join } from "node:path";
import { STAGES } from "../stages/registry.ts";
import type { ResolvedConfig } from "./config.ts";
import {
  type CommandLine,
  DEFAULT_ARTIFACTS,
  DEFAULT_REPORTS,
  PROJECT_ROOT,
} from "./command_line.ts";
import { showPath } from "./bounded_read.ts";
import { UserError } from "./errors.ts";
import { type Executor, resourcesOf } from "./executor.ts";
import type { ModuleGraph } from "./fingerprint.ts";
import { workerArgs } from "./jobs.ts";
import { type PlannedStage, planStages } from "./plan.ts";
import type { ConfigRun } from "./seeds.ts";
import { shellWord } from "./shell_word.ts";
import { cancelJobs, requireSlurm, submitBatch } from "./slurm.ts";
import type { ArtifactStore } from "./store.ts";
import {
  newSubmissionId,
  type Phase,
  PHASES,
  planTasks,
  runsFolder,
  scriptFile,
  type SubmissionPlan,
  type SubmittedJobs,
  writeJobs,
  writeSubmission,
} from "./submission.ts";
import { atWork, ClusterView } from "./submission_status.ts";

/** What submitting needs besides the runs: the executor, the tasks' permissions, an output. */
export interface Submitter {
  executor: Extract<Executor, { kind: "slurm" }>;
  /** Deno's permission flags the tasks run under (the launcher's grant). */
  granted: string[];
  write: (text: string) => void;
}

/**
 * `run --executor slurm`: plan every run here, write the submission under the store's
 * `.runs/`, and submit its missing stages as Slurm job arrays (see submission.ts); returns
 * without waiting. "nothing to compute" when every stage is in the store: the caller runs
 * the command here, which publishes the reports.
 */
export async function submitToSlurm(
  configs: ConfigRun<ResolvedConfig>[],
  hasSweeps: boolean,
  store: ArtifactStore,
  graph: ModuleGraph,
  args: CommandLine,
  { executor, granted, write }: Submitter,
): Promise<number | "nothing to compute"> {
  requireSlurm();
  const plans: PlannedStage[][] = [];
  for (const run of configs) {
    const env = { graph, projectRoot: PROJECT_ROOT, configPath: run.path };
    plans.push(await planStages(run.config, STAGES, env));
  }
  const forced = (name: string) => args.force === "all" || args.force.has(name);
  const missing = new Set<string>();
  for (const stage of plans.flat()) {
    const found = await store.lookup(stage.spec.name, stage.key);
    if (forced(stage.spec.name) || found.state !== "hit") missing.add(stage.key);
  }
  const names = configs.map((run) => run.config.name);
  const phases = planTasks(names, plans, (s) => missing.has(s.key), hasSweeps);
  if (phases.shared.length + phases.cells.length === 0) return "nothing to compute";
  await refuseBusyKeys([...missing], store);
  const id = newSubmissionId();
  const dir = join(runsFolder(store.root), id);
  const plan: SubmissionPlan = {
    id,
    createdAt: new Date().toISOString(),
    host: Deno.hostname(),
    cwd: Deno.cwd(),
    argv: workerArgs(Deno.args),
    resources: resourcesOf(executor, threadsOf(plans[0])),
    runs: configs.map(({ path, config }) => ({ name: config.name, path, resolved: config })),
    phases,
    code: Object.fromEntries(plans.flat().map((s) => [s.spec.name, s.fingerprint])),
  };
  const command = [
    Deno.execPath(),
    "run",
    "--config",
    join(PROJECT_ROOT, "deno.json"),
    ...granted,
    join(PROJECT_ROOT, "pipeline", "cli.ts"),
    ...plan.argv,
  ];
  await writeSubmission(dir, plan, command);
  const jobs = await submitPhases(dir, phases);
  await writeJobs(dir, jobs);
  for (const phase of PHASES.filter((p) => jobs[p])) {
    const count = phases[phase].length;
    const tasks = `${count} task${count === 1 ? "" : "s"}`;
    write(
      `submitted ${phase.padEnd(6)} slurm job ${jobs[phase]}: ${tasks}, ${PHASE_SAYS[phase]}\n`,
    );
  }
  write(
    `submission ${id}: logs in ${showPath(join(dir, "logs"))}; watch it with ` +
      `\`${commandLike("status", args)}\`, resume with \`${commandLike("run", args)}\`\n`,
  );
  return 0;
}

/** What each phase makes, for the submission's summary. */
const PHASE_SAYS: Record<Phase, string> = {
  shared: "the stages several runs share, each once",
  cells: "each run's own stages, after those",
  sweeps: "the sweep reports, after every run",
};

/** The BLAS threads a plan's stages compute with (1 where none uses a BLAS). */
function threadsOf(plan: PlannedStage[]): number {
  for (const stage of plan) {
    const compute = (stage.keyInputs.params as { compute?: { blas?: { threads?: number } } })
      ?.compute;
    if (compute?.blas?.threads) return compute.blas.threads;
  }
  return 1;
}

/**
 * Submit each phase that has tasks, after the one before it; if sbatch refuses one, the
 * phases already queued are cancelled, so nothing half-submitted runs.
 */
async function submitPhases(
  dir: string,
  phases: Record<Phase, unknown[]>,
): Promise<SubmittedJobs> {
  const jobs: SubmittedJobs = {};
  let after: string[] = [];
  try {
    for (const phase of PHASES) {
      if (phases[phase].length === 0) continue;
      const id = await submitBatch(scriptFile(dir, phase), after);
      jobs[phase] = id;
      after = [id];
    }
  } catch (error) {
    await cancelJobs(Object.values(jobs)).catch(() => {});
    throw error;
  }
  return jobs;
}

/**
 * A key is never submitted twice: if a queued or running task of an earlier submission
 * makes one of these, say which and stop (its jobs finish the work; or cancel them).
 */
async function refuseBusyKeys(keys: string[], store: ArtifactStore): Promise<void> {
  const cluster = await ClusterView.load(store.root);
  const busy = new Map<string, string[]>(); // submission id → all its jobs
  for (const key of keys) {
    const task = await cluster.doing(key);
    if (task && atWork(task)) {
      busy.set(task.ref.submission.plan.id, Object.values(task.ref.submission.jobs));
    }
  }
  if (busy.size === 0) return;
  const [[id, jobs]] = busy;
  const more = busy.size > 1 ? ` and ${busy.size - 1} more` : "";
  throw new UserError(
    `submission ${id} (slurm jobs ${jobs.join(", ")})${more} is still queued or running and ` +
      "makes some of these stages; watch it with `deno task status`, or cancel it with " +
      `\`scancel ${[...busy.values()].flat().join(" ")}\` and run again`,
  );
}

/**
 * This command as `deno task <command> …`: `status` to watch a submission (with what finds
 * its keys), `run` to resume it (without --force, which would make everything again).
 */
function commandLike(command: "status" | "run", args: CommandLine): string {
  const { executor, partition, time, cpus } = args.executor;
  const words = [
    ...args.targets,
    ...args.overrides.map((o) => o.text),
    ...(args.seeds ? ["--seeds", args.seeds.join(",")] : []),
    ...(command === "run" && executor ? ["--executor", executor] : []),
    ...(command === "run" && partition ? ["--partition", partition] : []),
    ...(command === "run" && time ? ["--time", time] : []),
    ...(cpus ? ["--cpus", String(cpus)] : []),
    ...(args.artifacts !== DEFAULT_ARTIFACTS ? ["--artifacts", args.artifacts] : []),
    ...(args.reports !== DEFAULT_REPORTS ? ["--reports", args.reports] : []),
  ];
  return ["deno", "task", command, ...words].map(shellWord).join(" ");
}
