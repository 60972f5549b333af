/**
 * A minimal PNG encoder (8-bit grayscale or RGB, no interlace) and an image-grid builder.
 * Sample grids are written as real PNGs: thousands of SVG rects would bloat the report and
 * render slowly. Output is deterministic: fixed zlib level, no timestamps or text chunks.
 */
import { deflateSync } from "node:zlib";

/** A raw raster: `data` is row-major, `channels` bytes per pixel. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export interface GridOptions {
  /** Images per row; default ⌈√count⌉ so the grid is roughly square. */
  columns?: number;
  /** Gap between and around tiles, in output pixels; default 2. */
  padding?: number;
  /** Integer nearest-neighbour upscale factor, so 28×28 digits stay visible; default 1. */
  scale?: number;
  /** Gray level of the gaps, in [0, 1]; default 1 (white) to frame dark-background tiles. */
  padValue?: number;
}

export const PNG_SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG (and zlib) define it: reflected polynomial 0xEDB88320. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, and a CRC over type + data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function encodePng(image: RasterImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(
      `encodePng: width and height must be positive integers, got ${width}×${height}`,
    );
  }
  const stride = width * channels;
  if (data.length !== stride * height) {
    throw new Error(
      `encodePng: data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${
        stride * height
      }`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  // bit depth 8; colour type 0 = gray, 2 = RGB; compression, filter, interlace all 0.
  header.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8);
  // Each scanline is prefixed by its filter type; 0 (none) keeps the encoder trivial.
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** [0, 1] → 0…255, clamped; NaN becomes 0 so a bad pixel shows as black, not an error. */
export function toByte(value: number): number {
  return Number.isNaN(value) ? 0 : Math.round(Math.min(1, Math.max(0, value)) * 255);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`imageGrid: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Lays `count` images (row-major [count, height, width], values in [0, 1]) into one
 * grayscale grid, fills row by row, and returns it as PNG bytes.
 */
export function imageGrid(
  pixels: Float32Array,
  count: number,
  height: number,
  width: number,
  options: GridOptions = {},
): Uint8Array {
  [count, height, width].forEach((v, i) => positiveInteger(["count", "height", "width"][i], v));
  if (pixels.length !== count * height * width) {
    throw new Error(
      `imageGrid: got ${pixels.length} values, expected ${count}×${height}×${width} = ${
        count * height * width
      }`,
    );
  }
  const columns = positiveInteger("columns", options.columns ?? Math.ceil(Math.sqrt(count)));
  const scale = positiveInteger("scale", options.scale ?? 1);
  const padding = options.padding ?? 2;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new Error(`imageGrid: padding must be a non-negative integer, got ${padding}`);
  }
  const rows = Math.ceil(count / columns);
  const tileW = width * scale, tileH = height * scale;
  const gridW = columns * tileW + (columns + 1) * padding;
  const gridH = rows * tileH + (rows + 1) * padding;
  const data = new Uint8Array(gridW * gridH).fill(toByte(options.padValue ?? 1));
  for (let n = 0; n < count; n++) {
    const left = padding + (n % columns) * (tileW + padding);
    const top = padding + Math.floor(n / columns) * (tileH + padding);
    for (let y = 0; y < tileH; y++) {
      const source = n * height * width + Math.floor(y / scale) * width;
      const target = (top + y) * gridW + left;
      for (let x = 0; x < tileW; x++) {
        data[target + x] = toByte(pixels[source + Math.floor(x / scale)]);
      }
    }
  }
  return encodePng({ width: gridW, height: gridH, channels: 1, data });
}
