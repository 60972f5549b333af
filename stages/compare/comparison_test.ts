import { configSchema } from "../config_schema.ts";
import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import type { Metrics } from "../evaluation/metrics.ts";
import {
  type ComparedRun,
  comparisonNotes,
  comparisonTable,
  comparisonTables,
  objective,
  seedSummaryTable,
} from "./comparison.ts";
import { capabilitiesOf } from "../model/kinds.ts";
import { cellText, type Table } from "../render/document.ts";

const config = (name: string, overrides: Record<string, unknown>) => ({
  ...configSchema.parse(overrides),
  name,
});

/** Just the numbers the comparison reads; the rest of metrics.json is never touched. */
const metricsOf = (part: Record<string, unknown>) => part as unknown as Metrics;

Deno.test("objective names what an ablation varies, in one phrase", () => {
  const loss = (o: Record<string, unknown>) => configSchema.parse({ loss: o }).loss;
  assertEquals(objective(loss({}), "vae"), "KL, β = 1");
  assertEquals(
    objective(loss({ beta: 4, warmupEpochs: 10 }), "vae"),
    "KL, β = 4; warm-up 10 epochs",
  );
  assertEquals(objective(loss({ freeBits: 0.5 }), "vae"), "KL, β = 1; free bits 0.5");
  assertEquals(
    objective(loss({ regularizer: "split-kl", wMu: 2 }), "vae"),
    "split KL, wμ = 2, wσ = 1",
  );
  assertEquals(
    objective(loss({ regularizer: "separate-l2" }), "cvae-prior"),
    "‖μ‖² and ‖log σ²‖², wμ = 1, wσ = 1",
  );
  assertEquals(objective(loss({ regularizer: "none" }), "vae"), "no regularizer");
  assertEquals(objective(loss({}), "ae"), "reconstruction only (ae)");
});

Deno.test("comparison rows: numbers from metrics.json, n/a where a model has none", () => {
  const vae = metricsOf({
    likelihood: "bernoulli",
    units: "nats per example",
    test: {
      negElbo: 100.123,
      distortion: 90,
      rate: 10.123,
      activeUnits: 3,
      latentDim: 8,
      mutualInformation: 2.5,
      iwExamplesElbo: -101,
      iw: [{ k: 1, logLikelihood: -101.01, stdError: 1 }, {
        k: 100,
        logLikelihood: -99.5,
        stdError: 1,
      }],
    },
    train: { negElbo: 98 },
  });
  const ae = metricsOf({
    likelihood: "bernoulli",
    units: "nats per example",
    test: { negElbo: null, distortion: 80, rate: null, activeUnits: 2, latentDim: 2, iw: null },
    train: { negElbo: null },
  });
  const runs: ComparedRun[] = [
    { config: config("vae", {}), group: "vae", evaluateKey: "a".repeat(64), metrics: vae },
    {
      config: config("ae", { model: { kind: "ae" } }),
      group: "ae",
      evaluateKey: "b".repeat(64),
      metrics: ae,
    },
  ];
  const table = comparisonTable(runs);
  const rows = table.rows.map((row) =>
    Object.fromEntries(row.map((cell, i) => [table.columns[i], cellText(cell)]))
  );
  assertEquals(rows[0]["−ELBO"], "100.12");
  assertEquals(rows[0]["bound on"], "log p(x)");
  assertEquals(rows[1]["bound on"], "n/a", "an ae bounds nothing");
  assertEquals(rows[0]["IW bound"], "-99.50");
  assertEquals(rows[0]["IW − ELBO"], "1.50");
  assertEquals(rows[0]["active units"], "3 of 8");
  assertEquals(rows[0]["sample acc."], "n/a");
  assertEquals(rows[0].evaluate, "aaaaaaaa");
  assertEquals(rows[1]["−ELBO"], "n/a");
  assertEquals(rows[1].distortion, "80.00");
  assertEquals(rows[1]["IW bound"], "n/a");
  assertEquals(rows[1].objective, "reconstruction only (ae)");
});

Deno.test("seed summary: mean ± sample sd per config, only when a config has several runs", () => {
  const run = (name: string, group: string, seed: number, negElbo: number): ComparedRun => ({
    config: config(name, { seed }),
    group,
    evaluateKey: "c".repeat(64),
    metrics: metricsOf({
      likelihood: "bernoulli",
      units: "nats per example",
      test: {
        negElbo,
        distortion: negElbo - 5,
        rate: 5,
        activeUnits: 2,
        latentDim: 2,
        frechet: negElbo / 10,
      },
      train: {},
    }),
  });
  assertEquals(seedSummaryTable([run("a", "a", 0, 100), run("b", "b", 0, 90)]), null);
  const table = seedSummaryTable([
    run("vae-seed0", "vae", 0, 100),
    run("vae-seed1", "vae", 1, 102),
    run("vae-seed2", "vae", 2, 107),
    run("ae", "ae", 0, 90),
  ])!;
  const rows = table.rows.map((row) =>
    Object.fromEntries(row.map((cell, i) => [table.columns[i], cellText(cell)]))
  );
  // Mean 103, sample variance ((−3)² + (−1)² + 4²) / 2 = 13, sd √13 = 3.61.
  assertEquals(rows[0]["−ELBO"], "103.00 ± 3.61");
  assertEquals(rows[0].rate, "5.00 ± 0.00");
  assertEquals(rows[0]["Fréchet"], "10.30 ± 0.36"); // the sample metric, over seeds alike
  assertEquals(rows[0]["Fréchet floor"], "n/a");
  assertEquals(rows[0].seeds, "0, 1, 2");
  assertEquals(rows[1]["−ELBO"], "90.00");
  assertEquals(rows[1]["sample acc. (%)"], "n/a");
});

/** A run of `kind` with the given test metrics (the rest made up, and consistent). */
function scored(name: string, kind: string, test: Record<string, unknown>): ComparedRun {
  const conditional = capabilitiesOf(kind).conditional;
  return {
    config: config(name, { model: { kind } }),
    group: name,
    evaluateKey: "d".repeat(64),
    metrics: metricsOf({
      likelihood: "bernoulli",
      units: "nats per example",
      model: { kind, regularizer: "kl", beta: 1 },
      test: {
        negElbo: 170,
        distortion: 165,
        rate: 5,
        activeUnits: 2,
        latentDim: 2,
        mutualInformation: 4.1,
        logN: Math.log(2000),
        iwExamplesElbo: -171,
        iw: [{ k: 1000, logLikelihood: -169.5, stdError: 2 }],
        ...test,
      },
      train: { negElbo: 169 },
      ...(conditional ? { cvae: { logPxGivenY: -170, sampleAccuracy: 0.5 } } : {}),
    }),
  };
}

const rowsOf = (table: Table) =>
  table.rows.map((row) => Object.fromEntries(row.map((c, i) => [table.columns[i], cellText(c)])));

Deno.test("comparison tables: the IW column names what every run's bound is on", () => {
  const [bound, code] = comparisonTables([scored("a", "vae", {}), scored("b", "vae", {})]);
  assertEquals(bound.columns, [
    "config",
    "model",
    "objective",
    "−ELBO",
    "distortion",
    "rate",
    "log p(x), IW",
    "IW − ELBO",
  ]);
  assertEquals(code.columns, [
    "config",
    "train −ELBO",
    "active units",
    "MI (nats)",
    "sample acc.",
    "Fréchet",
    "Fréchet floor",
    "class Fréchet",
    "evaluate",
  ]);
  const cvaes = comparisonTables([scored("c", "cvae-prior", {}), scored("d", "cvae-concat", {})]);
  assertEquals(cvaes[0].columns[6], "log p(x | y), IW");
  assert_(!cvaes[0].columns.includes("bound on"), "one evidence needs no per-run column");
});

Deno.test("comparison: a vae beside a cvae, the notes say which bound is on what", () => {
  const runs = [scored("vae", "vae", {}), scored("cvae", "cvae-prior", {})];
  const [bound] = comparisonTables(runs);
  // Mixed: no one evidence in the header; never "log p(x)" over a CVAE's log p(x | y).
  assertEquals(bound.columns.slice(3, 4), ["bound on"]);
  assertEquals(bound.columns[7], "IW bound");
  assertEquals(rowsOf(bound).map((r) => r["bound on"]), ["log p(x)", "log p(x | y)"]);
  assertEquals(rowsOf(comparisonTable(runs)).map((r) => r["bound on"]), [
    "log p(x)",
    "log p(x | y)",
  ]);
  const notes = comparisonNotes(runs).join("\n");
  assertIncludes(
    notes,
    "For vae, −ELBO is an upper bound on −log p(x) and the IW bound a lower bound on " +
      "log p(x); for cvae, −ELBO is an upper bound on −log p(x | y) and the IW bound a " +
      "lower bound on log p(x | y), y the true label.",
  );
});

Deno.test("comparison: an MI estimate past log N is marked saturated, never 'a ≤ b'", () => {
  // As the `none` ablation printed it: 7.62 against log 2,000 = 7.60.
  const runs = [scored("none", "vae", { mutualInformation: 7.623 }), scored("kl", "vae", {})];
  const rows = rowsOf(comparisonTables(runs)[1]);
  assertEquals(rows.map((r) => r["MI (nats)"]), ["7.62 †", "4.10"]);
  const notes = comparisonNotes(runs);
  const caveat = notes.find((n) => n.startsWith("†"));
  assertIncludes(caveat ?? "", "† At its ceiling log N (none): the estimator is saturated");
  assertIncludes(caveat ?? "", "biased low");
  for (const [, a, b] of notes.join("\n").matchAll(/(-?\d+\.\d+) ≤ (-?\d+\.\d+)/g)) {
    assert_(Number(a) <= Number(b), `prints ${a} ≤ ${b}`);
  }
  // Below the ceiling, no mark and no caveat.
  assert_(!comparisonNotes([scored("kl", "vae", {})]).some((n) => n.startsWith("†")));
});

Deno.test("comparison notes: the Fréchet columns with their N, only when a run has them", () => {
  const runs = [
    scored("a", "vae", { frechet: 30, frechetFloor: 0.4, frechetSamples: 2000 }),
    scored("b", "vae", {}),
  ];
  assertEquals(rowsOf(comparisonTables(runs)[1]).map((r) => r["Fréchet"]), ["30.00", "n/a"]);
  const note = comparisonNotes(runs).find((n) => n.startsWith("Fréchet:"));
  assertIncludes(note ?? "", "between N = 2,000 decoded prior samples and as many test images");
  assertIncludes(note ?? "", "lower is better");
  assert_(!comparisonNotes([scored("b", "vae", {})]).some((n) => n.startsWith("Fréchet")));
});
