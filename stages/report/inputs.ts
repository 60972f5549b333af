/**
 * What the report reads from its upstream artifacts, typed, with one error per missing
 * file that names it and the stage to re-run. Only these functions touch the input dirs.
 */
import { join } from "node:path";
import { type NpyArray, readNpy } from "../../lib/npy.ts";
import type { Manifest } from "../../pipeline/store.ts";
import type { Row } from "../../lib/table.ts";
import { type ClassifierSummary, readClassifierSummary } from "../classifier/summary.ts";
import { type Metrics, readMetrics } from "../evaluation/metrics.ts";
import type { DatasetCard } from "../data/prepared.ts";
import { orNull, present, readJson, readRows, readUpstream } from "../render/upstream.ts";
import type { TrainingSummary } from "../training/trained_model.ts";

export interface ReportInputs {
  /** The fully resolved config, with its name. */
  config: Record<string, unknown> & { name: string };
  card: DatasetCard;
  training: TrainingSummary;
  history: Row[];
  metrics: Metrics;
  klPerDim: Row[];
  iw: Row[];
  latents: Row[];
  perClass: Row[] | null;
  classMeans: Row[] | null;
  classDistances: Row[] | null;
  classifier: ClassifierSummary | null;
  /** images.json: evaluate's description of each image tensor, by name or file. */
  imageNotes: Record<string, unknown>;
  /** Upstream stage → its manifest (provenance and versions). */
  manifests: Record<string, Manifest>;
  /** Upstream stage → artifact dir, for the image tensors read later. */
  dirs: Record<string, string>;
}

const REQUIRED = ["prepare", "train", "evaluate"];

/** Read everything but the image tensors (those are read one at a time, when drawn). */
export async function readReportInputs(
  config: unknown,
  dirs: Record<string, string>,
): Promise<ReportInputs> {
  const missing = REQUIRED.filter((stage) => !(stage in dirs));
  if (missing.length) {
    throw new Error(`report: no ${missing.join(", ")} input; the registry must list it`);
  }
  const file = (stage: string, name: string) => join(dirs[stage], name);
  const manifests: Record<string, Manifest> = {};
  for (const stage of Object.keys(dirs)) {
    manifests[stage] = await readJson(file(stage, "manifest.json"), stage);
  }
  const optional = <T>(stage: string, read: () => Promise<T>) =>
    stage in dirs ? orNull(read()) : Promise.resolve(null);
  return {
    config: checkConfig(config),
    card: await readJson(file("prepare", "dataset.json"), "prepare"),
    training: await readJson(file("train", "training.json"), "train"),
    history: await readRows(file("train", "history.csv"), "train"),
    metrics: await readUpstream(dirs.evaluate, "metrics.json", "evaluate", readMetrics),
    klPerDim: await readRows(file("evaluate", "kl_per_dim.csv"), "evaluate"),
    iw: await orNull(readRows(file("evaluate", "iw.csv"), "evaluate")) ?? [],
    latents: await readRows(file("evaluate", "latents.csv"), "evaluate"),
    perClass: await orNull(readRows(file("evaluate", "per_class.csv"), "evaluate")),
    classMeans: await orNull(readRows(file("evaluate", "class_means.csv"), "evaluate")),
    classDistances: await orNull(readRows(file("evaluate", "class_distances.csv"), "evaluate")),
    classifier: await optional(
      "classify",
      () => readUpstream(dirs.classify, "classifier.json", "classify", readClassifierSummary),
    ),
    imageNotes: await orNull(readJson(file("evaluate", "images.json"), "evaluate")) ?? {},
    manifests,
    dirs,
  };
}

/** An image tensor of evaluate's, or null when this model has none (e.g. class samples). */
export async function readImages(inputs: ReportInputs, file: string): Promise<NpyArray | null> {
  const path = join(inputs.dirs.evaluate, file);
  return await orNull(present(path, "evaluate")) === null ? null : await readNpy(path);
}

function checkConfig(config: unknown): ReportInputs["config"] {
  const name = (config as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || !name) {
    throw new Error("report: params.config must be the resolved config, with its name");
  }
  return config as ReportInputs["config"];
}
