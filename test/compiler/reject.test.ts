// Rulesets nft rejects (test/corpus/reject) must be rejected too, with
// nft's error record. The first error line (FILE:LINE:COL-COL: Error: MSG)
// must equal nft's unless listed in test/known-gaps/reject.txt.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileToNetlink } from '../../compiler/index.js';
import { fsReader } from '../conformance.js';
import { readGaps } from '../known-gaps.js';

const corpus = new URL('../corpus/reject/', import.meta.url).pathname;
const fixtures = new URL('../fixtures/reject/', import.meta.url).pathname;
const gaps = readGaps(new URL('../known-gaps/reject.txt', import.meta.url).pathname);
const files = readdirSync(corpus).filter((f) => f.endsWith('.nft')).map((f) => f.slice(0, -4)).sort();

function nftFirstError(name: string): string {
  const lines = readFileSync(`${fixtures}${name}.err`, 'utf8').split('\n');
  return lines.find((l) => /: Error: /.test(l)) ?? lines.find((l) => l.startsWith('Error:')) ?? '';
}

describe('rulesets nft rejects', () => {
  let same = 0;
  for (const name of files) {
    it(name, () => {
      const r = compileToNetlink(`${name}.nft`, readFileSync(`${corpus}${name}.nft`, 'utf8'), fsReader(corpus));
      const gap = gaps.get(name);
      if (gap?.startsWith('accepted:')) {
        expect(r.ok, `${name} is listed as accepted but is now rejected: remove the gap`).toBe(true);
        return;
      }
      expect(r.ok, 'nft rejects this ruleset').toBe(false);
      const ours = r.errors.split('\n')[0];
      const theirs = nftFirstError(name);
      if (gap?.startsWith('message:')) {
        expect(ours, `${name} is listed as a message gap but now matches: remove the gap`).not.toBe(theirs);
        return;
      }
      expect(ours).toBe(theirs);
      same++;
    });
  }
  it('reports', () => {
    console.log(`reject corpus: ${files.length} files, first error line identical for ${same}`);
    expect(files.length).toBeGreaterThanOrEqual(50);
  });
});
