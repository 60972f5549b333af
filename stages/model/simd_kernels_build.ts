/**
 * Assembles simd_kernels.wat into simd_kernels_wasm.ts (the bytes, as base64), with npm's
 * wabt, then optimizes them with npm's binaryen: `deno task kernels`. Only this script and
 * its test load the two; the pipeline loads the bytes. The test assembles again and checks
 * the committed bytes are this source's.
 *
 * Why binaryen: V8 does not inline one WebAssembly function into another, and a call per
 * four lanes of e^x cost the Bernoulli likelihood a quarter of its time (9.0 → 6.9 ms for
 * 5,000 × 784 logits, measured here). Binaryen inlines $exp, $log and $sigmoid into each
 * kernel, so the source keeps one copy of each. It keeps IEEE semantics (no fast-math), so
 * every result is the one the source computes.
 */
import binaryen from "binaryen";
import wabtInit from "wabt";

const SOURCE = new URL("./simd_kernels.wat", import.meta.url);
const OUTPUT = new URL("./simd_kernels_wasm.ts", import.meta.url);

/** The module's bytes, assembled from the .wat source and optimized. */
export async function assembleKernels(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat("simd_kernels.wat", await Deno.readTextFile(SOURCE), { simd: true });
  try {
    module.validate();
    return optimize(new Uint8Array(module.toBinary({}).buffer));
  } finally {
    module.destroy();
  }
}

/** Binaryen's -O3, with the element-wise helpers (under 100 instructions each) inlined. */
function optimize(bytes: Uint8Array): Uint8Array {
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    binaryen.setFlexibleInlineMaxSize(100);
    module.optimize();
    if (!module.validate()) throw new Error("simd_kernels: binaryen's output does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** The TypeScript module that carries `bytes`. */
export function kernelsModule(bytes: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...bytes));
  const lines = base64.match(/.{1,96}/g) ?? [];
  return [
    "// Made by `deno task kernels` from simd_kernels.wat (see simd_kernels_build.ts): do not edit.",
    "export const SIMD_KERNELS_WASM_BASE64 =",
    ...lines.map((line, i) => `  "${line}"${i === lines.length - 1 ? ";" : " +"}`),
    "",
  ].join("\n");
}

if (import.meta.main) {
  const bytes = await assembleKernels();
  await Deno.writeTextFile(OUTPUT, kernelsModule(bytes));
  console.log(`${OUTPUT.pathname}: ${bytes.length} bytes of WebAssembly`);
}
