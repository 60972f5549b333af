import { join } from "node:path";
import {
  excerpt,
  formatSize,
  hashBoundedFile,
  readBoundedFile,
  showPath,
  statRegularFile,
} from "./bounded_read.ts";
import { configSchema } from "../stages/registry.ts";
import { UserError } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { planStages } from "./plan.ts";
import type { RunEnv } from "./runner.ts";
import type { StageSpec } from "./stage.ts";
import { assert_, assertEquals, assertIncludes } from "./test_assert.ts";

const OPTS = { maxBytes: 1024, what: "data file", yamlPath: "data.csv.path" };

/** `fn` fails within 3 s with a one-line UserError; returns the message. */
async function oneLine(fn: () => Promise<unknown>): Promise<string> {
  const started = performance.now();
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert_(error instanceof UserError, `expected a UserError, got ${String(error)}`);
  assert_(!error.message.includes("\n"), error.message);
  assert_(performance.now() - started < 3000, "took over 3 s");
  return error.message;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bounded-read-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readBoundedFile and hashBoundedFile read a regular file whole", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "x.bin");
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    await Deno.writeFile(path, bytes);
    assertEquals(Array.from(await readBoundedFile(path, OPTS)), Array.from(bytes));
    assertEquals(await hashBoundedFile(path, OPTS), { sha256: sha256(bytes), size: 1000 });
    await Deno.writeFile(path, new Uint8Array());
    assertEquals((await readBoundedFile(path, OPTS)).length, 0);
  });
});

Deno.test("devices, a directory, a FIFO, a NUL byte and a missing file are one line each", async () => {
  await withDir(async (dir) => {
    const cases: [string, string][] = [
      ["/dev/zero", "/dev/zero: is a character device, not a file (data.csv.path)"],
      ["/dev/urandom", "/dev/urandom: is a character device, not a file (data.csv.path)"],
      [dir, "is a directory, not a file (data.csv.path); point data.csv.path at a regular file"],
      [join(dir, "a\0b.csv"), 'a\\u0000b.csv": the path contains a NUL byte (data.csv.path)'],
      [join(dir, "missing.csv"), "missing.csv: file not found (data.csv.path)"],
    ];
    const fifo = join(dir, "pipe.csv");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
    if (made?.success) cases.push([fifo, "pipe.csv: is a FIFO (named pipe), not a file"]);
    for (const [path, says] of cases) {
      for (const read of [readBoundedFile, hashBoundedFile]) {
        assertIncludes(await oneLine(() => read(path, OPTS)), says);
      }
    }
  });
});

Deno.test("a file over the limit is refused by its size before it is read", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "big.csv");
    await Deno.writeFile(path, new Uint8Array(2048));
    const message = await oneLine(() => readBoundedFile(path, OPTS));
    assertIncludes(message, "big.csv: is 2 KiB, over the 1 KiB limit for a data file");
    assertIncludes(await oneLine(() => hashBoundedFile(path, OPTS)), "over the 1 KiB limit");
    assertIncludes(await oneLine(() => statRegularFile(path, OPTS)), "over the 1 KiB limit");
  });
});

// The bytes are counted as they are read, not trusted from stat: a /proc file (stat size 0)
// shows it deterministically, and the same counter stops a file that grows while read.
Deno.test("a file whose stat size is 0 but that holds more (/proc) stops at the limit", async () => {
  const info = await Deno.stat("/proc/self/maps").catch(() => null);
  if (!info || info.size !== 0) {
    console.log("skipped: no /proc/self/maps with stat size 0 here");
    return;
  }
  const opts = { maxBytes: 64, what: "config" };
  const message = await oneLine(() => readBoundedFile("/proc/self/maps", opts));
  assertIncludes(message, "/proc/self/maps: holds more than the 64 bytes limit for a config");
  // Within the limit it is read whole.
  assert_((await readBoundedFile("/proc/self/maps", { ...opts, maxBytes: 1 << 24 })).length > 64);
});

Deno.test("excerpt and showPath escape bidi overrides, isolates and zero-width characters", () => {
  const hidden = ["\u200b", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff"];
  for (const c of hidden) {
    const code = `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    assertEquals(excerpt(`a${c}b`), `"a${code}b"`);
    assertEquals(excerpt({ v: `a${c}b` }), `{"v":"a${code}b"}`);
    assertEquals(showPath(`/data/x${c}.csv`), `"/data/x${code}.csv"`);
  }
  // "exe.csv" reversed on a terminal: the override must not reach it raw.
  const spoof = excerpt("report\u202Evsc.exe");
  assertEquals(spoof, '"report\\u202evsc.exe"');
  assert_(!/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(spoof), spoof);
  // Ordinary non-ASCII text is left alone.
  assertEquals(excerpt("é–ü"), '"é–ü"');
});

Deno.test("excerpt escapes and shortens; showPath keeps ordinary paths", () => {
  assertEquals(excerpt("abc"), '"abc"');
  assertEquals(excerpt("a\nb\u0000c\u2028"), '"a\\nb\\u0000c\\u2028"');
  assertEquals(excerpt("x".repeat(100), 10), `"${"x".repeat(10)}…"`);
  assertEquals(excerpt([1, 2, 3]), "[1,2,3]");
  assert_(excerpt({ a: "y".repeat(500) }).length <= 62);
  assertEquals(showPath("/abs/path.csv"), "/abs/path.csv");
  assertEquals(showPath(join(Deno.cwd(), "configs", "vae.yaml")), join("configs", "vae.yaml"));
  assertEquals(showPath("/a\nb"), '"/a\\nb"');
  assert_(showPath("/" + "d/".repeat(500)).length < 130);
  assertEquals(formatSize(1536), "1.5 KiB");
  assertEquals(formatSize(8 * 1024 ** 3), "8 GiB");
});

/** A one-stage table whose stage reads `path` as data.csv.path. */
function readingStage(path: string): StageSpec[] {
  return [{
    name: "prepare",
    module: new URL("./bounded_read.ts", import.meta.url),
    after: [],
    params: () => ({}),
    externalFiles: () => [{ path, yamlPath: "data.csv.path" }],
    load: () => Promise.reject(new Error("never run")),
  }];
}

Deno.test("hashExternalFiles: /dev/zero, /dev/urandom or a missing data file fail fast, naming the config", async () => {
  const config = { ...configSchema.parse({}), name: "t" };
  const env = { configPath: "configs/t.yaml" } as RunEnv; // hashing fails before anything else
  for (const path of ["/dev/zero", "/dev/urandom", "/nonexistent/data.csv"]) {
    const message = await oneLine(() => planStages(config, readingStage(path), env));
    assertIncludes(message, `${path}: `);
    assertIncludes(message, "(data.csv.path in configs/t.yaml)");
  }
});
