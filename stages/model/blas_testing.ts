/**
 * Tests of the blas backend need a system BLAS. Where none loads (a fresh machine with only
 * Node and npm) they are ignored, with one line saying how to enable them; CI sets
 * REQUIRE_BLAS=1 (and installs OpenBLAS), so there a missing BLAS fails them instead.
 */
import { BLAS_INSTALL_HINT } from "./compute.ts";
import { loadBlas } from "./blas_library.ts";

const loaded = loadBlas(1);
const missing = "problem" in loaded ? loaded.problem : undefined;
const required = !["", "0", undefined].includes(Deno.env.get("REQUIRE_BLAS"));
let told = false;

/** Deno.test, run when a BLAS loads, ignored (or failed, under REQUIRE_BLAS) when none does. */
export function blasTest(name: string, fn: () => void | Promise<void>): void {
  if (!missing) return Deno.test(name, fn);
  if (required) {
    return Deno.test(name, () => {
      throw new Error(`REQUIRE_BLAS is set but ${missing}; ${BLAS_INSTALL_HINT}`);
    });
  }
  if (!told) {
    console.log(`blas tests ignored: ${missing}; to run them: ${BLAS_INSTALL_HINT}`);
    told = true;
  }
  Deno.test({ name, ignore: true, fn });
}
