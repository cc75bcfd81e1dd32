// Transactions on a live engine (src/transaction.ts, Engine.apply/list): a
// refused transaction changes nothing, counters survive commits that leave
// their rule alone, and no packet ever sees half a commit — every packet's
// path after a stream of commits equals its path on a fresh engine loaded
// with exactly the old or exactly the new generation.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBytecode } from '../compiler/bytecode.js';
import { LiveRuleset, TransactionError } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp, udp } from './assembly/vm/helpers.js';
import { BASE } from './live-base.js';


/** A stream of transactions: adds, inserts, deletes, replaces, flushes, set and map changes, chains. */
const STREAM = [
  'add rule inet f input tcp dport 8080 accept',
  'add element inet f blocked { 10.0.0.2 }',
  'insert rule inet f input ip saddr 10.0.0.3 drop',
  'delete element inet f blocked { 10.0.0.66 }',
  'replace rule inet f input handle 8 tcp dport { 80, 443, 8443 } counter drop',
  'add chain inet f web\nadd rule inet f web ip saddr 10.0.0.4 drop\nadd rule inet f web accept\nadd element inet f svc { 8443 : jump web }',
  'flush chain inet f ssh\nadd rule inet f ssh accept',
  'delete rule inet f input handle 12',
  'add chain inet f input { type filter hook input priority filter; policy accept; }',
  'flush set inet f blocked',
  'flush ruleset\ntable ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop;\n\t\ttcp dport 22 accept\n\t}\n}',
];

/** Received packets to 10.0.0.1 from a few sources to a few services. */
function packets(): PacketIn[] {
  const out: PacketIn[] = [];
  for (const src of ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.66', '10.0.0.200']) {
    for (const dport of [22, 80, 443, 8080, 8443]) out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) })));
    out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: udp({ dport: 53 }) })));
  }
  return out;
}

/** Each packet's path: final verdict, and every traced step (chain name, rule handle, record kind). */
function paths(e: Engine, pkts: PacketIn[]): string[] {
  const r = e.evaluate(pkts, { trace: 'all' });
  const steps: string[][] = pkts.map(() => []);
  for (const rec of r.records()) if (rec.kind !== abi.RecordKind.Packet) steps[rec.packet]?.push(`${rec.kind}:${e.chainName(rec.chain)}:${rec.rule}:${rec.sub}`);
  return pkts.map((_, i) => `${r.verdict(i)} ${e.chainName(r.chain(i)) ?? '-'}#${r.rule(i)} | ${steps[i]!.join(' ')}`);
}

/** A fresh engine running exactly one generation. */
async function freshAt(g: LiveRuleset): Promise<Engine> {
  const e = await engine();
  e.load(encodeBytecode(g.current.program));
  return e;
}

describe('Engine.apply', () => {
  it('a refused transaction leaves verdicts and listing as they were', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    const pkts = packets();
    const v = paths(e, pkts);
    // With what the packets counted.
    const before = e.list({ handles: true });
    expect(before).toMatch(/counter packets [1-9]/);
    expect(() => e.apply('add rule inet f input tcp dport 25 accept\nadd rule inet f nosuch accept', 'bad.nft')).toThrowError(TransactionError);
    expect(() => e.apply('add rule inet f ssh jump ssh', 'loop.nft')).toThrowError(/^loop\.nft:1:1-28: Error: Could not process rule: Too many links(\n|$)/);
    expect(e.list({ handles: true })).toBe(before);
    expect(paths(e, pkts)).toEqual(v);
  });

  it('`reset counters` zeroes the named counters and quotas the engine counted, before the batch: even a refused one', async () => {
    const e = await engine();
    e.apply('table ip t {\n\tcounter c { }\n\tcounter d { }\n\tquota q { over 1000 bytes }\n\tchain in {\n\t\ttype filter hook input priority 0;\n\t\tcounter name "c" counter name "d" quota name "q"\n\t}\n}\n', 'base.nft');
    const pkt = rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport: 80, flags: 0x02 }) }));
    const named = () => [...e.list().matchAll(/(?:packets (\d+) bytes \d+|over 1000 bytes(?: used (\d+) bytes)?)\n/g)].map((m) => Number(m[1] ?? m[2] ?? 0));
    e.evaluate([pkt, pkt]);
    const [c, d, q = 0] = named();
    expect(c).toBe(2);
    expect(d).toBe(2);
    // Two 40-byte packets (IPv4 + TCP, no options).
    expect(q).toBe(80);
    e.apply('reset counter ip t c', 'r1.nft');
    expect(named()).toEqual([0, 2, q]);
    e.evaluate([pkt]);
    expect(named()).toEqual([1, 3, q + q / 2]);
    // The kernel refuses the batch (no such chain), but nft had reset the quotas already.
    expect(() => e.apply('reset quotas\nadd rule ip t nochain accept', 'r2.nft')).toThrowError(TransactionError);
    expect(named()).toEqual([1, 3, 0]);
    // A counter the file adds keeps its declared value; the one before it is reset.
    e.apply('add counter ip t e { packets 7 bytes 70 }\nreset counters table ip t', 'r3.nft');
    expect(named()).toEqual([0, 0, 0, 7]);
    e.evaluate([pkt]);
    expect(named()).toEqual([1, 1, q / 2, 7]);
  });

  it('an engine running a bare image has nothing to apply changes to', async () => {
    const e = await engine();
    const ref = new LiveRuleset();
    ref.apply(BASE);
    e.load(encodeBytecode(ref.current.program));
    expect(() => e.apply('add rule inet f input accept')).toThrowError(/needs a ruleset loaded from text/);
  });

  it('counters of untouched rules survive a commit; the listing shows them', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    e.apply('add rule inet f input meta l4proto udp counter', 'c.nft');
    const pkts = packets();
    e.evaluate(pkts);
    e.apply('add rule inet f input tcp dport 9 accept', 'd.nft');
    const l = e.list();
    // 10.0.0.66 is blocked: 6 packets; 80 and 443 from the other four sources: 8.
    expect(l).toContain('ip saddr @blocked counter packets 6 bytes');
    expect(l).toContain('tcp dport { 80, 443 } counter packets 8 bytes');
    expect(l).toContain('tcp dport 9 accept');
    // Live: packets after the commit count on top.
    e.evaluate(pkts);
    expect(e.list()).toContain('ip saddr @blocked counter packets 12 bytes');
  });
});

describe('named objects across commits', () => {
  it('a named counter and quota keep counting; the listing shows their values', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    e.apply('add counter inet f seen\nadd quota inet f q { 1000 mbytes }\ninsert rule inet f input counter name seen quota name q', 'objs.nft');
    const pkts = packets();
    e.evaluate(pkts);
    e.apply('add rule inet f input tcp dport 9 accept', 'more.nft');
    e.evaluate(pkts);
    const bytes = 2 * pkts.reduce((n, p) => n + p.data.length - 14, 0);
    const l = e.list();
    expect(l).toContain(`\tcounter seen {\n\t\tpackets ${2 * pkts.length} bytes ${bytes}\n\t}`);
    expect(l).toMatch(/\tquota q \{\n\t\t1000 mbytes used \d+ (bytes|kbytes)\n\t\}/);
  });
});

describe('no packet sees half a commit', () => {
  it('every path equals the old or the new generation, never a mix', async () => {
    const e = await engine();
    const ref = new LiveRuleset();
    e.apply(BASE, 'base.nft');
    ref.apply(BASE, 'base.nft');
    const pkts = packets();
    const half = pkts.length >> 1;
    let changed = 0;
    for (const [k, text] of STREAM.entries()) {
      const old = await freshAt(ref);
      const oldPaths = paths(old, pkts);
      // Half a batch, then the commit, then the other half.
      const first = paths(e, pkts.slice(0, half));
      e.apply(text, `step${k + 1}.nft`);
      ref.apply(text, `step${k + 1}.nft`);
      const second = paths(e, pkts.slice(half));
      const neu = await freshAt(ref);
      const newPaths = paths(neu, pkts);
      expect(first).toEqual(oldPaths.slice(0, half));
      expect(second).toEqual(newPaths.slice(half));
      // And whole batches after it: exactly the new generation.
      expect(paths(e, pkts)).toEqual(newPaths);
      changed += newPaths.filter((p, i) => p !== oldPaths[i]).length;
      expect(e.list({ handles: true }).replace(/counter packets \d+ bytes \d+/g, 'counter')).toBe(ref.list({ handles: true }).replace(/counter packets \d+ bytes \d+/g, 'counter'));
    }
    // The stream really changes what packets see.
    expect(changed).toBeGreaterThan(20);
  });
});

describe('every corpus sequence on a live engine', () => {
  const corpus = join(__dirname, 'corpus/transactions');
  const names = readdirSync(corpus).sort();
  it('runs each accepted generation exactly as a fresh engine loaded with it', async () => {
    const pkts = packets();
    const problems: string[] = [];
    for (const name of names) {
      const e = await engine();
      const ref = new LiveRuleset();
      const files = readdirSync(join(corpus, name)).filter((f) => f.endsWith('.nft')).sort((a, b) => (a === 'base.nft' ? -1 : b === 'base.nft' ? 1 : Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0])));
      for (const f of files) {
        const text = readFileSync(join(corpus, name, f), 'utf8');
        let refOk = true;
        try {
          ref.apply(text, f);
        } catch {
          refOk = false;
        }
        let engineOk = true;
        try {
          e.apply(text, f);
        } catch (err) {
          engineOk = false;
          if (refOk) problems.push(`${name}/${f}: the VM refused an accepted generation: ${(err as Error).message.split('\n')[0]}`);
        }
        if (!refOk || !engineOk) continue;
        const fresh = await freshAt(ref);
        if (JSON.stringify(paths(e, pkts)) !== JSON.stringify(paths(fresh, pkts))) problems.push(`${name}/${f}: paths differ from a fresh engine`);
      }
    }
    expect(problems).toEqual([]);
  });
});
