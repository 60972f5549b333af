/**
 * `deno task test`: the test suite, held to its promise that tests never touch the user's
 * files. The tests run with TMPDIR pointing at a fresh folder; afterwards that folder
 * must be empty (every test removes what it made) and the checkout's `artifacts/` and
 * `reports/` must be exactly as before (names, sizes, modification times). Either breach
 * fails the run, naming what was left or touched. Arguments go on to `deno test`.
 */
import { join, relative } from "node:path";

const PROJECT = new URL("..", import.meta.url).pathname;
const GUARDED = ["artifacts", "reports"].map((name) => join(PROJECT, name));

/** path → "size mtime" of everything under the guarded folders. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const info = await Deno.lstat(path);
      out.set(relative(PROJECT, path), `${info.size} ${info.mtime?.getTime()}`);
      if (entry.isDirectory) await walk(path);
    }
  };
  for (const dir of GUARDED) await walk(dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

const tmp = await Deno.makeTempDir({ prefix: "vae-pipeline-tests-" });
const before = await snapshot();
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", ...Deno.args],
  env: { TMPDIR: tmp },
  stdin: "null",
}).spawn().status;
const left = (await Array.fromAsync(Deno.readDir(tmp))).map((e) => e.name).sort();
const touched = changes(before, await snapshot());
// A failed test (or REPORT_BROWSER_KEEP) keeps its files on purpose, for a look at them.
const keep = code !== 0 || Deno.env.get("REPORT_BROWSER_KEEP");
if (keep && left.length) console.error(`test files kept in ${tmp}`);
else await Deno.remove(tmp, { recursive: true });

let failed = code !== 0;
if (left.length && !keep) {
  console.error(`tests left ${left.length} entries in their temp dir: ${left.join(", ")}`);
  failed = true;
}
if (touched.length) {
  const shown = touched.slice(0, 10).join(", ") + (touched.length > 10 ? ", …" : "");
  console.error(`tests changed the checkout's own files: ${shown}`);
  failed = true;
}
if (failed && code === 0) console.error("FAILED: the tests passed but broke the rules above");
Deno.exit(failed ? (code || 1) : 0);
