/**
 * Loading a config: a YAML file and its `extends:` chain, read under CONFIG_LIMITS, overlaid
 * on the typed defaults and validated, every failure one line that points at the file and
 * line.
 */
import { basename, dirname, extname, resolve } from "node:path";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";
import type { z } from "zod";
import { excerpt, formatSize, KiB, readBoundedFile, showPath } from "./bounded_read.ts";
import {
  configSchema,
  type DataShape,
  knownLabels,
  memoryProblem,
  type ResolvedConfig,
} from "../stages/registry.ts";
import { UserError } from "./errors.ts";
import { formatCount } from "./units.ts";
import { nameProblem } from "./names.ts";
import { configPathFix } from "./config_suggestion.ts";
import { closestWord } from "./did_you_mean.ts";

export type { ResolvedConfig } from "../stages/registry.ts";

/**
 * Limits on a config file, checked before its values are looked at: a config is a few lines
 * of YAML, so anything past these is a wrong file or an attack, and fails with one line.
 */
export const CONFIG_LIMITS = {
  /**
   * Bytes per file: the shipped ones are under 1 KiB. Not more, because the yaml parser
   * needs about 4 s per MiB of tiny tokens (`[1,1,1,…`) on these machines.
   */
  maxBytes: 256 * KiB,
  /** Nesting of mappings and lists (the schema itself is 3 deep). */
  maxDepth: 32,
  /** Alias expansions (the `yaml` package's guard against "billion laughs"). */
  maxAliasCount: 100,
  /** Files in one `extends` chain (which, together, hold at most maxBytes). */
  maxChain: 16,
  /** Mappings, lists and values in one file (a full config has about 60). */
  maxNodes: 10_000,
};

/** One YAML file of an `extends` chain, kept so errors can point at the line that set a value. */
interface ConfigFile {
  path: string;
  text: string;
  doc: Document;
  lines: LineCounter;
}

type Path = (string | number)[];

/**
 * Read a YAML config, follow its `extends:` chain, overlay it on the typed defaults and
 * validate it, then check the memory the run would need. Every failure is a UserError of one
 * line: file, line, YAML path, a short escaped excerpt of the value, and the fix.
 */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  return (await loadConfigWithFiles(path)).config;
}

/** loadConfig, and the absolute paths of the files it read (the `extends` chain, root first). */
export async function loadConfigWithFiles(
  path: string,
): Promise<{ config: ResolvedConfig; files: string[] }> {
  const source = await readConfigSource(path);
  return { config: resolveConfig(source, []), files: source.files };
}

/**
 * A config file as read, before it is validated: its `extends` chain merged into one plain
 * object (`raw`), and the files, kept so that errors can point at the line that set a value.
 */
export interface ConfigSource {
  path: string;
  raw: Record<string, unknown>;
  /** The absolute paths of the chain's files, root first. */
  files: string[];
  chain: ConfigFile[];
}

/** Read a config file and its `extends` chain, under CONFIG_LIMITS; nothing validated yet. */
export async function readConfigSource(path: string): Promise<ConfigSource> {
  checkConfigName(path, undefined);
  const chain: ConfigFile[] = [];
  const raw = await readChain(resolve(path), chain);
  return { path, raw, files: chain.map((file) => file.path), chain };
}

/**
 * A value set on top of a config file, by a sweep's variant or on the command line: the YAML
 * path it sets, the value (paths already resolved), and where it was said, for errors
 * (`command line: loss.beta=-1`, `configs/sweeps/x.yaml:12 (variant beta-4)`).
 */
export interface ConfigPatch {
  path: string[];
  value: unknown;
  origin: string;
}

/**
 * The config a source and its patches (applied in order, the last one winning) resolve to:
 * validated against the schema and the memory budget. An error about a patched value points
 * at the patch's origin; any other at the file and line that set it.
 */
export function resolveConfig(source: ConfigSource, patches: ConfigPatch[]): ResolvedConfig {
  const { path, chain } = source;
  let raw = source.raw;
  for (const patch of patches) {
    checkPatchPath(patch);
    raw = deepMerge(raw, nestedValue(patch.path, patch.value));
  }
  const where = (yamlPath: Path) => patchAt(patches, yamlPath)?.origin ?? locate(chain, yamlPath);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(describeIssue(firstIssue(parsed.error.issues), raw, chain, where));
  }
  const name = parsed.data.name ?? basename(path, extname(path));
  const unsafe = parsed.data.name === undefined ? nameProblem(name) : undefined;
  if (unsafe) {
    throw new UserError(
      `${showPath(resolve(path))}: the file name makes the config's name ${excerpt(name)}, ` +
        `which ${unsafe}; set \`name:\` in the config or rename the file`,
    );
  }
  const config = { ...parsed.data, name };
  const problem = memoryProblem(config, dataShape(config));
  if (problem) throw new UserError(`${where(problem.yamlPath)}: ${problem.message}`);
  return config;
}

/** "file:line" of the last file in a source's chain that sets `yamlPath` (or its nearest parent). */
export function locateIn(source: ConfigSource, yamlPath: Path): string {
  return locate(source.chain, yamlPath);
}

/** The last patch that set `yamlPath` or a mapping above it. */
function patchAt(patches: ConfigPatch[], yamlPath: Path): ConfigPatch | undefined {
  return patches.findLast((patch) => patch.path.every((step, i) => yamlPath[i] === step));
}

/** A patch names a key the schema has, at every step; else "did you mean". */
function checkPatchPath({ path, origin }: ConfigPatch): void {
  for (let depth = 0; depth < path.length; depth++) {
    const valid = validKeysAt(path.slice(0, depth));
    const key = path[depth];
    if (valid.includes(key)) continue;
    const shown = dotted(path.slice(0, depth + 1));
    if (valid.length === 0) {
      const parent = dotted(path.slice(0, depth));
      throw new UserError(`${origin}: ${parent} is a value, not a mapping; set ${parent} itself`);
    }
    const guess = closestWord(key, valid);
    const fix = guess ? `did you mean "${guess}"?` : `valid keys here: ${valid.join(", ")}`;
    throw new UserError(`${origin}: unknown key ${shown}: ${fix}`);
  }
}

/** `{a: {b: value}}` for the path a.b. */
function nestedValue(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<
    string,
    unknown
  >;
}

/**
 * The data's shape as far as the config tells it. IDX and CSV files are not read here: the
 * estimate assumes 28×28 images and 10 classes for them, and prepare checks the real images
 * against MAX_INPUT_PIXELS and the memory budget before it writes.
 */
function dataShape(config: ResolvedConfig): DataShape {
  const { data } = config;
  const labels = knownLabels(data);
  const numClasses = data.classes ? new Set(data.classes).size : labels?.length ?? 10;
  const inputDim = data.source === "synthetic" ? data.synthetic.size ** 2 : 28 * 28;
  const available = data.source === "mnist"
    ? 10_000
    : data.source === "synthetic"
    ? data.synthetic.count
    : 0; // unknown until read: prepare checks the data's own size
  const limited = (data.limit.train ?? Infinity) + (data.limit.test ?? Infinity);
  return { inputDim, numClasses, examples: Math.min(available, limited) };
}

/** Configs are .yaml/.yml files: `extends: /etc/passwd` or a device is refused unread. */
function checkConfigName(path: string, at: string | undefined): void {
  const ext = extname(path).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") return;
  const fix = "a config is a YAML file ending in .yaml or .yml";
  if (at) throw new UserError(`${at}: extends must name a config, got ${excerpt(path)}; ${fix}`);
  throw new UserError(`${showPath(path)}: not a .yaml or .yml file; ${fix}`);
}

/** Load `path` and its ancestors (root first into `chain`), returning the merged plain object. */
async function readChain(
  path: string,
  chain: ConfigFile[],
  seen: string[] = [],
  referrer?: string,
  read = { bytes: 0 },
): Promise<Record<string, unknown>> {
  if (seen.includes(path)) {
    const cycle = [...seen, path].map(showPath).join(" → ");
    throw new UserError(
      `${showPath(seen.at(-1)!)}: extends forms a cycle: ${cycle}; remove one link`,
    );
  }
  if (seen.length >= CONFIG_LIMITS.maxChain) {
    throw new UserError(
      `${referrer}: extends makes a chain of more than ${CONFIG_LIMITS.maxChain} configs; ` +
        `flatten some of them`,
    );
  }
  const file = await readYaml(path, referrer);
  read.bytes += file.text.length;
  if (read.bytes > CONFIG_LIMITS.maxBytes) {
    throw new UserError(
      `${showPath(path)}: the extends chain holds more than ${
        formatSize(CONFIG_LIMITS.maxBytes)
      } ` +
        `of YAML, the limit for one config; a config is a few lines`,
    );
  }
  const own = toPlain(file);
  const { extends: parentRef, ...values } = resolvePaths(own, dirname(path));
  let base: Record<string, unknown> = {};
  if (parentRef !== undefined) {
    const at = where(file, ["extends"]);
    if (typeof parentRef !== "string" || parentRef === "") {
      throw new UserError(
        `${at}: extends must be a path to another config, got ${shownValue(parentRef)}`,
      );
    }
    // deno-lint-ignore no-control-regex
    if (parentRef.length > 4096 || /[\u0000-\u001f\u007f]/.test(parentRef)) {
      const what = parentRef.length > 4096
        ? `must be a path of at most 4096 characters, got ${parentRef.length}: `
        : "must be a file path without control characters, got ";
      throw new UserError(`${at}: extends ${what}${excerpt(parentRef)}`);
    }
    checkConfigName(parentRef, at);
    base = await readChain(resolve(dirname(path), parentRef), chain, [...seen, path], at, read);
  }
  chain.push(file);
  return deepMerge(base, values);
}

/** The fix for a config named on the command line: a "did you mean" only when it is missing. */
function configFixFor(path: string): string {
  try {
    Deno.statSync(path);
    return "check the config path";
  } catch {
    return configPathFix(path);
  }
}

/** Read, decode and parse one config file under CONFIG_LIMITS; `referrer` is "file:line". */
async function readYaml(path: string, referrer?: string): Promise<ConfigFile> {
  const bytes = await readBoundedFile(path, {
    maxBytes: CONFIG_LIMITS.maxBytes,
    what: "config",
    ...(referrer ? { yamlPath: "extends", referrer } : {}),
    fix: referrer ? "fix the extends path" : configFixFor(path),
  });
  const shown = showPath(path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${shown}: is not UTF-8 text; a config is a YAML text file`);
  }
  const lines = new LineCounter();
  // deno-lint-ignore no-control-regex
  const control = text.search(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
  if (control >= 0) {
    const code = text.charCodeAt(control).toString(16).padStart(2, "0");
    throw new UserError(
      `${shown}:${position(text, control)}: holds the control character 0x${code}; ` +
        `a config is YAML text (is this the right file?)`,
    );
  }
  const deep = deepNesting(text, CONFIG_LIMITS.maxDepth);
  if (deep !== null) {
    throw new UserError(
      `${shown}:${position(text, deep)}: invalid YAML: nests deeper than ` +
        `${CONFIG_LIMITS.maxDepth} levels; a config needs 3`,
    );
  }
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    // The YAML 1.2 core schema and nothing else: no !!js/…, !!binary, !!set or custom tags.
    schema: "core",
    customTags: [],
    resolveKnownTags: false,
    merge: false,
    uniqueKeys: false, // the yaml package's check is quadratic: shapeProblem checks instead
    stringKeys: true,
    prettyErrors: false,
    logLevel: "silent",
  });
  const at = (offset: number) => `${shown}:${position(text, offset)}`;
  if (docs.length > 1) {
    throw new UserError(
      `${at(docs[1].range[0])}: invalid YAML: more than one document (---); keep one per file`,
    );
  }
  const doc = docs[0];
  const problems = doc ? [...doc.errors, ...doc.warnings] : [];
  if (problems.length > 0) {
    const first = problems[0];
    throw new UserError(`${at(first.pos[0])}: invalid YAML: ${yamlReason(first)}`);
  }
  if (!doc || doc.contents === null) {
    throw new UserError(
      `${shown}: the config is empty; write the settings to change (\`extends: base.yaml\` to ` +
        `start from the shared settings, or \`{}\` for the built-in defaults)`,
    );
  }
  if (!isMap(doc.contents)) {
    const kind = isSeq(doc.contents)
      ? "a list"
      : isScalar(doc.contents)
      ? "a single value"
      : "not a mapping";
    throw new UserError(
      `${shown}: a config must be a mapping of keys (like "model: {latentDim: 2}"), got ${kind}`,
    );
  }
  const problem = shapeProblem(doc.contents);
  if (problem) throw new UserError(`${at(problem.offset)}: ${problem.message}`);
  return { path, text, doc, lines };
}

/**
 * A quick scan, before the YAML parser sees the text, for flow collections (`[[[…`, `{a: {…`)
 * or compact block lists (`- - - …`) nested past `max`: the parser takes seconds on a
 * megabyte of them. Quoted scalars and comments are skipped; the exact depth is checked on
 * the parsed document. Returns the offset where the nesting passes `max`, or null.
 */
function deepNesting(text: string, max: number): number | null {
  let flow = 0;
  let prev = "\n"; // the last character that is not a space or tab
  let dashes = 0; // "- " indicators since the start of the line, for compact nested lists
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      prev = c;
      dashes = 0;
      continue;
    }
    if (c === " " || c === "\t") continue;
    const startsToken = "\n:[{,-?".includes(prev);
    if (c === "#" && (i === 0 || " \t\n".includes(text[i - 1]))) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
      continue;
    }
    if ((c === '"' || c === "'") && startsToken) {
      i = closingQuote(text, i);
      prev = c;
      continue;
    }
    if (c === "[" || c === "{") flow++;
    if (c === "]" || c === "}") flow = Math.max(0, flow - 1);
    if (c === "-" && (prev === "\n" || prev === "-") && " \t\n".includes(text[i + 1] ?? "\n")) {
      dashes++;
    }
    if (flow > max || dashes > max) return i;
    prev = c;
  }
  return null;
}

/** The offset of the quote that closes the quoted scalar opened at `start` (or the end). */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** A yaml error or warning as a short reason: no source excerpt, no multi-line context. */
function yamlReason(error: { code: string; message: string }): string {
  if (error.code === "TAG_RESOLVE_FAILED") {
    return "tags (!!js/…, !!binary, !foo) are not allowed; write a plain value";
  }
  if (error.code === "RESOURCE_EXHAUSTION") {
    return `nests too deeply (more than ${CONFIG_LIMITS.maxDepth} levels are refused)`;
  }
  const message = error.message.split("\n")[0].replace(/:$/, "");
  return message.length > 120 ? message.slice(0, 120) + "…" : message;
}

/**
 * Walk the parsed YAML (aliases not followed) for what the schema cannot see: too many
 * nodes, nesting deeper than CONFIG_LIMITS.maxDepth, duplicate keys, and `__proto__` keys,
 * which would reach object prototypes. Iterative, so no input can exhaust the stack.
 */
function shapeProblem(root: Node): { offset: number; message: string } | null {
  const stack: [Node, number][] = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++nodes > CONFIG_LIMITS.maxNodes) {
      return {
        offset: node.range?.[0] ?? 0,
        message: `holds more than ${formatCount(CONFIG_LIMITS.maxNodes)} values; ` +
          `a config needs a few dozen (is this the right file?)`,
      };
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > CONFIG_LIMITS.maxDepth) {
      return {
        offset: node.range?.[0] ?? 0,
        message: `invalid YAML: nests deeper than ${CONFIG_LIMITS.maxDepth} levels; a config ` +
          `needs 3`,
      };
    }
    const keys = new Set<unknown>();
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item = node.items[i];
      if (!isMap(node)) {
        stack.push([item as Node, depth + 1]);
        continue;
      }
      // deno-lint-ignore no-explicit-any
      const pair = item as any;
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (key === "__proto__") {
        return { offset: pair.key.range?.[0] ?? 0, message: "unknown key __proto__: remove it" };
      }
      if (pair.value) stack.push([pair.value, depth + 1]);
      if (key === undefined) continue;
      if (keys.has(key)) {
        // Report the later of the two, as the parser would: walk back to its position.
        const later = node.items.findLast((p) => isScalar(p.key) && p.key.value === key);
        return {
          // deno-lint-ignore no-explicit-any
          offset: (later?.key as any)?.range?.[0] ?? 0,
          message: `invalid YAML: duplicate key ${excerpt(String(key), 40)}; keep one`,
        };
      }
      keys.add(key);
    }
  }
  return null;
}

/** The document as plain JS, with the alias-expansion guard turned into one located line. */
function toPlain(file: ConfigFile): Record<string, unknown> {
  try {
    return file.doc.toJS({ maxAliasCount: CONFIG_LIMITS.maxAliasCount }) as Record<
      string,
      unknown
    >;
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof RangeError)) throw error;
    throw new UserError(
      `${showPath(file.path)}:${position(file.text, firstAlias(file.doc) ?? 0)}: invalid YAML: ` +
        `aliases expand too much (over ${CONFIG_LIMITS.maxAliasCount}); write the values out`,
    );
  }
}

function firstAlias(doc: Document): number | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) return node.range?.[0];
    // Pushed last to first, so the first alias in the file is found first.
    const items = isMap(node) ? node.items.map((p) => p.value) : isSeq(node) ? node.items : [];
    for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
  }
  return undefined;
}

/** "line:col" (1-based) of an offset in `text`. */
function position(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return `${line}:${offset - start + 1}`;
}

/** Config keys that hold file paths: relative ones are relative to the file that sets them. */
export const PATH_KEYS: Path[] = [
  ["data", "idx", "trainImages"],
  ["data", "idx", "trainLabels"],
  ["data", "idx", "testImages"],
  ["data", "idx", "testLabels"],
  ["data", "csv", "path"],
];

export function resolvePaths(
  values: Record<string, unknown>,
  dir: string,
): Record<string, unknown> {
  const out = structuredClone(values);
  for (const path of PATH_KEYS) {
    const parent = valueAt(out, path.slice(0, -1));
    const last = path.at(-1)!;
    if (isPlainObject(parent) && typeof parent[last] === "string") {
      // A NUL byte would make resolve() and later Deno calls throw: the schema reports it.
      const value = parent[last] as string;
      if (!value.includes("\0")) parent[last] = resolve(dir, value);
    }
  }
  return out;
}

/** Objects merge key by key; anything else (lists included) is replaced by the child's value. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = Object.hasOwn(out, key) ? out[key] : undefined;
    const merged = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
    // defineProperty, not assignment: a key named __proto__ stays a key (and is rejected).
    Object.defineProperty(out, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Turn a zod issue into "file:line: path must be …, got …" with a fix where one is known. */
/**
 * The issue to report: the first, except that zod's own safe-integer range check on
 * `z.int()` (±9007199254740991) gives way to the schema's bound on the same key, so
 * `seed: 9007199254740993` says "must be ≤ 2147483647", the limit that really applies.
 */
function firstIssue(issues: z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0];
  if (!isSafeIntegerCheck(first)) return first;
  const samePath = (issue: z.core.$ZodIssue) =>
    issue.path.length === first.path.length && issue.path.every((k, i) => k === first.path[i]);
  return issues.find((issue) => issue !== first && samePath(issue) && !isSafeIntegerCheck(issue)) ??
    first;
}

function isSafeIntegerCheck(issue: z.core.$ZodIssue): boolean {
  if (issue.code !== "too_big" && issue.code !== "too_small") return false;
  const bound = Number(issue.code === "too_big" ? issue.maximum : issue.minimum);
  return issue.origin === "int" && Math.abs(bound) === Number.MAX_SAFE_INTEGER;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  chain: ConfigFile[],
  where: (path: Path) => string,
): string {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const path = [...issue.path, key] as Path;
    const valid = validKeysAt(issue.path as Path);
    const guess = key.length <= 100 ? closestWord(key, valid) : undefined;
    const fix = guess ? `did you mean "${guess}"?` : `valid keys here: ${valid.join(", ")}`;
    return `${where(path)}: unknown key ${dotted(path)}: ${fix}`;
  }
  const path = issue.path as Path;
  const got = valueAt(raw, path);
  return `${where(path)}: ${dotted(path)} ${expectation(issue, got)}, got ${
    shownAt(chain, path, got)
  }`;
}

/**
 * A value for a message: JSON, or the YAML source for what JSON cannot show (.nan, 1e400)
 * or shows wrong (9007199254740993, which parses to the nearest double, …992).
 */
function shownAt(chain: ConfigFile[], path: Path, got: unknown): string {
  if (
    typeof got === "number" && (!Number.isFinite(got) || Math.abs(got) > Number.MAX_SAFE_INTEGER)
  ) {
    for (let i = chain.length - 1; i >= 0; i--) {
      if (!chain[i].doc.hasIn(path)) continue;
      // deno-lint-ignore no-explicit-any
      const range = (chain[i].doc.getIn(path, true) as any)?.range;
      if (range) return excerpt(chain[i].text.slice(range[0], range[1]).trim(), 40).slice(1, -1);
    }
    return String(got);
  }
  return shownValue(got);
}

function shownValue(got: unknown): string {
  return got === undefined ? "nothing" : excerpt(got);
}

function expectation(issue: z.core.$ZodIssue, got: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (typeof got === "number" && !Number.isFinite(got)) {
        return `must be a finite ${issue.expected === "int" ? "integer" : "number"}`;
      }
      return `must be ${article(issue.expected)}`;
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const op = issue.code === "too_small"
        ? (issue.inclusive ? "≥" : ">")
        : (issue.inclusive ? "≤" : "<");
      if (issue.origin === "array") return `must have ${op} ${bound} items`;
      if (issue.origin === "string") return `must have ${op} ${bound} characters`;
      return `must be ${op} ${bound}`;
    }
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v));
      const guess = typeof got === "string" && got.length <= 100
        ? closestWord(got, issue.values.map(String))
        : undefined;
      const hint = guess ? ` (did you mean "${guess}"?)` : "";
      return `must be one of ${options.join(" | ")}${hint}`;
    }
    case "invalid_union":
      return "must be one of the allowed values (see stages/config_schema.ts)";
    case "invalid_format":
      return `must match ${"pattern" in issue ? String(issue.pattern) : issue.format}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  const words: Record<string, string> = {
    int: "an integer",
    number: "a number",
    string: "a string",
    object: "a mapping",
    array: "a list",
    boolean: "true or false",
  };
  return words[expected] ?? `a ${expected}`;
}

/** The keys the schema allows at a path, for "did you mean" hints. */
function validKeysAt(path: Path): string[] {
  // deno-lint-ignore no-explicit-any
  let schema: any = configSchema;
  for (const step of [...path, null]) {
    while (
      ["default", "prefault", "optional", "nullable", "pipe"].includes(schema._zod.def.type)
    ) {
      schema = schema._zod.def.innerType ?? schema._zod.def.in;
    }
    if (step === null) break;
    schema = schema._zod.def.shape?.[step] ?? schema._zod.def.element;
    if (!schema) return [];
  }
  return Object.keys(schema._zod.def.shape ?? {});
}

/** "file:line" of the last file in the chain that sets `path` (or its nearest set parent). */
function locate(chain: ConfigFile[], path: Path): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    for (let i = chain.length - 1; i >= 0; i--) {
      if (depth === 0 || chain[i].doc.hasIn(prefix)) return where(chain[i], prefix);
    }
  }
  return showPath(chain.at(-1)!.path);
}

function where(file: ConfigFile, path: Path): string {
  // deno-lint-ignore no-explicit-any
  const node: any = path.length ? file.doc.getIn(path, true) : undefined;
  const pair = path.length ? keyNode(file, path) : undefined;
  const offset = pair?.range?.[0] ?? node?.range?.[0];
  if (offset === undefined) return showPath(file.path);
  return `${showPath(file.path)}:${file.lines.linePos(offset).line}`;
}

/** The YAML node of the key itself, so the line points at `batchSize:` rather than its value. */
function keyNode(file: ConfigFile, path: Path) {
  const parent = path.length > 1 ? file.doc.getIn(path.slice(0, -1), true) : file.doc.contents;
  if (!isMap(parent)) return undefined;
  // deno-lint-ignore no-explicit-any
  const pair = parent.items.find((item: any) => item.key?.value === path.at(-1));
  // deno-lint-ignore no-explicit-any
  return pair?.key as any;
}

/** The value at a YAML path of a plain object (own keys only), or undefined. */
export function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const step of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

/** "model.hidden[1]"; a long or odd key is shown as a short escaped excerpt. */
export function dotted(path: Path): string {
  return path.map((p, i) => {
    if (typeof p === "number") return `[${p}]`;
    const key = /^[A-Za-z0-9_-]{1,40}$/.test(p) ? p : excerpt(p, 40);
    return i ? `.${key}` : key;
  }).join("");
}
