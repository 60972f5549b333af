/**
 * `deno task gc`: free the store of what nothing needs. An entry is kept when a given
 * config's plan reaches it, when a published report (or comparison) was made from it, or
 * when a kept entry was made from it (lineage is followed upstream through manifests).
 * Everything else in the store goes — stage entries, abandoned training checkpoints and
 * quarantined corrupt entries — except what a live run holds a lock on. An entry is first
 * renamed out of the store's namespace, then deleted, so no reader sees half of one.
 */
import { join } from "node:path";
import { folderBytes, subdirs } from "./folders.ts";
import { MANIFEST, type Manifest } from "./store.ts";
import { type ArtifactStore, parseWorkDirName } from "./store.ts";

export interface GcItem {
  /** Path under the store. */
  path: string;
  bytes: number;
  what: string;
}

export interface GcResult {
  removed: GcItem[];
  /** Unreached entries left alone because a run holds their lock. */
  locked: GcItem[];
  kept: number;
}

/** `stage/key` of an entry; comparisons name their inputs `train:<config>`. */
const entryId = (inputName: string, key: string) => `${inputName.split(":")[0]}/${key}`;

/**
 * Entries reached from `roots` (`stage/key`), following each manifest's inputs upstream.
 * A root that is not in the store is still reached (a run may be about to make it).
 */
export async function reachable(
  store: ArtifactStore,
  roots: Iterable<string>,
): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const manifest = await readManifest(join(store.root, id));
    for (const [name, key] of Object.entries(manifest?.keyInputs?.inputs ?? {})) {
      queue.push(entryId(name, key));
    }
  }
  return seen;
}

/** The store entries published report folders under `reportsRoot` were made from. */
export async function reportRoots(reportsRoot: string): Promise<string[]> {
  const roots: string[] = [];
  try {
    for await (const entry of Deno.readDir(reportsRoot)) {
      if (!entry.isDirectory || entry.name.startsWith(".")) continue;
      const manifest = await readManifest(join(reportsRoot, entry.name));
      if (manifest?.stage && manifest.key) roots.push(`${manifest.stage}/${manifest.key}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return roots;
}

/**
 * Remove what `keep` does not hold. `isLocked(stage, key)` says whether a live run holds
 * the entry's lock. With `dryRun`, only say what would go.
 */
export async function collectGarbage(
  store: ArtifactStore,
  keep: Set<string>,
  isLocked: (stage: string, key: string) => Promise<boolean>,
  dryRun: boolean,
): Promise<GcResult> {
  const result: GcResult = { removed: [], locked: [], kept: 0 };
  const consider = async (path: string, stage: string, key: string, what: string) => {
    const item = { path, bytes: await folderBytes(join(store.root, path)), what };
    if (await isLocked(stage, key)) return result.locked.push(item);
    if (!dryRun) await removeEntry(store, path);
    result.removed.push(item);
  };
  for (const stage of await subdirs(store.root)) {
    for (const key of await subdirs(join(store.root, stage))) {
      if (keep.has(`${stage}/${key}`)) result.kept++;
      else await consider(join(stage, key), stage, key, `${stage} ${key.slice(0, 8)}`);
    }
  }
  // A checkpoint of a kept key is a run that can still resume: it stays.
  for (const name of await subdirs(join(store.root, ".work"))) {
    const { stage, key } = parseWorkDirName(name);
    if (keep.has(`${stage}/${key}`)) continue;
    await consider(join(".work", name), stage, key, `checkpoint ${stage} ${key.slice(0, 8)}`);
  }
  for (const name of await subdirs(join(store.root, ".corrupt"))) {
    if (!dryRun) await removeEntry(store, join(".corrupt", name));
    const bytes = await folderBytes(join(store.root, ".corrupt", name)).catch(() => 0);
    result.removed.push({ path: join(".corrupt", name), bytes, what: `corrupt ${name}` });
  }
  return result;
}

/** Rename out of the namespace first (atomic for readers), then delete. */
async function removeEntry(store: ArtifactStore, path: string): Promise<void> {
  const trash = await store.makeTempDir("gc", path.replace(/[/.]/g, "_"));
  await Deno.remove(trash);
  await Deno.rename(join(store.root, path), trash);
  await Deno.remove(trash, { recursive: true });
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, MANIFEST)));
  } catch {
    return undefined;
  }
}
