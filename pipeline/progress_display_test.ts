import {
  lineProgress,
  progressLine,
  type ProgressState,
  terminalProgress,
} from "./progress_display.ts";
import { visibleWidth } from "./text_width.ts";
import { assert_, assertEquals, assertIncludes } from "./test_assert.ts";

/** A terminal that records what is written and a clock the test moves. */
function fakeTerminal(columns: () => number) {
  const writes: string[] = [];
  let time = 0;
  const start = terminalProgress((text) => writes.push(text), columns, () => time);
  return { writes, start, advance: (ms: number) => time += ms };
}

/** The lines a redraw leaves on screen: what follows each carriage return, escapes removed. */
const drawnLines = (writes: string[]) =>
  writes.join("").split(/[\r\n]/).map((l) => l.replaceAll("\x1b[2K", "")).filter(Boolean);

/** The words of a line, the bar left out. */
const words = (line: string) => line.split(/\s+/).filter((w) => w && !/^[█░]+$/.test(w));

const TRAINING: ProgressState = {
  label: "train",
  step: 412,
  total: 14070,
  extras: ["ETA 1 min 02 s", "epoch 3/30", "loss 143.25"],
};

const STATES: ProgressState[] = [
  TRAINING,
  { label: "evaluate", step: 3, total: 8, now: "importance weighting", extras: ["27.2 s"] },
  { label: "train", step: 14070, total: 14070, extras: ["in 1 min 29 s"] },
  { label: "a-stage-label-longer-than-twenty", step: 5, total: 100, extras: ["ETA 1.0 s"] },
];

Deno.test("every progress line fits the terminal, from 20 to 200 columns, numbers whole", () => {
  for (const state of STATES) {
    const full = new Set(words(progressLine(state, 1000)));
    for (let columns = 20; columns <= 200; columns++) {
      const line = progressLine(state, columns);
      assert_(visibleWidth(line) < columns, `${columns} columns: ${line}`);
      for (const word of words(line)) {
        // A shortened label ends in `…`; anything else, and every number, is a whole word.
        assert_(full.has(word) || (word.endsWith("…") && !/\d/.test(word)), `${columns}: ${word}`);
      }
      assertIncludes(line, "%");
    }
  }
});

Deno.test("a narrowing terminal drops the extras (last first), then the bar, then the count", () => {
  const widthOf = (parts: string[]) => visibleWidth(parts.join("  "));
  // The count and percentage padded to their widest forms: `14070/14070`, `100%`.
  const core = ["train", "  412/14070", "  2%"];
  // The smallest bar kept while any text goes, its gap, and the last column left free.
  const comfortable = 12 + 2 + 1;
  const at = (columns: number) => progressLine(TRAINING, columns);
  const everything = widthOf([...core, "ETA 1 min 02 s", "epoch 3/30", "loss 143.25"]);
  assertEquals(words(at(everything + comfortable)).at(-1), "143.25");
  assert_(!at(everything + comfortable - 1).includes("loss"));
  assert_(at(everything + comfortable - 1).endsWith("  epoch 3/30"));
  const timed = widthOf([...core, "ETA 1 min 02 s"]);
  assert_(!at(timed + comfortable - 1).includes("epoch"));
  assert_(at(timed + comfortable).endsWith("  ETA 1 min 02 s"));
  assert_(!at(timed + comfortable - 1).includes("ETA"));
  assertEquals(at(widthOf(core) + 7), "░░░░  train    412/14070    2%");
  assertEquals(at(widthOf(core) + 1), "train    412/14070    2%");
  assertEquals(at(widthOf(core)), "train  2%");
  assertEquals(progressLine({ ...TRAINING, label: "a-very-long-stage-label" }, 12), "a-very…  2%");
});

Deno.test("a terminal bar re-measures the width at every draw, so a resize is followed", () => {
  let columns = 120;
  const term = fakeTerminal(() => columns);
  const bar = term.start("train", 1000);
  term.advance(500);
  bar.tick(100, "epoch 1/10  loss 143.25");
  columns = 40;
  term.advance(500);
  bar.tick(200, "epoch 2/10  loss 140.01");
  columns = 50;
  term.advance(500);
  bar.done();
  const lines = drawnLines(term.writes);
  assertEquals(lines.length, 3);
  assert_(visibleWidth(lines[0]) > 40 && visibleWidth(lines[0]) < 120, lines[0]);
  assert_(visibleWidth(lines[1]) < 40, lines[1]);
  assertIncludes(lines[0], "loss 143.25");
  assertIncludes(lines[2], "1000/1000  100%  in 1.5 s");
  assert_(term.writes.at(-1)!.endsWith("\n"), "the final state stays on screen");
});

Deno.test("a fast loop is drawn at most ten times a second; phases are drawn every step", () => {
  const term = fakeTerminal(() => 100);
  const bar = term.start("train", 100);
  for (let i = 1; i < 100; i++) {
    term.advance(10);
    bar.tick();
  }
  assertEquals(term.writes.length, 10);

  const phased = fakeTerminal(() => 100);
  const phases = phased.start("evaluate", 4, { phases: true });
  phases.tick(0, "load");
  phased.advance(1500);
  phases.tick(1, "test pass");
  phases.tick(2, "IW bound");
  const lines = drawnLines(phased.writes);
  assertEquals(lines.length, 3);
  // Unequal phases predict nothing: the time so far, not an ETA.
  assert_(lines.every((l) => !l.includes("ETA")), lines.join("\n"));
  assertIncludes(lines[2], "evaluate  2/4   50%  IW bound  1.5 s");
  // A phase's name is what a narrow line keeps, before the time.
  phased.advance(1000);
  const narrow = fakeTerminal(() => 40);
  narrow.start("evaluate", 8, { phases: true }).tick(3, "importance weighting");
  assertEquals(drawnLines(narrow.writes), ["evaluate  37%  importance weighting"]);
});

Deno.test("the line holds still while the count and ETA change: the bar keeps its width", () => {
  const term = fakeTerminal(() => 80);
  const bar = term.start("train", 2400);
  for (let step = 1; step < 2400; step += 7) {
    term.advance(150 + (step % 5) * 400); // ETAs from milliseconds to minutes
    bar.tick(step, "epoch 3/30  loss 143.25");
  }
  const bars = new Set(drawnLines(term.writes).map((l) => l.match(/^[█░]*/)![0].length));
  assertEquals(bars.size, 1, [...bars].join(", "));
});

Deno.test("without a terminal: a line at a loop's start and end, none per phase, no carriage return", () => {
  const writes: string[] = [];
  let time = 0;
  const start = lineProgress((text) => writes.push(text), () => time);
  const bar = start("evaluate IW", 200);
  for (let i = 0; i < 200; i++) bar.tick();
  time = 9600;
  bar.done();
  assertEquals(writes.join(""), "evaluate IW  0/200\nevaluate IW  200/200  in 9.6 s\n");

  writes.length = 0;
  const phases = start("evaluate", 3, { phases: true });
  phases.tick(0, "load");
  phases.tick(1, "IW bound");
  time += 1000;
  phases.done();
  assertEquals(writes, [], "a stage's phases leave its status line and log to speak");
});
