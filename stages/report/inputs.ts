/**
 * What the report reads from its upstream artifacts, typed, with one error per missing
 * file that names it and the stage to re-run. Only these functions touch the input dirs.
 */
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { type NpyArray, readNpy } from "../../pipeline/npy.ts";
import type { Manifest } from "../../pipeline/store.ts";
import { readCsv, type Row } from "../../pipeline/table.ts";
import type { DatasetCard } from "../prepare.ts";
import type { TrainingSummary } from "../training/trained_model.ts";

/**
 * A number the evaluation could not give (e.g. the ELBO of an `ae`) is null, with its
 * reason either beside it as `{value: null, reason}` or in the section's `reasons` map.
 */
export type Metric = number | null | { value: number | null; reason?: string };
export type MetricSection = Record<string, unknown> & { reasons?: Record<string, string> };

/** evaluate's metrics.json; every number is in `units` (nats per example) unless named. */
export interface EvalMetrics {
  likelihood: string;
  units: string;
  /** The evaluated model: its kind says what the numbers bound (see notation.ts). */
  model?: { kind: string; regularizer: string; beta: number };
  test: MetricSection & { iw?: { k: number; logLikelihood: number; stdError: number }[] };
  train: MetricSection;
  aggregatePosterior?: { mean: number[]; variance: number[] };
  cvae?: MetricSection;
}

/** classify's classifier.json: per-class accuracy by class index or by label. */
export interface ClassifierSummary {
  testAccuracy: number;
  perClassAccuracy?: number[] | Record<string, number>;
}

export interface ReportInputs {
  /** The fully resolved config, with its name. */
  config: Record<string, unknown> & { name: string };
  card: DatasetCard;
  training: TrainingSummary;
  history: Row[];
  metrics: EvalMetrics;
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
    throw new UserError(`report: no ${missing.join(", ")} input; the registry must list it`);
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
    metrics: await readJson(file("evaluate", "metrics.json"), "evaluate"),
    klPerDim: await readRows(file("evaluate", "kl_per_dim.csv"), "evaluate"),
    iw: await orNull(readRows(file("evaluate", "iw.csv"), "evaluate")) ?? [],
    latents: await readRows(file("evaluate", "latents.csv"), "evaluate"),
    perClass: await orNull(readRows(file("evaluate", "per_class.csv"), "evaluate")),
    classMeans: await orNull(readRows(file("evaluate", "class_means.csv"), "evaluate")),
    classDistances: await orNull(readRows(file("evaluate", "class_distances.csv"), "evaluate")),
    classifier: await optional(
      "classify",
      () => readJson(file("classify", "classifier.json"), "classify"),
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

/** A metric's value and, when it is null, why. */
export function metric(
  section: MetricSection | undefined,
  key: string,
): { value: number | null; reason?: string } {
  const raw = section?.[key] as Metric | undefined;
  const value = typeof raw === "number" ? raw : raw?.value ?? null;
  const reason = (typeof raw === "object" ? raw?.reason : undefined) ?? section?.reasons?.[key];
  return value === null && reason ? { value, reason } : { value };
}

/** A CSV cell as a number; empty, missing or non-numeric cells are null. */
export function num(row: Row, column: string): number | null {
  const value = row[column];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A CSV cell as a boolean (`true`/`false`, or 1/0). */
export function bool(row: Row, column: string): boolean {
  const value = row[column];
  return value === true || value === "true" || value === 1;
}

function checkConfig(config: unknown): ReportInputs["config"] {
  const name = (config as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || !name) {
    throw new UserError("report: params.config must be the resolved config, with its name");
  }
  return config as ReportInputs["config"];
}

/** A file-not-found becomes null: the file is one that only some models write. */
async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof MissingInput) return null;
    throw error;
  }
}

class MissingInput extends UserError {}

/** Throws MissingInput, naming the stage to re-run, when `path` does not exist. */
async function present(path: string, stage: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInput(`report: ${path} is missing; re-run the ${stage} stage`);
    }
    throw error;
  }
}

export async function readJson<T>(path: string, stage: string): Promise<T> {
  await present(path, stage);
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`report: ${path} is not valid JSON (${error}); re-run the ${stage} stage`);
  }
}

/** A CSV's rows, an empty cell (a value that does not apply) as null. */
export async function readRows(path: string, stage: string): Promise<Row[]> {
  await present(path, stage);
  const rows = await readCsv(path);
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === "" ? null : v]))
  );
}
