/**
 * Data file paths as they enter the prepare key: a path inside the project is written
 * relative to the project root, so a clone in another directory keeps its keys (the files'
 * bytes are keyed as well, so new data under the same name still re-prepares). Paths
 * outside the project, such as Debian's /usr/share/datasets, stay as they are.
 */
import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { DataParams } from "../config_schema.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function keyedDataPaths(data: DataParams): DataParams {
  return mapPaths(data, keyedPath);
}

/** One path as keyed (and as recorded in the dataset card): project-relative when inside. */
export function keyedPath(path: string): string {
  const inside = relative(PROJECT_ROOT, path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside;
}

/** The inverse, for the stage that opens the files: project-relative paths made absolute. */
export function readableDataPaths(data: DataParams): DataParams {
  return mapPaths(data, (path) => isAbsolute(path) ? path : join(PROJECT_ROOT, path));
}

function mapPaths(data: DataParams, f: (path: string) => string): DataParams {
  const idx = data.idx &&
    Object.fromEntries(
      Object.entries(data.idx).map(([key, path]) => [key, path === undefined ? path : f(path)]),
    ) as DataParams["idx"];
  const csv = data.csv && { ...data.csv, path: f(data.csv.path) };
  return { ...data, ...(idx ? { idx } : {}), ...(csv ? { csv } : {}) };
}
