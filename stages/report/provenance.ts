/**
 * Where each figure came from, read from the upstream manifests: the keys of the stage
 * that made its data and of every stage upstream of it, and the runtime each one ran on.
 */
import type { ProjectVersion } from "../../pipeline/project_version.ts";
import type { Manifest } from "../../pipeline/store.ts";
import { type Compute, describeCompute } from "../model/compute.ts";
import type { Provenance } from "../render/figure.ts";

/**
 * The provenance of data made by `stages`: their keys and, through each manifest's input
 * keys, the keys of everything upstream, upstream first (prepare before train).
 */
export function lineage(
  config: string,
  stages: string[],
  inputKeys: Record<string, string>,
  manifests: Record<string, Manifest>,
): Provenance {
  const found: Record<string, string> = {};
  const visit = (stage: string, key: string) => {
    if (stage in found) return;
    // A manifest speaks for the key it was written under, and for no other.
    const manifest = manifests[stage]?.key === key ? manifests[stage] : undefined;
    for (const [up, upKey] of Object.entries(manifest?.keyInputs.inputs ?? {})) visit(up, upKey);
    found[stage] = key;
  };
  for (const stage of stages) {
    if (!inputKeys[stage]) throw new Error(`report: no input key for stage ${stage}`);
    visit(stage, inputKeys[stage]);
  }
  return { config, stages: found };
}

export interface StageVersions {
  stage: string;
  key: string;
  deno: string;
  /** The tfjs-core version the stage ran (null: the stage does not load tfjs). */
  tfjs: string | null;
  /**
   * The backend the stage was keyed on, with its BLAS for blas (null: its numbers do not
   * depend on one).
   */
  backend: string | null;
  /** The project's commit the stage ran from, and whether the tree was dirty. */
  project: string;
}

/** The runtime each upstream stage ran on, in lineage order. */
export function stageVersions(
  provenance: Provenance,
  manifests: Record<string, Manifest>,
): StageVersions[] {
  return Object.entries(provenance.stages).map(([stage, key]) => {
    const manifest = manifests[stage];
    const tfjs = manifest?.fingerprint.npm.find((id) => id.startsWith("@tensorflow/tfjs-core@"));
    const params = manifest?.keyInputs.params as { compute?: Compute } | undefined;
    return {
      stage,
      key,
      deno: manifest?.keyInputs.runtime.deno ?? "unknown",
      tfjs: tfjs?.split("@").at(-1) ?? null,
      backend: params?.compute ? describeCompute(params.compute) : null,
      project: describeVersion(manifest?.project),
    };
  });
}

/** `3f9a2c1d04ab`, `3f9a2c1d04ab (uncommitted changes)`, or `unknown`. */
export function describeVersion(version: ProjectVersion | undefined): string {
  if (!version?.commit) return "unknown";
  const short = version.commit.slice(0, 12);
  if (version.dirty === null) return `${short} (changes unknown)`;
  return version.dirty ? `${short} (uncommitted changes)` : short;
}
