/**
 * Fused kernels of the blas backend: one SIMD pass over memory (simd_kernels.wat) where tfjs
 * would run several ops, each with its own allocation, launch and pass over the data. Once
 * the matrix products are BLAS's, this per-op work is most of what is left (the profile is in
 * the README's "Where the time goes").
 *
 * Each fused op has a composite twin of ordinary tfjs ops with the same maths; the callers
 * (adam.ts, losses.ts) use the kernel where the active backend has it (hasKernel) and the twin
 * elsewhere, so wasm and cpu runs are unchanged. The two agree to float32 rounding.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, defineBlasKernel, heapView, newOutput } from "./blas_backend.ts";
import { repeatRows } from "./repeat_rows.ts";
import { type SimdKernels, simdKernels } from "./simd_kernels.ts";

/** Whether the active backend has the kernel `name` (else use the composite twin). */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** The SIMD kernels on this backend's memory. */
function kernelsOf(backend: BackendWasm): SimdKernels {
  const module = backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } };
  return simdKernels(module.asm.memory);
}

/** Where a tensor's data lies in the backend's memory (a byte offset). */
function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** Adam's update of one parameter: see AdamUpdateAttrs and adam.ts. */
export const ADAM_UPDATE = "PipelineAdamUpdate";

export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^t and 1 − β2^t, the bias corrections of step t. */
  correction1: number;
  correction2: number;
}

/**
 * [param, m, v, gradient] → [param', m', v']:
 * m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g², param' = param − lr·m̂ / (√v̂ + ε),
 * m̂ = m'/(1 − β1^t), v̂ = v'/(1 − β2^t).
 */
export function adamUpdate(
  param: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  gradient: tf.Tensor,
  attrs: AdamUpdateAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs = { param, m, v, gradient } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

defineBlasKernel({
  kernelName: ADAM_UPDATE,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { param, m, v, gradient } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as AdamUpdateAttrs;
    const outputs = [param, m, v].map((t) => wasm.makeOutput(t.shape, "float32"));
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    kernelsOf(wasm).adam(
      at(param),
      at(m),
      at(v),
      at(gradient),
      ...outputs.map(at) as [number, number, number],
      tf.util.sizeFromShape(param.shape),
      a.beta1,
      a.beta2,
      a.epsilon,
      a.learningRate / a.correction1,
      1 / Math.sqrt(a.correction2),
    );
    return outputs;
  },
});

/** The Bernoulli negative log-likelihood of each row, and its logits' gradient. */
export const BERNOULLI_NLL = "PipelineBernoulliNll";
const BERNOULLI_NLL_GRAD = "PipelineBernoulliNllGrad";

/**
 * Whether bernoulliNllRows can run here: on the blas backend, for rows whose width is a
 * multiple of 4 (the SIMD lanes; 784-pixel images are).
 */
export function canFuseBernoulliNll(logits: tf.Tensor2D): boolean {
  return logits.shape[1] % 4 === 0 && hasKernel(BERNOULLI_NLL);
}

/**
 * Σ_pixels softplus(l) − x·l for each row of logits [rows, cols], in one pass, where x holds
 * one row for each `repeat` rows of logits (several decodings of one image); the gradient
 * dl = dy·(σ(l) − x) is a second kernel (registered below), and ∂x = −dy·l is taken only when
 * x needs one.
 */
export function bernoulliNllRows(logits: tf.Tensor2D, x: tf.Tensor2D, repeat = 1): tf.Tensor1D {
  const inputs = { logits, x } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(BERNOULLI_NLL, inputs, { repeat }) as tf.Tensor1D;
}

defineBlasKernel({
  kernelName: BERNOULLI_NLL,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { logits, x } = inputs as Record<string, tf.TensorInfo>;
    const { repeat } = attrs as unknown as { repeat: number };
    const [rows, cols] = logits.shape;
    if (x.shape[0] * repeat !== rows || x.shape[1] !== cols) {
      throw new Error(
        `bernoulliNllRows: x [${x.shape}] × ${repeat} does not fit [${rows}, ${cols}]`,
      );
    }
    const out = wasm.makeOutput([rows], "float32");
    kernelsOf(wasm).bernoulli_nll_rows(
      offsetOf(wasm, logits),
      offsetOf(wasm, x),
      offsetOf(wasm, out),
      rows,
      cols,
      repeat,
    );
    return out;
  },
});

defineBlasKernel({
  kernelName: BERNOULLI_NLL_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const { logits, x, dy } = inputs as Record<string, tf.TensorInfo>;
    const [rows, cols] = logits.shape;
    const out = wasm.makeOutput(logits.shape, "float32");
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    kernelsOf(wasm).bernoulli_nll_grad(at(logits), at(x), at(dy), at(out), rows, cols);
    return out;
  },
});

tf.registerGradient({
  kernelName: BERNOULLI_NLL,
  inputsToSave: ["logits", "x"],
  gradFunc: (dy, saved, attrs) => {
    const [logits, x] = saved as tf.Tensor2D[];
    const { repeat } = attrs as unknown as { repeat: number };
    const images = repeat === 1 ? x : repeatRows(x, repeat);
    const dx = () => tf.mul(tf.expandDims(dy as tf.Tensor, 1), tf.neg(logits));
    return {
      logits: () =>
        tf.engine().runKernel(
          BERNOULLI_NLL_GRAD,
          { logits, x: images, dy } as tf.NamedTensorMap,
          {},
        ),
      // Each image's gradient sums over its repeats.
      x: () => tf.sum(tf.reshape(dx(), [x.shape[0], repeat, x.shape[1]]), 1),
    };
  },
});

/** A dense layer, activation(x·W + b), in one kernel: BLAS for the product, SIMD for tanh. */
export const DENSE = "PipelineDense";
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
  return tf.engine().runKernel(DENSE, inputs, { activation }) as tf.Tensor2D;
}

defineBlasKernel({
  kernelName: DENSE,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { x, w, b } = inputs as Record<string, tf.TensorInfo | undefined>;
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
    if ((attrs as unknown as { activation: FusedActivation }).activation === "tanh") {
      const whole = n * m - (n * m) % 4;
      kernelsOf(wasm).tanh_in_place(offsetOf(wasm, out.info), whole);
      for (let i = whole; i < n * m; i++) out.view[i] = Math.tanh(out.view[i]);
    }
    return out.info;
  },
});

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

tf.registerGradient({
  kernelName: DENSE,
  inputsToSave: ["x", "w"],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved as tf.Tensor2D[];
    const tanh = (attrs as unknown as { activation: FusedActivation }).activation === "tanh";
    const dpre = tanh
      ? tf.engine().runKernel(TANH_GRAD, { y, dy } as tf.NamedTensorMap, {}) as tf.Tensor2D
      : dy as tf.Tensor2D;
    return {
      x: () => tf.matMul(dpre, w, false, true),
      w: () => tf.matMul(x, dpre, true, false),
      b: () => tf.sum(dpre, 0),
    };
  },
});
