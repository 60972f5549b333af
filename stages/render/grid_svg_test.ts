import { assert_, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { svgToPng } from "./figure.ts";
import { gridFigureSvg } from "./grid_svg.ts";
import { imageGrid } from "./png.ts";
import { pngPixels, pngSize } from "./test_png.ts";

/** A 2 × 3 grid of 4 × 4 tiles at 2×, 2 px apart: 3·8 + 4·2 = 32 by 2·8 + 3·2 = 22 pixels. */
const GRID = imageGrid(new Float32Array(6 * 16).fill(0), 6, 4, 4, { columns: 3, scale: 2 });
const LAYOUT = {
  title: "Latent traversal",
  png: GRID,
  ...pngSize(GRID),
  offset: 2,
  tileWidth: 8,
  tileHeight: 8,
  gap: 2,
};

Deno.test("a grid figure draws its title and its row and column labels, the grid untouched", async () => {
  const svg = await gridFigureSvg({
    ...LAYOUT,
    rows: { title: "z1", labels: ["1.50", "−1.50"] },
    columns: { title: "z0", labels: ["−1.00", "0.00", "1.00"] },
  });
  for (const text of ["Latent traversal", ">z0<", ">z1<", ">−1.50<", ">1.00<"]) {
    assertIncludes(svg, text);
  }
  const embedded = svg.match(/href="data:image\/png;base64,([^"]+)"/)![1];
  assertEquals(Uint8Array.from(atob(embedded), (c) => c.charCodeAt(0)), GRID);
  // Drawn pixel for pixel: the grid's black tiles appear in the PNG at 1×, unscaled.
  const png = await svgToPng(svg, 1);
  const { width, height } = pngSize(png);
  assert_(width > 32 && height > 22, `${width}×${height} has no room for labels`);
  const dark = pngPixels(png).filter((v, i) => i % 4 === 0 && v === 0).length;
  assert_(dark >= 6 * 64, `only ${dark} black pixels: the tiles were resampled`);
});

Deno.test("a grid figure without labels is its title over the grid", async () => {
  const svg = await gridFigureSvg(LAYOUT);
  assertIncludes(svg, "Latent traversal");
  assertEquals(svg.match(/<text /g)?.length, 1);
});
