/**
 * The step benchmark's section of `deno task bench`: the sgemm peak, then the step's
 * samples/s on tfjs wasm, tfjs blas and PyTorch on each thread count, as one table with the
 * GFLOP/s each achieves and its share of the peak, and the ratios to PyTorch's last row.
 */
import { loadBlas } from "../stages/model/blas_library.ts";
import { BLAS_INSTALL_HINT, defaultBlasThreads } from "../stages/model/compute.ts";
import { alignColumns, plural, speedRatio, type StepSide, stepTable } from "./bench_output.ts";
import { stepFlops } from "./flops.ts";
import { best, type Result } from "./rounds.ts";
import { measureSgemm, peakOf } from "./sgemm_peak.ts";
import { benchTfjs, STEP_SHAPE, type StepOptions } from "./step_bench.ts";
import { PINNING_VARIABLES, runTorch } from "./torch_child.ts";

const threadsLabel = (n: number) => plural(n, "thread");

export interface StepSection {
  /** Every side measured, for the noise warnings. */
  results: Result[];
  /** Our fastest side: blas when a BLAS loads, else wasm. */
  ours: Result;
  /** PyTorch on each thread count (none when PyTorch is missing). */
  torch: Result[];
  blasLoads: boolean;
}

/** How this process's environment pins OpenBLAS (the blas side runs with it as it is). */
function pinning(): string {
  const set = PINNING_VARIABLES.filter((v) => Deno.env.get(v) !== undefined);
  return set.length ? set.map((v) => `${v}=${Deno.env.get(v)}`).join(" ") : "neither set";
}

/** Measure every side (saying what runs through `say`), then print the section. */
export async function stepSection(
  options: StepOptions,
  python: string | undefined,
  torchThreads: number[],
  say: (line: string) => void,
): Promise<StepSection> {
  say("measuring sgemm …");
  const sgemm = measureSgemm(torchThreads);
  say("step benchmark: tfjs wasm …");
  const wasm: StepSide = { result: await benchTfjs("wasm", options), kernel: "" };
  let blas: StepSide | undefined;
  if (!("problem" in sgemm)) {
    say("step benchmark: tfjs blas …");
    const result = await benchTfjs("blas", options);
    const loaded = loadBlas(defaultBlasThreads()); // already open: only reads its identity
    const kernel = "problem" in loaded
      ? ""
      : `${loaded.identity.core}, ${threadsLabel(loaded.identity.threads)}`;
    blas = { result, kernel };
  }
  const torch: StepSide[] = [];
  for (const threads of python ? torchThreads : []) {
    const label = `torch ${threadsLabel(threads)}`;
    say(`step benchmark: ${label} …`);
    const { steps, rounds, warmup } = options;
    const flags = Object.entries({ steps, rounds, warmup, threads }).map(([k, v]) => `--${k}=${v}`);
    const out = await runTorch(python!, "train_speed.py", flags);
    const kernel = `${out.core}, ${threadsLabel(threads)}`;
    torch.push({ result: { label, rounds: out.rounds as number[] }, kernel });
  }

  const { input, hidden, latent, batch } = STEP_SHAPE;
  const flops = stepFlops(STEP_SHAPE);
  console.log(
    `── Step: VAE ${input}-${hidden.join("-")}-${latent}, tanh, Bernoulli, β = 1 KL, Adam, ` +
      `batch ${batch} ──`,
  );
  console.log(
    `${(flops / 1e6).toFixed(1)} MFLOP per step, counting the matrix products (2·m·n·k): x·W ` +
      "and xᵀ·dy of every layer, dy·Wᵀ of every layer but the encoder's first (its input is " +
      "data: neither side computes that one); element-wise work is not counted",
  );
  let peak: number | undefined;
  if ("problem" in sgemm) {
    console.log(`tfjs blas: no BLAS loaded (${sgemm.problem}); ${BLAS_INSTALL_HINT}`);
  } else {
    const { library, core } = sgemm.blas.identity;
    console.log(`sgemm GFLOP/s of ${library}, core ${core} (this environment: ${pinning()}):`);
    const rows = sgemm.results.map((r) => [
      `  ${r.shape.label}`,
      ...torchThreads.map((t) => r.gflops[t].toFixed(0)),
    ]);
    for (const line of alignColumns([["", ...torchThreads.map(threadsLabel)], ...rows])) {
      console.log(line);
    }
    const most = torchThreads.at(-1)!;
    peak = peakOf(sgemm.results, most);
    console.log(`peak: ${peak.toFixed(0)} GFLOP/s (the best shape on ${threadsLabel(most)})`);
  }
  console.log("");
  const sides = [wasm, ...(blas ? [blas] : []), ...torch];
  for (const line of stepTable(sides, flops, batch, peak)) console.log(line);
  const two = torch.at(-1)?.result;
  if (!python) console.log("PyTorch not importable: no comparison (apt-get install python3-torch)");
  else {
    console.log(
      `torch ran with ${PINNING_VARIABLES.join(" and ")} unset (OpenBLAS's own kernel for ` +
        "this CPU, on torch's thread count); tfjs blas with this environment's",
    );
  }
  if (two) {
    const ratios = [blas, wasm].flatMap((s) =>
      s ? [`${s.result.label} / ${two.label} = ${speedRatio(best(s.result), best(two))}`] : []
    );
    console.log(`ratios of best rounds: ${ratios.join(",  ")}`);
  }
  return {
    results: sides.map((s) => s.result),
    ours: (blas ?? wasm).result,
    torch: torch.map((s) => s.result),
    blasLoads: blas !== undefined,
  };
}
