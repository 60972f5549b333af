/**
 * Helpers for tests of stages: a StageContext built by hand, and temp folders that are
 * removed when the test or the test module ends.
 */
import { silentProgress } from "./progress.ts";
import type { StageContext } from "./stage.ts";

/**
 * A StageContext built by hand, as the runner would build one, for tests that call a stage
 * function directly: fresh empty out and work dirs, silent logging, records kept in `records`.
 */
export async function testContext<P>(
  params: P,
  options: {
    seed?: number;
    inputs?: Record<string, string>;
    inputKeys?: Record<string, string>;
    dir?: string;
  } = {},
): Promise<StageContext<P> & { records: Record<string, unknown> }> {
  const dir = options.dir ?? scratchDir();
  const outDir = await Deno.makeTempDir({ dir, prefix: "stage-out-" });
  const workDir = await Deno.makeTempDir({ dir, prefix: "stage-work-" });
  const records: Record<string, unknown> = {};
  return {
    params,
    inputs: options.inputs ?? {},
    inputKeys: options.inputKeys ?? {},
    outDir,
    workDir,
    seed: options.seed ?? 0,
    log: () => {},
    record: (name, value) => records[name] = value,
    progress: silentProgress,
    records,
  };
}

/** Run `fn` in a fresh temp dir, removed afterwards whatever happens. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
  prefix = "test-",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

let scratch: string | undefined;

/**
 * One temp folder per test module, made on first use and removed when the module's tests
 * end (the "unload" event), so a test that forgets to clean up still leaves nothing.
 */
export function scratchDir(): string {
  if (scratch === undefined) {
    const root = Deno.makeTempDirSync({ prefix: "test-scratch-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(root, { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    });
    scratch = root;
  }
  return scratch;
}

/** A fresh temp folder inside this test module's scratch folder. */
export function tempDir(prefix = "t-"): Promise<string> {
  return Deno.makeTempDir({ dir: scratchDir(), prefix });
}

/** A fresh temp file inside this test module's scratch folder. */
export function tempFile(suffix = ""): Promise<string> {
  return Deno.makeTempFile({ dir: scratchDir(), suffix });
}
