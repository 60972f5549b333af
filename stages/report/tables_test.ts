import { join } from "node:path";
import { withTempDir } from "../../pipeline/stage_testing.ts";
import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { cellText, type Table } from "../render/document.ts";
import { readReportInputs, type ReportInputs } from "./inputs.ts";
import { latentTable, metricsTable } from "./tables.ts";
import { type FixtureOptions, writeFixtures } from "../render/test_fixtures.ts";

/** The fixture's report inputs, as the report stage reads them. */
async function inputsOf(root: string, options: FixtureOptions = {}): Promise<ReportInputs> {
  const fixture = await writeFixtures(join(root, "inputs"), options);
  return await readReportInputs(fixture.config, fixture.inputs);
}

/** quantity → [test, train, unit, note], as the table prints them. */
const byQuantity = (table: Table) =>
  new Map(table.rows.map(([quantity, ...rest]) => [cellText(quantity), rest.map(cellText)]));

/** Every "a ≤ b" the text prints, for a check that none of them is false. */
const inequalities = (text: string) =>
  [...text.matchAll(/(-?\d+(?:\.\d+)?) ≤ (-?\d+(?:\.\d+)?)/g)].map((m) => [+m[1], +m[2]]);

Deno.test("metrics table: the MI estimate past log N is called saturated, never 'a ≤ b'", async () => {
  await withTempDir(async (root) => {
    const inputs = await inputsOf(root, { kind: "vae" });
    // As the `none` ablation: 7.62 against log N = log 2,000 = 7.60, d = 2.
    Object.assign(inputs.metrics.test, {
      mutualInformation: 7.623,
      logN: Math.log(2000),
      latentDim: 2,
    });
    const rows = byQuantity(metricsTable(inputs));
    const [mi, , , miNote] = rows.get("mutual information I(x; z), estimate")!;
    assertEquals(mi, "7.623");
    assertIncludes(miNote, "saturated at its ceiling log N, so biased low");
    assertIncludes(miNote, "each z's own weighted 1/N");
    const [logN, , , logNNote] = rows.get("log N, the ceiling of the I(x; z) estimate")!;
    assertEquals(logN, "7.601");
    assertEquals(
      logNNote,
      "N = 2,000 test examples; the estimate can pass it by noise (sd 0.022)",
    );
    const text = [...rows].flat(2).join("\n");
    for (const [a, b] of inequalities(text)) assert_(a <= b, `prints ${a} ≤ ${b}`);
  });
});

Deno.test("metrics table: an MI estimate well below log N has no caveat", async () => {
  await withTempDir(async (root) => {
    const rows = byQuantity(metricsTable(await inputsOf(root, { kind: "vae" })));
    const [mi, , , note] = rows.get("mutual information I(x; z), estimate")!;
    assertEquals([mi, note], ["4.120", ""]);
  });
});

Deno.test("metrics table: a cvae-concat's label is in its posterior and likelihood", async () => {
  await withTempDir(async (root) => {
    const inputs = await inputsOf(root);
    inputs.metrics.model = { kind: "cvae-concat", regularizer: "kl", beta: 1 };
    const quantities = [...byQuantity(metricsTable(inputs)).keys()];
    assertEquals(quantities.slice(0, 4), [
      "−ELBO, upper bound on −log p(x | y)",
      "distortion, E_q(z|x,y)[−log p(x|z,y)]",
      "rate, KL(q(z|x,y) ‖ p(z))",
      "log p(x | y), IW lower bound, K = 64",
    ]);
    // Its prior is N(0, I): μ² is measured from 0.
    assertEquals(latentTable(inputs).columns[2], "mean μ²");
  });
});

Deno.test("metrics table: the Fréchet rows say N, that lower is better, and the data floor", async () => {
  await withTempDir(async (root) => {
    const rows = byQuantity(metricsTable(await inputsOf(root, { kind: "cvae-prior" })));
    const [value, train, unit, note] = rows.get("Fréchet distance, prior samples to test images")!;
    assertEquals([value, train, unit], ["12.60", "—", "squared classifier-feature distance"]);
    assertEquals(
      note,
      "N = 120 each; classifier features; lower is better; train against test images: 1.27",
    );
    const [floor, , , floorNote] = rows.get("Fréchet distance, train images to test images")!;
    assertEquals(floor, "1.27");
    assertIncludes(floorNote, "the data-against-data floor");
    const [perClass, , , perClassNote] = rows.get(
      "Fréchet distance per class, class samples to test images, mean",
    )!;
    assertEquals(perClass, "18.30");
    assertIncludes(perClassNote, "as many samples as images; classifier features");
    assertIncludes(perClassNote, "train against test images: 4.05");
  });
});
