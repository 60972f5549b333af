/**
 * How a stage run is named on the terminal: `train 3f9a2c1d` in a sentence, and the one status
 * line each command prints per stage, `train    3f9a2c1d  ran in 12.1 s  3.2 MB` (the name
 * padded to one column, the key's first eight hex digits, then what happened). run, status
 * and verify write through here, so their lines agree and line up.
 */

/** A key as shown to people: its first eight hex digits. */
export function shortKey(key: string): string {
  return key.slice(0, 8);
}

/** `train 3f9a2c1d`: a stage run named in a sentence. */
export function stageLabel(stage: string, key: string): string {
  return `${stage} ${shortKey(key)}`;
}

/** `train    3f9a2c1d  cached  3.2 MB  12 ms`: a stage's status line, fields two spaces apart. */
export function statusLine(stage: string, key: string, ...fields: string[]): string {
  return [`${stage.padEnd(8)} ${shortKey(key)}`, ...fields].join("  ");
}
