/**
 * Verifying by re-running: stages executed again into scratch space and their files compared,
 * byte for byte, with the cached artifacts, which are never written.
 */
import type { PlannedStage } from "./plan.ts";
import type { RunConfig } from "./stage.ts";
import { execute, type RunEnv } from "./runner.ts";
import { UserError } from "./errors.ts";
import type { Lookup } from "./store.ts";
import { stageLabel, statusLine } from "./stage_line.ts";

/**
 * Re-execute stages into scratch space and compare every file with the cached artifact,
 * byte for byte (by sha256). Returns the number of mismatching files. The cache is read,
 * never written: this checks that same config + code + backend gives the same bytes.
 */
export async function verifyPlan(
  config: RunConfig,
  plan: PlannedStage[],
  selected: PlannedStage[],
  env: RunEnv,
): Promise<number> {
  let mismatches = 0;
  for (const stage of selected) {
    const inputs: Record<string, string> = {};
    for (const upstream of Object.keys(stage.keyInputs.inputs)) {
      inputs[upstream] = await cachedDir(plan.find((p) => p.spec.name === upstream)!, env);
    }
    const cached = await env.store.lookup(stage.spec.name, stage.key);
    if (cached.state !== "hit") throw notCached(stage, cached, env);
    const fresh = await execute(config, stage, inputs, env, false);
    const names = new Set([...Object.keys(cached.manifest.files), ...Object.keys(fresh.files)]);
    const bad = [...names].filter((n) =>
      cached.manifest.files[n]?.sha256 !== fresh.files[n]?.sha256
    );
    mismatches += bad.length;
    const head = statusLine(stage.spec.name, stage.key);
    env.status(
      bad.length
        ? `${head}  DIFFERS in ${bad.join(", ")}`
        : `${head}  identical (${names.size} files)`,
    );
  }
  return mismatches;
}

async function cachedDir(stage: PlannedStage, env: RunEnv): Promise<string> {
  const found = await env.store.lookup(stage.spec.name, stage.key);
  if (found.state !== "hit") throw notCached(stage, found, env);
  return found.dir;
}

/** What is wrong with the stored entry (naming the bad file) and the command that redoes it. */
function notCached(stage: PlannedStage, found: Lookup, env: RunEnv): UserError {
  const what = found.state === "corrupt"
    ? `is corrupt (${found.reason}) in ${found.dir}`
    : `is not in the store ${env.store.root}`;
  const command = env.runCommand ?? `deno task run ${env.configPath}`;
  return new UserError(
    `${stageLabel(stage.spec.name, stage.key)} ${what}; run \`${command}\` first ` +
      "(it redoes a corrupt entry)",
  );
}
