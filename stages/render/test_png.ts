/**
 * Test helpers that read PNGs with resvg's decoder (the Rust `png` crate), which is
 * independent of our encoder: a PNG is embedded in an SVG <image> and rasterized 1:1.
 */
import { Resvg } from "@resvg/resvg-js";

/** Width and height from the IHDR chunk, which always directly follows the signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The PNG's pixels as RGBA bytes, decoded by resvg. */
export function pngPixels(png: Uint8Array): Uint8Array {
  const { width, height } = pngSize(png);
  const base64 = btoa(Array.from(png, (b) => String.fromCharCode(b)).join(""));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<image width="${width}" height="${height}" image-rendering="pixelated" ` +
    `href="data:image/png;base64,${base64}"/></svg>`;
  return new Uint8Array(new Resvg(svg).render().pixels);
}
