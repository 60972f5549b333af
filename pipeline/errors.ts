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
