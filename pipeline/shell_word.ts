/** Words for a shell: what a message shows as a command, and what a batch script runs. */
import { excerpt } from "./bounded_read.ts";
import { UserError } from "./errors.ts";

/** A word as a shell reads it back: plain, single-quoted, or (with control characters) escaped. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(word)) return excerpt(word, 200);
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A word for a script that runs later: as shellWord, but never shortened (a UserError). */
export function scriptWord(word: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f]/.test(word)) return shellWord(word);
  throw new UserError(
    `${excerpt(word, 200)}: a control character cannot go into a batch script; rename the ` +
      "file or folder",
  );
}
