/**
 * Hashing: canonical JSON and sha256 of values and of files, from which keys and file records
 * are made.
 */
import { createHash } from "node:crypto";
import { readRegularFile } from "./folders.ts";

/**
 * JSON with object keys sorted at every depth, so two equal values always
 * serialize to the same bytes. `undefined` members are dropped (as JSON does);
 * non-finite numbers are rejected because JSON would silently turn them into null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, "$"));
}

function sortKeys(value: unknown, path: string): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new Error(`canonicalJson: ${path} is ${value}, which JSON cannot represent`);
  }
  if (Array.isArray(value)) return value.map((v, i) => sortKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortKeys(member, `${path}.${key}`);
  }
  return out;
}

/** Hex sha256 of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex sha256 of the canonical JSON of a value: the content key of anything we hash. */
export function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

/**
 * Hex sha256 and size of a file, streamed so large tensors are not held twice. With
 * `regularOnly` (anything in the store or a report folder), a symlink or a special file
 * (a FIFO, /dev/zero) is refused with NotRegularFileError, never opened or followed;
 * `label` names the file in that error.
 */
export async function hashFile(
  path: string,
  options: { regularOnly?: boolean; label?: string } = {},
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  if (options.regularOnly) {
    const size = await readRegularFile(path, (chunk) => hash.update(chunk), options);
    return { sha256: hash.digest("hex"), size };
  }
  let size = 0;
  // Consuming `readable` to the end closes the file for us.
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest("hex"), size };
}
