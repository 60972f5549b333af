import { crc32 as zlibCrc32, inflateSync } from "node:zlib";
import { assert_, assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { crc32, encodePng, imageGrid, PNG_SIGNATURE, type RasterImage, toByte } from "./png.ts";
import { pngPixels } from "./test_png.ts";

/**
 * Decodes what encodePng writes, checking every structural rule on the way: signature,
 * chunk order, chunk CRCs (against node:zlib's independent crc32), IHDR fields, and
 * filter bytes. Only filter type 0 is accepted because that is all the encoder emits.
 */
function decode(png: Uint8Array): RasterImage {
  assertEquals(png.subarray(0, 8), PNG_SIGNATURE, "PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = view.getUint32(offset);
    const typeAndData = png.subarray(offset + 4, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length);
    assertEquals(stored, zlibCrc32(typeAndData), "chunk CRC");
    chunks.push({
      type: new TextDecoder().decode(typeAndData.subarray(0, 4)),
      data: typeAndData.subarray(4),
    });
    offset += 12 + length;
  }
  assertEquals(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const header = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = header.getUint32(0), height = header.getUint32(4);
  const [depth, colourType, compression, filter, interlace] = chunks[0].data.subarray(8);
  assertEquals([depth, compression, filter, interlace], [8, 0, 0, 0], "IHDR fields");
  assert_(colourType === 0 || colourType === 2, `colour type ${colourType}`);
  const channels = colourType === 0 ? 1 : 3;
  const raw = new Uint8Array(inflateSync(chunks[1].data));
  const stride = width * channels;
  assertEquals(raw.length, (stride + 1) * height, "inflated IDAT size");
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assertEquals(raw[y * (stride + 1)], 0, `filter byte of row ${y}`);
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, data };
}

Deno.test("crc32 matches the standard check value and node:zlib", () => {
  const bytes = new TextEncoder().encode("123456789");
  assertEquals(crc32(bytes), 0xcbf43926);
  assertEquals(crc32(new TextEncoder().encode("IEND")), 0xae426082);
  const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256);
  assertEquals(crc32(random), zlibCrc32(random));
});

Deno.test("grayscale and RGB PNGs round-trip their pixels", () => {
  const gray = {
    width: 5,
    height: 3,
    channels: 1 as const,
    data: Uint8Array.from({ length: 15 }, (_, i) => i * 17),
  };
  assertEquals(decode(encodePng(gray)), gray);
  const rgb = {
    width: 3,
    height: 2,
    channels: 3 as const,
    data: Uint8Array.from({ length: 18 }, (_, i) => 255 - i * 13),
  };
  assertEquals(decode(encodePng(rgb)), rgb);
});

Deno.test("an independent decoder (resvg) reads the same pixels", () => {
  const data = new Uint8Array([255, 0, 0, 0, 128, 0, 0, 0, 255, 10, 20, 30]);
  const rgba = pngPixels(encodePng({ width: 2, height: 2, channels: 3, data }));
  const rgb = rgba.filter((_, i) => i % 4 !== 3);
  assertEquals(rgb, data);
  const gray = new Uint8Array([0, 64, 191, 255]);
  const grayRgba = pngPixels(encodePng({ width: 4, height: 1, channels: 1, data: gray }));
  assertEquals(grayRgba.filter((_, i) => i % 4 === 0), gray);
});

Deno.test("encodePng rejects a buffer of the wrong size", () => {
  assertThrows(
    () => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(4) }),
    "expected 2×2×3 = 12",
  );
});

Deno.test("imageGrid places upscaled tiles row by row inside padding", () => {
  // Three 2×3 images; tile n has value (n + 1) / 4 at (0, 0) and 0 elsewhere, except a
  // bright last pixel, so both corners of every tile are checkable.
  const [count, height, width] = [3, 2, 3];
  const pixels = new Float32Array(count * height * width);
  for (let n = 0; n < count; n++) {
    pixels[n * 6] = (n + 1) / 4;
    pixels[n * 6 + 5] = 1;
  }
  const { width: gw, height: gh, channels, data } = decode(
    imageGrid(pixels, count, height, width, { columns: 2, padding: 1, scale: 2, padValue: 0.5 }),
  );
  assertEquals([gw, gh, channels], [2 * 6 + 3, 2 * 4 + 3, 1]);
  const at = (x: number, y: number) => data[y * gw + x];
  assertEquals(at(0, 0), toByte(0.5), "padding");
  for (let n = 0; n < count; n++) {
    const left = 1 + (n % 2) * 7, top = 1 + Math.floor(n / 2) * 5;
    // The source pixel (0, 0) covers a 2×2 block; the last one covers the opposite corner.
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      assertEquals(at(left + dx, top + dy), toByte((n + 1) / 4), `tile ${n} top-left`);
      assertEquals(at(left + 5 - dx, top + 3 - dy), 255, `tile ${n} bottom-right`);
    }
    assertEquals(at(left + 2, top), 0, `tile ${n} interior`);
  }
  // The unused fourth cell stays padding.
  assertEquals(at(8, 6), toByte(0.5), "empty cell");
});

Deno.test("imageGrid defaults to a square-ish grid and clamps out-of-range values", () => {
  const pixels = new Float32Array([-1, 2, NaN, 0.5, 0, 1, 0, 1, 0]);
  const image = decode(imageGrid(pixels, 9, 1, 1, { padding: 0 }));
  assertEquals([image.width, image.height], [3, 3]);
  assertEquals(Array.from(image.data), [0, 255, 0, 128, 0, 255, 0, 255, 0]);
});

Deno.test("imageGrid says what is wrong with bad arguments", () => {
  assertThrows(() => imageGrid(new Float32Array(5), 2, 2, 2), "expected 2×2×2 = 8");
  assertThrows(() => imageGrid(new Float32Array(8), 2, 2, 2, { scale: 1.5 }), "scale");
  assertThrows(() => imageGrid(new Float32Array(8), 2, 2, 2, { padding: -1 }), "padding");
});
