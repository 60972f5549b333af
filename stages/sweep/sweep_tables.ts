/**
 * The sweep's tables: one row per group (variant and grid point) with each number's mean ±
 * sd and 95% interval over the seeds; the same for the paired differences against the
 * baseline variant at the same seed; one row per cell with its report and its keys; and
 * sweep.csv, every column of the comparison's table per cell plus where the cell sits in
 * the sweep. The numbers are the comparison's (compare/comparison.ts): a metric METRIC_ROWS
 * gives a head appears here too.
 */
import { CEILING_MARK, comparisonTable, type SeedColumn } from "../compare/comparison.ts";
import { cellText, type Span, type Table } from "../render/document.ts";
import { CONFIDENCE, formatOverSeeds, overSeeds, pairedDifferences } from "./over_seeds.ts";
import { cellReportDir, type SweepAxis, type SweepGroup, type SweptCell } from "./sweep_cells.ts";
import type { Row } from "../../lib/table.ts";

/** A cell's partner in the baseline at its seed (sweep_cells.ts baselinePartner). */
type Partner = (cell: SweptCell) => SweptCell | undefined;

const NA = "n/a";

/** Each seed of a group, linked to its cell's own report. */
const seedLinks = (group: SweepGroup): Span[] =>
  group.cells.map((cell) => ({
    text: String(cell.seed),
    href: `${cellReportDir(cell)}/index.html`,
  }));

/** Per page of columns: one row per group, `mean ± sd [95% interval]` over its seeds. */
export function groupTables(groups: SweepGroup[], pages: SeedColumn[][]): Table[] {
  return pages.map((columns) => ({
    columns: ["group", "seeds", ...columns.map((c) => c.head)],
    align: ["left", "left", ...columns.map(() => "right" as const)],
    rows: groups.map((group) => [
      group.name,
      seedLinks(group),
      ...columns.map((column) => {
        const values = group.cells.map((cell) => column.value(cell.metrics));
        const text = formatOverSeeds(overSeeds(values), column.digits);
        const marked = group.cells.some((cell) => column.caveat?.(cell.metrics));
        return marked ? `${text} ${CEILING_MARK}` : text;
      }),
    ]),
  }));
}

/**
 * Per page of columns: one row per group outside the baseline variant, the mean ± sd
 * [95% interval] of its per-seed differences from the baseline at the same seed; n/a where
 * no seed has a baseline cell.
 */
export function differenceTables(
  groups: SweepGroup[],
  pages: SeedColumn[][],
  baseline: string,
  partner: Partner,
): Table[] {
  const compared = groups.filter((g) => g.variant !== baseline);
  return pages.map((columns) => ({
    columns: ["group", "seeds paired", ...columns.map((c) => `Δ ${c.head}`)],
    align: ["left", "left", ...columns.map(() => "right" as const)],
    rows: compared.map((group) => [
      group.name,
      pairedSeeds(group, partner),
      ...columns.map((column) => {
        const diffs = pairedDifferences(group.cells, partner, (c) => column.value(c.metrics));
        return formatOverSeeds(overSeeds(diffs), column.digits);
      }),
    ]),
  }));
}

/** `0, 1, 2`, or `0, 1; seed 2 n/a (no baseline cell)`. */
function pairedSeeds(group: SweepGroup, partner: Partner): string {
  const [paired, unpaired] = [
    group.cells.filter((c) => partner(c)),
    group.cells.filter((c) => !partner(c)),
  ];
  const seeds = (cells: SweptCell[]) => cells.map((c) => c.seed).join(", ");
  if (unpaired.length === 0) return seeds(paired);
  const missing = `seed${unpaired.length > 1 ? "s" : ""} ${seeds(unpaired)} ${NA} ` +
    "(no baseline cell)";
  return paired.length ? `${seeds(paired)}; ${missing}` : missing;
}

/** What the tables' brackets and differences are, and which groups show a mean alone. */
export function sweepNotes(
  groups: SweepGroup[],
  baseline: string | undefined,
  partner: Partner,
): string[] {
  const single = groups.filter((g) => g.cells.length === 1).map((g) => g.name);
  const unpaired = groups.some((g) => g.variant !== baseline && g.cells.some((c) => !partner(c)));
  const percent = Math.round(100 * CONFIDENCE);
  return [
    `Over seeds: mean ± sample standard deviation [${percent}% confidence interval of the ` +
    `mean], the interval mean ± t · sd / √n with t the ${1 - (1 - CONFIDENCE) / 2} quantile ` +
    "of Student's t with n − 1 degrees of freedom, n the group's seeds. A seed changes " +
    "every random draw of a run (the split, the initial weights, the batches, ε): the spread " +
    "is that of the whole procedure. Each group's seeds link to their cells' own reports.",
    ...(single.length
      ? [
        `${single.join(", ")}: one seed, so the mean alone: a standard deviation and an ` +
        "interval need at least two seeds.",
      ]
      : []),
    ...(baseline === undefined ? [] : [
      `Against the baseline (${baseline}): for each seed, the group's value minus the ` +
      "baseline's at the same seed (on the grid axes both hold, the same value), then the " +
      `mean ± sd [${percent}% t interval] of those differences. Pairing by seed removes the ` +
      "spread the two share (the same split and batches); an interval that excludes 0 is a " +
      "difference the seeds resolve.",
    ]),
    ...(unpaired
      ? [`${NA}: the baseline has no cell at that seed, so that seed has no difference.`]
      : []),
  ];
}

/** One row per cell: its report (linked), where it sits in the sweep, its artifacts' keys. */
export function cellsTable(cells: SweptCell[], axes: SweepAxis[]): Table {
  const key = (k: string) => ({ text: k.slice(0, 8), title: k, code: true });
  return {
    columns: [
      "cell",
      "variant",
      ...axes.map((a) => a.label),
      "seed",
      "train",
      "evaluate",
      "report",
    ],
    rows: cells.map((cell) => [
      { text: cell.label, href: `${cellReportDir(cell)}/index.html` },
      cell.variant,
      ...axes.map((a) => a.path in cell.point ? String(cell.point[a.path]) : ""),
      String(cell.seed),
      key(cell.keys.train),
      key(cell.keys.evaluate),
      key(cell.keys.report),
    ]),
  };
}

/**
 * sweep.csv: one row per cell, every column of the comparison's table, then the cell's
 * variant, grid values, seed and group, each number's difference from the baseline at the
 * same seed (n/a without one), its report's path and its artifacts' full keys.
 */
export function sweepRows(
  cells: SweptCell[],
  axes: SweepAxis[],
  columns: SeedColumn[],
  partner: Partner,
): { rows: Row[]; columns: string[] } {
  const compared = comparisonTable(cells);
  const rows = cells.map((cell, i) => {
    const differences = columns.map((column) => {
      const [d] = pairedDifferences([cell], partner, (c) => column.value(c.metrics));
      return [`Δ ${column.head}`, d === null ? NA : d.toFixed(column.digits)];
    });
    return {
      ...Object.fromEntries(compared.rows[i].map((c, j) => [compared.columns[j], cellText(c)])),
      variant: cell.variant,
      ...Object.fromEntries(axes.map((a) => [a.label, cell.point[a.path] ?? ""])),
      seed: cell.seed,
      group: cell.group,
      ...Object.fromEntries(differences),
      report: `${cellReportDir(cell)}/index.html`,
      train_key: cell.keys.train,
      evaluate_key: cell.keys.evaluate,
      report_key: cell.keys.report,
    };
  });
  return { rows, columns: Object.keys(rows[0] ?? {}) };
}
