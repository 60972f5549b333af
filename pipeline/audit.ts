/**
 * `verify --check-hashes`: rehash what is stored, without running anything. Every store
 * entry (or those a set of configs reaches), every published report folder and every
 * training checkpoint is checked against the hashes its manifest recorded, and each bad
 * file is named. A lookup does the same check on every use; this does it for all at once.
 */
import { join } from "node:path";
import { kindAt, subdirs } from "./folders.ts";
import { MANIFEST, readManifest } from "./store.ts";
import { recordedFilesProblems } from "./recorded_files.ts";
import { type ArtifactStore, parseWorkDirName } from "./store.ts";
import { stageLabel } from "./stage_line.ts";

export interface AuditFinding {
  /** What was checked: "train 3f9a2c1d", "report reports/cvae", "checkpoint …". */
  place: string;
  problem: string;
}

export interface AuditResult {
  counts: { entries: number; reports: number; checkpoints: number };
  findings: AuditFinding[];
}

/** How a stage checks the resume point in its work dir: its problems, or [] when intact. */
export type WorkCheck = (workDir: string) => Promise<string[]>;

export async function auditStore(
  store: ArtifactStore,
  options: {
    /** Only these `stage/key` entries (those some configs reach); default: all. */
    only?: Set<string>;
    /** Published report folders to check too. */
    reportsRoot?: string;
    /** Per stage name, how to check its work dirs under `.work/` (resume checkpoints). */
    checkWork?: Record<string, WorkCheck>;
  } = {},
): Promise<AuditResult> {
  const result: AuditResult = { counts: { entries: 0, reports: 0, checkpoints: 0 }, findings: [] };
  for (const stage of await subdirs(store.root)) {
    // An entry that is a symlink or a file is bad as it stands: it is named, not followed.
    for await (const entry of Deno.readDir(join(store.root, stage))) {
      if (entry.isDirectory && !entry.isSymlink || entry.name.startsWith(".")) continue;
      if (options.only && !options.only.has(`${stage}/${entry.name}`)) continue;
      result.counts.entries++;
      const kind = entry.isSymlink ? "symlink" : await kindAt(join(store.root, stage, entry.name));
      result.findings.push({
        place: stageLabel(stage, entry.name),
        problem: `the entry is not a folder (a ${kind ?? "file"})`,
      });
    }
    for (const key of await subdirs(join(store.root, stage))) {
      if (options.only && !options.only.has(`${stage}/${key}`)) continue;
      result.counts.entries++;
      const place = stageLabel(stage, key);
      for (const problem of await entryProblems(join(store.root, stage, key), stage, key)) {
        result.findings.push({ place, problem });
      }
    }
  }
  if (options.reportsRoot) {
    for (const name of await subdirs(options.reportsRoot)) {
      const dir = join(options.reportsRoot, name);
      result.counts.reports++;
      for (const problem of await entryProblems(dir)) {
        result.findings.push({ place: `report ${dir}`, problem });
      }
    }
  }
  const workKind = await kindAt(join(store.root, ".work"));
  if (workKind !== undefined && workKind !== "directory") {
    result.findings.push({ place: ".work", problem: `it is not a folder (a ${workKind})` });
  }
  const workDirs = workKind === "directory" ? await subdirs(join(store.root, ".work")) : [];
  for (const name of workDirs) {
    const { stage, key } = parseWorkDirName(name);
    const check = options.checkWork?.[stage];
    if (!check || (options.only && !options.only.has(`${stage}/${key}`))) continue;
    result.counts.checkpoints++;
    for (const problem of await check(join(store.root, ".work", name))) {
      result.findings.push({ place: `checkpoint ${stageLabel(stage, key)}`, problem });
    }
  }
  return result;
}

/** Every problem of a folder holding a manifest; `stage`/`key` when it is a store entry. */
async function entryProblems(dir: string, stage?: string, key?: string): Promise<string[]> {
  const { manifest, problem } = await readManifest(dir);
  if (problem !== undefined) return [problem];
  const problems = await recordedFilesProblems(dir, manifest.files, [MANIFEST]);
  if (stage && (manifest.stage !== stage || manifest.key !== key)) {
    problems.unshift(`${MANIFEST} is for ${manifest.stage} ${manifest.key}, not this folder`);
  }
  return problems;
}
