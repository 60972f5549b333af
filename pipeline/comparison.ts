/**
 * The engine's side of `deno task compare`: several configs' cached runs rendered as one
 * comparison, an artifact of the compare stage keyed like any other.
 */
import { planStage, planStages } from "./plan.ts";
import { requireCached, type RunEnv, runStage } from "./runner.ts";
import { checkDistinctNames, type ConfigRun } from "./seeds.ts";
import type { RunConfig, StageSpec } from "./stage.ts";

/**
 * Render a comparison of several configs' runs from the store: each run's artifacts of the
 * compare stage's upstream stages (train and evaluate) must be cached (a miss names the config and the command that makes
 * it; nothing is trained). The comparison itself is an artifact like any other, keyed on
 * its code, the compared configs and their artifact keys, so asking twice reuses it.
 */
export async function runComparison<C extends RunConfig>(
  configs: ConfigRun<C>[],
  stages: StageSpec<C>[],
  compareStage: StageSpec<C>,
  envFor: (configPath: string, run?: ConfigRun<C>) => RunEnv,
  force: boolean,
): Promise<{ key: string; dir: string }> {
  checkDistinctNames(configs, "compare");
  const inputs: Record<string, string> = {}, dirs: Record<string, string> = {};
  for (const run of configs) {
    const { path, config } = run;
    const env = envFor(path, run);
    const plan = await planStages(config, stages, env);
    for (const name of compareStage.after) {
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
