import { join } from "node:path";
import { tempDir } from "../../pipeline/stage_testing.ts";
import { assertEquals, assertRejects } from "../../pipeline/test_assert.ts";
import { COMPARISON_BRIEF, readComparisonBrief, writeComparisonBrief } from "./comparison_brief.ts";
import { table, text } from "../render/document.ts";

Deno.test("the comparison brief reads back as written; an older artifact has none", async () => {
  const dir = await tempDir();
  assertEquals(await readComparisonBrief(dir), undefined);
  const brief = {
    title: "Comparison: a, b",
    blocks: [
      table({ columns: ["config", "−ELBO"], align: ["left", "right"], rows: [["a", "1.00"]] }),
      text("note"),
    ],
  };
  await writeComparisonBrief(dir, brief);
  assertEquals(await readComparisonBrief(dir), brief);
  await Deno.writeTextFile(join(dir, COMPARISON_BRIEF), "[]");
  await assertRejects(() => readComparisonBrief(dir), "not a comparison brief");
});
