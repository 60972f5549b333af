import { assertEquals } from "../pipeline/test_assert.ts";
import { categorize, ourWasmUrl } from "./profile.ts";

/** A CPU profile of one node per call frame, sampled once per entry of `samples` (1 ms each). */
function profile(frames: [string, string][], samples: number[]) {
  return {
    nodes: frames.map(([functionName, url], id) => ({ id, callFrame: { functionName, url } })),
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

Deno.test("profile: self time by category, the pipeline's wasm told from tfjs's", () => {
  const p = profile(
    [
      ["sgemm", "file:///p/stages/model/blas_library.ts"],
      ["wasm-function[3]", "wasm://wasm/abc"], // ours: few functions
      ["wasm-function[412]", "wasm://wasm/tfjs"],
      ["Engine.runKernel", "file:///n/tf-core.node.js"],
      ["runEpoch", "file:///p/stages/train.ts"],
      ["(garbage collector)", ""],
      ["(idle)", ""],
      ["op_write", ""],
    ],
    [0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7],
  );
  assertEquals(ourWasmUrl(p), "wasm://wasm/abc");
  const totals = categorize(p, ourWasmUrl(p));
  assertEquals(Object.fromEntries(totals), {
    "BLAS products (cblas_sgemm)": 3,
    "pipeline SIMD kernels (simd_kernels.wat)": 1,
    "tfjs wasm kernels": 2,
    "tfjs JavaScript (engine, tape, dispatch)": 1,
    "pipeline JavaScript": 1,
    "garbage collection": 1,
    "waiting (file writes, fsync)": 1,
    "other (Deno, module loading, I/O)": 1,
  });
});
