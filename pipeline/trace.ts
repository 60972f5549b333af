import { basename, dirname, join } from "node:path";
import { UserError } from "./errors.ts";
import type { ArtifactStore, Manifest } from "./store.ts";

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
  // Most downstream first: its manifest leads upstream, so each stage prints once, nested.
  const rank = (name: string) => -stageOrder.indexOf(name);
  const named = Object.entries(provenance.stages).sort(([a], [b]) => rank(a) - rank(b));
  for (const [stage, key] of named) await describe(stage, key, store, lines, seen, 1);
  return lines;
}

async function describe(
  stage: string,
  key: string,
  store: ArtifactStore,
  lines: string[],
  seen: Set<string>,
  depth: number,
): Promise<void> {
  if (seen.has(`${stage}/${key}`)) return;
  seen.add(`${stage}/${key}`);
  const indent = "  ".repeat(depth - 1) + "└ ";
  const found = await store.lookup(stage, key);
  if (found.state !== "hit") {
    const state = found.state === "miss" ? "NOT in the store" : `CORRUPT (${found.reason})`;
    lines.push(`${indent}${stage.padEnd(9)}${key}  ${state}`);
    return;
  }
  const m: Manifest = found.manifest;
  lines.push(`${indent}${stage.padEnd(9)}${key}  in store  ${m.endedAt}  config ${m.config.path}`);
  lines.push(`${"  ".repeat(depth)}  params ${JSON.stringify(m.keyInputs.params)}`);
  for (const [upstream, upstreamKey] of Object.entries(m.keyInputs.inputs)) {
    await describe(upstream, upstreamKey, store, lines, seen, depth + 1);
  }
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
