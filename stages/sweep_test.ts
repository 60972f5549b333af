import { join } from "node:path";
import { sha256 } from "../pipeline/hash.ts";
import { withTempDir } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals, assertIncludes, assertSameFiles } from "../pipeline/test_assert.ts";
import { readCsv } from "../lib/table.ts";
import { readComparisonBrief, SWEEP_BRIEF } from "./compare/comparison_brief.ts";
import { cellText, type Table } from "./render/document.ts";
import { vegaLiteErrors, warningsOf } from "./render/test_vega.ts";
import { sweep } from "./sweep.ts";
import { cellName, CELLS, SWEEP, sweepContext } from "./sweep/test_fixtures.ts";

/** The brief's tables whose first columns are `heads`. */
async function tablesOf(dir: string, ...heads: string[]): Promise<Table[]> {
  const brief = await readComparisonBrief(dir, SWEEP_BRIEF);
  return brief!.blocks.flatMap((b) =>
    b.kind === "table" && heads.every((h, i) => b.table.columns[i] === h) ? [b.table] : []
  );
}

/** The row of `table` named `name`, each cell as text, by column. */
function rowOf(table: Table, name: string): Record<string, string> {
  const row = table.rows.find((r) => cellText(r[0]) === name);
  assert_(row, `no row ${name} in ${table.columns.join(", ")}`);
  return Object.fromEntries(table.columns.map((c, i) => [c, cellText(row[i])]));
}

const FIGURES = [
  "metrics_over_seeds",
  "against_epochs",
  "rate_distortion",
  "log_var_per_dimension",
  "kl_per_dimension",
];

Deno.test("sweep: mean ± sd [95% t interval] per group and paired differences, by hand", async () => {
  await withTempDir(async (root) => {
    const ctx = await sweepContext(root);
    const warnings = await warningsOf(() => sweep(ctx));
    assertEquals(warnings, [], "vega or vega-lite warnings");
    const [overSeeds] = await tablesOf(ctx.outDir, "group", "seeds");
    // kl at 2 epochs: 100, 101, 105. Mean 102, sd √7, half-width t_{0.975,2} · √7/√3 = 6.572.
    assertEquals(rowOf(overSeeds, "kl/epochs=2")["−ELBO"], "102.00 ± 2.65 [95.43, 108.57]");
    assertEquals(rowOf(overSeeds, "kl/epochs=20")["−ELBO"], "92.00 ± 2.65 [85.43, 98.57]");
    // separate-l2 adds 2, 3, 7 seed by seed: its own spread is 2√7, its paired one √7.
    assertEquals(
      rowOf(overSeeds, "separate-l2/epochs=2")["−ELBO"],
      "106.00 ± 5.29 [92.86, 119.14]",
    );
    assertEquals(rowOf(overSeeds, "kl/epochs=2").seeds, "0, 1, 2");
    const [paired] = await tablesOf(ctx.outDir, "group", "seeds paired");
    assertEquals(paired.rows.map((r) => cellText(r[0])), [
      "separate-l2/epochs=2",
      "separate-l2/epochs=20",
    ]);
    // Paired with kl at the same epochs (the axis both hold) and the same seed.
    const row = rowOf(paired, "separate-l2/epochs=20");
    assertEquals(row["Δ −ELBO"], "4.00 ± 2.65 [-2.57, 10.57]");
    assertEquals(row["seeds paired"], "0, 1, 2");

    const csv = await readCsv(join(ctx.outDir, "sweep.csv"));
    assertEquals(csv.map((r) => r.config), CELLS.map(cellName));
    const last = csv.at(-1)!;
    assertEquals([last.variant, last.epochs, last.seed, last["Δ −ELBO"]], [
      "separate-l2",
      20,
      2,
      7,
    ]);
    assertEquals(last.report_key, ctx.inputKeys[`report:${cellName(CELLS.at(-1)!)}`]);

    for (const id of FIGURES) {
      const spec = JSON.parse(await Deno.readTextFile(join(ctx.outDir, `figures/${id}.vl.json`)));
      assertEquals(vegaLiteErrors(spec), null, id);
      for (const cell of CELLS) {
        const key = `evaluate:${cellName(cell)}`;
        assertEquals(spec.usermeta.provenance.stages[key], ctx.inputKeys[key], `${id} ${key}`);
      }
    }
    const html = await Deno.readTextFile(join(ctx.outDir, "index.html"));
    for (const id of [...FIGURES, "prior_samples"]) assertIncludes(html, `<figure id="${id}">`);
  });
});

Deno.test("sweep: every cell's report is copied byte for byte and linked from its rows", async () => {
  await withTempDir(async (root) => {
    const ctx = await sweepContext(root);
    await warningsOf(() => sweep(ctx));
    const html = await Deno.readTextFile(join(ctx.outDir, "index.html"));
    const readme = await Deno.readTextFile(join(ctx.outDir, "README.md"));
    for (const cell of CELLS) {
      const name = cellName(cell);
      const inside = name.slice(`${SWEEP}/`.length);
      const source = ctx.inputs[`report:${name}`];
      for (const file of ["index.html", "README.md", "figures/a.svg", "manifest.json"]) {
        const [a, b] = await Promise.all(
          [source, join(ctx.outDir, "cells", inside)].map((d) => Deno.readFile(join(d, file))),
        );
        assertEquals(sha256(b), sha256(a), `${inside}/${file}`);
      }
      const link = `cells/${inside}/index.html`;
      assertIncludes(html, `<a href="${link}">${cell.seed}</a>`);
      assertIncludes(html, `<a href="${link}">${inside}</a>`);
      assertIncludes(readme, `[${cell.seed}](${link})`);
    }
  });
});

Deno.test("sweep: the same inputs give byte-identical files", async () => {
  await withTempDir(async (root) => {
    const cells = CELLS.filter((c) => c.seed < 2);
    const first = await sweepContext(join(root, "a"), cells);
    const second = await sweepContext(join(root, "b"), cells);
    await warningsOf(() => sweep(first));
    await warningsOf(() => sweep(second));
    await assertSameFiles(first.outDir, second.outDir);
  });
});

Deno.test("sweep: a seed the baseline lacks is n/a; a group of one seed shows its mean alone", async () => {
  await withTempDir(async (root) => {
    const cells = CELLS.filter((c) =>
      !(c.variant === "kl" && c.epochs === 20 && c.seed === 2) &&
      !(c.variant === "separate-l2" && c.epochs === 2 && c.seed > 0)
    );
    const ctx = await sweepContext(root, cells);
    await warningsOf(() => sweep(ctx));
    const [paired] = await tablesOf(ctx.outDir, "group", "seeds paired");
    const row = rowOf(paired, "separate-l2/epochs=20");
    assertEquals(row["seeds paired"], "0, 1; seed 2 n/a (no baseline cell)");
    // Differences 2 and 3: mean 2.5, sd √0.5, half-width t_{0.975,1} · 0.5 = 6.353.
    assertEquals(row["Δ −ELBO"], "2.50 ± 0.71 [-3.85, 8.85]");
    // One pair: its difference alone.
    assertEquals(rowOf(paired, "separate-l2/epochs=2")["Δ −ELBO"], "2.00");
    const [overSeeds] = await tablesOf(ctx.outDir, "group", "seeds");
    assertEquals(rowOf(overSeeds, "separate-l2/epochs=2")["−ELBO"], "102.00");
    const brief = await Deno.readTextFile(join(ctx.outDir, "sweep.md"));
    assertIncludes(brief, "separate-l2/epochs=2: one seed, so the mean alone");
    assertIncludes(brief, "n/a: the baseline has no cell at that seed");
    const csv = await readCsv(join(ctx.outDir, "sweep.csv"));
    const unpaired = csv.find((r) => r.config === `${SWEEP}/separate-l2/epochs=20/seed2`)!;
    assertEquals(unpaired["Δ −ELBO"], "n/a");
  });
});
