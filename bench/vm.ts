// VM throughput: packets per second through build/nftvm.wasm for a realistic
// 20-rule inet server ruleset, linear non-matching rules (ns per rule), hash
// sets of 1,000 and 1,000,000 elements and an interval set of 100,000
// prefixes, each next to its baseline row in the same run. "VM" rows write a
// 4,096-packet batch (64-byte frames) into VM memory once and then time
// evaluate() alone; the "Engine.evaluate" row times the whole host path
// (descriptors + packet bytes written, hook paths, one wasm call).
// Run: `npm run bench` (builds the release wasm first). Prints tables.

import { printTables } from './table.js';
import { xorshift32 } from '../test/rng.js';
import { SERVER_HOST, serverRuleset } from './server-ruleset.js';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as abi from '../assembly/abi.js';
import { encodeBytecode, programOf } from '../compiler/bytecode.js';
import type { SetElem } from '../compiler/linearize.js';
import { compileRuleset, renderDiagnostics } from '../compiler/ruleset.js';
import { Engine, type HostModel, type PacketIn } from '../src/engine.js';

const BATCH = 4096;
const REPS = 9;
/** Wall-clock target of one timed repetition. */
const REP_MS = 60;

const wasm = await WebAssembly.compile(readFileSync(new URL('../build/nftvm.wasm', import.meta.url)));

const HOST: HostModel = SERVER_HOST;
const LOCAL4 = [192, 168, 1, 10];
const LOCAL6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

// ---------------------------------------------------------------- packets

/** Deterministic PRNG (xorshift32), so every run times the same packets. */
const rnd = xorshift32(0x12345678);
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;

function csum(b: Uint8Array, from: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[from + i]! << 8) | b[from + i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** A 64-byte Ethernet frame carrying IPv4: proto 6 (TCP), 17 (UDP) or 1 (ICMP, `sport` = type). */
function ipv4(src: number[], proto: number, sport: number, dport: number, dst: number[] = LOCAL4): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  const l4 = proto === 6 ? 20 : 8;
  const ip = 14;
  f.set([0x45, 0, 0, 20 + l4, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst], ip);
  const t = ip + 20;
  if (proto === 1) f.set([sport, 0, 0, 0, 0, 1, 0, 1], t);
  else {
    f.set([sport >> 8, sport & 255, dport >> 8, dport & 255], t);
    if (proto === 6) f.set([0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], t + 4);
    else f.set([0, 8, 0, 0], t + 4);
  }
  const c = csum(f, ip, 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 255;
  return f;
}

/** A 64-byte Ethernet frame carrying IPv6 + UDP. */
function ipv6udp(src: number[], sport: number, dport: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);
  f.set([0x60, 0, 0, 0, 0, 8, 17, 64, ...src, ...LOCAL6], 14);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 8, 0, 0], 54);
  return f;
}

const pub4 = (): number[] => [11 + (rnd() % 180), rnd() & 255, rnd() & 255, 1 + (rnd() % 254)];
const pub6 = (): number[] => [0x24, 0x00, rnd() & 255, rnd() & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rnd() & 255, 1];
const eph = (): number => 32768 + (rnd() % 28000);

/** The server's traffic mix: mostly services it offers, some scans, blocklisted and IPv6 sources. */
function serverPackets(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const r = rnd() % 100;
    if (r < 40) out.push(ipv4(pub4(), 6, eph(), pick([80, 443, 443, 443, 25, 993, 8443])));
    else if (r < 55) out.push(ipv4(pub4(), 6, eph(), 1 + (rnd() % 1023)));
    else if (r < 70) out.push(ipv4(pub4(), 17, eph(), pick([53, 123])));
    else if (r < 80) out.push(ipv4(pub4(), 17, eph(), 1024 + (rnd() % 30000)));
    else if (r < 85) out.push(ipv4(pub4(), 1, 8, 0));
    else if (r < 90) out.push(ipv4([198, 51, 100, rnd() & 255], 6, eph(), 443));
    else out.push(ipv6udp(pub6(), eph(), pick([53, 123, 9999, 40000])));
  }
  return out;
}

// --------------------------------------------------------------- rulesets

const SERVER = serverRuleset();

function inputChain(rules: string[], sets = ''): string {
  return `table inet filter {\n${sets}  chain input {\n    type filter hook input priority filter; policy drop;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`;
}

/** Compiles `text`; `fill` may replace set elements before encoding (large sets without huge source text). */
function image(text: string, fill?: (sets: { name: string; elements: SetElem[] }[]) => void): Uint8Array {
  const r = compileRuleset({ name: 'bench.nft', text });
  if (r.diagnostics.length) throw new Error(renderDiagnostics(r.diagnostics));
  const p = programOf(r);
  fill?.(p.sets);
  return encodeBytecode(p);
}

async function engine(img: Uint8Array, big = false): Promise<Engine> {
  const e = await Engine.create({ wasm, host: HOST, rulesetBytes: big ? 96 << 20 : 4 << 20, imageBytes: big ? 48 << 20 : 1 << 20, batchBytes: 2 << 20, recordBytes: 64 << 10 });
  e.load(img);
  return e;
}

// ----------------------------------------------------------------- timing

interface Row {
  section: string;
  name: string;
  /** Median ns per packet. */
  ns: number;
  /** Best ns per packet. */
  best: number;
  accepted: number;
  wasmBytes: number;
  extra?: string;
}

/** Median and best ns/packet of `f`, which evaluates `per` packets per call. */
function time(f: () => void, per: number): { ns: number; best: number } {
  let iters = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) f();
    const dt = performance.now() - t0;
    if (dt >= REP_MS / 4) {
      iters = Math.max(1, Math.round((iters * REP_MS) / dt));
      break;
    }
    iters *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) f();
    samples.push(((performance.now() - t0) * 1e6) / (iters * per));
  }
  samples.sort((a, b) => a - b);
  return { ns: samples[samples.length >> 1]!, best: samples[0]! };
}

const asPackets = (frames: Uint8Array[]): PacketIn[] => frames.map((data) => ({ data, iif: 2 }));

/** Evaluation alone: the batch is written once, then evaluate() runs it again and again. */
function vmRow(section: string, name: string, e: Engine, packets: PacketIn[]): Row {
  const res = e.evaluate(packets);
  let accepted = 0;
  for (let i = 0; i < res.count; i++) if ((res.verdict(i) & 0xff) === abi.Verdict.Accept) accepted++;
  const t = time(() => e.evaluateRaw(), packets.length);
  return { section, name, ...t, accepted: accepted / res.count, wasmBytes: memBytes(e) };
}

/** The host path: Engine.evaluate writes descriptors and bytes, computes hook paths, runs the batch. */
function engineRow(section: string, name: string, e: Engine, packets: PacketIn[]): Row {
  const res = e.evaluate(packets);
  let accepted = 0;
  for (let i = 0; i < res.count; i++) if ((res.verdict(i) & 0xff) === abi.Verdict.Accept) accepted++;
  const t = time(() => e.evaluate(packets), packets.length);
  return { section, name, ...t, accepted: accepted / res.count, wasmBytes: memBytes(e) };
}

function memBytes(e: Engine): number {
  return e.batchView().mem.buffer.byteLength;
}

// ------------------------------------------------------------------ cases

const rows: Row[] = [];
const server = asPackets(serverPackets(BATCH));

{
  const s = '20-rule inet server ruleset';
  rows.push(vmRow(s, 'baseline: policy only (0 rules)', await engine(image(inputChain([]))), server));
  rows.push(vmRow(s, 'baseline: 1 rule (tcp dport 22 accept)', await engine(image(inputChain(['tcp dport 22 accept']))), server));
  const e = await engine(image(SERVER));
  rows.push(vmRow(s, 'server ruleset, VM evaluate()', e, server));
  rows.push(engineRow(s, 'server ruleset, Engine.evaluate (host path)', e, server));
}

{
  const s = 'linear non-matching rules (udp dport N drop)';
  const udp = asPackets(Array.from({ length: BATCH }, () => ipv4(pub4(), 17, eph(), 53)));
  let base = 0;
  for (const n of [0, 10, 100, 1000]) {
    const rules = Array.from({ length: n }, (_, k) => `udp dport ${10000 + k} drop`);
    const r = vmRow(s, n ? `${n} rules` : 'baseline: 0 rules (policy only)', await engine(image(inputChain(rules))), udp);
    if (!n) base = r.ns;
    else r.extra = `${((r.ns - base) / n).toFixed(2)} ns/rule`;
    rows.push(r);
  }
}

/** `n` distinct IPv4 keys (4-byte padded), shuffled deterministically. */
function keys4(n: number): number[] {
  const out: number[] = [];
  const used = new Set<number>();
  while (out.length < n) {
    const a = ((rnd() % 220) + 11) * 0x1000000 + (rnd() & 0xffffff);
    if (!used.has(a)) {
      used.add(a);
      out.push(a);
    }
  }
  return out;
}
const bytes4 = (a: number): number[] => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255];
const SET_RULE = ['ip saddr @s accept'];

{
  const s = 'set lookups (ip saddr @s accept, random hits)';
  const other = asPackets(Array.from({ length: BATCH }, () => ipv4(pub4(), 6, eph(), 443)));
  rows.push(vmRow(s, 'baseline: ip saddr 10.1.2.3 accept', await engine(image(inputChain(['ip saddr 10.1.2.3 accept']))), other));
  for (const n of [1000, 1_000_000]) {
    const ks = keys4(n);
    const img = image(inputChain(SET_RULE, '  set s { type ipv4_addr; elements = { 10.1.2.3 } }\n'), (sets) => {
      sets[0]!.elements = ks.map((a) => ({ key: [Uint8Array.from(bytes4(a))], flags: 0 }));
    });
    const hits = asPackets(Array.from({ length: BATCH }, () => ipv4(bytes4(ks[rnd() % n]!), 6, eph(), 443)));
    rows.push(vmRow(s, `hash set, ${n.toLocaleString('en-US')} elements`, await engine(img, n > 10_000), hits));
  }
  {
    const n = 100_000;
    // Every other /24 from 11.0.0.0: start element, then the end element one /24 later.
    const base = 11 << 24;
    const img = image(inputChain(SET_RULE, '  set s { type ipv4_addr; flags interval; elements = { 10.1.2.0/24 } }\n'), (sets) => {
      const el: SetElem[] = [{ key: [new Uint8Array(4)], flags: 1 }];
      for (let i = 0; i < n; i++) {
        el.push({ key: [Uint8Array.from(bytes4(base + i * 512))], flags: 0 });
        el.push({ key: [Uint8Array.from(bytes4(base + i * 512 + 256))], flags: 1 });
      }
      sets[0]!.elements = el;
    });
    const hits = asPackets(Array.from({ length: BATCH }, () => ipv4(bytes4(base + (rnd() % n) * 512 + (rnd() & 255)), 6, eph(), 443)));
    rows.push(vmRow(s, `interval set, ${n.toLocaleString('en-US')} prefixes`, await engine(img, true), hits));
  }
}

// ----------------------------------------------------------------- report

const mpps = (ns: number) => (1e3 / ns).toFixed(2);
const mib = (b: number) => (b / (1 << 20)).toFixed(0);
console.log(`nftvm VM benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, one thread; batches of ${BATCH} 64-byte frames; median (and best) of ${REPS} runs of ~${REP_MS} ms`);
const header = ['case', 'Mpps', 'ns/packet', 'best Mpps', 'accepted', 'wasm MiB', 'note'];
printTables(header, rows.map((r) => ({ section: r.section, cells: [r.name, mpps(r.ns), r.ns.toFixed(1), mpps(r.best), `${(r.accepted * 100).toFixed(1)}%`, mib(r.wasmBytes), r.extra ?? ''] })), (c) => c === header.length - 1);
const ru = process.resourceUsage();
console.log(`\npeak memory: ${(ru.maxRSS / 1024).toFixed(0)} MiB resident (process max RSS, includes every engine above and compiling the large sets)`);
