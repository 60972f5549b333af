import assert from "node:assert/strict";
import { settleAll } from "./settle_all.ts";

Deno.test("settleAll keeps the order, and fails with the first error only after all finish", async () => {
  const later = (value: number, ms: number) =>
    new Promise<number>((resolve) => setTimeout(() => resolve(value), ms));
  assert.deepEqual(await settleAll([later(1, 20), later(2, 0), Promise.resolve(3)]), [1, 2, 3]);
  let finished = false;
  const slow = later(0, 30).then(() => (finished = true));
  const failing = Promise.reject(new Error("first"));
  const alsoFailing = later(0, 10).then(() => Promise.reject(new Error("second")));
  await assert.rejects(settleAll<unknown>([slow, failing, alsoFailing]), /first/);
  assert.ok(finished, "settleAll failed before every promise had finished");
});
