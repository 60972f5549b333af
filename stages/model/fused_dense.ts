/**
 * A dense layer with its bias and activation in one kernel on the blas backend: BLAS for the
 * product, SIMD for tanh (dense.ts uses it there; see fused_support.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, defineBlasKernel, heapView, newOutput } from "./blas_backend.ts";
import { hasKernel, kernelsOf, offsetOf } from "./fused_support.ts";

/** A dense layer, activation(x·W + b), in one kernel: BLAS for the product, SIMD for tanh. */
export const DENSE = "PipelineDense";
/** The same with tanh: a kernel of its own, so that only it keeps its output for the gradient. */
const DENSE_TANH = "PipelineDenseTanh";
const TANH_GRAD = "PipelineTanhGrad";

/** The activations the dense kernel applies itself. */
export type FusedActivation = "linear" | "tanh";

/** Whether denseKernel can compute activation(x·W + b) here (blas backend, a fused activation). */
export function canFuseDense(activation: string): activation is FusedActivation {
  return (activation === "linear" || activation === "tanh") && hasKernel(DENSE);
}

/**
 * activation(x [n, in] · w [in, out] + b [out]) → [n, out]. Its gradient (registered below)
 * is dpre = dy·(1 − y²) for tanh (dy for linear), ∂x = dpre·Wᵀ, ∂W = xᵀ·dpre, ∂b = Σ_rows
 * dpre, each taken only when something upstream needs it (no ∂x for data).
 */
export function denseKernel(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D | undefined,
  activation: FusedActivation,
): tf.Tensor2D {
  const inputs = (b ? { x, w, b } : { x, w }) as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(activation === "tanh" ? DENSE_TANH : DENSE, inputs) as tf.Tensor2D;
}

/** activation(x·W + b) into a new tensor: the bias laid first, BLAS adds the product to it. */
function denseForward(
  wasm: BackendWasm,
  { x, w, b }: Record<string, tf.TensorInfo | undefined>,
  activation: FusedActivation,
): tf.TensorInfo {
  const [n, k] = x!.shape;
  const m = w!.shape[1];
  const out = newOutput(wasm, [n, m]);
  if (b) {
    // The bias goes in first and the product is added to it (sgemm's β = 1): no extra pass.
    // One row, then copies of what is there, doubling: memcpy speed, in log₂(n) calls.
    out.view.set(heapView(wasm, b));
    for (let filled = 1; filled < n; filled *= 2) {
      out.view.copyWithin(filled * m, 0, Math.min(filled, n - filled) * m);
    }
  }
  const [xv, wv] = [heapView(wasm, x!), heapView(wasm, w!)];
  activeBlas().sgemm(false, false, n, m, k, 1, xv, wv, b ? 1 : 0, out.view);
  if (activation === "tanh") kernelsOf(wasm).tanh_in_place(offsetOf(wasm, out.info), n * m);
  return out.info;
}

for (const [kernelName, activation] of [[DENSE, "linear"], [DENSE_TANH, "tanh"]] as const) {
  defineBlasKernel({
    kernelName,
    kernelFunc: ({ inputs, backend }) =>
      denseForward(backend as BackendWasm, inputs as Record<string, tf.TensorInfo>, activation),
  });
}

defineBlasKernel({
  kernelName: TANH_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const { y, dy } = inputs as Record<string, tf.TensorInfo>;
    const out = wasm.makeOutput(y.shape, "float32");
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    kernelsOf(wasm).tanh_grad(at(y), at(dy), at(out), tf.util.sizeFromShape(y.shape));
    return out;
  },
});

/** ∂x, ∂W, ∂b from dpre, the gradient before the activation; each taken only when needed. */
function denseGradients(x: tf.Tensor2D, w: tf.Tensor2D, dpre: tf.Tensor2D) {
  return {
    x: () => tf.matMul(dpre, w, false, true),
    w: () => tf.matMul(x, dpre, true, false),
    b: () => tf.sum(dpre, 0),
  };
}

tf.registerGradient({
  kernelName: DENSE,
  inputsToSave: ["x", "w"],
  gradFunc: (dy, saved) => {
    const [x, w] = saved as tf.Tensor2D[];
    return denseGradients(x, w, dy as tf.Tensor2D);
  },
});

tf.registerGradient({
  kernelName: DENSE_TANH,
  inputsToSave: ["x", "w"],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, w, y] = saved as tf.Tensor2D[];
    const dpre = tf.engine().runKernel(TANH_GRAD, { y, dy } as tf.NamedTensorMap, {});
    return denseGradients(x, w, dpre as tf.Tensor2D);
  },
});
