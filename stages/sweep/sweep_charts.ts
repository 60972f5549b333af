/**
 * The sweep's Vega-Lite figures, every one with a point per seed: each number per group
 * (the seeds, their mean and its 95% interval); each number against each grid axis, one
 * line per variant holding the axis, the baseline's mean as a reference line; the mean
 * log σ² and the KL per latent dimension per group. Each returns its rows and spec, or the
 * reason it cannot be drawn, never an empty chart. The rate–distortion plane is the
 * comparison's (compare/comparison_charts.ts), one point per cell.
 */
import type { Row } from "../../lib/table.ts";
import type { SeedColumn } from "../compare/comparison.ts";
import { NATS } from "../evaluation/metrics.ts";
import type { ChartFigure, Skipped } from "../render/chart.ts";
import { CATEGORICAL, type ChartSpec } from "../render/figure.ts";
import { num } from "../render/upstream.ts";
import { CONFIDENCE, overSeeds } from "./over_seeds.ts";
import type { AxisValue, SweepAxis, SweepGroup } from "./sweep_cells.ts";

const PERCENT = Math.round(100 * CONFIDENCE);
const only = (kind: string) => [{ filter: { field: "kind", equal: kind } }];

/**
 * How a grid axis's values are placed: on a log scale when all are positive numbers
 * spanning at least 10× (0.1 … 10 is read as ratios), on a linear one for other numbers,
 * in their declared order for strings and booleans.
 */
export function axisScale(values: AxisValue[]): "log" | "linear" | "ordinal" {
  if (!values.every((v) => typeof v === "number")) return "ordinal";
  const numbers = values as number[];
  if (!numbers.every((v) => v > 0)) return "linear";
  return Math.max(...numbers) >= 10 * Math.min(...numbers) ? "log" : "linear";
}

/** A number's rows over a group's cells: one per seed, and the mean with its interval. */
function seedRows(group: SweepGroup, column: SeedColumn, fields: Row): Row[] {
  const seeds = group.cells.flatMap((cell) => {
    const value = column.value(cell.metrics);
    return value === null
      ? []
      : [{ ...fields, kind: "seed", cell: cell.label, seed: cell.seed, value }];
  });
  const summary = overSeeds(seeds.map((r) => r.value));
  if (!summary) return [];
  const [low, high] = summary.interval ?? [null, null];
  return [...seeds, { ...fields, kind: "mean", n: summary.n, mean: summary.mean, low, high }];
}

export function metricsOverSeeds(groups: SweepGroup[], columns: SeedColumn[]): ChartFigure {
  const heads = columns.map((c) => c.head);
  const rows = columns.flatMap((column) =>
    groups.flatMap((group) => seedRows(group, column, { metric: column.head, group: group.name }))
  );
  const y = {
    field: "group",
    type: "nominal",
    title: null,
    sort: groups.map((g) => g.name),
    // Group names hold the grid point (`separate-l2/wMu=0.5/wSigma=0.25`): never cut them.
    axis: { labelLimit: 320 },
  } as const;
  const x = (field: string) =>
    ({ field, type: "quantitative", title: null, scale: { zero: false } }) as const;
  const spec: ChartSpec = {
    title: `Each number per group: every seed, and the mean with its ${PERCENT}% interval`,
    columns: 2,
    facet: { field: "metric", type: "nominal", sort: heads, title: null },
    spec: {
      width: 300,
      height: { step: 16 },
      layer: [
        {
          transform: only("mean"),
          mark: { type: "rule", strokeWidth: 2, color: "#444" },
          encoding: { x: x("low"), x2: { field: "high" }, y },
        },
        {
          transform: only("mean"),
          mark: { type: "tick", thickness: 2, color: "black" },
          encoding: { x: x("mean"), y },
        },
        {
          transform: only("seed"),
          mark: { type: "point", filled: true, size: 36, opacity: 0.7, color: CATEGORICAL[0] },
          encoding: { x: x("value"), y, tooltip: [{ field: "cell" }, { field: "value" }] },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  };
  return {
    id: "metrics_over_seeds",
    title: "Every number over seeds",
    description: "One panel per column of the tables, one line per group: a dot per seed, " +
      `the mean (black tick) and its ${PERCENT}% t interval over the seeds (grey bar; none ` +
      "for a group with one seed). Units as in the tables: nats per example for −ELBO, " +
      "distortion, rate and the IW bound. Each panel has its own scale.",
    spec,
    rows,
    stages: ["evaluate"],
  };
}

/**
 * Each number against one grid axis: one line per variant holding it (and per value of its
 * other axes), a dot per seed, the mean with its interval; the baseline's mean as a dashed
 * line where the baseline does not hold the axis.
 */
export function againstAxis(
  axis: SweepAxis,
  axes: SweepAxis[],
  groups: SweepGroup[],
  baseline: string | undefined,
  columns: SeedColumn[],
): ChartFigure | Skipped {
  const id = `against_${axis.label.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const title = `Against ${axis.label}`;
  const holders = groups.filter((g) => axis.path in g.point);
  const values = axis.values.filter((v) => holders.some((g) => g.point[axis.path] === v));
  if (values.length < 2) return { id, title, skipped: `the cells hold fewer than two values` };
  const labelOf = (path: string) => axes.find((a) => a.path === path)?.label ?? path;
  const series = (g: SweepGroup) =>
    [
      g.variant,
      ...Object.entries(g.point).filter(([p]) => p !== axis.path).map(([p, v]) =>
        `${labelOf(p)}=${v}`
      ),
    ].join(", ");
  const scale = axisScale(values);
  const position = (v: AxisValue) => (scale === "ordinal" ? String(v) : v);
  const reference = baselineReference(groups, baseline, axis);
  const rows = columns.flatMap((column) => [
    ...holders.flatMap((g) =>
      seedRows(g, column, {
        metric: column.head,
        series: series(g),
        x: position(g.point[axis.path]),
      })
    ),
    ...(reference ? referenceRow(reference, column) : []),
  ]);
  const x = scale === "ordinal"
    ? { field: "x", type: "ordinal", title: axisTitle(axis), sort: values.map(String) } as const
    : {
      field: "x",
      type: "quantitative",
      title: axisTitle(axis, scale),
      scale: scale === "log" ? { type: "log" as const } : { zero: false },
      axis: { values: values as number[] },
    } as const;
  const y = (field: string) =>
    ({ field, type: "quantitative", title: null, scale: { zero: false } }) as const;
  // The domain is given: otherwise the reference line's rows, which have no series, would
  // add an "undefined" entry to the legend.
  const lines = [...new Set(holders.map(series))];
  const color = {
    field: "series",
    type: "nominal",
    title: "variant",
    sort: lines,
    scale: { domain: lines, range: CATEGORICAL },
    legend: { labelLimit: 320 },
  } as const;
  const spec: ChartSpec = {
    title: `Each number against ${axis.label}`,
    columns: 3,
    facet: { field: "metric", type: "nominal", sort: columns.map((c) => c.head), title: null },
    spec: {
      width: 220,
      height: 160,
      // Each layer draws the rows that have its fields (vega drops the rest as invalid), so
      // only the line needs a filter (a row without a mean would break its path): more
      // filters make the faceted dataflow too large for vega-lite to optimize.
      layer: [
        {
          mark: { type: "rule", strokeDash: [5, 4], color: "#777" },
          encoding: { y: y("reference") },
        },
        {
          mark: { type: "text", align: "left", dx: 3, dy: -6, fontSize: 10, color: "#555" },
          encoding: { x: { value: 0 }, y: y("reference"), text: { field: "label" } },
        },
        {
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: { x, y: y("low"), y2: { field: "high" }, color },
        },
        {
          transform: only("mean"),
          mark: { type: "line", point: true },
          encoding: { x, y: y("mean"), color },
        },
        {
          mark: { type: "point", filled: true, size: 20, opacity: 0.5 },
          encoding: { x, y: y("value"), color, tooltip: [{ field: "cell" }, { field: "value" }] },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
  return {
    id,
    title,
    description: `Each number of the tables against ${axis.label} (${axis.path}), ` +
      `${scale === "log" ? "on a log scale (its values span 10× or more)" : "on a linear scale"}` +
      `: one line per variant holding it, through the means over seeds, a bar for each ` +
      `mean's ${PERCENT}% t interval and a dot per seed. ` +
      (reference
        ? `The dashed line is the baseline ${reference.name}'s mean over its seeds, which ` +
          `does not vary ${axis.label}. `
        : "") +
      "Units as in the tables; each panel has its own scale.",
    spec,
    rows,
    stages: ["evaluate"],
  };
}

/** `wSigma (loss.wSigma, log scale)`. */
const axisTitle = (axis: SweepAxis, scale?: string) =>
  `${axis.label} (${axis.path}${scale === "log" ? ", log scale" : ""})`;

/** The baseline's first group, when the baseline variant does not itself vary `axis`. */
function baselineReference(
  groups: SweepGroup[],
  baseline: string | undefined,
  axis: SweepAxis,
): SweepGroup | undefined {
  const group = groups.find((g) => g.variant === baseline);
  return group && !(axis.path in group.point) ? group : undefined;
}

function referenceRow(group: SweepGroup, column: SeedColumn): Row[] {
  const summary = overSeeds(group.cells.map((c) => column.value(c.metrics)));
  return summary
    ? [{
      metric: column.head,
      kind: "reference",
      reference: summary.mean,
      label: `${group.name} (baseline)`,
    }]
    : [];
}

/** Each cell's kl_per_dim.csv rows with their rank (1 = most KL in that cell). */
const ranked = (group: SweepGroup) =>
  group.cells.flatMap((cell) =>
    [...cell.klPerDim]
      .sort((a, b) => (num(b, "kl") ?? 0) - (num(a, "kl") ?? 0))
      .map((row, i) => ({ cell, row, rank: i + 1 }))
  );

const RANK_NOTE = "Dimensions are ranked within each cell by their KL, largest first: a " +
  "dimension's index means nothing across seeds (the latent dimensions are exchangeable), " +
  "its rank does.";

export function logVarPerDimension(groups: SweepGroup[]): ChartFigure | Skipped {
  const id = "log_var_per_dimension", title = "Posterior log-variance per latent dimension";
  const rows = groups.flatMap((group) => {
    const seeds = ranked(group).flatMap(({ cell, row, rank }) => {
      const value = num(row, "mean_log_var");
      return value === null ? [] : [{
        kind: "seed",
        group: group.name,
        cell: cell.label,
        seed: cell.seed,
        rank,
        dim: num(row, "dim"),
        value,
      }];
    });
    const ranks = [...new Set(seeds.map((r) => r.rank))];
    return [
      ...seeds,
      ...ranks.map((rank) => ({
        kind: "mean",
        group: group.name,
        rank,
        value: overSeeds(seeds.filter((r) => r.rank === rank).map((r) => r.value))!.mean,
      })),
    ];
  });
  if (rows.length === 0) return { id, title, skipped: "no cell has an encoder variance (ae)" };
  // One row per group and a colour per dimension: a colour per group would repeat past the
  // palette's ten (a sweep has more groups than that).
  const encoding = {
    y: {
      field: "group",
      type: "nominal",
      title: null,
      sort: groups.map((g) => g.name),
      axis: { labelLimit: 320 },
    },
    x: { field: "value", type: "quantitative", title: "mean log σ² over test examples" },
    color: {
      field: "rank",
      type: "ordinal",
      title: "dimension, ranked by KL",
      scale: { range: CATEGORICAL },
      legend: { titleLimit: 240 },
    },
  } as const;
  return {
    id,
    title,
    description: "Per group (rows), the encoder's log σ_j² averaged over the test split's " +
      "examples (evaluate's kl_per_dim.csv, mean_log_var), per latent dimension (colours): a " +
      "dot per seed and a tick at their mean. 0 (the line) is the prior's σ = 1; far below it " +
      `the posterior is nearly a point. ${RANK_NOTE}`,
    spec: {
      title: "Posterior log σ² per latent dimension, test split",
      width: 420,
      height: { step: 18 },
      layer: [
        {
          mark: { type: "rule", color: "#777", strokeDash: [5, 4] },
          encoding: { x: { datum: 0 } },
        },
        {
          transform: only("mean"),
          mark: { type: "tick", thickness: 2 },
          encoding,
        },
        {
          transform: only("seed"),
          mark: { type: "point", filled: true, size: 24, opacity: 0.5 },
          encoding: {
            ...encoding,
            tooltip: [{ field: "cell" }, { field: "dim" }, { field: "value" }],
          },
        },
      ],
    },
    rows,
    stages: ["evaluate"],
  };
}

export function klHeatmap(groups: SweepGroup[]): ChartFigure | Skipped {
  const id = "kl_per_dimension", title = "KL per latent dimension";
  const rows = groups.flatMap((group) => {
    const cells = ranked(group).flatMap(({ row, rank }) => {
      const kl = num(row, "kl");
      return kl === null ? [] : [{ rank, kl }];
    });
    return [...new Set(cells.map((r) => r.rank))].map((rank) => {
      const values = cells.filter((r) => r.rank === rank).map((r) => r.kl);
      return { group: group.name, rank, kl: overSeeds(values)!.mean, seeds: values.length };
    });
  });
  if (rows.length === 0) return { id, title, skipped: "no cell has a KL per dimension (ae)" };
  const max = Math.max(...rows.map((r) => r.kl));
  const encoding = {
    x: {
      field: "rank",
      type: "ordinal",
      title: "latent dimension, ranked by KL",
      axis: { labelAngle: 0 },
    },
    y: { field: "group", type: "nominal", title: null, sort: groups.map((g) => g.name) },
  } as const;
  return {
    id,
    title,
    description: "Per group (rows) and latent dimension (columns), the test KL of that " +
      `dimension in ${NATS}, averaged over the group's seeds (evaluate's kl_per_dim.csv), ` +
      "on a symlog colour scale (linear below 1 nat, logarithmic above). " + RANK_NOTE,
    spec: {
      title: "Test KL per latent dimension, mean over seeds",
      width: { step: 34 },
      height: { step: 20 },
      layer: [
        {
          mark: "rect",
          encoding: {
            ...encoding,
            color: {
              field: "kl",
              type: "quantitative",
              title: `KL (${NATS})`,
              scale: { type: "symlog", scheme: "viridis" },
              legend: { titleLimit: 240 },
            },
            tooltip: [{ field: "group" }, { field: "rank" }, { field: "kl" }, { field: "seeds" }],
          },
        },
        {
          mark: { type: "text", fontSize: 9 },
          encoding: {
            ...encoding,
            text: { field: "kl", type: "quantitative", format: ".1f" },
            // Light text on viridis's dark low end, dark text on its light high end.
            color: {
              condition: { test: `log(1 + datum.kl) < ${0.6 * Math.log1p(max)}`, value: "white" },
              value: "black",
            },
          },
        },
      ],
    },
    rows,
    stages: ["evaluate"],
  };
}
