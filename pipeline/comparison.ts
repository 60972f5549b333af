/**
 * The engine's side of the aggregate stages: `deno task compare` (several configs' cached
 * runs rendered as one comparison) and a sweep's report (every cell of a sweep read as one
 * study). Each is an artifact like any other, keyed on its code, its runs and their
 * artifact keys, and reads only cached artifacts: nothing is trained here.
 */
import { planStage, planStages } from "./plan.ts";
import { requireCached, type RunEnv, runStage } from "./runner.ts";
import { checkDistinctNames, type ConfigRun } from "./seeds.ts";
import type { RunConfig, StageSpec } from "./stage.ts";
import type { ResolvedConfig } from "./config.ts";
import type { Sweep } from "./sweep.ts";

/** Where the environment of one run, or of the aggregate (no run), comes from. */
type EnvFor<C extends RunConfig> = (configPath: string, run?: ConfigRun<C>) => RunEnv;

/**
 * Render a comparison of several configs' runs from the store: each run's artifacts of the
 * compare stage's upstream stages (train and evaluate) must be cached (a miss names the
 * config and the command that makes it; nothing is trained). The comparison itself is an
 * artifact like any other, keyed on its code, the compared configs and their artifact keys,
 * so asking twice reuses it.
 */
export async function runComparison<C extends RunConfig>(
  configs: ConfigRun<C>[],
  stages: StageSpec<C>[],
  compareStage: StageSpec<C>,
  envFor: EnvFor<C>,
  force: boolean,
): Promise<{ key: string; dir: string }> {
  checkDistinctNames(configs, "compare");
  const runs = configs.map(({ config, group }) => ({
    name: config.name,
    group: group ?? config.name,
    config,
  }));
  const groups = [...new Set(runs.map((r) => r.group))];
  return await runAggregate(
    compareStage,
    { runs },
    configs,
    `comparison of ${groups.join(", ")}`,
    { stages, envFor, force },
  );
}

/**
 * Render a sweep's report from the store: every cell's artifacts of the sweep stage's
 * upstream stages (train, evaluate, report) must be cached, as for a comparison. Keyed on
 * its code, the sweep's shape (baseline, axes, cells) and the cells' artifact keys: a sweep
 * run again with every cell cached reuses it, and one changed cell renders it anew.
 */
export async function runSweepReport(
  sweep: Sweep,
  stages: StageSpec<ResolvedConfig>[],
  sweepStage: StageSpec<ResolvedConfig>,
  envFor: EnvFor<ResolvedConfig>,
  force: boolean,
): Promise<{ key: string; dir: string }> {
  checkDistinctNames(sweep.cells, "compare");
  // The sweep stage's params (stages/sweep.ts SweepParams).
  const params = {
    name: sweep.name,
    baseline: sweep.baseline,
    axes: sweep.axes,
    cells: sweep.cells.map(({ config, cell }) => ({
      name: config.name,
      variant: cell!.variant,
      point: cell!.point,
      seed: config.seed,
      config,
    })),
  };
  return await runAggregate(sweepStage, params, sweep.cells, `sweep ${sweep.name}`, {
    stages,
    envFor,
    force,
  });
}

/**
 * Plan and run an aggregate stage over runs' cached artifacts of the stages in its `after`,
 * passed as `<stage>:<run name>`. It draws nothing at random; its seed is recorded as 0
 * only because every run has one.
 */
async function runAggregate<C extends RunConfig>(
  aggregate: StageSpec<C>,
  params: unknown,
  runs: ConfigRun<C>[],
  subject: string,
  { stages, envFor, force }: { stages: StageSpec<C>[]; envFor: EnvFor<C>; force: boolean },
): Promise<{ key: string; dir: string }> {
  const { inputs, dirs } = await cachedUpstream(runs, stages, aggregate.after, envFor);
  const env = envFor([...new Set(runs.map((r) => r.path))].join(" "));
  const planned = await planStage(aggregate, params, inputs, env);
  const result = await runStage({ name: subject, seed: 0 }, planned, dirs, env, force);
  return { key: result.key, dir: result.dir };
}

/**
 * Each run's cached artifact of each stage in `after`, by `<stage>:<run name>`: its key
 * (the aggregate's inputs) and its folder. A miss names the run and the command that
 * produces it.
 */
async function cachedUpstream<C extends RunConfig>(
  runs: ConfigRun<C>[],
  stages: StageSpec<C>[],
  after: string[],
  envFor: EnvFor<C>,
): Promise<{ inputs: Record<string, string>; dirs: Record<string, string> }> {
  const inputs: Record<string, string> = {}, dirs: Record<string, string> = {};
  for (const run of runs) {
    const { path, config } = run;
    const env = envFor(path, run);
    const plan = await planStages(config, stages, env);
    for (const name of after) {
      const stage = plan.find((p) => p.spec.name === name)!;
      await requireCached(stage, env, config.name);
      inputs[`${name}:${config.name}`] = stage.key;
      dirs[`${name}:${config.name}`] = env.store.dir(name, stage.key);
    }
  }
  return { inputs, dirs };
}
