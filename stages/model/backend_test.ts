import * as tf from "@tensorflow/tfjs-core";
import { assertEquals } from "../../pipeline/test_assert.ts";
import { initBackend, runtimeVersions } from "./backend.ts";

Deno.test("initBackend switches backends, idempotently, and runtimeVersions reports them", async () => {
  for (const name of ["cpu", "cpu", "wasm", "wasm"] as const) {
    await initBackend(name);
    assertEquals(tf.getBackend(), name);
    assertEquals(runtimeVersions(), { tfjs: "4.22.0", backend: name });
  }
});

Deno.test("gradients are registered (tfjs-core alone registers none)", async () => {
  await initBackend("wasm");
  const grad = tf.tidy(() =>
    Array.from(tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2])).dataSync())
  );
  assertEquals(grad, [2, -4]);
});
