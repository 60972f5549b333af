/**
 * The few assertions the tests need, on top of node:assert/strict (JSR's @std/assert is
 * not reachable from these machines). Messages say what was expected.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { listFiles } from "./folders.ts";
import { sha256 } from "./hash.ts";

export const assertEquals = <T>(actual: T, expected: T, message?: string): void =>
  assert.deepStrictEqual(actual, expected, message);

export const assertNotEquals = <T>(actual: T, expected: T, message?: string): void =>
  assert.notDeepStrictEqual(actual, expected, message);

export function assert_(condition: unknown, message = "assertion failed"): asserts condition {
  assert.ok(condition, message);
}

/** |actual − expected| ≤ tolerance, elementwise for arrays. */
export function assertClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tolerance: number,
  message = "",
): void {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${message} length ${a.length} ≠ ${e.length}`);
  a.forEach((value, i) => {
    const ok = Math.abs(value - e[i]) <= tolerance;
    assert.ok(ok, `${message} [${i}]: ${value} is not within ${tolerance} of ${e[i]}`);
  });
}

/** `fn` throws, and its message contains `includes` (when given). Returns the error. */
export function assertThrows(fn: () => unknown, includes?: string): Error {
  try {
    fn();
  } catch (error) {
    if (includes) assertIncludes((error as Error).message, includes);
    return error as Error;
  }
  throw new assert.AssertionError({ message: "expected a throw, got none" });
}

/** The promise rejects, and its message contains `includes` (when given). */
export async function assertRejects(fn: () => Promise<unknown>, includes?: string): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (includes) assertIncludes((error as Error).message, includes);
    return error as Error;
  }
  throw new assert.AssertionError({ message: "expected a rejection, got none" });
}

export function assertIncludes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** Two folders hold the same files, byte for byte (compared by sha256, each file named). */
export async function assertSameFiles(a: string, b: string): Promise<void> {
  const files = await listFiles(a);
  assertEquals(await listFiles(b), files);
  for (const file of files) {
    const [x, y] = await Promise.all([a, b].map((dir) => Deno.readFile(join(dir, file))));
    assertEquals(sha256(x), sha256(y), file);
  }
}
