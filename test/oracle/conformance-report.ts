// Prints the compile conformance per corpus file and overall:
//   npx vite-node test/oracle/conformance-report.ts [name-filter] [--show N]
import { readdirSync } from 'node:fs';
import { compareFile } from '../conformance.js';

const dir = new URL('../corpus/compile/', import.meta.url).pathname;
const fix = new URL('../fixtures/compile/', import.meta.url).pathname;
const args = process.argv.slice(2);
const filter = args.find((a) => !a.startsWith('--'));
const showIdx = args.indexOf('--show');
const show = showIdx >= 0 ? Number(args[showIdx + 1]) : 0;
let total = 0;
let ok = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.nft')).sort()) {
  const name = f.slice(0, -4);
  if (filter && !name.includes(filter)) continue;
  const r = compareFile(dir, fix, name);
  total += r.total;
  ok += r.identical;
  console.log(`${name.padEnd(40)} ${r.identical}/${r.total}${r.error ? '  ERROR: ' + r.error.split('\n')[0] : ''}`);
  for (const x of r.failures.slice(0, show)) {
    console.log(`--- rule ${x.index} expected:\n${x.expected}\n--- got:\n${x.got}\n`);
  }
}
console.log(`TOTAL ${ok}/${total} = ${((100 * ok) / Math.max(1, total)).toFixed(2)}%`);
