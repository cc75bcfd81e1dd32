// Conntrack throughput and memory (issue 4 §5): established traffic through
// `ct state established,related accept` (a few flows; 1,000,000 live
// connections picked at random), a new connection every packet (new UDP flow
// or TCP SYN, older entries expired or evicted), the 20-rule server ruleset of
// bench/vm.ts with conntrack off and on side by side, and the table's bytes
// per connection. Packets are 64-byte frames with valid checksums (the
// tracker checks them at prerouting, as nf_conntrack_checksum=1 does); rows
// write their batches into VM memory once and time evaluate() calls.
// Run: `npm run bench:ct` (or `npm run bench`). Prints tables.

import { printTables } from './table.js';
import { xorshift32 } from '../test/rng.js';
import { SERVER_HOST, serverRuleset } from './server-ruleset.js';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as abi from '../assembly/abi.js';
import { encodeBytecode, programOf } from '../compiler/bytecode.js';
import { compileRuleset, renderDiagnostics } from '../compiler/ruleset.js';
import { Engine, type ConntrackOptions, type HostModel, type PacketIn } from '../src/engine.js';
import { compileHost, hookPath } from '../src/host.js';

const BATCH = 4096;
const REPS = 9;
/** Wall-clock target of one timed repetition. */
const REP_MS = 60;

const wasm = await WebAssembly.compile(readFileSync(new URL('../build/nftvm.wasm', import.meta.url)));

const HOST: HostModel = SERVER_HOST;
const CHOST = compileHost(HOST);
const LOCAL4 = [192, 168, 1, 10];
const LOCAL6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
/** Packet time of the first packet: ns since the epoch (small enough for exact Number arithmetic). */
const T0 = 1e15;

// ---------------------------------------------------------------- packets

/** Deterministic PRNG (xorshift32), so every run times the same packets. */
const rnd = xorshift32(0x2468ace1);
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;

function sum16(b: Uint8Array, from: number, len: number, s = 0): number {
  for (let i = 0; i < len; i += 2) s += (b[from + i]! << 8) | (i + 1 < len ? b[from + i + 1]! : 0);
  return s;
}
const fold = (s: number) => {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
};

/** A flow: protocol, client and server addresses (4 or 16 bytes), ports (ICMP: `sport` is the echo id). */
interface Flow {
  proto: number;
  cli: number[];
  srv: number[];
  sport: number;
  dport: number;
}

/** The L4 header of a packet of `f`; `reply` = server to client. TCP: flags, seq, ack. */
function l4(f: Flow, reply: boolean, tcp?: { flags: number; seq: number; ack: number }): Uint8Array {
  const sp = reply ? f.dport : f.sport;
  const dp = reply ? f.sport : f.dport;
  if (f.proto === 6) {
    const t = new Uint8Array(20);
    const { flags, seq, ack } = tcp ?? { flags: 0x02, seq: 1000, ack: 0 };
    t.set([sp >> 8, sp & 255, dp >> 8, dp & 255, seq >>> 24, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255, ack >>> 24, (ack >>> 16) & 255, (ack >>> 8) & 255, ack & 255, 0x50, flags, 0xff, 0xff]);
    return t;
  }
  if (f.proto === 17) return Uint8Array.from([sp >> 8, sp & 255, dp >> 8, dp & 255, 0, 8, 0, 0]);
  // ICMP / ICMPv6 echo: request from the client, reply from the server; id = sport.
  const v6 = f.proto === 58;
  const type = v6 ? (reply ? 129 : 128) : reply ? 0 : 8;
  return Uint8Array.from([type, 0, 0, 0, f.sport >> 8, f.sport & 255, 0, 1]);
}

/** An IP packet of `f` with every checksum right. */
function ipPacket(f: Flow, reply: boolean, tcp?: { flags: number; seq: number; ack: number }): Uint8Array {
  const src = reply ? f.srv : f.cli;
  const dst = reply ? f.cli : f.srv;
  const body = l4(f, reply, tcp);
  const csumAt = f.proto === 6 ? 16 : f.proto === 17 ? 6 : 2;
  if (src.length === 4) {
    const p = new Uint8Array(20 + body.length);
    p.set([0x45, 0, 0, p.length, 0, 1, 0x40, 0, 64, f.proto, 0, 0, ...src, ...dst]);
    const c = fold(sum16(p, 0, 20));
    p[10] = c >> 8;
    p[11] = c & 255;
    p.set(body, 20);
    // ICMP has no pseudo-header.
    const pseudo = f.proto === 1 ? 0 : sum16(p, 12, 8) + f.proto + body.length;
    const x = fold(sum16(p, 20, body.length, pseudo));
    p[20 + csumAt] = x >> 8;
    p[20 + csumAt + 1] = x & 255;
    return p;
  }
  const p = new Uint8Array(40 + body.length);
  p.set([0x60, 0, 0, 0, body.length >> 8, body.length & 255, f.proto, 64, ...src, ...dst]);
  p.set(body, 40);
  const x = fold(sum16(p, 40, body.length, sum16(p, 8, 32) + f.proto + body.length));
  p[40 + csumAt] = x >> 8;
  p[40 + csumAt + 1] = x & 255;
  return p;
}

/** A received 64-byte Ethernet frame from the client (or an outgoing IP packet from the server, for replies). */
function packet(f: Flow, reply = false, tcp?: { flags: number; seq: number; ack: number }): PacketIn {
  const ip = ipPacket(f, reply, tcp);
  if (reply) return { data: ip, iif: 0, tstamp: BigInt(T0) };
  const fr = new Uint8Array(Math.max(64, 14 + ip.length));
  fr.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ...(ip.length && f.cli.length === 16 ? [0x86, 0xdd] : [0x08, 0x00])]);
  fr.set(ip, 14);
  return { data: fr, iif: 2, tstamp: BigInt(T0) };
}

const pub4 = (): number[] => [11 + (rnd() % 180), rnd() & 255, rnd() & 255, 1 + (rnd() % 254)];
const pub6 = (): number[] => [0x24, 0x00, rnd() & 255, rnd() & 255, 0, 0, 0, 0, 0, 0, 0, 0, rnd() & 255, rnd() & 255, rnd() & 255, 1];
const eph = (): number => 32768 + (rnd() % 28000);

/** The server's traffic mix of bench/vm.ts as flows: services, scans, blocklisted and IPv6 sources. */
function serverFlow(): Flow {
  const r = rnd() % 100;
  const f = (proto: number, cli: number[], dport: number, srv = LOCAL4): Flow => ({ proto, cli, srv, sport: eph(), dport });
  if (r < 40) return f(6, pub4(), pick([80, 443, 443, 443, 25, 993, 8443]));
  if (r < 55) return f(6, pub4(), 1 + (rnd() % 1023));
  if (r < 70) return f(17, pub4(), pick([53, 123]));
  if (r < 80) return f(17, pub4(), 1024 + (rnd() % 30000));
  if (r < 85) return f(1, pub4(), 0);
  if (r < 90) return f(6, [198, 51, 100, rnd() & 255], 443);
  return f(17, pub6(), pick([53, 123, 9999, 40000]), LOCAL6);
}

// --------------------------------------------------------------- rulesets


/** The 20-rule server ruleset of bench/vm.ts; `ct` puts `ct state established,related accept` first. */
const server = serverRuleset;

/** Stateful firewall: established and related first, new connections to open ports. */
const STATEFUL = `table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    ct state new meta l4proto { tcp, udp, icmp } accept
  }
}
`;
/** The same without conntrack: accepts the same packets statelessly. */
const STATELESS = `table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    meta l4proto { tcp, udp, icmp } accept
  }
}
`;

function image(text: string): Uint8Array {
  const r = compileRuleset({ name: 'bench.nft', text });
  if (r.diagnostics.length) throw new Error(renderDiagnostics(r.diagnostics));
  return encodeBytecode(programOf(r));
}

async function engine(text: string, conntrack: ConntrackOptions = {}, batchBytes = 4 << 20): Promise<Engine> {
  const e = await Engine.create({ wasm, host: HOST, rulesetBytes: 4 << 20, imageBytes: 1 << 20, batchBytes, recordBytes: 64 << 10, conntrack });
  e.load(image(text));
  return e;
}

/** Runs packets through the host path (setup: handshakes, replies), in batches. */
function feed(e: Engine, packets: PacketIn[]): void {
  for (let i = 0; i < packets.length; i += BATCH) e.evaluate(packets.slice(i, i + BATCH));
}

// -------------------------------------------------- resident batches, timing

const align4 = (n: number) => (n + 3) & ~3;

/** Batch area bytes for `blocks` of BATCH frames of up to 64 bytes (data kept in place for all of them). */
const areaFor = (blocks: number) => align4(abi.BATCH_HEADER_SIZE + BATCH * (abi.PKT_SIZE + abi.RES_SIZE)) + blocks * BATCH * 96 + (1 << 16);

/**
 * Blocks of BATCH packets written into the batch area once (bytes of every
 * block side by side, descriptors kept aside). run(k) copies block k's
 * descriptors into place (when there are several blocks), optionally sets
 * every descriptor's time, and evaluates.
 */
class Resident {
  private readonly descs: Uint8Array[];
  private readonly mem: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly base: number;
  private placed = -1;

  constructor(private readonly e: Engine, blocks: PacketIn[][]) {
    const { mem, base, size } = e.batchView();
    this.mem = mem;
    this.base = base;
    this.u32 = new Uint32Array(mem.buffer);
    let at = align4(abi.BATCH_HEADER_SIZE + BATCH * (abi.PKT_SIZE + abi.RES_SIZE));
    this.descs = blocks.map((block) => {
      const d = new Uint8Array(block.length * abi.PKT_SIZE);
      const dv = new DataView(d.buffer);
      block.forEach((p, k) => {
        const q = k * abi.PKT_SIZE;
        const ether = p.ether ?? (p.iif ?? 0) !== 0;
        const path = hookPath(CHOST, p.data, { iif: p.iif ?? 0, ether });
        if (at + p.data.length > size) throw new Error('batch area too small');
        mem.set(p.data, base + at);
        dv.setUint32(q + abi.PKT_DATA, at, true);
        dv.setUint32(q + abi.PKT_LEN, p.data.length, true);
        d[q + abi.PKT_FAMILY] = path.family;
        d[q + abi.PKT_FLAGS] = ether ? abi.PktFlags.Ether : 0;
        d[q + abi.PKT_HOOK_COUNT] = path.hooks.length;
        path.hooks.forEach((h, i) => (d[q + abi.PKT_HOOKS + i] = h));
        dv.setUint32(q + abi.PKT_IIF, p.iif ?? 0, true);
        dv.setUint32(q + abi.PKT_OIF, path.oif, true);
        dv.setBigUint64(q + abi.PKT_TSTAMP, p.tstamp ?? 0n, true);
        at += align4(p.data.length);
      });
      return d;
    });
    const w = base >> 2;
    this.u32[w + (abi.BATCH_FLAGS >> 2)] = 0;
    this.u32[w + (abi.BATCH_RESULTS >> 2)] = abi.BATCH_HEADER_SIZE + BATCH * abi.PKT_SIZE;
  }

  get blocks(): number {
    return this.descs.length;
  }

  /** Evaluates block k; `tns` (ns since the epoch, exact below 2^53) replaces every packet's time. */
  run(k: number, tns?: number): void {
    const d = this.descs[k]!;
    if (this.placed !== k || this.descs.length > 1) {
      this.mem.set(d, this.base + abi.BATCH_HEADER_SIZE);
      this.placed = k;
    }
    const n = d.length / abi.PKT_SIZE;
    const w = this.base >> 2;
    this.u32[w + (abi.BATCH_COUNT >> 2)] = n;
    if (tns !== undefined) {
      const lo = tns % 4294967296;
      const hi = (tns - lo) / 4294967296;
      let q = (this.base + abi.BATCH_HEADER_SIZE + abi.PKT_TSTAMP) >> 2;
      for (let i = 0; i < n; i++, q += abi.PKT_SIZE >> 2) {
        this.u32[q] = lo;
        this.u32[q + 1] = hi;
      }
    }
    if (this.e.evaluateRaw() < 0) throw new Error('batch header rejected by the VM');
  }

  /** Share of the last batch's packets with a verdict of accept, and with `ct state` bits `bits`. */
  check(bits: number): { accepted: number; state: number } {
    const n = this.u32[(this.base + abi.BATCH_COUNT) >> 2]!;
    const res = this.base + abi.BATCH_HEADER_SIZE + BATCH * abi.PKT_SIZE;
    let a = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = res + i * abi.RES_SIZE;
      if ((this.u32[(r + abi.RES_VERDICT) >> 2]! & 0xff) === abi.Verdict.Accept) a++;
      if (this.mem[r + abi.RES_CTSTATE] === bits) s++;
    }
    return { accepted: a / n, state: s / n };
  }
}

interface Row {
  section: string;
  name: string;
  /** Median and best ns/packet. */
  ns: number;
  best: number;
  accepted: number;
  /** Share of packets with the expected ct state (undefined: conntrack not in use). */
  state?: number;
  /** Floor of the issue: `pps` (at least) or `+ns` over the baseline row (at most). */
  floor?: string;
  meets?: boolean;
  note?: string;
}
const rows: Row[] = [];

/** One row of a group: blocks to cycle over, the ct state its packets must get, a floor. */
interface Case {
  name: string;
  res: Resident;
  /** Expected `ct state` bits (undefined: conntrack not in use). */
  expect?: number;
  /** Every call's packets are this much later than the last call's (ns). */
  stepNs?: number;
  /** At least this many Mpps. */
  floorMpps?: number;
  /** At most this many ns per packet more than the group's first case (median of the per-round differences). */
  budgetNs?: number;
  /** Note the difference with the group's first case (implied by budgetNs). */
  vsFirst?: boolean;
  note?: string;
}

/**
 * Times the cases of a group interleaved: after warm-up and calibration,
 * REPS rounds each run every case once for ~REP_MS, so a machine busy with
 * something else slows all of them alike. Medians and bests per case; a
 * budget compares the per-round differences with the first case.
 */
function group(section: string, cases: Case[]): Row[] {
  const calls = cases.map((c) => {
    let k = 0;
    let t = T0 + 1e9;
    return () => {
      if (c.stepNs !== undefined) t += c.stepNs;
      c.res.run(k, c.stepNs !== undefined ? t : undefined);
      k = k + 1 === c.res.blocks ? 0 : k + 1;
    };
  });
  // Warm-up (JIT tiers, and for expiring rows a table in its steady state), then iterations for ~REP_MS.
  const iters = calls.map((call, i) => {
    for (let w = 0; w < Math.max(cases[i]!.res.blocks, 8); w++) call();
    let n = 1;
    for (;;) {
      const t0 = performance.now();
      for (let j = 0; j < n; j++) call();
      const dt = performance.now() - t0;
      if (dt >= REP_MS / 4) return Math.max(1, Math.round((n * REP_MS) / dt));
      n *= 2;
    }
  });
  const samples: number[][] = cases.map(() => []);
  for (let r = 0; r < REPS; r++) {
    calls.forEach((call, i) => {
      const t0 = performance.now();
      for (let j = 0; j < iters[i]!; j++) call();
      samples[i]!.push(((performance.now() - t0) * 1e6) / (iters[i]! * BATCH));
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const out = cases.map((c, i) => {
    calls[i]!();
    const chk = c.res.check(c.expect ?? 0);
    const row: Row = { section, name: c.name, ns: median(samples[i]!), best: Math.min(...samples[i]!), accepted: chk.accepted, ...(c.expect !== undefined ? { state: chk.state } : {}), ...(c.note ? { note: c.note } : {}) };
    if (c.floorMpps !== undefined) {
      row.floor = `≥ ${c.floorMpps} Mpps`;
      row.meets = 1e3 / row.ns >= c.floorMpps;
    }
    if (c.budgetNs !== undefined || c.vsFirst) {
      const d = median(samples[i]!.map((x, r) => x - samples[0]![r]!));
      const first = cases[0]!.name;
      row.note = `${d >= 0 ? '+' : ''}${d.toFixed(1)} ns vs ${first.startsWith('baseline') ? 'baseline' : first.replace(/^.*, /, '')}${c.note ? `; ${c.note}` : ''}`;
      if (c.budgetNs !== undefined) {
        row.floor = `≤ +${c.budgetNs} ns`;
        row.meets = d <= c.budgetNs;
      }
    }
    return row;
  });
  rows.push(...out);
  return out;
}

const EST = abi.CtStateBit.Established;
const NEW = abi.CtStateBit.New;
/** One step of packet time that expires every entry of the previous call (TCP SYN_SENT 120 s, UDP and ICMP 30 s). */
const EXPIRE = 121e9;

// ------------------------------------------------------------------ cases

// Established: a few flows (TCP after a full handshake, UDP after a reply).
{
  const tcp: Flow[] = Array.from({ length: 8 }, () => ({ proto: 6, cli: pub4(), srv: LOCAL4, sport: eph(), dport: 443 }));
  const udp: Flow[] = Array.from({ length: 8 }, () => ({ proto: 17, cli: pub4(), srv: LOCAL4, sport: eph(), dport: 53 }));
  const ack = (f: Flow) => packet(f, false, { flags: 0x10, seq: 1001, ack: 5001 });
  const handshakes = (e: Engine) => feed(e, tcp.flatMap((f) => [packet(f), packet(f, true, { flags: 0x12, seq: 5000, ack: 1001 }), ack(f)]));
  const tcpBlock = Array.from({ length: BATCH }, (_, i) => ack(tcp[i % tcp.length]!));
  const udpBlock = Array.from({ length: BATCH }, (_, i) => packet(udp[i % udp.length]!));
  const e = await engine(STATEFUL);
  handshakes(e);
  feed(e, udp.flatMap((f) => [packet(f), packet(f, true)]));
  // What verifying L4 checksums costs (the kernel skips it for packets the NIC verified).
  const e2 = await engine(STATEFUL, { checksum: false });
  handshakes(e2);
  group('established traffic, ct state established,related accept', [
    { name: 'baseline: stateless accept (meta l4proto), 8 TCP flows', res: new Resident(await engine(STATELESS), [tcpBlock]), note: 'no conntrack' },
    { name: '8 TCP flows (ACKs after the handshake)', res: new Resident(e, [tcpBlock]), expect: EST, floorMpps: 10, vsFirst: true },
    { name: '8 UDP flows (requests after a reply)', res: new Resident(e, [udpBlock]), expect: EST, floorMpps: 10, vsFirst: true },
    { name: '8 TCP flows, nf_conntrack_checksum=0', res: new Resident(e2, [tcpBlock]), expect: EST, floorMpps: 10, vsFirst: true, note: 'checksums not verified' },
  ]);
}

// Established, spread at random over 1,000,000 (and, for scale, 10,000 and 100,000) live UDP connections.
let million: { bytes: number; grown: number; entries: number; max: number; buckets: number } | undefined;
{
  const blocks = 64;
  const cases: Case[] = [];
  let flows: Flow[] = [];
  for (const N of [10_000, 100_000, 1_000_000]) {
    const e = await engine(STATEFUL, { hashsize: N, max: N }, areaFor(blocks));
    flows = [];
    for (let i = 0; i < N; i++) {
      // Distinct clients: 11.0.0.0 + i, random ports.
      const a = (11 << 24) + i;
      flows.push({ proto: 17, cli: [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255], srv: LOCAL4, sport: eph(), dport: pick([53, 123, 443, 4500]) });
    }
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const part = flows.slice(i, i + BATCH);
      feed(e, part.map((f) => packet(f)));
      feed(e, part.map((f) => packet(f, true)));
    }
    const setup = performance.now() - t0;
    const st = e.conntrackStats()!;
    if (N === 1_000_000) million = { bytes: st.memoryBytes, grown: e.conntrackBytes, entries: st.entries, max: st.max, buckets: st.buckets };
    const all = flows;
    cases.push({
      name: `UDP requests to random connections of ${N.toLocaleString('en-US')}`,
      res: new Resident(e, Array.from({ length: blocks }, () => Array.from({ length: BATCH }, () => packet(all[rnd() % N]!)))),
      expect: EST, vsFirst: true, ...(N === 1_000_000 ? { floorMpps: 3 } : {}),
      note: `${st.entries.toLocaleString('en-US')} entries (${(st.memoryBytes / (1 << 20)).toFixed(0)} MiB); setup (${(2 * N).toLocaleString('en-US')} packets, host path) ${(setup / 1000).toFixed(1)} s`,
    });
  }
  const base = new Resident(await engine(STATELESS, {}, areaFor(blocks)), Array.from({ length: blocks }, () => Array.from({ length: BATCH }, () => packet(flows[rnd() % flows.length]!))));
  group('established traffic over 1,000,000 live connections', [{ name: 'baseline: stateless accept, same kind of packets', res: base, note: 'no conntrack' }, ...cases]);
}

// A new connection every packet.
{
  const blocks = 16;
  const newUdp = () => Array.from({ length: BATCH }, () => packet({ proto: 17, cli: pub4(), srv: LOCAL4, sport: eph(), dport: 53 }));
  const newSyn = () => Array.from({ length: BATCH }, () => packet({ proto: 6, cli: pub4(), srv: LOCAL4, sport: eph(), dport: 443 }));
  const e1 = await engine(STATEFUL, {}, areaFor(blocks));
  const synBlocks = Array.from({ length: blocks }, newSyn);
  // hashsize 1024 → max 8192: the table is full after two calls; early drop evicts unassured SYN_SENT entries.
  const e3 = await engine(STATEFUL, { hashsize: 1024 }, areaFor(blocks));
  const r = group('new connections (every packet a new flow)', [
    { name: 'baseline: stateless accept, new UDP flows', res: new Resident(await engine(STATELESS, {}, areaFor(blocks)), Array.from({ length: blocks }, newUdp)), stepNs: EXPIRE, note: 'no conntrack' },
    { name: 'new UDP flow, entries of the call before expired', res: new Resident(e1, Array.from({ length: blocks }, newUdp)), expect: NEW, stepNs: EXPIRE, floorMpps: 2, vsFirst: true, note: `default table (${e1.conntrackStats()!.max} entries), packet time +121 s per call` },
    { name: 'new TCP SYN, entries of the call before expired', res: new Resident(await engine(STATEFUL, {}, areaFor(blocks)), synBlocks), expect: NEW, stepNs: EXPIRE, floorMpps: 2, vsFirst: true, note: 'packet time +121 s per call' },
    { name: 'new TCP SYN, expired, nf_conntrack_checksum=0', res: new Resident(await engine(STATEFUL, { checksum: false }, areaFor(blocks)), synBlocks), expect: NEW, stepNs: EXPIRE, floorMpps: 2, vsFirst: true, note: 'checksums not verified' },
    { name: 'new TCP SYN, full table (early drop evicts)', res: new Resident(e3, synBlocks), expect: NEW, floorMpps: 2, vsFirst: true },
  ]);
  const st = e3.conntrackStats()!;
  r[4]!.note += `; max ${st.max}, early_drop ${st.earlyDrop.toLocaleString('en-US')}, drop ${st.drop.toLocaleString('en-US')}`;
}

// The 20-rule server ruleset, conntrack off vs on.
{
  const s = '20-rule server ruleset (bench/vm.ts), conntrack off vs on (ct state established,related accept first)';
  const blocks = 16;
  // Established: flows the server ruleset accepts, after a reply (TCP: a full handshake, then ACKs).
  const off = await engine(server(false), {}, areaFor(blocks));
  const accepted: Flow[] = [];
  while (accepted.length < 4 * BATCH) {
    const f = serverFlow();
    const r = off.evaluate([packet(f)]);
    if ((r.verdict(0) & 0xff) === abi.Verdict.Accept) accepted.push(f);
  }
  const estPacket = (f: Flow) => (f.proto === 6 ? packet(f, false, { flags: 0x10, seq: 1001, ack: 5001 }) : packet(f));
  const estBlocks = Array.from({ length: 4 }, (_, b) => accepted.slice(b * BATCH, (b + 1) * BATCH).map(estPacket));
  const on = await engine(server(true), {}, areaFor(blocks));
  for (const f of accepted) {
    feed(on, f.proto === 6 ? [packet(f), packet(f, true, { flags: 0x12, seq: 5000, ack: 1001 }), estPacket(f)] : [packet(f), packet(f, true)]);
  }
  group(s, [
    { name: 'established flows, conntrack off', res: new Resident(off, estBlocks), note: `${accepted.length} accepted flows of the mix, TCP after a handshake` },
    { name: 'established flows, conntrack on', res: new Resident(on, estBlocks), expect: EST, budgetNs: 40 },
  ]);
  // New flows: the whole mix (scans and blocklisted sources included), every packet a new tuple.
  const mixBlocks = Array.from({ length: blocks }, () => Array.from({ length: BATCH }, () => packet(serverFlow())));
  group(s, [
    { name: 'new flows (traffic mix), conntrack off', res: new Resident(await engine(server(false), {}, areaFor(blocks)), mixBlocks), stepNs: EXPIRE },
    { name: 'new flows (traffic mix), conntrack on', res: new Resident(await engine(server(true), {}, areaFor(blocks)), mixBlocks), expect: NEW, stepNs: EXPIRE, budgetNs: 300 },
  ]);
}

// ----------------------------------------------------------------- report

const mpps = (ns: number) => (1e3 / ns).toFixed(2);
console.log(`nftvm conntrack benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, one thread; batches of ${BATCH} frames (64 bytes, valid checksums); median (and best) of ${REPS} runs of ~${REP_MS} ms`);
console.log('Rows cycling over several batches copy each batch\'s descriptors into place per call; rows marked +121 s also rewrite every packet\'s time per call: both are timed, in the baselines as well.');
console.log('The rows of a table are timed interleaved (round after round, each row once per round); "+N ns vs" is the median of the per-round differences with the table\'s first row.');
const header = ['case', 'Mpps', 'ns/packet', 'best Mpps', 'accepted', 'ct state ok', 'floor', 'meets', 'note'];
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
printTables(header, rows.map((r) => ({
  section: r.section,
  cells: [r.name, mpps(r.ns), r.ns.toFixed(1), mpps(r.best), pct(r.accepted), r.state !== undefined ? pct(r.state) : '-', r.floor ?? '', r.meets === undefined ? '' : r.meets ? 'yes' : 'NO', r.note ?? ''],
})), (c) => c === header.length - 1);
if (million) {
  const per = million.bytes / million.max;
  console.log(`\ntable memory (hashsize ${million.buckets.toLocaleString('en-US')}, max ${million.max.toLocaleString('en-US')}, ${million.entries.toLocaleString('en-US')} live entries):`);
  console.log(`  ${(million.bytes / (1 << 20)).toFixed(1)} MiB laid out (4-byte buckets + ${abi.CTE_SIZE}-byte entries) = ${per.toFixed(1)} bytes per connection (floor ≤ 160: ${per <= 160 ? 'yes' : 'NO'}); wasm memory grew ${(million.grown / (1 << 20)).toFixed(1)} MiB at ctInit`);
  console.log(`  with accounting or labels (${abi.CTX_SIZE}-byte extension per entry): ${(per + abi.CTX_SIZE).toFixed(1)} bytes per connection`);
}
const ru = process.resourceUsage();
console.log(`\npeak memory: ${(ru.maxRSS / 1024).toFixed(0)} MiB resident (process max RSS, every engine above)`);
