/**
 * `deno task runs`: the experiments table over everything in the store, as `dvc exp show`
 * gives it: one row per intact evaluate entry, with its run's name, command-line overrides,
 * seed, metrics, keys and when it ended; filtered by name or by a value of the run's
 * resolved config. It reads the store without locks (entries appear by an atomic rename),
 * so an entry that is corrupt, or replaced while it is read, is skipped with a note.
 */
import { parse } from "yaml";
import {
  formatMetric,
  metric,
  type MetricRow,
  metricRows,
  type Metrics,
  readMetrics,
  type ReportDocument,
  type Table,
} from "../stages/registry.ts";
import { excerpt } from "./bounded_read.ts";
import { valueAt } from "./config.ts";
import { KEY_PATH } from "./overrides.ts";
import { closestWord } from "./did_you_mean.ts";
import { UserError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import { shortKey, stageLabel } from "./stage_line.ts";
import type { ArtifactStore, Manifest } from "./store.ts";

/** The stage whose entries are the runs: a run is evaluated once it has its metrics. */
const EVALUATE = "evaluate";

/** One row of `runs --json`, a stable shape (README, "Experiments table"). */
export interface RunRow {
  name: string;
  /** The config file the run was made from, as it was given. */
  config: string;
  /** Its command-line overrides in the order given; [] for none (and in older entries). */
  overrides: string[];
  seed: number;
  /**
   * Every metric of the report's table by its metrics.json key, in metrics.json's units
   * (a fraction as a fraction); null where it does not apply (an ae's ELBO, a vae's sample
   * accuracy).
   */
  metrics: Record<string, number | null>;
  /** Full keys: the evaluate entry, and the train entry it evaluated. */
  keys: { evaluate: string; train: string };
  /** When the evaluate stage ended (ISO 8601, UTC). */
  endedAt: string;
}

/** A run as read from the store: its row, and what the table and the filters read besides. */
export interface StoredRun {
  row: RunRow;
  metrics: Metrics;
  /** The run's resolved config, as its manifest records it. */
  resolved: unknown;
}

/**
 * Every intact evaluate entry of the store, oldest first (newest last, beside the prompt),
 * and a note for each entry skipped.
 */
export async function readRuns(
  store: ArtifactStore,
): Promise<{ runs: StoredRun[]; skipped: string[] }> {
  const runs: StoredRun[] = [], skipped: string[] = [];
  for (const key of await entryNames(store)) {
    const found = await store.lookup(EVALUATE, key);
    if (found.state === "miss") continue; // removed since it was listed (gc, a forced re-run)
    const read = found.state === "hit" ? await storedRun(found.dir, found.manifest) : found.reason;
    if (typeof read === "string") skipped.push(`${stageLabel(EVALUATE, key)}: ${read}`);
    else runs.push(read);
  }
  const byTime = (a: StoredRun, b: StoredRun) =>
    a.row.endedAt.localeCompare(b.row.endedAt) || a.row.name.localeCompare(b.row.name);
  return { runs: runs.sort(byTime), skipped };
}

async function entryNames(store: ArtifactStore): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(store.dir(EVALUATE, ""))) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The run an intact entry holds, or why it cannot be read (a replace in between). */
async function storedRun(dir: string, manifest: Manifest): Promise<StoredRun | string> {
  const train = manifest.keyInputs.inputs.train;
  if (train === undefined) return "its manifest names no train input";
  let metrics: Metrics;
  try {
    metrics = await readMetrics(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "metrics.json is missing";
    if (error instanceof SyntaxError) return "metrics.json is not valid JSON";
    throw error;
  }
  if (typeof metrics !== "object" || metrics === null) return "metrics.json is not an object";
  const { name, path, overrides = [], resolved } = manifest.config;
  const values = metricRows().map(([key, row]) => [key, metric(metrics[row.section], key).value]);
  return {
    row: {
      name,
      config: path,
      overrides,
      seed: manifest.seed,
      metrics: Object.fromEntries(values),
      keys: { evaluate: manifest.key, train },
      endedAt: manifest.endedAt,
    },
    metrics,
    resolved,
  };
}

/** A filter of `deno task runs`: it keeps the runs it says yes to. */
export interface RunFilter {
  /** The word as given. */
  text: string;
  /** The YAML path a value filter reads (to check it names a key of some run). */
  path?: string[];
  keeps: (run: StoredRun) => boolean;
}

/** A word that can be a part of a run's name (sweep cells, runs with overrides). */
const NAME_PART = /^[A-Za-z0-9._=,+@/-]{1,100}$/;
/** A word with these is a glob over the whole name. */
const GLOB = /[*?]/;

/**
 * One word of `deno task runs <filter>...`:
 * - with `*` or `?`: a glob the whole name matches (`*` any characters, `/` included);
 * - `a.b=value`: the resolved config holds this YAML value at a.b; `a.b=1,4`: one of these
 *   (the grammar of an override and of a sweep over its values);
 * - anything else: a part of the name.
 */
export function parseRunFilter(word: string): RunFilter {
  const at = word.indexOf("=");
  if (GLOB.test(word)) {
    const pattern = new RegExp(`^${word.split(/([*?])/).map(globPart).join("")}$`);
    return { text: word, keeps: (run) => pattern.test(run.row.name) };
  }
  if (at < 0 || !KEY_PATH.test(word.slice(0, at))) {
    return { text: word, keeps: (run) => run.row.name.includes(word) };
  }
  const key = word.slice(0, at), path = key.split(".");
  const wanted = filterValues(word, key, word.slice(at + 1)).map(canonicalJson);
  const keeps = (run: StoredRun) => {
    const value = valueAt(run.resolved, path);
    return value !== undefined && wanted.includes(canonicalJson(value));
  };
  return { text: word, path, keeps };
}

const globPart = (part: string) =>
  part === "*" ? ".*" : part === "?" ? "." : part.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** `1,4` → [1, 4]: the values of a filter as the items of a YAML flow list. */
function filterValues(word: string, key: string, text: string): unknown[] {
  let values: unknown;
  try {
    values = parse(`[${text}]`, { schema: "core", customTags: [], merge: false, maxAliasCount: 0 });
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values) || values.length === 0) {
    throw new UserError(
      `runs: ${excerpt(word, 80)} is not ${key}=<value> or ${key}=<a>,<b> with YAML values ` +
        `(quote strings with commas, write lists as [a, b])`,
    );
  }
  return values;
}

/**
 * The runs every filter keeps. A value filter whose path no run's config has is a typo,
 * not a filter that keeps nothing: a UserError with the nearest path.
 */
export function filterRuns(runs: StoredRun[], filters: RunFilter[]): StoredRun[] {
  for (const { text, path } of filters) {
    if (!path || runs.length === 0) continue;
    if (runs.some((run) => valueAt(run.resolved, path) !== undefined)) continue;
    const key = path.join(".");
    const paths = [...new Set(runs.flatMap((run) => keyPaths(run.resolved)))];
    const guess = closestWord(key, paths) ?? paths.find((p) => p.endsWith(`.${key}`));
    const hint = guess ? `did you mean ${guess}?` : "keys are YAML paths like loss.beta";
    // A part of a name spelled like a filter (a sweep cell's `wSigma=3`) is found by a glob.
    const asGlob = NAME_PART.test(text) ? ` (in names: '*${text}*')` : "";
    throw new UserError(`runs: no run's config has ${key}; ${hint}${asGlob}`);
  }
  return runs.filter((run) => filters.every((f) => f.keeps(run)));
}

/** Every dotted path of a config's keys, leaves and the objects above them. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...keyPaths(inner, path)];
  });
}

/** The metrics the comparison has a column for: the table's headline numbers. */
const headline = (): [string, MetricRow][] => metricRows().filter(([, row]) => row.compared);

/** One line per run, numbers right-aligned and to the digits the comparison has them. */
function runsTable(runs: StoredRun[]): Table {
  const metrics = headline();
  return {
    columns: [
      "name",
      "overrides",
      "seed",
      ...metrics.map(([key, row]) => row.compared?.head ?? key),
      "evaluate",
      "train",
      "ended (UTC)",
    ],
    align: ["left", "left", "right", ...metrics.map(() => "right" as const)],
    rows: runs.map(({ row, metrics: values }) => [
      row.name,
      row.overrides.length ? row.overrides.join(" ") : "none",
      String(row.seed),
      ...metrics.map(([key, metricRow]) => metricCell(metricRow, row.metrics[key], values)),
      shortKey(row.keys.evaluate),
      shortKey(row.keys.train),
      row.endedAt.slice(0, 16).replace("T", " "),
    ]),
  };
}

/** A number as the comparison shows it: its digits there, a fraction as a percentage. */
function metricCell(row: MetricRow, value: number | null, metrics: Metrics): string {
  if (value === null) return "n/a";
  const text = formatMetric(row, value, metrics, row.compared?.digits ?? row.digits);
  return row.percent ? `${text}%` : text;
}

/**
 * The table with a line above it: how many runs, from which store, which filters kept
 * them. No table when none is kept.
 */
export function runsDocument(
  runs: StoredRun[],
  total: number,
  root: string,
  filters: string[],
): ReportDocument {
  const counted = (n: number) => `${n} evaluated run${n === 1 ? "" : "s"}`;
  const which = filters.length ? `${runs.length} of ${counted(total)}` : counted(total);
  const matching = filters.length ? ` matching ${filters.join(" ")}` : "";
  return {
    title: `${which} in ${root}${matching}, oldest first`,
    blocks: runs.length ? [{ kind: "table", table: runsTable(runs) }] : [],
  };
}
