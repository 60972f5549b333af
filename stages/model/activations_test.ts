import * as tf from "@tensorflow/tfjs-core";
import { assertClose } from "../../pipeline/test_assert.ts";
import { ACTIVATIONS, tanh } from "./activations.ts";
import { type BackendName, initBackend } from "./backend.ts";

const XS = [-30, -4, -1.5, -0.3, -1e-3, 0, 1e-3, 0.3, 1.5, 4, 30];

for (const backend of ["wasm", "cpu"] as BackendName[]) {
  Deno.test(`tanh equals Math.tanh, and its gradient 1 − tanh² (${backend})`, async () => {
    await initBackend(backend);
    const [y, dy] = tf.tidy(() => {
      const x = tf.tensor2d(XS, [1, XS.length]);
      const grad = tf.grad((t) => tf.sum(tanh(t as tf.Tensor2D)))(x);
      return [Array.from(tanh(x).dataSync()), Array.from(grad.dataSync())];
    });
    assertClose(y, XS.map(Math.tanh), 3e-7);
    assertClose(dy, XS.map((v) => 1 - Math.tanh(v) ** 2), 1e-6);
  });
}

Deno.test("every configured activation maps [batch, n] to [batch, n]", async () => {
  await initBackend("wasm");
  for (const [name, f] of Object.entries(ACTIVATIONS)) {
    const shape = tf.tidy(() => f(tf.zeros([2, 3])).shape);
    assertClose(shape, [2, 3], 0, name);
  }
});
