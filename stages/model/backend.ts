/**
 * The tfjs backend, chosen by the config (see compute.ts). wasm (XNNPACK, SIMD, one thread
 * under Deno) runs anywhere; blas is wasm with its matrix products and a few fused kernels
 * done by a system BLAS (blas_backend.ts); cpu is the pure-JS reference.
 *
 * Import this module before doing any tfjs maths: it registers the backends and gradients.
 */
import * as tf from "@tensorflow/tfjs-core";
// Importing these only registers things; nothing is compiled or allocated until initBackend.
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-core's bundle registers no gradients (the union package adds them); the tfjs-layers
// bundle registers all of core's, so importing it is what makes tf.grads and optimizers work.
import "@tensorflow/tfjs-layers";
import { BLAS_BACKEND, registerBlasBackend } from "./blas_backend.ts";
import { type BlasIdentity, loadBlas } from "./blas_library.ts";
import { type BackendName, type Compute, defaultBlasThreads, NoBlasError } from "./compute.ts";
// These define the blas backend's fused kernels, before it registers.
import "./fused_adam.ts";
import "./fused_bernoulli.ts";
import "./fused_dense.ts";
import "./fused_gaussian.ts";

export type { BackendName, Compute };

/**
 * Make a backend the active one: a name (blas on every core), or a resolved Compute, whose
 * BLAS identity must then be the one this process loads (a stage keyed on one library must
 * not compute with another). Idempotent: asking again for the active backend is free.
 */
export async function initBackend(target: BackendName | Compute): Promise<void> {
  const compute: Compute = typeof target === "string"
    ? target === BLAS_BACKEND ? { backend: "blas", blas: loadedIdentity() } : { backend: target }
    : target;
  const name = compute.backend;
  if (compute.backend === "blas") useBlas(compute.blas);
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) {
    throw new Error(`tfjs backend "${name}" failed to initialise (see the warning above)`);
  }
  await tf.ready();
  // The cpu backend's first write prints advice to install tfjs-node, which cannot install
  // here; stages must not write to the terminal, so mark the backend as already used.
  if (name === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/** The identity of the BLAS this process loads on every core (throws if there is none). */
function loadedIdentity(): BlasIdentity {
  const blas = loadBlas(defaultBlasThreads());
  if ("problem" in blas) throw new NoBlasError(blas.problem);
  return blas.identity;
}

/** Load the BLAS `expected` names with its thread count, and check it is that one. */
function useBlas(expected: BlasIdentity): void {
  const blas = loadBlas(expected.threads);
  if ("problem" in blas) throw new NoBlasError(blas.problem);
  const differs = (Object.keys(expected) as (keyof BlasIdentity)[])
    .filter((k) => blas.identity[k] !== expected[k]);
  if (differs.length > 0) {
    const what = differs.map((k) => `${k} ${blas.identity[k]} (planned ${expected[k]})`);
    throw new Error(`the BLAS loaded here is not the one the stage was keyed on: ${what}`);
  }
  registerBlasBackend(blas);
}

/** What a result depends on at run time: it joins stage keys and manifests. */
export interface RuntimeVersions {
  tfjs: string;
  backend: string;
}

export function runtimeVersions(): RuntimeVersions {
  return { tfjs: tf.version_core, backend: tf.getBackend() };
}
