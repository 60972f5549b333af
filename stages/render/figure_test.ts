import { toCsv } from "../../lib/table.ts";
import { parse } from "csv-parse/sync";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertRejects,
} from "../../pipeline/test_assert.ts";
import {
  type ChartSpec,
  cropToContent,
  type FigureOutput,
  figureSpec,
  inkBox,
  provenanceCaption,
  renderFigure,
  type Row,
  svgToPng,
  VEGA_LITE_SCHEMA,
} from "./figure.ts";
import { pngPixels, pngSize } from "./test_png.ts";
import { tempDir } from "../../pipeline/stage_testing.ts";

const PROVENANCE = {
  config: "configs/cvae.yaml",
  stages: { prepare: "3f9a2c1d".padEnd(64, "0"), train: "0b12aa4e".padEnd(64, "f") },
};

const ROWS: Row[] = [
  { x: 1, y: 0.1 + 0.2, group: 'a, quoted "b"', flag: true },
  { x: 2, y: -1e-9, group: "c", flag: false },
  { x: 3, y: null, group: "", flag: null, extra: 7 },
];

// A clipped mark makes vega emit a clip-path id, the one place its SVG output depends on
// global state (a counter), so this spec is what the determinism test needs.
const SPEC: ChartSpec = {
  title: "Test figure",
  mark: { type: "line", clip: true },
  encoding: {
    x: { field: "x", type: "quantitative", scale: { domain: [1, 2] } },
    y: { field: "y", type: "quantitative", title: "y (nats per example)" },
  },
};

const render = (outDir: string, name = "fig"): Promise<FigureOutput> =>
  renderFigure({ name, spec: SPEC, rows: ROWS, provenance: PROVENANCE, outDir });

Deno.test("provenanceCaption names the config and the short key of each stage", () => {
  assertEquals(
    provenanceCaption(PROVENANCE),
    "config configs/cvae.yaml · prepare 3f9a2c1d · train 0b12aa4e",
  );
});

Deno.test("figureSpec adds schema, data and provenance, keeping the spec and its subtitle", () => {
  const full = figureSpec(
    { ...SPEC, title: { text: "T", subtitle: "kept" } },
    ROWS,
    PROVENANCE,
    "fig",
  ) as unknown as Record<string, unknown>;
  assertEquals(full.$schema, VEGA_LITE_SCHEMA);
  assertEquals(VEGA_LITE_SCHEMA, "https://vega.github.io/schema/vega-lite/v6.json");
  // The provenance is not drawn (a clean figure for a paper): it is in usermeta.
  assertEquals(full.title, { anchor: "start", text: "T", subtitle: "kept" });
  assertEquals(full.data, { values: ROWS });
  assertEquals(full.usermeta, { provenance: PROVENANCE });
  assertEquals(full.mark, SPEC.mark);
  const untitled = figureSpec({ mark: "point" }, [], PROVENANCE, "name");
  assertEquals(untitled.title, { anchor: "start", text: "name" });
});

Deno.test("inkBox finds the drawn pixels; cropToContent keeps them and a 6 px margin", async () => {
  const rgba = new Uint8Array(4 * 5 * 4);
  rgba[4 * (1 * 5 + 2) + 3] = 255; // (x 2, y 1)
  rgba[4 * (3 * 5 + 3) + 3] = 10; // (x 3, y 3), faint but drawn
  assertEquals(inkBox(rgba, 5, 4), { left: 2, top: 1, right: 4, bottom: 4 });
  assertEquals(inkBox(new Uint8Array(4 * 4), 2, 2), null);
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" ' +
    'viewBox="0 0 300 200"><rect width="300" height="200" fill="white"/>' +
    '<rect x="40" y="30" width="50" height="20" fill="black"/></svg>';
  const cropped = await cropToContent(svg);
  assertIncludes(cropped, 'width="62" height="32" viewBox="34 24 62 32"');
  assertIncludes(cropped, '<rect x="34" y="24" width="62" height="32" fill="white"/>');
});

Deno.test("renderFigure writes spec, SVG, PNG and CSV that agree with each other", async () => {
  const dir = await tempDir();
  try {
    const { paths, svg } = await render(join(dir, "nested"));
    assertEquals(paths.csv, join(dir, "nested", "fig.csv"));
    assertEquals(await Deno.readTextFile(paths.svg), svg);
    assertIncludes(svg, "Test figure");
    assert_(!svg.includes("3f9a2c1d"), "the provenance keys are drawn into the figure");
    const spec = JSON.parse(await Deno.readTextFile(paths.spec));
    assertEquals(spec.usermeta.provenance, PROVENANCE);
    assertEquals(spec.data.values, ROWS);
    // Vega tags the rows it ingests; the caller's rows must come back untouched.
    assertEquals(ROWS.flatMap((row) => Object.getOwnPropertySymbols(row)), []);
    // The PNG is the SVG at twice the size, on an opaque background.
    const png = await readFile(paths.png);
    const [, width, height] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
    assertEquals(pngSize(png), { width: 2 * width, height: 2 * height });
    assert_(pngPixels(png).every((v, i) => i % 4 !== 3 || v === 255), "PNG is opaque");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CSV round-trips the rows, columns in order of first appearance", () => {
  const csv = toCsv(ROWS);
  const [header] = csv.split("\n");
  assertEquals(header, "x,y,group,flag,extra");
  const parsed: Record<string, string>[] = parse(csv, { columns: true });
  const asText = (v: Row[string] | undefined) => v === null || v === undefined ? "" : String(v);
  assertEquals(
    parsed,
    ROWS.map((row) => Object.fromEntries(header.split(",").map((c) => [c, asText(row[c])]))),
  );
  // Numbers are written with full precision: parsing gives back the same double.
  assertEquals(Number(parsed[0].y), 0.1 + 0.2);
  assertEquals(Number(parsed[1].y), -1e-9);
  assertEquals(toCsv(ROWS, ["group", "x"]).split("\n")[0], "group,x");
});

Deno.test("rendering twice gives byte-identical files, whatever was rendered between", async () => {
  const dir = await tempDir();
  try {
    const first = await render(join(dir, "a"));
    await render(join(dir, "other"), "other"); // advances vega's global clip counter
    const second = await render(join(dir, "b"));
    for (const key of ["spec", "svg", "png", "csv"] as const) {
      const [a, b] = await Promise.all([readFile(first.paths[key]), readFile(second.paths[key])]);
      assertEquals(a, b, `${key} differs between renders`);
    }
    // Def ids are scoped by figure name, so figures inlined in one HTML page do not clash.
    assertIncludes(first.svg, 'id="fig-clip1"');
    assertIncludes(first.svg, 'clip-path="url(#fig-clip1)"');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("figures rendered at once are byte for byte those rendered one after another", async () => {
  const dir = await tempDir();
  try {
    const names = ["f0", "f1", "f2", "f3"];
    const alone: FigureOutput[] = [];
    for (const name of names) alone.push(await render(join(dir, "alone"), name));
    const together = await Promise.all(names.map((name) => render(join(dir, "together"), name)));
    for (const [i, name] of names.entries()) {
      assertIncludes(together[i].svg, `id="${name}-clip1"`);
      for (const key of ["spec", "svg", "png", "csv"] as const) {
        const [a, b] = await Promise.all(
          [alone[i], together[i]].map((f) => readFile(f.paths[key])),
        );
        assertEquals(a, b, `${name}.${key} differs when figures render concurrently`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("system fonts render text into the PNG", async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20">' +
    '<text x="2" y="15" font-family="sans-serif" font-size="14">nats</text></svg>';
  const ink = pngPixels(await svgToPng(svg, 1)).filter((v, i) => i % 4 === 0 && v < 128).length;
  assert_(ink > 20, `no text drawn (${ink} dark pixels): install fonts-dejavu-core`);
});

Deno.test("renderFigure says what is wrong with bad inputs", async () => {
  const base = { name: "f", spec: SPEC, rows: ROWS, provenance: PROVENANCE, outDir: "/none" };
  await assertRejects(() => renderFigure({ ...base, name: "../x" }), "file stem");
  await assertRejects(
    () => renderFigure({ ...base, spec: { ...SPEC, data: { values: [] } } as ChartSpec }),
    "must not carry data",
  );
  await assertRejects(
    () => renderFigure({ ...base, provenance: { config: "c", stages: { train: "3f9a2c1d" } } }),
    'provenance.stages.train must be a full sha256 key (64 hex digits), got "3f9a2c1d"',
  );
  await assertRejects(
    () => renderFigure({ ...base, rows: [{ x: 1 }, { x: NaN }] }),
    "rows[1].x must be a string, finite number, boolean or null, got NaN",
  );
});
