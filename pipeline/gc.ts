/**
 * `deno task gc`: free the store of what nothing needs. An entry is kept when a given
 * config's plan reaches it, when a published report (or comparison) was made from it, or
 * when a kept entry was made from it (lineage is followed upstream through manifests).
 * Everything else in the store goes — stage entries, abandoned training checkpoints,
 * quarantined corrupt entries and temp dirs of runs that provably died — except what a
 * live run holds a lock on. An entry is first renamed out of the store's namespace, then
 * deleted, so no reader sees half of one.
 *
 * It never deletes outside the store: only `<stage>/<key>` folders (real folders, not
 * symlinks) whose manifest names exactly that stage and key are entries; `.work`,
 * `.corrupt` and `.tmp` and everything in them must be real folders; a symlink is never
 * followed, and anything that does not look like the store's own is left alone and said
 * so. A non-empty folder that holds no store entry at all is refused whole.
 */
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { type EntryKind, folderBytes, kindAt, subdirs } from "./folders.ts";
import { type ArtifactStore, KEY_PATTERN, MANIFEST, type Manifest, readManifest } from "./store.ts";
import { SAFE_NAME } from "./names.ts";
import { stageLabel } from "./stage_line.ts";

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
  /** What is in the store's folders but is not the store's to remove, and why (no bytes). */
  left: GcItem[];
  kept: number;
}

/** The store's own folders; anything else at its top level that is not a stage is a stranger. */
const INTERNAL = [".tmp", ".work", ".corrupt", ".locks"];

/** `.work/<stage>-<key>`: a checkpoint folder (see ArtifactStore.workDir). */
const WORK_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)-([0-9a-f]{64})$/;

/** `.corrupt/<stage>-<key>-<ms>`: a quarantined entry (see ArtifactStore.quarantine). */
const CORRUPT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{64}-\d+$/;

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
    const [stage, key] = id.split("/");
    if (!SAFE_NAME.test(stage ?? "") || !KEY_PATTERN.test(key ?? "")) continue;
    const manifest = await entryManifest(store, stage, key);
    for (const [name, upstream] of Object.entries(manifest?.keyInputs.inputs ?? {})) {
      queue.push(entryId(name, upstream));
    }
  }
  return seen;
}

/** The store entries published report folders under `reportsRoot` were made from. */
export async function reportRoots(reportsRoot: string): Promise<string[]> {
  const roots: string[] = [];
  for (const name of await subdirs(reportsRoot)) {
    const { manifest } = await readManifest(join(reportsRoot, name));
    if (manifest) roots.push(`${manifest.stage}/${manifest.key}`);
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
  const result: GcResult = { removed: [], locked: [], left: [], kept: 0 };
  if (!await isFolder(store.root)) return result;
  const entries = await storeEntries(store, result);
  await refuseUnlessStore(store, entries.length);
  const leave = (path: string, why: string) => result.left.push({ path, bytes: 0, what: why });
  const consider = async (path: string, stage: string, key: string, what: string) => {
    const item = { path, bytes: await folderBytes(join(store.root, path)), what };
    if (await isLocked(stage, key)) return result.locked.push(item);
    if (!dryRun) await removeEntry(store, path);
    result.removed.push(item);
  };
  for (const { stage, key } of entries) {
    if (keep.has(`${stage}/${key}`)) result.kept++;
    else await consider(join(stage, key), stage, key, stageLabel(stage, key));
  }
  // A checkpoint of a kept key is a run that can still resume: it stays.
  for (const name of await internalFolders(store, ".work", leave)) {
    const match = name.match(WORK_NAME);
    if (!match) {
      leave(join(".work", name), `.work/${name}: not a checkpoint folder, left alone`);
      continue;
    }
    const [, stage, key] = match;
    if (keep.has(`${stage}/${key}`)) continue;
    await consider(join(".work", name), stage, key, `checkpoint ${stageLabel(stage, key)}`);
  }
  for (const name of await internalFolders(store, ".corrupt", leave)) {
    const path = join(".corrupt", name);
    if (!CORRUPT_NAME.test(name)) {
      leave(path, `.corrupt/${name}: not a quarantined entry, left alone`);
      continue;
    }
    const bytes = await folderBytes(join(store.root, path));
    if (!dryRun) await removeEntry(store, path);
    result.removed.push({ path, bytes, what: `corrupt ${name}` });
  }
  // Temp dirs of runs that provably died (the rule of ArtifactStore.sweepTemp): never one
  // whose owner is alive, is us, or cannot be judged (another host or pid namespace).
  if (await internalFolderKind(store, ".tmp", leave)) {
    const { dead, notFolders } = await store.deadTemps();
    for (const { name, kind } of notFolders) {
      leave(join(".tmp", name), `.tmp/${name}: ${describe(kind)}, left alone`);
    }
    for (const { name, reason } of dead) {
      const path = join(".tmp", name);
      const bytes = await folderBytes(join(store.root, path)).catch(() => 0);
      if (!dryRun) {
        // Already out of the namespace: no reader looks in .tmp, so it is deleted in place.
        const gone = await Deno.remove(join(store.root, path), { recursive: true }).then(
          () => false,
          (error) => {
            if (error instanceof Deno.errors.NotFound) return true; // a run swept it
            throw error;
          },
        );
        if (gone) continue;
      }
      result.removed.push({ path, bytes, what: `temp ${name} (${reason})` });
    }
  }
  return result;
}

/**
 * Every `<stage>/<key>` that is a store entry: a real folder whose key is 64 hex digits and
 * whose manifest names exactly that stage and key. What else is there is noted in `left`.
 */
async function storeEntries(
  store: ArtifactStore,
  result: GcResult,
): Promise<{ stage: string; key: string }[]> {
  const entries: { stage: string; key: string }[] = [];
  const leave = (path: string, why: string) =>
    result.left.push({ path, bytes: 0, what: `${path}: not a store entry, left alone (${why})` });
  for await (const top of Deno.readDir(store.root)) {
    if (top.isSymlink && !top.name.startsWith(".")) leave(top.name, "a symlink, not followed");
  }
  for (const stage of await subdirs(store.root)) {
    for await (const entry of Deno.readDir(join(store.root, stage))) {
      if (entry.name.startsWith(".")) continue;
      const why = await entryProblem(store, stage, entry);
      if (why) leave(join(stage, entry.name), why);
      else entries.push({ stage, key: entry.name });
    }
  }
  return entries.sort((a, b) => a.stage.localeCompare(b.stage) || a.key.localeCompare(b.key));
}

/** Why `<stage>/<entry>` is not a store entry, or undefined when it is one. */
async function entryProblem(
  store: ArtifactStore,
  stage: string,
  entry: Deno.DirEntry,
): Promise<string | undefined> {
  const { name } = entry;
  if (entry.isSymlink) return "a symlink, not followed";
  if (!entry.isDirectory) return `a ${(await kindAt(join(store.root, stage, name))) ?? "file"}`;
  if (!KEY_PATTERN.test(name)) return "its name is not a 64-hex-digit key";
  const read = await readManifest(store.dir(stage, name));
  if (read.problem !== undefined) return read.problem;
  if (read.manifest.stage !== stage || read.manifest.key !== name) {
    return `its ${MANIFEST} is for ${stageLabel(read.manifest.stage, read.manifest.key)}`;
  }
  return undefined;
}

/** The manifest of a store entry (a real folder), or undefined. */
async function entryManifest(
  store: ArtifactStore,
  stage: string,
  key: string,
): Promise<Manifest | undefined> {
  if (await kindAt(join(store.root, stage)) !== "directory") return undefined;
  if (await kindAt(store.dir(stage, key)) !== "directory") return undefined;
  const { manifest } = await readManifest(store.dir(stage, key));
  return manifest?.stage === stage && manifest.key === key ? manifest : undefined;
}

/** Whether `root` is a folder (following a symlink: the store itself may be one); absent: false. */
async function isFolder(root: string): Promise<boolean> {
  try {
    if ((await Deno.stat(root)).isDirectory) return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  throw new UserError(
    `${root} does not look like an artifact store (it is not a folder); nothing was removed`,
  );
}

/**
 * A folder holding no store entry must hold nothing but the store's own folders (a store
 * whose first run was interrupted); anything else is not a store, and gc removes nothing.
 */
async function refuseUnlessStore(store: ArtifactStore, entries: number): Promise<void> {
  if (entries > 0) return;
  const strangers: string[] = [];
  try {
    for await (const entry of Deno.readDir(store.root)) {
      if (!INTERNAL.includes(entry.name)) strangers.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (strangers.length === 0) return;
  throw new UserError(
    `${store.root} does not look like an artifact store (no <stage>/<key>/${MANIFEST}); ` +
      "nothing was removed",
  );
}

/**
 * The real folders in the store's internal folder `name` (.work, .corrupt), never following
 * a symlink: the folder itself, and each folder in it, must be real; any other kind is
 * noted through `leave` and left.
 */
async function internalFolders(
  store: ArtifactStore,
  name: string,
  leave: (path: string, why: string) => void,
): Promise<string[]> {
  if (!await internalFolderKind(store, name, leave)) return [];
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(store.root, name))) {
    const path = join(name, entry.name);
    if (entry.isDirectory && !entry.isSymlink) out.push(entry.name);
    else {
      const kind = entry.isSymlink ? "symlink" : await kindAt(join(store.root, path));
      if (kind) leave(path, `${path}: ${describe(kind)}, left alone`);
    }
  }
  return out.sort();
}

/** Whether the internal folder `name` is a real folder (false if absent; noted if not one). */
async function internalFolderKind(
  store: ArtifactStore,
  name: string,
  leave: (path: string, why: string) => void,
): Promise<boolean> {
  const kind = await kindAt(join(store.root, name));
  if (kind === undefined) return false;
  if (kind === "directory") return true;
  leave(name, `${name}: ${describe(kind)}, not followed; left alone`);
  return false;
}

const describe = (kind: EntryKind | string) => `is a ${kind}, not a folder`;

/** Rename out of the namespace first (atomic for readers), then delete. */
async function removeEntry(store: ArtifactStore, path: string): Promise<void> {
  const trash = await store.makeTempDir("gc", path.replace(/[/.]/g, "_"));
  await Deno.remove(trash);
  await Deno.rename(join(store.root, path), trash);
  await Deno.remove(trash, { recursive: true });
}
