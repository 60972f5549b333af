/**
 * The evaluate stage: the numbers a VAE paper reports, on the held-out test split (and the
 * train split where the gap matters), per example, in nats, each from the likelihood that
 * metrics.json names. Every model is scored by its true ELBO (β = 1, closed-form KL against
 * its own prior) whatever objective it was trained with, so ablations share one scale.
 * Every random draw forks from the seed under "evaluate", one labelled stream per use.
 */
import { join } from "node:path";
import type { EvaluateParams } from "./config_schema.ts";
import { NumericError } from "../pipeline/errors.ts";
import { writeNpy } from "../lib/npy.ts";
import { Rng } from "../lib/rng.ts";
import type { StageContext, StageFn } from "../pipeline/stage.ts";
import { writeCsv } from "../lib/table.ts";
import { type Classifier, disposeClassifier } from "./classifier/mlp.ts";
import { loadClassifier } from "./classifier/saved.ts";
import { readClassifierSummary } from "./classifier/summary.ts";
import type { Dataset } from "./data/dataset.ts";
import { readPrepared } from "./data/prepared.ts";
import {
  classDistanceRows,
  classMeanRows,
  logPxFromLabels,
  perClassRows,
  perLabelNegElbo,
  sampleAccuracy,
} from "./evaluation/conditional.ts";
import { elboTerms, negElboPerExample, reconstructionErrors } from "./evaluation/elbo.ts";
import { type Examples, examplesOf, isBinary } from "./evaluation/examples.ts";
import { frechetScores } from "./evaluation/frechet_scores.ts";
import {
  classSamples,
  type ImageSet,
  priorSamples,
  reconstructions,
  referenceGaussian,
  traversal,
} from "./evaluation/images.ts";
import { importanceWeighted } from "./evaluation/importance.ts";
import {
  activeUnits,
  aggregatePosterior,
  klPerDimRows,
  latentRows,
} from "./evaluation/latent_stats.ts";
import { describeBinarization, describeLikelihood } from "./evaluation/likelihood.ts";
import {
  DEFINITIONS,
  FRECHET_OFF,
  type Metrics,
  NATS,
  NOT_APPLICABLE,
} from "./evaluation/metrics.ts";
import { miAgainstCeiling } from "./evaluation/mi_ceiling.ts";
import { passMutualInformation } from "./evaluation/mutual_information.ts";
import { posteriorPass } from "./evaluation/posterior_pass.ts";
import { mean } from "./evaluation/stats.ts";
import { initBackend } from "./model/backend.ts";
import type { Compute } from "./model/compute.ts";
import { capabilitiesOf } from "./model/kinds.ts";
import { disposeModel, type Model } from "./model/networks.ts";
import type { DatasetCard } from "./data/prepared.ts";
import { loadTrainedModel, type TrainingSummary } from "./training/trained_model.ts";

export interface EvaluateStageParams {
  seed: number;
  /** The backend and, for blas, the library: results depend on them. */
  compute: Compute;
  evaluate: EvaluateParams;
}

/** What one evaluation reads, loaded once. */
interface Run {
  model: Model;
  summary: TrainingSummary;
  card: DatasetCard;
  /**
   * The classify stage's net and its test accuracy: the judge of a CVAE's class samples and
   * the feature space of the Fréchet distance. Null when the classify stage did not run.
   */
  classifier: { net: Classifier; testAccuracy: number } | null;
  test: Examples;
  train: Examples;
  /** The splits as prepared (the classifier's view of the data, without binarization). */
  prepared: { test: Dataset; train: Dataset };
  /** How the evaluated pixels relate to the likelihood (see describeBinarization). */
  binarization: string;
  /** cvae-prior's μ^Y table [classes, d], row-major. */
  classMeans: Float32Array | null;
  opts: EvaluateParams;
  rng: Rng;
}

/**
 * The phases the progress line names, in order; one that does not apply (importance
 * weighting for an ae, conditional for a vae) is skipped. All but load and tables are timed.
 */
const PHASES = [
  "load",
  "test pass",
  "train pass",
  "importance weighting",
  "mutual information",
  "conditional",
  "fréchet distance",
  "tables",
  "images",
] as const;

export const evaluate: StageFn<EvaluateStageParams> = async (ctx) => {
  const phases = ctx.progress("evaluate", PHASES.length, { phases: true });
  const phase = (name: typeof PHASES[number]) => phases.tick(PHASES.indexOf(name), name);
  phase("load");
  await initBackend(ctx.params.compute);
  const run = await load(ctx);
  const seconds: Record<string, number> = {};
  const timed = <T>(name: typeof PHASES[number], f: () => T): T => {
    phase(name);
    const started = performance.now();
    const result = f();
    seconds[name] = (performance.now() - started) / 1000;
    return result;
  };
  try {
    const scores = score(run, timed, ctx.progress);
    const metrics = metricsJson(run, scores);
    checkFinite(metrics.test);
    phase("tables");
    await writeTables(ctx.outDir, run, scores, metrics);
    await writeImages(ctx.outDir, run, timed("images", () => images(run, scores)));
    phases.done();
    ctx.record("seconds", seconds);
    ctx.log(summaryLine(metrics));
  } finally {
    disposeModel(run.model);
    if (run.classifier) disposeClassifier(run.classifier.net);
  }
};

async function load(ctx: StageContext<EvaluateStageParams>): Promise<Run> {
  const opts = ctx.params.evaluate;
  const { train, test, card } = await readPrepared(ctx.inputs.prepare);
  const { model, summary } = await loadTrainedModel(ctx.inputs.train);
  const rng = new Rng(ctx.params.seed).fork("evaluate");
  // A Bernoulli model trained on dynamically binarized pixels is scored on one fixed, seeded
  // binarization: the standard protocol, under which its likelihood is a proper one.
  const resample = card.binarize === "dynamic" && model.params.likelihood === "bernoulli";
  const examples = (split: typeof test, label: string) =>
    examplesOf(split, summary.classes, resample ? rng.fork(`binarize-${label}`) : undefined);
  return {
    model,
    summary,
    card,
    classifier: ctx.inputs.classify ? await loadJudge(ctx.inputs.classify) : null,
    test: examples(test, "test"),
    train: examples(train, "train"),
    prepared: { test, train },
    binarization: describeBinarization(card.binarize, card.threshold, resample),
    classMeans: model.classMeans ? Float32Array.from(model.classMeans.dataSync()) : null,
    opts,
    rng,
  };
}

async function loadJudge(dir: string): Promise<Run["classifier"]> {
  const { testAccuracy } = await readClassifierSummary(dir);
  return { net: await loadClassifier(dir), testAccuracy };
}

type Timed = <T>(name: typeof PHASES[number], f: () => T) => T;
type Scores = ReturnType<typeof score>;

/** Every number, in the order they depend on each other. */
function score(run: Run, timed: Timed, progress: StageContext["progress"]) {
  const { model, test, train, opts, rng, classifier } = run;
  const sampled = model.logVar !== undefined;
  const testPass = timed(
    "test pass",
    () => posteriorPass(model, test, rng.fork("elbo-test"), opts.batchSize),
  );
  const trainPass = timed(
    "train pass",
    () => posteriorPass(model, train, rng.fork("elbo-train"), opts.batchSize),
  );
  const negElbo = sampled ? negElboPerExample(testPass) : null;
  const iw = negElbo &&
    timed("importance weighting", () =>
      importanceWeighted(
        model,
        test,
        negElbo,
        opts.iwK,
        opts.iwExamples,
        rng,
        opts.batchSize,
        progress,
      ));
  const mi = sampled
    ? timed(
      "mutual information",
      () => passMutualInformation(testPass, test.labels, opts.miExamples, rng),
    )
    : null;
  const cvae = capabilitiesOf(model.params.kind).conditional && negElbo
    ? timed("conditional", () => ({
      // Each label's pass redraws the test pass's ε, so only the label differs.
      logPx: mean(logPxFromLabels(
        perLabelNegElbo(model, test, () => rng.fork("elbo-test"), opts.batchSize),
        model.numClasses,
      )),
      samples: sampleAccuracy(
        model,
        judge(classifier),
        run.classMeans,
        opts.samplesPerClass,
        rng.fork("class-samples"),
        opts.batchSize,
      ),
    }))
    : null;
  const klRows = klPerDimRows(testPass);
  const reference = referenceGaussian(model, run.classMeans, aggregatePosterior(testPass));
  const frechet = opts.frechetSamples > 0
    ? timed("fréchet distance", () =>
      frechetScores(
        {
          model,
          classifier: judge(classifier),
          ...run.prepared,
          classes: run.summary.classes,
          classMeans: run.classMeans,
          reference,
        },
        opts.frechetSamples,
        rng.fork("frechet"),
        opts.batchSize,
      ))
    : null;
  return { testPass, trainPass, negElbo, iw, mi, cvae, klRows, reference, frechet };
}

/** The classify stage's net, which the registry runs whenever evaluate needs it. */
function judge(classifier: Run["classifier"]): Classifier {
  if (!classifier) throw new Error("evaluate: no classify input; the registry must list it");
  return classifier.net;
}

/** metrics.json: see DEFINITIONS (written into it) for what each number is. */
function metricsJson(run: Run, s: Scores): Metrics {
  const { model, summary, test, train } = run;
  const sampled = model.logVar !== undefined;
  const decoderLogVar = model.decoderLogVar ? model.decoderLogVar.dataSync()[0] : null;
  return {
    likelihood: describeLikelihood(model, isBinary(test.x), run.binarization, decoderLogVar),
    units: NATS,
    model: {
      kind: model.params.kind,
      regularizer: summary.loss.regularizer,
      beta: summary.loss.beta,
    },
    test: {
      examples: test.n,
      ...elboTerms(s.testPass),
      ...reconstructionErrors(s.testPass),
      activeUnits: activeUnits(s.klRows),
      latentDim: model.params.latentDim,
      mutualInformation: s.mi?.mutualInformation ?? null,
      logN: s.mi?.logN ?? null,
      ...(s.mi ? { miExamples: s.mi.examples } : {}),
      ...(s.iw ? { iwExamples: s.iw.examples, iwExamplesElbo: s.iw.elbo } : {}),
      iw: s.iw?.estimates ?? null,
      frechet: s.frechet?.samples ?? null,
      frechetFloor: s.frechet?.floor ?? null,
      ...(s.frechet ? { frechetSamples: s.frechet.examples } : {}),
      ...reasons(sampled ? {} : NOT_APPLICABLE.test, s.frechet ? {} : FRECHET_OFF),
    },
    train: {
      examples: train.n,
      ...elboTerms(s.trainPass),
      ...(sampled ? {} : { reasons: NOT_APPLICABLE.train }),
    },
    aggregatePosterior: aggregatePosterior(s.testPass),
    ...(s.cvae
      ? {
        cvae: {
          logPxGivenY: -mean(s.negElbo!),
          logPx: s.cvae.logPx,
          labelPrior: "uniform, p(y) = 1/C",
          sampleAccuracy: s.cvae.samples.overall,
          samplesPerClass: run.opts.samplesPerClass,
          classifierTestAccuracy: run.classifier!.testAccuracy,
          frechetClassMean: s.frechet?.classMean?.samples ?? null,
          frechetClassMeanFloor: s.frechet?.classMean?.floor ?? null,
          ...reasons(s.frechet ? {} : FRECHET_OFF),
        },
      }
      : {}),
    definitions: DEFINITIONS,
  };
}

/** `{ reasons }` when any of the parts has one, else nothing. */
function reasons(...parts: Record<string, string>[]): { reasons?: Record<string, string> } {
  const all = Object.assign({}, ...parts);
  return Object.keys(all).length ? { reasons: all } : {};
}

const KL_COLUMNS = [
  "dim",
  "kl",
  "mean_mu_sq",
  "mean_sigma_sq",
  "mean_log_var",
  "activity",
  "active",
];

async function writeTables(
  outDir: string,
  run: Run,
  s: Scores,
  metrics: Metrics,
): Promise<void> {
  const out = (name: string) => join(outDir, name);
  const classes = run.summary.classes;
  await Deno.writeTextFile(out("metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  await writeCsv(out("kl_per_dim.csv"), s.klRows, KL_COLUMNS);
  const iwRows = (s.iw?.estimates ?? []).map((e) => ({
    k: e.k,
    log_likelihood: e.logLikelihood,
    std_error: e.stdError,
    rise: e.rise ?? null,
    rise_std_error: e.riseStdError ?? null,
  }));
  const iwColumns = ["k", "log_likelihood", "std_error", "rise", "rise_std_error"];
  await writeCsv(out("iw.csv"), iwRows, iwColumns);
  await writeCsv(out("latents.csv"), latentRows(s.testPass, run.test.labels));
  if (s.cvae) {
    const rows = perClassRows(
      run.test,
      s.negElbo!,
      classes,
      s.cvae.samples.perClass,
      s.frechet?.perClass ?? null,
    );
    await writeCsv(out("per_class.csv"), rows);
  }
  if (run.classMeans) {
    const d = run.model.params.latentDim;
    await writeCsv(out("class_means.csv"), classMeanRows(run.classMeans, classes, d));
    await writeCsv(out("class_distances.csv"), classDistanceRows(run.classMeans, classes, d));
  }
}

/** The report's images, each with the note that says which z made it. */
function images(run: Run, s: Scores): Record<string, ImageSet> {
  const { model, test, opts, rng, classMeans } = run;
  const classes = run.summary.classes;
  const reference = s.reference;
  const ranked = s.klRows.map((r) => r.dim as number);
  return {
    reconstructions: reconstructions(
      model,
      test,
      s.testPass.mu,
      opts.reconstructions,
      rng.fork("reconstructions"),
      classes,
    ),
    prior_samples: priorSamples(
      model,
      opts.priorSamples,
      rng.fork("prior-samples"),
      classMeans,
      reference,
      classes,
      opts.batchSize,
    ),
    ...(s.cvae
      ? {
        class_samples: classSamples(
          model,
          s.cvae.samples.images,
          opts.samplesPerClass,
          opts.classSampleImages,
          classes,
        ),
      }
      : {}),
    traversal: traversal(model, opts.gridSize, ranked, reference, classes, opts.batchSize),
  };
}

/** Each image set as `<id>.npy` [..., H, W], and images.json describing them all. */
async function writeImages(outDir: string, run: Run, sets: Record<string, ImageSet>) {
  const notes: Record<string, unknown> = {};
  for (const [id, set] of Object.entries(sets)) {
    const shape = [...set.lead, run.card.height, run.card.width];
    await writeNpy(join(outDir, `${id}.npy`), set.data, shape);
    notes[id] = { file: `${id}.npy`, shape, ...set.note };
  }
  await Deno.writeTextFile(join(outDir, "images.json"), JSON.stringify(notes, null, 2) + "\n");
}

/** A NaN or Inf in a test metric means a broken model or evaluation: stop, naming it. */
function checkFinite(section: object): void {
  for (const [key, value] of Object.entries(section)) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new NumericError(
        `evaluate: test ${key} is ${value}; the trained weights or the data are broken`,
      );
    }
  }
}

function summaryLine({ test, cvae }: Metrics): string {
  const f = (v: number | null) => (v === null ? "n/a" : v.toFixed(2));
  const best = test.iw?.at(-1);
  return [
    `evaluate: test −ELBO ${f(test.negElbo)}`,
    `distortion ${f(test.distortion)}`,
    `rate ${f(test.rate)}`,
    ...(best
      ? [
        `IW k=${best.k} ${f(best.logLikelihood)} vs ELBO ${
          f(test.iwExamplesElbo ?? null)
        } on the same`,
      ]
      : []),
    // The estimate can pass log N by noise: "a ≤ b" would then be false (mi_ceiling.ts).
    test.mutualInformation === null || test.logN === null
      ? "MI n/a"
      : `MI ${miAgainstCeiling(test.mutualInformation, test.logN, test.latentDim)}`,
    `active ${test.activeUnits}/${test.latentDim}`,
    ...(cvae ? [`sample accuracy ${(100 * cvae.sampleAccuracy).toFixed(1)}%`] : []),
    ...(test.frechet === null || test.frechetFloor === null
      ? []
      : [`Fréchet ${f(test.frechet)} (train vs test ${f(test.frechetFloor)})`]),
  ].join("  ");
}
