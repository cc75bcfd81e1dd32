// Summary statistics of the benchmarks' samples (commit latencies and the
// like), one definition for every benchmark so their figures compare:
// `percentile([3, 1, 2], 0.5)` → 2.

/**
 * The nearest-rank percentile of `xs` (`p` in 0..1): the smallest sample
 * with at least a fraction `p` of the samples at or below it. NaN for no
 * samples.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
