// vitest globalSetup: builds build/nftvm.wasm and build/nftvm-shared.wasm
// (asc, release and shared targets) when any assembly/ source is newer, and
// the evaluator thread's bundle (dist/nftvm-evaluator.mjs) when any source
// is, so `npm test` works on a fresh clone without a separate `npm run build`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { build } from 'esbuild';

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
  const src = Math.max(newest(join(root, 'assembly')), statSync(join(root, 'asconfig.json')).mtimeMs);
  for (const [target, file] of [['release', 'nftvm.wasm'], ['shared', 'nftvm-shared.wasm']] as const) {
    let built = 0;
    try {
      built = statSync(join(root, 'build', file)).mtimeMs;
    } catch {
      built = 0;
    }
    if (built >= src) continue;
    let errors = '';
    const { error } = await asc.main(['assembly/index.ts', '--target', target, '--baseDir', root], {
      stdout: { write: () => true } as never,
      stderr: { write: (s: string) => ((errors += s), true) } as never,
    });
    if (error) throw new Error(`asc failed to build build/${file}:\n${errors}`);
  }
  const thread = join(root, 'dist/nftvm-evaluator.mjs');
  let bundled = 0;
  try {
    bundled = statSync(thread).mtimeMs;
  } catch {
    bundled = 0;
  }
  if (bundled >= Math.max(src, newest(join(root, 'src')), newest(join(root, 'compiler')))) return;
  await build({ entryPoints: [join(root, 'src/evaluator-thread.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: thread, logLevel: 'warning' });
}
