// Lists every rule that differs from nft as `FILE:RULE  first differing line`,
// the starting point for test/known-gaps/compile.txt:
//   npx vite-node test/oracle/list-gaps.ts
import { readdirSync } from 'node:fs';
import { compareFile } from '../conformance.js';

const dir = new URL('../corpus/compile/', import.meta.url).pathname;
const fix = new URL('../fixtures/compile/', import.meta.url).pathname;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.nft')).sort()) {
  const name = f.slice(0, -4);
  const r = compareFile(dir, fix, name);
  for (const x of r.failures) {
    const a = x.expected.split('\n');
    const b = x.got.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    console.log(`${name}:${x.index}  expected ${JSON.stringify(a[i] ?? '')} got ${JSON.stringify(b[i] ?? '')}`);
  }
}
