import { join } from "node:path";
import { readCsv, toCsv, writeCsv } from "./table.ts";
import { assertEquals } from "../pipeline/test_assert.ts";
import { tempDir } from "../pipeline/stage_testing.ts";

Deno.test("CSV rows round-trip with numbers at full precision and quoted text", async () => {
  const rows = [
    { epoch: 1, loss: 0.1 + 0.2, note: 'a, "quoted" cell' },
    { epoch: 2, loss: 1e-12, note: "" },
  ];
  assertEquals(toCsv(rows).split("\n")[0], "epoch,loss,note");
  const path = join(await tempDir(), "t.csv");
  await writeCsv(path, rows);
  assertEquals(await readCsv(path), rows);
});

Deno.test("explicit columns fix the order and fill missing cells with empty strings", () => {
  assertEquals(toCsv([{ b: 2, a: 1 }, { a: 3 }], ["a", "b"]), "a,b\n1,2\n3,\n");
});
