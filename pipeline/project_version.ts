/**
 * Which version of this project made an artifact: the git commit of the checkout and
 * whether its tree had changes not committed. Recorded in every manifest and shown in the
 * report, for a reader who wants the code behind a number. It is not part of any key: the
 * code fingerprint already covers the exact source a stage ran (a commit that changes only
 * the README must not re-key anything), so this is a label for people, not for the cache.
 */
import { PROJECT_ROOT } from "./command_line.ts";

export interface ProjectVersion {
  /** The commit checked out, or null when there is no git, no repository, or it failed. */
  commit: string | null;
  /** Uncommitted changes or untracked files (not ignored) in the tree; null when unknown. */
  dirty: boolean | null;
}

/** Where git is looked for; the launcher allows the ones that exist (by absolute path). */
export const GIT_PATHS = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"];

let cached: ProjectVersion | undefined;

/** The project's version, asked of git once per process. */
export function projectVersion(): ProjectVersion {
  cached ??= askGit(PROJECT_ROOT);
  return cached;
}

/** `git rev-parse HEAD` and `git status --porcelain` in `root`, each null if it fails. */
export function askGit(root: string, gitPaths = GIT_PATHS): ProjectVersion {
  const commit = runGit(gitPaths, root, ["rev-parse", "--verify", "HEAD"])?.trim();
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return { commit: null, dirty: null };
  const status = runGit(gitPaths, root, ["status", "--porcelain"]);
  return { commit, dirty: status === undefined ? null : status.trim() !== "" };
}

/** git's stdout, or undefined when no git may run or it fails. */
function runGit(gitPaths: string[], root: string, args: string[]): string | undefined {
  for (const git of gitPaths) {
    let output: Deno.CommandOutput;
    try {
      output = new Deno.Command(git, {
        // No fsmonitor hook: asking for the version must never run a program from a config.
        args: ["-C", root, "-c", "core.fsmonitor=false", ...args],
        stdout: "piped",
        stderr: "null",
        env: { GIT_OPTIONAL_LOCKS: "0" }, // `status` must not write the index of the checkout
      }).outputSync();
    } catch {
      continue; // not there, or not allowed: try the next
    }
    return output.success ? new TextDecoder().decode(output.stdout) : undefined;
  }
  return undefined;
}
