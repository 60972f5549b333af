/**
 * Fixture runs wired as the compare stage's inputs, from the fake upstream artifacts of
 * render/test_fixtures.ts.
 */
import { join } from "node:path";
import { sha256 } from "../../pipeline/hash.ts";
import { testContext } from "../../pipeline/stage_testing.ts";
import type { CompareParams } from "../compare.ts";
import { type FixtureOptions, writeFixtures } from "../render/test_fixtures.ts";

/**
 * Fixture runs under `root`, one per entry (8×8 images), wired as the compare stage's
 * inputs: a StageContext for `compare`. Keys are distinct per run, as real keys are.
 */
export async function compareContext(
  root: string,
  runs: Record<string, FixtureOptions & { group?: string }>,
) {
  const params: CompareParams = { runs: [] };
  const inputs: Record<string, string> = {}, inputKeys: Record<string, string> = {};
  for (const [name, options] of Object.entries(runs)) {
    const fixture = await writeFixtures(join(root, name), { size: 8, ...options });
    params.runs.push({ name, group: options.group ?? name, config: { ...fixture.config, name } });
    for (const stage of ["train", "evaluate"]) {
      inputs[`${stage}:${name}`] = fixture.inputs[stage];
      inputKeys[`${stage}:${name}`] = sha256(`${stage}:${name}`);
    }
  }
  return await testContext(params, { inputs, inputKeys, dir: root });
}
