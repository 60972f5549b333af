import { configSchema } from "../config_schema.ts";
import type { SeedColumn } from "../compare/comparison.ts";
import type { Metrics } from "../evaluation/metrics.ts";
import { assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import type { ChartFigure } from "../render/chart.ts";
import { againstAxis, axisScale } from "./sweep_charts.ts";
import { groupsOf, type SweepAxis, type SweptCell } from "./sweep_cells.ts";

Deno.test("axisScale: log only for positive numbers spanning 10× or more", () => {
  assertEquals(axisScale([0.1, 0.3, 1, 3, 10]), "log");
  assertEquals(axisScale([2, 20]), "log");
  assertEquals(axisScale([1, 9.99]), "linear");
  assertEquals(axisScale([0, 1, 10]), "linear");
  assertEquals(axisScale([-1, 10]), "linear");
  assertEquals(axisScale(["kl", "split-kl"]), "ordinal");
  assertEquals(axisScale([true, false]), "ordinal");
});

const W_SIGMA: SweepAxis = { path: "loss.wSigma", label: "wSigma", values: [0.1, 1, 10] };
const NEG_ELBO: SeedColumn = {
  head: "−ELBO",
  digits: 2,
  value: (m) => m.test.negElbo,
};

/** A cell holding only the numbers the chart reads. */
function cell(variant: string, point: SweptCell["point"], seed: number, negElbo: number) {
  const label = [variant, ...Object.values(point).map((v) => `wSigma=${v}`), `seed${seed}`]
    .join("/");
  return {
    config: { ...configSchema.parse({}), name: `s/${label}` },
    group: "",
    evaluateKey: "e".repeat(64),
    metrics: { test: { negElbo } } as unknown as Metrics,
    history: [],
    klPerDim: [],
    label,
    variant,
    point,
    seed,
    keys: { train: "", evaluate: "", report: "" },
  } satisfies SweptCell;
}

Deno.test("againstAxis: one line per variant holding the axis, the baseline as a reference", () => {
  const cells = [
    cell("kl", {}, 0, 100),
    cell("kl", {}, 1, 104),
    ...[0.1, 1, 10].flatMap((w) =>
      [0, 1].map((seed) => cell("separate-l2", { "loss.wSigma": w }, seed, 100 + w + seed))
    ),
  ];
  const chart = againstAxis(W_SIGMA, [W_SIGMA], groupsOf(cells), "kl", [NEG_ELBO]) as ChartFigure;
  assertEquals(chart.id, "against_wSigma");
  // deno-lint-ignore no-explicit-any
  const layers = (chart.spec as any).spec.layer;
  const line = layers.find((l: { mark: { type: string } }) => l.mark.type === "line");
  assertEquals(line.encoding.x.scale, { type: "log" });
  assertEquals(line.encoding.x.axis.values, [0.1, 1, 10]);
  const means = chart.rows.filter((r) => r.kind === "mean");
  assertEquals(means.map((r) => [r.series, r.x, r.mean]), [
    ["separate-l2", 0.1, 100.6],
    ["separate-l2", 1, 101.5],
    ["separate-l2", 10, 110.5],
  ]);
  assertEquals(chart.rows.filter((r) => r.kind === "seed").length, 6);
  // kl does not vary wSigma: its mean over seeds (102) is the dashed reference, named.
  const [reference] = chart.rows.filter((r) => r.kind === "reference");
  assertEquals([reference.reference, reference.label], [102, "kl (baseline)"]);
  assertIncludes(chart.description, "on a log scale");
  assertIncludes(chart.description, "baseline kl's mean over its seeds");
});

Deno.test("againstAxis: an axis the cells hold one value of is not drawn", () => {
  const cells = [cell("kl", {}, 0, 1), cell("separate-l2", { "loss.wSigma": 1 }, 0, 2)];
  const chart = againstAxis(W_SIGMA, [W_SIGMA], groupsOf(cells), "kl", [NEG_ELBO]);
  assertEquals("skipped" in chart, true);
});
