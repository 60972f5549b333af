/**
 * `deno task profile [config.yaml]`: where a training's time goes, from V8's CPU profile of
 * the train stage (default configs/vae.yaml, on the backend its config resolves to), grouped
 * into what can be acted on: the BLAS products, the pipeline's SIMD kernels, tfjs's own wasm
 * kernels, tfjs's JavaScript (the engine: the tape, scopes, kernel dispatch), the pipeline's
 * JavaScript, garbage collection, and waiting (file writes and fsyncs of the checkpoints).
 * Prepare runs first, unprofiled, in the same temporary store, which is removed at the end.
 *
 * The profiler samples every ~1 ms and slows the run by a few per cent; the shares are what
 * to read, not the seconds.
 */
import { join, resolve } from "node:path";

/** The parts of a CPU profile this needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a sample's own time goes, by its function and script; the first match wins. */
function categories(ourWasm?: string): [string, (name: string, url: string) => boolean][] {
  const wasm = (name: string) => name.startsWith("wasm-function");
  return [
    [
      "BLAS products (cblas_sgemm)",
      (name, url) => name === "sgemm" || url.includes("blas_library"),
    ],
    // Our kernels' module is compiled from bytes, so V8 names it by a hash, not a file.
    ["pipeline SIMD kernels (simd_kernels.wat)", (name, url) => wasm(name) && url === ourWasm],
    ["tfjs wasm kernels", (name) => wasm(name)],
    ["garbage collection", (name) => name === "(garbage collector)"],
    ["waiting (file writes, fsync)", (name) => name === "(idle)"],
    [
      "tfjs JavaScript (engine, tape, dispatch)",
      (_, url) => /tf-(core|layers|backend-wasm)/.test(url),
    ],
    ["pipeline JavaScript", (_, url) => /\/(stages|pipeline)\//.test(url)],
  ];
}

/** Self time (ms) per category. */
export function categorize(profile: CpuProfile, ourWasm?: string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const tests = categories(ourWasm);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const found = tests.find(([, test]) => test(frame.functionName, frame.url));
    const name = found?.[0] ?? "other (Deno, module loading, I/O)";
    totals.set(name, (totals.get(name) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  return totals;
}

/**
 * The url V8 gives the pipeline's SIMD module: the wasm script with the fewest functions
 * (tfjs's has hundreds, ours a handful).
 */
export function ourWasmUrl(profile: CpuProfile): string | undefined {
  const functions = new Map<string, Set<string>>();
  for (const { callFrame: { functionName, url } } of profile.nodes) {
    if (!functionName.startsWith("wasm-function")) continue;
    if (!functions.has(url)) functions.set(url, new Set());
    functions.get(url)!.add(functionName);
  }
  const indices = (url: string) =>
    Math.max(...[...functions.get(url)!].map((f) => Number(f.match(/\d+/)?.[0] ?? 0)));
  return [...functions.keys()].sort((a, b) => indices(a) - indices(b))[0];
}

if (import.meta.main) {
  const config = Deno.args[0] ?? "configs/vae.yaml";
  if (config === "--help" || config === "-h") {
    console.log("usage: deno task profile [config.yaml]   (default configs/vae.yaml)");
    Deno.exit(0);
  }
  const dir = await Deno.makeTempDir({ prefix: "vae-profile-" });
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" })
        .output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    };
    const stage = new URL("./train_stage.ts", import.meta.url).pathname;
    const store = join(dir, "store");
    // Prepare first, unprofiled (with one epoch of training, which is thrown away), so that
    // the profiled run is the training: its data cached, its stage module loaded and run.
    const warmUp = join(dir, "warm-up.yaml");
    await Deno.writeTextFile(warmUp, `extends: ${resolve(config)}\ntrain:\n  epochs: 1\n`);
    console.error(`preparing the data of ${config} …`);
    await run(["run", "-A", stage, warmUp, store]);
    const profiles = join(dir, "profiles");
    console.error(`training ${config} under the profiler …`);
    await run(["run", "-A", "--cpu-prof", `--cpu-prof-dir=${profiles}`, stage, config, store]);
    // One profile per isolate: the stage's own thread, and Workers (the lock's heartbeat).
    const [file] = [...Deno.readDirSync(profiles)].map((e) => join(profiles, e.name))
      .filter((name) => !name.includes(".worker-"));
    const profile: CpuProfile = JSON.parse(await Deno.readTextFile(file));
    const totals = categorize(profile, ourWasmUrl(profile));
    const all = [...totals.values()].reduce((s, v) => s + v, 0);
    console.log(`train stage of ${config}, CPU profile: ${(all / 1000).toFixed(1)} s in all`);
    for (const [name, ms] of [...totals].sort((a, b) => b[1] - a[1])) {
      console.log(
        `${name.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${
          (100 * ms / all).toFixed(0).padStart(3)
        }%`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
