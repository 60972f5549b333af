/**
 * A split as the evaluator reads it (Examples), binarized once by a seeded draw when asked,
 * with its subsets and relabellings.
 */
import type { Rng } from "../../lib/rng.ts";
import type { Dataset } from "../data/dataset.ts";
import { binarizeInPlace, classIndices } from "../training/batches.ts";

/** A split as the evaluator reads it: flat pixels [n, inputDim], labels, one-hot class indices. */
export interface Examples {
  x: Float32Array;
  labels: Uint8Array;
  /** Position of each label in the dataset card's `classes` (the one-hot index). */
  classIndex: Int32Array;
  n: number;
  inputDim: number;
}

/**
 * The split's examples. With a `binarizer` every pixel is drawn once as Bernoulli(grey level):
 * the fixed, seeded binarization that makes a Bernoulli likelihood a proper one when the
 * model was trained with dynamic binarization.
 */
export function examplesOf(data: Dataset, classes: number[], binarizer?: Rng): Examples {
  // The split's own pixels unless binarized (evaluation only reads them): copying the train
  // split's 25 MB took ~0.1 s.
  const x = binarizer ? data.images.slice() : data.images;
  if (binarizer) binarizeInPlace(x, binarizer);
  return {
    x,
    labels: data.labels,
    classIndex: classIndices(data.labels, classes),
    n: data.labels.length,
    inputDim: data.height * data.width,
  };
}

/** The examples at `indices`, in that order (copied). */
export function subset(ex: Examples, indices: ArrayLike<number>): Examples {
  const x = new Float32Array(indices.length * ex.inputDim);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(ex.x.subarray(i * ex.inputDim, (i + 1) * ex.inputDim), k * ex.inputDim);
  }
  return {
    x,
    labels: Uint8Array.from(indices, (i) => ex.labels[i]),
    classIndex: Int32Array.from(indices, (i) => ex.classIndex[i]),
    n: indices.length,
    inputDim: ex.inputDim,
  };
}

/** The same examples, each given the class index `classIndex` (for per-label bounds). */
export function relabelled(ex: Examples, classIndex: number): Examples {
  return { ...ex, classIndex: new Int32Array(ex.n).fill(classIndex) };
}

/** Whether every pixel is exactly 0 or 1 (then a Bernoulli likelihood is a proper one). */
export function isBinary(x: Float32Array): boolean {
  return x.every((v) => v === 0 || v === 1);
}
