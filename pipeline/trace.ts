/**
 * `deno task trace`: a figure's lineage, from its report down to prepare, each stage's entry
 * checked against the store.
 */
import { basename, dirname, join, relative } from "node:path";
import { excerpt, showPath } from "./bounded_read.ts";
import { UserError } from "./errors.ts";
import { FileTooLargeError, kindAt, NotRegularFileError, readRegularTextFile } from "./folders.ts";
import { hashFile } from "./hash.ts";
import { type ArtifactStore, KEY_PATTERN, MANIFEST, type Manifest, readManifest } from "./store.ts";
import { PUBLISHING_STAGES } from "../stages/registry.ts";

/** The provenance a figure carries in its Vega-Lite spec's `usermeta`. */
interface FigureProvenance {
  config: string;
  stages: Record<string, string>;
}

/** A figure's lineage, and whether all of it is what it claims to be. */
export interface Trace {
  lines: string[];
  /**
   * False when the figure's bytes are not its report's, when the report's manifest cannot
   * be read, or when a stage of the lineage is missing from the store or corrupt.
   */
  intact: boolean;
}

/** What describe() adds to as it walks upstream. */
interface Walk {
  store: ArtifactStore;
  lines: string[];
  seen: Set<string>;
  intact: boolean;
}

/**
 * The lineage of a figure, one line per stage: figure → report → evaluate → train → prepare,
 * each with its key, whether it is still in the store (and intact), its config file and
 * params. Works from any of a figure's files (.svg, .png, .csv, .vl.json). Only regular
 * files are read: a FIFO, a device or a symlink in a report folder is named, never opened.
 * Strings from the files (the config, paths) are printed escaped and bounded.
 */
export async function traceFigure(
  givenPath: string,
  store: ArtifactStore,
  stageOrder: string[],
): Promise<Trace> {
  const figurePath = await regularFigure(givenPath);
  const provenance = await readProvenance(figurePath);
  const lines = [`figure   ${showPath(figurePath)}`, `config   ${showPath(provenance.config)}`];
  const walk: Walk = { store, lines, seen: new Set(), intact: true };
  // A figure in a report folder hangs under that report; its data's stages under it.
  const report = await enclosingReport(figurePath);
  if (report?.manifest) {
    const check = await checkAgainst({ root: report.root, manifest: report.manifest }, figurePath);
    lines.push(`file     ${check.line}`);
    walk.intact &&= check.matches;
    await describe(report.manifest.stage, report.manifest.key, walk, 1, false);
  } else if (report) {
    // A manifest.json that is not one: the figure cannot be checked, and that is said.
    lines.push(
      `report   ${showPath(join(report.root, MANIFEST))} cannot be read (${report.problem}); ` +
        "the figure is NOT checked against its report",
    );
    walk.intact = false;
  }
  const depth = report?.manifest ? 2 : 1;
  // Most downstream first: its manifest leads upstream, so each stage prints once, nested.
  const rank = (name: string) => -stageOrder.indexOf(stageOf(name));
  const named = Object.entries(provenance.stages).sort(([a], [b]) => rank(a) - rank(b));
  for (const [stage, key] of named) await describe(stage, key, walk, depth);
  return { lines, intact: walk.intact };
}

async function describe(
  stage: string,
  key: string,
  walk: Walk,
  depth: number,
  withParams = true,
): Promise<void> {
  const { lines, seen } = walk;
  if (seen.has(`${stage}/${key}`)) return;
  seen.add(`${stage}/${key}`);
  const indent = "  ".repeat(depth - 1) + "└ ";
  if (!STAGE_NAME.test(stage) || !KEY_PATTERN.test(key)) {
    lines.push(`${indent}${excerpt(stage, 40)} is not a stage and key`);
    walk.intact = false;
    return;
  }
  const found = await walk.store.lookup(stageOf(stage), key);
  if (found.state !== "hit") {
    const state = found.state === "miss" ? "NOT in the store" : `CORRUPT (${found.reason})`;
    lines.push(`${indent}${stage.padEnd(8)} ${key}  ${state}`);
    walk.intact = false;
    return;
  }
  const m: Manifest = found.manifest;
  lines.push(
    `${indent}${stage.padEnd(8)} ${key}  in store  ${excerpt(m.endedAt, 40).slice(1, -1)}  ` +
      `config ${showPath(m.config.path)}`,
  );
  if (!withParams) return;
  lines.push(`${"  ".repeat(depth)}  params ${JSON.stringify(m.keyInputs.params)}`);
  for (const [upstream, upstreamKey] of Object.entries(m.keyInputs.inputs)) {
    await describe(upstream, upstreamKey, walk, depth + 1);
  }
}

/**
 * The figure the user named, as a regular file: a symlink on the command line is the user's
 * choice and is resolved (once) to what it points at, which must itself be a regular file.
 */
async function regularFigure(path: string): Promise<string> {
  let real = path;
  let kind = await kindAt(path);
  if (kind === "symlink") {
    real = await Deno.realPath(path).catch(() => path);
    kind = real === path ? "symlink" : await kindAt(real);
  }
  if (kind === undefined) throw new UserError(`${path}: no such file; give a figure file`);
  if (kind !== "file") {
    throw new UserError(
      `${path} is not a regular file (a ${kind}); give a figure file from a report folder`,
    );
  }
  return real;
}

/** A comparison names its inputs `evaluate:<config>`: the stage is the part before ":". */
const stageOf = (name: string) => name.split(":")[0];

/**
 * The report artifact (or its copy in reports/<name>/) that holds the figure, if any; or the
 * folder whose manifest.json is there but cannot be read (a bad key, not JSON, …), with why.
 */
async function enclosingReport(
  figurePath: string,
): Promise<{ root: string; manifest?: Manifest; problem?: string } | null> {
  for (const root of [dirname(figurePath), dirname(dirname(figurePath))]) {
    const read = await readManifest(root);
    if (read.manifest) {
      if (PUBLISHING_STAGES.includes(read.manifest.stage)) return { root, manifest: read.manifest };
    } else if (!read.missing) return { root, problem: read.problem };
  }
  return null;
}

/** Whether the figure's bytes are the ones the report recorded: an edited copy is not traced. */
async function checkAgainst(
  report: { root: string; manifest: Manifest },
  figurePath: string,
): Promise<{ line: string; matches: boolean }> {
  const name = relative(report.root, figurePath);
  const { files } = report.manifest;
  const short = report.manifest.key.slice(0, 8);
  const recorded = Object.hasOwn(files, name) ? files[name] : undefined;
  if (!recorded) {
    return {
      line: `${showPath(name)} is NOT among the files report ${short} wrote`,
      matches: false,
    };
  }
  let actual: { sha256: string; size: number };
  try {
    actual = await hashFile(figurePath, { regularOnly: true, label: name });
  } catch (error) {
    if (error instanceof NotRegularFileError) return { line: error.message, matches: false };
    throw error;
  }
  return actual.sha256 === recorded.sha256
    ? { line: `${showPath(name)} matches report ${short} byte for byte`, matches: true }
    : {
      line: `${showPath(name)} DIFFERS from what report ${short} wrote (edited?)`,
      matches: false,
    };
}

/** Find the figure's .vl.json (itself, or its sibling) and read `usermeta.provenance`. */
async function readProvenance(path: string): Promise<FigureProvenance> {
  const stem = basename(path).replace(/(\.vl\.json|\.provenance\.json|\.[a-z]+)$/, "");
  const candidates = [`${stem}.vl.json`, `${stem}.provenance.json`].map((f) =>
    join(dirname(path), f)
  );
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await readRegularTextFile(candidate, { maxBytes: SPEC_MAX_BYTES });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      if (error instanceof NotRegularFileError || error instanceof FileTooLargeError) {
        throw new UserError(`${error.message}; give a figure file from a report folder`);
      }
      throw new UserError(`${candidate} cannot be read (${errorName(error)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UserError(`${candidate} is not valid JSON, so its provenance cannot be read`);
    }
    const holder = json as { usermeta?: { provenance?: unknown }; provenance?: unknown } | null;
    const provenance = holder?.usermeta?.provenance ?? holder?.provenance;
    if (provenance === undefined || provenance === null) continue;
    const problem = provenanceProblem(provenance);
    if (problem) throw new UserError(`${candidate}: its provenance is malformed (${problem})`);
    return provenance as FigureProvenance;
  }
  throw new UserError(
    `${path}: no provenance found (looked for ${candidates.join(" and ")}); ` +
      "give a figure file from a report folder",
  );
}

/** A stage name, or a comparison's input name `<stage>:<config>`. */
const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/** A figure's Vega-Lite spec holds its data, so it may be large, but not unboundedly. */
const SPEC_MAX_BYTES = 256 * 1024 * 1024;

/** What is wrong with a figure's provenance, or undefined when it has the expected shape. */
function provenanceProblem(p: unknown): string | undefined {
  if (typeof p !== "object" || Array.isArray(p) || p === null) return "not an object";
  const { config, stages } = p as Record<string, unknown>;
  if (typeof config !== "string") return "config is not a string";
  if (typeof stages !== "object" || stages === null || Array.isArray(stages)) {
    return "stages is not an object";
  }
  for (const [stage, key] of Object.entries(stages)) {
    if (!STAGE_NAME.test(stage)) return `${JSON.stringify(stage.slice(0, 40))} is not a stage name`;
    if (typeof key !== "string" || !KEY_PATTERN.test(key)) {
      return `stages.${stage.slice(0, 40)} is not a 64-hex-digit key`;
    }
  }
  return undefined;
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : String(error);
}
