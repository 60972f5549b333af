/**
 * The one source of randomness in the pipeline (never Math.random): xoshiro128**
 * (Blackman & Vigna, https://prng.di.unimi.it/), seeded through sha256.
 *
 * A stream's identity is a hash of its seed and the chain of fork labels that led to it,
 * so `rng.fork("split")` gives the same numbers no matter how many draws the parent has
 * made, and adding a draw in one stage never shifts the numbers of another.
 */
import { createHash } from "node:crypto";

/** A seeded stream of random numbers, and the independent streams forked from it by label. */
export class Rng {
  #state: Uint32Array;
  #id: Uint8Array;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Rng: seed must be a non-negative integer, got ${seed}`);
    }
    this.#id = digest(["seed", seed]);
    this.#state = stateFrom(this.#id);
  }

  /** An independent stream derived from this stream's seed (not its position) and a label. */
  fork(label: string): Rng {
    const child = new Rng(0);
    child.#id = digest(["fork", Array.from(this.#id), label]);
    child.#state = stateFrom(child.#id);
    return child;
  }

  /** A uniform uint32. */
  next(): number {
    return xoshiro128StarStar(this.#state);
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Reject the top partial block of [0, 2^32) so every residue is equally likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.next();
      if (r < limit) return r % n;
    }
  }

  /** A standard normal draw (Box–Muller; one pair of uniforms per draw, no hidden cache). */
  normal(): number {
    const u1 = 1 - this.uniform(); // in (0, 1], so the log is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Shuffle `a` in place (Fisher–Yates) and return it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

function digest(parts: unknown[]): Uint8Array {
  return createHash("sha256").update(JSON.stringify(parts)).digest();
}

/** The first 128 bits of a digest as xoshiro state (never all zero, the one bad state). */
function stateFrom(id: Uint8Array): Uint32Array {
  const view = new DataView(id.buffer, id.byteOffset, id.byteLength);
  const state = Uint32Array.from([0, 4, 8, 12], (o) => view.getUint32(o, true));
  if (state.every((w) => w === 0)) state[0] = 1;
  return state;
}

/** One step of xoshiro128** on a 4-word state (advanced in place); returns a uint32. */
export function xoshiro128StarStar(s: Uint32Array): number {
  const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
