import type { ResolvedConfig } from "./config_schema.ts";
import { UserError } from "./errors.ts";

/** A config to run, from its file: under `--seeds`, one of several runs of it. */
export interface ConfigRun {
  path: string;
  config: ResolvedConfig;
  /** The config's own name when the run is one of several seeds of it (see withSeeds). */
  group?: string;
}

/**
 * Each config once per seed, the seed overriding the config's own and named into the run:
 * `vae` under seeds 0 and 1 becomes `vae-seed0` and `vae-seed1` (their reports' folders).
 * A seed is an input like any other, so each run has its own keys all the way down.
 */
export function withSeeds(
  configs: ConfigRun[],
  seeds: number[] | undefined,
): ConfigRun[] {
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
