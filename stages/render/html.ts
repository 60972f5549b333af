/**
 * The report as one HTML page that opens offline: charts are inlined as SVG, image grids
 * are PNGs by relative path, the style sheet is inline, and nothing is fetched from a
 * network (not even the SVG namespace URLs appear: the HTML parser does not need them).
 */
import {
  type Block,
  type Cell,
  type FigureEntry,
  figureLabel,
  type ReportDocument,
  type Span,
  type Table,
} from "./document.ts";
import type { Provenance } from "./figure.ts";

const STYLE = `
body { font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; color: #222; margin: 0 auto;
  max-width: 980px; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
/* Booktabs-style rules, as tables in a paper's appendix. */
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem;
  border-top: 2px solid #444; border-bottom: 2px solid #444; }
thead th { border-bottom: 1px solid #444; text-align: left; }
th, td { padding: 0.2rem 0.8rem 0.2rem 0; vertical-align: top; }
td.right, th.right { text-align: right; white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 0.85em; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; line-height: 1.35; }
pre code { font-size: inherit; }
[title] { text-decoration: underline dotted #999; cursor: help; }
figure { margin: 1.5rem 0; }
figure svg, figure img { max-width: 100%; height: auto; display: block; }
/* Grids are drawn tile for tile; a grid figure carries its own title and labels. */
figure img { image-rendering: pixelated; }
figcaption { font-size: 0.85rem; color: #444; margin-top: 0.4rem; max-width: 760px; }
figcaption .provenance, figcaption .files { color: #666; }
a { color: #1f5fa0; }
`;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]);

/** The inline form of vega's SVG: namespace attributes dropped (see the module comment). */
export function inlineSvg(svg: string, label: string): string {
  return svg
    .replace(/ xmlns(:xlink)?="[^"]*"/g, "")
    .replace("<svg ", `<svg role="img" aria-label="${escape(label)}" `);
}

function cell(value: Cell, tag: "td" | "th", align?: string): string {
  const cls = align === "right" ? ' class="right"' : "";
  const inner = Array.isArray(value) ? value.map(span).join(", ") : span(value);
  return `<${tag}${cls}>${inner}</${tag}>`;
}

function span(value: Span): string {
  if (typeof value === "string") return escape(value);
  const title = value.title ? ` title="${escape(value.title)}"` : "";
  const text = escape(value.text);
  if (value.href) {
    const inner = value.code ? `<code>${text}</code>` : text;
    return `<a href="${escape(value.href)}"${title}>${inner}</a>`;
  }
  return value.code ? `<code${title}>${text}</code>` : `<span${title}>${text}</span>`;
}

function table({ columns, align = [], rows }: Table): string {
  const head = columns.map((c, i) => cell(c, "th", align[i])).join("");
  const body = rows.map((row) => `<tr>${row.map((c, i) => cell(c, "td", align[i])).join("")}</tr>`);
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${
    body.join("\n")
  }\n</tbody>\n</table>`;
}

/** `config cvae · prepare 3f9a2c1d · …`, each short key showing its full key on hover. */
export function provenanceHtml({ config, stages }: Provenance): string {
  const keys = Object.entries(stages).map(([stage, key]) =>
    `${escape(stage)} <code title="${key}">${key.slice(0, 8)}</code>`
  );
  return [`config ${escape(config)}`, ...keys].join(" · ");
}

function figure(entry: FigureEntry, number: number): string {
  const image = entry.svg
    ? inlineSvg(entry.svg, entry.title)
    : `<img src="${escape(entry.image)}" width="${entry.width}" height="${entry.height}" alt="${
      escape(entry.title)
    }">`;
  const files = entry.files.map((f) => `<a href="${escape(f.path)}">${escape(f.label)}</a>`);
  return [
    `<figure id="${entry.id}">`,
    image,
    `<figcaption><b>${escape(figureLabel(number, entry))}</b> ${escape(entry.description)}`,
    `<br><span class="provenance">${provenanceHtml(entry.provenance)}</span>`,
    `<br><span class="files">${files.join(" · ")}</span></figcaption>`,
    `</figure>`,
  ].join("\n");
}

function block(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `<h2 id="${b.id}">${escape(b.text)}</h2>`;
    case "text":
      return `<p>${escape(b.text)}</p>`;
    case "table":
      return table(b.table);
    case "figure":
      return figure(b.figure, b.number);
    case "code":
      return `<pre><code class="language-${b.language}">${escape(b.text)}</code></pre>`;
  }
}

export function renderHtml(doc: ReportDocument): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(doc.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>${escape(doc.title)}</h1>`,
    ...doc.blocks.map(block),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
