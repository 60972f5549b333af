/**
 * Φ⁻¹(p), the standard normal quantile, by Peter Acklam's rational approximation ("An
 * algorithm for computing the inverse normal cumulative distribution function", relative
 * error < 1.2e-9):
 * the traversal grid places its points at equal steps of probability, not of z, so it spans
 * the prior where the prior has mass.
 */
const A = [
  -39.69683028665376,
  220.9460984245205,
  -275.9285104469687,
  138.357751867269,
  -30.66479806614716,
  2.506628277459239,
];
const B = [
  -54.47609879822406,
  161.5858368580409,
  -155.6989798598866,
  66.80131188771972,
  -13.28068155288572,
];
const C = [
  -0.007784894002430293,
  -0.3223964580411365,
  -2.400758277161838,
  -2.549732539343734,
  4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const LOW = 0.02425;

export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`normalQuantile: p must lie in [0, 1], got ${p}`);
  }
  if (p < LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - LOW) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (q * horner(A, r)) / (horner([...B, 1], r));
}

function tail(q: number): number {
  return horner(C, q) / horner([...D, 1], q);
}

/** c[0]·x^(n−1) + … + c[n−1]. */
function horner(c: number[], x: number): number {
  return c.reduce((acc, coefficient) => acc * x + coefficient, 0);
}

/** g points at the centres of g equal-probability bins: Φ⁻¹((i + ½) / g), i = 0…g − 1. */
export function quantileGrid(g: number): number[] {
  return Array.from({ length: g }, (_, i) => normalQuantile((i + 0.5) / g));
}
