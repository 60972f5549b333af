import { basename, dirname, join, relative } from "node:path";
import { UserError } from "./errors.ts";
import { FileTooLargeError, kindAt, NotRegularFileError, readRegularTextFile } from "./folders.ts";
import { hashFile } from "./hash.ts";
import { type ArtifactStore, KEY_PATTERN, type Manifest, readManifest } from "./store.ts";

/** The provenance a figure carries in its Vega-Lite spec's `usermeta`. */
interface FigureProvenance {
  config: string;
  stages: Record<string, string>;
}

/**
 * The lineage of a figure, one line per stage: figure → report → evaluate → train → prepare,
 * each with its key, whether it is still in the store (and intact), its config file and
 * params. Works from any of a figure's files (.svg, .png, .csv, .vl.json). Only regular
 * files are read: a FIFO, a device or a symlink in a report folder is named, never opened.
 */
export async function traceFigure(
  givenPath: string,
  store: ArtifactStore,
  stageOrder: string[],
): Promise<string[]> {
  const figurePath = await regularFigure(givenPath);
  const provenance = await readProvenance(figurePath);
  const lines = [`figure   ${figurePath}`, `config   ${provenance.config}`];
  const seen = new Set<string>();
  // A figure in a report folder hangs under that report; its data's stages under it.
  const report = await enclosingReport(figurePath);
  if (report) {
    lines.push(`file     ${await checkAgainst(report, figurePath)}`);
    await describe(report.manifest.stage, report.manifest.key, store, lines, seen, 1, false);
  }
  const depth = report ? 2 : 1;
  // Most downstream first: its manifest leads upstream, so each stage prints once, nested.
  const rank = (name: string) => -stageOrder.indexOf(stageOf(name));
  const named = Object.entries(provenance.stages).sort(([a], [b]) => rank(a) - rank(b));
  for (const [stage, key] of named) await describe(stage, key, store, lines, seen, depth);
  return lines;
}

async function describe(
  stage: string,
  key: string,
  store: ArtifactStore,
  lines: string[],
  seen: Set<string>,
  depth: number,
  withParams = true,
): Promise<void> {
  if (seen.has(`${stage}/${key}`)) return;
  seen.add(`${stage}/${key}`);
  const indent = "  ".repeat(depth - 1) + "└ ";
  if (!STAGE_NAME.test(stage) || !KEY_PATTERN.test(key)) {
    lines.push(`${indent}${JSON.stringify(stage).slice(0, 40)} is not a stage and key`);
    return;
  }
  const found = await store.lookup(stageOf(stage), key);
  if (found.state !== "hit") {
    const state = found.state === "miss" ? "NOT in the store" : `CORRUPT (${found.reason})`;
    lines.push(`${indent}${stage.padEnd(8)} ${key}  ${state}`);
    return;
  }
  const m: Manifest = found.manifest;
  lines.push(`${indent}${stage.padEnd(8)} ${key}  in store  ${m.endedAt}  config ${m.config.path}`);
  if (!withParams) return;
  lines.push(`${"  ".repeat(depth)}  params ${JSON.stringify(m.keyInputs.params)}`);
  for (const [upstream, upstreamKey] of Object.entries(m.keyInputs.inputs)) {
    await describe(upstream, upstreamKey, store, lines, seen, depth + 1);
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

/** Stages whose artifacts are reports that hold figures. */
const REPORTING = ["report", "compare"];

/** A comparison names its inputs `evaluate:<config>`: the stage is the part before ":". */
const stageOf = (name: string) => name.split(":")[0];

/** The report artifact (or its copy in reports/<name>/) that holds the figure, if any. */
async function enclosingReport(
  figurePath: string,
): Promise<{ root: string; manifest: Manifest } | null> {
  for (const root of [dirname(figurePath), dirname(dirname(figurePath))]) {
    const { manifest } = await readManifest(root);
    if (manifest && REPORTING.includes(manifest.stage)) return { root, manifest };
  }
  return null;
}

/** Whether the figure's bytes are the ones the report recorded: an edited copy is not traced. */
async function checkAgainst(
  report: { root: string; manifest: Manifest },
  figurePath: string,
): Promise<string> {
  const name = relative(report.root, figurePath);
  const { files } = report.manifest;
  const recorded = Object.hasOwn(files, name) ? files[name] : undefined;
  if (!recorded) return `${name} is not among the files report ${report.manifest.key} wrote`;
  let actual: { sha256: string; size: number };
  try {
    actual = await hashFile(figurePath, { regularOnly: true, label: name });
  } catch (error) {
    if (error instanceof NotRegularFileError) return error.message;
    throw error;
  }
  return actual.sha256 === recorded.sha256
    ? `${name} matches report ${report.manifest.key.slice(0, 8)} byte for byte`
    : `${name} DIFFERS from what report ${report.manifest.key.slice(0, 8)} wrote (edited?)`;
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
