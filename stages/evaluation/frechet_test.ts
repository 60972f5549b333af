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

/** A random orthogonal [d, d]: the product of d reflections I − 2uuᵀ/uᵀu, random u. */
function randomOrthogonal(d: number, rng: Rng): number[] {
  const q = diag(new Array(d).fill(1));
  for (let r = 0; r < d; r++) {
    const u = Array.from({ length: d }, () => rng.normal());
    const uu = u.reduce((s, x) => s + x * x, 0);
    for (let i = 0; i < d; i++) { // row i of Q ← row i − 2 (row i · u) uᵀ / uᵀu
      const qu = u.reduce((s, x, j) => s + q[i * d + j] * x, 0);
      u.forEach((x, j) => q[i * d + j] -= 2 * qu * x / uu);
    }
  }
  return q;
}

/** Q diag(values) Qᵀ: a symmetric matrix whose eigenvalues are known exactly. */
const withSpectrum = (values: number[], q: number[]) => {
  const d = values.length;
  return product(product(q, diag(values), d), transpose(q, d), d);
};

const ascending = (values: ArrayLike<number>) => Array.from(values).sort((x, y) => x - y);

/** A V = V Λ and Vᵀ V = I, to `tolerance` times the largest |eigenvalue|. */
function assertDecomposes(a: ArrayLike<number>, d: number, tolerance: number, what: string) {
  const { values, vectors } = symmetricEigen(a, d);
  const scale = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const [av, vl] = [product(a, vectors, d), product(vectors, diag(Array.from(values)), d)];
  assertClose(av, vl, tolerance * scale, `${what}: A V = V Λ`);
  const identity = diag(new Array(d).fill(1));
  assertClose(product(transpose(vectors, d), vectors, d), identity, 1e-12, `${what}: Vᵀ V = I`);
  return values;
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
  const traceOf = (g: GaussianFit) =>
    Array.from(g.cov).filter((_, k) => k % (d + 1) === 0).reduce((s, x) => s + x);
  // Rank 8 of 20: M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} has 12 zero eigenvalues that come back as ±ε‖M‖,
  // clamped, and their square roots as up to √(ε‖M‖) each: zero, and symmetric, to ~1e-8
  // of the traces, not to ε.
  assertClose(frechetDistance(b, a), ab, 3e-8 * (traceOf(a) + traceOf(b)));
  assertClose(frechetDistance(a, a), 0, 1e-9);
  assertClose(frechetDistance(b, b), 0, 1e-7 * traceOf(b));
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

Deno.test("symmetricEigen: a known spectrum Q diag(λ) Qᵀ, ties and zeros included", () => {
  const rng = new Rng(7);
  const spectra = [
    [5, 5, 5, 1e-3, 2, -1, 0, 0, 7.25, 2 + 1e-9, -1, 3],
    Array.from({ length: 40 }, (_, i) => i % 3 === 0 ? 0 : rng.normal() * 10),
    Array.from({ length: 128 }, (_, i) => i < 40 ? 0 : Math.exp(rng.normal() * 3)),
  ];
  for (const spectrum of spectra) {
    const d = spectrum.length;
    const a = withSpectrum(spectrum, randomOrthogonal(d, rng));
    const values = assertDecomposes(a, d, 1e-13, `d ${d}`);
    const largest = Math.max(...spectrum.map(Math.abs));
    assertClose(ascending(values), ascending(spectrum), 1e-13 * largest, `d ${d}: λ`);
    assertClose(ascending(symmetricEigenvalues(a, d)), ascending(spectrum), 1e-13 * largest);
  }
});

Deno.test("symmetricEigen: repeated eigenvalues (identity, a diagonal with ties, rank 1)", () => {
  assertClose(
    assertDecomposes(diag(new Array(7).fill(1)), 7, 0, "identity"),
    new Array(7).fill(1),
    0,
  );
  const ties = [3, 1, 3, 2, 1];
  assertClose(assertDecomposes(diag(ties), 5, 0, "ties"), ties, 0);
  // u uᵀ: ‖u‖² once, then nine zeros, whose eigenvectors must still come out orthonormal.
  const rng = new Rng(8);
  const u = Array.from({ length: 10 }, () => rng.normal());
  const outer = Array.from({ length: 100 }, (_, ij) => u[Math.floor(ij / 10)] * u[ij % 10]);
  const norm2 = u.reduce((s, x) => s + x * x, 0);
  const values = assertDecomposes(outer, 10, 1e-13, "rank 1");
  assertClose(ascending(values), [...new Array(9).fill(0), norm2], 1e-13 * norm2);
});

Deno.test("symmetricEigen: an already tridiagonal matrix, tridiag(−1, 2, −1)", () => {
  // The second-difference matrix: eigenvalues 2 − 2 cos(kπ / (d + 1)), k = 1 … d.
  const d = 50;
  const a = Array.from({ length: d * d }, (_, ij) => {
    const gap = Math.abs(Math.floor(ij / d) - ij % d);
    return gap === 0 ? 2 : gap === 1 ? -1 : 0;
  });
  const expected = Array.from(
    { length: d },
    (_, k) => 2 - 2 * Math.cos((k + 1) * Math.PI / (d + 1)),
  );
  assertClose(ascending(assertDecomposes(a, d, 1e-13, "tridiagonal")), ascending(expected), 1e-13);
});

Deno.test("psdSqrt and symmetricEigen: a 128-wide relu covariance from 100 rows (singular)", () => {
  // Like one class's features: 100 rows of 128 relu units, every 16th unit dead, so Σ has
  // rank ≤ 99 and at least 29 zero eigenvalues.
  const [d, rows, rng] = [128, 100, new Rng(9)];
  const w = Array.from({ length: 16 * d }, () => rng.normal());
  const features = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const z = Array.from({ length: 16 }, () => rng.normal());
    for (let j = 0; j < d; j++) {
      const pre = z.reduce((s, zk, k) => s + zk * w[k * d + j], 0) + 0.3 * rng.normal();
      features[i * d + j] = j % 16 === 0 ? 0 : Math.max(0, pre);
    }
  }
  const { cov } = fitGaussian(features, d);
  const values = assertDecomposes(cov, d, 1e-12, "relu covariance");
  const largest = Math.max(...values);
  const zeros = values.filter((x) => Math.abs(x) <= 1e-13 * largest).length;
  assertEquals(zeros, d - (rows - 1)); // the others are ≥ 1e-4 of the largest
  const trace = Array.from(cov).filter((_, k) => k % (d + 1) === 0).reduce((s, x) => s + x);
  assertClose(values.reduce((s, x) => s + x, 0), trace, 1e-12 * trace);
  const s = psdSqrt(cov, d);
  assertClose(product(s, s, d), cov, 1e-12 * largest, "S·S = Σ");
  assertClose(s, transpose(s, d), 0);
});

Deno.test("symmetricEigen reads only the upper triangle", () => {
  const a = randomPsd(6, 9, new Rng(11));
  const upper = a.map((x, ij) => ij % 6 >= Math.floor(ij / 6) ? x : NaN);
  assertEquals(symmetricEigen(upper, 6), symmetricEigen(a, 6));
});

Deno.test("symmetricEigen: a non-finite entry is named", () => {
  const a = [1, 0, 0, 0, NaN, 0, 0, 0, 1];
  assertThrows(() => symmetricEigen(a, 3), "entry [1, 1] is NaN; it must be finite");
  assertThrows(() => psdSqrt(a, 3), "entry [1, 1] is NaN");
});

Deno.test("fitGaussian: the two-pass mean and covariance across chunks, an odd width", () => {
  const [n, dim, rng] = [131, 5, new Rng(10)];
  const rows = Array.from({ length: n * dim }, () => rng.normal() + 3);
  const fit = fitGaussian(rows, dim);
  const mean = Array.from({ length: dim }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rows[i * dim + j];
    return sum / n;
  });
  const cov = Array.from({ length: dim * dim }, (_, jk) => {
    const [j, k] = [Math.floor(jk / dim), jk % dim];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += (rows[i * dim + j] - mean[j]) * (rows[i * dim + k] - mean[k]);
    }
    return sum / (n - 1);
  });
  assertClose(fit.mean, mean, 1e-14);
  assertClose(fit.cov, cov, 1e-14);
  assertClose(fit.cov, transpose(fit.cov, dim), 0);
});
