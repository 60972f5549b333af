/**
 * Put a published report artifact at `reports/<name>/`, where people look for it.
 *
 * Nothing is lost on the way: the name must be a safe name (never a path), the copy is
 * built complete beside the target and swapped in by rename, a folder there that this
 * pipeline did not publish is never replaced, and a report someone edited after it was
 * published is moved aside to `reports/.modified/`, not overwritten.
 */
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { childPath } from "./names.ts";
import { recordedFilesProblem } from "./recorded_files.ts";
import { identityTag } from "./process_identity.ts";
import { MANIFEST, type Manifest, tempOwnerLiveness } from "./store.ts";

/** Stages whose artifacts are published as report folders. */
const REPORT_STAGES = ["report", "compare"];

export interface PublishedReport {
  /** `reports/<name>`. */
  path: string;
  /** Whether the folder was written (false: it already held this artifact, intact). */
  written: boolean;
  /** Where an edited copy that was there went, and why it counted as edited. */
  movedAside?: { to: string; why: string };
}

export async function publishReport(
  artifactDir: string,
  reportsRoot: string,
  name: string,
): Promise<PublishedReport> {
  const target = childPath(reportsRoot, name, "report name");
  const manifest: Manifest = JSON.parse(await Deno.readTextFile(join(artifactDir, MANIFEST)));
  const there = await inspect(target, name);
  if (there.state === "same" && there.key === manifest.key) {
    return { path: target, written: false };
  }
  await Deno.mkdir(reportsRoot, { recursive: true });
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
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(target, MANIFEST)));
  } catch {
    throw notOurs(`has no readable ${MANIFEST}`);
  }
  if (!REPORT_STAGES.includes(manifest?.stage) || typeof manifest.files !== "object") {
    throw notOurs(`its ${MANIFEST} is not a report's`);
  }
  const why = await recordedFilesProblem(target, manifest.files, [MANIFEST]);
  return why ? { state: "edited", why } : { state: "same", key: manifest.key };
}

/** `reports/.modified/<name>-<time>`: an edited report, kept whole for its owner. */
async function moveAside(reportsRoot: string, name: string, target: string): Promise<string> {
  const aside = join(reportsRoot, ".modified");
  await Deno.mkdir(aside, { recursive: true });
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
    if (entry.isDirectory) await copy(src, dst);
    else await Deno.copyFile(src, dst);
  }
}
