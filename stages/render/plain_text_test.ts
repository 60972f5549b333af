import { visibleWidth } from "../../pipeline/text_width.ts";
import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { cellText, type Table, table, text } from "./document.ts";
import { plainTable, renderPlainText } from "./plain_text.ts";

const COMPARISON: Table = {
  columns: ["config", "objective", "−ELBO", "log p(x|y)", "rate", "MI", "evaluate"],
  align: ["left", "left", "right", "right", "right", "right", "left"],
  rows: [
    ["none", "none", "468.52", "-483.65", "311.06", "7.62", { text: "7f0eab81", code: true }],
    ["beta-4", "KL, β = 4", "175.52", "-175.15", "2.45", "2.34", {
      text: "72227d9b",
      code: true,
    }],
  ],
};

/** The groups of a rendered table: header, rule, rows. */
const groupsOf = (rendered: string) => rendered.split("\n\n").map((g) => g.split("\n"));

Deno.test("a plain table fits any width from 20 to 200 columns and keeps every cell", () => {
  const cells = COMPARISON.rows.flat().map(cellText);
  for (let columns = 20; columns <= 200; columns++) {
    const rendered = plainTable(COMPARISON, columns - 1);
    for (const line of rendered.split("\n")) {
      assert_(visibleWidth(line) < columns, `${columns} columns: ${line}`);
    }
    for (const cell of cells) assertIncludes(rendered, cell);
    // Every group starts with the rows' names, so each line says which run it is.
    for (const group of groupsOf(rendered)) {
      assertEquals(group.slice(2).map((l) => l.split(/\s+/)[0]), ["none", "beta-4"]);
    }
  }
  assertEquals(groupsOf(plainTable(COMPARISON, 200)).length, 1);
});

Deno.test("numbers are right-aligned under their heading, text left-aligned, no markup", () => {
  const [head, rule, none, beta] = plainTable(COMPARISON, 200).split("\n");
  assertEquals(head, "config  objective   −ELBO  log p(x|y)    rate    MI  evaluate");
  assertEquals(rule.replace(/─+/g, (r) => String(r.length)), "6  9  6  10  6  4  8");
  assertEquals(none, "none    none       468.52     -483.65  311.06  7.62  7f0eab81");
  assertEquals(beta, "beta-4  KL, β = 4  175.52     -175.15    2.45  2.34  72227d9b");
});

Deno.test("a column wider than the terminal stays whole on a group of its own", () => {
  const wide: Table = {
    columns: ["config", "objective"],
    rows: [["split-kl", "‖μ‖² and ‖log σ²‖², wμ = 1, wσ = 1"]],
  };
  const rendered = plainTable({ ...wide, columns: [...wide.columns, "rate"] }, 20);
  assertIncludes(rendered, "split-kl  ‖μ‖² and ‖log σ²‖², wμ = 1, wσ = 1");
  assertEquals(groupsOf(rendered).length, 2);
});

Deno.test("a document renders as plain text: title, wrapped notes, tables", () => {
  const doc = {
    title: "Comparison: none, beta-4",
    blocks: [
      table(COMPARISON),
      text("Likelihood: −log p(x|z) = BCE, the targets are grey levels in [0, 1]."),
    ],
  };
  const rendered = renderPlainText(doc, 40);
  assert_(rendered.startsWith("Comparison: none, beta-4\n\n"), rendered);
  assert_(!/\\[|[\]]|^\|/.test(rendered), "no Markdown escapes or pipes");
  assertIncludes(
    rendered,
    "Likelihood: −log p(x|z) = BCE, the\ntargets are grey levels in [0, 1].\n",
  );
  assert_(rendered.split("\n").every((line) => visibleWidth(line) < 40), rendered);
});
