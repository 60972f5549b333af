/**
 * What an interrupt (Ctrl-C, SIGTERM) should tell the user: which running stage can pick up
 * where it left off, and from where. A stage reports its resume point through
 * `ctx.resumePoint` (the runner forwards it here, keyed by the stage's label); the CLI's
 * signal listener prints `interruptMessage(signal)` and exits with `interruptExitCode(signal)`.
 *
 * Only the CLI owns the process: nothing here listens for signals or exits. The listener runs
 * at the stage's next await, which is why long loops (training epochs) yield regularly.
 */

export type InterruptSignal = "SIGINT" | "SIGTERM";

/**
 * Where a stage would resume: a fixed text, or a function that reads it when asked (from
 * the checkpoint on disk, so it is exact at the instant of the signal); null for nowhere.
 */
export type ResumePoint = string | (() => string | null);

/** Stage label (`train 3f9a2c1d`) → where it resumes (`after epoch 3 of 30`). */
const resumePoints = new Map<string, ResumePoint>();

/**
 * Record (or, with null, forget) where a running stage would resume if stopped now. The
 * runner forgets it when the stage ends, whatever happens.
 */
export function noteResumePoint(stage: string, where: ResumePoint | null): void {
  if (where === null) resumePoints.delete(stage);
  else resumePoints.set(stage, where);
}

/**
 * The line the CLI prints on an interrupt, e.g. `interrupted (SIGTERM): train 3f9a2c1d will
 * resume after epoch 3 of 30 when run again; nothing from the unfinished stage was published`.
 */
export function interruptMessage(signal: InterruptSignal): string {
  const resumes = [...resumePoints].flatMap(([stage, point]) => {
    const where = typeof point === "function" ? point() : point;
    return where ? [`${stage} will resume ${where} when run again; `] : [];
  });
  return `interrupted (${signal}): ${
    resumes.join("")
  }nothing from the unfinished stage was published`;
}

/** The conventional exit status for a process stopped by `signal`: 128 + its number. */
export function interruptExitCode(signal: InterruptSignal): number {
  return signal === "SIGINT" ? 130 : 143;
}
