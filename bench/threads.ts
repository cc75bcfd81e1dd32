// Evaluation on several threads (src/threads.ts; docs/transactions.md,
// "Evaluator threads"): packets/s of the 20-rule server ruleset on one
// engine in this thread (the baseline), then on 1 and 2 evaluator threads
// over a shared engine's memory, then on 2 threads while this thread
// commits 1,000 times a second (add/delete element, alternating), with the
// commit latency, grace period included: a commit waits for the batches in
// flight, so with more threads than cores it waits for the scheduler too. Each thread evaluates one
// 4,096-frame batch again and again (64-byte frames, written once).
// Run: `npm run bench:threads`.

import { printTables } from './table.js';
import { percentile } from './stats.js';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { xorshift32 } from '../test/rng.js';
import { SERVER_HOST, serverRuleset, tcpFrame } from './server-ruleset.js';
import { Engine, type PacketIn } from '../src/engine.js';
import { EvaluatorPool } from '../src/threads.js';

const BATCH = 4096;
const PHASE_MS = 2_000;
const COMMIT_EVERY_MS = 1;

const single = await WebAssembly.compile(readFileSync(new URL('../build/nftvm.wasm', import.meta.url)));
const shared = await WebAssembly.compile(readFileSync(new URL('../build/nftvm-shared.wasm', import.meta.url)));
const sizes = { rulesetBytes: 4 << 20, imageBytes: 1 << 20, batchBytes: 2 << 20, recordBytes: 64 << 10 };

const rnd = xorshift32(0x13579bdf);
const packets: PacketIn[] = Array.from({ length: BATCH }, () => ({ data: tcpFrame(rnd, rnd() % 2 ? 443 : 1 + (rnd() % 65535)), iif: 2 }));

interface Row {
  section: string;
  name: string;
  pps: number;
  baseline: number;
  note: string;
}
const rows: Row[] = [];

// This thread, the single-threaded build: the batch written once, then evaluateRaw().
const one = await Engine.create({ wasm: single, host: SERVER_HOST, conntrack: false, ...sizes });
one.load(serverRuleset(), 'server.nft');
one.evaluate(packets);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < PHASE_MS) {
  one.evaluateRaw();
  n += BATCH;
}
const base = (n * 1000) / (performance.now() - t0);

const e = await Engine.create({ wasm: shared, shared: true, host: SERVER_HOST, conntrack: false, ...sizes });
e.load(serverRuleset(), 'server.nft');
e.apply('add element inet filter tcp_services { 1 }', 'warmup.nft');
const pool = await EvaluatorPool.start(e, shared, 2, { batchBytes: sizes.batchBytes, recordBytes: sizes.recordBytes });

/** Runs `threads` evaluators for PHASE_MS (this thread committing every COMMIT_EVERY_MS when `commits`): packets/s of all of them, commits made, commit µs. */
async function phase(threads: number, commits: boolean): Promise<{ pps: number; commits: number; commitUs: number[] }> {
  const stop = new SharedArrayBuffer(4);
  const runs = Array.from({ length: threads }, (_, i) => pool.run(i, { packets, stop, raw: true }));
  const us: number[] = [];
  let made = 0;
  const t = performance.now();
  let next = t + COMMIT_EVERY_MS;
  for (;;) {
    const now = performance.now();
    if (now - t >= PHASE_MS) break;
    if (commits && now >= next) {
      const c0 = performance.now();
      e.apply(`${made % 2 ? 'delete' : 'add'} element inet filter tcp_services { ${40000 + (made >> 1)} }`, 'commit.nft');
      us.push((performance.now() - c0) * 1000);
      made++;
      next = Math.max(next + COMMIT_EVERY_MS, now);
    } else await new Promise((r) => setTimeout(r, commits ? 0 : 50));
  }
  Atomics.store(new Int32Array(stop), 0, 1);
  const replies = await Promise.all(runs);
  const ms = Math.max(...replies.map((r) => r.ms));
  return { pps: (replies.reduce((s, r) => s + r.packets, 0) * 1000) / ms, commits: made, commitUs: us };
}

const s = `20-rule server ruleset, ${BATCH}-frame batches of 64-byte frames, ${PHASE_MS / 1000} s per row`;
const t1 = await phase(1, false);
rows.push({ section: s, name: '1 evaluator thread (shared build)', pps: t1.pps, baseline: base, note: 'baseline: this thread, single-threaded build' });
const t2 = await phase(2, false);
rows.push({ section: s, name: '2 evaluator threads', pps: t2.pps, baseline: t1.pps, note: 'baseline: 1 thread' });
const commitRow = (threads: number, t: Awaited<ReturnType<typeof phase>>, quiet: number) => {
  const q = (p: number) => percentile(t.commitUs, p).toFixed(0);
  rows.push({
    section: s, name: `${threads} evaluator thread${threads > 1 ? 's' : ''}, ${((t.commits * 1000) / PHASE_MS).toFixed(0)} commits/s in this thread`, pps: t.pps, baseline: quiet,
    note: `baseline: ${threads} without commits; commit median ${q(0.5)} µs, p90 ${q(0.9)} µs (grace period included)`,
  });
};
commitRow(1, await phase(1, true), t1.pps);
commitRow(2, await phase(2, true), t2.pps);
await pool.close();

console.log(`nftvm threads benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores`);
printTables(
  ['case', 'Mpps', 'baseline Mpps', 'ratio', 'ns/packet', 'note'],
  rows.map((r) => ({ section: r.section, cells: [r.name, (r.pps / 1e6).toFixed(2), (r.baseline / 1e6).toFixed(2), `${((r.pps / r.baseline) * 100).toFixed(0)}%`, (1e9 / r.pps).toFixed(1), r.note] })),
  (c) => c === 5,
);
