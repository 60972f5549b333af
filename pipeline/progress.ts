/** A progress indicator for one long loop; `done` prints the final state. */
export interface Progress {
  tick(step?: number, info?: string): void;
  done(info?: string): void;
}
