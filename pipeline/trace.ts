import { basename, dirname, join, relative } from "node:path";
import { UserError } from "./errors.ts";
import { hashFile } from "./hash.ts";
import { type ArtifactStore, MANIFEST, type Manifest } from "./store.ts";

/** The provenance a figure carries in its Vega-Lite spec's `usermeta`. */
interface FigureProvenance {
  config: string;
  stages: Record<string, string>;
}

/**
 * The lineage of a figure, one line per stage: figure → report → evaluate → train → prepare,
 * each with its key, whether it is still in the store (and intact), its config file and
 * params. Works from any of a figure's files (.svg, .png, .csv, .vl.json).
 */
export async function traceFigure(
  figurePath: string,
  store: ArtifactStore,
  stageOrder: string[],
): Promise<string[]> {
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

/** Stages whose artifacts are reports that hold figures. */
const REPORTING = ["report", "compare"];

/** A comparison names its inputs `evaluate:<config>`: the stage is the part before ":". */
const stageOf = (name: string) => name.split(":")[0];

/** The report artifact (or its copy in reports/<name>/) that holds the figure, if any. */
async function enclosingReport(
  figurePath: string,
): Promise<{ root: string; manifest: Manifest } | null> {
  for (const root of [dirname(figurePath), dirname(dirname(figurePath))]) {
    try {
      const manifest: Manifest = JSON.parse(await Deno.readTextFile(join(root, MANIFEST)));
      if (REPORTING.includes(manifest.stage)) return { root, manifest };
    } catch {
      continue;
    }
  }
  return null;
}

/** Whether the figure's bytes are the ones the report recorded: an edited copy is not traced. */
async function checkAgainst(
  report: { root: string; manifest: Manifest },
  figurePath: string,
): Promise<string> {
  const name = relative(report.root, figurePath);
  const recorded = report.manifest.files[name];
  if (!recorded) return `${name} is not among the files report ${report.manifest.key} wrote`;
  const actual = await hashFile(figurePath);
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
      text = await Deno.readTextFile(candidate);
    } catch {
      continue;
    }
    const json = JSON.parse(text);
    const provenance = json.usermeta?.provenance ?? json.provenance;
    if (provenance?.stages) return provenance;
  }
  throw new UserError(
    `${path}: no provenance found (looked for ${candidates.join(" and ")}); ` +
      "give a figure file from a report folder",
  );
}
