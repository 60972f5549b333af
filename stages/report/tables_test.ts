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
