/**
 * Assembles simd_kernels.wat into simd_kernels_wasm.ts (the bytes, as base64), with npm's
 * wabt: `deno task kernels`. Only this script and its test load wabt; the pipeline loads the
 * bytes. The test assembles again and checks the committed bytes are this source's.
 */
import wabtInit from "wabt";

const SOURCE = new URL("./simd_kernels.wat", import.meta.url);
const OUTPUT = new URL("./simd_kernels_wasm.ts", import.meta.url);

/** The module's bytes, assembled from the .wat source. */
export async function assembleKernels(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat("simd_kernels.wat", await Deno.readTextFile(SOURCE), { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
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
