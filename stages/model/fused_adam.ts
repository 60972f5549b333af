/**
 * Adam's update of one parameter in one SIMD pass on the blas backend (adam.ts uses it there;
 * see fused_support.ts for the family).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { defineBlasKernel } from "./blas_backend.ts";
import { kernelsOf, offsetOf } from "./fused_support.ts";

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
