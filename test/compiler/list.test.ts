// Prints every corpus file as `nft list ruleset` and `nft -a list ruleset`
// would after loading it (compiler/list.ts, compiler/list/,
// compiler/delinearize/) and compares with what nft 1.0.6 listed
// (test/fixtures/list, recorded by test/oracle/record-list.sh): each rule line,
// then the whole listing byte for byte. Differences must be listed, with a
// reason, in test/known-gaps/list.txt (`NAME:FAMILY/TABLE/CHAIN:INDEX` for a
// rule, `NAME:ruleset` / `NAME:ruleset-a` for a whole listing); listed gaps
// that now match fail too. An unlisted whole-listing difference writes
// NAME.list.got / NAME.list-a.got next to the fixture.
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
let wholeHandles = 0;

/** Writes `text` to `path` when `differs`, else removes a stale `path`. */
function got(path: string, differs: boolean, text: string): void {
  if (differs) writeFileSync(path, text);
  else if (existsSync(path)) rmSync(path);
}

describe('nft list ruleset of the compile corpus, as nft 1.0.6 lists it', () => {
  for (const name of files) {
    it(name, () => {
      const r = compareListing(corpus, fixtures, name);
      total += r.total;
      identical += r.identical;
      if (r.whole) whole++;
      if (r.wholeHandles) wholeHandles++;
      const failures = [
        ...r.failures.map((f) => ({ key: f.key, text: `${f.key}\n  expected: ${f.expected}\n  got:      ${f.got}` })),
        ...(r.whole ? [] : [{ key: `${name}:ruleset`, text: `${name}:ruleset differs: see ${name}.list.got` }]),
        ...(r.wholeHandles ? [] : [{ key: `${name}:ruleset-a`, text: `${name}:ruleset-a differs: see ${name}.list-a.got` }]),
      ];
      const unexpected = failures.filter((f) => !gaps.has(f.key));
      got(`${fixtures}${name}.list.got`, !r.whole && !gaps.has(`${name}:ruleset`), r.got);
      got(`${fixtures}${name}.list-a.got`, !r.wholeHandles && !gaps.has(`${name}:ruleset-a`), r.gotHandles);
      const stale = [...gaps.keys()].filter((k) => k.startsWith(name + ':') && !failures.some((f) => f.key === k));
      expect(unexpected.map((f) => f.text)).toEqual([]);
      expect(stale, 'gaps listed in known-gaps/list.txt that now pass').toEqual([]);
    });
  }
  it('reports the identical share', () => {
    expect(total).toBeGreaterThanOrEqual(2900);
    console.log(
      `list: ${identical}/${total} rules identical (${((100 * identical) / total).toFixed(2)}%), ` +
        `${whole}/${files.length} listings and ${wholeHandles}/${files.length} -a listings byte-identical`,
    );
    expect(identical / total).toBeGreaterThanOrEqual(0.995);
  });
});
