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

/** `root/name`, after proving that it is a direct child of `root` (defence in depth). */
export function childPath(root: string, name: string, what: string): string {
  checkName(name, what);
  const path = resolve(root, name);
  if (relative(resolve(root), path) !== name) {
    throw new Error(`internal: ${what} ${name} resolved outside ${root}`);
  }
  return path;
}
