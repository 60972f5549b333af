/**
 * The `blas` tfjs backend: the wasm backend, with its matrix products done by a system BLAS
 * (blas_library.ts) on the wasm heap itself, with no copies. Every other kernel is wasm's
 * (but Identity, which shares memory instead of copying, and column sums, which are products),
 * so the model, the losses and evaluation run unchanged; only the products (and the fused
 * kernels, fused_*.ts) differ, and agree with wasm's to float rounding.
 *
 * Why build on wasm rather than tfjs's cpu backend: wasm's element-wise kernels are SIMD
 * loops, the cpu backend's are generic JavaScript (its scalar-broadcast Multiply alone costs
 * more per step than every BLAS product).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "./blas_library.ts";

export const BLAS_BACKEND = "blas";

/** The BLAS the backend's kernels call; set by registerBlasBackend before first use. */
let active: Blas | undefined;

/** The BLAS in use; kernels run only after registerBlasBackend, so it is always set. */
export function activeBlas(): Blas {
  if (!active) throw new Error("the blas backend was used before a BLAS was loaded");
  return active;
}

/** Kernels this module (and the fused_*.ts modules) replace or add for the blas backend. */
const OWN_KERNELS = new Map<string, tf.KernelConfig>();

/** Add or replace a kernel of the blas backend (call before registerBlasBackend). */
export function defineBlasKernel(config: Omit<tf.KernelConfig, "backendName">): void {
  OWN_KERNELS.set(config.kernelName, { ...config, backendName: BLAS_BACKEND });
}

/**
 * Make the `blas` backend available, doing its products with `blas`. The first call
 * registers it (a wasm instance of its own, wasm's kernels, then this module's); later calls
 * only switch the BLAS (e.g. a new thread count).
 */
export function registerBlasBackend(blas: Blas): void {
  active = blas;
  if (tf.engine().registryFactory[BLAS_BACKEND]) return;
  const wasm = tf.engine().registryFactory["wasm"];
  if (!wasm) throw new Error("the wasm backend is not registered (import tfjs-backend-wasm)");
  // Priority 0: never the backend tfjs picks on its own.
  tf.registerBackend(BLAS_BACKEND, wasm.factory, 0);
  for (const kernel of tf.getKernelsForBackend("wasm")) {
    if (!OWN_KERNELS.has(kernel.kernelName)) {
      tf.registerKernel({ ...kernel, backendName: BLAS_BACKEND });
    }
  }
  for (const kernel of OWN_KERNELS.values()) tf.registerKernel(kernel);
}

/** A tensor's float32 values, as a view of the wasm heap (valid until the next allocation). */
export function heapView(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A new float32 output tensor and a view of its memory, to be filled by the caller. */
export function newOutput(
  backend: BackendWasm,
  shape: number[],
): { info: tf.TensorInfo; view: Float32Array } {
  const info = backend.makeOutput(shape, "float32");
  return { info, view: heapView(backend, info) };
}

/** The product of a shape's leading (batch) dimensions. */
const batchOf = (shape: number[]) => shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * BatchMatMul: each batch's op(a)·op(b) by one sgemm, the transposes done by BLAS flags.
 * Batches broadcast where one side has a single one (all that tfjs's matMul makes here).
 */
defineBlasKernel({
  kernelName: tf.BatchMatMul,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const wasm = backend as BackendWasm;
    if (a.dtype !== "float32" || b.dtype !== "float32") {
      throw new Error(`blas backend: matMul of ${a.dtype} by ${b.dtype}; only float32 is done`);
    }
    const [aRows, aCols] = a.shape.slice(-2);
    const [bRows, bCols] = b.shape.slice(-2);
    const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
    const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
    const [aBatch, bBatch] = [batchOf(a.shape), batchOf(b.shape)];
    if (k !== kB || (aBatch !== bBatch && aBatch !== 1 && bBatch !== 1)) {
      throw new Error(`blas backend: matMul of [${a.shape}] by [${b.shape}] does not fit`);
    }
    const batchShape = (aBatch >= bBatch ? a.shape : b.shape).slice(0, -2);
    const out = newOutput(wasm, [...batchShape, m, n]);
    const [av, bv] = [heapView(wasm, a), heapView(wasm, b)];
    const blas = activeBlas();
    for (let i = 0; i < Math.max(aBatch, bBatch); i++) {
      const aAt = (aBatch === 1 ? 0 : i) * m * k;
      const bAt = (bBatch === 1 ? 0 : i) * k * n;
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        k,
        1,
        av.subarray(aAt, aAt + m * k),
        bv.subarray(bAt, bAt + k * n),
        0,
        out.view.subarray(i * m * n, (i + 1) * m * n),
      );
    }
    return out.info;
  },
});

/**
 * Identity shares the input's memory (one more reference) instead of copying it, as tfjs's
 * cpu backend does: no kernel writes its inputs, so a shared buffer is never changed under a
 * holder. The tape clones every tensor it saves for the backward pass, ~24 per training
 * step, and wasm's Identity copies each (weights included).
 */
defineBlasKernel({
  kernelName: tf.Identity,
  kernelFunc: ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    (backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
});

/** Rows of ones for the column sums, by length (1·X is a product with a ones row). */
const onesRows = new Map<number, Float32Array>();

/**
 * Sum: a float32 matrix's column sums (axis 0: the bias gradient of every dense layer) are
 * one BLAS product, onesᵀ·X; wasm would transpose the matrix first to reduce along its rows.
 * Every other sum is wasm's.
 */
const wasmSum = tf.getKernel(tf.Sum, "wasm")!;
defineBlasKernel({
  kernelName: tf.Sum,
  // wasm's Sum binds its function to the active backend's module when that backend is set.
  setupFunc: wasmSum.setupFunc,
  kernelFunc: (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    if (x.dtype !== "float32" || x.shape.length !== 2 || axes.length !== 1 || axes[0] !== 0) {
      return wasmSum.kernelFunc(args);
    }
    const [rows, cols] = x.shape;
    const wasm = args.backend as BackendWasm;
    const out = newOutput(wasm, keepDims ? [1, cols] : [cols]);
    if (!onesRows.has(rows)) onesRows.set(rows, new Float32Array(rows).fill(1));
    activeBlas().sgemm(
      false,
      false,
      1,
      cols,
      rows,
      1,
      onesRows.get(rows)!,
      heapView(wasm, x),
      0,
      out.view,
    );
    return out.info;
  },
});
