import { join } from "node:path";
import { withTempDir } from "../pipeline/stage_testing.ts";
import { readCsv } from "../lib/table.ts";
import { assert_, assertEquals, assertIncludes, assertSameFiles } from "../pipeline/test_assert.ts";
import { compare } from "./compare.ts";
import { compareContext } from "./compare/test_fixtures.ts";
import { pngSize } from "./render/test_png.ts";
import { vegaLiteErrors, warningsOf } from "./render/test_vega.ts";

const CHARTS = ["rate_distortion", "elbo_curves", "log_var_curves", "kl_per_dimension"];

Deno.test("compare: one row per run, valid figures whose provenance names every run", async () => {
  await withTempDir(async (root) => {
    const ctx = await compareContext(root, { vae: { kind: "vae" }, cvae: {}, ae: { kind: "ae" } });
    const warnings = await warningsOf(() => compare(ctx));
    assertEquals(warnings, [], "vega or vega-lite warnings");

    const rows = await readCsv(join(ctx.outDir, "comparison.csv"));
    assertEquals(rows.map((r) => r.config), ["vae", "cvae", "ae"]);
    assertEquals(rows.map((r) => r.model), ["vae", "cvae-prior", "ae"]);
    assertEquals(rows[2]["−ELBO"], "n/a");

    for (const id of CHARTS) {
      const spec = JSON.parse(await Deno.readTextFile(join(ctx.outDir, `figures/${id}.vl.json`)));
      assertEquals(vegaLiteErrors(spec), null, id);
      const stage = ["elbo_curves", "log_var_curves"].includes(id) ? "train" : "evaluate";
      for (const name of ["vae", "cvae", "ae"]) {
        const key = `${stage}:${name}`;
        assertEquals(spec.usermeta.provenance.stages[key], ctx.inputKeys[key], `${id} ${key}`);
      }
      const drawn = new Set(spec.data.values.map((r: { config: string }) => r.config));
      // An ae has no rate, no ELBO, no KL and no posterior variance: left out, not zeroed.
      assertEquals([...drawn], ["vae", "cvae"], id);
    }

    const png = await Deno.readFile(join(ctx.outDir, "images/prior_samples.png"));
    const tiles = await readCsv(join(ctx.outDir, "images/prior_samples.csv"));
    assertEquals([...new Set(tiles.map((t) => t.config))], ["vae", "cvae", "ae"]);
    const { height } = pngSize(png);
    assert_(height > 3 * 8 && height < 4 * 8 * 8, `three rows of 8×8 tiles, got height ${height}`);

    const html = await Deno.readTextFile(join(ctx.outDir, "index.html"));
    for (const id of [...CHARTS, "prior_samples"]) assertIncludes(html, `<figure id="${id}">`);
    assertIncludes(html, ctx.inputKeys["evaluate:cvae"]);
    const brief = await Deno.readTextFile(join(ctx.outDir, "comparison.md"));
    // The tables' columns are padded to line up; squeezed, a row reads as before.
    const squeezed = brief.replace(/ {2,}/g, " ");
    assertIncludes(squeezed, "| vae | vae | KL, β = 1 |");
    // A CVAE's bounds are on log p(x | y): its IW column is never headed log p(x).
    assertIncludes(squeezed, "| −ELBO | distortion | rate | IW bound | IW − ELBO |");
    assertIncludes(
      brief,
      "for cvae, −ELBO is an upper bound on −log p(x | y) and the IW bound a lower bound " +
        "on log p(x | y), y the true label",
    );
    assert_(!brief.includes("log p(x) IW"), "comparison.md heads a CVAE's IW bound log p(x)");
  });
});

Deno.test("compare: the same inputs give byte-identical files", async () => {
  await withTempDir(async (root) => {
    const first = await compareContext(join(root, "a"), { vae: { kind: "vae" }, cvae: {} });
    const second = await compareContext(join(root, "b"), { vae: { kind: "vae" }, cvae: {} });
    await warningsOf(() => compare(first));
    await warningsOf(() => compare(second));
    await assertSameFiles(first.outDir, second.outDir);
  });
});

Deno.test("compare: runs of one config under several seeds get its mean ± sd", async () => {
  await withTempDir(async (root) => {
    const ctx = await compareContext(root, {
      "vae-seed0": { kind: "vae", group: "vae" },
      "vae-seed1": { kind: "vae", group: "vae" },
      cvae: {},
    });
    await warningsOf(() => compare(ctx));
    const brief = await Deno.readTextFile(join(ctx.outDir, "comparison.md"));
    assertIncludes(brief.replace(/ {2,}/g, " "), "| config | seeds | −ELBO |");
    assertIncludes(brief, "mean ± sample standard deviation");
    const spec = JSON.parse(
      await Deno.readTextFile(join(ctx.outDir, "figures/rate_distortion.vl.json")),
    );
    // Both seeds are drawn in the config's colour; only the first carries its label.
    const rows = spec.data.values.filter((r: { group: string; series: string }) =>
      r.group === "vae" && r.series === "run"
    );
    assertEquals(rows.map((r: { label: string }) => r.label), ["vae", ""]);
  });
});
