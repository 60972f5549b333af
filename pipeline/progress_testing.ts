/**
 * A progress hook that records every call, so a test can check what a stage reports of its
 * loops.
 */
import type { Progress, ProgressOptions, StartProgress } from "./progress.ts";

/** One progress indicator a stage started, as a test sees it. */
export interface RecordedLoop {
  label: string;
  total: number;
  options: ProgressOptions;
  /** Every tick: the step it moved to and its note. */
  ticks: { step: number; info?: string }[];
  done: boolean;
}

/** A StageContext.progress that keeps every call, for tests of a stage's progress hooks. */
export function recordingProgress(): { progress: StartProgress; loops: RecordedLoop[] } {
  const loops: RecordedLoop[] = [];
  const progress: StartProgress = (label, total, options = {}): Progress => {
    const loop: RecordedLoop = { label, total, options, ticks: [], done: false };
    loops.push(loop);
    let step = 0;
    return {
      tick(next, info) {
        step = next ?? step + 1;
        loop.ticks.push({ step, info });
      },
      done() {
        loop.done = true;
      },
    };
  };
  return { progress, loops };
}
