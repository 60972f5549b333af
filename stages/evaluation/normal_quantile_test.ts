import { assertClose, assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { normalQuantile, quantileGrid } from "./normal_quantile.ts";

Deno.test("normalQuantile matches tabulated standard normal quantiles", () => {
  // Values from the standard normal table (R's qnorm, 10 significant digits).
  const table: [number, number][] = [
    [0.5, 0],
    [0.975, 1.959963985],
    [0.84134474606854, 1], // Φ(1)
    [0.01, -2.326347874],
    [1e-6, -4.753424309],
    [0.9999, 3.719016485],
  ];
  for (const [p, q] of table) assertClose(normalQuantile(p), q, 1e-8, `p = ${p}`);
  assertClose(normalQuantile(0.3), -normalQuantile(0.7), 1e-12);
  assertEquals(normalQuantile(0), -Infinity);
  assertEquals(normalQuantile(1), Infinity);
  assertThrows(() => normalQuantile(1.5), "[0, 1]");
});

Deno.test("quantileGrid puts g points at the centres of equal-probability bins", () => {
  const grid = quantileGrid(4);
  assertClose(grid, [-1.150349380, -0.318639364, 0.318639364, 1.150349380], 1e-8);
  assertEquals(quantileGrid(15)[7], 0);
});
