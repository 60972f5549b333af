/**
 * Why a stage is not in the store, in a few words: never run, corrupt, or which params,
 * inputs, code, runtime or data files changed since the config's previous run.
 */
import { canonicalJson } from "./hash.ts";
import type { PlannedStage } from "./plan.ts";
import type { ArtifactStore, Manifest } from "./store.ts";

/**
 * Why a stage's key differs from a previous run's: which params, inputs, source files,
 * npm packages or runtime versions changed. Compares what went into the two keys, so it
 * names exactly the causes and nothing else.
 */
export function explainChange(
  planned: PlannedStage,
  previous: Pick<Manifest, "keyInputs" | "fingerprint">,
): string[] {
  const now = planned.keyInputs;
  const before = previous.keyInputs;
  const reasons = [
    ...diffValues(before.params, now.params, "param "),
    ...diffRecords(before.inputs, now.inputs, "input ", (k) => k.slice(0, 8)),
    ...diffRecords(previous.fingerprint.files, planned.fingerprint.files, "source ", () => ""),
    ...diffLists(previous.fingerprint.npm, planned.fingerprint.npm, "npm "),
    ...diffRecords(before.runtime, now.runtime, "runtime ", (v) => v),
    ...diffRecords(before.files ?? {}, now.files ?? {}, "data file ", () => ""),
  ];
  return reasons.length ? reasons : ["key changed (stage definition)"];
}

/**
 * The previous run to compare with: the latest of the same config name, else the latest
 * of any config, so a renamed config still gets a useful answer.
 */
export function previousRun(
  manifests: Manifest[],
  configName: string,
  sameNameOnly = false,
): Manifest | undefined {
  const same = manifests.filter((m) => m.config.name === configName);
  return (same.length || sameNameOnly ? same : manifests).at(-1);
}

/** Why a stage is stale when no run to compare with is found. */
export const NEVER_RUN = "never run";

/**
 * Whether a planned stage is in the store and, if not, why not, in a few words. With
 * `sameNameOnly` (a sweep's cells, which differ from each other by design), only a run of
 * the same name explains a change; without one the stage is NEVER_RUN.
 */
export async function stageState(
  stage: PlannedStage,
  store: ArtifactStore,
  configName: string,
  sameNameOnly = false,
): Promise<{ state: "cached" | "stale" | "corrupt"; why: string }> {
  const found = await store.lookup(stage.spec.name, stage.key);
  if (found.state === "hit") return { state: "cached", why: "" };
  if (found.state === "corrupt") return { state: "corrupt", why: found.reason };
  const manifests = await store.manifests(stage.spec.name);
  const previous = previousRun(manifests, configName, sameNameOnly);
  const why = previous ? explainChange(stage, previous).join("; ") : NEVER_RUN;
  return { state: "stale", why };
}

function diffValues(before: unknown, now: unknown, prefix: string, path = ""): string[] {
  if (canonicalJson(before) === canonicalJson(now)) return [];
  if (isRecord(before) && isRecord(now)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => diffValues(before[k], now[k], prefix, path ? `${path}.${k}` : k));
  }
  return [`${prefix}${path || "(all)"} ${show(before)} → ${show(now)}`];
}

function diffRecords(
  before: Record<string, string>,
  now: Record<string, string>,
  prefix: string,
  shorten: (value: string) => string,
): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys.flatMap((k) => {
    if (before[k] === now[k]) return [];
    if (before[k] === undefined) return [`${prefix}${k} added`];
    if (now[k] === undefined) return [`${prefix}${k} removed`];
    const detail = shorten(before[k]) ? ` ${shorten(before[k])} → ${shorten(now[k])}` : "";
    return [`${prefix}${k} changed${detail}`];
  });
}

function diffLists(before: string[], now: string[], prefix: string): string[] {
  return [
    ...now.filter((x) => !before.includes(x)).map((x) => `${prefix}${x} added`),
    ...before.filter((x) => !now.includes(x)).map((x) => `${prefix}${x} removed`),
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}
