/**
 * log Σ exp(v_i) over values[start, end), shifted by the maximum so that no exp overflows
 * (a log-weight of −1000 or +1000 is ordinary here) and at least one term is exp(0) = 1.
 * −∞ terms contribute nothing; all −∞ (or none) gives −∞; +∞ gives +∞; NaN propagates.
 */
export function logSumExp(values: ArrayLike<number>, start = 0, end = values.length): number {
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    if (Number.isNaN(values[i])) return NaN;
    if (values[i] > max) max = values[i];
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = start; i < end; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/** log((1/n) Σ exp(v_i)) over values[start, end): the log of a mean of exponentials. */
export function logMeanExp(values: ArrayLike<number>, start = 0, end = values.length): number {
  return logSumExp(values, start, end) - Math.log(end - start);
}
