/**
 * The files each data source reads, named before the stage runs so that their bytes join the
 * prepare stage's key.
 */
import type { DataParams } from "../config_schema.ts";
import { mnistFiles } from "./mnist.ts";

/** A file a data source reads, with the config key that names it (for error messages). */
export interface SourceFileRef {
  path: string;
  yamlPath: string;
}

/**
 * The files the data stage will read. Their bytes enter the stage key, so replacing a CSV
 * or IDX file under the same path re-prepares instead of reusing stale tensors.
 */
export function sourceFiles(data: DataParams): SourceFileRef[] {
  switch (data.source) {
    case "mnist":
      return mnistFiles().map((path) => ({ path, yamlPath: "data.source" }));
    case "idx": {
      const entries = Object.entries(data.idx ?? {}) as [string, string | undefined][];
      return entries.flatMap(([key, path]) => path ? [{ path, yamlPath: `data.idx.${key}` }] : []);
    }
    case "csv":
      return data.csv ? [{ path: data.csv.path, yamlPath: "data.csv.path" }] : [];
    case "synthetic":
      return [];
  }
}
