/**
 * Renders one figure from a data-less Vega-Lite spec and flat rows, writing the
 * spec (with data and provenance), SVG, PNG and CSV side by side. A figure never exists
 * without its data and the keys of the artifacts it came from.
 *
 * Determinism: the same inputs give byte-identical files. Vega's SVG writer numbers clip
 * paths and gradients from module-global counters, so they are reset before each render
 * and scoped by figure name (two figures inlined in one HTML page must not share ids).
 *
 * Figures may be rendered concurrently: vega's part runs one figure at a time (its counters
 * are global), and resvg rasterizes on its own threads (renderAsync) meanwhile, so a page's
 * figures take about half as long on two cores as one after another.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderAsync } from "@resvg/resvg-js";
import { settleAll } from "../../lib/settle_all.ts";
import { type Row, toCsv } from "../../lib/table.ts";
import * as vega from "vega";
import { compile, type TopLevelSpec, version as vegaLiteVersion } from "vega-lite";

export interface Provenance {
  /** The config the run came from, e.g. `configs/cvae.yaml`. */
  config: string;
  /** Stage name → full sha256 artifact key, in pipeline order. */
  stages: Record<string, string>;
}

/** `Omit` applied to each member of a union (plain `Omit` would merge the members). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A Vega-Lite spec with its data left out; vega-lite's own types require `data`. */
export type ChartSpec = OmitEach<TopLevelSpec, "data">;

export type { Row } from "../../lib/table.ts";

export interface FigureInput {
  /** File stem: letters, digits, `_` and `-`. */
  name: string;
  /** A Vega-Lite spec without `data`; the rows are injected. */
  spec: ChartSpec;
  rows: Row[];
  provenance: Provenance;
  outDir: string;
  /** CSV column order; default: keys in order of first appearance across rows. */
  columns?: string[];
  /** PNG pixels per SVG pixel; default 2 so figures stay sharp on high-DPI screens. */
  pngScale?: number;
}

export interface FigureOutput {
  paths: { spec: string; svg: string; png: string; csv: string };
  /** The SVG text, ready to inline into HTML. */
  svg: string;
}

export const VEGA_LITE_SCHEMA = `https://vega.github.io/schema/vega-lite/v${
  vegaLiteVersion.split(".")[0]
}.json`;

/** The machine's fonts (Debian's DejaVu); vega writes `font-family="sans-serif"`. */
export const FONT_FAMILY = "DejaVu Sans";

/**
 * Okabe & Ito's palette for colour-blind readers (2008), its black moved last, then two
 * colours from Paul Tol's muted scheme: ten classes that stay apart for every reader, where
 * vega's default Tableau 10 has pastel pairs (pink and red, grey and brown).
 */
export const CATEGORICAL = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#56B4E9",
  "#CC79A7",
  "#F0E442",
  "#882255",
  "#999999",
  "#000000",
];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `config configs/x.yaml · prepare 3f9a2c1d · train 0b12aa4e`: the figure's provenance as
 * the report's captions print it. It is not drawn into the figure: an exported SVG or PNG
 * is a clean figure for a paper, and the keys live in the spec's usermeta and the caption.
 */
export function provenanceCaption(provenance: Provenance): string {
  const keys = Object.entries(provenance.stages).map(([stage, key]) =>
    `${stage} ${key.slice(0, 8)}`
  );
  return [`config ${provenance.config}`, ...keys].join(" · ");
}

function checkInput({ name, spec, rows, provenance }: FigureInput): void {
  const where = `renderFigure(${JSON.stringify(name)})`;
  if (!NAME.test(name)) {
    throw new Error(`${where}: name must be letters, digits, "_" or "-" (it is a file stem)`);
  }
  if ("data" in spec) {
    throw new Error(`${where}: spec must not carry data; pass the records as rows`);
  }
  if (!provenance.config) throw new Error(`${where}: provenance.config is empty`);
  for (const [stage, key] of Object.entries(provenance.stages)) {
    if (!SHA256.test(key)) {
      throw new Error(
        `${where}: provenance.stages.${stage} must be a full sha256 key (64 hex digits), got ${
          JSON.stringify(key)
        }`,
      );
    }
  }
  rows.forEach((row, i) => {
    for (const [field, value] of Object.entries(row)) {
      const ok = value === null || typeof value === "string" || typeof value === "boolean" ||
        (typeof value === "number" && Number.isFinite(value));
      if (!ok) {
        // NaN/Infinity would become null in JSON but text in CSV: the two files would disagree.
        throw new Error(
          `${where}: rows[${i}].${field} must be a string, finite number, boolean or null, got ${
            String(value)
          } (use null for a missing value)`,
        );
      }
    }
  });
}

/** The full spec as written to `<name>.vl.json`: schema, spec, data, provenance in usermeta. */
export function figureSpec(
  spec: ChartSpec,
  rows: Row[],
  provenance: Provenance,
  name: string,
): TopLevelSpec {
  const title = typeof spec.title === "object" && !Array.isArray(spec.title)
    ? spec.title
    : { text: spec.title ?? name };
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...spec,
    // Left-aligned like facet titles, so every figure in a report looks the same.
    title: { anchor: "start", ...title },
    data: { values: rows },
    usermeta: { ...spec.usermeta, provenance },
  } as TopLevelSpec;
}

const DEF_ID = /(id="|url\(#)((?:pattern_)?gradient_\d+|clip\d+)(?=[")])/g;

/** The vega render in progress (or the last one): the next waits for it. */
let vegaTurn: Promise<unknown> = Promise.resolve();

/**
 * Renders a complete Vega-Lite spec to SVG text, headless; def ids prefixed by `scope`. Calls
 * take turns: each resets the global id counters that the one before is numbering from.
 */
export function renderSvg(spec: TopLevelSpec, scope: string): Promise<string> {
  const turn = vegaTurn.then(() => renderSvgNow(spec, scope));
  vegaTurn = turn.catch(() => {});
  return turn;
}

async function renderSvgNow(spec: TopLevelSpec, scope: string): Promise<string> {
  // Vega tags inline rows in place (a Symbol id per row): render a copy, keep callers' rows.
  const view = new vega.View(vega.parse(compile(structuredClone(spec)).spec), {
    renderer: "none",
  });
  try {
    vega.resetSVGDefIds();
    const svg = await view.toSVG();
    return svg.replace(DEF_ID, `$1${scope}-$2`);
  } finally {
    view.finalize();
  }
}

/** The machine's fonts for resvg, so text is measured and drawn as the PNG shows it. */
const FONTS = {
  loadSystemFonts: true,
  defaultFontFamily: FONT_FAMILY,
  sansSerifFamily: FONT_FAMILY,
};

/** SVG → PNG with a white background; text uses the system fonts. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const drawn = await renderAsync(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: FONTS,
    logLevel: "off",
  });
  return new Uint8Array(drawn.asPng());
}

/** Space kept around the drawn content when a figure is cropped, in SVG pixels. */
const MARGIN = 6;
const ROOT_SIZE = /width="(\d+)" height="(\d+)" viewBox="0 0 \d+ \d+"/;
const BACKGROUND = /<rect width="\d+" height="\d+" fill="white"\/>/;

/**
 * The SVG cropped to what it draws, plus a small margin. Vega lays out without a font: it
 * guesses text at 0.8 em per character, far wider than DejaVu Sans, and sizes the figure by
 * that guess, which left a third of an exported figure empty on the right. The extent is
 * read from pixels that resvg draws with the real glyphs and clip paths (its geometric
 * bounding box counts clipped lines whole); the white background, which would cover
 * everything, is left out of the drawing and then resized to the crop.
 */
export async function cropToContent(svg: string): Promise<string> {
  const root = svg.match(ROOT_SIZE);
  if (!root) throw new Error("cropToContent: not an SVG as vega writes it (no width/viewBox)");
  const drawn = await renderAsync(svg.replace(BACKGROUND, ""), { font: FONTS, logLevel: "off" });
  const box = inkBox(drawn.pixels, drawn.width, drawn.height);
  if (!box) return svg; // nothing drawn: keep vega's size
  const [x, y] = [box.left - MARGIN, box.top - MARGIN];
  const [width, height] = [box.right - box.left + 2 * MARGIN, box.bottom - box.top + 2 * MARGIN];
  return svg
    .replace(
      ROOT_SIZE,
      `width="${width}" height="${height}" viewBox="${x} ${y} ${width} ${height}"`,
    )
    .replace(
      BACKGROUND,
      `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="white"/>`,
    );
}

/** The smallest box holding every pixel with any opacity (RGBA rows), or null if none. */
export function inkBox(
  rgba: Uint8Array,
  width: number,
  height: number,
): { left: number; top: number; right: number; bottom: number } | null {
  let [left, top, right, bottom] = [width, height, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[4 * (y * width + x) + 3] === 0) continue;
      if (x < left) left = x;
      if (x >= right) right = x + 1;
      if (y < top) top = y;
      bottom = y + 1;
    }
  }
  return right === 0 ? null : { left, top, right, bottom };
}

export async function renderFigure(input: FigureInput): Promise<FigureOutput> {
  checkInput(input);
  const { name, spec, rows, provenance, outDir } = input;
  const full = figureSpec(spec, rows, provenance, name);
  const svg = await cropToContent(await renderSvg(full, name));
  const stem = join(outDir, name);
  const paths = {
    spec: `${stem}.vl.json`,
    svg: `${stem}.svg`,
    png: `${stem}.png`,
    csv: `${stem}.csv`,
  };
  await mkdir(outDir, { recursive: true });
  await settleAll([
    writeFile(paths.spec, JSON.stringify(full, null, 2) + "\n"),
    writeFile(paths.svg, svg),
    svgToPng(svg, input.pngScale).then((png) => writeFile(paths.png, png)),
    writeFile(paths.csv, toCsv(rows, input.columns)),
  ]);
  return { paths, svg };
}
