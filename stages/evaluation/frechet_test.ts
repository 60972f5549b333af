import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose, assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import {
  fitGaussian,
  frechetDistance,
  type GaussianFit,
  psdSqrt,
  symmetricEigen,
  symmetricEigenvalues,
} from "./frechet.ts";

/** a·b for [d, d] row-major matrices (the test's own, plain loops). */
function product(a: ArrayLike<number>, b: ArrayLike<number>, d: number): number[] {
  return Array.from({ length: d * d }, (_, ij) => {
    const [i, j] = [Math.floor(ij / d), ij % d];
    let sum = 0;
    for (let k = 0; k < d; k++) sum += a[i * d + k] * b[k * d + j];
    return sum;
  });
}

const transpose = (a: ArrayLike<number>, d: number) =>
  Array.from({ length: d * d }, (_, ij) => a[(ij % d) * d + Math.floor(ij / d)]);

/** Bᵀ B for a random [rows, d] B: symmetric PSD, singular when rows < d. */
function randomPsd(d: number, rows: number, rng: Rng): number[] {
  const b = Array.from({ length: rows * d }, () => rng.normal());
  return Array.from({ length: d * d }, (_, ij) => {
    const [i, j] = [Math.floor(ij / d), ij % d];
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += b[r * d + i] * b[r * d + j];
    return sum;
  });
}

/** A rotation of the plane (i, j) by angle a, [d, d]. */
function rotation(d: number, i: number, j: number, a: number): number[] {
  const r = diag(new Array(d).fill(1));
  [r[i * d + i], r[i * d + j], r[j * d + i], r[j * d + j]] = [
    Math.cos(a),
    -Math.sin(a),
    Math.sin(a),
    Math.cos(a),
  ];
  return r;
}

const diag = (values: number[]) =>
  Array.from(
    { length: values.length ** 2 },
    (_, k) => k % (values.length + 1) === 0 ? values[k / (values.length + 1)] : 0,
  );

/** A population Gaussian as a fit (n is not used by the distance). */
const gaussian = (mean: number[], cov: number[]): GaussianFit => ({
  mean: Float64Array.from(mean),
  cov: Float64Array.from(cov),
  dim: mean.length,
  n: Infinity,
});

Deno.test("symmetricEigen: A V = V Λ with orthonormal V, for a dense random matrix", () => {
  const d = 12;
  const a = randomPsd(d, 5, new Rng(1)).map((x, k) => x - (k % (d + 1) === 0 ? 3 : 0));
  const { values, vectors } = symmetricEigen(a, d);
  assertClose(product(a, vectors, d), product(vectors, diag(Array.from(values)), d), 1e-10);
  assertClose(product(transpose(vectors, d), vectors, d), diag(new Array(d).fill(1)), 1e-12);
  // The trace is the sum of the eigenvalues.
  const trace = a.filter((_, k) => k % (d + 1) === 0).reduce((s, x) => s + x, 0);
  assertClose(values.reduce((s, x) => s + x, 0), trace, 1e-10);
});

Deno.test("psdSqrt: S·S = A and S = Sᵀ to 1e-9, singular matrices included", () => {
  const rng = new Rng(2);
  for (const [d, rows] of [[1, 1], [6, 20], [30, 40], [30, 7]]) {
    const a = randomPsd(d, rows, rng);
    const s = psdSqrt(a, d);
    assertClose(product(s, s, d), a, 1e-9, `d ${d}, rank ${Math.min(d, rows)}`);
    assertClose(s, transpose(s, d), 0);
  }
  assertClose(psdSqrt(diag([4, 9, 0]), 3), diag([2, 3, 0]), 1e-15);
  assertThrows(() => psdSqrt(diag([1, -1]), 2), "not positive semi-definite");
});

Deno.test("fitGaussian: the mean and the (n − 1) covariance of the rows", () => {
  const fit = fitGaussian([1, 2, 3, 6, 5, 4], 2); // rows (1, 2), (3, 6), (5, 4)
  assertClose(fit.mean, [3, 4], 1e-15);
  // Centred rows (−2, −2), (0, 2), (2, 0): Σ = [[8, 4], [4, 8]] / 2.
  assertClose(fit.cov, [4, 2, 2, 4], 1e-15);
  assertEquals([fit.dim, fit.n], [2, 3]);
  assertThrows(() => fitGaussian([1, 2], 2), "need ≥ 2 rows");
});

Deno.test("Fréchet distance of diagonal Gaussians: ‖Δμ‖² + Σ(√a − √b)²", () => {
  const a = gaussian([0, 1, -2], diag([1, 4, 0.25]));
  const b = gaussian([1, 1, 0], diag([9, 1, 0]));
  const expected = 1 + 0 + 4 + (1 - 3) ** 2 + (2 - 1) ** 2 + (0.5 - 0) ** 2;
  assertClose(frechetDistance(a, b), expected, 1e-12);
});

Deno.test("Fréchet distance, a rotated pair (commuting covariances): the diagonal formula", () => {
  // Σ₁ = R D₁ Rᵀ, Σ₂ = R D₂ Rᵀ commute, so (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2} = R (D₁D₂)^{1/2} Rᵀ.
  const d = 4;
  const r = product(rotation(d, 0, 2, 0.7), rotation(d, 1, 3, -1.1), d);
  const rotated = (values: number[]) => product(product(r, diag(values), d), transpose(r, d), d);
  const [d1, d2] = [[2, 0.5, 3, 1], [0.5, 2, 3, 0.01]];
  const a = gaussian([1, 0, 0, 0], rotated(d1)), b = gaussian([0, 0, 0, 2], rotated(d2));
  const expected = 1 + 4 + d1.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(d2[i])) ** 2, 0);
  assertClose(frechetDistance(a, b), expected, 1e-12);
});

Deno.test("Fréchet distance, non-commuting 2×2: tr √M = √(tr M + 2√det M)", () => {
  // For a 2×2 PSD M with eigenvalues λ₁, λ₂: (√λ₁ + √λ₂)² = tr M + 2√det M. With
  // M = Σ₁^{1/2} Σ₂ Σ₁^{1/2}: tr M = tr Σ₁Σ₂ and det M = det Σ₁ det Σ₂.
  const s1 = [2, 0.8, 0.8, 1], s2 = [0.5, -0.3, -0.3, 3];
  const tr = (m: number[]) => m[0] + m[3];
  const det = (m: number[]) => m[0] * m[3] - m[1] * m[2];
  const rootTrace = Math.sqrt(tr(product(s1, s2, 2)) + 2 * Math.sqrt(det(s1) * det(s2)));
  const expected = (0.3 ** 2 + 0.4 ** 2) + tr(s1) + tr(s2) - 2 * rootTrace;
  const [a, b] = [gaussian([0.3, 0], s1), gaussian([0, 0.4], s2)];
  assertClose(frechetDistance(a, b), expected, 1e-12);
  assertClose(frechetDistance(b, a), expected, 1e-12);
});

Deno.test("Fréchet distance: symmetric, 0 for identical inputs (singular ones too)", () => {
  const rng = new Rng(3);
  const d = 20;
  const mean = () => Array.from({ length: d }, () => rng.normal());
  const a = gaussian(mean(), randomPsd(d, 30, rng)), b = gaussian(mean(), randomPsd(d, 8, rng));
  const ab = frechetDistance(a, b);
  assert_(ab > 1, `${ab}`);
  assertClose(frechetDistance(b, a), ab, 1e-9 * ab);
  assertClose(frechetDistance(a, a), 0, 1e-9);
  // Rank 8 of 20: M = Σ^{1/2} Σ Σ^{1/2} has 12 zero eigenvalues that come back as ±ε‖M‖,
  // clamped, and their square roots as up to √ε‖Σ‖ each: zero to ~1e-8 of tr Σ, not to ε.
  const traceB = Array.from(b.cov).filter((_, k) => k % (d + 1) === 0).reduce((s, x) => s + x);
  assertClose(frechetDistance(b, b), 0, 1e-7 * traceB);
});

Deno.test("Fréchet distance from samples converges to the population value", () => {
  const d = 3;
  const rng = new Rng(4);
  const s1 = [1, 0.5, 0, 0.5, 2, -0.3, 0, -0.3, 0.7];
  const s2 = [0.4, 0, 0.1, 0, 1, 0.6, 0.1, 0.6, 1.5];
  const [m1, m2] = [[0, 0, 0], [0.5, -0.5, 1]];
  const population = frechetDistance(gaussian(m1, s1), gaussian(m2, s2));
  /** n draws of N(mean, Σ) as rows: mean + Σ^{1/2} ε. */
  const draws = (mean: number[], cov: number[], n: number) => {
    const root = psdSqrt(cov, d);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const eps = Array.from({ length: d }, () => rng.normal());
      for (let j = 0; j < d; j++) {
        out[i * d + j] = mean[j] + eps.reduce((s, e, k) => s + root[j * d + k] * e, 0);
      }
    }
    return out;
  };
  const errors = [100, 400_000].map((n) =>
    Math.abs(
      frechetDistance(fitGaussian(draws(m1, s1, n), d), fitGaussian(draws(m2, s2, n), d)) -
        population,
    )
  );
  // The estimate's error shrinks like 1/√n (its spread) and 1/n (its bias).
  assert_(errors[1] < 0.005 * population, `errors ${errors} of ${population}`);
  assert_(errors[0] > 10 * errors[1], `errors ${errors}`);
});

Deno.test("symmetricEigenvalues: the values of symmetricEigen, without the vectors", () => {
  const a = randomPsd(9, 4, new Rng(6));
  assertEquals(symmetricEigenvalues(a, 9), symmetricEigen(a, 9).values);
});
