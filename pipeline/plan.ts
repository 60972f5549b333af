/**
 * The plan: each stage of a config with its key worked out from what goes into it (its
 * code's fingerprint, params, upstream keys, runtime and external data files), before
 * anything runs. The runner executes a plan; `status` and `verify` read one.
 */
import { basename } from "node:path";
import { type CodeFingerprint, codeFingerprint, fingerprintDigest } from "./fingerprint.ts";
import type { ModuleGraph } from "./fingerprint.ts";
import { UserError } from "./errors.ts";
import { DATA_MAX_BYTES, hashBoundedFile } from "./bounded_read.ts";
import { hashValue } from "./hash.ts";
import type { RunConfig, StageSpec } from "./stage.ts";
import type { KeyInputs } from "./store.ts";

/** A stage with its key worked out: everything needed to look it up or run it. */
export interface PlannedStage {
  /** Its spec; past planning nothing reads the config again, so any config's spec fits. */
  spec: StageSpec<never>;
  key: string;
  keyInputs: KeyInputs;
  fingerprint: CodeFingerprint;
  /**
   * The external files hashed into `keyInputs.files` (`name` is their entry there): hashed
   * again after the stage ran, so what it read is what its key names (see `execute`).
   */
  externalFiles?: ExternalFile[];
}

/** A data file a stage reads, the config key naming it, and its entry in the key's files. */
export interface ExternalFile {
  path: string;
  yamlPath: string;
  name: string;
}

/** What planning needs from the outside world; tests pass their own. */
export interface PlanEnv {
  graph: ModuleGraph;
  projectRoot: string;
  configPath: string;
  /** Deno's version unless a test pretends otherwise. */
  denoVersion?: string;
}

/** Work out every stage's key, in table order (each stage comes after its inputs). */
export async function planStages<C extends RunConfig>(
  config: C,
  stages: StageSpec<C>[],
  env: PlanEnv,
): Promise<PlannedStage[]> {
  const planned: PlannedStage[] = [];
  const skipped = new Set<string>();
  for (const spec of stages) {
    if (spec.when && !spec.when(config)) {
      skipped.add(spec.name);
      continue;
    }
    const inputs: Record<string, string> = {};
    for (const upstream of spec.after.filter((name) => !skipped.has(name))) {
      const found = planned.find((p) => p.spec.name === upstream);
      if (!found) throw new Error(`stage ${spec.name} needs ${upstream}, which comes later`);
      inputs[upstream] = found.key;
    }
    const external = await hashExternalFiles(spec, config, env.configPath);
    const params = paramsOf(spec, config, env.configPath);
    planned.push(await planStage(spec, params, inputs, env, external?.files, external?.refs));
  }
  return planned;
}

/** A stage's params, a UserError in working them out (no BLAS for `backend: blas`) named. */
function paramsOf<C extends RunConfig>(spec: StageSpec<C>, config: C, configPath: string): unknown {
  try {
    return spec.params(config);
  } catch (error) {
    throw error instanceof UserError ? namingConfig(error, configPath, spec.name) : error;
  }
}

/** One stage's key from what goes into it: its code, params, upstream keys and runtime. */
export async function planStage<C extends RunConfig>(
  spec: StageSpec<C>,
  params: unknown,
  inputs: Record<string, string>,
  env: PlanEnv,
  files?: Record<string, string>,
  externalFiles?: ExternalFile[],
): Promise<PlannedStage> {
  const fingerprint = await codeFingerprint(env.graph, spec.module, env.projectRoot);
  // tfjs and every other npm package a stage loads are in its fingerprint; a stage whose
  // numbers depend on the tfjs backend has it (and its BLAS) in its params.
  const runtime = { deno: env.denoVersion ?? Deno.version.deno };
  const keyInputs: KeyInputs = {
    stage: spec.name,
    code: fingerprintDigest(fingerprint),
    params,
    inputs,
    runtime,
    files,
  };
  const planned: PlannedStage = { spec, key: hashValue(keyInputs), keyInputs, fingerprint };
  return externalFiles ? { ...planned, externalFiles } : planned;
}

/**
 * sha256 of every external file a stage reads, named by the config key that points at it
 * (and the file name where one key names several): a checkout or data set moved elsewhere
 * keeps its keys, new bytes change them. A missing file, a device, a FIFO, a directory or a
 * file over DATA_MAX_BYTES fails before anything runs, with one line that names the file, the
 * config key and the config: the file is stat'ed before it is opened and streamed under the
 * same limit the data readers use, so /dev/zero cannot hang `run`, `status` or `compare`.
 * Returns the hashes and the files they came from (hashed again after the stage runs).
 */
async function hashExternalFiles<C extends RunConfig>(
  spec: StageSpec<C>,
  config: C,
  configPath: string,
): Promise<{ files: Record<string, string>; refs: ExternalFile[] } | undefined> {
  const given = spec.externalFiles?.(config) ?? [];
  if (given.length === 0) return undefined;
  const shared = (yamlPath: string) => given.filter((r) => r.yamlPath === yamlPath).length > 1;
  const refs = given.map(({ path, yamlPath }) => ({
    path,
    yamlPath,
    name: shared(yamlPath) ? `${yamlPath}: ${basename(path)}` : yamlPath,
  }));
  const files: Record<string, string> = {};
  for (const ref of refs) files[ref.name] = await hashExternalFile(ref, configPath);
  return { files, refs };
}

/** One external file's sha256, streamed under DATA_MAX_BYTES, or a one-line UserError. */
export async function hashExternalFile(ref: ExternalFile, configPath: string): Promise<string> {
  const { path, yamlPath } = ref;
  const hashed = await hashBoundedFile(path, {
    maxBytes: DATA_MAX_BYTES,
    what: "data file",
    yamlPath,
    referrer: configPath,
    fix: `fix ${yamlPath} in ${configPath}`,
  });
  return hashed.sha256;
}

/**
 * A stage's one-line error, prefixed with the config and the stage it came from (a stage
 * knows its data file, not the config that named it), unless it names the config already.
 */
export function namingConfig(error: UserError, configPath: string, label: string): UserError {
  if (error.message.includes(configPath)) return error;
  const Kind = error.constructor as new (message: string) => UserError;
  return new Kind(`${configPath}: ${label}: ${error.message}`);
}
