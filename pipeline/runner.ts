/**
 * Running a plan: each stage reused when the store holds its key intact, else run into a
 * fresh temp dir and published atomically; a failed stage, or one whose inputs changed under
 * it, publishes nothing.
 */
import { describeDiskError, withDiskErrors } from "./disk_errors.ts";
import { UserError } from "./errors.ts";
import { showPath } from "./bounded_read.ts";
import { noteResumePoint } from "./interrupt.ts";
import { withLock } from "./lock.ts";
import { RunLease } from "./run_lease.ts";
import type { StartProgress } from "./progress.ts";
import type { RunConfig, StageContext } from "./stage.ts";
import type { ArtifactStore, Manifest } from "./store.ts";
import { hashExternalFile, namingConfig, type PlanEnv, type PlannedStage } from "./plan.ts";
import { formatBytes, formatDuration } from "./units.ts";
import { stageState } from "./staleness.ts";
import { projectVersion } from "./project_version.ts";
import { stageLabel, statusLine } from "./stage_line.ts";

/** What the runner needs from the outside world; tests pass their own. */
export interface RunEnv extends PlanEnv {
  store: ArtifactStore;
  /** One status line per stage. */
  status: (line: string) => void;
  /** Free-form lines from the stages. */
  log: (line: string) => void;
  progress: StartProgress;
  /**
   * The command that produces this config's run, for messages (`deno task run <config>`,
   * with `--seeds <seed>` and `--artifacts <dir>` when the run needs them); default:
   * `deno task run <configPath>`.
   */
  runCommand?: string;
  /** The command-line overrides that made this run (`loss.beta=4`), for its manifests. */
  overrides?: string[];
}

/**
 * The external files hold the bytes the plan hashed into the key, checked after the stage has
 * read them and before anything is published: a file swapped between planning and the stage's
 * read would otherwise store data B under the key of data A. A mismatch (or a file that can no
 * longer be read) is a one-line UserError naming the config, the key, the file and both hashes.
 */
async function checkExternalFiles(stage: PlannedStage, configPath: string): Promise<void> {
  const planned = stage.keyInputs.files ?? {};
  for (const ref of stage.externalFiles ?? []) {
    const before = planned[ref.name];
    if (before === undefined) continue;
    let now: string;
    try {
      now = await hashExternalFile(ref, configPath);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      now = "";
    }
    if (now === before) continue;
    const shown = now ? `${now.slice(0, 12)}… now` : "unreadable now";
    throw new UserError(
      `${configPath}: ${ref.yamlPath}: ${showPath(ref.path)} changed while ` +
        `${stage.spec.name} was reading it (sha256 ${before.slice(0, 12)}… at planning, ` +
        `${shown}); run again`,
    );
  }
}

export interface StageResult {
  stage: string;
  key: string;
  dir: string;
  cached: boolean;
}

/**
 * Run the plan: reuse every stage whose key is in the store, run the rest into a temp dir
 * and publish it atomically. `force` re-runs the named stages (or all) even when cached.
 */
export interface RunOptions {
  /** Stages to re-run even when cached: all of them, or these names. */
  force?: "all" | Set<string>;
  /** Stages that must come from the store: a miss is an error, never a run (`report`). */
  cachedOnly?: Set<string>;
}

export async function runPlan(
  config: RunConfig,
  plan: PlannedStage[],
  env: RunEnv,
  { force = new Set(), cachedOnly = new Set() }: RunOptions = {},
): Promise<StageResult[]> {
  await env.store.sweepTemp();
  // Before anything is computed, the plan's entries are leased, so gc keeps them.
  const lease = new RunLease(env.store, plan.map((p) => `${p.spec.name}/${p.key}`));
  const results: StageResult[] = [];
  try {
    for (const stage of plan) {
      if (cachedOnly.has(stage.spec.name)) await requireCached(stage, env, config.name);
      const forced = force === "all" || force.has(stage.spec.name);
      const inputs = Object.fromEntries(
        Object.keys(stage.keyInputs.inputs).map((name) => [
          name,
          results.find((r) => r.stage === name)!.dir,
        ]),
      );
      const onMiss = () => lease.take().then(() => {});
      results.push(await runStage(config, stage, inputs, env, forced, onMiss));
    }
  } finally {
    await lease.release();
  }
  return results;
}

/** Fail, naming the stage, why it is missing and the command that produces it. */
export async function requireCached(stage: PlannedStage, env: RunEnv, configName: string) {
  const { state, why } = await stageState(stage, env.store, configName);
  if (state === "cached") return;
  throw new UserError(
    `${stageLabel(stage.spec.name, stage.key)} is not in the store (${state}: ${why}); ` +
      `produce it with \`${env.runCommand ?? `deno task run ${env.configPath}`}\` ` +
      "(nothing was trained or written)",
  );
}

/**
 * Reuse the stage's artifact if the store holds it intact, else run and publish it.
 * The lookup comes first and takes no lock: a hit writes nothing, so a fully cached run
 * works on a read-only store. A miss takes the lock and looks again inside it (the run we
 * waited for may have just published the key). A full disk or a read-only store is one line.
 */
export async function runStage(
  config: RunConfig,
  stage: PlannedStage,
  inputs: Record<string, string>,
  env: RunEnv,
  forced: boolean,
  /** Called once the stage is known to need computing, before anything is written. */
  onMiss: () => Promise<void> = () => Promise.resolve(),
): Promise<StageResult> {
  const { store } = env;
  const { name } = stage.spec;
  // The lookup's verdict, and on a hit the status line and the result to return.
  const lookUp = async () => {
    const started = performance.now();
    const found = await store.lookup(name, stage.key);
    if (found.state !== "hit") return { found };
    const bytes = Object.values(found.manifest.files).reduce((n, f) => n + f.size, 0);
    const took = formatDuration(performance.now() - started);
    env.status(statusLine(name, stage.key, "cached", formatBytes(bytes), took));
    const result: StageResult = { stage: name, key: stage.key, dir: found.dir, cached: true };
    return { found, result };
  };
  if (!forced) {
    const { result } = await lookUp();
    if (result) return result;
  }
  const where = { root: store.root, stage: name, key: stage.key };
  try {
    await store.locksDir();
    await onMiss();
  } catch (error) {
    throw describeDiskError(error, { ...where, what: "its lock" }) ?? error;
  }
  const lockPath = store.lockPath(name, stage.key);
  const say = ({ message }: { message: string }) => env.log(statusLine(name, stage.key, message));
  return await withDiskErrors(where, () =>
    withLock(lockPath, async () => {
      if (!forced) {
        const { found, result } = await lookUp();
        if (result) return result;
        if (found.state === "corrupt") {
          const aside = await store.quarantine(name, stage.key);
          env.status(statusLine(name, stage.key, `corrupt (${found.reason}); moved to ${aside}`));
        }
      }
      const manifest = await execute(config, stage, inputs, env);
      const bytes = Object.values(manifest.files).reduce((n, f) => n + f.size, 0);
      const took = formatDuration(manifest.durationMs);
      env.status(statusLine(name, stage.key, `ran in ${took}`, formatBytes(bytes)));
      return { stage: name, key: stage.key, dir: store.dir(name, stage.key), cached: false };
    }, { onWait: say, onTakeOver: say }));
}

/** Run one stage into a fresh temp dir and publish it; on any failure nothing is published. */
export async function execute(
  config: RunConfig,
  stage: PlannedStage,
  inputs: Record<string, string>,
  env: RunEnv,
  publish = true,
): Promise<Manifest> {
  const { store } = env;
  const outDir = await store.makeTempDir(stage.spec.name, stage.key);
  // A verifying re-run must start from nothing, so it never sees a checkpoint.
  const workDir = publish ? store.workDir(stage.spec.name, stage.key) : `${outDir}.work`;
  await Deno.mkdir(workDir, { recursive: true });
  const startedAt = new Date();
  const runInfo: Record<string, unknown> = {};
  // Where an interrupt would leave the stage, for the CLI's message (a verifying re-run
  // never resumes); forgotten when the stage ends.
  const label = stageLabel(stage.spec.name, stage.key);
  try {
    const run = await stage.spec.load();
    const ctx: StageContext = {
      params: stage.keyInputs.params,
      inputs,
      inputKeys: stage.keyInputs.inputs,
      outDir,
      workDir,
      seed: config.seed,
      log: env.log,
      record: (name, value) => runInfo[name] = value,
      progress: env.progress,
      resumePoint: publish ? (where) => noteResumePoint(label, where) : undefined,
    };
    try {
      await run(ctx);
    } catch (error) {
      throw error instanceof UserError ? namingConfig(error, env.configPath, label) : error;
    }
    // What the stage read must be what its key names: else publish nothing, and drop any
    // checkpoint made from the other bytes.
    await checkExternalFiles(stage, env.configPath).catch(async (error) => {
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
      throw error;
    });
    await checkInputsIntact(stage, env, label);
    const endedAt = new Date();
    const manifest = {
      stage: stage.spec.name,
      key: stage.key,
      keyInputs: stage.keyInputs,
      fingerprint: stage.fingerprint,
      config: {
        name: config.name,
        path: env.configPath,
        ...(env.overrides?.length ? { overrides: env.overrides } : {}),
        resolved: config,
      },
      seed: config.seed,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
      runInfo,
      project: projectVersion(),
    };
    if (!publish) return { ...manifest, files: await store.hashFiles(outDir) };
    const published = await store.publish(outDir, manifest);
    await Deno.remove(workDir, { recursive: true });
    return published;
  } finally {
    noteResumePoint(label, null);
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
    if (!publish) await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/**
 * The upstream entries a stage read must still match their manifests when it ends: an entry
 * changed under a running stage (by hand, or a disk fault) would otherwise publish results of
 * other data under this key. A changed input fails the stage; nothing is published, and the
 * next run finds the input corrupt and redoes it.
 */
async function checkInputsIntact(stage: PlannedStage, env: RunEnv, label: string): Promise<void> {
  for (const [name, key] of Object.entries(stage.keyInputs.inputs)) {
    const found = await env.store.lookup(name.split(":")[0], key);
    if (found.state === "hit") continue;
    const why = found.state === "corrupt" ? found.reason : "it is gone";
    throw new UserError(
      `${env.configPath}: ${label}: its input ${stageLabel(name, key)} changed while it ran ` +
        `(${why}); nothing was published: run again`,
    );
  }
}
