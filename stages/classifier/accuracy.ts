/** Accuracy of predicted class indices against true ones: overall and per true class. */
export interface Accuracy {
  overall: number;
  /** By class index; NaN for a class with no examples. */
  perClass: number[];
  /** Examples per class index. */
  counts: number[];
}

export function accuracy(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  numClasses: number,
): Accuracy {
  if (predicted.length !== truth.length) {
    throw new RangeError(`accuracy: ${predicted.length} predictions for ${truth.length} labels`);
  }
  const counts = new Array<number>(numClasses).fill(0);
  const right = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < truth.length; i++) {
    counts[truth[i]]++;
    if (predicted[i] === truth[i]) right[truth[i]]++;
  }
  const total = right.reduce((a, b) => a + b, 0);
  return {
    overall: truth.length ? total / truth.length : NaN,
    perClass: right.map((r, k) => (counts[k] ? r / counts[k] : NaN)),
    counts,
  };
}
