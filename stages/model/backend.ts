import * as tf from "@tensorflow/tfjs-core";
// Importing these only registers things; nothing is compiled or allocated until initBackend.
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-core's bundle registers no gradients (the union package adds them); the tfjs-layers
// bundle registers all of core's, so importing it is what makes tf.grads and optimizers work.
import "@tensorflow/tfjs-layers";

/**
 * The tfjs backend, chosen by the config. wasm (XNNPACK, SIMD, one thread under Deno) is the
 * fast one on these CPU-only machines; cpu is the pure-JS reference.
 *
 * Import this module before doing any tfjs maths: it registers the backends and gradients.
 */
export type BackendName = "wasm" | "cpu";

/** Make `name` the active backend. Idempotent: calling it again with the same name is free. */
export async function initBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) {
    throw new Error(`tfjs backend "${name}" failed to initialise (see the warning above)`);
  }
  await tf.ready();
  // The cpu backend's first write prints advice to install tfjs-node, which cannot install
  // here; stages must not write to the terminal, so mark the backend as already used.
  if (name === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/** What a result depends on at run time: it joins stage keys and manifests. */
export interface RuntimeVersions {
  tfjs: string;
  backend: string;
}

export function runtimeVersions(): RuntimeVersions {
  return { tfjs: tf.version_core, backend: tf.getBackend() };
}
