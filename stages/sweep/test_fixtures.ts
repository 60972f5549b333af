/**
 * A fake sweep wired as the sweep stage's inputs: every cell's train and evaluate artifacts
 * from render/test_fixtures.ts (8×8 images) with metrics that differ per cell by known
 * amounts, and a small report artifact per cell with a manifest that records its files.
 */
import { join } from "node:path";
import { hashFile, sha256 } from "../../pipeline/hash.ts";
import { testContext } from "../../pipeline/stage_testing.ts";
import type { Metrics } from "../evaluation/metrics.ts";
import { writeFixtures, writeManifest } from "../render/test_fixtures.ts";
import type { SweepParams } from "../sweep.ts";

export const SWEEP = "study";
export const SEEDS = [0, 1, 2];
/** Added to every −ELBO of a seed: over seeds 0, 1, 2 the mean is 2 and the sd √7. */
export const SEED_OFFSET = [0, 1, 5];
/** separate-l2's −ELBO above kl's at the same seed and epochs: mean 4, sd √7. */
export const SEPARATE_EXCESS = [2, 3, 7];
/** kl's −ELBO at each epochs value, seed offset aside. */
export const BASE = { 2: 100, 20: 90 } as Record<number, number>;

export interface FixtureCell {
  variant: "kl" | "separate-l2";
  epochs: number;
  seed: number;
}

/** 2 variants × 2 values of the global axis `train.epochs` × 3 seeds, baseline kl. */
export const CELLS: FixtureCell[] = (["kl", "separate-l2"] as const).flatMap((variant) =>
  [2, 20].flatMap((epochs) => SEEDS.map((seed) => ({ variant, epochs, seed })))
);

export const cellName = ({ variant, epochs, seed }: FixtureCell) =>
  `${SWEEP}/${variant}/epochs=${epochs}/seed${seed}`;

/** The cell's test −ELBO: BASE + SEED_OFFSET (+ SEPARATE_EXCESS for separate-l2). */
export const negElbo = ({ variant, epochs, seed }: FixtureCell) =>
  BASE[epochs] + SEED_OFFSET[seed] + (variant === "separate-l2" ? SEPARATE_EXCESS[seed] : 0);

/** The sweep stage's context over `cells`, its inputs written under `root`. */
export async function sweepContext(root: string, cells: FixtureCell[] = CELLS) {
  const params: SweepParams = {
    name: SWEEP,
    baseline: "kl",
    axes: [{ path: "train.epochs", label: "epochs", values: [2, 20] }],
    cells: [],
  };
  const inputs: Record<string, string> = {}, inputKeys: Record<string, string> = {};
  for (const cell of cells) {
    const name = cellName(cell);
    const dir = join(root, name.replaceAll("/", "_"));
    const fixture = await writeFixtures(dir, { size: 8, kind: "vae" });
    const config = { ...fixture.config, name, seed: cell.seed };
    await rewriteMetrics(fixture.inputs.evaluate, cell);
    const report = join(dir, "report");
    await writeReport(report, config);
    params.cells.push({
      name,
      variant: cell.variant,
      point: { "train.epochs": cell.epochs },
      seed: cell.seed,
      config,
    });
    for (const [stage, path] of [...Object.entries(fixture.inputs), ["report", report]]) {
      if (!["train", "evaluate", "report"].includes(stage)) continue;
      inputs[`${stage}:${name}`] = path;
      inputKeys[`${stage}:${name}`] = sha256(`${stage}:${name}`);
    }
  }
  return await testContext(params, { inputs, inputKeys, dir: root });
}

/** The fixture's metrics with this cell's −ELBO, its rate 8 + seed and the rest distortion. */
async function rewriteMetrics(dir: string, cell: FixtureCell): Promise<void> {
  const path = join(dir, "metrics.json");
  const metrics: Metrics = JSON.parse(await Deno.readTextFile(path));
  const rate = 8 + cell.seed;
  metrics.test = {
    ...metrics.test,
    negElbo: negElbo(cell),
    rate,
    distortion: negElbo(cell) - rate,
  };
  await Deno.writeTextFile(path, JSON.stringify(metrics, null, 2));
}

/** A report artifact: a page naming its cell, a figure beside it, and their manifest. */
async function writeReport(dir: string, config: SweepParams["cells"][number]["config"]) {
  await Deno.mkdir(join(dir, "figures"), { recursive: true });
  const files = {
    "index.html": `<!doctype html><title>${config.name}</title><img src="figures/a.svg">\n`,
    "README.md": `# ${config.name}\n`,
    "figures/a.svg": `<svg xmlns="http://www.w3.org/2000/svg"><text>${config.name}</text></svg>\n`,
  };
  const records: Record<string, { sha256: string; size: number }> = {};
  for (const [file, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, file), text);
    records[file] = await hashFile(join(dir, file));
  }
  await writeManifest(dir, "report", {}, config, records);
}
