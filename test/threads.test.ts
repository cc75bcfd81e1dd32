// Evaluation on several threads over one shared memory (src/threads.ts,
// EngineOptions.shared): two evaluator threads run packets while the main
// thread commits a stream of transactions; every packet's outcome must be
// exactly that of a fresh engine loaded with the generation the packet saw.
// Counters stay exact across threads; what a commit deletes is reclaimed
// only after every evaluator has left the batch it was in; state that
// threads would race on is refused.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { encodeBytecode, type Program } from '../compiler/bytecode.js';
import { LiveRuleset } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import * as layout from '../assembly/layout.js';
import { Engine, EngineLoadError, type PacketIn } from '../src/engine.js';
import { EvaluatorPool } from '../src/threads.js';
import { engine, HOST, ipv4, rx, tcp, udp } from './assembly/vm/helpers.js';
import { BASE } from './live-base.js';

const root = new URL('../', import.meta.url).pathname;
let shared: WebAssembly.Module;
beforeAll(async () => {
  shared = await WebAssembly.compile(readFileSync(root + 'build/nftvm-shared.wasm'));
});

function sharedEngine(): Promise<Engine> {
  return Engine.create({ wasm: shared, shared: true, conntrack: false, rulesetBytes: 1 << 20, imageBytes: 1 << 20, batchBytes: 1 << 20, recordBytes: 64 << 10, host: HOST });
}


/** Commits that land in place (elements, rules appended and deleted) and ones that reload (inserts, chains, flushes). */
function stream(): string[] {
  const out: string[] = [];
  for (let k = 0; k < 6; k++) {
    out.push(`add element inet f blocked { 10.0.0.${2 + k} }`);
    out.push(`add rule inet f input tcp dport ${8000 + k} accept`);
    out.push(`delete element inet f blocked { 10.0.0.${2 + k} }`);
  }
  out.push('insert rule inet f input ip saddr 10.0.0.3 drop');
  out.push('add chain inet f web\nadd rule inet f web ip saddr 10.0.0.4 drop\nadd rule inet f web accept\nadd element inet f svc { 8443 : jump web }');
  // A chain comes in place, goes, and a later one takes its record.
  out.push('add chain inet f tmp\nadd rule inet f tmp ip saddr 10.0.0.5 drop\nadd rule inet f tmp accept\nadd element inet f svc { 8000 : jump tmp }');
  out.push('delete element inet f svc { 8000 }\ndelete chain inet f tmp');
  // Sets come and go, a named one and a rule's anonymous ones, and later ones take their descriptors and memory.
  for (let k = 0; k < 4; k++) {
    out.push(`add chain inet f sc${k}\nadd set inet f ts${k} { type ipv4_addr; elements = { 10.0.0.${5 - (k & 1)} }; }\nadd rule inet f sc${k} ip saddr @ts${k} drop\n` +
      `add rule inet f sc${k} ip saddr { 10.0.0.2, 10.0.0.66 } tcp dport { 8003, 22 } drop\nadd element inet f svc { 8003 : jump sc${k} }`);
    out.push(`delete element inet f svc { 8003 }\nflush chain inet f sc${k}\ndelete chain inet f sc${k}\ndelete set inet f ts${k}`);
  }
  out.push('delete element inet f blocked { 10.0.0.66 }');
  out.push('flush chain inet f ssh\nadd rule inet f ssh accept');
  for (let k = 0; k < 4; k++) out.push(`add element inet f blocked { 10.0.0.${20 + k}, 10.0.0.${4 - (k & 1)} }`, `delete element inet f blocked { 10.0.0.${20 + k} }`);
  out.push('flush set inet f blocked');
  out.push('add chain inet f tmp2 { ip saddr 10.0.0.2 drop; }\nadd element inet f svc { 8000 : jump tmp2 }');
  // A policy per generation, and a jump checked by the walk of what it reaches.
  out.push('add chain inet f input { type filter hook input priority filter; policy accept; }');
  out.push('add rule inet f input tcp dport 8003 jump ssh');
  out.push('add chain inet f input { type filter hook input priority filter; policy drop; }');
  return out;
}

/** Received packets to 10.0.0.1 from a few sources to a few services. */
function packets(): PacketIn[] {
  const out: PacketIn[] = [];
  for (const src of ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.66', '10.0.0.200']) {
    for (const dport of [22, 80, 443, 8000, 8003, 8443]) out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) })));
    out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: udp({ dport: 53 }) })));
  }
  return out;
}

/** Each packet's outcome on a fresh single-threaded engine loaded with `program`: verdict, chain name, rule handle. */
async function expected(program: Program, pkts: PacketIn[]): Promise<string[]> {
  const e = await engine();
  e.load(encodeBytecode(program));
  const r = e.evaluate(pkts);
  return pkts.map((_, i) => `${r.verdict(i)} ${program.chains[r.chain(i)]?.name ?? '-'}#${r.rule(i)}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('evaluator threads over a shared memory', () => {
  let pool: EvaluatorPool | undefined;
  afterAll(async () => pool?.close());

  it('two threads evaluate while a third commits: each packet sees exactly one whole generation', async () => {
    const e = await sharedEngine();
    const ref = new LiveRuleset();
    e.apply(BASE, 'base.nft');
    ref.apply(BASE, 'base.nft');
    pool = await EvaluatorPool.start(e, shared, 2, { batchBytes: 1 << 20, recordBytes: 64 << 10 });
    const pkts = packets();
    // The engine's own view: chain indices as the VM has them (chains added in place come after the others).
    const programs = new Map<number, Program>([[e.generation & 0xffff, e.program!]]);
    const stop = new SharedArrayBuffer(4);
    const runs = [0, 1].map((i) => pool!.run(i, { packets: pkts, stop, outcomes: true }));
    let inPlace = 0;
    let setsInPlace = 0;
    for (const [k, text] of stream().entries()) {
      await sleep(3);
      const before = e.image;
      e.apply(text, `step${k + 1}.nft`);
      ref.apply(text, `step${k + 1}.nft`);
      if (e.image === before) inPlace++;
      if (e.image === before && / ts\d/.test(text)) setsInPlace++;
      programs.set(e.generation & 0xffff, e.program!);
    }
    await sleep(3);
    Atomics.store(new Int32Array(stop), 0, 1);
    const replies = await Promise.all(runs);

    const want = new Map<number, string[]>();
    for (const [g, p] of programs) want.set(g, await expected(p, pkts));
    const gens = new Set<number>();
    let checked = 0;
    for (const reply of replies) {
      expect(reply.batches).toBeGreaterThan(10);
      for (const o of reply.outcomes!) {
        const [i, g, verdict, chain, rule] = o.split(' ').map(Number) as [number, number, number, number, number];
        const p = programs.get(g);
        expect(p, `packet ${i} saw generation ${g}, which no commit made`).toBeDefined();
        expect(`${verdict} ${p!.chains[chain]?.name ?? '-'}#${rule}`, `packet ${i} in generation ${g}`).toBe(want.get(g)![i]);
        gens.add(g);
        checked++;
      }
    }
    // Both commit paths ran, and the threads saw many of the generations.
    expect(inPlace).toBeGreaterThan(10);
    // Every set that came and went did so in place (descriptors and memory reused under the threads).
    expect(setsInPlace).toBe(8);
    expect(inPlace).toBeLessThan(stream().length);
    expect(gens.size).toBeGreaterThan(5);
    expect(checked).toBeGreaterThan(gens.size * pkts.length * 0.5);
    // The listing equals the compiler-only reference.
    const strip = (s: string) => s.replace(/counter packets \d+ bytes \d+/g, 'counter');
    expect(strip(e.list({ handles: true }))).toBe(strip(ref.list({ handles: true })));
  });

  it('counters stay exact while several threads count into them', async () => {
    const e = await sharedEngine();
    e.load('table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter\n\t\ttcp dport 80 counter\n\t}\n}\n', 'c.nft');
    const p = await EvaluatorPool.start(e, shared, 2, { batchBytes: 1 << 20, recordBytes: 64 << 10 });
    try {
      const pkts = packets();
      const repeat = 3000;
      const replies = await Promise.all([0, 1].map((i) => p.run(i, { packets: pkts, repeat, raw: true })));
      e.evaluate(pkts);
      const total = replies.reduce((n, r) => n + r.packets, 0) + pkts.length;
      expect(total).toBe((2 * repeat + 1) * pkts.length);
      const bytes = (n: number) => BigInt(n) * BigInt(pkts.reduce((s, q) => s + q.data.length - 14, 0));
      const counters = [...e.ruleCounters().values()];
      expect(counters[0]).toMatchObject({ packets: BigInt(total), bytes: bytes(2 * repeat + 1) });
      const web = pkts.filter((q) => q.data[14 + 20 + 2] === 0 && q.data[14 + 20 + 3] === 80 && q.data[14 + 9] === 6).length;
      expect(counters[1]!.packets).toBe(BigInt(web * (2 * repeat + 1)));
    } finally {
      await p.close();
    }
  });

  it('what a commit deletes is reclaimed only after every evaluator left the batch it was in', async () => {
    const e = await sharedEngine();
    e.apply(BASE, 'base.nft');
    const spec = e.newEvaluator({ batchBytes: 64 << 10, recordBytes: 64 << 10 });
    const i32 = new Int32Array(spec.memory.buffer);
    const slot = (spec.ctl + abi.VM_WORKER_EPOCHS) >> 2;
    // The 'blocked' set's entry of 10.0.0.66 (its first element): its flags word.
    const v = new DataView(spec.memory.buffer);
    const rs = v.getUint32(spec.ctl + abi.VM_ACTIVE, true);
    const sd = v.getUint32(rs + layout.RS_SETS, true);
    const entry = v.getUint32(sd + layout.SD_ENTRIES, true);
    const flagsAt = entry + v.getUint16(sd + layout.SD_EFLAGS_AT, true);
    expect(v.getUint32(flagsAt, true) & layout.EntryFlags.Live).toBe(layout.EntryFlags.Live);
    // An evaluator is in a batch that began in this generation (as evaluateBatch marks it).
    Atomics.store(i32, slot, (v.getUint32(spec.ctl + abi.VM_GENERATION, true) + 1) | 0);
    const blocked = rx(ipv4({ src: '10.0.0.66', dst: '10.0.0.1', l4: udp({ dport: 53 }) }));
    expect(e.evaluate([blocked]).verdict(0)).toBe(abi.Verdict.Drop);
    const before = e.image;
    e.apply('delete element inet f blocked { 10.0.0.66 }', 'del.nft');
    expect(e.image).toBe(before);
    // New packets see the new generation at once...
    expect(e.evaluate([blocked]).verdict(0)).toBe(abi.Verdict.Accept);
    // ...but the entry stays whole for the evaluator still in the old one.
    expect(v.getUint32(flagsAt, true) & layout.EntryFlags.Live).toBe(layout.EntryFlags.Live);
    // Another thread ends that batch after 200 ms, marking `ended` first; reclaim() waits for it.
    const ended = new Int32Array(new SharedArrayBuffer(4));
    const release = new Worker(
      `const { workerData: { buf, slot, ended } } = require('node:worker_threads');
       const i32 = new Int32Array(buf);
       Atomics.wait(i32, 0, 0, 200);
       Atomics.store(ended, 0, 1);
       Atomics.store(i32, slot, 0);
       Atomics.notify(i32, slot);`,
      { eval: true, workerData: { buf: spec.memory.buffer, slot, ended } },
    );
    e.reclaim();
    // Returned after the batch ended, not on a clock.
    expect(Atomics.load(ended, 0)).toBe(1);
    await release.terminate();
    expect(Atomics.load(i32, slot)).toBe(0);
    expect(v.getUint32(flagsAt, true)).toBe(0);
    expect(e.evaluate([blocked]).verdict(0)).toBe(abi.Verdict.Accept);
  });

  it('a thread that ends in the middle of a batch holds no commit back', async () => {
    const e = await sharedEngine();
    e.apply(BASE, 'base.nft');
    // Pinned in a batch of the current generation, then gone: the grace period stops waiting for it.
    const spec = e.newEvaluator({ batchBytes: 64 << 10, recordBytes: 64 << 10 });
    const i32 = new Int32Array(spec.memory.buffer);
    Atomics.store(i32, spec.epoch >> 2, e.generation * 2 + 1);
    e.apply('add element inet f blocked { 10.0.0.7 }');
    e.evaluatorGone(spec);
    e.reclaim();
    expect(Atomics.load(i32, spec.epoch >> 2)).toBe(0);
    // A pool's thread terminated while it evaluates large batches without end.
    const p = await EvaluatorPool.start(e, shared, 1, { batchBytes: 1 << 20, recordBytes: 64 << 10 });
    const run = p.run(0, { packets: Array.from({ length: 20 }, () => packets()).flat(), raw: true }).catch(() => undefined);
    await sleep(30);
    await p.close();
    await run;
    // Its exit cleared its epoch, as every other evaluator's is: the grace period of the next commit has nothing to wait for.
    const epochs = new Int32Array(spec.memory.buffer, spec.ctl + abi.VM_WORKER_EPOCHS, abi.WORKERS_MAX);
    expect([...epochs]).toEqual(Array<number>(abi.WORKERS_MAX).fill(0));
    e.apply('delete element inet f blocked { 10.0.0.7 }');
    expect(e.evaluate([rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1', l4: udp({ dport: 53 }) }))]).verdict(0)).toBe(abi.Verdict.Accept);
  });

  it('refuses state that threads would race on, and what needs the single-threaded engine', async () => {
    const e = await sharedEngine();
    const limit = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 limit rate 10/second accept\n\t}\n}\n';
    expect(() => e.load(limit, 'limit.nft')).toThrowError(EngineLoadError);
    expect(() => e.load(limit, 'limit.nft')).toThrowError(/limit.*threads/);
    await expect(Engine.create({ wasm: shared, shared: true })).rejects.toThrow(/conntrack: false/);
    await expect(Engine.create({ wasm: shared })).rejects.toThrow(/shared: true/);
    const single = await engine();
    expect(() => single.newEvaluator()).toThrow(/shared: true/);
    const spec = e.newEvaluator();
    const w = await Engine.attach(shared, spec);
    expect(() => w.load(limit)).toThrow(/evaluates over a shared engine/);
    expect(() => w.apply('add table ip t')).toThrow(/evaluates over a shared engine/);
  });
});
