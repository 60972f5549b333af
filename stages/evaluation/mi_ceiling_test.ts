import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { atMiCeiling, miAgainstCeiling, miCeilingNoise } from "./mi_ceiling.ts";
import { mutualInformation } from "./mutual_information.ts";

Deno.test("MI ceiling noise is √(d / 2N)", () => {
  assertClose(miCeilingNoise(2, Math.log(2000)), Math.sqrt(2 / 4000), 1e-12);
  assertClose(miCeilingNoise(32, Math.log(500)), Math.sqrt(32 / 1000), 1e-12);
});

Deno.test("MI of non-overlapping posteriors: at most log N + the draws' ½(‖ε‖² − d)", () => {
  const [n, d] = [300, 2];
  const mu = Float32Array.from({ length: n * d }, (_, i) => (i % d === 0 ? 100 * (i / d) : 0));
  const logVar = new Float32Array(n * d).fill(0);
  const { mutualInformation: mi, logN } = mutualInformation(mu, logVar, d, new Rng(3));
  // The same ε the estimate drew, d per example in order.
  const rng = new Rng(3);
  let excess = 0;
  for (let i = 0; i < n * d; i++) excess += 0.5 * (rng.normal() ** 2 - 1);
  excess /= n;
  // Non-overlapping: q(z_i) is exactly its own posterior's 1/N share, so the bound is tight.
  assertClose(mi, logN + excess, 1e-6);
  assert_(atMiCeiling(mi, logN, d), `${mi} against log N ${logN} should be at the ceiling`);
});

Deno.test("MI beside log N never prints an inequality the numbers break", () => {
  const logN = Math.log(2000);
  const saturated = miAgainstCeiling(7.62, logN, 2);
  assertEquals(saturated, "7.62, at its ceiling log N = 7.60 (saturated, biased low)");
  assertEquals(miAgainstCeiling(4.14, logN, 2), "4.14 of at most log N = 7.60");
  // Just below log N, within noise: still the ceiling.
  assert_(atMiCeiling(logN - 0.05, logN, 2));
  assert_(!atMiCeiling(logN - 0.2, logN, 2));
});
