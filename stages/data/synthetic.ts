/**
 * A seeded toy dataset for tests and quick runs: class k is shape k below, drawn with a
 * random shift and size, plus Gaussian pixel noise clipped to [0, 1]. The shapes differ
 * in where their ink is, so even a nearest-class-mean classifier tells them apart.
 */
import type { DataParams } from "../config_schema.ts";
import type { Rng } from "../../lib/rng.ts";
import type { Source } from "./dataset.ts";

export type SyntheticParams = DataParams["synthetic"];

/** Whether the pixel at offset (x, y) from the centre is ink, for radius r and half-width h. */
type Shape = (x: number, y: number, r: number, h: number) => boolean;

const hbar: Shape = (x, y, r, h) => Math.abs(y) <= h && Math.abs(x) <= r;
const vbar: Shape = (x, y, r, h) => hbar(y, x, r, h);
const diagonal: Shape = (x, y, r, h) =>
  Math.abs(x - y) / Math.SQRT2 <= h && Math.max(Math.abs(x), Math.abs(y)) <= r;
const antiDiagonal: Shape = (x, y, r, h) => diagonal(-x, y, r, h);

export const SHAPES: { name: string; ink: Shape }[] = [
  { name: "horizontal bar", ink: hbar },
  { name: "vertical bar", ink: vbar },
  { name: "diagonal", ink: diagonal },
  { name: "anti-diagonal", ink: antiDiagonal },
  {
    name: "square outline",
    ink: (x, y, r, h) => Math.abs(Math.max(Math.abs(x), Math.abs(y)) - r) <= h,
  },
  { name: "plus", ink: (x, y, r, h) => hbar(x, y, r, h) || vbar(x, y, r, h) },
  { name: "ring", ink: (x, y, r, h) => Math.abs(Math.hypot(x, y) - r) <= h },
  { name: "filled square", ink: (x, y, r) => Math.max(Math.abs(x), Math.abs(y)) <= 0.6 * r },
  { name: "cross", ink: (x, y, r, h) => diagonal(x, y, r, h) || antiDiagonal(x, y, r, h) },
  { name: "double bar", ink: (x, y, r, h) => hbar(x, Math.abs(y) - r / 2, r, h) },
];

/** Draw one image of `shape` into `out` (size × size, row-major). */
function draw(out: Float32Array, shape: Shape, size: number, noise: number, rng: Rng): void {
  const jitter = size / 16; // up to half a pixel at 8×8, under two at 28×28
  const cx = (size - 1) / 2 + (2 * rng.uniform() - 1) * jitter;
  const cy = (size - 1) / 2 + (2 * rng.uniform() - 1) * jitter;
  const r = size * 0.32 * (0.9 + 0.2 * rng.uniform());
  const h = size / 16; // strokes about 1 pixel wide at 8×8, 3.5 at 28×28
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const ink = shape(col - cx, row - cy, r, h) ? 1 : 0;
      const value = noise > 0 ? ink + noise * rng.normal() : ink;
      out[row * size + col] = Math.min(1, Math.max(0, value));
    }
  }
}

/** `count` images, balanced over the classes (label i mod classes), all from `rng`. */
export function makeSynthetic(params: SyntheticParams, rng: Rng): Source {
  const { count, size, classes, noise } = params;
  const pixels = size * size;
  const images = new Float32Array(count * pixels);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % classes);
  for (let i = 0; i < count; i++) {
    draw(images.subarray(i * pixels, (i + 1) * pixels), SHAPES[labels[i]].ink, size, noise, rng);
  }
  return {
    name: "synthetic",
    train: { images, labels, height: size, width: size },
    test: null,
    files: [],
  };
}
