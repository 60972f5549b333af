import { join } from "node:path";
import { ArtifactStore } from "../pipeline/store.ts";
import { listFiles } from "../pipeline/folders.ts";
import { traceFigure } from "../pipeline/trace.ts";
import { testContext, withTempDir } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "../pipeline/test_assert.ts";
import { report } from "./report.ts";
import { provenanceCaption } from "./render/figure.ts";
import { pngSize } from "./render/test_png.ts";
import { fixtureKey, type FixtureOptions, writeFixtures } from "./render/test_fixtures.ts";
import { vegaLiteErrors, warningsOf } from "./render/test_vega.ts";

const CHARTS = [
  "training_curves",
  "log_var_over_epochs",
  "kl_per_dimension",
  "latent_scatter",
  "iw_curve",
];
const GRIDS = ["reconstructions", "prior_samples", "class_samples", "traversal"];

const key = (stages: string[]) => Object.fromEntries(stages.map((s) => [s, fixtureKey(s)]));
/** What each figure's data came from, upstream first, as the fixture manifests say. */
const TRAIN_LINEAGE = key(["prepare", "train"]);
const EVALUATE_LINEAGE = key(["prepare", "train", "classify", "evaluate"]);
const lineageOf = (id: string) =>
  ["training_curves", "log_var_over_epochs"].includes(id) ? TRAIN_LINEAGE : EVALUATE_LINEAGE;

/** Write fixtures under `root` and render a report from them; returns the report dir. */
async function renderReport(root: string, options: FixtureOptions = {}) {
  const fixture = await writeFixtures(join(root, "inputs"), options);
  const ctx = await testContext({ config: fixture.config }, { ...fixture, dir: root });
  const warnings = await warningsOf(() => report(ctx));
  return { dir: ctx.outDir, fixture, warnings };
}

/** Every `src`/`href` in HTML, and every `url(…)` (inline SVG clip paths, CSS). */
function references(html: string): string[] {
  const attributes = [...html.matchAll(/\s(?:src|href|xlink:href)="([^"]*)"/g)].map((m) => m[1]);
  const urls = [...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]);
  return [...attributes, ...urls];
}

Deno.test("report: every figure is written, with valid Vega-Lite specs and no warnings", async () => {
  await withTempDir(async (root) => {
    const { dir, warnings } = await renderReport(root);
    assertEquals(warnings, [], "vega or vega-lite warnings");
    const files = new Set(await listFiles(dir));
    for (const id of CHARTS) {
      for (const ext of ["vl.json", "svg", "png", "csv"]) {
        assert_(files.has(`figures/${id}.${ext}`), `figures/${id}.${ext} is missing`);
      }
      const spec = JSON.parse(await Deno.readTextFile(join(dir, `figures/${id}.vl.json`)));
      assertEquals(vegaLiteErrors(spec), null, `${id}.vl.json`);
      assertEquals(spec.usermeta.provenance.stages, lineageOf(id), `${id} provenance`);
      assert_(spec.data.values.length > 0, `${id} has no data`);
    }
    for (const id of GRIDS) {
      for (const ext of ["png", "csv", "provenance.json"]) {
        assert_(files.has(`images/${id}.${ext}`), `images/${id}.${ext} is missing`);
      }
      const sidecar = JSON.parse(
        await Deno.readTextFile(join(dir, `images/${id}.provenance.json`)),
      );
      assertEquals(sidecar.provenance, { config: "fixture-cvae-prior", stages: EVALUATE_LINEAGE });
    }
    assert_(files.has("index.html") && files.has("README.md"), "index.html or README.md missing");
  });
});

Deno.test("report: image grids are upscaled PNGs laid out as evaluate's tensors", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root);
    const size = async (id: string) => pngSize(await gridPng(dir, id));
    // 28 × 28 tiles at 2× (56 px) with 2 px gaps: n columns → 58n + 2 pixels.
    assertEquals(await size("reconstructions"), { width: 58 * 8 + 2, height: 58 * 2 + 2 });
    assertEquals(await size("prior_samples"), { width: 58 * 4 + 2, height: 58 * 4 + 2 });
    assertEquals(await size("class_samples"), { width: 58 * 6 + 2, height: 58 * 4 + 2 });
    assertEquals(await size("traversal"), { width: 58 * 6 + 2, height: 58 * 6 + 2 });
    const tiles = await Deno.readTextFile(join(dir, "images/reconstructions.csv"));
    assertEquals(tiles.split("\n")[0], "tile,row,column,shows,example");
    assertIncludes(tiles, "8,1,0,reconstruction,0");
    // 8 × 8 images are drawn at 7×, so they are as visible as digits.
    const small = await renderReport(join(root, "small"), { size: 8 });
    const png = await gridPng(small.dir, "traversal");
    assertEquals(pngSize(png), { width: 58 * 6 + 2, height: 58 * 6 + 2 });
    // The figure is the grid under its title, rows labelled: larger than the grid itself.
    const figure = pngSize(await Deno.readFile(join(dir, "images/class_samples.png")));
    assert_(figure.width > 58 * 6 + 2 && figure.height > 58 * 4 + 2, "no room for labels");
    const svg = await Deno.readTextFile(join(dir, "images/class_samples.svg"));
    for (const label of ["Class-conditional samples", "class y", ">3<"]) assertIncludes(svg, label);
  });
});

/** A grid's own PNG, as its figure's SVG embeds it under the title and labels. */
async function gridPng(dir: string, id: string): Promise<Uint8Array> {
  const svg = await Deno.readTextFile(join(dir, `images/${id}.svg`));
  const data = svg.match(/href="data:image\/png;base64,([^"]+)"/)![1];
  return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
}

Deno.test("report: index.html opens offline, referencing only files inside the report", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root);
    const html = await Deno.readTextFile(join(dir, "index.html"));
    // Not even a namespace URL: a researcher's grep for http finds nothing to fetch.
    assert_(!/https?:/.test(html), "index.html mentions an http(s) URL");
    assert_(!html.includes("<script"), "index.html runs scripts");
    assert_(!html.includes("<link"), "index.html links external resources");
    const refs = references(html);
    assert_(refs.length > 20, `only ${refs.length} references found`);
    for (const ref of refs) {
      if (ref.startsWith("#")) continue;
      assert_(!/^[a-z]+:/i.test(ref) && !ref.startsWith("/"), `${ref} is not a relative path`);
      await Deno.stat(join(dir, ref)); // throws if the file does not exist
    }
    assertEquals(html.match(/<svg /g)?.length, CHARTS.length, "inline SVG charts");
    assertEquals(html.match(/<img /g)?.length, GRIDS.length, "image grids");
    const readme = await Deno.readTextFile(join(dir, "README.md"));
    assert_(!/https?:/.test(readme), "README.md mentions an http(s) URL");
    for (const [, target] of readme.matchAll(/\]\(([^)]+)\)/g)) await Deno.stat(join(dir, target));
  });
});

Deno.test("report: captions carry the config and the keys, short in text, full on hover", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root);
    const html = await Deno.readTextFile(join(dir, "index.html"));
    const readme = await Deno.readTextFile(join(dir, "README.md"));
    for (const id of [...CHARTS, ...GRIDS]) {
      const stages = lineageOf(id);
      const figure = html.match(new RegExp(`<figure id="${id}">[\\s\\S]*?</figure>`))?.[0];
      assert_(figure, `no <figure id="${id}"> in index.html`);
      assertIncludes(figure, "config fixture-cvae-prior");
      for (const [stage, full] of Object.entries(stages)) {
        assertIncludes(figure, `${stage} <code title="${full}">${full.slice(0, 8)}</code>`);
      }
      const caption = provenanceCaption({ config: "fixture-cvae-prior", stages });
      assertIncludes(readme, caption.replaceAll("_", "\\_"));
    }
    // The full keys are in the provenance tables of both renderings.
    for (const full of Object.values(EVALUATE_LINEAGE)) assertIncludes(readme, `\`${full}\``);
  });
});

Deno.test("report: deno task trace reads a chart's spec and an image grid's sidecar", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root);
    const store = new ArtifactStore(join(root, "empty-store"));
    const stages = ["prepare", "train", "classify", "evaluate", "report"];
    for (const file of ["figures/latent_scatter.png", "images/traversal.png"]) {
      const { lines } = await traceFigure(join(dir, file), store, stages);
      assertEquals(lines[1], "config   fixture-cvae-prior");
      // Every key the figure names is looked up (here: not in the empty store).
      for (const key of Object.values(EVALUATE_LINEAGE)) {
        assert_(lines.some((line) => line.includes(key)), `${file}: ${key} not traced`);
      }
    }
  });
});

Deno.test("report: metrics with units, versions from the manifests, the resolved config", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root);
    const html = await Deno.readTextFile(join(dir, "index.html"));
    for (
      const text of [
        // A CVAE's bounds are on log p(x | y), with the true label, never on log p(x).
        "<td>−ELBO, upper bound on −log p(x | y)</td>" +
        '<td class="right">71.23</td><td class="right">69.80</td><td>nats per example</td>',
        "<td>log p(x | y), IW lower bound, K = 64</td>",
        "-69.45 ± 0.05",
        "+2.05 over the ELBO of the same 40 test examples (-71.50)",
        "<td>rate, KL(q(z|x) ‖ p(z|y))</td>",
        '<th class="right">mean (μ − μ^y)²</th>',
        "ELBO bound on log p(x | y) (nats per example)",
        "2 of 3",
        "96.3",
        // Versions, read from the upstream manifests.
        // Fixture manifests predate the project version: "unknown", never a made-up commit.
        `<td>train</td><td><code>${fixtureKey("train")}</code></td><td>unknown</td>` +
        "<td>2.9.6</td>" +
        "<td>4.22.0</td><td>wasm</td>",
        `<td>prepare</td><td><code>${fixtureKey("prepare")}</code></td><td>unknown</td>` +
        "<td>2.9.6</td>" +
        "<td>—</td><td>—</td>",
        // The resolved config, as YAML.
        "name: fixture-cvae-prior",
        "  kind: cvae-prior",
      ]
    ) assert_(html.includes(text), `index.html lacks ${text}`);
    assert_(!html.includes("<td>log p(x), IW"), "a CVAE's IW bound is labelled log p(x)");
    // Squeezed: the README pads its columns to line up.
    const readme = (await Deno.readTextFile(join(dir, "README.md"))).replace(/ {2,}/g, " ");
    assertIncludes(readme, "| log p(x \\| y), IW lower bound, K = 64 |");
    assert_(!readme.includes("| log p(x), IW"), "README labels a CVAE's IW bound log p(x)");
  });
});

Deno.test("report: a vae's bounds are on log p(x), its prior N(0, I)", async () => {
  await withTempDir(async (root) => {
    const { dir } = await renderReport(root, { kind: "vae" });
    const html = await Deno.readTextFile(join(dir, "index.html"));
    assertIncludes(html, "<td>−ELBO, upper bound on −log p(x)</td>");
    assertIncludes(html, "<td>log p(x), IW lower bound, K = 64</td>");
    assertIncludes(html, "<td>rate, KL(q(z|x) ‖ p(z))</td>");
    assertIncludes(html, '<th class="right">mean μ²</th>');
    assert_(!html.includes("p(x | y)"), "a vae's report speaks of p(x | y)");
  });
});

Deno.test("report: an ae's missing numbers read n/a with the reason; absent figures say why", async () => {
  await withTempDir(async (root) => {
    const { dir, warnings } = await renderReport(root, { kind: "ae", validation: false });
    assertEquals(warnings, []);
    const html = await Deno.readTextFile(join(dir, "index.html"));
    const reason = "the ELBO does not apply to an ae (no posterior variance)";
    // The reason evaluate gives in the section's `reasons` map, on hover.
    assertIncludes(html, `<td class="right"><span title="${reason}">n/a</span></td>`);
    assert_(html.match(/n\/a<\/span>/g)!.length >= 6, "expected several n/a cells");
    assertIncludes(html, `Not shown: Importance-weighted bound, because ${reason}.`);
    assertIncludes(html, "Not shown: KL per latent dimension, because");
    assertIncludes(html, "Not shown: Class-conditional samples, because evaluate wrote no");
    const files = await listFiles(dir);
    assert_(!files.includes("figures/iw_curve.vl.json"), "an ae has no IW curve");
    // Zero-throughout terms are not drawn, equal ones drawn once: an ae's loss is its
    // reconstruction.
    const curves = JSON.parse(
      await Deno.readTextFile(join(dir, "figures/training_curves.vl.json")),
    );
    const metrics = new Set(curves.data.values.map((r: { metric: string }) => r.metric));
    assertEquals([...metrics], ["reconstruction = loss (objective)"]);
  });
});

Deno.test("report: the same inputs give byte-identical files, wherever they are", async () => {
  await withTempDir(async (root) => {
    const first = await renderReport(join(root, "a"));
    const second = await renderReport(join(root, "b"));
    const files = await listFiles(first.dir);
    assertEquals(await listFiles(second.dir), files);
    for (const file of files) {
      const [a, b] = await Promise.all(
        [first.dir, second.dir].map((d) => Deno.readFile(join(d, file))),
      );
      assertEquals(a, b, `${file} differs between renders`);
    }
  });
});

Deno.test("report: a missing upstream file is named, with the stage to re-run", async () => {
  await withTempDir(async (root) => {
    const fixture = await writeFixtures(join(root, "inputs"));
    await Deno.remove(join(fixture.inputs.evaluate, "metrics.json"));
    const ctx = await testContext({ config: fixture.config }, { ...fixture, dir: root });
    await assertRejects(() => report(ctx), "metrics.json is missing; re-run the evaluate stage");
  });
});
