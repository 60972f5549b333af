/**
 * The columns a string takes on a terminal: escape sequences take none, combining marks
 * none, and every other code point one (block glyphs, `−`, `μ`, `‖`, `…` included). The
 * pipeline's labels, numbers and table cells are ASCII or such symbols; East Asian wide
 * characters (two columns) are not counted as such.
 */
export function visibleWidth(text: string): number {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\p{M}/gu, "");
  return [...plain].length;
}

/** `text` padded with spaces to `width` columns, on the left for right alignment. */
export function padVisible(text: string, width: number, align: "left" | "right" = "left"): string {
  const pad = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "right" ? pad + text : text + pad;
}

/** Text cut to `width` columns with `…` at the end (for a label, never a number). */
export function shorten(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width - 1).join("") + "…";
}

/** Words laid out in lines of at most `width` columns; a longer word keeps a line of its own. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && visibleWidth(line) + 1 + visibleWidth(word) > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
