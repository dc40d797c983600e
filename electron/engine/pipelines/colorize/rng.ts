/**
 * Seeded uniform random numbers for the PIC sampler: xoshiro128** (Blackman
 * & Vigna, 2018) seeded through splitmix32, written out plainly so a seed
 * means the same numbers on every platform and in every version. The
 * sampler draws them in the order the model's sampler contract fixes (per
 * pixel in raster order: N·K values for the mixture choice, then 2N for the
 * logistic noise), so one seed reproduces one set of colorizations exactly.
 */

/** The largest seed; seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}`);
    const next = splitmix32(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // The all-zero state is the one state xoshiro cannot leave.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform number strictly inside (0, 1): 24 random bits, centred in their bucket. */
  nextOpen01(): number {
    return ((this.nextUint32() >>> 8) + 0.5) / 16777216;
  }

  /** Fills `out` with uniforms in (0, 1). */
  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextOpen01();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A fresh seed when the user asks for none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * MAX_SEED);
}
