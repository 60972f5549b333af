/**
 * The compute path as a user meets it, through `deno task` (so with the launcher's
 * permissions): `backend: auto` takes the system BLAS when one loads and says so in every
 * manifest, verify reproduces a BLAS run byte for byte, and without a BLAS (forced here by
 * BLAS_LIBRARY naming no file) auto falls back to wasm while `backend: blas` is a one-line
 * error with the fix.
 */
import { join } from "node:path";
import { tempDir } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { blasTest } from "../stages/model/blas_testing.ts";
import { denoTask } from "./cli_testing.ts";

const FIXTURE = new URL("./fixtures/synthetic.yaml", import.meta.url).pathname;
const NO_BLAS = { BLAS_LIBRARY: "/nonexistent/libopenblas.so.0" };

/** The `compute` params of every stage that computes, from the store's manifests. */
async function computes(store: string): Promise<Record<string, { backend: string }>> {
  const found: Record<string, { backend: string }> = {};
  for (const stage of ["train", "evaluate"]) {
    for await (const entry of Deno.readDir(join(store, stage))) {
      const manifest = JSON.parse(
        await Deno.readTextFile(join(store, stage, entry.name, "manifest.json")),
      );
      found[stage] = manifest.keyInputs.params.compute;
    }
  }
  return found;
}

/** `fn` with a fresh store and reports folder, removed afterwards. */
async function withFolders(fn: (folders: string[]) => Promise<void>) {
  const dir = await tempDir();
  try {
    const [store, reports] = [join(dir, "artifacts"), join(dir, "reports")];
    await fn(["--artifacts", store, "--reports", reports]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

blasTest("backend auto computes with the system BLAS, and verify reproduces it", async () => {
  await withFolders(async (folders) => {
    const run = await denoTask(["run", FIXTURE, ...folders]);
    assertEquals(run.code, 0, run.stderr);
    const found = await computes(folders[1]);
    for (const [stage, compute] of Object.entries(found)) {
      assertEquals(compute.backend, "blas", stage);
      const { blas } = compute as unknown as { blas: Record<string, unknown> };
      assert_(String(blas.fingerprint).length > 20 && Number(blas.threads) >= 1, stage);
    }
    const verify = await denoTask(["verify", FIXTURE, ...folders]);
    assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  });
});

Deno.test("without a BLAS, auto falls back to wasm and `backend: blas` says how to get one", async () => {
  await withFolders(async (folders) => {
    const run = await denoTask(["run", FIXTURE, ...folders], NO_BLAS);
    assertEquals(run.code, 0, run.stderr);
    for (const compute of Object.values(await computes(folders[1]))) {
      assertEquals(compute, { backend: "wasm" });
    }
    const config = join(folders[1], "..", "blas.yaml");
    await Deno.writeTextFile(config, `extends: ${FIXTURE}\nbackend: blas\n`);
    const refused = await denoTask(["run", config, ...folders], NO_BLAS);
    assertEquals(refused.code, 1);
    assertEquals(refused.stderr.split("\n").length, 1, refused.stderr);
    assertIncludes(
      refused.stderr,
      `${config}: classify: backend "blas" needs a BLAS, but BLAS_LIBRARY is ${NO_BLAS.BLAS_LIBRARY}, ` +
        "which is no file; install one",
    );
    assertIncludes(refused.stderr, "apt-get install libopenblas0-pthread");
    assertIncludes(refused.stderr, "or use backend: auto");
  });
});
