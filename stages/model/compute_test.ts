import { UserError } from "../../pipeline/errors.ts";
import { assert_, assertEquals, assertIncludes, assertThrows } from "../../pipeline/test_assert.ts";
import { blasTest } from "./blas_testing.ts";
import { computeOf, describeCompute, resolveCompute } from "./compute.ts";

/** `fn` with BLAS_LIBRARY naming no file: as on a machine without a BLAS. */
function withoutBlas(fn: () => void): void {
  const before = Deno.env.get("BLAS_LIBRARY");
  Deno.env.set("BLAS_LIBRARY", "/nonexistent/libopenblas.so.0");
  try {
    fn();
  } finally {
    if (before === undefined) Deno.env.delete("BLAS_LIBRARY");
    else Deno.env.set("BLAS_LIBRARY", before);
  }
}

Deno.test("wasm and cpu resolve to themselves, with nothing loaded", () => {
  assertEquals(resolveCompute("wasm"), { backend: "wasm" });
  assertEquals(resolveCompute("cpu", 4), { backend: "cpu" });
});

Deno.test("without a BLAS: auto is wasm, blas is a UserError naming the fix", () => {
  withoutBlas(() => {
    assertEquals(resolveCompute("auto"), { backend: "wasm" });
    const error = assertThrows(() => computeOf({ backend: "blas", blasThreads: undefined }));
    assert_(error instanceof UserError);
    assertIncludes(error.message, 'backend "blas" needs a BLAS, but BLAS_LIBRARY is');
    assertIncludes(error.message, "apt-get install libopenblas0-pthread");
    assertIncludes(error.message, "or use backend: auto");
  });
});

blasTest("with a BLAS: auto and blas resolve alike, the thread count in the identity", () => {
  const auto = resolveCompute("auto", 1);
  assertEquals(auto, resolveCompute("blas", 1));
  assert_(auto.backend === "blas");
  assertEquals(auto.blas.threads, 1);
  assertIncludes(describeCompute(auto), "1 thread)");
  assertEquals(describeCompute({ backend: "wasm" }), "wasm");
});
