import { assert_, assertClose, assertEquals } from "../../pipeline/test_assert.ts";
import { simdKernels } from "./simd_kernels.ts";
import { assembleKernels } from "./simd_kernels_build.ts";
import { SIMD_KERNELS_WASM_BASE64 } from "./simd_kernels_wasm.ts";

Deno.test("the committed kernel bytes are simd_kernels.wat's (run `deno task kernels`)", async () => {
  const committed = Uint8Array.from(atob(SIMD_KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
  assertEquals(Array.from(committed), Array.from(await assembleKernels()));
});

/** A memory with float32 arrays laid out one after another; pointers are byte offsets. */
function arena(...lengths: number[]) {
  const total = lengths.reduce((s, n) => s + n, 0);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((total * 4) / 65536) + 1 });
  let at = 0;
  const arrays = lengths.map((n) => {
    const a = new Float32Array(memory.buffer, at * 4, n);
    at += n;
    return a;
  });
  return { kernels: simdKernels(memory), arrays, ptr: (a: Float32Array) => a.byteOffset };
}

/** Logits across the whole range, extremes included, and grey-level targets. */
function logitsAndTargets(rows: number, cols: number) {
  const l = Float64Array.from({ length: rows * cols }, (_, i) => {
    const u = (i * 0.6180339887) % 1;
    return i % 97 === 0 ? [-200, -90, 0, 90, 200][i % 5] : (u - 0.5) * 60;
  });
  const x = Float64Array.from({ length: rows * cols }, (_, i) => ((i * 0.4142135) % 1));
  return { l, x };
}

const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

Deno.test("bernoulli_nll_rows: Σ softplus(l) − x·l per row, to float32 rounding, any logit", () => {
  const [rows, cols] = [7, 784];
  const { kernels, arrays: [l, x, out], ptr } = arena(rows * cols, rows * cols, rows);
  const data = logitsAndTargets(rows, cols);
  l.set(data.l);
  x.set(data.x);
  kernels.bernoulli_nll_rows(ptr(l), ptr(x), ptr(out), rows, cols, 1);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = r * cols; j < (r + 1) * cols; j++) sum += softplus(l[j]) - x[j] * l[j];
    // Float32 terms summed in float32: the error grows with the row's size, not its value.
    assertClose([out[r]], [sum], 2e-6 * cols * 30, `row ${r}`);
    assert_(Number.isFinite(out[r]), `row ${r} is finite`);
  }
});

Deno.test("bernoulli_nll_rows with repeat: each image scored against its run of rows", () => {
  const [images, repeat, cols] = [3, 4, 8];
  const rows = images * repeat;
  const { kernels, arrays: [l, x, out], ptr } = arena(rows * cols, images * cols, rows);
  const data = logitsAndTargets(rows, cols);
  l.set(data.l);
  x.set(data.x.subarray(0, images * cols));
  kernels.bernoulli_nll_rows(ptr(l), ptr(x), ptr(out), rows, cols, repeat);
  const expected = Array.from({ length: rows }, (_, r) => {
    const image = Math.floor(r / repeat);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      sum += softplus(l[r * cols + j]) - x[image * cols + j] * l[r * cols + j];
    }
    return sum;
  });
  assertClose(Array.from(out), expected, 1e-4);
});

Deno.test("bernoulli_recon_rows: the likelihood as bernoulli_nll_rows, and Σ (x − σ(l))²", () => {
  const [rows, cols] = [5, 64];
  const n = rows * cols;
  const { kernels, arrays: [l, x, nll, mse, alone], ptr } = arena(n, n, rows, rows, rows);
  const data = logitsAndTargets(rows, cols);
  l.set(data.l);
  x.set(data.x);
  kernels.bernoulli_recon_rows(ptr(l), ptr(x), ptr(nll), ptr(mse), rows, cols);
  kernels.bernoulli_nll_rows(ptr(l), ptr(x), ptr(alone), rows, cols, 1);
  assertEquals(Array.from(nll), Array.from(alone));
  const expected = Array.from({ length: rows }, (_, r) => {
    let sum = 0;
    for (let j = r * cols; j < (r + 1) * cols; j++) sum += (x[j] - sigmoid(l[j])) ** 2;
    return sum;
  });
  assertClose(Array.from(mse), expected, 1e-5);
});

Deno.test("bernoulli_nll_grad: dy·(σ(l) − x), each element within 2e-7", () => {
  const [rows, cols] = [5, 64];
  const n = rows * cols;
  const { kernels, arrays: [l, x, dy, dl], ptr } = arena(n, n, rows, n);
  const data = logitsAndTargets(rows, cols);
  l.set(data.l);
  x.set(data.x);
  dy.set([1, -0.5, 2, 0.25, 3]);
  kernels.bernoulli_nll_grad(ptr(l), ptr(x), ptr(dy), ptr(dl), rows, cols);
  const expected = Array.from(dl, (_, i) => dy[Math.floor(i / cols)] * (sigmoid(l[i]) - x[i]));
  assertClose(Array.from(dl), expected, 3 * 2e-7 + 1e-7);
});

Deno.test("tanh_in_place equals Math.tanh to 2e-7, keeps the sign, saturates at ±1, any n", () => {
  // 18 values: the last two go through the tail after the fours, one of them −0.
  const values = [
    0,
    1e-6,
    -1e-6,
    0.5,
    -0.5,
    1,
    3,
    -7,
    9,
    20,
    -20,
    88,
    -100,
    1e30,
    -1e30,
    0.3,
    2,
    -0,
  ];
  const { kernels, arrays: [t], ptr } = arena(values.length);
  t.set(values);
  kernels.tanh_in_place(ptr(t), values.length);
  assertClose(Array.from(t), values.map(Math.tanh), 2e-7);
  assertEquals(Object.is(t[values.length - 1], -0), true);
});

Deno.test("tanh_grad: dy·(1 − y²), any length (the tail past the last four too)", () => {
  const n = 11;
  const { kernels, arrays: [y, dy, out], ptr } = arena(n, n, n);
  y.set(Array.from({ length: n }, (_, i) => Math.tanh(i - 5)));
  dy.set(Array.from({ length: n }, (_, i) => 0.1 * i - 0.3));
  kernels.tanh_grad(ptr(y), ptr(dy), ptr(out), n);
  assertClose(Array.from(out), Array.from(y, (v, i) => dy[i] * (1 - v * v)), 1e-7);
});

Deno.test("adam: the textbook update, in float32, for every element (tail included)", () => {
  const n = 13;
  const { kernels, arrays: [p, m, v, g, pOut, mOut, vOut], ptr } = arena(n, n, n, n, n, n, n);
  for (let i = 0; i < n; i++) {
    [p[i], m[i], v[i], g[i]] = [Math.sin(i), 0.01 * (i - 6), 1e-4 * i, Math.cos(3 * i)];
  }
  const [beta1, beta2, epsilon, lr, t] = [0.9, 0.999, 1e-7, 1e-3, 5];
  const [c1, c2] = [1 - beta1 ** t, 1 - beta2 ** t];
  kernels.adam(
    ptr(p),
    ptr(m),
    ptr(v),
    ptr(g),
    ptr(pOut),
    ptr(mOut),
    ptr(vOut),
    n,
    beta1,
    beta2,
    epsilon,
    lr / c1,
    1 / Math.sqrt(c2),
  );
  for (let i = 0; i < n; i++) {
    const mi = beta1 * m[i] + (1 - beta1) * g[i];
    const vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    assertClose([mOut[i], vOut[i]], [mi, vi], 1e-7, `moments ${i}`);
    const step = (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
    assertClose([pOut[i]], [p[i] - step], 2e-6, `param ${i}`);
  }
});
