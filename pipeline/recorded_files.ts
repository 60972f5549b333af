/**
 * Checking a folder against the files a manifest recorded: the same test for a store
 * entry, a published report and a training checkpoint, so "intact" means one thing.
 * Only regular files are ever opened: a symlink, a FIFO or a device in the folder is a
 * problem named by its kind ("weights.bin is not a regular file (a FIFO)"), never read.
 */
import { join } from "node:path";
import { listTree, NotRegularFileError, notRegularProblem } from "./folders.ts";
import { hashFile } from "./hash.ts";

export interface FileRecord {
  sha256: string;
  size: number;
}

/**
 * The first way the files under `dir` differ from `recorded` (a missing, extra, resized,
 * changed or non-regular file, named), or undefined when they match exactly. `ignore`
 * lists files that are not recorded by design (the manifest itself).
 */
export async function recordedFilesProblem(
  dir: string,
  recorded: Record<string, FileRecord>,
  ignore: string[] = [],
): Promise<string | undefined> {
  const problems = await recordedFilesProblems(dir, recorded, ignore, 1);
  return problems[0];
}

/** Every way (up to `limit`) the files under `dir` differ from `recorded`. */
export async function recordedFilesProblems(
  dir: string,
  recorded: Record<string, FileRecord>,
  ignore: string[] = [],
  limit = Infinity,
): Promise<string[]> {
  if (recorded === null || typeof recorded !== "object" || Array.isArray(recorded)) {
    return ["the manifest records no files"];
  }
  const problems: string[] = [];
  const onDisk = new Map((await listTree(dir)).map((entry) => [entry.path, entry.kind]));
  for (const [name, kind] of onDisk) {
    if (problems.length >= limit) return problems;
    if (kind !== "file") problems.push(notRegularProblem(name, kind));
    else if (!ignore.includes(name) && !Object.hasOwn(recorded, name)) {
      problems.push(`unrecorded file ${name}`);
    }
  }
  for (const [name, expected] of Object.entries(recorded)) {
    if (problems.length >= limit) return problems;
    const kind = onDisk.get(name);
    if (kind === undefined) {
      problems.push(`${name} is missing`);
      continue;
    }
    if (kind !== "file") continue; // named above
    let actual: { sha256: string; size: number };
    try {
      actual = await hashFile(join(dir, name), { regularOnly: true, label: name });
    } catch (error) {
      if (error instanceof NotRegularFileError) { // swapped since the listing
        problems.push(error.message);
        continue;
      }
      if (error instanceof Deno.errors.NotFound) {
        problems.push(`${name} is missing`);
        continue;
      }
      throw error;
    }
    if (actual.size !== expected?.size) {
      problems.push(`${name} has ${actual.size} bytes, manifest says ${expected?.size}`);
    } else if (actual.sha256 !== expected?.sha256) {
      problems.push(`${name} does not match its sha256`);
    }
  }
  return problems;
}
