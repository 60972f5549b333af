/**
 * A system BLAS, loaded through Deno's FFI: where it is, what it is, and its single-precision
 * matrix product. The blas backend (blas_backend.ts) does its matrix products here.
 *
 * What a product returns depends on the library, the CPU kernel it picked and its thread
 * count (a product is bit-identical run to run only when all three are fixed), so those make
 * up BlasIdentity, which joins the key of every stage that computes. The library file's
 * fingerprint stands for its version: two machines with the same package share keys.
 *
 * The library is opened once per process and never closed: OpenBLAS's OpenMP build crashes
 * at exit when it is closed while its threads live.
 *
 * This module imports no tfjs: the stage table uses it to key stages without loading tfjs.
 */
import { basename } from "node:path";
import { libraryFingerprint } from "./library_fingerprint.ts";

/** What a BLAS product depends on, as it joins stage keys and manifests. */
export interface BlasIdentity {
  /** The library's file name, symbolic links followed (`libopenblasp-r0.3.21.so`). */
  library: string;
  /** What that file is (its GNU build ID, else its sha256): its version, whatever it says. */
  fingerprint: string;
  /** What the library says it is (OpenBLAS: its build configuration), or "". */
  build: string;
  /** The CPU kernel it runs (OpenBLAS: `openblas_get_corename()`, e.g. "Haswell"), or "". */
  core: string;
  /** Threads per product. */
  threads: number;
}

/** The environment variable that names a BLAS library file, overriding the search. */
export const BLAS_LIBRARY_VARIABLE = "BLAS_LIBRARY";

/** Libraries with the CBLAS interface, in order of preference, by their sonames. */
const SONAMES = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libmkl_rt.so.2",
  "libmkl_rt.so",
  "libblis.so.4",
  "libblis.so",
  "libblas.so.3",
  "libopenblas.dylib",
  "libblas.dylib",
];

/** Where those are installed: Debian's multiarch folder first, then the usual others. */
function libraryFolders(): string[] {
  const arch = Deno.build.arch;
  return [
    `/usr/lib/${arch}-linux-gnu`,
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/opt/homebrew/opt/openblas/lib",
    "/usr/local/opt/openblas/lib",
  ];
}

/** macOS's own BLAS, which every Mac has. */
const ACCELERATE = "/System/Library/Frameworks/Accelerate.framework/Accelerate";

/** The file `BLAS_LIBRARY` names, or "" (a permission to read it is not needed to ask). */
export function requestedLibrary(): string {
  try {
    return Deno.env.get(BLAS_LIBRARY_VARIABLE) ?? "";
  } catch {
    return ""; // not allowed to read the environment: no override was passed down
  }
}

/**
 * The BLAS library file this process would load, or undefined when there is none: the file
 * `BLAS_LIBRARY` names when it is set (even if missing, so the error can name it), else the
 * first soname found in the usual folders. Nothing is opened.
 */
export function locateBlas(): string | undefined {
  const requested = requestedLibrary();
  if (requested) return requested;
  const candidates = Deno.build.os === "darwin"
    ? [ACCELERATE, ...libraryFolders().flatMap((d) => SONAMES.map((s) => `${d}/${s}`))]
    : libraryFolders().flatMap((d) => SONAMES.map((s) => `${d}/${s}`));
  return candidates.find(isFile);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  // Thread control and self-description: OpenBLAS, MKL and BLIS each name their own.
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
  MKL_Set_Num_Threads: { parameters: ["i32"], result: "void", optional: true },
  bli_thread_set_num_threads: { parameters: ["i64"], result: "void", optional: true },
  bli_info_get_version_str: { parameters: [], result: "pointer", optional: true },
  // libc's, found through the library's own dependencies: copying a C string out this way
  // needs only the FFI permission for this file (Deno's UnsafePointerView needs all of FFI).
  strlen: { parameters: ["pointer"], result: "usize", optional: true },
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer", optional: true },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

/** A loaded BLAS: C = alpha·op(A)·op(B) + beta·C on row-major Float32Arrays. */
export interface Blas {
  readonly path: string;
  readonly identity: BlasIdentity;
  /**
   * C [m, n] = alpha · op(A) · op(B) + beta · C, row major; op(A) is [m, k] (A is [k, m] when
   * transposeA), op(B) is [k, n] (B is [n, k] when transposeB).
   */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void;
}

/** Opened libraries by path, kept for the life of the process (see the module doc). */
const opened = new Map<string, { library: Library; fingerprint: string }>();

/**
 * The BLAS at `path` (default: locateBlas()), set to `threads` threads, or a one-line reason
 * it cannot be used. Opening is done once per path; asking again only sets the threads.
 */
export function loadBlas(threads: number, path = locateBlas()): Blas | { problem: string } {
  if (!path) {
    return {
      problem: `no BLAS library was found (looked for ${SONAMES.join(", ")} in ` +
        `${libraryFolders().join(", ")})`,
    };
  }
  if (!isFile(path)) return { problem: `${BLAS_LIBRARY_VARIABLE} is ${path}, which is no file` };
  let entry = opened.get(path);
  if (!entry) {
    try {
      const library = Deno.dlopen(path, SYMBOLS);
      entry = { library, fingerprint: libraryFingerprint(path) };
    } catch (e) {
      // Deno says "Could not open library: …: <why>" or "Failed to register symbol …".
      const message = (e as Error).message;
      const why = message.includes("symbol cblas_sgemm")
        ? "it has no cblas_sgemm"
        : message.split(": ").at(-1);
      return { problem: `${path} cannot be loaded as a CBLAS library (${why})` };
    }
    opened.set(path, entry);
  }
  const { library, fingerprint } = entry;
  const s = library.symbols;
  const threadsSet = setThreads(library, threads);
  const identity: BlasIdentity = {
    library: basename(Deno.realPathSync(path)),
    fingerprint,
    build: cString(library, s.openblas_get_config?.()) ??
      cString(library, s.bli_info_get_version_str?.()) ?? "",
    core: cString(library, s.openblas_get_corename?.()) ?? "",
    threads: threadsSet,
  };
  return {
    path,
    identity,
    sgemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c) {
      s.cblas_sgemm(
        ROW_MAJOR,
        transposeA ? TRANS : NO_TRANS,
        transposeB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        alpha,
        a,
        transposeA ? m : k,
        b,
        transposeB ? k : n,
        beta,
        c,
        n,
      );
    },
  };
}

/** Sets the library's thread count where it has a way to; a BLAS without one runs one. */
function setThreads(library: Library, threads: number): number {
  const s = library.symbols;
  if (s.openblas_set_num_threads) s.openblas_set_num_threads(threads);
  else if (s.MKL_Set_Num_Threads) s.MKL_Set_Num_Threads(threads);
  else if (s.bli_thread_set_num_threads) s.bli_thread_set_num_threads(BigInt(threads));
  else return 1;
  return threads;
}

/** The NUL-terminated string at `pointer`, or undefined (no pointer, or no libc to copy it). */
function cString(library: Library, pointer: Deno.PointerValue | undefined): string | undefined {
  const { strlen, memcpy } = library.symbols;
  if (!pointer || !strlen || !memcpy) return undefined;
  const length = strlen(pointer);
  const bytes = new Uint8Array(Number(length));
  memcpy(bytes, pointer, length);
  return new TextDecoder().decode(bytes).trim();
}
