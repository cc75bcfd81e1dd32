// Compiles every corpus file and compares each rule's bytecode with what
// nft 1.0.6 printed for it (test/fixtures/compile, recorded by
// test/oracle/record-compile.sh). Differences must be listed, with a reason,
// in test/known-gaps/compile.txt; at least 98% of rules must be identical.
import { readdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareFile } from '../conformance.js';
import { readGaps } from '../known-gaps.js';

const corpus = new URL('../corpus/compile/', import.meta.url).pathname;
const fixtures = new URL('../fixtures/compile/', import.meta.url).pathname;
const gaps = readGaps(new URL('../known-gaps/compile.txt', import.meta.url).pathname);
const files = readdirSync(corpus).filter((f) => f.endsWith('.nft')).map((f) => f.slice(0, -4)).sort();

let total = 0;
let identical = 0;

describe('compile conformance with nft 1.0.6', () => {
  for (const name of files) {
    it(name, () => {
      const r = compareFile(corpus, fixtures, name);
      total += r.total;
      identical += r.identical;
      const got = `${fixtures}${name}.got`;
      const unexpected = r.failures.filter((f) => !gaps.has(`${name}:${f.index}`));
      const stale = [...gaps.keys()].filter((k) => k.startsWith(name + ':') && !r.failures.some((f) => `${name}:${f.index}` === k));
      if (unexpected.length) {
        writeFileSync(got, unexpected.map((f) => `--- rule ${f.index} expected:\n${f.expected}\n--- got:\n${f.got}\n`).join('\n'));
      } else if (existsSync(got)) rmSync(got);
      expect(r.error ?? '', 'the file must compile').toBe('');
      expect(unexpected.map((f) => `rule ${f.index}: see ${name}.got`)).toEqual([]);
      expect(stale, 'gaps listed in known-gaps/compile.txt that now pass').toEqual([]);
    });
  }
  it('at least 98% of all rules are identical', () => {
    expect(total).toBeGreaterThanOrEqual(600);
    console.log(`compile conformance: ${identical}/${total} rules identical (${((100 * identical) / total).toFixed(2)}%)`);
    expect(identical / total).toBeGreaterThanOrEqual(0.98);
  });
});
