/** Fake store entries for tests of the engine: real manifests, made-up stages and files. */
import { join } from "node:path";
import { ArtifactStore, type Manifest } from "./store.ts";

/** A manifest for a fake artifact of `stage` with the given upstream keys. */
export function fakeManifest(
  stage: string,
  key: string,
  inputs: Record<string, string> = {},
): Omit<Manifest, "files"> {
  return {
    stage,
    key,
    keyInputs: { stage, code: "c", params: { p: stage }, inputs, runtime: { deno: "x" } },
    fingerprint: { files: {}, npm: [] },
    config: { name: "demo", path: "configs/demo.yaml", resolved: {} },
    seed: 0,
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 1000,
    runInfo: {},
  };
}

/** Publish a fake artifact of `stage` holding `out.txt`; returns its directory. */
export async function publishFake(
  store: ArtifactStore,
  stage: string,
  key: string,
  inputs: Record<string, string> = {},
): Promise<string> {
  const temp = await store.makeTempDir(stage, key);
  await Deno.writeTextFile(join(temp, "out.txt"), `${stage} ${key}`);
  await store.publish(temp, fakeManifest(stage, key, inputs));
  return store.dir(stage, key);
}
