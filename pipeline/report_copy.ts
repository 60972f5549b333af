/**
 * Put a published report artifact at `reports/<name>/`, where people look for it.
 *
 * Nothing is lost on the way: the name must be a safe name (never a path), the copy is
 * built complete beside the target and swapped in by rename, a folder there that this
 * pipeline did not publish is never replaced, and a report someone edited after it was
 * published is moved aside to `reports/.modified/`, not overwritten. Two runs publishing one
 * name take turns, under the lock `reports/.<name>.lock`.
 */
import { join } from "node:path";
import { isNoSpace, isReadOnly } from "./disk_errors.ts";
import { UserError } from "./errors.ts";
import { kindAt, kindOf, NotRegularFileError } from "./folders.ts";
import { withLock } from "./lock.ts";
import { childPath } from "./names.ts";
import { recordedFilesProblem } from "./recorded_files.ts";
import { identityTag } from "./process_identity.ts";
import { MANIFEST, readManifest, tempOwnerLiveness } from "./store.ts";
import { PUBLISHING_STAGES } from "../stages/registry.ts";

export interface PublishedReport {
  /** `reports/<name>`. */
  path: string;
  /** Whether the folder was written (false: it already held this artifact, intact). */
  written: boolean;
  /** Where an edited copy that was there went, and why it counted as edited. */
  movedAside?: { to: string; why: string };
}

/** What a publisher says while it waits for another one (see `withLock`). */
export interface PublishOptions {
  /** Another run is publishing this name: one line naming it, repeated while we wait. */
  onWait?: (message: string) => void;
  /** A run that died while publishing this name left its lock: we took it over. */
  onTakeOver?: (message: string) => void;
}

export async function publishReport(
  artifactDir: string,
  reportsRoot: string,
  name: string,
  options: PublishOptions = {},
): Promise<PublishedReport> {
  const target = childPath(reportsRoot, name, "report name");
  const { manifest, problem } = await readManifest(artifactDir);
  if (problem !== undefined) {
    throw new UserError(`${artifactDir}: ${problem}; run again to redo it (nothing was published)`);
  }
  try {
    await checkReportsRoot(reportsRoot);
    await Deno.mkdir(reportsRoot, { recursive: true });
    // Looking at what is there and swapping in the copy is one step between processes:
    // otherwise a run could read another's half-swapped folder and move its fresh copy
    // aside as "edited", or both could build on one stale look.
    return await withLock(
      lockPath(reportsRoot, name),
      () => swapIn(artifactDir, manifest.key, reportsRoot, name, target),
      {
        onWait: (info) => options.onWait?.(`${info.message} to publish ${target}`),
        onTakeOver: (info) => options.onTakeOver?.(info.message),
      },
    );
  } catch (error) {
    throw reportsDiskError(error, reportsRoot, name) ?? error;
  }
}

/** `<reports>/.<name>.lock`: held while a run inspects and replaces `<reports>/<name>`. */
export function lockPath(reportsRoot: string, name: string): string {
  return join(reportsRoot, `.${name}.lock`);
}

/**
 * Whether a report can be published as `reports/<name>`, checked before anything runs: the
 * same one-line UserError publishReport would throw only at the end (a file or a folder this
 * pipeline did not publish in the way, a reports folder that is not one, an edited report
 * with nowhere to be kept). Changes nothing.
 */
export async function checkPublishable(reportsRoot: string, name: string): Promise<void> {
  const target = childPath(reportsRoot, name, "report name");
  try {
    await checkReportsRoot(reportsRoot);
    const there = await inspect(target, name);
    if (there.state === "edited") await checkModifiedFolder(reportsRoot);
  } catch (error) {
    throw reportsDiskError(error, reportsRoot, name) ?? error;
  }
}

/** Inspect the target and swap in a copy of the artifact; run under the name's lock. */
async function swapIn(
  artifactDir: string,
  key: string,
  reportsRoot: string,
  name: string,
  target: string,
): Promise<PublishedReport> {
  const there = await inspect(target, name);
  if (there.state === "same" && there.key === key) {
    return { path: target, written: false };
  }
  // Where an edited copy would go is checked before anything changes.
  if (there.state === "edited") await checkModifiedFolder(reportsRoot);
  await sweepLeftovers(reportsRoot, name);
  let movedAside: PublishedReport["movedAside"];
  if (there.state === "edited") {
    const to = await moveAside(reportsRoot, name, target);
    movedAside = { to, why: there.why };
  }
  // The owner's identity in the names lets a later run sweep them if we die.
  const fresh = join(reportsRoot, `.${name}.new-${identityTag()}-`);
  const old = join(reportsRoot, `.${name}.old-${identityTag()}-`);
  try {
    await copy(artifactDir, fresh);
    const hadOld = await Deno.rename(target, old).then(() => true, () => false);
    await Deno.rename(fresh, target);
    if (hadOld) await Deno.remove(old, { recursive: true });
  } catch (error) {
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
    throw error;
  }
  return { path: target, written: true, movedAside };
}

/**
 * A full disk or a read-only (or unwritable) reports folder as one line naming the folder
 * and the fix, or undefined for any other error (which the caller rethrows).
 */
function reportsDiskError(error: unknown, reportsRoot: string, name: string) {
  if (error instanceof UserError) return undefined;
  if (isNoSpace(error)) {
    return new UserError(
      `no space left on device in the reports folder ${reportsRoot} while publishing ` +
        `"${name}"; free space and run again (the report stays in the store)`,
      { cause: error },
    );
  }
  if (isReadOnly(error)) {
    return new UserError(
      `the reports folder ${reportsRoot} is read-only (needed to publish "${name}"); make it ` +
        "writable or pass --reports <a writable folder> (the report stays in the store)",
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.AlreadyExists) {
    return new UserError(
      `the reports folder ${reportsRoot} (or a folder on its path) is not a folder; pass ` +
        "--reports <a folder> (the report stays in the store)",
      { cause: error },
    );
  }
  return undefined;
}

/** The reports folder is a folder (a symlink to one is fine: the user chose it), or absent. */
async function checkReportsRoot(reportsRoot: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(reportsRoot);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isDirectory) {
    throw new UserError(
      `the reports folder ${reportsRoot} is not a folder (a ${kindOf(info)}); ` +
        "pass --reports <a folder> (the report stays in the store)",
    );
  }
}

/**
 * `reports/.modified` must be a real folder (or absent): a symlink would move an edited
 * report outside the reports folder, and a file cannot take it.
 */
async function checkModifiedFolder(reportsRoot: string): Promise<void> {
  const aside = join(reportsRoot, ".modified");
  const kind = await kindAt(aside);
  if (kind === undefined || kind === "directory") return;
  throw new UserError(
    `${aside} is not a folder (a ${kind}), so the edited report cannot be kept there; ` +
      `remove or rename ${aside} and run again (nothing was changed)`,
  );
}

type Existing =
  | { state: "absent" }
  | { state: "same"; key: string }
  | { state: "edited"; why: string };

/** What is at the target now: nothing, an intact published report, or an edited one. */
async function inspect(target: string, name: string): Promise<Existing> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(target);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { state: "absent" };
    throw error;
  }
  const notOurs = (why: string) =>
    new UserError(
      `${target} exists and ${why}, so it was not published by this pipeline; ` +
        `move it away or publish under another name than "${name}" (nothing was changed)`,
    );
  if (!info.isDirectory) throw notOurs("is not a folder");
  const { manifest, problem } = await readManifest(target);
  if (problem !== undefined) {
    throw notOurs(
      /is missing|is not a regular file|is unreadable/.test(problem)
        ? `has no readable ${MANIFEST}`
        : `its ${MANIFEST} is not a report's`,
    );
  }
  if (!PUBLISHING_STAGES.includes(manifest.stage)) {
    throw notOurs(`its ${MANIFEST} is not a report's`);
  }
  const why = await recordedFilesProblem(target, manifest.files, [MANIFEST]);
  return why ? { state: "edited", why } : { state: "same", key: manifest.key };
}

/** `reports/.modified/<name>-<time>`: an edited report, kept whole for its owner. */
async function moveAside(reportsRoot: string, name: string, target: string): Promise<string> {
  const aside = join(reportsRoot, ".modified");
  await checkModifiedFolder(reportsRoot); // again: it may have changed since
  await Deno.mkdir(aside).catch((error) => {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  });
  await checkModifiedFolder(reportsRoot);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const to = join(aside, `${name}-${stamp}`);
  await Deno.rename(target, to);
  return to;
}

/** Half-built copies of this name left by runs that provably died. */
async function sweepLeftovers(reportsRoot: string, name: string): Promise<void> {
  const prefixes = [`.${name}.new-`, `.${name}.old-`];
  for await (const entry of Deno.readDir(reportsRoot)) {
    if (!prefixes.some((p) => entry.name.startsWith(p))) continue;
    if (tempOwnerLiveness(entry.name).verdict !== "dead") continue;
    await Deno.remove(join(reportsRoot, entry.name), { recursive: true });
  }
}

async function copy(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory && !entry.isSymlink) await copy(src, dst);
    else if (entry.isFile) await Deno.copyFile(src, dst);
    // A store entry that passed its lookup holds only folders and regular files.
    else throw new NotRegularFileError(src, (await kindAt(src)) ?? "special file");
  }
}
