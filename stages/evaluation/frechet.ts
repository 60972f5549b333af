/**
 * The Fréchet distance between two Gaussians fitted to rows of features (the FID's formula,
 * Heusel et al. 2017), in float64:
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}),
 * the squared 2-Wasserstein distance between N(μ₁, Σ₁) and N(μ₂, Σ₂). Like the FID, the
 * number reported is d² itself.
 *
 * Square roots of the symmetric PSD matrices come from eigendecompositions, done the
 * standard O(d³) way: Householder reduction to tridiagonal form, then implicit QR steps
 * with Wilkinson's shift on the tridiagonal matrix (Golub & Van Loan, §8.3). At the
 * classifier's 128 features that is about 1 ms for the eigenvalues and 5 ms with the
 * eigenvectors. Both stages are backward stable: every eigenvalue comes out within a few
 * ε‖A‖ of the true one. So a zero eigenvalue of a singular matrix comes out as ±ε‖A‖, and
 * its clamped square root adds up to √(ε‖A‖) to a trace of roots: distances between
 * singular covariances agree with exact arithmetic to about 1e-8 of their size, not to ε.
 * Every matrix product runs as dot products of rows with rows (both factors are symmetric
 * or stored transposed), two rows by two at a time.
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

/** Rows of features per pass of fitGaussian: a chunk of 128 features is 64 KiB. */
const CHUNK = 64;

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
  // Cᵀ C for the centred rows C, CHUNK rows at a time, each chunk held feature-major so
  // that every entry is a dot product along memory (rows past the end are zeros).
  const cov = new Float64Array(dim * dim);
  const chunk = new Float64Array(dim * CHUNK);
  for (let start = 0; start < n; start += CHUNK) {
    centredChunk(rows, mean, start, chunk);
    addTimesTransposed({ a: chunk, b: chunk, rows: dim, inner: CHUNK, out: cov, upper: true });
  }
  cov.forEach((x, k) => cov[k] = x / (n - 1));
  mirrorUpper(cov, dim);
  return { mean, cov, dim, n };
}

/** Rows start … start + CHUNK − 1 minus the mean, into `chunk` [dim, CHUNK]; zeros past the end. */
function centredChunk(
  rows: ArrayLike<number>,
  mean: Float64Array,
  start: number,
  chunk: Float64Array,
): void {
  const dim = mean.length, end = Math.min(start + CHUNK, rows.length / dim);
  chunk.fill(0);
  for (let i = start; i < end; i++) {
    for (let j = 0; j < dim; j++) chunk[j * CHUNK + i - start] = rows[i * dim + j] - mean[j];
  }
}

/**
 * A = V diag(values) Vᵀ for a symmetric [d, d] matrix (row-major; only its upper triangle
 * is read): the eigenvectors are V's columns. The values come in no particular order.
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): {
  values: Float64Array;
  vectors: Float64Array;
} {
  const { diagonal, offDiagonal, basis } = tridiagonalize(a, d, true);
  diagonalize(diagonal, offDiagonal, basis, d);
  return { values: diagonal, vectors: transposed(basis!, d) };
}

/** The eigenvalues alone (no transform accumulated: a quarter of the time), as symmetricEigen's. */
export function symmetricEigenvalues(a: ArrayLike<number>, d: number): Float64Array {
  const { diagonal, offDiagonal } = tridiagonalize(a, d, false);
  diagonalize(diagonal, offDiagonal, null, d);
  return diagonal;
}

/** A = Q T Qᵀ with T symmetric tridiagonal; `basis` is Qᵀ (row-major), when asked for. */
interface Tridiagonal {
  diagonal: Float64Array;
  /** offDiagonal[i] = T[i, i + 1]; the last entry is unused. */
  offDiagonal: Float64Array;
  basis: Float64Array | null;
}

/**
 * Householder reduction: for k = 0 … d − 3, the reflection H_k = I − β v vᵀ that maps
 * row k right of the diagonal onto its first entry, applied to the trailing block from both
 * sides. Each v is kept in the row it came from, to build Qᵀ = H_{d−3} ⋯ H_0 afterwards.
 */
function tridiagonalize(a: ArrayLike<number>, d: number, withBasis: boolean): Tridiagonal {
  const m = Float64Array.from(a);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      if (!Number.isFinite(m[i * d + j])) {
        throw new RangeError(
          `symmetricEigen: entry [${i}, ${j}] is ${m[i * d + j]}; it must be finite`,
        );
      }
    }
  }
  const diagonal = new Float64Array(d), offDiagonal = new Float64Array(d);
  const betas = new Float64Array(d), work = new Float64Array(d);
  for (let k = 0; k + 2 < d; k++) {
    const { alpha, beta } = householder(m, d, k);
    offDiagonal[k] = alpha;
    betas[k] = beta;
    if (beta !== 0) reflectTrailing(m, d, k, beta, work);
  }
  if (d >= 2) offDiagonal[d - 2] = m[(d - 2) * d + d - 1];
  for (let i = 0; i < d; i++) diagonal[i] = m[i * d + i];
  return { diagonal, offDiagonal, basis: withBasis ? reflectionsProduct(m, d, betas, work) : null };
}

/**
 * Turns x = m[k, k+1:] into the v of H = I − β v vᵀ with H x = α e₁ (in place). α takes the
 * sign opposite to x's first entry, so v₁ = x₁ − α never cancels. β = 0 when x is α e₁.
 */
function householder(m: Float64Array, d: number, k: number): { alpha: number; beta: number } {
  const first = k * d + k + 1, end = (k + 1) * d;
  let tail = 0;
  for (let i = first + 1; i < end; i++) tail += m[i] * m[i];
  const x1 = m[first];
  if (tail === 0) return { alpha: x1, beta: 0 };
  const norm = Math.sqrt(x1 * x1 + tail);
  const alpha = x1 > 0 ? -norm : norm;
  m[first] = x1 - alpha;
  return { alpha, beta: 2 / (m[first] * m[first] + tail) };
}

/**
 * B ← H B H for the trailing block B = m[k+1:, k+1:], with v in row k: with p = β B v and
 * w = p − (β vᵀp / 2) v, H B H = B − v wᵀ − w vᵀ. Only B's upper triangle is read and
 * written (half the memory traffic); every inner loop runs along a row.
 */
function reflectTrailing(m: Float64Array, d: number, k: number, beta: number, w: Float64Array) {
  const v = k * d;
  w.fill(0, k + 1, d);
  for (let i = k + 1; i < d; i++) { // B v, each stored entry B[i, j] counted for (i, j) and (j, i)
    const row = i * d, vi = m[v + i];
    let sum = m[row + i] * vi;
    for (let j = i + 1; j < d; j++) {
      const bij = m[row + j];
      sum += bij * m[v + j];
      w[j] += bij * vi;
    }
    w[i] += sum;
  }
  let vp = 0;
  for (let i = k + 1; i < d; i++) vp += m[v + i] * (w[i] *= beta);
  const half = beta * vp / 2;
  for (let i = k + 1; i < d; i++) w[i] -= half * m[v + i];
  for (let i = k + 1; i < d; i++) {
    const vi = m[v + i], wi = w[i];
    for (let j = i, row = i * d; j < d; j++) m[row + j] -= vi * w[j] + wi * m[v + j];
  }
}

/**
 * Qᵀ = H_{d−3} ⋯ H_0, accumulated from the right starting at H_{d−3} (M ← M H_k =
 * M − β (M v) vᵀ): each step only touches the block below and right of row k, which is where
 * M differs from the identity.
 */
function reflectionsProduct(m: Float64Array, d: number, betas: Float64Array, mv: Float64Array) {
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) q[i * d + i] = 1;
  for (let k = d - 3; k >= 0; k--) {
    if (betas[k] === 0) continue;
    const v = k * d;
    for (let i = k + 1; i < d; i++) {
      let sum = 0;
      for (let j = k + 1, row = i * d; j < d; j++) sum += q[row + j] * m[v + j];
      mv[i] = betas[k] * sum;
    }
    for (let i = k + 1; i < d; i++) {
      const scale = mv[i];
      for (let j = k + 1, row = i * d; j < d; j++) q[row + j] -= scale * m[v + j];
    }
  }
  return q;
}

/**
 * Symmetric tridiagonal QR: implicit shifted QR steps on the last unreduced block until its
 * bottom off-diagonal entry is round-off next to its neighbours, then the block shrinks. The
 * diagonal ends as the eigenvalues; each step's rotations also turn the rows of `basis`.
 */
function diagonalize(t: Float64Array, e: Float64Array, basis: Float64Array | null, d: number) {
  const limit = 30 * d; // LAPACK's budget; Wilkinson's shift needs two or three steps a value
  let steps = 0;
  for (let hi = d - 1; hi > 0;) {
    if (negligible(t, e, hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !negligible(t, e, lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0; // the block splits there: drop the round-off coupling
    if (++steps > limit) {
      throw new Error(`symmetricEigen: no convergence in ${limit} QR steps (d = ${d})`);
    }
    qrStep(t, e, lo, hi, basis, d);
  }
}

/** T[i, i+1] is round-off relative to its two diagonal neighbours. */
const negligible = (t: Float64Array, e: Float64Array, i: number) =>
  Math.abs(e[i]) <= Number.EPSILON * (Math.abs(t[i]) + Math.abs(t[i + 1]));

/**
 * One implicit QR step on T[lo:hi+1, lo:hi+1] with Wilkinson's shift μ (the eigenvalue of
 * the trailing 2×2 nearer its last entry): a rotation in the plane (lo, lo+1) that aligns
 * the first column of T − μI with e₁, then rotations (k, k+1) chasing the bulge it leaves at
 * T[k+1, k−1] down and out. Each rotation P = [[c, s], [−s, c]]: T ← P T Pᵀ, basis ← P basis.
 */
function qrStep(
  t: Float64Array,
  e: Float64Array,
  lo: number,
  hi: number,
  basis: Float64Array | null,
  d: number,
): void {
  const half = (t[hi - 1] - t[hi]) / 2, b = e[hi - 1];
  const shift = t[hi] - b * b / (half + (half < 0 ? -1 : 1) * Math.hypot(half, b));
  let x = t[lo] - shift, z = e[lo];
  for (let k = lo; k < hi; k++) {
    const r = Math.sqrt(x * x + z * z); // Math.hypot is several times slower
    const c = r === 0 ? 1 : x / r, s = r === 0 ? 0 : z / r;
    if (k > lo) e[k - 1] = r;
    const tk = t[k], ek = e[k], tk1 = t[k + 1];
    t[k] = c * c * tk + 2 * c * s * ek + s * s * tk1;
    t[k + 1] = s * s * tk - 2 * c * s * ek + c * c * tk1;
    e[k] = (c * c - s * s) * ek + c * s * (tk1 - tk);
    if (k + 1 < hi) {
      x = e[k];
      z = s * e[k + 1];
      e[k + 1] *= c;
    }
    if (basis) rotateRows(basis, d, k, c, s);
  }
}

/** Rows k and k+1 of a [d, d] matrix ← [[c, s], [−s, c]] times them. */
function rotateRows(m: Float64Array, d: number, k: number, c: number, s: number): void {
  for (let j = 0, p = k * d, q = p + d; j < d; j++) {
    const mp = m[p + j], mq = m[q + j];
    m[p + j] = c * mp + s * mq;
    m[q + j] = c * mq - s * mp;
  }
}

/** Mᵀ of a [d, d] matrix. */
function transposed(m: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[j * d + i] = m[i * d + j];
  return out;
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
  // S = (V diag √λ) Vᵀ.
  const scaled = vectors.map((x, ik) => x * roots[ik % d]);
  const s = new Float64Array(d * d);
  addTimesTransposed({ a: scaled, b: vectors, rows: d, inner: d, out: s, upper: true });
  return mirrorUpper(s, d);
}

/** out += a bᵀ, for a and b of `rows` rows of length `inner` (row-major; out [rows, rows]). */
interface RowProducts {
  a: Float64Array;
  b: Float64Array;
  rows: number;
  inner: number;
  out: Float64Array;
  /** Only the entries with j ≥ i, for a product known to be symmetric (see mirrorUpper). */
  upper: boolean;
}

/**
 * Entry (i, j) of a bᵀ is the dot product of rows a_i and b_j, read along memory; each 2×2
 * block of out shares the loads of its four rows. One call per pair of rows of out: V8 then
 * optimizes that function whole, rather than on-stack replacing its inner loop and
 * deoptimizing at each exit from it.
 */
function addTimesTransposed(product: RowProducts): void {
  for (let i = 0; i < product.rows; i += 2) addRowPair(product, i);
}

/** Rows i and i + 1 of addTimesTransposed's out. */
function addRowPair({ a, b, rows, inner, out, upper }: RowProducts, i: number): void {
  const a0 = i * inner, a1 = Math.min(i + 1, rows - 1) * inner; // an odd last row: itself
  for (let j = upper ? i : 0; j < rows; j += 2) {
    const b0 = j * inner, b1 = Math.min(j + 1, rows - 1) * inner;
    let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (let k = 0; k < inner; k++) {
      const x0 = a[a0 + k], x1 = a[a1 + k], y0 = b[b0 + k], y1 = b[b1 + k];
      s00 += x0 * y0;
      s01 += x0 * y1;
      s10 += x1 * y0;
      s11 += x1 * y1;
    }
    const at = i * rows + j;
    out[at] += s00;
    if (j + 1 < rows) out[at + 1] += s01;
    if (i + 1 < rows) {
      if (!upper || j > i) out[at + rows] += s10;
      if (j + 1 < rows) out[at + rows + 1] += s11;
    }
  }
}

/** Copies the upper triangle of a [d, d] matrix onto the lower one. */
function mirrorUpper(m: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) m[j * d + i] = m[i * d + j];
  return m;
}

/** S B S for symmetric S and B, [d, d]: (S Bᵀ) Sᵀ, as products of rows with rows. */
function sandwich(s: Float64Array, b: Float64Array, d: number): Float64Array {
  const sb = new Float64Array(d * d), out = new Float64Array(d * d);
  addTimesTransposed({ a: s, b, rows: d, inner: d, out: sb, upper: false });
  addTimesTransposed({ a: sb, b: s, rows: d, inner: d, out, upper: true });
  return mirrorUpper(out, d);
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
    const product = sandwich(root, other.cov, d);
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
