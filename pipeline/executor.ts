/**
 * Where a command's runs compute: here, or as Slurm jobs. Said by `--executor`, `--partition`,
 * `--time` and `--cpus` on the command line, or by a config's `executor:` block (the command
 * line wins). A Slurm task's cores are also its BLAS threads unless the config sets
 * `blasThreads`, and threads join the keys: so `--cpus` (or the block's `cpus`) changes keys,
 * and status, report and compare take the same `--cpus` to find those runs.
 */
import { z } from "zod";
import { canonicalJson } from "./hash.ts";
import { excerpt, showPath } from "./bounded_read.ts";
import { type ConfigSource, dotted, locateIn, valueAt } from "./config.ts";
import { closestWord } from "./did_you_mean.ts";
import { UserError } from "./errors.ts";
import type { Resources } from "./submission.ts";

/** A Slurm partition name. */
export const PARTITION = /^[A-Za-z0-9_.-]{1,64}$/;
/** A time limit in a form `sbatch --time` takes: `90`, `2:00:00`, `1-12`, `1-12:30:00`. */
export const SLURM_TIME = /^(\d+-\d{1,2}(:\d{2}){0,2}|\d+(:\d{2}){0,2})$/;
export const SLURM_TIME_SAYS = "a Slurm time: minutes (90), h:mm:ss (2:00:00) or days-hours (1-12)";
/** The most cores one task may ask for. */
export const MAX_CPUS = 1024;

/**
 * A config's `executor:` block. Where a run computes is no input of its results: the block
 * is taken out of the config before the stages see it, and joins no key.
 */
const executorSchema = z.strictObject({
  kind: z.enum(["local", "slurm"]).default("local"),
  partition: z.string().regex(PARTITION, "must be a Slurm partition name").optional(),
  time: z.string().regex(SLURM_TIME, `must be ${SLURM_TIME_SAYS}`).optional(),
  cpus: z.int().min(1).max(MAX_CPUS).optional(),
});
export type ExecutorBlock = z.output<typeof executorSchema>;

/** The block of a config (its `extends` chain merged), validated; undefined when absent. */
export function executorBlock(source: ConfigSource): ExecutorBlock | undefined {
  const block = source.raw.executor;
  if (block === undefined) return undefined;
  const parsed = executorSchema.safeParse(block);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = ["executor", ...issue.path.map(String)];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const valid = Object.keys(executorSchema.shape);
    const guess = closestWord(key, valid);
    const fix = guess ? `did you mean "${guess}"?` : `valid keys here: ${valid.join(", ")}`;
    throw new UserError(
      `${locateIn(source, [...path, key])}: unknown key ${dotted([...path, key])}: ${fix}`,
    );
  }
  const got = excerpt(valueAt(block, issue.path as (string | number)[]));
  throw new UserError(`${locateIn(source, path)}: ${dotted(path)} ${issue.message}, got ${got}`);
}

/** What the command line says of the executor (all optional). */
export interface ExecutorFlags {
  executor?: "local" | "slurm";
  partition?: string;
  time?: string;
  cpus?: number;
}

export type Executor = { kind: "local"; cpus?: number } | {
  kind: "slurm";
  partition?: string;
  time?: string;
  cpus?: number;
};

/**
 * The executor of a command's runs: the command line over the configs' blocks, which must
 * agree (one submission asks for one kind of task).
 */
export function resolveExecutor(
  flags: ExecutorFlags,
  runs: { path: string; executor?: ExecutorBlock }[],
): Executor {
  const blocks = runs.filter((run) => run.executor !== undefined);
  for (const other of blocks.slice(1)) {
    if (canonicalJson(other.executor) !== canonicalJson(blocks[0].executor)) {
      throw new UserError(
        `${showPath(blocks[0].path)} and ${showPath(other.path)} have different executor: ` +
          "blocks; one command submits one kind of task: make them agree, or run them apart",
      );
    }
  }
  const block = blocks[0]?.executor;
  const kind = flags.executor ?? block?.kind ?? "local";
  const cpus = flags.cpus ?? block?.cpus;
  if (kind === "local") return { kind, cpus: flags.cpus };
  return {
    kind,
    partition: flags.partition ?? block?.partition,
    time: flags.time ?? block?.time,
    cpus,
  };
}

/**
 * A config as a task with `cpus` cores runs it: unless it sets `blasThreads`, its BLAS gets
 * those cores (and its keys say so).
 */
export function withCores<C extends { blasThreads?: number }>(config: C, cpus?: number): C {
  if (cpus === undefined || config.blasThreads !== undefined) return config;
  return { ...config, blasThreads: cpus };
}

/** The Slurm resources of each task: `cpus` defaults to the BLAS threads of the first run. */
export function resourcesOf(
  executor: Extract<Executor, { kind: "slurm" }>,
  threads: number,
): Resources {
  const { partition, time } = executor;
  return {
    cpus: executor.cpus ?? threads,
    ...(partition ? { partition } : {}),
    ...(time ? { time } : {}),
  };
}

/** `--cpus 4` → 4, or a one-line error. */
export function parseCpus(text: string): number {
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_CPUS) return Number(text);
  throw new UserError(
    `--cpus must be a whole number of cores per task from 1 to ${MAX_CPUS}, got ` +
      JSON.stringify(text),
  );
}

/** `--time 2:00:00` as given, or a one-line error. */
export function parseTime(text: string): string {
  if (SLURM_TIME.test(text)) return text;
  throw new UserError(`--time must be ${SLURM_TIME_SAYS}, got ${JSON.stringify(text)}`);
}

/** `--partition gpu` as given, or a one-line error. */
export function parsePartition(text: string): string {
  if (PARTITION.test(text)) return text;
  throw new UserError(
    `--partition must be a Slurm partition name (letters, digits, _ . -), got ` +
      JSON.stringify(text),
  );
}

/** `--executor slurm` → "slurm", or a one-line error. */
export function parseExecutor(text: string): "local" | "slurm" {
  if (text === "local" || text === "slurm") return text;
  throw new UserError(`--executor must be local or slurm, got ${JSON.stringify(text)}`);
}
