// vitest globalSetup: builds build/nftvm.wasm (asc, release target) when any
// assembly/ source is newer than it, so `npm test` works on a fresh clone
// without a separate `npm run build:wasm`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';

const root = new URL('../../../', import.meta.url).pathname;

function newest(dir: string): number {
  let t = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

export default async function setup(): Promise<void> {
  const out = join(root, 'build/nftvm.wasm');
  let built = 0;
  try {
    built = statSync(out).mtimeMs;
  } catch {
    built = 0;
  }
  const src = Math.max(newest(join(root, 'assembly')), statSync(join(root, 'asconfig.json')).mtimeMs);
  if (built >= src) return;
  let errors = '';
  const { error } = await asc.main(['assembly/index.ts', '--target', 'release', '--baseDir', root], {
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => ((errors += s), true) } as never,
  });
  if (error) throw new Error(`asc failed to build build/nftvm.wasm:\n${errors}`);
}
