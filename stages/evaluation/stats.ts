/** Plain float64 statistics over arrays of per-example numbers. */

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Population variance (divided by n): a property of these examples, not an estimate. */
export function variance(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return sum / values.length;
}

/** Standard error of the mean: the sample standard deviation (n − 1) over √n. */
export function standardError(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  return Math.sqrt((variance(values) * n) / (n - 1) / n);
}

/** Column j of a row-major [n, width] matrix. */
export function column(matrix: ArrayLike<number>, width: number, j: number): Float64Array {
  const n = matrix.length / width;
  return Float64Array.from({ length: n }, (_, i) => matrix[i * width + j]);
}

/** Sum of each row of a row-major [n, width] matrix. */
export function rowSums(matrix: ArrayLike<number>, width: number): Float64Array {
  const n = matrix.length / width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) out[i] += matrix[i * width + j];
  }
  return out;
}

/** The rows at `indices` of a row-major [n, width] matrix, in that order. */
export function rowsAt(matrix: Float32Array, width: number, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((i, k) => out.set(matrix.subarray(i * width, (i + 1) * width), k * width));
  return out;
}
