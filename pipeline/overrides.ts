/**
 * Command-line overrides in the grammar researchers know from Hydra: `train.epochs=5` sets one
 * key of every config named, `loss.beta=1,2,4` sweeps it (one run per value). A value is YAML
 * (`4`, `true`, `separate-l2`, `[512, 256]`, `"a,b"`); commas inside brackets or quotes do not
 * split it. Keys are checked against the schema when the config is resolved, with the same
 * "did you mean" as a YAML key.
 */
import { parse } from "yaml";
import { excerpt } from "./bounded_read.ts";
import type { ConfigPatch } from "./config.ts";
import { UserError } from "./errors.ts";

/** One `key.path=value[,value…]` word of the command line. */
export interface Override {
  /** The word as given, for names, manifests and messages. */
  text: string;
  /** The YAML path it sets: `["loss", "beta"]`. */
  path: string[];
  /** One value, or several for a sweep over them, in the order given. */
  values: unknown[];
}

/** A dotted YAML path of identifiers: `seed`, `loss.beta`, `data.limit.train`. */
export const KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** At most this many values in one override: a sweep of more is a typo or a script's job. */
export const MAX_OVERRIDE_VALUES = 100;

/**
 * Whether a command-line word is an override (`a.b=…`), not a config file (which may hold an
 * `=`, but ends in .yaml or .yml: no config key takes a YAML file) or a stage.
 */
export function isOverride(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.]*=/.test(word) && !/\.ya?ml$/i.test(word);
}

/** Parse one override word; a one-line UserError saying what is wrong and the fix. */
export function parseOverride(text: string): Override {
  const at = text.indexOf("=");
  const key = text.slice(0, at), valueText = text.slice(at + 1);
  const said = `command line: ${excerpt(text, 80)}`;
  if (!KEY_PATH.test(key)) {
    throw new UserError(`${said}: ${excerpt(key, 60)} is not a YAML path like loss.beta`);
  }
  const parts = splitTopLevel(valueText);
  if (parts.some((part) => part.trim() === "")) {
    throw new UserError(
      `${said}: a value is missing (write ${key}=<value>, or ${key}=<a>,<b> for a sweep)`,
    );
  }
  if (parts.length > MAX_OVERRIDE_VALUES) {
    throw new UserError(
      `${said}: ${parts.length} values; at most ${MAX_OVERRIDE_VALUES} in one override`,
    );
  }
  const values = parts.map((part) => parseValue(part, said));
  const distinct = new Set(values.map((value) => JSON.stringify(value)));
  if (distinct.size < values.length) throw new UserError(`${said}: a value is listed twice`);
  return { text, path: key.split("."), values };
}

/** The override's single value as a patch; only call when it has one value. */
export function overridePatch(override: Override, value = override.values[0]): ConfigPatch {
  return { path: override.path, value, origin: `command line: ${excerpt(override.text, 80)}` };
}

/** `key=value` for one value of an override, as it is recorded and shown. */
export function overrideText(override: Override, value: unknown): string {
  if (override.values.length === 1) return override.text;
  return `${override.path.join(".")}=${valueText(value)}`;
}

/** A value as a command line writes it: YAML flow, on one line. */
export function valueText(value: unknown): string {
  if (typeof value === "string") {
    return /^[A-Za-z0-9._+-]+$/.test(value) ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** Split on commas that are not inside brackets, braces or quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0, quote = "", start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** One value as YAML, with the config loader's rules: the core schema, no tags, no aliases. */
function parseValue(text: string, said: string): unknown {
  try {
    const value = parse(text, { schema: "core", customTags: [], merge: false, maxAliasCount: 0 });
    if (value === undefined) throw new Error("no value");
    return value;
  } catch (error) {
    const reason = String((error as Error).message).split("\n")[0].slice(0, 80);
    throw new UserError(
      `${said}: ${excerpt(text.trim(), 40)} is not a YAML value (${reason}); quote strings ` +
        `with commas, write lists as [a, b]`,
    );
  }
}
