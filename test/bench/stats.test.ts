// bench/stats.ts: the percentile both bench/threads.ts and bench/transactions.ts report.
import { describe, expect, it } from 'vitest';
import { percentile } from '../../bench/stats.js';

describe('percentile (nearest rank)', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
  it('p90 of 1..10 is 9, the median the lower middle, p100 the largest, p0 the smallest', () => {
    expect(percentile(ten, 0.9)).toBe(9);
    expect(percentile(ten, 0.5)).toBe(5);
    expect(percentile(ten, 1)).toBe(10);
    expect(percentile(ten, 0)).toBe(1);
  });
  it('an odd count: the median is the middle sample', () => {
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
  });
  it('one sample is every percentile; none is NaN', () => {
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([], 0.9)).toBeNaN();
  });
  it('leaves its input unsorted', () => {
    const xs = [3, 1, 2];
    percentile(xs, 0.5);
    expect(xs).toEqual([3, 1, 2]);
  });
});
