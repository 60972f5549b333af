import type { ResolvedConfig } from "./config_schema.ts";
import { UserError } from "./errors.ts";
import { planStage, planStages, requireCached, type RunEnv, runStage } from "./runner.ts";
import type { StageSpec } from "./stage.ts";

export interface ComparedConfig {
  path: string;
  config: ResolvedConfig;
  /** The config's own name when the run is one of several seeds of it (see withSeeds). */
  group?: string;
}

/**
 * Render a comparison of several configs' runs from the store: each run's train and
 * evaluate artifacts must be cached (a miss names the config and the command that makes
 * it; nothing is trained). The comparison itself is an artifact like any other, keyed on
 * its code, the compared configs and their artifact keys, so asking twice reuses it.
 */
export async function runComparison(
  configs: ComparedConfig[],
  stages: StageSpec[],
  compareStage: StageSpec,
  envFor: (configPath: string) => RunEnv,
  force: boolean,
): Promise<{ key: string; dir: string }> {
  checkNames(configs);
  const inputs: Record<string, string> = {}, dirs: Record<string, string> = {};
  for (const { path, config } of configs) {
    const env = envFor(path);
    const plan = await planStages(config, stages, env);
    for (const name of ["train", "evaluate"]) {
      const stage = plan.find((p) => p.spec.name === name)!;
      await requireCached(stage, env, config.name);
      inputs[`${name}:${config.name}`] = stage.key;
      dirs[`${name}:${config.name}`] = env.store.dir(name, stage.key);
    }
  }
  const env = envFor(configs.map((c) => c.path).join(" "));
  const runs = configs.map(({ config, group }) => ({
    name: config.name,
    group: group ?? config.name,
    config,
  }));
  const planned = await planStage(compareStage, { runs }, inputs, env);
  // A comparison draws nothing at random; the seed is recorded only because every run has one.
  const groups = [...new Set(runs.map((r) => r.group))];
  const subject = { name: `comparison of ${groups.join(", ")}`, seed: 0 };
  const result = await runStage(subject, planned, dirs, env, force);
  return { key: result.key, dir: result.dir };
}

/**
 * Each config once per seed, the seed overriding the config's own and named into the run:
 * `vae` under seeds 0 and 1 becomes `vae-seed0` and `vae-seed1` (their reports' folders).
 * A seed is an input like any other, so each run has its own keys all the way down.
 */
export function withSeeds(
  configs: ComparedConfig[],
  seeds: number[] | undefined,
): ComparedConfig[] {
  if (!seeds) return configs;
  return configs.flatMap(({ path, config }) =>
    seeds.map((seed) => ({
      path,
      config: { ...config, seed, name: `${config.name}-seed${seed}` },
      group: config.name,
    }))
  );
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

/** Runs are told apart by config name (in keys, tables and legends): names must differ. */
function checkNames(configs: ComparedConfig[]): void {
  const seen = new Map<string, string>();
  for (const { path, config } of configs) {
    const other = seen.get(config.name);
    if (other !== undefined) {
      throw new UserError(
        `${path}: config name "${config.name}" is also ${other}'s; give one a \`name:\` ` +
          "so the comparison can tell them apart",
      );
    }
    seen.set(config.name, path);
  }
}
