#!/usr/bin/env node
// Entry point of the `nftvm` command: runs the bundled CLI (build it with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/nftvm.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('nftvm: dist/nftvm.mjs is missing; run `npm run build` first\n');
  process.exit(2);
}
await import(pathToFileURL(bundle).href);
