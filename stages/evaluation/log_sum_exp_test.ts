import { assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { logMeanExp, logSumExp } from "./log_sum_exp.ts";

Deno.test("logSumExp agrees with the naive formula where that is finite", () => {
  const values = [-1.5, 0, 2.25, 0.5];
  const naive = Math.log(values.reduce((s, v) => s + Math.exp(v), 0));
  assertClose(logSumExp(values), naive, 1e-12);
  assertClose(logMeanExp(values), naive - Math.log(4), 1e-12);
});

Deno.test("logSumExp stays exact at magnitudes where exp overflows or underflows", () => {
  assertClose(logSumExp([1000, 1000]), 1000 + Math.log(2), 1e-9);
  assertClose(logSumExp([-1000, -1000, -1000]), -1000 + Math.log(3), 1e-9);
  assertClose(logSumExp([-1e5, -1e5 + Math.log(3)]), -1e5 + Math.log(4), 1e-6);
  assertClose(logSumExp([800, 0]), 800, 1e-9); // exp(-800) vanishes against 1
  assertClose(logMeanExp([710, 710]), 710, 1e-9); // exp(710) alone would be Infinity
});

Deno.test("logSumExp handles infinities, NaN, empty ranges and sub-ranges", () => {
  assertEquals(logSumExp([-Infinity, -Infinity]), -Infinity);
  assertEquals(logSumExp([]), -Infinity);
  assertClose(logSumExp([-Infinity, 0]), 0, 0);
  assertEquals(logSumExp([Infinity, 0]), Infinity);
  assertEquals(logSumExp([NaN, 0]), NaN);
  assertClose(logSumExp([99, 1, 1, 99], 1, 3), 1 + Math.log(2), 1e-12);
  assertClose(logMeanExp([99, 1, 1, 99], 1, 3), 1, 1e-12);
});
