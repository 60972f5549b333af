/**
 * What a stage is handed to show its progress (StageContext.progress). Stages import this
 * file, so its hash joins their keys; how progress is drawn lives in progress_display.ts,
 * which no stage imports, so redrawing the bar never invalidates an artifact.
 */

/** A progress indicator for one long loop; `done` prints the final state. */
export interface Progress {
  /** Advance to `step` (default: one more) with an optional short note, e.g. the loss. */
  tick(step?: number, info?: string): void;
  done(info?: string): void;
}

export interface ProgressOptions {
  /**
   * The steps are a few named phases of unequal length (`load`, `IW bound`, …): the time
   * per step so far predicts nothing, so the elapsed time is shown instead of an ETA, and
   * every step is drawn (there are few, and each names what is running now).
   */
  phases?: boolean;
}

/** Start a progress indicator for `total` steps of a long loop (StageContext.progress). */
export type StartProgress = (label: string, total: number, options?: ProgressOptions) => Progress;

/** A progress indicator that shows nothing: for tests, and where nothing should show. */
export const silentProgress = (): Progress => ({ tick() {}, done() {} });
