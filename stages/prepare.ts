/**
 * The data stage: read a source, filter classes, split train/test (stratified, seeded),
 * subset, binarize, and write float32 images in [0, 1] and uint8 labels as .npy files with a
 * dataset card. Everything is validated before the first byte is written, so a bad input
 * leaves `outDir` empty.
 */
import { join } from "node:path";
import type { DataParams } from "./config_schema.ts";
import { UserError } from "../pipeline/errors.ts";
import { writeNpy } from "../lib/npy.ts";
import { Rng } from "../lib/rng.ts";
import type { StageFn } from "../pipeline/stage.ts";
import { classCounts, type Dataset, select, type Source } from "./data/dataset.ts";
import type { DatasetCard } from "./data/prepared.ts";
import { loadCsv } from "./data/csv.ts";
import { keyedPath, readableDataPaths } from "./data/data_paths.ts";
import { loadIdx } from "./data/idx.ts";
import { loadMnist } from "./data/mnist.ts";
import { filterClasses, stratifiedSplit, stratifiedSubset } from "./data/split.ts";
import { makeSynthetic } from "./data/synthetic.ts";

export interface PrepareParams {
  seed: number;
  data: DataParams;
}

function loadSource(data: DataParams, rng: Rng): Promise<Source> | Source {
  const missing = (key: string) =>
    new UserError(`config: data.${key} is required when data.source is "${key}"; add it`);
  switch (data.source) {
    case "mnist":
      return loadMnist();
    case "idx":
      if (!data.idx) throw missing("idx");
      return loadIdx(data.idx);
    case "csv":
      if (!data.csv) throw missing("csv");
      return loadCsv(data.csv);
    case "synthetic":
      return makeSynthetic(data.synthetic, rng);
  }
}

/** Every class asked for must exist somewhere in the source: a typo should not pass silently. */
function checkClasses(source: Source, classes: number[] | null): void {
  if (classes === null) return;
  const present = new Set([...source.train.labels, ...(source.test?.labels ?? [])]);
  const absent = classes.filter((c) => !present.has(c));
  if (absent.length > 0) {
    const have = [...present].sort((a, b) => a - b).join(", ");
    throw new UserError(
      `${source.name}: has no examples of class ${absent.join(", ")} (it has ${have}); ` +
        `fix data.classes`,
    );
  }
}

/**
 * What the config could not know before the data was read (IDX and CSV labels; mnist and
 * synthetic are checked when the config loads): training one-hot encodes labels, so it needs
 * at least 2 classes, and a per-split limit below the class count would drop whole classes.
 */
function checkClassCount(source: Source, data: DataParams): void {
  const present = new Set([...source.train.labels, ...(source.test?.labels ?? [])]);
  const kept = data.classes === null
    ? present
    : new Set(data.classes.filter((c) => present.has(c)));
  if (kept.size < 2) {
    const which = data.classes === null ? "" : ` of data.classes [${data.classes.join(", ")}]`;
    throw new UserError(
      `${source.name}: holds only class ${[...kept].join(", ")}${which}; training needs at least ` +
        `2 classes (labels are one-hot encoded): fix data.classes or use other data`,
    );
  }
  for (const split of ["train", "test"] as const) {
    const limit = data.limit[split];
    if (limit !== null && limit < kept.size) {
      throw new UserError(
        `${source.name}: has ${kept.size} classes but data.limit.${split} is ${limit}; ` +
          `set it to at least ${kept.size} to keep one example of each`,
      );
    }
  }
}

/** Filter, split and subset the source into the final train and test sets. */
function makeSplits(source: Source, data: DataParams, rng: Rng): { train: Dataset; test: Dataset } {
  const keep = (d: Dataset) => select(d, filterClasses(d.labels, data.classes));
  let train = keep(source.train);
  let test: Dataset;
  if (source.test) {
    test = keep(source.test);
  } else {
    const split = stratifiedSplit(train.labels, data.testFraction, rng.fork("split"));
    test = select(train, split.test);
    train = select(train, split.train);
  }
  for (const [name, d] of [["train", train], ["test", test]] as const) {
    if (d.labels.length === 0) {
      const classes = data.classes === null ? "" : ` with data.classes [${data.classes}]`;
      throw new UserError(
        `${source.name}: the ${name} split is empty${classes} (${train.labels.length} train, ` +
          `${test.labels.length} test); use more data, other classes or another data.testFraction`,
      );
    }
  }
  const limit = (d: Dataset, name: "train" | "test") =>
    select(d, stratifiedSubset(d.labels, data.limit[name], rng.fork(`limit.${name}`)));
  return { train: limit(train, "train"), test: limit(test, "test") };
}

/** Threshold once, here, so every epoch sees the same binary images. */
function binarize(d: Dataset, threshold: number): void {
  for (let i = 0; i < d.images.length; i++) d.images[i] = d.images[i] >= threshold ? 1 : 0;
}

function pixelStats(images: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  // An indexed loop: for-of over a large typed array is an order of magnitude slower in V8.
  for (let i = 0; i < images.length; i++) {
    sum += images[i];
    sumSq += images[i] * images[i];
  }
  const mean = sum / images.length;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / images.length - mean * mean)) };
}

export const prepare: StageFn<PrepareParams> = async (ctx) => {
  const { seed } = ctx.params;
  const data = readableDataPaths(ctx.params.data);
  const rng = new Rng(seed);
  // Reading a large IDX or CSV source takes seconds: say which phase is running.
  const phases = ctx.progress("prepare", 3, { phases: true });
  phases.tick(0, `reading ${data.source}`);
  const source = await loadSource(data, rng.fork("synthetic"));
  checkClasses(source, data.classes);
  phases.tick(1, "splitting");
  const { train, test } = makeSplits(source, data, rng);
  checkClassCount(source, data);
  if (data.binarize === "static") {
    binarize(train, data.threshold);
    binarize(test, data.threshold);
  }
  const stats = pixelStats(train.images);
  const card: DatasetCard = {
    source: data.source,
    // Named as in the key, so a clone elsewhere writes the same card.
    sourceFiles: source.files.map((f) => ({ ...f, path: keyedPath(f.path) })),
    height: train.height,
    width: train.width,
    classes: [...new Set([...train.labels, ...test.labels])].sort((a, b) => a - b),
    counts: { train: classCounts(train.labels), test: classCounts(test.labels) },
    pixelMean: stats.mean,
    pixelStd: stats.std,
    binarize: data.binarize,
    threshold: data.binarize === "static" ? data.threshold : null,
    seed,
  };

  // Validation is over; only now touch outDir.
  phases.tick(2, "writing");
  const shape = (d: Dataset) => [d.labels.length, d.height, d.width];
  await writeNpy(join(ctx.outDir, "train_images.npy"), train.images, shape(train));
  await writeNpy(join(ctx.outDir, "train_labels.npy"), train.labels, [train.labels.length]);
  await writeNpy(join(ctx.outDir, "test_images.npy"), test.images, shape(test));
  await writeNpy(join(ctx.outDir, "test_labels.npy"), test.labels, [test.labels.length]);
  await Deno.writeTextFile(join(ctx.outDir, "dataset.json"), JSON.stringify(card, null, 2) + "\n");
  phases.done();
  ctx.log(
    `${source.name}: ${train.labels.length} train, ${test.labels.length} test, ` +
      `${train.height}×${train.width}, classes ${card.classes.join(",")}`,
  );
};
