/**
 * comparison.json: the comparison's tables and notes as document blocks, written by the
 * compare stage beside comparison.md (and sweep.json by the sweep stage beside sweep.md),
 * so that the CLI can lay them out for the terminal (render/plain_text.ts) instead of
 * printing Markdown or parsing it back.
 */
import { join } from "node:path";
import type { ReportDocument } from "../render/document.ts";

export const COMPARISON_BRIEF = "comparison.json";
export const SWEEP_BRIEF = "sweep.json";

export async function writeComparisonBrief(
  outDir: string,
  brief: ReportDocument,
  file = COMPARISON_BRIEF,
): Promise<void> {
  await Deno.writeTextFile(join(outDir, file), JSON.stringify(brief) + "\n");
}

/** The brief a compare artifact holds; undefined for one written before it had one. */
export async function readComparisonBrief(
  dir: string,
  file = COMPARISON_BRIEF,
): Promise<ReportDocument | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, file));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const brief = JSON.parse(text);
  if (typeof brief?.title !== "string" || !Array.isArray(brief.blocks)) {
    throw new Error(`${join(dir, file)}: not a comparison brief (title, blocks)`);
  }
  return brief;
}
