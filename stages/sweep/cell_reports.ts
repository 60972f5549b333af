/**
 * Each cell's own report, copied into the sweep's folder (`cells/<cell>/`), so that the
 * published sweep opens offline with every row's link working. The copy is the report
 * artifact as the store holds it: the files its manifest records and the manifest itself
 * (so `deno task trace` follows a figure there as in the cell's own reports/ folder), checked
 * against the recorded sha256: the sweep holds exactly the bytes its cells' keys name.
 */
import { dirname, join } from "node:path";
import { hashFile } from "../../pipeline/hash.ts";
import { MANIFEST, readManifest } from "../../pipeline/store.ts";
import { recordedFilesProblem } from "../../pipeline/recorded_files.ts";

/** Copy the report artifact `from` into `to`; throws naming the cell if a byte differs. */
export async function copyCellReport(from: string, to: string, cell: string): Promise<void> {
  const { manifest, problem } = await readManifest(from);
  if (problem !== undefined) {
    throw new Error(`sweep: the report of ${cell} (${from}): ${problem}; run the sweep again`);
  }
  for (const file of [...Object.keys(manifest.files).sort(), MANIFEST]) {
    await Deno.mkdir(dirname(join(to, file)), { recursive: true });
    await Deno.copyFile(join(from, file), join(to, file));
  }
  const [source, copy] = await Promise.all([from, to].map((d) => hashFile(join(d, MANIFEST))));
  const differs = source.sha256 === copy.sha256
    ? await recordedFilesProblem(to, manifest.files, [MANIFEST])
    : `${MANIFEST} does not match its source`;
  if (differs) {
    throw new Error(`sweep: the copy of ${cell}'s report differs from its artifact: ${differs}`);
  }
}
