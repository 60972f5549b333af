import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { configSchema } from "./config_schema.ts";
import { computeOf } from "./model/compute.ts";
import { capabilitiesOf, MODEL_KINDS, type ModelKind } from "./model/kinds.ts";
import { readNpy } from "../lib/npy.ts";
import { recordingProgress } from "../pipeline/progress_testing.ts";
import { Rng } from "../lib/rng.ts";
import type { StageContext } from "../pipeline/stage.ts";
import { testContext } from "../pipeline/stage_testing.ts";
import { readCsv } from "../lib/table.ts";
import { assert_, assertClose, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { readClassifierSummary } from "./classifier/summary.ts";
import { evaluate, type EvaluateStageParams } from "./evaluate.ts";
import { readMetrics } from "./evaluation/metrics.ts";
import { classifierDir, preparedDir, ROOT, SEED, trainedDir } from "./evaluation/test_models.ts";

const PARAMS: EvaluateStageParams = (() => {
  const c = configSchema.parse({
    seed: SEED,
    evaluate: {
      iwK: [1, 10, 100],
      iwExamples: 40,
      batchSize: 500,
      miExamples: 60,
      reconstructions: 8,
      priorSamples: 12,
      samplesPerClass: 20,
      classSampleImages: 5,
      gridSize: 5,
      frechetSamples: 60,
    },
  });
  return { seed: c.seed, compute: computeOf(c), evaluate: c.evaluate };
})();

async function runEvaluate(
  kind: ModelKind,
  model: Record<string, unknown> = {},
  progress?: StageContext["progress"],
  params = PARAMS,
): Promise<string> {
  const inputs = {
    prepare: await preparedDir(),
    train: await trainedDir(kind, model),
    // As the registry has it: the classifier when the model is conditional or asks for the
    // Fréchet distance.
    ...(capabilitiesOf(kind).conditional || params.evaluate.frechetSamples > 0
      ? { classify: await classifierDir() }
      : {}),
  };
  const ctx = await testContext(params, { dir: ROOT, inputs, seed: SEED });
  await evaluate(progress ? { ...ctx, progress } : ctx);
  return ctx.outDir;
}

const COMMON = [
  "metrics.json",
  "kl_per_dim.csv",
  "iw.csv",
  "latents.csv",
  "reconstructions.npy",
  "prior_samples.npy",
  "traversal.npy",
  "images.json",
];
const CVAE = ["per_class.csv", "class_samples.npy"];
const PRIOR_TABLE = ["class_means.csv", "class_distances.csv"];

function expectedFiles(kind: ModelKind): string[] {
  const { conditional, learnedPriorMean } = capabilitiesOf(kind);
  return [...COMMON, ...(conditional ? CVAE : []), ...(learnedPriorMean ? PRIOR_TABLE : [])]
    .sort();
}

async function filesOf(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(dir)) {
    files.set(entry.name, await Deno.readFile(join(dir, entry.name)));
  }
  return files;
}

/** Every number in a JSON value (nulls allowed only where a reason says why). */
function numbers(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.flatMap(numbers);
  if (value && typeof value === "object") return Object.values(value).flatMap(numbers);
  return [];
}

for (const kind of MODEL_KINDS) {
  Deno.test(`evaluate ${kind}: every file, finite numbers, byte-identical when run twice`, async () => {
    const first = await runEvaluate(kind);
    const before = tf.memory().numTensors;
    const second = await runEvaluate(kind);
    assertEquals(tf.memory().numTensors, before, "evaluate leaked tensors");
    const [a, b] = [await filesOf(first), await filesOf(second)];
    assertEquals([...a.keys()].sort(), expectedFiles(kind));
    for (const [name, bytes] of a) assertEquals(bytes, b.get(name), `${name} differs between runs`);

    const metrics = JSON.parse(new TextDecoder().decode(a.get("metrics.json")));
    assertEquals(metrics.units, "nats per example");
    assert_(numbers(metrics).every(Number.isFinite), "every number in metrics.json is finite");
    assertEquals(metrics.test.examples, 80);
    assertEquals(metrics.test.latentDim, 2);
    assert_(metrics.likelihood.includes("continuous-target BCE"), metrics.likelihood);

    const klRows = await readCsv(join(first, "kl_per_dim.csv"));
    assertEquals(Object.keys(klRows[0]), [
      "dim",
      "kl",
      "mean_mu_sq",
      "mean_sigma_sq",
      "mean_log_var",
      "activity",
      "active",
    ]);
    const latents = await readCsv(join(first, "latents.csv"));
    assertEquals(latents.length, 80);
    assertEquals(Object.keys(latents[0]), ["z0", "z1", "label"]);

    for (const [file, shape] of imageShapes(kind)) {
      const image = await readNpy(join(first, file));
      assertEquals(image.shape, shape, file);
      assert_((image.data as Float32Array).every((v) => v >= 0 && v <= 1), `${file} in [0, 1]`);
    }
    const notes = JSON.parse(new TextDecoder().decode(a.get("images.json")));
    for (const [file] of imageShapes(kind)) {
      const id = file.replace(".npy", "");
      assert_(typeof notes[id]?.description === "string", `images.json describes ${id}`);
    }
  });
}

function imageShapes(kind: ModelKind): [string, number[]][] {
  const cvae = capabilitiesOf(kind).conditional;
  return [
    ["reconstructions.npy", [2, 8, 8, 8]],
    ["prior_samples.npy", [12, 8, 8]],
    ["traversal.npy", [5, 5, 8, 8]],
    ...(cvae ? [["class_samples.npy", [4, 5, 8, 8]] as [string, number[]]] : []),
  ];
}

Deno.test("evaluate scores models with a posterior: IW rises with K, MI within [0, log N]", async () => {
  for (const kind of MODEL_KINDS.filter((k) => capabilitiesOf(k).stochastic)) {
    const dir = await runEvaluate(kind);
    const { test, train } = await readMetrics(dir);
    assertClose(test.negElbo!, test.distortion + test.rate!, 1e-9);
    assertClose(train.negElbo!, train.distortion + train.rate!, 1e-9);
    assert_(test.mutualInformation! >= 0 && test.mutualInformation! <= test.logN!, kind);
    assertEquals(test.iw!.map((e) => e.k), [1, 10, 100]);
    const iw = await readCsv(join(dir, "iw.csv"));
    assertEquals(iw.map((r) => r.log_likelihood), test.iw!.map((e) => e.logLikelihood));
    // Nested draws: the bound climbs with K (on 40 examples, well beyond the noise).
    const values = iw.map((r) => r.log_likelihood as number);
    assert_(values[0] < values[1] && values[1] < values[2], `${kind}: IW ${values}`);
    // The tightest bound beats the ELBO of the same examples.
    const elbo = test.iwExamplesElbo!;
    assert_(values[2] > elbo, `${kind}: IW ${values}, ELBO ${elbo}`);
    // The rise is the paired difference: its mean is the difference of the means.
    for (const row of iw) {
      const rise = row.rise as number;
      assertClose(rise, (row.log_likelihood as number) - elbo, 1e-9);
      assert_((row.rise_std_error as number) > 0, `${kind}: a rise with no spread`);
    }
  }
});

Deno.test("evaluate names each phase from the first second, with a bar for the IW loop", async () => {
  const { progress, loops } = recordingProgress();
  const dir = await runEvaluate("cvae-prior", {}, progress);
  const [phases, iw] = loops;
  assertEquals(loops.map((l) => [l.label, l.done]), [["evaluate", true], ["evaluate IW", true]]);
  assertEquals(phases.ticks.map((t) => `${t.step} ${t.info}`), [
    "0 load",
    "1 test pass",
    "2 train pass",
    "3 importance weighting",
    "4 mutual information",
    "5 conditional",
    "6 fréchet distance",
    "7 tables",
    "8 images",
  ]);
  assertEquals([phases.total, phases.options], [9, { phases: true }]);
  assertEquals(iw.ticks.length, iw.total);
  // Progress only shows: the files are the ones a silent run writes, byte for byte.
  assertEquals(await filesOf(dir), await filesOf(await runEvaluate("cvae-prior")));
});

Deno.test("evaluate ae: distortion at z = μ; ELBO, rate, IW and MI null with reasons", async () => {
  const dir = await runEvaluate("ae");
  const { test, train } = await readMetrics(dir);
  for (const key of ["negElbo", "rate", "iw", "mutualInformation", "bceSampledZ"] as const) {
    assertEquals(test[key], null, key);
    assert_(test.reasons?.[key]?.includes("an ae has no posterior variance"), key);
  }
  assertEquals(train.negElbo, null);
  assertClose(test.distortion, test.bceMeanZ, 1e-9); // Bernoulli: the NLL is the BCE
  assertEquals(
    await Deno.readTextFile(join(dir, "iw.csv")),
    "k,log_likelihood,std_error,rise,rise_std_error\n",
  );
  const kl = await readCsv(join(dir, "kl_per_dim.csv"));
  assert_(kl.every((r) => r.kl === "" && typeof r.activity === "number"), "no KL, but activity");
});

Deno.test("evaluate cvae: per-class bounds, sample accuracy, class-mean tables", async () => {
  const dir = await runEvaluate("cvae-prior");
  const { cvae, test } = await readMetrics(dir);
  assert_(cvae, "a cvae block");
  assertClose(cvae.logPxGivenY, -test.negElbo!, 1e-9);
  // log Σ_y (1/C) exp(ELBO_y) ≥ (1/C)·exp(ELBO_true): log p(x) ≥ log p(x|y) − log C, here
  // in the mean over examples too.
  assert_(cvae.logPx >= cvae.logPxGivenY - Math.log(4) - 1e-9, JSON.stringify(cvae));
  const perClass = await readCsv(join(dir, "per_class.csv"));
  assertEquals(Object.keys(perClass[0]), [
    "label",
    "n",
    "log_px_given_y",
    "sample_accuracy",
    "frechet",
    "frechet_floor",
    "frechet_examples",
  ]);
  // 60 test images in 4 equal classes: 15 per class, and the mean over classes.
  assertEquals(perClass.map((r) => r.frechet_examples), [15, 15, 15, 15]);
  const classMean = perClass.reduce((s, r) => s + (r.frechet as number), 0) / 4;
  assertClose(cvae.frechetClassMean!, classMean, 1e-12);
  assertEquals(perClass.reduce((s, r) => s + (r.n as number), 0), 80);
  const mean = perClass.reduce((s, r) => s + (r.sample_accuracy as number), 0) / 4;
  assertClose(cvae.sampleAccuracy, mean, 1e-12);
  const classifier = await readClassifierSummary(await classifierDir());
  assertEquals(cvae.classifierTestAccuracy, classifier.testAccuracy);
  const means = await readCsv(join(dir, "class_means.csv"));
  assertEquals(Object.keys(means[0]), ["label", "z0", "z1"]);
  const distances = await readCsv(join(dir, "class_distances.csv"));
  assertEquals(distances[1].to_1, 0);
  assertEquals(distances[0].to_2, distances[2].to_0);
});

Deno.test("evaluate a Gaussian decoder: its density in nats, its BCE and MSE of the means", async () => {
  const gaussian = { likelihood: "gaussian", gaussian: { variance: "learned", sigma: 0.3 } };
  const dir = await runEvaluate("vae", gaussian);
  const metrics = await readMetrics(dir);
  assert_(metrics.likelihood.startsWith("gaussian: −log N(x; decoder mean, σ² I)"));
  assert_(metrics.likelihood.includes("a learned shared log σ²"), metrics.likelihood);
  assert_(numbers(metrics).every(Number.isFinite), "every number in metrics.json is finite");
  const { test } = metrics;
  assertClose(test.negElbo!, test.distortion + test.rate!, 1e-9);
  assert_(test.bceMeanZ > 0 && test.mseMeanZ > 0 && test.bceMeanZ !== test.distortion);
});

/**
 * The evaluator's test −ELBO and its parts, recomputed here without any of its code: the
 * weights read from weights.json/.bin as raw float32, the MLPs run in float64 loops, the
 * Bernoulli NLL and the KL written out, ε drawn from the documented stream
 * (seed → "evaluate" → "elbo-<split>", latentDim normals per example in order).
 */
Deno.test("the evaluator's ELBO equals an independent float64 computation to 1e-4", async () => {
  for (const kind of MODEL_KINDS) {
    const dir = await runEvaluate(kind);
    const metrics = await readMetrics(dir);
    const weights = await readWeights(await trainedDir(kind));
    for (const split of ["test", "train"] as const) {
      const expected = await independentElbo(weights, kind, split);
      const got = metrics[split];
      assertClose(got.distortion, expected.distortion, 1e-4, `${kind} ${split} distortion`);
      if (!capabilitiesOf(kind).stochastic) continue;
      assertClose(got.rate!, expected.rate, 1e-4, `${kind} ${split} rate`);
      assertClose(got.negElbo!, expected.negElbo, 1e-4, `${kind} ${split} −ELBO`);
      if (split === "test") {
        const { test } = metrics;
        assertClose(test.bceMeanZ, expected.bceMeanZ, 1e-4, `${kind} BCE at μ`);
        assertClose(test.mseMeanZ, expected.mseMeanZ, 1e-4, `${kind} MSE at μ`);
      }
    }
  }
});

type Weights = Map<string, { shape: number[]; values: Float32Array }>;

async function readWeights(dir: string): Promise<Weights> {
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "weights.json")));
  const bytes = await Deno.readFile(join(dir, "weights.bin"));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const out: Weights = new Map();
  let offset = 0;
  for (const { name, shape, dtype } of manifest.weights) {
    assertEquals(dtype, "float32");
    const size = shape.reduce((a: number, b: number) => a * b, 1);
    out.set(name, { shape, values: all.slice(offset, offset + size) });
    offset += size;
  }
  return out;
}

/** x·W + b for one example, float64. */
function layer(w: Weights, name: string, x: number[]): number[] {
  const { shape: [inputs, outputs], values: kernel } = w.get(`${name}/kernel`)!;
  const bias = w.get(`${name}/bias`)!.values;
  return Array.from({ length: outputs }, (_, j) => {
    let sum = bias[j];
    for (let i = 0; i < inputs; i++) sum += x[i] * kernel[i * outputs + j];
    return sum;
  });
}

/** The tanh hidden stack `prefix/hidden_0…`, then the named head(s). */
function hidden(w: Weights, prefix: string, x: number[]): number[] {
  let h = x;
  for (let i = 0; w.has(`${prefix}/hidden_${i}/kernel`); i++) {
    h = layer(w, `${prefix}/hidden_${i}`, h).map(Math.tanh);
  }
  return h;
}

const softplus = (l: number) => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

async function independentElbo(w: Weights, kind: ModelKind, split: "test" | "train") {
  const prepared = await preparedDir();
  const images = (await readNpy(join(prepared, `${split}_images.npy`))).data as Float32Array;
  const labels = (await readNpy(join(prepared, `${split}_labels.npy`))).data as Uint8Array;
  const classes: number[] = JSON.parse(await Deno.readTextFile(join(prepared, "dataset.json")))
    .classes;
  const pixels = 64;
  const d = 2;
  const eps = new Rng(SEED).fork("evaluate").fork(`elbo-${split}`);
  const oneHot = (y: number) => classes.map((c) => (c === y ? 1 : 0));
  let [distortion, rate, bceMean, mseMean] = [0, 0, 0, 0];
  for (let n = 0; n < labels.length; n++) {
    const x = Array.from(images.subarray(n * pixels, (n + 1) * pixels));
    const label = capabilitiesOf(kind).labelInput ? oneHot(labels[n]) : [];
    const h = hidden(w, "encoder", [...x, ...label]);
    const mu = layer(w, "encoder/mu", h);
    const nll = (z: number[]) => {
      const logits = layer(w, "decoder/output", hidden(w, "decoder", [...z, ...label]));
      return {
        bce: logits.reduce((s, l, p) => s + softplus(l) - x[p] * l, 0),
        mse: logits.reduce((s, l, p) => s + (x[p] - sigmoid(l)) ** 2, 0),
      };
    };
    const atMean = nll(mu);
    bceMean += atMean.bce;
    mseMean += atMean.mse;
    if (!capabilitiesOf(kind).stochastic) {
      distortion += atMean.bce;
      continue;
    }
    const logVar = layer(w, "encoder/log_var", h);
    const z = mu.map((m, j) => m + Math.exp(0.5 * logVar[j]) * eps.normal());
    distortion += nll(z).bce;
    const table = w.get("prior/class_means")?.values;
    const k = classes.indexOf(labels[n]);
    for (let j = 0; j < d; j++) {
      const priorMu = table ? table[k * d + j] : 0;
      rate += 0.5 * ((mu[j] - priorMu) ** 2 + Math.exp(logVar[j]) - logVar[j] - 1);
    }
  }
  const n = labels.length;
  return {
    distortion: distortion / n,
    rate: rate / n,
    negElbo: (distortion + rate) / n,
    bceMeanZ: bceMean / n,
    mseMeanZ: mseMean / n,
  };
}

Deno.test("evaluate: the Fréchet distance of samples and its data floor, or null when off", async () => {
  for (const kind of MODEL_KINDS) {
    const { test } = await readMetrics(await runEvaluate(kind));
    assertEquals(test.frechetSamples, 60, kind);
    // A tiny model's samples sit further from the test images than real train images do.
    assert_(
      test.frechetFloor! > 0 && test.frechet! > test.frechetFloor!,
      `${kind}: ${JSON.stringify(test)}`,
    );
  }
  const off = structuredClone(PARAMS);
  off.evaluate.frechetSamples = 0;
  for (const kind of ["vae", "cvae-prior"] as const) {
    const metrics = await readMetrics(await runEvaluate(kind, {}, undefined, off));
    assertEquals([metrics.test.frechet, metrics.test.frechetFloor], [null, null]);
    assertEquals(metrics.test.frechetSamples, undefined);
    assertIncludes(metrics.test.reasons!.frechet!, "evaluate.frechetSamples is 0");
    if (kind === "vae") continue;
    assertEquals(metrics.cvae!.frechetClassMean, null);
    assertIncludes(metrics.cvae!.reasons!.frechetClassMean!, "switched off");
  }
});
