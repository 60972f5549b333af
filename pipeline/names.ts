/**
 * Names that become folder names (a config's `name:`, `compare --name`, a run under
 * `--seeds`) are data, not paths: one safe pattern, checked before any path is built, and
 * every path built from a name is proven to stay inside the folder it was meant for.
 */
import { relative, resolve } from "node:path";
import { excerpt } from "./bounded_read.ts";
import { UserError } from "./errors.ts";

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit (so never `.` or `..`). */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Room for `-seed<N>` and a sweep cell's suffixes within common 255-byte file names. */
export const MAX_NAME_LENGTH = 100;

/**
 * A segment of a run's name: a safe name that may also hold `=`, `,`, `+` and `@`, which
 * command-line overrides and sweep cells put in names (`vae@loss.beta=4`).
 */
export const RUN_NAME_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=,+@-]*$/;

/**
 * Why `name` is not a run's name, or undefined when it is: a sweep's cells are `/`-separated
 * segments (`loss-balance/separate-l2/wSigma=3/seed1`), at most MAX_NAME_LENGTH each.
 */
export function runNameProblem(name: string, segments = Infinity): string | undefined {
  const parts = name.split("/");
  const characters = "may hold only letters, digits, '.', '_', '-', '=', ',', '+' and '@', and " +
    "must start with a letter or digit";
  if (parts.length > segments) return characters;
  for (const part of parts) {
    if (part.length === 0) return "has an empty part between '/'";
    if (part.length > MAX_NAME_LENGTH) {
      return `${parts.length > 1 ? "has a part" : "is"} longer than ${MAX_NAME_LENGTH} characters`;
    }
    if (!RUN_NAME_SEGMENT.test(part)) {
      return parts.length > 1 ? `has a part that ${characters} ('/' separates parts)` : characters;
    }
  }
  return undefined;
}

/** Why `name` is not a safe name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (!SAFE_NAME.test(name)) {
    return "may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit";
  }
  return undefined;
}

/** Throw a one-line UserError naming `what` (e.g. "--name") unless `name` is safe. */
export function checkName(name: string, what: string): string {
  const problem = nameProblem(name);
  if (problem) throw new UserError(`${what} ${excerpt(name)} ${problem}`);
  return name;
}

/**
 * `root/name`, after proving that it is a direct child of `root` (defence in depth). `name`
 * is one segment of a run's name (a config's, or one with overrides: `vae@loss.beta=4`).
 */
export function childPath(root: string, name: string, what: string): string {
  const problem = runNameProblem(name, 1);
  if (problem) throw new UserError(`${what} ${excerpt(name)} ${problem}`);
  const path = resolve(root, name);
  if (relative(resolve(root), path) !== name) {
    throw new Error(`internal: ${what} ${name} resolved outside ${root}`);
  }
  return path;
}
