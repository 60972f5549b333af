import { assertEquals, assertIncludes, assertThrows } from "../pipeline/test_assert.ts";
import { evaluateSummaryLine, evaluateTable, metricTable } from "./bench_output.ts";
import { type EvaluateSide, evaluateSide, metricWarnings } from "./evaluate_results.ts";

/** An evaluate manifest's fields the bench reads, as the runner writes them. */
const manifest = (startedAt: string, endedAt: string, seconds: Record<string, number>) => ({
  startedAt,
  endedAt,
  runInfo: { seconds },
});

/** metrics.json's test section as the evaluate stage writes it (the fields read, and some). */
const metrics = (negElbo: number, bounds: Record<number, number>) => ({
  units: "nats per example",
  test: {
    examples: 2000,
    negElbo,
    iwExamples: 500,
    // Out of order on purpose: the largest K is found, not assumed last.
    iw: Object.entries(bounds).reverse().map(([k, logLikelihood]) => ({
      k: Number(k),
      logLikelihood,
      stdError: 0.5,
    })),
  },
});

const PHASES = {
  "test pass": 0.42,
  "train pass": 0.81,
  "importance weighting": 14.2,
  "mutual information": 0.2,
  images: 0.01,
};

const wasm = evaluateSide(
  "tfjs wasm",
  manifest("2025-01-01T10:00:00.000Z", "2025-01-01T10:00:16.000Z", PHASES),
  metrics(207.04, { 1: -207.1, 10: -209, 1000: -206.2 }),
);
const blas = evaluateSide(
  "tfjs blas",
  manifest("2025-01-01T10:01:00.000Z", "2025-01-01T10:01:04.000Z", {
    ...PHASES,
    "importance weighting": 3.1,
  }),
  metrics(207.05, { 1: -207.1, 1000: -206.21 }),
);

Deno.test("bench: an evaluate stage's times come from its manifest, its numbers from metrics.json", () => {
  assertEquals(wasm.seconds, 16); // startedAt to endedAt
  assertEquals(Object.keys(wasm.phases), Object.keys(PHASES)); // the stage's order
  assertEquals(wasm.phases["importance weighting"], 14.2);
  assertEquals(wasm.negElbo, 207.04);
  assertEquals(wasm.iw, { k: 1000, logLikelihood: -206.2, examples: 500 });
  // An ae has no −ELBO nor IW bound: null, not a crash.
  const ae = evaluateSide(
    "tfjs wasm",
    manifest("2025-01-01T10:00:00Z", "2025-01-01T10:00:01Z", { "test pass": 0.1 }),
    { test: { examples: 2000, negElbo: null, iw: null } },
  );
  assertEquals([ae.negElbo, ae.iw], [null, null]);
});

Deno.test("bench: an evaluate stage that stopped recording is one line, not zeros", () => {
  const start = "2025-01-01T10:00:00Z";
  const end = "2025-01-01T10:00:01Z";
  assertThrows(
    () =>
      evaluateSide("tfjs blas", { startedAt: start, endedAt: end, runInfo: {} }, metrics(1, {})),
    "tfjs blas's evaluate stage: its manifest has no runInfo.seconds",
  );
  assertThrows(
    () => evaluateSide("tfjs blas", manifest(start, end, { images: -1 }), metrics(1, {})),
    `runInfo.seconds["images"] is -1`,
  );
  assertThrows(
    () => evaluateSide("tfjs blas", manifest(end, start, {}), metrics(1, {})),
    "no start and end",
  );
  assertThrows(() => evaluateSide("x", manifest(start, end, {}), {}), "no test section");
});

Deno.test("bench: backends agree under 0.05 nats, and a side that does not is named", () => {
  assertEquals(metricWarnings([wasm, blas]), []); // 0.01 apart on both numbers
  const off: EvaluateSide = { ...blas, negElbo: 207.1 }; // 0.06 apart
  const [warning, ...more] = metricWarnings([wasm, off]);
  assertEquals(more, []);
  assertIncludes(warning, "tfjs blas's test −ELBO 207.10 is not within 0.05 nats of tfjs wasm's");
  const lacking: EvaluateSide = { ...blas, iw: null };
  assertIncludes(metricWarnings([wasm, lacking])[0], "log p̂_1000 none is not within");
  const otherK: EvaluateSide = { ...blas, iw: { k: 100, logLikelihood: -206.2, examples: 500 } };
  assertIncludes(
    metricWarnings([wasm, otherK])[0],
    "bounds log p̂ at K = 100, tfjs wasm at K = 1000",
  );
  assertEquals(metricWarnings([wasm]), []);
});

Deno.test("bench: the evaluate tables and summary line", () => {
  assertEquals(evaluateTable([wasm, blas]), [
    "seconds                  tfjs wasm  tfjs blas  speed-up",
    "the stage, start to end       16.0        4.0     4.00×",
    "  test pass                    0.4        0.4     1.00×",
    "  train pass                   0.8        0.8     1.00×",
    "  importance weighting        14.2        3.1     4.58×",
    "  mutual information           0.2        0.2     1.00×",
    "  images                       0.0        0.0", // too short for a ratio
  ]);
  // One backend (no BLAS loaded): no speed-up column.
  assertEquals(evaluateTable([wasm])[0], "seconds                  tfjs wasm");
  assertEquals(metricTable([wasm, blas]), [
    "nats                           tfjs wasm  tfjs blas  difference",
    "test −ELBO                        207.04     207.05       0.010",
    "log p̂_1000, 500 test examples    -206.20    -206.21       0.010",
  ]);
  assertEquals(
    evaluateSummaryLine([wasm, blas]),
    "evaluate:       tfjs blas / tfjs wasm = 4.00×; importance weighting alone: 4.58×",
  );
});
