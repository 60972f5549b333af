/**
 * Sweeps: one config declares a whole study. A `sweep:` block names variants (each a set of
 * values by YAML path), grids (cartesian products of value lists, for one variant or for
 * all), seeds and a baseline; every cell of variants × grid points × seeds is an ordinary run
 * named `<sweep>/<variant>/<axis>=<value>/seed<N>`, so stages whose keys agree (the data
 * split, the classifier) are computed once and shared through the store.
 *
 * ```yaml
 * extends: ../vae.yaml
 * sweep:
 *   seeds: [0, 1, 2]
 *   baseline: kl
 *   variants:
 *     kl: {}
 *     separate-l2:
 *       set: { loss.regularizer: separate-l2 }
 *       grid: { loss.wSigma: [0.1, 1, 10] }
 * ```
 *
 * A command-line override with several values (`loss.beta=1,2,4`) adds a grid axis to every
 * variant, and turns a plain config into a sweep of one unnamed variant.
 */
import { basename, dirname, extname, resolve } from "node:path";
import { z } from "zod";
import { excerpt, showPath } from "./bounded_read.ts";
import {
  type ConfigPatch,
  type ConfigSource,
  dotted,
  locateIn,
  PATH_KEYS,
  readConfigSource,
  resolveConfig,
  type ResolvedConfig,
  valueAt,
} from "./config.ts";
import { closestWord } from "./did_you_mean.ts";
import { executorBlock } from "./executor.ts";
import { UserError } from "./errors.ts";
import { MAX_NAME_LENGTH, runNameProblem } from "./names.ts";
import { type Override, overridePatch, overrideText, valueText } from "./overrides.ts";
import { type ConfigRun, withSeeds } from "./seeds.ts";

/** The most cells one sweep may expand to: past this it is a typo, or a cluster's job. */
export const MAX_CELLS = 1000;

/** A variant's or an axis's value at one cell. */
export type AxisValue = unknown;

/** One grid axis: the YAML path it sets, its short label in cell names, its values. */
export interface SweepAxis {
  path: string;
  label: string;
  values: AxisValue[];
}

/** Where a run sits in its sweep. */
export interface CellPlace {
  sweep: string;
  /** The variant's name; "" for a command-line sweep of a plain config. */
  variant: string;
  /** Each grid axis's value in this cell, by axis path. */
  point: Record<string, AxisValue>;
}

/** A sweep as expanded: its cells are runs like any other. */
export interface Sweep {
  name: string;
  path: string;
  /** The variant the others are compared with at the same seed (absent: no variants). */
  baseline?: string;
  axes: SweepAxis[];
  cells: ConfigRun<ResolvedConfig>[];
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const yamlPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, {
  message: "must be a YAML path like loss.beta",
});
const grid = z.record(yamlPath, z.array(z.unknown()).min(1).max(100));
const variant = z.strictObject({
  /** What the variant is, for the report. */
  description: z.string().max(500).optional(),
  set: z.record(yamlPath, z.unknown()).default({}),
  grid: grid.optional(),
});
const sweepSchema = z.strictObject({
  /** The sweep's name (its report folder); default: the file's base name. */
  name: z.string().max(60).regex(SEGMENT).optional(),
  seeds: z.array(z.int().min(0).max(2 ** 31 - 1)).min(1).max(100).optional(),
  baseline: z.string().optional(),
  grid: grid.optional(),
  variants: z.record(z.string().max(60).regex(SEGMENT), variant.nullable()).optional(),
});
type SweepBlock = z.output<typeof sweepSchema>;

/**
 * The runs one config file makes under the command line's overrides and `--seeds`: a sweep's
 * cells, or one run. `overrides` with one value are set on every run, after everything else.
 */
export function expandSource(
  source: ConfigSource,
  overrides: Override[],
  seeds: number[] | undefined,
): { sweep?: Sweep; runs: ConfigRun<ResolvedConfig>[] } {
  // The sweep is expanded here; where the runs compute is the executor's (executor.ts).
  const { sweep: block, executor: _where, ...raw } = source.raw;
  const plain = { ...source, raw };
  const fixed = overrides.filter((o) => o.values.length === 1);
  const swept = overrides.filter((o) => o.values.length > 1);
  const recorded = fixed.map((o) => o.text);
  if (block === undefined && swept.length === 0) {
    const config = resolveConfig(plain, fixed.map((o) => overridePatch(o)));
    const name = recorded.length
      ? runName(source, `${config.name}@${recorded.join(",")}`)
      : config.name;
    const run = { path: source.path, config: { ...config, name }, overrides: recorded };
    return { runs: seeds ? withSeeds([run], seeds) : [run] };
  }
  const declared = block === undefined ? {} : parseBlock(source, block);
  const sweep = expandSweep(plain, declared, fixed, swept, seeds);
  return { sweep, runs: sweep.cells };
}

/** The block, validated; an error names the file, the line and the `sweep.` path. */
function parseBlock(source: ConfigSource, block: unknown): SweepBlock {
  const parsed = sweepSchema.safeParse(block);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ["sweep", ...issue.path.map((p) => typeof p === "symbol" ? String(p) : p)];
    if (issue.code === "unrecognized_keys") {
      const key = issue.keys[0];
      const valid = issue.path.length === 0
        ? Object.keys(sweepSchema.shape)
        : Object.keys(variant.shape);
      const guess = closestWord(key, valid);
      const fix = guess ? `did you mean "${guess}"?` : `valid keys here: ${valid.join(", ")}`;
      throw new UserError(
        `${locateIn(source, [...path, key])}: unknown key ${dotted([...path, key])}: ${fix}`,
      );
    }
    const got = excerpt(valueAt(block, issue.path as (string | number)[]));
    const what = issue.code === "invalid_format" || issue.code === "invalid_key"
      ? "must be a name of letters, digits, '.', '_' and '-' (a YAML path for set/grid keys)"
      : issue.message;
    throw new UserError(`${locateIn(source, path)}: ${dotted(path)} ${what}, got ${got}`);
  }
  const data = parsed.data;
  const names = Object.keys(data.variants ?? {});
  if (data.baseline !== undefined && !names.includes(data.baseline)) {
    const guess = closestWord(data.baseline, names);
    throw new UserError(
      `${locateIn(source, ["sweep", "baseline"])}: sweep.baseline ${excerpt(data.baseline)} ` +
        `is not a variant; ${guess ? `did you mean "${guess}"?` : `variants: ${names.join(", ")}`}`,
    );
  }
  return data;
}

/** Every cell of a sweep, each resolved (so any bad value fails before anything runs). */
function expandSweep(
  source: ConfigSource,
  block: SweepBlock,
  fixed: Override[],
  swept: Override[],
  seedsGiven: number[] | undefined,
): Sweep {
  // Overrides make other runs than the declared ones: their sweep gets its own name (and
  // report folder), as a run with overrides does.
  const said = [...fixed.map((o) => o.text), ...swept.map((o) => o.path.join("."))];
  const base = block.name ?? basename(source.path, extname(source.path));
  const name = runName(source, said.length ? `${base}@${said.join(",")}` : base);
  const variants = Object.entries(block.variants ?? { "": {} }).map(([v, body]) => ({
    name: v,
    set: body?.set ?? {},
    grid: (body?.grid ?? {}) as Record<string, AxisValue[]>,
  }));
  const globalAxes = [
    ...Object.entries(block.grid ?? {}).map(([path, values]) => ({ path, values, from: "grid" })),
    ...swept.map((o) => ({ path: o.path.join("."), values: o.values, from: "command line" })),
  ];
  const axisPaths = unique([
    ...globalAxes.map((a) => a.path),
    ...variants.flatMap((v) => Object.keys(v.grid)),
  ]);
  const labels = shortLabels(axisPaths);
  const seeds = seedsGiven ?? block.seeds;
  const dir = dirname(resolve(source.path));
  const cells: ConfigRun<ResolvedConfig>[] = [];
  for (const v of variants) {
    const axes = [
      ...globalAxes,
      ...Object.entries(v.grid).map(([path, values]) => ({ path, values, from: "variant" })),
    ];
    checkAxesDistinct(source, v.name, axes, v.set);
    for (const point of cartesian(axes)) {
      for (const seed of seeds ?? [undefined]) {
        const patches: ConfigPatch[] = [
          ...Object.entries(v.set).map(([path, value]) =>
            filePatch(source, ["sweep", "variants", v.name, "set", path], path, value, dir)
          ),
          ...axes.map((axis) =>
            filePatch(source, gridYamlPath(v.name, axis), axis.path, point[axis.path], dir)
          ),
          ...fixed.map((o) => overridePatch(o)),
          ...(seed === undefined ? [] : [seedPatch(seed)]),
        ];
        const config = resolveConfig(source, patches);
        const segments = [
          name,
          ...(v.name ? [v.name] : []),
          ...axes.map((a) => `${labels.get(a.path)}=${nameValue(point[a.path])}`),
          ...(seed === undefined ? [] : [`seed${seed}`]),
        ];
        const cellName = runName(source, segments.join("/"));
        const overrides = [
          ...fixed.map((o) => o.text),
          ...swept.map((o) => overrideText(o, point[o.path.join(".")])),
        ];
        cells.push({
          path: source.path,
          config: { ...config, name: cellName },
          overrides,
          cell: { sweep: name, variant: v.name, point },
          group: segments.slice(0, seed === undefined ? undefined : -1).join("/"),
        });
        if (cells.length > MAX_CELLS) {
          throw new UserError(
            `${showPath(source.path)}: the sweep expands to more than ${MAX_CELLS} cells; ` +
              "split it, or shorten its grids",
          );
        }
      }
    }
  }
  const axes = axisPaths.map((path) => ({
    path,
    label: labels.get(path)!,
    values: unique(cells.map((c) => c.cell!.point[path]).filter((x) => x !== undefined)),
  }));
  const baseline = block.baseline ?? (block.variants ? variants[0].name : undefined);
  return { name, path: source.path, baseline, axes, cells };
}

/** Where an axis's values were said: the sweep's grid, the variant's, or the command line. */
function gridYamlPath(variantName: string, axis: { path: string; from: string }) {
  if (axis.from === "grid") return ["sweep", "grid", axis.path];
  if (axis.from === "variant") return ["sweep", "variants", variantName, "grid", axis.path];
  return undefined;
}

/** A patch from the sweep file (paths relative to it), or from the command line. */
function filePatch(
  source: ConfigSource,
  yamlPath: string[] | undefined,
  path: string,
  value: unknown,
  dir: string,
): ConfigPatch {
  const keys = path.split(".");
  const isFile = PATH_KEYS.some((p) => p.join(".") === path) && typeof value === "string";
  const resolved = isFile && !(value as string).includes("\0")
    ? resolve(dir, value as string)
    : value;
  const origin = yamlPath
    ? `${locateIn(source, yamlPath)} (${yamlPath.join(".")})`
    : `command line: ${path}=${valueText(value)}`;
  return { path: keys, value: resolved, origin };
}

function seedPatch(seed: number): ConfigPatch {
  return { path: ["seed"], value: seed, origin: `seeds (${seed})` };
}

/** One axis may not be set twice in one variant (by two grids, or by `set` and a grid). */
function checkAxesDistinct(
  source: ConfigSource,
  variantName: string,
  axes: { path: string; from: string }[],
  set: Record<string, unknown>,
): void {
  const seen = new Set(Object.keys(set));
  for (const axis of axes) {
    if (!seen.has(axis.path)) {
      seen.add(axis.path);
      continue;
    }
    const where = variantName ? `variant ${variantName}` : "the sweep";
    throw new UserError(
      `${locateIn(source, ["sweep", "variants", variantName])}: ${where} sets ${axis.path} ` +
        `twice (in \`set\`, a grid or on the command line); keep one`,
    );
  }
}

/** Every combination of the axes' values, the first axis slowest. */
function cartesian(axes: { path: string; values: AxisValue[] }[]): Record<string, AxisValue>[] {
  return axes.reduce<Record<string, AxisValue>[]>(
    (points, axis) => points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.path]: v }))),
    [{}],
  );
}

/** The shortest dotted suffix of each path that no other path ends with: `loss.wSigma` → `wSigma`. */
function shortLabels(paths: string[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const path of paths) {
    const parts = path.split(".");
    for (let n = 1; n <= parts.length; n++) {
      const label = parts.slice(-n).join(".");
      const clash = paths.some((other) => other !== path && `.${other}`.endsWith(`.${label}`));
      if (!clash || n === parts.length) {
        labels.set(path, label);
        break;
      }
    }
  }
  return labels;
}

/** A value as a name segment: `0.1`, `true`, `separate-l2`, `512_256` for a list. */
function nameValue(value: AxisValue): string {
  const text = Array.isArray(value) ? value.map(valueText).join("_") : valueText(value);
  return /^[A-Za-z0-9._+-]+$/.test(text)
    ? text
    : excerpt(text, 20).replace(/[^A-Za-z0-9._+-]/g, "_");
}

/** A run name derived from a config, checked, with the fix. */
function runName(source: { path: string }, name: string): string {
  const problem = name.length > 4 * MAX_NAME_LENGTH
    ? `is longer than ${4 * MAX_NAME_LENGTH} characters`
    : runNameProblem(name);
  if (!problem) return name;
  throw new UserError(
    `${showPath(source.path)}: the run name ${excerpt(name, 60)} ${problem}; shorten or ` +
      "rename the sweep, its variants or the config",
  );
}

function unique<T>(values: T[]): T[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * Every run the command line names: each config file's run (or its sweep's cells) under the
 * overrides and `--seeds`, every file read first, so a typo in the last costs nothing; and
 * the files of every `extends` chain (the launcher grants them).
 */
export async function expandTargets(
  paths: string[],
  overrides: Override[],
  seeds: number[] | undefined,
): Promise<{ runs: ConfigRun<ResolvedConfig>[]; sweeps: Sweep[]; files: string[] }> {
  const runs: ConfigRun<ResolvedConfig>[] = [], sweeps: Sweep[] = [], files: string[] = [];
  for (const path of paths) {
    const source = await readConfigSource(path);
    const expanded = expandSource(source, overrides, seeds);
    const executor = executorBlock(source);
    runs.push(...(executor ? expanded.runs.map((run) => ({ ...run, executor })) : expanded.runs));
    if (expanded.sweep) sweeps.push(expanded.sweep);
    files.push(...source.files);
  }
  return { runs, sweeps, files };
}
