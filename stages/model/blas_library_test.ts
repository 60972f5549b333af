import { assert_, assertClose, assertEquals, assertIncludes } from "../../pipeline/test_assert.ts";
import { loadBlas, locateBlas } from "./blas_library.ts";
import { blasTest } from "./blas_testing.ts";

/** op(A)·op(B) in float64 by definition, row major. */
function naive(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: number[],
  b: number[],
) {
  const at = (i: number, p: number) => (ta ? a[p * m + i] : a[i * k + p]);
  const bt = (p: number, j: number) => (tb ? b[j * k + p] : b[p * n + j]);
  return Array.from({ length: m * n }, (_, ij) => {
    const [i, j] = [Math.floor(ij / n), ij % n];
    let sum = 0;
    for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
    return sum;
  });
}

blasTest("sgemm: every transpose flag, alpha and beta, against the definition", () => {
  const blas = loadBlas(2);
  if ("problem" in blas) throw new Error(blas.problem);
  const [m, n, k] = [5, 3, 7];
  const a = Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
  const b = Array.from({ length: k * n }, (_, i) => Math.cos(i * 3));
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const c = new Float32Array(m * n).fill(1);
    blas.sgemm(ta, tb, m, n, k, 2, Float32Array.from(a), Float32Array.from(b), 0.5, c);
    const expected = naive(ta, tb, m, n, k, a, b).map((v) => 2 * v + 0.5);
    assertClose(Array.from(c), expected, 1e-5, `transposeA ${ta}, transposeB ${tb}`);
  }
});

blasTest("the identity names the library file, its fingerprint, kernel and threads", () => {
  for (const threads of [1, 2]) {
    const blas = loadBlas(threads);
    if ("problem" in blas) throw new Error(blas.problem);
    const { library, fingerprint, threads: set } = blas.identity;
    assert_(library.includes("blas"), library);
    assert_(/^(gnu-build-id|sha256):[0-9a-f]{16,}$/.test(fingerprint), fingerprint);
    // OpenBLAS takes a thread count; a BLAS without a way to set one runs one.
    assert_(set === threads || set === 1, `threads ${set}`);
  }
});

Deno.test("BLAS_LIBRARY overrides the search; a missing file is a problem, never a throw", () => {
  const before = Deno.env.get("BLAS_LIBRARY");
  try {
    Deno.env.set("BLAS_LIBRARY", "/nonexistent/libcblas.so");
    assertEquals(locateBlas(), "/nonexistent/libcblas.so");
    const result = loadBlas(1);
    assert_("problem" in result);
    assertIncludes(result.problem, "BLAS_LIBRARY is /nonexistent/libcblas.so, which is no file");
  } finally {
    if (before === undefined) Deno.env.delete("BLAS_LIBRARY");
    else Deno.env.set("BLAS_LIBRARY", before);
  }
});

Deno.test("a file that is no CBLAS library is a problem that says so", () => {
  const notBlas = new URL("./blas_library.ts", import.meta.url).pathname;
  const result = loadBlas(1, notBlas);
  assert_("problem" in result);
  assertIncludes(result.problem, `${notBlas} cannot be loaded as a CBLAS library (`);
});
