import { checkName, childPath, nameProblem } from "./names.ts";
import { assertEquals, assertThrows } from "./test_assert.ts";

Deno.test("safe names: plain words pass; paths, dots, separators and control bytes do not", () => {
  for (const ok of ["cvae", "vae-seed2", "loss_balance.v2", "A1"]) {
    assertEquals(nameProblem(ok), undefined, ok);
  }
  for (const bad of ["", ".", "..", "../bench", "a/b", "a\\b", ".hidden", "-x", "a\0b", "é"]) {
    assertEquals(typeof nameProblem(bad), "string", JSON.stringify(bad));
  }
  assertEquals(typeof nameProblem("x".repeat(101)), "string");
  assertThrows(() => checkName("../bench", "--name"), '--name "../bench" may hold only');
});

Deno.test("childPath stays inside its root", () => {
  assertEquals(childPath("/r/reports", "cvae", "name"), "/r/reports/cvae");
  assertThrows(() => childPath("/r/reports", "..", "name"), "may hold only");
});
