/**
 * What the system BLAS itself reaches on this machine, measured in the same run as the
 * training benchmarks: single-precision products of a large square and of the step model's
 * own shapes, on 1 and 2 threads. The best 2-thread figure is the "peak" each side's
 * achieved GFLOP/s is set against, so the comparison says how much of the hardware a
 * training step uses, not only which side is faster.
 */
import { Rng } from "../lib/rng.ts";
import { type Blas, loadBlas } from "../stages/model/blas_library.ts";

/** One product C [m, n] = op(A) [m, k] · B [k, n]; `transposeA` as the weight gradient xᵀ·dy. */
export interface GemmShape {
  label: string;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
}

/** The square and the 784-512-20 step's largest products at batch 128. */
export const PEAK_SHAPES: GemmShape[] = [
  { label: "1024×1024·1024×1024", m: 1024, n: 1024, k: 1024 },
  { label: "x·W   128×784·784×512", m: 128, n: 512, k: 784 },
  { label: "xᵀ·dy 784×128·128×512", m: 784, n: 512, k: 128, transposeA: true },
  { label: "h·W   128×512·512×784", m: 128, n: 784, k: 512 },
];

export interface GemmResult {
  shape: GemmShape;
  /** GFLOP/s by thread count. */
  gflops: Record<number, number>;
}

/** Timed batches per measurement; the best is kept (the least disturbed, as for rounds). */
const BATCHES = 5;
/** Roughly how long one timed batch runs. */
const BATCH_MS = 40;

/** GFLOP/s of `shape` on `blas` as it is set now: the best of BATCHES timed batches. */
function measure(blas: Blas, shape: GemmShape): number {
  const { m, n, k, transposeA = false } = shape;
  const rng = new Rng(0);
  const random = (size: number) => Float32Array.from({ length: size }, () => rng.uniform() - 0.5);
  const [a, b, c] = [random(m * k), random(k * n), new Float32Array(m * n)];
  const once = () => blas.sgemm(transposeA, false, m, n, k, 1, a, b, 0, c);
  for (let i = 0; i < 3; i++) once(); // thread start-up and caches are not what we time
  const start = performance.now();
  once();
  const reps = Math.max(1, Math.round(BATCH_MS / Math.max(performance.now() - start, 0.01)));
  let best = Infinity;
  for (let batch = 0; batch < BATCHES; batch++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) once();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return (2 * m * n * k) / (best / 1000) / 1e9;
}

/**
 * Each shape's GFLOP/s on each thread count, or the reason no BLAS loads. Leaves the BLAS
 * set to the last thread count given, so call it with the count the backend will use last.
 */
export function measureSgemm(
  threads: number[],
  shapes = PEAK_SHAPES,
): { results: GemmResult[]; blas: Blas } | { problem: string } {
  const results = shapes.map((shape) => ({ shape, gflops: {} as Record<number, number> }));
  let blas: Blas | undefined;
  for (const t of threads) {
    const loaded = loadBlas(t);
    if ("problem" in loaded) return loaded;
    blas = loaded;
    for (const r of results) r.gflops[t] = measure(loaded, r.shape);
  }
  return { results, blas: blas! };
}

/** The best GFLOP/s on `threads` threads over every shape measured. */
export function peakOf(results: GemmResult[], threads: number): number {
  return Math.max(...results.map((r) => r.gflops[threads] ?? 0));
}
