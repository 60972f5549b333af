/**
 * Student's t distribution: its quantile t_{p,ν}, for confidence intervals over a handful of
 * seeds. The CDF is exact, through the regularized incomplete beta function
 * (F(t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0; Numerical Recipes' continued fraction, §6.4),
 * and it is inverted by bisection, so the quantile is as accurate as float64 allows.
 */

/** t_{p,ν}: the t such that P(T ≤ t) = p for T ~ Student t with ν degrees of freedom. */
export function tQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must lie in (0, 1), got ${p}`);
  if (!(nu > 0)) throw new RangeError(`tQuantile: ν must be positive, got ${nu}`);
  if (p < 0.5) return -tQuantile(1 - p, nu);
  // P(T > t) = ½ I_x(ν/2, ½) with x = ν/(ν + t²), which rises with x (falls with t).
  const target = 2 * (1 - p);
  let [low, high] = [0, 1];
  for (let i = 0; i < 200 && high - low > 0; i++) {
    const x = (low + high) / 2;
    if (x === low || x === high) break;
    if (incompleteBeta(x, nu / 2, 0.5) < target) low = x;
    else high = x;
  }
  const x = (low + high) / 2;
  return Math.sqrt((nu * (1 - x)) / x);
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x),
  );
  // The continued fraction converges fast below (a + 1)/(a + b + 2); above, use the symmetry.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(x, a, b)) / a
    : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

const TINY = 1e-300;

/** The continued fraction of I_x(a, b), by the modified Lentz method. */
function betaFraction(x: number, a: number, b: number): number {
  const guard = (v: number) => (Math.abs(v) < TINY ? TINY : v);
  let c = 1, d = 1 / guard(1 - ((a + b) * x) / (a + 1)), h = d;
  for (let m = 1; m <= 1000; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return h;
}

/** Lanczos' coefficients for g = 7, n = 9: log Γ to about 15 significant digits. */
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log Γ(z) for z > 0. */
export function logGamma(z: number): number {
  // Reflection keeps the series where it is accurate: Γ(z) Γ(1 − z) = π / sin(πz).
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const w = z - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (w + i);
  const t = w + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (w + 0.5) * Math.log(t) - t + Math.log(sum);
}
