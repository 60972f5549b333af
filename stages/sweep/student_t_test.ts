import { assertClose, assertThrows } from "../../pipeline/test_assert.ts";
import { normalQuantile } from "../evaluation/normal_quantile.ts";
import { incompleteBeta, logGamma, tQuantile } from "./student_t.ts";

Deno.test("tQuantile matches the t table (R's qt, 10 significant digits)", () => {
  const table: [number, number, number][] = [
    [0.975, 1, 12.70620474],
    [0.975, 2, 4.302652730],
    [0.975, 3, 3.182446305],
    [0.975, 4, 2.776445105],
    [0.975, 5, 2.570581836],
    [0.975, 9, 2.262157163],
    [0.975, 29, 2.045229642],
    [0.95, 4, 2.131846786],
    [0.995, 2, 9.924843201],
    [0.9995, 1, 636.6192487],
  ];
  for (const [p, nu, t] of table) {
    assertClose(tQuantile(p, nu), t, 1e-9 * t, `t(${p}, ${nu})`);
  }
});

Deno.test("tQuantile: closed forms for ν = 1 (Cauchy) and ν = 2, symmetry, the normal limit", () => {
  for (const p of [0.6, 0.9, 0.975, 0.999]) {
    assertClose(tQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9, `Cauchy ${p}`);
    const twoDof = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
    assertClose(tQuantile(p, 2), twoDof, 1e-10, `ν = 2, ${p}`);
    assertClose(tQuantile(1 - p, 3), -tQuantile(p, 3), 1e-12, `symmetry ${p}`);
  }
  // t − z ≈ (z³ + z) / 4ν: 2.4e-6 at ν = 1e6.
  assertClose(tQuantile(0.975, 1e6), normalQuantile(0.975), 1e-5);
  assertThrows(() => tQuantile(1, 3), "(0, 1)");
  assertThrows(() => tQuantile(0.9, 0), "positive");
});

Deno.test("incompleteBeta and logGamma against closed forms", () => {
  // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
  for (const x of [0.01, 0.3, 0.7, 0.99]) {
    assertClose(incompleteBeta(x, 1, 1), x, 1e-13);
    assertClose(incompleteBeta(x, 2.5, 1), x ** 2.5, 1e-13);
    assertClose(incompleteBeta(x, 1, 3.5), 1 - (1 - x) ** 3.5, 1e-13);
  }
  assertClose(logGamma(5), Math.log(24), 1e-13);
  assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
  assertClose(logGamma(0.1), Math.log(9.513507698668732), 1e-12);
});
