/**
 * Checking a folder against the files a manifest recorded: the same test for a store
 * entry, a published report and a training checkpoint, so "intact" means one thing.
 */
import { join } from "node:path";
import { listFiles } from "./folders.ts";
import { hashFile } from "./hash.ts";

export interface FileRecord {
  sha256: string;
  size: number;
}

/**
 * The first way the files under `dir` differ from `recorded` (a missing, extra, resized
 * or changed file, named), or undefined when they match exactly. `ignore` lists files
 * that are not recorded by design (the manifest itself).
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
  const problems: string[] = [];
  const onDisk = await listFiles(dir);
  for (const name of onDisk) {
    if (problems.length >= limit) return problems;
    if (!ignore.includes(name) && !(name in recorded)) problems.push(`unrecorded file ${name}`);
  }
  for (const [name, expected] of Object.entries(recorded)) {
    if (problems.length >= limit) return problems;
    if (!onDisk.includes(name)) {
      problems.push(`${name} is missing`);
      continue;
    }
    const actual = await hashFile(join(dir, name));
    if (actual.size !== expected.size) {
      problems.push(`${name} has ${actual.size} bytes, manifest says ${expected.size}`);
    } else if (actual.sha256 !== expected.sha256) {
      problems.push(`${name} does not match its sha256`);
    }
  }
  return problems;
}
