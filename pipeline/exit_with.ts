/**
 * How a command's process ends: with its exit code, a UserError as one line, a closed stdout
 * as 141, and anything else as a bug with its stack trace.
 */
import { UserError } from "./errors.ts";

/**
 * Run a command's `main` and exit with its code; a UserError is printed as one line
 * (`error: …`) with exit code 1, a closed stdout ends it with 141. Anything else is a bug,
 * and keeps its stack trace.
 */
export async function exitWith(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (error) {
    // The reader went away (`… | head`): stop quietly, as a killed-by-SIGPIPE tool does.
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(141);
    if (!(error instanceof UserError)) throw error;
    clearProgressLine();
    console.error(`error: ${error.message}`);
    Deno.exit(1);
  }
}

/** A progress bar may be half drawn on the terminal: clear its line so the error has its own. */
function clearProgressLine(): void {
  if (Deno.stdout.isTerminal()) Deno.stdout.writeSync(new TextEncoder().encode("\r\x1b[2K"));
}
