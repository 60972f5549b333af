/**
 * An error the user can fix: bad config, bad data, a missing artifact.
 * The CLI prints its message on one line and exits 1, with no stack trace,
 * because the message already names the place, the value and the fix.
 */
export class UserError extends Error {
  override name = "UserError";
}

/** A loss or metric turned NaN/Inf: the run is broken, stop before writing anything. */
export class NumericError extends UserError {
  override name = "NumericError";
}

/**
 * Run a command's `main` and exit with its code; a UserError is printed as one line
 * (`error: …`) with exit code 1. Anything else is a bug, and keeps its stack trace.
 */
export async function exitWith(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(1);
  }
}
