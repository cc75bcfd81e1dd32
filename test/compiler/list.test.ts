// Prints every corpus file as `nft list ruleset` would after loading it
// (compiler/list.ts, compiler/delinearize/) and compares each rule line with
// what nft 1.0.6 listed (test/fixtures/list, recorded by
// test/oracle/record-list.sh). Rules that differ must be listed, with a
// reason, in test/known-gaps/list.txt; listed gaps that now match fail too.
import { readdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareListing } from '../list-compare.js';
import { readGaps } from '../known-gaps.js';

const corpus = new URL('../corpus/compile/', import.meta.url).pathname;
const fixtures = new URL('../fixtures/list/', import.meta.url).pathname;
const gaps = readGaps(new URL('../known-gaps/list.txt', import.meta.url).pathname);
const files = readdirSync(fixtures).filter((f) => f.endsWith('.list')).map((f) => f.slice(0, -5)).sort();

let total = 0;
let identical = 0;
let whole = 0;

describe('nft list ruleset of the compile corpus, as nft 1.0.6 lists it', () => {
  for (const name of files) {
    it(name, () => {
      const r = compareListing(corpus, fixtures, name);
      total += r.total;
      identical += r.identical;
      if (r.whole) whole++;
      const got = `${fixtures}${name}.list.got`;
      const unexpected = r.failures.filter((f) => !gaps.has(f.key));
      const stale = [...gaps.keys()].filter((k) => k.startsWith(name + ':') && !r.failures.some((f) => f.key === k));
      if (unexpected.length) writeFileSync(got, unexpected.map((f) => `--- ${f.key}\n  expected: ${f.expected}\n  got:      ${f.got}\n`).join(''));
      else if (existsSync(got)) rmSync(got);
      expect(unexpected.map((f) => `${f.key}: see ${name}.list.got`)).toEqual([]);
      expect(stale, 'gaps listed in known-gaps/list.txt that now pass').toEqual([]);
    });
  }
  it('reports the identical share', () => {
    expect(total).toBeGreaterThanOrEqual(2500);
    console.log(`list: ${identical}/${total} rules identical (${((100 * identical) / total).toFixed(2)}%), ${whole}/${files.length} listings byte-identical`);
    expect(identical / total).toBeGreaterThanOrEqual(0.85);
  });
});
