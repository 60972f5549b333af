/**
 * The WebAssembly SIMD kernels of simd_kernels.wat, instantiated on a tfjs wasm backend's own
 * memory: they read and write tensors where they lie. Pointers are byte offsets into that
 * memory (a tensor's `memoryOffset`).
 */
import { SIMD_KERNELS_WASM_BASE64 } from "./simd_kernels_wasm.ts";

export interface SimdKernels {
  /**
   * out[r] = Σ_j softplus(l[r, j]) − x[floor(r / repeat), j]·l[r, j], for cols a multiple of 4.
   */
  bernoulli_nll_rows(
    l: number,
    x: number,
    out: number,
    rows: number,
    cols: number,
    repeat: number,
  ): void;
  /** nll[r] as bernoulli_nll_rows's out (repeat 1), and mse[r] = Σ_j (x − σ(l))². */
  bernoulli_recon_rows(
    l: number,
    x: number,
    nll: number,
    mse: number,
    rows: number,
    cols: number,
  ): void;
  /** dl[r, j] = dy[r]·(σ(l[r, j]) − x[r, j]), for cols a multiple of 4. */
  bernoulli_nll_grad(
    l: number,
    x: number,
    dy: number,
    dl: number,
    rows: number,
    cols: number,
  ): void;
  /** tanh of n floats in place. */
  tanh_in_place(p: number, n: number): void;
  /** out = dy·(1 − y²) for n floats. */
  tanh_grad(y: number, dy: number, out: number, n: number): void;
  /** Adam's update of n parameters into pOut, mOut, vOut (see the .wat for the formula). */
  adam(
    p: number,
    m: number,
    v: number,
    g: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
    s: number,
  ): void;
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The kernels working on `memory` (compiled once, instantiated once per memory). */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  let kernels = instances.get(memory);
  if (!kernels) {
    compiled ??= new WebAssembly.Module(
      Uint8Array.from(atob(SIMD_KERNELS_WASM_BASE64), (c) => c.charCodeAt(0)),
    );
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}
