// Seeded pseudo-random numbers for fuzz and differential tests (xorshift32):
// the same seed gives the same inputs on every run, so a failure reproduces.

/** A generator of uint32 values from `seed` (0 is taken as 1). */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A generator of numbers in [0, 1) from `seed`. */
export function unitRng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}
