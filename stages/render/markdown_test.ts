import { assertEquals } from "../../pipeline/test_assert.ts";
import { table, text } from "./document.ts";
import { renderMarkdown } from "./markdown.ts";

const render = (...blocks: Parameters<typeof renderMarkdown>[0]["blocks"]) =>
  renderMarkdown({ title: "T", blocks }).split("\n\n").slice(1).join("\n\n").trimEnd();

Deno.test("markdown tables: columns padded to line up, pipes in cells escaped", () => {
  const md = render(table({
    columns: ["config", "log p(x | y), IW", "key"],
    align: ["left", "right", "left"],
    rows: [["vae", "-168.11", { text: "72227d9b", code: true }], ["none", "7.62 †", "x"]],
  }));
  assertEquals(md.split("\n"), [
    "| config | log p(x \\| y), IW | key        |",
    "| ------ | ----------------: | ---------- |",
    "| vae    |           -168.11 | `72227d9b` |",
    "| none   |            7.62 † | x          |",
  ]);
});

Deno.test("markdown text: a backslash only where Markdown would read markup", () => {
  // Plain text stays plain: intraword underscores, brackets, pipes and < in prose.
  const plain = "E_q[−log p(x|z)] in [0, 1]; Σ_y p(y); a < b; iw_curve.csv";
  assertEquals(render(text(plain)), plain);
  // Markup is escaped: emphasis, code, links, tags, entities, a heading at the start.
  assertEquals(
    render(text("*a* _b_ `c` [d](e) <f> &amp;")),
    "\\*a\\* \\_b\\_ \\`c\\` [d\\](e) \\<f> \\&amp;",
  );
  assertEquals(render(text("# not a heading")), "\\# not a heading");
  assertEquals(render(text("- not a list")), "\\- not a list");
});

Deno.test("a cell of several linked spans: each a link, comma-separated", () => {
  const seeds = [0, 1].map((s) => ({ text: String(s), href: `cells/kl/seed${s}/index.html` }));
  const md = render(table({ columns: ["group", "seeds"], rows: [["kl", seeds]] }));
  assertEquals(
    md.split("\n")[2],
    "| kl    | [0](cells/kl/seed0/index.html), [1](cells/kl/seed1/index.html) |",
  );
});
