/**
 * "Did you mean" for a config path that names no file: the nearest config by edit distance
 * among the YAML files beside the path and under the project's configs/ folder, or one
 * with the same file name elsewhere there (`vae.yaml` → `configs/vae.yaml`).
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { CONFIG_FILE, PROJECT_ROOT } from "./command_line.ts";
import { closestWord } from "./did_you_mean.ts";

/** Enough for any real configs/ tree; a huge folder is not walked to the end. */
const MAX_CANDIDATES = 2000;

/** The fix for a config path that is not there. */
export function configPathFix(path: string): string {
  const guess = nearestConfig(path);
  return guess ? `did you mean ${guess}?` : "check the config path";
}

/** The config file nearest to the missing `path`, shown relative to the working folder. */
export function nearestConfig(path: string): string | undefined {
  const shown = (file: string) => relative(Deno.cwd(), file) || file;
  const candidates = [
    ...yamlFiles(dirname(resolve(path)), false),
    ...yamlFiles(join(PROJECT_ROOT, "configs"), true),
  ].map(shown);
  const unique = [...new Set(candidates)];
  const given = relative(Deno.cwd(), resolve(path));
  return closestWord(given, unique) ??
    unique.find((c) => basename(c).toLowerCase() === basename(path).toLowerCase());
}

/** The YAML files in `dir` (and below it when `deep`); nothing when it cannot be read. */
function yamlFiles(dir: string, deep: boolean, found: string[] = []): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return found;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (found.length >= MAX_CANDIDATES) break;
    const path = join(dir, entry.name);
    if (entry.isFile && CONFIG_FILE.test(entry.name)) found.push(path);
    else if (deep && entry.isDirectory && !entry.name.startsWith(".")) yamlFiles(path, deep, found);
  }
  return found;
}
