/**
 * What the blas backend's fused kernels share: whether the active backend has a kernel, and
 * where a tensor lies in the wasm backend's memory, for the SIMD kernels (simd_kernels.wat).
 *
 * Each fused op (fused_adam.ts, fused_dense.ts, fused_bernoulli.ts, fused_gaussian.ts) does in
 * one pass over memory what tfjs would do in several ops, each with its own allocation, launch
 * and pass, and (under the gradient tape) its bookkeeping. Once the matrix products are
 * BLAS's, that per-op work is most of what is left (the profile is in the README). Each has a
 * composite twin of ordinary tfjs ops with the same maths: the callers use the kernel where the
 * active backend has it and the twin elsewhere, so wasm and cpu runs are unchanged. The two
 * agree to float32 rounding.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type SimdKernels, simdKernels } from "./simd_kernels.ts";

/** Whether the active backend has the kernel `name` (else use the composite twin). */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** The SIMD kernels on this backend's memory. */
export function kernelsOf(backend: BackendWasm): SimdKernels {
  const module = backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } };
  return simdKernels(module.asm.memory);
}

/** Where a tensor's data lies in the backend's memory (a byte offset). */
export function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
