import { parse } from "csv-parse/sync";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { type ChartSpec, renderFigure, type Row } from "./figure.ts";
import {
  iwCurve,
  klPerDimension,
  latentScatter,
  logVarOverEpochs,
  trainingCurves,
} from "./specs.ts";
import { pngSize } from "./test_png.ts";
import { vegaLiteErrors, warningsOf } from "./test_vega.ts";
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
    spec: trainingCurves(["elbo", "kl"]),
    rows: range(4).flatMap((epoch) =>
      ["train", "validation"].flatMap((split) =>
        ["elbo", "recon", "kl"].map((metric) => ({
          epoch: epoch + 1,
          metric,
          value: (metric === "kl" ? 10 : -100) / (epoch + 1) + (split === "train" ? 0 : 1),
          split,
        }))
      )
    ),
    texts: ["Training curves", "nats per example", "elbo", "validation"],
  },
  {
    name: "kl_per_dimension",
    spec: klPerDimension(),
    rows: range(8).map((dim) => ({
      dim,
      kl: dim % 3 === 0 ? 0.001 : 2.5 - dim / 4,
      active: dim % 3 !== 0,
    })),
    texts: [
      "latent dimension",
      "KL(q(z_d|x) ‖ p(z_d)) per latent dimension",
      "KL (nats per example)",
      "active",
    ],
  },
  {
    name: "log_var_over_epochs",
    spec: logVarOverEpochs(),
    rows: range(5).flatMap((epoch) =>
      range(4).map((dim) => ({
        epoch: epoch + 1,
        dim,
        meanLogVar: dim === 0 ? -0.01 : -dim * epoch / 2,
      }))
    ),
    texts: ["mean log σ² (unitless)", "dimension"],
  },
  {
    name: "latent_scatter",
    spec: latentScatter(3, 7, 20),
    rows: range(40).map((i) => ({
      z3: Math.cos(i) * (i % 10),
      z7: Math.sin(i) * (i % 10),
      label: i % 10,
    })),
    texts: ["z3 (posterior mean)", "z7 (posterior mean)", "class", "dimensions z3 and z7 of 20"],
  },
  {
    name: "iw_curve",
    spec: iwCurve(),
    rows: [1, 2, 4, 8, 16, 64].map((k) => ({
      k,
      logLikelihood: -95 + 3 / k,
      lower: -95.2 + 3 / k,
      upper: -94.8 + 3 / k,
    })),
    texts: ["importance samples k (log scale)", "log p(x) (nats per example)"],
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

      for (
        const text of [...texts, "config configs/vae.yaml · train aaaaaaaa · evaluate 01234567"]
      ) {
        assertIncludes(svg, text);
      }
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
  assertEquals(trainingCurves(["elbo"]), trainingCurves(["elbo"]));
  assertEquals(iwCurve(), iwCurve());
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
