/**
 * The Fréchet distance between two Gaussians fitted to rows of features (the FID's formula,
 * Heusel et al. 2017), in float64:
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}),
 * the squared 2-Wasserstein distance between N(μ₁, Σ₁) and N(μ₂, Σ₂). Like the FID, the
 * number reported is d² itself. Square roots of the symmetric PSD matrices come from a
 * cyclic Jacobi eigendecomposition: slow in theory, but a 128-wide feature covariance takes
 * a few tens of milliseconds and Jacobi is accurate to round-off on PSD matrices.
 */

/** A Gaussian fitted to n rows of `dim` features: the mean and the covariance (n − 1). */
export interface GaussianFit {
  mean: Float64Array;
  /** [dim, dim], row-major, symmetric. */
  cov: Float64Array;
  dim: number;
  /** Rows it was fitted to. */
  n: number;
}

/** The mean and unbiased covariance of `rows` ([n, dim], row-major), in float64. */
export function fitGaussian(rows: ArrayLike<number>, dim: number): GaussianFit {
  const n = rows.length / dim;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(
      `fitGaussian: need ≥ 2 rows of ${dim} features, got ${rows.length} values`,
    );
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j] += rows[i * dim + j];
  }
  mean.forEach((sum, j) => mean[j] = sum / n);
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const cj = centred[j];
      if (cj === 0) continue; // dead relu units: most of a feature row is exactly 0
      for (let k = j; k < dim; k++) cov[j * dim + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) cov[k * dim + j] = cov[j * dim + k] /= n - 1;
  }
  return { mean, cov, dim, n };
}

/**
 * A = V diag(values) Vᵀ for a symmetric [d, d] matrix (row-major; not modified): the
 * eigenvectors are V's columns. Cyclic Jacobi: sweep over every off-diagonal pair, rotating
 * it to zero, until the off-diagonal mass is round-off.
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): {
  values: Float64Array;
  vectors: Float64Array;
} {
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  return { values: jacobi(a, d, v), vectors: v };
}

/** The eigenvalues alone (a third less work: no eigenvectors accumulated). */
export function symmetricEigenvalues(a: ArrayLike<number>, d: number): Float64Array {
  return jacobi(a, d, null);
}

/**
 * Cyclic Jacobi: sweep over every off-diagonal pair, rotating it to zero, until the
 * off-diagonal mass is round-off; returns the diagonal left, rotating `v` (if given) along.
 */
function jacobi(a: ArrayLike<number>, d: number, v: Float64Array | null): Float64Array {
  const m = Float64Array.from(a);
  const scale = Math.sqrt(m.reduce((s, x) => s + x * x, 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] ** 2;
    if (Math.sqrt(off) <= 1e-15 * scale) {
      return Float64Array.from({ length: d }, (_, i) => m[i * d + i]);
    }
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) rotate(m, v, d, p, q);
    }
  }
  throw new Error(`symmetricEigen: no convergence in 100 sweeps (d = ${d}); is it symmetric?`);
}

/** One Jacobi rotation J (in the p, q plane) that zeroes m[p, q]: m ← Jᵀ m J, v ← v J. */
function rotate(m: Float64Array, v: Float64Array | null, d: number, p: number, q: number): void {
  const apq = m[p * d + q];
  if (apq === 0) return;
  // tan of the rotation angle: the smaller root of t² + 2θt − 1 = 0, so |angle| ≤ π/4.
  const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1), s = t * c;
  for (let k = 0; k < d; k++) { // columns p and q
    const kp = m[k * d + p], kq = m[k * d + q];
    m[k * d + p] = c * kp - s * kq;
    m[k * d + q] = s * kp + c * kq;
  }
  for (let k = 0; k < d; k++) { // rows p and q
    const pk = m[p * d + k], qk = m[q * d + k];
    m[p * d + k] = c * pk - s * qk;
    m[q * d + k] = s * pk + c * qk;
  }
  m[p * d + q] = m[q * d + p] = 0;
  for (let k = 0; v && k < d; k++) {
    const kp = v[k * d + p], kq = v[k * d + q];
    v[k * d + p] = c * kp - s * kq;
    v[k * d + q] = s * kp + c * kq;
  }
}

/**
 * The eigenvalues of a symmetric PSD matrix, each tiny negative one set to 0. A covariance
 * (or S Σ S with S symmetric) is PSD in exact arithmetic, but a singular one (dead relu
 * features, fewer rows than features) has zero eigenvalues that round-off leaves at
 * ±1e-16·‖A‖; their square roots must be 0, not NaN. A clearly negative one is a bug: thrown.
 */
function psdEigenvalues(values: Float64Array): Float64Array {
  const largest = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  return values.map((x) => {
    if (x < -1e-9 * largest) {
      throw new RangeError(`not positive semi-definite: eigenvalue ${x} (largest ${largest})`);
    }
    return Math.max(x, 0);
  });
}

/** The symmetric PSD square root S of a symmetric PSD [d, d] matrix: S·S = A, S = Sᵀ. */
export function psdSqrt(a: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, d);
  const roots = psdEigenvalues(values).map(Math.sqrt);
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += vectors[i * d + k] * roots[k] * vectors[j * d + k];
      s[i * d + j] = s[j * d + i] = sum;
    }
  }
  return s;
}

/** a·b for [d, d] row-major matrices. */
function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/** (A + Aᵀ)/2: a product that is symmetric in exact arithmetic, made so after round-off. */
function symmetrized(a: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) a[i * d + j] = a[j * d + i] = (a[i * d + j] + a[j * d + i]) / 2;
  }
  return a;
}

const trace = (a: Float64Array, d: number) => {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += a[i * d + i];
  return sum;
};

/**
 * d²(reference, ·) as a function, with the reference's Σ^{1/2} computed once: every sample
 * set and the data-against-data floor are scored against the same held-out fit.
 */
export function frechetFrom(reference: GaussianFit): (other: GaussianFit) => number {
  const d = reference.dim;
  const root = psdSqrt(reference.cov, d);
  return (other) => {
    if (other.dim !== d) throw new RangeError(`frechet: ${other.dim} features against ${d}`);
    let meanTerm = 0;
    for (let j = 0; j < d; j++) meanTerm += (reference.mean[j] - other.mean[j]) ** 2;
    const product = symmetrized(matmul(matmul(root, other.cov, d), root, d), d);
    // tr M^{1/2} = Σ √λ(M) for the symmetric PSD M = Σ₁^{1/2} Σ₂ Σ₁^{1/2}.
    const rootTrace = psdEigenvalues(symmetricEigenvalues(product, d))
      .reduce((s, x) => s + Math.sqrt(x), 0);
    return meanTerm + trace(reference.cov, d) + trace(other.cov, d) - 2 * rootTrace;
  };
}

/** d² between two fitted Gaussians (symmetric in its arguments). */
export function frechetDistance(a: GaussianFit, b: GaussianFit): number {
  return frechetFrom(a)(b);
}
