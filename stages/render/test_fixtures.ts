/**
 * Fake upstream artifacts for the report tests: prepare, train, evaluate and classify
 * directories with the files (and manifests) the real stages write, small and made in
 * milliseconds, so a report can be rendered and opened without training a model.
 * Images are the synthetic data set's shapes; "reconstructions" and "samples" are those
 * shapes blurred, which is what a small VAE's outputs look like.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { configSchema, type ResolvedConfig } from "../config_schema.ts";
import { writeNpy } from "../../lib/npy.ts";
import { Rng } from "../../lib/rng.ts";
import type { Manifest } from "../../pipeline/store.ts";
import { type Row, writeCsv } from "../../lib/table.ts";
import type { ClassifierSummary } from "../classifier/summary.ts";
import { makeSynthetic } from "../data/synthetic.ts";
import { DEFINITIONS, type Metrics } from "../evaluation/metrics.ts";
import type { DatasetCard } from "../data/prepared.ts";
import type { TrainingSummary } from "../training/trained_model.ts";

export interface FixtureOptions {
  kind?: "vae" | "cvae-prior" | "ae";
  latentDim?: number;
  /** Side of the square images. */
  size?: 8 | 28;
  /** Whether training held out a validation split (val_* history columns). */
  validation?: boolean;
}

export interface Fixture {
  config: ResolvedConfig;
  inputs: Record<string, string>;
  inputKeys: Record<string, string>;
}

const CLASSES = 4;
const EPOCHS = 6;
const TRAIN_COUNT = 480;
const TEST_COUNT = 120;

/** A recognisable fake key per stage: the stage name's bytes in hex, zero-padded. */
export const fixtureKey = (stage: string): string =>
  Array.from(new TextEncoder().encode(stage), (b) => b.toString(16).padStart(2, "0")).join("")
    .padEnd(64, "0");

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Write prepare/, train/, evaluate/ and classify/ under `root`. */
export async function writeFixtures(root: string, options: FixtureOptions = {}): Promise<Fixture> {
  const { kind = "cvae-prior", latentDim = 3, size = 28, validation = true } = options;
  const config: ResolvedConfig = {
    ...configSchema.parse({
      seed: 7,
      data: { source: "synthetic", synthetic: { size, classes: CLASSES, count: 600 } },
      model: { kind, latentDim, hidden: [64] },
      loss: { regularizer: kind === "ae" ? "none" : "kl" },
      train: { epochs: EPOCHS, validationFraction: validation ? 0.1 : 0 },
    }),
    name: `fixture-${kind}`,
  };
  const stages = ["prepare", "train", "evaluate", "classify"];
  const inputs = Object.fromEntries(stages.map((s) => [s, join(root, s)]));
  const inputKeys = Object.fromEntries(stages.map((s) => [s, fixtureKey(s)]));
  const upstream: Record<string, string[]> = {
    prepare: [],
    train: ["prepare"],
    classify: ["prepare"],
    evaluate: ["prepare", "train", "classify"],
  };
  for (const stage of stages) {
    await mkdir(inputs[stage], { recursive: true });
    const inputsOf = Object.fromEntries(upstream[stage].map((s) => [s, inputKeys[s]]));
    await writeManifest(inputs[stage], stage, inputsOf, config);
  }
  await writePrepare(inputs.prepare, config);
  await writeTrain(inputs.train, config);
  await writeEvaluate(inputs.evaluate, config);
  await writeClassify(inputs.classify, config);
  return { config, inputs, inputKeys };
}

/** A manifest as the store writes it, recording `files` (none unless given). */
export async function writeManifest(
  dir: string,
  stage: string,
  inputs: Record<string, string>,
  config: ResolvedConfig,
  files: Manifest["files"] = {},
): Promise<void> {
  const usesTfjs = stage !== "prepare";
  const manifest: Manifest = {
    stage,
    key: fixtureKey(stage),
    keyInputs: {
      stage,
      code: "c".repeat(64),
      params: usesTfjs
        ? { seed: config.seed, compute: { backend: "wasm" } }
        : { seed: config.seed },
      inputs,
      runtime: { deno: "2.9.6" },
    },
    fingerprint: {
      files: {},
      npm: usesTfjs
        ? ["@tensorflow/tfjs-backend-wasm@4.22.0", "@tensorflow/tfjs-core@4.22.0", "yaml@2.9.1"]
        : ["yaml@2.9.1"],
    },
    config: { name: config.name, path: `configs/${config.name}.yaml`, resolved: config },
    seed: config.seed,
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 1000,
    runInfo: {},
    files,
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
}

async function writePrepare(dir: string, config: ResolvedConfig): Promise<void> {
  const size = config.data.synthetic.size;
  const card: DatasetCard = {
    source: "synthetic",
    sourceFiles: [],
    height: size,
    width: size,
    classes: range(CLASSES),
    counts: {
      train: Object.fromEntries(range(CLASSES).map((c) => [c, TRAIN_COUNT / CLASSES])),
      test: Object.fromEntries(range(CLASSES).map((c) => [c, TEST_COUNT / CLASSES])),
    },
    pixelMean: 0.13,
    pixelStd: 0.31,
    binarize: "none",
    threshold: null,
    seed: config.seed,
  };
  await writeFile(join(dir, "dataset.json"), JSON.stringify(card, null, 2));
}

async function writeTrain(dir: string, config: ResolvedConfig): Promise<void> {
  const { model, loss, train } = config;
  const ae = model.kind === "ae";
  const history: Row[] = range(EPOCHS).map((e) => {
    const decay = Math.exp(-e / 2);
    const [recon, kl] = [60 + 80 * decay, ae ? 0 : 6 + 4 * (1 - decay)];
    const validation: Row = train.validationFraction > 0
      ? { val_neg_elbo: recon + kl + 3, val_recon: recon + 2.5, val_kl: kl + 0.5 }
      : {};
    const logVars = ae ? {} : Object.fromEntries(
      range(model.latentDim).map((d) => [`mean_log_var_${d}`, d === 0 ? -0.02 : -d * (1 - decay)]),
    );
    return {
      epoch: e + 1,
      loss: recon + kl,
      recon,
      kl,
      mu_term: ae ? 0 : 0.7 * kl,
      sigma_term: ae ? 0 : 0.3 * kl,
      reg: kl,
      reg_weight: 1,
      learning_rate: 0.001,
      ...validation,
      ...logVars,
    };
  });
  await writeCsv(join(dir, "history.csv"), history);
  const summary: TrainingSummary = {
    model,
    loss,
    inputDim: config.data.synthetic.size ** 2,
    height: config.data.synthetic.size,
    width: config.data.synthetic.size,
    classes: range(CLASSES),
    trainExamples: 432,
    validationExamples: train.validationFraction > 0 ? 48 : 0,
    epochsRun: EPOCHS,
    keptEpoch: EPOCHS,
    selection: "weights after the last epoch",
  };
  await writeFile(join(dir, "training.json"), JSON.stringify(summary, null, 2));
}

async function writeClassify(dir: string, config: ResolvedConfig): Promise<void> {
  const { epochs, hidden, batchSize, learningRate } = config.classifier;
  const perClass = [1, 0.95, 0.925, 0.975];
  const summary = {
    testAccuracy: 0.9625,
    perClassAccuracy: Object.fromEntries(range(CLASSES).map((c) => [String(c), perClass[c]])),
    classes: range(CLASSES),
    epochs,
    hidden,
    activation: "relu",
    batchSize,
    learningRate,
    trainExamples: TRAIN_COUNT,
    testExamples: TEST_COUNT,
    trainLoss: range(epochs).map((e) => 0.1 + Math.exp(-e)),
  } satisfies ClassifierSummary;
  await writeFile(join(dir, "classifier.json"), JSON.stringify(summary, null, 2));
}

/** `count` shapes of the given classes (cycled), blurred by `blur` box passes. */
function shapes(labels: number[], size: 8 | 28, seed: string, blur: number): Float32Array {
  const rng = new Rng(7).fork(seed);
  const source = makeSynthetic(
    { count: CLASSES * labels.length, size, classes: CLASSES, noise: 0 },
    rng,
  );
  const pixels = size * size;
  const out = new Float32Array(labels.length * pixels);
  // Image i of the synthetic set has label i mod CLASSES; take a fresh one per request.
  labels.forEach((label, i) => {
    const index = i * CLASSES + label;
    out.set(
      boxBlur(source.train.images.subarray(index * pixels, (index + 1) * pixels), size, blur),
      i * pixels,
    );
  });
  return out;
}

function boxBlur(image: Float32Array, size: number, passes: number): Float32Array {
  let current = Float32Array.from(image);
  for (let p = 0; p < passes; p++) {
    const next = new Float32Array(current.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let total = 0, n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const [yy, xx] = [y + dy, x + dx];
            if (yy < 0 || xx < 0 || yy >= size || xx >= size) continue;
            total += current[yy * size + xx];
            n++;
          }
        }
        next[y * size + x] = total / n;
      }
    }
    current = next;
  }
  return current;
}

/** A g × g grid blending four class shapes from its corners: a fake latent traversal. */
function traversal(size: 8 | 28, g: number): Float32Array {
  const corners = shapes([0, 1, 2, 3], size, "traversal", 1);
  const pixels = size * size;
  const out = new Float32Array(g * g * pixels);
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      const [v, u] = [r / (g - 1), c / (g - 1)];
      const weights = [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v];
      for (let p = 0; p < pixels; p++) {
        out[(r * g + c) * pixels + p] = weights.reduce(
          (s, w, k) => s + w * corners[k * pixels + p],
          0,
        );
      }
    }
  }
  return out;
}

async function writeEvaluate(dir: string, config: ResolvedConfig): Promise<void> {
  const { kind, latentDim } = config.model;
  const size = config.data.synthetic.size;
  const ae = kind === "ae", cvae = kind === "cvae-prior";
  const noElbo = "the ELBO does not apply to an ae (no posterior variance)";
  const n = 8, labels = range(n).map((i) => i % CLASSES);
  const metrics = {
    likelihood: "bernoulli",
    units: "nats per example",
    model: { kind, regularizer: config.loss.regularizer, beta: config.loss.beta },
    test: {
      examples: TEST_COUNT,
      negElbo: ae ? null : 71.234,
      distortion: 62.5,
      rate: ae ? null : 8.734,
      bceMeanZ: 61.9,
      bceSampledZ: ae ? null : 62.5,
      mseMeanZ: 9.87,
      mseSampledZ: ae ? null : 10.12,
      activeUnits: latentDim - 1,
      latentDim,
      mutualInformation: ae ? null : 4.12,
      logN: Math.log(TEST_COUNT),
      ...(ae ? {} : { miExamples: TEST_COUNT, iwExamples: 40, iwExamplesElbo: -71.5 }),
      iw: ae ? [] : [1, 4, 16, 64].map((k) => ({
        k,
        logLikelihood: -71.2 + 2 * (1 - 1 / Math.sqrt(k)),
        stdError: 0.4 / Math.sqrt(k),
      })),
      frechet: ae ? 31.4 : 12.6,
      frechetFloor: 1.27,
      frechetSamples: TEST_COUNT,
      ...(ae
        ? {
          reasons: {
            negElbo: noElbo,
            rate: noElbo,
            bceSampledZ: noElbo,
            mseSampledZ: noElbo,
            mutualInformation: noElbo,
            iw: noElbo,
          },
        }
        : {}),
    },
    train: {
      examples: TRAIN_COUNT,
      negElbo: ae ? null : 69.8,
      distortion: 61.2,
      rate: ae ? null : 8.6,
      ...(ae ? { reasons: { negElbo: noElbo, rate: noElbo } } : {}),
    },
    aggregatePosterior: {
      mean: range(latentDim).map((d) => 0.01 * d),
      variance: range(latentDim).map((d) => d === 0 ? 0.002 : 0.9),
    },
    ...(cvae
      ? {
        cvae: {
          logPxGivenY: -69.5,
          logPx: -70.9,
          labelPrior: "uniform, p(y) = 1/C",
          sampleAccuracy: 0.91,
          samplesPerClass: config.evaluate.samplesPerClass,
          classifierTestAccuracy: 0.9625,
          frechetClassMean: 18.3,
          frechetClassMeanFloor: 4.05,
        },
      }
      : {}),
    definitions: DEFINITIONS,
  } satisfies Metrics;
  await writeFile(join(dir, "metrics.json"), JSON.stringify(metrics, null, 2));
  await writeCsv(
    join(dir, "kl_per_dim.csv"),
    range(latentDim).map((dim) => ({
      dim,
      kl: ae ? null : dim === 0 ? 0.003 : 4 - dim,
      mean_mu_sq: dim === 0 ? 0.002 : 1.1,
      mean_sigma_sq: ae ? null : dim === 0 ? 0.98 : 0.05,
      mean_log_var: ae ? null : dim === 0 ? -0.02 : -3,
      activity: dim === 0 ? 0.002 : 0.9 / dim,
      active: dim !== 0,
    })),
  );
  if (!ae) {
    await writeCsv(
      join(dir, "iw.csv"),
      metrics.test.iw.map((p) => ({
        k: p.k,
        log_likelihood: p.logLikelihood,
        std_error: p.stdError,
      })),
    );
  }
  const rng = new Rng(7).fork("latents");
  await writeCsv(
    join(dir, "latents.csv"),
    range(TEST_COUNT).map((i) => {
      const label = i % CLASSES, angle = (2 * Math.PI * label) / CLASSES;
      const z = range(latentDim).map((d) =>
        (d === 0 ? 0 : 2 * Math.cos(angle + d)) + 0.4 * rng.normal()
      );
      return { ...Object.fromEntries(z.map((v, d) => [`z${d}`, v])), label };
    }),
  );
  if (cvae) {
    await writeCsv(
      join(dir, "per_class.csv"),
      range(CLASSES).map((label) => ({
        label,
        n: TEST_COUNT / CLASSES,
        log_px_given_y: -69 - label,
        sample_accuracy: 0.85 + label / 40,
      })),
    );
    await writeCsv(
      join(dir, "class_means.csv"),
      range(CLASSES).map((label) => ({
        label,
        // As evaluate's classMeanRows writes them: label, z0, z1, …
        ...Object.fromEntries(range(latentDim).map((d) => [`z${d}`, Math.cos(label + d)])),
      })),
    );
    await writeCsv(
      join(dir, "class_distances.csv"),
      range(CLASSES).map((a) => ({
        label: a,
        ...Object.fromEntries(range(CLASSES).map((b) => [`to_${b}`, Math.abs(a - b) * 1.5])),
      })),
    );
    await writeNpy(
      join(dir, "class_samples.npy"),
      shapes(range(CLASSES * 6).map((i) => Math.floor(i / 6)), size, "class", 2),
      [CLASSES, 6, size, size],
    );
  }
  const originals = shapes(labels, size, "test", 0);
  const recon = shapes(labels, size, "test", 2);
  const pair = new Float32Array(2 * originals.length);
  pair.set(originals);
  pair.set(recon, originals.length);
  await writeNpy(join(dir, "reconstructions.npy"), pair, [2, n, size, size]);
  await writeNpy(
    join(dir, "prior_samples.npy"),
    shapes(range(16).map((i) => (i * 3) % CLASSES), size, "prior", 2),
    [16, size, size],
  );
  await writeNpy(join(dir, "traversal.npy"), traversal(size, 6), [6, 6, size, size]);
  await writeFile(
    join(dir, "images.json"),
    JSON.stringify({
      reconstructions: { file: "reconstructions.npy", description: "Decoder means at z = μ." },
      traversal: {
        file: "traversal.npy",
        description: "z0 and z1 from −2 to 2; other dimensions 0.",
      },
    }),
  );
}
