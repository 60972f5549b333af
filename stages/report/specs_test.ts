import { parse } from "csv-parse/sync";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { CATEGORICAL, type ChartSpec, renderFigure, type Row } from "../render/figure.ts";
import {
  CLASS_MEAN,
  EXAMPLE,
  iwRise,
  klPerDimension,
  latentScatter,
  logVarOverEpochs,
  trainingCurves,
} from "./specs.ts";
import { pngSize } from "../render/test_png.ts";
import { vegaLiteErrors, warningsOf } from "../render/test_vega.ts";
import { tempDir } from "../../pipeline/stage_testing.ts";

const PROVENANCE = {
  config: "configs/vae.yaml",
  stages: { train: "a".repeat(64), evaluate: "0123456789abcdef".repeat(4) },
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Each builder with sample rows shaped like the evaluation outputs, and text to expect. */
const CASES: { name: string; spec: ChartSpec; rows: Row[]; texts: string[] }[] = [
  {
    name: "training_curves",
    spec: trainingCurves(
      [
        { title: "−ELBO = loss (objective)", metrics: ["−ELBO = loss (objective)"] },
        // Epoch 1 above the range, clipped. (resvg aborts the process when a whole line lies
        // outside its clip, so a domain must hold some of every series: charts.ts's does.)
        { title: "KL and its μ, σ terms", metrics: ["KL", "μ term"], domain: [0, 60] },
      ],
      ["train", "validation"],
    ),
    rows: range(4).flatMap((epoch) =>
      ["train", "validation"].flatMap((split) =>
        ["−ELBO = loss (objective)", "KL", "μ term"].map((metric) => ({
          epoch: epoch + 1,
          metric,
          value: (metric === "KL" ? 10 : 100) / (epoch + 1) + (split === "train" ? 0 : 1),
          split,
        }))
      )
    ),
    texts: [
      "Training curves",
      "nats per example",
      "KL and its μ, σ terms",
      "−ELBO = loss (objective)",
      "μ term",
      "validation",
    ],
  },
  {
    name: "kl_per_dimension",
    spec: klPerDimension(range(8).map((dim) => `z${dim}`), "q(z|x)", "p(z|y)"),
    rows: range(8).map((dim) => ({
      latent: `z${dim}`,
      kl: dim % 3 === 0 ? 0.001 : 2.5 - dim / 4,
      status: dim % 3 !== 0 ? "active" : "inactive",
    })),
    texts: [
      "latent dimension",
      "KL(q(z_d|x) ‖ p(z_d|y)) per latent dimension",
      "KL (nats per example)",
      ">z0<",
      ">z7<",
      ">active<",
      ">inactive<",
    ],
  },
  {
    name: "log_var_over_epochs",
    spec: logVarOverEpochs(),
    rows: range(5).flatMap((epoch) =>
      range(4).map((dim) => ({
        epoch: epoch + 1,
        dim,
        latent: `z${dim}`,
        meanLogVar: dim === 0 ? -0.01 : -dim * epoch / 2,
      }))
    ),
    texts: ["mean log σ² (unitless)", "dimension", ">z0<", ">z3<"],
  },
  {
    name: "latent_scatter",
    spec: latentScatter(3, 7, 20, true),
    rows: [
      ...range(40).map((i) => ({
        z3: Math.cos(i) * (i % 10),
        z7: Math.sin(i) * (i % 10),
        label: i % 10,
        point: EXAMPLE,
      })),
      ...range(10).map((label) => ({ z3: label / 5, z7: -label / 5, label, point: CLASS_MEAN })),
    ],
    texts: ["z3", "z7", "class", "dimensions z3 and z7 of 20", EXAMPLE, CLASS_MEAN],
  },
  {
    name: "iw_curve",
    spec: iwRise([1, 10, 100, 1000], "x | y", true),
    rows: [1, 10, 100, 1000].map((k, i) => ({
      k,
      rise: 0.3 * i,
      riseText: `+${(0.3 * i).toFixed(2)}`,
      riseLower: 0.3 * i - 0.05,
      riseUpper: 0.3 * i + 0.05,
    })),
    texts: [
      "importance samples K (log scale)",
      "log p̂_K(x | y) − ELBO(x | y)",
      "(nats per example)",
      "+0.90",
    ],
  },
];

for (const { name, spec, rows, texts } of CASES) {
  Deno.test(`${name}: valid Vega-Lite, rendered, with data and provenance`, async () => {
    const dir = await tempDir();
    try {
      const figure = () => renderFigure({ name, spec, rows, provenance: PROVENANCE, outDir: dir });
      let output: Awaited<ReturnType<typeof figure>> | undefined;
      assertEquals(await warningsOf(async () => output = await figure()), [], "warnings");
      const { paths, svg } = output!;

      const written: { usermeta: { provenance: unknown }; data: { values: Row[] } } = JSON.parse(
        await Deno.readTextFile(paths.spec),
      );
      assertEquals(vegaLiteErrors(written), null);
      assertEquals(written.usermeta.provenance, PROVENANCE);
      // JSON has no -0 (the scatter rows contain some), so compare with JSON's view of rows.
      assertEquals(written.data.values, JSON.parse(JSON.stringify(rows)));

      for (const text of texts) assertIncludes(svg, text);
      // A clean figure: the provenance is in the spec's usermeta, not drawn into it.
      assert_(!svg.includes("aaaaaaaa"), "the SVG draws the provenance keys");
      const [, width, height] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
      assertEquals(pngSize(await readFile(paths.png)), { width: 2 * width, height: 2 * height });

      const parsed: Record<string, string>[] = parse(await Deno.readTextFile(paths.csv), {
        columns: true,
      });
      assertEquals(
        parsed,
        rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]))),
      );

      const again = await renderFigure({
        name,
        spec,
        rows,
        provenance: PROVENANCE,
        outDir: join(dir, "again"),
      });
      for (const key of ["spec", "svg", "png", "csv"] as const) {
        const [a, b] = await Promise.all([readFile(paths[key]), readFile(again.paths[key])]);
        assertEquals(a, b, `${key} differs between renders`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("specs carry no data and are pure (same call, equal spec)", () => {
  for (const { spec } of CASES) assert_(!("data" in spec), "spec has data");
  const panels = [{ title: "KL", metrics: ["KL"] }];
  assertEquals(trainingCurves(panels), trainingCurves(panels));
  assertEquals(iwRise([1, 10]), iwRise([1, 10]));
});

Deno.test("the schema and warning checks are not vacuous", async () => {
  assert_(vegaLiteErrors({ mark: "nope", data: { values: [] } }), "schema accepted a bad mark");
  const dir = await tempDir();
  try {
    // Shape cannot encode a quantitative field: vega-lite warns and drops the channel.
    const spec = {
      mark: "point",
      encoding: { shape: { field: "q", type: "quantitative" } },
    } as unknown as ChartSpec; // vega-lite's types already reject it
    const rows = [{ q: 1 }];
    const warnings = await warningsOf(() =>
      renderFigure({ name: "bad", spec, rows, provenance: PROVENANCE, outDir: dir })
    );
    assert_(warnings.length > 0, "expected a vega-lite warning");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The SVG of `spec` drawn with `rows`, in a temp dir removed afterwards. */
async function svgOf(spec: ChartSpec, rows: Row[]): Promise<string> {
  const dir = await tempDir();
  try {
    return (await renderFigure({ name: "f", spec, rows, provenance: PROVENANCE, outDir: dir })).svg;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The text of every axis tick label, in document order. */
const tickLabels = (svg: string, axis: "X" | "Y") => {
  const group = svg.split(`aria-label="${axis}-axis`)[1]?.split("role-axis-title")[0] ?? "";
  return [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
};

Deno.test("iw_curve: K on a log-10 axis ticked at exactly the K evaluated, each labelled", async () => {
  const ks = [1, 10, 100, 1000];
  const rows = ks.map((k, i) => ({ k, rise: i / 3, riseText: `+${(i / 3).toFixed(2)}` }));
  const svg = await svgOf(iwRise(ks), rows);
  assertEquals(tickLabels(svg, "X"), ["1", "10", "100", "1,000"]);
  // Every point carries its rise, the K = 1,000 one too.
  for (const row of rows) assertIncludes(svg, `>${row.riseText}<`);
  assertIncludes(svg, "log p̂_K(x) − ELBO(x)");
  assert_(!svg.includes("p(x | y)"), "an unconditional bound is labelled log p(x)");
});

Deno.test("kl_per_dimension: level tick labels z0…, no legend entry true/false", async () => {
  const dims = range(20).map((d) => `z${d}`);
  const rows = dims.map((latent, d) => ({ latent, kl: d, status: d ? "active" : "inactive" }));
  const svg = await svgOf(klPerDimension(dims), rows);
  assertEquals(tickLabels(svg, "X"), dims);
  assert_(!svg.includes("rotate(270)"), "tick labels are rotated");
  assert_(!/>(true|false)</.test(svg), "a legend entry reads true or false");
});

Deno.test("latent_scatter: a ten-colour palette for colour-blind readers, class means on top", async () => {
  assertEquals(new Set(CATEGORICAL).size, 10);
  const rows = range(10).flatMap((label) => [
    { z0: label, z1: 0, label, point: EXAMPLE },
    { z0: label, z1: 1, label, point: CLASS_MEAN },
  ]);
  const svg = await svgOf(latentScatter(0, 1, 2, true), rows);
  for (const colour of CATEGORICAL) assertIncludes(svg.toLowerCase(), colour.toLowerCase());
  // Without class means there is no second kind of point, and no shape legend for it.
  const plain = await svgOf(latentScatter(), rows.filter((r) => r.point === EXAMPLE));
  assert_(!plain.includes(EXAMPLE), "a shape legend with a single entry");
});

Deno.test("training_curves: one frame per panel, none empty, every series in the legend", async () => {
  const panels = [
    { title: "−ELBO", metrics: ["−ELBO"] },
    { title: "reconstruction", metrics: ["reconstruction"] },
    { title: "KL and its μ, σ terms", metrics: ["KL", "μ term", "σ term"] },
    { title: "regularizer", metrics: ["regularizer"] },
  ];
  const metrics = panels.flatMap((p) => p.metrics);
  const rows = range(3).flatMap((e) =>
    metrics.map((metric, i) => ({ epoch: e + 1, metric, value: i + 1 / (e + 1), split: "train" }))
  );
  const svg = await svgOf(trainingCurves(panels), rows);
  // A plot frame per panel: four, where a three-column facet drew six.
  assertEquals(svg.match(/class="background"[^>]*d="M0\.5,0\.5h250v160h-250Z"/g)?.length, 4);
  for (const metric of metrics) assertIncludes(svg, `>${metric}<`);
  // One split: no dash legend.
  assert_(!svg.includes(">split<"), "a legend for a single split");
});

Deno.test("training_curves: a first epoch far above the panel's range is rendered, not a crash", async () => {
  // The regularizer of a separate-l2 run (wMu 0.1, wSigma 0.05, seed 0): 13.8 nats at epoch 1,
  // then about 3. Clipped, epoch 1's point sat some 800 px above the canvas, and resvg 2.6
  // aborted the whole process on it (a Rust panic, which no JavaScript can catch).
  const panels = [{
    title: "regularizer",
    metrics: ["regularizer"],
    domain: [2.8, 3.3] as [number, number],
  }];
  const values = [13.77, 3.2, 3.1, 3.05, 3.0, 2.98, 2.95, 2.93, 2.92, 2.91];
  const rows = values.map((value, i) => ({
    epoch: i + 1,
    metric: "regularizer",
    value,
    split: "train",
  }));
  const svg = await svgOf(trainingCurves(panels), rows);
  // The nine points inside the range are drawn; epoch 1's is left out (its line still runs
  // to the panel's edge, clipped there).
  assertEquals(svg.match(/aria-roledescription="point"/g)?.length, 9);
  assertIncludes(svg, "epoch: 2; ");
});
