import { basename, dirname, extname, relative, resolve } from "node:path";
import { type Document, isMap, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { configSchema, type ResolvedConfig } from "./config_schema.ts";
import { UserError } from "./errors.ts";
import { closestWord } from "./did_you_mean.ts";

export type { ResolvedConfig } from "./config_schema.ts";

/** One YAML file of an `extends` chain, kept so errors can point at the line that set a value. */
interface ConfigFile {
  path: string;
  doc: Document;
  lines: LineCounter;
}

type Path = (string | number)[];

/**
 * Read a YAML config, follow its `extends:` chain, overlay it on the typed defaults and
 * validate it. Every failure is a UserError of one line: file, line, YAML path, value, fix.
 */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  const chain: ConfigFile[] = [];
  const raw = await readChain(resolve(path), chain);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(describeIssue(parsed.error.issues[0], raw, chain));
  const name = parsed.data.name ?? basename(path, extname(path));
  return { ...parsed.data, name };
}

/** Load `path` and its ancestors (root first into `chain`), returning the merged plain object. */
async function readChain(
  path: string,
  chain: ConfigFile[],
  seen: string[] = [],
): Promise<Record<string, unknown>> {
  if (seen.includes(path)) {
    const cycle = [...seen, path].map(display).join(" → ");
    throw new UserError(
      `${display(seen.at(-1)!)}: extends forms a cycle: ${cycle}; remove one link`,
    );
  }
  const file = await readYaml(path, seen.at(-1));
  const own = (file.doc.toJS() ?? {}) as Record<string, unknown>;
  const { extends: parentRef, ...values } = resolvePaths(own, dirname(path));
  let base: Record<string, unknown> = {};
  if (parentRef !== undefined) {
    if (typeof parentRef !== "string") {
      throw new UserError(
        `${where(file, ["extends"])}: extends must be a path to another config, got ${
          JSON.stringify(parentRef)
        }`,
      );
    }
    base = await readChain(resolve(dirname(path), parentRef), chain, [...seen, path]);
  }
  chain.push(file);
  return deepMerge(base, values);
}

async function readYaml(path: string, referrer?: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const via = referrer ? ` (extended by ${display(referrer)})` : "";
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new UserError(`${display(path)}${via}: cannot read config: ${reason}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const { line, col } = lines.linePos(first.pos[0]);
    const message = first.message.split("\n")[0].replace(/:$/, "");
    throw new UserError(`${display(path)}:${line}:${col}: invalid YAML: ${message}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new UserError(
      `${display(path)}: a config must be a mapping of keys (like "model: {latentDim: 2}"), got ${
        JSON.stringify(doc.toJS())
      }`,
    );
  }
  return { path, doc, lines };
}

/** Config keys that hold file paths: relative ones are relative to the file that sets them. */
const PATH_KEYS: Path[] = [
  ["data", "idx", "trainImages"],
  ["data", "idx", "trainLabels"],
  ["data", "idx", "testImages"],
  ["data", "idx", "testLabels"],
  ["data", "csv", "path"],
];

function resolvePaths(values: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out = structuredClone(values);
  for (const path of PATH_KEYS) {
    const parent = valueAt(out, path.slice(0, -1));
    const last = path.at(-1)!;
    if (isPlainObject(parent) && typeof parent[last] === "string") {
      parent[last] = resolve(dir, parent[last] as string);
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
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Turn a zod issue into "file:line: path must be …, got …" with a fix where one is known. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown, chain: ConfigFile[]): string {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const path = [...issue.path, key] as Path;
    const valid = validKeysAt(issue.path as Path);
    const guess = closestWord(key, valid);
    const fix = guess ? `did you mean "${guess}"?` : `valid keys here: ${valid.join(", ")}`;
    return `${locate(chain, path)}: unknown key ${dotted(path)}: ${fix}`;
  }
  const path = issue.path as Path;
  const got = valueAt(raw, path);
  const shown = got === undefined ? "nothing" : JSON.stringify(got);
  return `${locate(chain, path)}: ${dotted(path)} ${expectation(issue, got)}, got ${shown}`;
}

function expectation(issue: z.core.$ZodIssue, got: unknown): string {
  switch (issue.code) {
    case "invalid_type":
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
      const guess = typeof got === "string"
        ? closestWord(got, issue.values.map(String))
        : undefined;
      const hint = guess ? ` (did you mean "${guess}"?)` : "";
      return `must be one of ${options.join(" | ")}${hint}`;
    }
    case "invalid_union":
      return "must be one of the allowed values (see pipeline/config_schema.ts)";
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
    while (["default", "prefault", "optional", "nullable"].includes(schema._zod.def.type)) {
      schema = schema._zod.def.innerType;
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
  return display(chain.at(-1)!.path);
}

function where(file: ConfigFile, path: Path): string {
  // deno-lint-ignore no-explicit-any
  const node: any = path.length ? file.doc.getIn(path, true) : undefined;
  const pair = path.length ? keyNode(file, path) : undefined;
  const offset = pair?.range?.[0] ?? node?.range?.[0];
  if (offset === undefined) return display(file.path);
  return `${display(file.path)}:${file.lines.linePos(offset).line}`;
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

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const step of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

function dotted(path: Path): string {
  return path.map((p, i) => typeof p === "number" ? `[${p}]` : i ? `.${p}` : p).join("");
}

/** Paths relative to the working directory read best in one-line errors. */
function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}
