import { formatDuration } from "./units.ts";

/** A progress indicator for one long loop; `done` prints the final state. */
export interface Progress {
  /** Advance to `step` (default: one more) with an optional short note, e.g. the loss. */
  tick(step?: number, info?: string): void;
  done(info?: string): void;
}

/** A progress indicator that shows nothing: for tests and for output that is not a terminal. */
export const silentProgress = (): Progress => ({ tick() {}, done() {} });

/**
 * A one-line bar redrawn in place: `train  ████████░░░░  412/1000  41%  ETA 1 min 02 s  loss 143.2`.
 * The ETA extrapolates the mean time per step so far. Redraws at most 10 times a second,
 * so a fast loop does not spend its time printing.
 */
export function terminalProgress(
  write: (text: string) => void,
  columns = 100,
  now: () => number = () => performance.now(),
): (label: string, total: number) => Progress {
  return (label, total) => {
    const start = now();
    let step = 0;
    let lastDraw = -Infinity;
    const draw = (info = "", final = false) => {
      const elapsed = now() - start;
      const fraction = total > 0 ? Math.min(1, step / total) : 1;
      const eta = step > 0 && !final ? formatDuration((elapsed / step) * (total - step)) : "";
      const timing = final ? `in ${formatDuration(elapsed)}` : `ETA ${eta || "…"}`;
      const text = `${label}  ${step}/${total}  ${Math.round(fraction * 100)}%  ${timing}  ${info}`;
      const width = Math.max(10, Math.min(30, columns - text.length - 3));
      const filled = Math.round(fraction * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      write(`\r\x1b[2K${bar}  ${text}`.slice(0, columns + 10) + (final ? "\n" : ""));
    };
    return {
      tick(next, info) {
        step = next ?? step + 1;
        if (now() - lastDraw < 100 && step < total) return;
        lastDraw = now();
        draw(info);
      },
      done(info) {
        step = total;
        draw(info, true);
      },
    };
  };
}
