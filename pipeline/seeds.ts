/**
 * Runs of configs under `--seeds`: each config once per seed, named for it, the seeds parsed
 * from the command line, and the check that one invocation's run names differ.
 */
import { excerpt, showPath } from "./bounded_read.ts";
import type { RunConfig } from "./stage.ts";
import { UserError } from "./errors.ts";
import { MAX_NAME_LENGTH, runNameProblem } from "./names.ts";
import type { CellPlace } from "./sweep.ts";
import type { ExecutorBlock } from "./executor.ts";

/** A config to run, from its file: under `--seeds`, one of several runs of it. */
export interface ConfigRun<C extends RunConfig = RunConfig> {
  path: string;
  config: C;
  /**
   * The name of the runs this one repeats under other seeds: the config's own name under
   * `--seeds` (see withSeeds), a sweep cell's name without its seed.
   */
  group?: string;
  /** The command-line overrides that made it (`train.epochs=2`), in the order given. */
  overrides?: string[];
  /** Where it sits in a sweep, when it is a sweep's cell. */
  cell?: CellPlace;
  /** Its config's `executor:` block, when it has one (where it computes: no key input). */
  executor?: ExecutorBlock;
}

/**
 * Each config once per seed, the seed overriding the config's own and named into the run:
 * `vae` under seeds 0 and 1 becomes `vae-seed0` and `vae-seed1` (their reports' folders).
 * A seed is an input like any other, so each run has its own keys all the way down.
 * Every derived name is checked here, before anything runs: a `name:` that is safe alone
 * may grow past the limit with its `-seed<N>` suffix.
 */
export function withSeeds<C extends RunConfig>(
  configs: ConfigRun<C>[],
  seeds: number[] | undefined,
): ConfigRun<C>[] {
  if (!seeds) return configs;
  return configs.flatMap((run) =>
    seeds.map((seed) => {
      const suffix = `-seed${seed}`;
      const name = checkSeedName(run.path, run.config.name, suffix);
      return { ...run, config: { ...run.config, seed, name }, group: run.config.name };
    })
  );
}

/** `name` + `suffix`, or a one-line UserError naming the config, the run name and the fix. */
function checkSeedName(path: string, name: string, suffix: string): string {
  const derived = `${name}${suffix}`;
  const problem = runNameProblem(derived);
  if (!problem) return derived;
  // The start of the name and the whole suffix: enough to recognize it, never 100 characters.
  const shown = name.length > 24 ? excerpt(`${name.slice(0, 20)}…${suffix}`) : excerpt(derived);
  const room = MAX_NAME_LENGTH - suffix.length;
  throw new UserError(
    `${showPath(path)}: under --seeds the run name ${shown} (${derived.length} characters) ` +
      `${problem}; shorten \`name:\` in the config (or the file name, if it sets no name) to ` +
      `at most ${room} characters`,
  );
}

/**
 * Runs are told apart by name — in keys, tables and legends, and as their report folders
 * `reports/<name>` — so the names of one invocation's runs must differ, after `--seeds` has
 * named them (`syn` under seed 1 is `syn-seed1`). A one-line UserError naming both configs,
 * before anything runs. `purpose` says why: "compare" (the comparison cannot tell them apart)
 * or "publish" (both would publish the same report folder).
 */
export function checkDistinctNames(configs: ConfigRun[], purpose: "compare" | "publish"): void {
  const seen = new Map<string, string>();
  for (const { path, config, group } of configs) {
    const other = seen.get(config.name);
    if (other !== undefined) {
      const what = group === undefined ? "config name" : "run name";
      const why = purpose === "compare"
        ? "so the comparison can tell them apart"
        : `so their reports do not overwrite each other in reports/${config.name} ` +
          "(nothing was run)";
      throw new UserError(
        `${showPath(path)}: ${what} "${config.name}" is also ${showPath(other)}'s; give one ` +
          `a \`name:\` ${why}`,
      );
    }
    seen.set(config.name, path);
  }
}

/** `--seeds 0,1,2` → [0, 1, 2]; anything but distinct integers in the config's range fails. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(",").map((part) => part.trim());
  const ok = seeds.every((s) => /^\d+$/.test(s) && Number(s) <= 2 ** 31 - 1) &&
    new Set(seeds.map(Number)).size === seeds.length;
  if (!ok) {
    throw new UserError(
      `--seeds must list distinct integers in [0, 2^31 − 1], separated by commas (e.g. ` +
        `--seeds 0,1,2), got "${text}"`,
    );
  }
  return seeds.map(Number);
}
