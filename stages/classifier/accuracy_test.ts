import { assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { accuracy } from "./accuracy.ts";

Deno.test("accuracy: overall and per true class, NaN for a class with no examples", () => {
  const scored = accuracy([0, 1, 1, 2, 0], [0, 1, 2, 2, 1], 4);
  assertEquals(scored.overall, 3 / 5);
  assertEquals(scored.perClass, [1, 1 / 2, 1 / 2, NaN]);
  assertEquals(scored.counts, [1, 2, 2, 0]);
  assertThrows(() => accuracy([0], [0, 1], 2), "1 predictions for 2 labels");
});
