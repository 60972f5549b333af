import { configSchema } from "../config_schema.ts";
import { withTempDir } from "../../pipeline/stage_testing.ts";
import { assert_, assertClose, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import type { Metrics } from "../evaluation/metrics.ts";
import { type ChartFigure, renderChart, type Skipped } from "../render/chart.ts";
import { vegaLiteErrors, warningsOf } from "../render/test_vega.ts";
import { type ComparedRunData, comparisonCharts } from "./comparison_charts.ts";

/**
 * A vae run whose −ELBO falls from `start` to `end` over 10 epochs and whose test rate and
 * distortion are given: `none` is the run without a regularizer, hundreds of nats above.
 */
function run(name: string, start: number, end: number, rate: number, distortion: number) {
  const epochs = 10;
  return {
    config: { ...configSchema.parse({}), name },
    group: name,
    evaluateKey: "e".repeat(64),
    // Just the numbers the charts read; the rest of metrics.json is never touched.
    metrics: {
      likelihood: "bernoulli",
      units: "nats per example",
      model: { kind: "vae", regularizer: "kl", beta: 1 },
      test: { rate, distortion, negElbo: rate + distortion },
      train: {},
    } as unknown as Metrics,
    history: Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      recon: start + ((end - start) * i) / (epochs - 1) - rate,
      kl: rate,
    })),
    klPerDim: [{ dim: 1, kl: rate * 0.7, active: true }, { dim: 0, kl: rate * 0.3, active: true }],
  } satisfies ComparedRunData;
}

const RUNS = [
  run("kl", 260, 170, 5, 165),
  run("beta-4", 270, 176, 2.5, 173.5),
  run("none", 450, 468, 311, 157),
];

const chart = (id: string): ChartFigure => {
  const found = comparisonCharts(RUNS).find((c) => c.id === id)!;
  assert_(!("skipped" in found), `${id} skipped: ${(found as Skipped).skipped}`);
  return found as ChartFigure;
};

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("comparison ELBO curves: all runs on a log scale, a zoom without the outlier", () => {
  const { spec, rows, description } = chart("elbo_curves");
  const [all, zoom] = (spec as Json).hconcat;
  assertEquals(all.encoding.y.scale.type, "log");
  assertEquals(zoom.transform, [{ filter: "datum.zoom" }]);
  assertEquals(zoom.title.text, "zoom: epochs 2–10, without none");
  const zoomed = new Set(rows.filter((r) => r.zoom).map((r) => r.config));
  assertEquals([...zoomed], ["kl", "beta-4"]);
  assert_(!rows.some((r) => r.zoom && (r.epoch as number) < 2), "epoch 1 in the zoom");
  assertIncludes(description, "(not none)");
});

Deno.test("comparison KL per dimension: a symlog axis, so a few nats beside hundreds show", () => {
  const { spec, description } = chart("kl_per_dimension");
  const y = (spec as Json).encoding.y;
  assertEquals(y.scale, { type: "symlog" });
  assertEquals(y.axis.values, [0, 1, 2, 5, 10, 20, 50, 100, 200]);
  assertIncludes(description, "symlog axis");
});

Deno.test("rate–distortion: the equal-ELBO curve is drawn, and the caption names the axis", () => {
  const { spec, rows, description } = chart("rate_distortion");
  assertEquals((spec as Json).layer[1].encoding.x.scale.type, "symlog");
  const curve = rows.filter((r) => r.series === "equal −ELBO");
  assert_(curve.length > 10, `only ${curve.length} curve points`);
  // Every point of it has the best run's −ELBO (kl: 5 + 165).
  for (const p of curve) assertClose((p.rate as number) + (p.distortion as number), 170, 1e-9);
  assertEquals(curve.at(-1)!.label, "−ELBO = 170.00 (kl)");
  // The caption may speak of slope −1 only beside the symlog axis that bends it.
  assertIncludes(description, "a line of slope −1 on linear axes, bent here by the symlog axis");
  assertIncludes(description, "The rate axis is symlog");
});

Deno.test("comparison figures with an outlier run: valid Vega-Lite, rendered without warnings", async () => {
  await withTempDir(async (dir) => {
    const stages = { "evaluate:kl": "f".repeat(64) };
    for (const id of ["elbo_curves", "kl_per_dimension", "rate_distortion"]) {
      const figure = chart(id);
      const warnings = await warningsOf(() =>
        renderChart(figure, { config: "comparison", stages }, dir)
      );
      assertEquals(warnings, [], id);
      const written = JSON.parse(await Deno.readTextFile(`${dir}/figures/${id}.vl.json`));
      assertEquals(vegaLiteErrors(written), null, id);
    }
  });
});
