/**
 * A sweep's cells as its tables and figures read them: each cell a compared run (its
 * metrics, history and KL per dimension) with its variant, grid point and seed; cells
 * grouped by variant and grid point (the seeds are the repeats); and each cell's partner in
 * the baseline variant at the same seed, for paired differences.
 */
import type { ComparedRunData } from "../compare/comparison_charts.ts";

/** A grid axis's value in a cell. */
export type AxisValue = number | string | boolean;

export interface SweepAxis {
  /** YAML path, e.g. `loss.wSigma`. */
  path: string;
  /** Its short label, as in cell names: `wSigma`. */
  label: string;
  values: AxisValue[];
}

export interface SweptCell extends ComparedRunData {
  /** Its name inside the sweep, without the sweep's: `separate-l2/wSigma=3/seed1`. */
  label: string;
  variant: string;
  /** Each grid axis's value, by axis path; absent where the axis is not this variant's. */
  point: Record<string, AxisValue>;
  seed: number;
  /** Its train, evaluate and report artifacts' keys. */
  keys: { train: string; evaluate: string; report: string };
}

/** One variant at one grid point: its cells, one per seed. */
export interface SweepGroup {
  /** The cells' label without the seed segment: `separate-l2/wSigma=3`. */
  name: string;
  variant: string;
  point: Record<string, AxisValue>;
  cells: SweptCell[];
}

/** A cell's group: its label without its trailing `/seed<N>` segment. */
export const groupName = (label: string): string => label.replace(/\/seed\d+$/, "");

/** Where a cell's report is copied inside the sweep's folder, relative to its index.html. */
export const cellReportDir = (cell: { label: string }): string => `cells/${cell.label}`;

/** The cells grouped, groups in the order of their first cell, cells in the order given. */
export function groupsOf(cells: SweptCell[]): SweepGroup[] {
  const groups = new Map<string, SweepGroup>();
  for (const cell of cells) {
    const name = groupName(cell.label);
    const group = groups.get(name) ??
      { name, variant: cell.variant, point: cell.point, cells: [] };
    group.cells.push(cell);
    groups.set(name, group);
  }
  return [...groups.values()];
}

/**
 * A cell's partner in the baseline variant: the baseline's cell of the same seed whose grid
 * point agrees on every axis both hold (a global grid pairs like with like); undefined when
 * the baseline has no cell at that seed.
 */
export function baselinePartner(
  cells: SweptCell[],
  baseline: string | undefined,
): (cell: SweptCell) => SweptCell | undefined {
  const candidates = cells.filter((c) => c.variant === baseline);
  return (cell) =>
    candidates.find((b) =>
      b.seed === cell.seed &&
      Object.entries(b.point).every(([axis, v]) => !(axis in cell.point) || cell.point[axis] === v)
    );
}
