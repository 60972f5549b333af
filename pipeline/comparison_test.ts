import { join } from "node:path";
import { pathToFileURL as toFileUrl } from "node:url";
import { configSchema, type ResolvedConfig } from "../stages/registry.ts";
import { runSweepReport } from "./comparison.ts";
import type { Sweep } from "./sweep.ts";
import { UserError } from "./errors.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { planStages } from "./plan.ts";
import { silentProgress } from "./progress.ts";
import { type RunEnv, runPlan } from "./runner.ts";
import type { StageFn, StageSpec } from "./stage.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { assert_, assertEquals, assertNotEquals, assertRejects } from "./test_assert.ts";

/**
 * A throwaway project: train, evaluate and report stages that write their params, and a
 * sweep stage that writes what it was handed (its params and its inputs' keys and dirs).
 */
async function makeProject() {
  const root = await tempDir("sweep-engine-");
  const files: Record<string, string> = {
    "cell.ts": `export async function cell(ctx: { params: unknown; outDir: string }) {
  await Deno.writeTextFile(ctx.outDir + "/out.json", JSON.stringify(ctx.params));
}
`,
    "aggregate.ts": `export async function aggregate(ctx: {
  params: unknown; inputs: Record<string, string>; inputKeys: Record<string, string>; outDir: string;
}) {
  const seen = { params: ctx.params, inputKeys: ctx.inputKeys, inputs: ctx.inputs };
  await Deno.writeTextFile(ctx.outDir + "/seen.json", JSON.stringify(seen));
}
`,
    "registry.ts":
      `export const load = [() => import("./cell.ts"), () => import("./aggregate.ts")];\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(root, name), text);
  }
  const url = (name: string) => toFileUrl(join(root, name));
  const runs: string[] = [];
  const load = (stage: string, file: string, fn: string) => async (): Promise<StageFn> => {
    const module = await import(url(file).href);
    return async (ctx) => {
      runs.push(stage);
      await module[fn](ctx);
    };
  };
  const cellStage = (name: string, after: string[]): StageSpec<ResolvedConfig> => ({
    name,
    module: url("cell.ts"),
    after,
    params: (c) => ({ seed: c.seed, latentDim: c.model.latentDim }),
    load: load(name, "cell.ts", "cell"),
  });
  const stages = [
    cellStage("train", []),
    cellStage("evaluate", ["train"]),
    cellStage("report", ["train", "evaluate"]),
  ];
  const sweepStage: StageSpec<ResolvedConfig> = {
    name: "sweep",
    module: url("aggregate.ts"),
    after: ["train", "evaluate", "report"],
    publishes: true,
    params: () => {
      throw new Error("given by the caller");
    },
    load: load("sweep", "aggregate.ts", "aggregate"),
  };
  const graph = await readModuleGraph(url("registry.ts"));
  const envFor = (configPath: string): RunEnv => ({
    store: new ArtifactStore(join(root, "artifacts")),
    graph,
    projectRoot: root,
    configPath,
    status: () => {},
    log: () => {},
    progress: silentProgress,
  });
  return { stages, sweepStage, envFor, runs };
}

/** 2 variants × 2 seeds of the sweep `s`; separate-l2 at wSigma = 3. */
function sweepPlan(latentDim = 2): Sweep {
  const cell = (variant: string, seed: number) => {
    const point: Record<string, number> = variant === "kl" ? {} : { "loss.wSigma": 3 };
    const name = `s/${variant}${variant === "kl" ? "" : "/wSigma=3"}/seed${seed}`;
    const config = { ...configSchema.parse({ seed, model: { latentDim } }), name };
    return { path: "configs/sweeps/s.yaml", config, cell: { sweep: "s", variant, point } };
  };
  return {
    name: "s",
    path: "configs/sweeps/s.yaml",
    baseline: "kl",
    axes: [{ path: "loss.wSigma", label: "wSigma", values: [3] }],
    cells: ["kl", "separate-l2"].flatMap((v) => [0, 1].map((seed) => cell(v, seed))),
  };
}

Deno.test("runSweepReport: cached cells only, every cell's artifacts as inputs, keyed on them", async () => {
  const { stages, sweepStage, envFor, runs } = await makeProject();
  const plan = sweepPlan();
  const error = await assertRejects(
    () => runSweepReport(plan, stages, sweepStage, envFor, false),
    "is not in the store",
  );
  assert_(error instanceof UserError, "a missing cell is a one-line UserError");
  assertEquals(runs, [], "nothing runs before the cells are cached");

  for (const cell of plan.cells) {
    const env = envFor(cell.path);
    await runPlan(cell.config, await planStages(cell.config, stages, env), env);
  }
  runs.length = 0;
  const first = await runSweepReport(plan, stages, sweepStage, envFor, false);
  assertEquals(runs, ["sweep"]);
  const seen = JSON.parse(await Deno.readTextFile(join(first.dir, "seen.json")));
  const names = plan.cells.map((c) => c.config.name);
  assertEquals(
    Object.keys(seen.inputKeys).sort(),
    names.flatMap((n) => ["train", "evaluate", "report"].map((s) => `${s}:${n}`)).sort(),
  );
  for (const [input, dir] of Object.entries(seen.inputs as Record<string, string>)) {
    assert_(dir.endsWith(seen.inputKeys[input]), `${input}: ${dir} is its key's folder`);
  }
  assertEquals(seen.params.cells[2], {
    name: "s/separate-l2/wSigma=3/seed0",
    variant: "separate-l2",
    point: { "loss.wSigma": 3 },
    seed: 0,
    config: plan.cells[2].config,
  });
  assertEquals([seen.params.name, seen.params.baseline], ["s", "kl"]);

  // Asked again: the same key, from the store.
  const again = await runSweepReport(plan, stages, sweepStage, envFor, false);
  assertEquals([again.key, runs], [first.key, ["sweep"]]);

  // One cell changed (and run): the report is another artifact.
  const changed = sweepPlan();
  changed.cells[3] = sweepPlan(4).cells[3];
  const env = envFor(changed.cells[3].path);
  const { config } = changed.cells[3];
  await runPlan(config, await planStages(config, stages, env), env);
  const third = await runSweepReport(changed, stages, sweepStage, envFor, false);
  assertNotEquals(third.key, first.key);
});
