/**
 * The Slurm commands the pipeline calls: `sbatch` to submit a job array, `squeue` to ask
 * what became of its tasks, `scancel` to withdraw a half-made submission. Slurm schedules;
 * nothing here waits on a job. The commands are found on PATH, and run by absolute path
 * (the launcher grants exactly the ones it found).
 */
import { join } from "node:path";
import { UserError } from "./errors.ts";

/** The Slurm commands the pipeline runs. */
export const SLURM_COMMANDS = ["sbatch", "squeue", "scancel"] as const;
export type SlurmCommand = typeof SLURM_COMMANDS[number];

/**
 * Where `name` is on PATH, or undefined. A folder this process may not read is passed over,
 * so a process granted only the commands' own paths still finds them.
 */
export function findCommand(name: SlurmCommand): string | undefined {
  const allowed = Deno.permissions.querySync({ name: "env", variable: "PATH" });
  if (allowed.state !== "granted") return undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    const path = join(dir, name);
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there, or not ours to look at */ }
  }
  return undefined;
}

/** Slurm is here to submit to, or a UserError before anything is written. */
export function requireSlurm(): void {
  required("sbatch");
}

/** `command`'s path, or a UserError saying Slurm is needed and how to tell where it is. */
function required(name: SlurmCommand): string {
  const path = findCommand(name);
  if (path) return path;
  throw new UserError(
    `--executor slurm needs Slurm's ${name} on PATH, and it is not there; run on a machine ` +
      "that submits to your cluster (a login node), or run here without --executor slurm",
  );
}

async function call(name: SlurmCommand, args: string[]): Promise<string> {
  const output = await new Deno.Command(required(name), { args, stdin: "null" }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  if (!output.success) {
    const said = decode(output.stderr).split("\n").at(-1) || `exit code ${output.code}`;
    throw new UserError(`${name} ${args.join(" ")} failed: ${said}`);
  }
  return decode(output.stdout);
}

/**
 * Submit a batch script, after the jobs in `after` have all succeeded (`afterok`); a job
 * whose dependency can no longer be met is cancelled, not left pending forever. Returns the
 * job id.
 */
export async function submitBatch(script: string, after: string[] = []): Promise<string> {
  const dependency = after.length
    ? [`--dependency=afterok:${after.join(":")}`, "--kill-on-invalid-dep=yes"]
    : [];
  const said = await call("sbatch", ["--parsable", ...dependency, script]);
  // `--parsable` prints `<job id>` or `<job id>;<cluster>`.
  const id = said.split("\n").at(-1)!.split(";")[0];
  if (!/^\d+$/.test(id)) throw new Error(`sbatch said "${said}", not a job id`);
  return id;
}

/** Withdraw jobs (a submission that could not be made whole). */
export async function cancelJobs(ids: string[]): Promise<void> {
  if (ids.length) await call("scancel", ids);
}

/** What squeue says of one task of a job array (or of a plain job). */
export interface QueueEntry {
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, … */
  state: string;
  /** Why it waits or ended (`Dependency`, `None`, …). */
  reason: string;
  /** The node it runs on (empty while pending). */
  node: string;
}

/**
 * The state of every task of `jobs`, by `<job>_<task>` (`<job>` for a plain job); undefined
 * when squeue is not here or cannot answer (then only the store and the exit files speak).
 * Finished jobs stay listed for the cluster's MinJobAge (5 minutes by default).
 */
export async function queueStates(jobs: string[]): Promise<Map<string, QueueEntry> | undefined> {
  const states = new Map<string, QueueEntry>();
  if (jobs.length === 0) return states;
  const path = findCommand("squeue");
  if (!path) return undefined;
  const output = await new Deno.Command(path, {
    // One line per array task (-r), finished ones too (-t all).
    args: ["-h", "-r", "-t", "all", "-j", jobs.join(","), "-o", "%i|%T|%r|%N"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  // squeue fails outright when none of the jobs is known any more: nothing to say.
  if (!output.success) return states;
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const [id, state, reason, node] = line.trim().split("|");
    if (id && state) states.set(id, { state, reason: reason ?? "", node: node ?? "" });
  }
  return states;
}
