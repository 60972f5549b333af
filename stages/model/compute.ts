/**
 * Which backend a config computes on, resolved to what its results depend on. The config
 * says `backend: auto | wasm | blas | cpu` (auto: blas when a BLAS loads here, else wasm) and
 * `blasThreads`; `resolveCompute` turns that into a Compute, which joins the key and the
 * manifest of every stage that computes. So a wasm run and a BLAS run never share a key, and
 * two machines with the same library, CPU kernel and thread count do.
 *
 * No tfjs here: the stage table keys stages with this without loading tfjs.
 */
import type { ResolvedConfig } from "../config_schema.ts";
import { UserError } from "../../pipeline/errors.ts";
import { type BlasIdentity, loadBlas, locateBlas } from "./blas_library.ts";

/** What a config may ask for. */
export type BackendChoice = "auto" | "wasm" | "blas" | "cpu";

/** A tfjs backend this pipeline runs on. */
export type BackendName = "wasm" | "blas" | "cpu";

/** The backend a stage computes on, and for blas, the library's identity. */
export type Compute =
  | { backend: "wasm" | "cpu" }
  | { backend: "blas"; blas: BlasIdentity };

/** The threads a BLAS product uses when the config does not say: every core there is. */
export function defaultBlasThreads(): number {
  return navigator.hardwareConcurrency || 1;
}

/**
 * A config as one of `jobs` parallel workers runs it: unless it sets `blasThreads`, its BLAS
 * products get its share of the cores (the thread count joins the BLAS identity, so these runs
 * are keyed apart from a run that had every core).
 */
export function withCoreShare<C extends Pick<ResolvedConfig, "blasThreads">>(
  config: C,
  jobs: number,
): C {
  if (config.blasThreads !== undefined || jobs <= 1) return config;
  return { ...config, blasThreads: Math.max(1, Math.floor(defaultBlasThreads() / jobs)) };
}

/** Thrown when a config asks for `backend: blas` and no BLAS loads; says how to get one. */
export class NoBlasError extends Error {}

/** The fix for a missing BLAS, for messages and the README. */
export const BLAS_INSTALL_HINT = "install one (Debian/Ubuntu: apt-get install " +
  "libopenblas0-pthread) or set BLAS_LIBRARY to a CBLAS library file";

/**
 * The backend `choice` comes to on this machine. Loads the BLAS (once per process) to learn
 * its identity, so this needs the FFI permission for the library file locateBlas() names.
 */
export function resolveCompute(choice: BackendChoice, threads?: number): Compute {
  if (choice === "wasm" || choice === "cpu") return { backend: choice };
  const loaded = loadBlas(threads ?? defaultBlasThreads());
  if (!("problem" in loaded)) return { backend: "blas", blas: loaded.identity };
  if (choice === "auto") return { backend: "wasm" };
  throw new NoBlasError(`backend "blas" needs a BLAS, but ${loaded.problem}; ${BLAS_INSTALL_HINT}`);
}

/**
 * What a config's stages compute on here: it joins their keys. A config that asks for blas
 * where none loads gets a one-line UserError (the runner adds the config file's name).
 */
export function computeOf(config: Pick<ResolvedConfig, "backend" | "blasThreads">): Compute {
  try {
    return resolveCompute(config.backend, config.blasThreads);
  } catch (error) {
    if (!(error instanceof NoBlasError)) throw error;
    throw new UserError(`${error.message}, or use backend: auto`);
  }
}

/** The library file a blas or auto backend would open here (for the launcher's permissions). */
export function blasLibraryFile(): string | undefined {
  return locateBlas();
}

/** One line naming the backend, for reports: `blas (libopenblasp-r0.3.21.so, Haswell, 2 threads)`. */
export function describeCompute(compute: Compute): string {
  if (compute.backend !== "blas") return compute.backend;
  const { library, core, threads } = compute.blas;
  return `blas (${
    [library, core, `${threads} thread${threads === 1 ? "" : "s"}`]
      .filter(Boolean).join(", ")
  })`;
}
