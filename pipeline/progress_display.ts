/**
 * How progress is shown: a bar redrawn in place on a terminal, whole lines anywhere else.
 * Only the CLI imports this file (see progress.ts for why stages must not).
 */
import { silentProgress, type StartProgress } from "./progress.ts";
import { shorten, visibleWidth } from "./text_width.ts";
import { formatDuration } from "./units.ts";

/** Redraw a bar at most this often, so a fast loop does not spend its time printing. */
const REDRAW_MS = 100;
/** The bar's width when there is room; it shrinks to MIN_COMFORTABLE_BAR before text is dropped. */
const MAX_BAR = 30;
const MIN_COMFORTABLE_BAR = 12;
/** Narrower than this a bar says nothing the percentage does not. */
const MIN_BAR = 4;

/** Everything one line of progress may show, before it is fitted to the terminal. */
export interface ProgressState {
  label: string;
  step: number;
  total: number;
  /**
   * What else the line shows, in order, most important first (`ETA 1 min 02 s`,
   * `epoch 3/30`, `loss 143.25`): a narrow terminal drops them from the end.
   */
  extras: string[];
  /** What is running now (a phase's name): kept as long as the label, after the bar. */
  now?: string;
}

/**
 * One line of progress that fits `columns` (at most `columns - 1` visible characters, so
 * the cursor never sits on the last column, where some terminals wrap): whole parts are
 * dropped, least important first, and no number is ever cut. In order: the bar shrinks to a
 * comfortable width; the extras go, last first; the bar shrinks to its minimum, then goes;
 * then the step count; then what runs now; last the label is shortened with `…`. The count
 * and percentage are padded to their final width, so the line does not jump as they grow.
 */
export function progressLine(state: ProgressState, columns: number): string {
  const room = Math.max(1, columns - 1);
  const fraction = state.total > 0 ? Math.min(1, state.step / state.total) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const count = `${String(state.step).padStart(String(state.total).length)}/${state.total}`;
  const withBar = (parts: string[], minBar: number): string | undefined => {
    const text = parts.join("  ");
    const width = Math.min(MAX_BAR, room - visibleWidth(text) - 2);
    if (width < minBar) return undefined;
    const filled = Math.round(fraction * width);
    // The padded ETA's spaces reserve room (the bar keeps its width); none are drawn at the end.
    return `${"█".repeat(filled)}${"░".repeat(width - filled)}  ${text}`.trimEnd();
  };
  const now = state.now ? [state.now] : [];
  const core = [state.label, count, percent, ...now];
  const extras = state.extras.filter(Boolean);
  for (let kept = extras.length; kept >= 0; kept--) {
    const line = withBar([...core, ...extras.slice(0, kept)], MIN_COMFORTABLE_BAR);
    if (line) return line;
  }
  const line = withBar(core, MIN_BAR);
  if (line) return line;
  for (
    const parts of [core, [state.label, percent.trim(), ...now], [state.label, percent.trim()]]
  ) {
    const text = parts.join("  ");
    if (visibleWidth(text) <= room) return text;
  }
  const tail = `  ${percent.trim()}`;
  return shorten(state.label, room - visibleWidth(tail)) + tail;
}

/**
 * The loop's timing as the line shows it: an ETA for equal steps (padded to its widest
 * form, `ETA 59 min 59 s`, so the parts after it stay put), else the time so far.
 */
function timingOf(elapsed: number, step: number, total: number, final: boolean, phases: boolean) {
  if (final) return `in ${formatDuration(elapsed)}`;
  if (phases) return formatDuration(elapsed);
  const eta = step > 0 ? formatDuration((elapsed / step) * (total - step)) : "…";
  return `ETA ${eta}`.padEnd(15);
}

/**
 * A one-line bar redrawn in place, for a terminal:
 * `████████░░░░  train  412/1000  41%  ETA 1 min 02 s  epoch 3/30  loss 143.2`.
 * The ETA extrapolates the mean time per step so far. `columns` is asked at every draw, so a
 * resized terminal gets lines of its new width; each line fits it (see progressLine).
 */
export function terminalProgress(
  write: (text: string) => void,
  columns: number | (() => number) = 100,
  now: () => number = () => performance.now(),
): StartProgress {
  const width = typeof columns === "number" ? () => columns : columns;
  return (label, total, options = {}) => {
    const phases = options.phases ?? false;
    const start = now();
    let step = 0;
    let lastDraw = -Infinity;
    const draw = (info = "", final = false) => {
      const elapsed = now() - start;
      const timing = timingOf(elapsed, step, total, final, phases);
      // A phase's name says what runs now; a loop's notes (the loss) matter less than its ETA.
      const state = phases
        ? { label, step, total, now: info, extras: [timing] }
        : { label, step, total, extras: [timing, ...info.split(/ {2,}/)] };
      const line = progressLine(state, width());
      write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    };
    return {
      tick(next, info) {
        step = next ?? step + 1;
        if (!phases && now() - lastDraw < REDRAW_MS && step < total) return;
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

/**
 * Progress for output that is not a terminal (a pipe, a CI log): whole lines only, never a
 * carriage return. A loop gets a line when it starts and one when it ends (training says
 * more through its own log, one line per epoch). A stage's phases print nothing: the stage's
 * status line and log say when it ended and what it found, and eight lines per stage would
 * bury them.
 */
export function lineProgress(
  write: (text: string) => void,
  now: () => number = () => performance.now(),
): StartProgress {
  return (label, total, options = {}) => {
    if (options.phases) return silentProgress();
    const start = now();
    const line = (...parts: string[]) => write([label, ...parts].join("  ") + "\n");
    line(`0/${total}`);
    return {
      tick() {},
      done(info) {
        line(`${total}/${total}`, `in ${formatDuration(now() - start)}`, ...(info ? [info] : []));
      },
    };
  };
}
