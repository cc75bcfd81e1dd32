// assembly/defrag.ts: IPv4 / IPv6 reassembly in front of conntrack (kernel:
// ip_defrag, nf_ct_frag6_gather). The module is driven directly through a
// small entry compiled here (packet state set as the hook walk sets it, then
// defrag()); the kernel's recorded ip-fragments-ct scenario gives the datagrams
// the kernel built (quoted in its ICMP error, traced, echoed back).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import asc from 'assemblyscript/asc';
import { readCapture } from '../../../src/pcap/index.js';
import * as abi from '../../../assembly/abi.js';
import { csum, engine, ether, ipv4, ipv6, rx, tx, udp } from './helpers.js';
import { xorshift32 } from '../../rng.js';

const root = new URL('../../../', import.meta.url).pathname;

// The entry: regions, the reassembly area, and one call that runs defrag() on packet bytes the test wrote.
const ENTRY = `
import { initRegions, batch } from './mem';
import { defragInit, defrag, defragReason, defragQueues, defragMem, defragSetMaxDist, defragSetTimeout, defragSetHighThresh } from './defrag';
import { packetReset, parseLink, pktinfoIpv4, pktinfoIpv6, setPacketMeta, setHookContext, setNftrace, setUntracked,
  pData, pEnd, pNh, pMac, pThoff, pTprot, pL4, pFragoff, pMark, pNftrace, pProto } from './packet';
export function setup(bytes: u32): usize { initRegions(4096, 4096, 1 << 20, 4096); defragInit(bytes); return batch; }
export function run(len: u32, ether: u32, v6: u32, hook: i32, dev: u32, mark: u32, t: u64, flags: u32): i32 {
  packetReset(batch, len, 0, 0);
  setPacketMeta(mark, 0, t);
  if (flags & 1) setNftrace(true);
  if (flags & 2) setUntracked();
  setHookContext(hook, v6 ? 10 : 2, hook == 0 ? dev : 0, hook == 0 ? 0 : dev);
  if (!parseLink(ether != 0, v6 ? 10 : 2)) return -1;
  if (!(v6 ? pktinfoIpv6(hook == 0) : pktinfoIpv4(hook == 0))) return -2;
  return defrag(v6 != 0);
}
export function reason(): i32 { return defragReason; }
export function queues(v6: i32): u32 { return defragQueues(v6); }
export function mem(v6: i32): u32 { return defragMem(v6); }
export function maxDist(n: u32): void { defragSetMaxDist(n); }
export function timeout(v6: i32, s: u32): void { defragSetTimeout(v6, s); }
export function highThresh(v6: i32, b: u32): void { defragSetHighThresh(v6, b); }
export function outPtr(): usize { return pData; }
export function outLen(): usize { return pEnd - pData; }
export function nh(): i32 { return pNh; }
export function mac(): i32 { return pMac; }
export function thoff(): i32 { return pL4 ? pThoff : -1; }
export function tprot(): i32 { return pTprot; }
export function fragoff(): i32 { return pFragoff; }
export function mark(): u32 { return pMark; }
export function trace(): u32 { return pNftrace ? 1 : 0; }
export function proto(): u32 { return pProto; }
`;

interface Exports {
  memory: WebAssembly.Memory;
  setup(bytes: number): number;
  run(len: number, ether: number, v6: number, hook: number, dev: number, mark: number, t: bigint, flags: number): number;
  reason(): number;
  queues(v6: number): number;
  mem(v6: number): number;
  maxDist(n: number): void;
  timeout(v6: number, s: number): void;
  highThresh(v6: number, b: number): void;
  outPtr(): number;
  outLen(): number;
  nh(): number;
  mac(): number;
  thoff(): number;
  tprot(): number;
  fragoff(): number;
  mark(): number;
  trace(): number;
  proto(): number;
}

let module: WebAssembly.Module;

beforeAll(async () => {
  const files = new Map<string, Uint8Array>();
  let errors = '';
  const { error } = await asc.main(['defrag-entry.ts', '--outFile', 'defrag-entry.wasm', '--runtime', 'stub', '--baseDir', root + 'assembly', '--config', root + 'test/assembly/vm/none.json', '-O1'], {
    readFile: (name: string, base: string) => {
      if (name.endsWith('defrag-entry.ts')) return ENTRY;
      if (name.endsWith('none.json')) return '{}';
      try {
        return readFileSync(base + '/' + name, 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name: string, data: Uint8Array | string) => {
      if (typeof data !== 'string') files.set(name, data);
    },
    listFiles: () => [],
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => ((errors += s), true) } as never,
  } as never);
  if (error) throw new Error(`asc failed on the defrag entry:\n${errors}`);
  const wasm = [...files.entries()].find(([n]) => n.endsWith('.wasm'));
  if (!wasm) throw new Error('no wasm written');
  module = await WebAssembly.compile(new Uint8Array(wasm[1]));
}, 120_000);

const PRE = 0;
const OUT = 3;
const PASS = 0;
const STOLEN = 1;
const DONE = 2;
const DROP = 3;
const R = { None: 0, Queued: 1, Done: 2, Duplicate: 3, Overlap: 4, BadLength: 5, TooBig: 6, NoMemory: 7, Ecn: 8 };

/** One instance: `feed` writes a frame into the batch area and runs defrag() on it. */
class Vm {
  x: Exports;
  batch: number;
  constructor(bytes = 1 << 20) {
    this.x = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('abort'); } } }).exports as unknown as Exports;
    this.batch = this.x.setup(bytes);
  }
  feed(frame: Uint8Array, o: { v6?: boolean; ether?: boolean; hook?: number; dev?: number; mark?: number; t?: number; trace?: boolean; untracked?: boolean } = {}): number {
    new Uint8Array(this.x.memory.buffer, this.batch, frame.length).set(frame);
    const v6 = o.v6 ?? frame[o.ether === false ? 0 : 14]! >> 4 === 6;
    return this.x.run(frame.length, o.ether === false ? 0 : 1, v6 ? 1 : 0, o.hook ?? PRE, o.dev ?? 2, o.mark ?? 0, BigInt(Math.round((o.t ?? 0) * 1e9)), (o.trace ? 1 : 0) | (o.untracked ? 2 : 0));
  }
  /** The packet now (after DONE: the datagram). */
  out(): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, this.x.outPtr(), this.x.outLen()).slice();
  }
}

/** IPv4 fragments of datagram `d` (a whole IPv4 packet): [offset, length] of its data each, MF on all but the one ending the data. */
function frag4(d: Uint8Array, parts: [number, number][], o: { df?: boolean; tos?: number[]; headOptions?: number[]; last?: number[] } = {}): Uint8Array[] {
  const hl = (d[0]! & 15) * 4;
  const data = d.subarray(hl);
  return parts.map(([off, len], i) => {
    const opts = off === 0 && o.headOptions ? o.headOptions : [];
    const ohl = 20 + opts.length;
    const b = new Uint8Array(ohl + len);
    b.set(d.subarray(0, 20));
    b.set(opts, 20);
    b[0] = 0x40 | (ohl / 4);
    const mf = o.last ? !o.last.includes(i) : off + len < data.length;
    const v = new DataView(b.buffer);
    v.setUint16(2, b.length);
    v.setUint16(6, (off / 8) | (mf ? 0x2000 : 0) | (o.df ? 0x4000 : 0));
    if (o.tos) b[1] = o.tos[i]!;
    v.setUint16(10, 0);
    v.setUint16(10, csum(b.subarray(0, ohl)));
    b.set(data.subarray(off, off + len), ohl);
    return b;
  });
}

/** IPv6 fragments of datagram `d` (no extension headers unless `unfrag` bytes of them follow the fixed header). */
function frag6(d: Uint8Array, parts: [number, number][], o: { id?: number; unfrag?: number; last?: number[] } = {}): Uint8Array[] {
  const uf = 40 + (o.unfrag ?? 0);
  const data = d.subarray(uf);
  // The header whose next header becomes 44: the fixed header, or the last unfragmentable extension header.
  let prev = 6;
  let nx = d[6]!;
  for (let at = 40; at < uf; ) {
    prev = at;
    nx = d[at]!;
    at += (d[at + 1]! + 1) * 8;
  }
  return parts.map(([off, len], i) => {
    const b = new Uint8Array(uf + 8 + len);
    b.set(d.subarray(0, uf));
    b[prev] = 44;
    new DataView(b.buffer).setUint16(4, b.length - 40);
    const mf = o.last ? !o.last.includes(i) : off + len < data.length;
    b[uf] = nx;
    new DataView(b.buffer).setUint16(uf + 2, off | (mf ? 1 : 0));
    new DataView(b.buffer).setUint32(uf + 4, o.id ?? 0x1234);
    b.set(data.subarray(off, off + len), uf + 8);
    return b;
  });
}

const A = (n: number, c = 0x41) => new Array<number>(n).fill(c);
const SRC_MAC = [2, 0, 0, 0, 1, 2];
const DST_MAC = [2, 0, 0, 0, 1, 1];

describe('ip-fragments-ct (kernel recording)', () => {
  const dir = root + 'test/fixtures/trace/ip-fragments-ct/';
  const cap = readCapture(readFileSync(dir + 'capture.pcap'));
  // Inbound frames as the host received them: the recorded link header is cooked, so put an Ethernet header back.
  const frames = cap.packets.map((p) => ({
    ip: p.data.subarray(p.networkOffset),
    dir: p.direction,
    t: Number(p.timestamp ?? 0n) / 1e9,
  }));
  const inbound = frames.filter((f) => f.dir === frames[0]!.dir);
  const eth = (ip: Uint8Array) => {
    const b = new Uint8Array(14 + ip.length);
    b.set(DST_MAC, 0);
    b.set(SRC_MAC, 6);
    b[12] = ip[0]! >> 4 === 6 ? 0x86 : 0x08;
    b[13] = ip[0]! >> 4 === 6 ? 0xdd : 0x00;
    b.set(ip, 14);
    return b;
  };

  it('three udp fragments (60, 60, 48 bytes) → the 128-byte datagram the kernel quoted in its port unreachable', () => {
    const vm = new Vm();
    const f = inbound.slice(0, 3);
    expect(f.map((x) => vm.feed(eth(x.ip), { t: x.t }))).toEqual([STOLEN, STOLEN, DONE]);
    const out = vm.out();
    // The kernel's icmp error (outbound frame 4) quotes the reassembled datagram from its IP header on.
    const icmpErr = frames.find((x) => x.dir !== frames[0]!.dir)!.ip;
    const quoted = icmpErr.subarray(28);
    expect(out.length).toBe(14 + 128);
    expect([...out.subarray(14)]).toEqual([...quoted.subarray(0, 128)]);
    expect([...out.subarray(0, 6)]).toEqual(DST_MAC);
    expect(vm.x.nh()).toBe(14);
    expect(vm.x.mac()).toBe(0);
    expect(vm.x.thoff()).toBe(34);
    expect(vm.x.tprot()).toBe(17);
    expect(vm.x.fragoff()).toBe(0);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('three icmp echo fragments → the 88-byte request (ip length 88 in the trace) the kernel answered', () => {
    const vm = new Vm();
    const f = inbound.slice(3, 6);
    expect(f.map((x) => vm.feed(eth(x.ip), { t: x.t }))).toEqual([STOLEN, STOLEN, DONE]);
    const out = vm.out().subarray(14);
    expect(out.length).toBe(88);
    const v = new DataView(out.buffer, out.byteOffset);
    expect(v.getUint16(2)).toBe(88);
    expect(v.getUint16(6)).toBe(0);
    expect(csum(out.subarray(0, 20))).toBe(0);
    // The echo reply carries the request's id, sequence and data.
    const reply = frames.filter((x) => x.dir !== frames[0]!.dir)[1]!.ip;
    expect([...out.subarray(24)]).toEqual([...reply.subarray(24)]);
    expect(out[20]).toBe(8);
  });

  it('ipv6 fragments → payload length 158, next header udp, no Fragment header', () => {
    const vm = new Vm();
    const f = inbound.filter((x) => x.ip[0]! >> 4 === 6);
    const r = f.map((x) => vm.feed(eth(x.ip), { t: x.t }));
    expect(r.slice(0, -1).every((x) => x === STOLEN)).toBe(true);
    expect(r.at(-1)).toBe(DONE);
    const out = vm.out().subarray(14);
    const v = new DataView(out.buffer, out.byteOffset);
    expect(v.getUint16(4)).toBe(158);
    expect(out[6]).toBe(17);
    expect(out.length).toBe(40 + 158);
    expect(v.getUint16(40 + 2)).toBe(7001);
    expect(v.getUint16(40 + 4)).toBe(158);
    // The source and destination addresses are the fragments'.
    expect([...out.subarray(8, 40)]).toEqual([...f[0]!.ip.subarray(8, 40)]);
    expect(vm.x.thoff()).toBe(14 + 40);
    expect(vm.x.tprot()).toBe(17);
  });
});

describe('examples/server.pcap', () => {
  it('the lone first fragment from craft.py is held, never traced, and still queued when the capture ends', () => {
    const cap = readCapture(readFileSync(root + 'examples/server.pcap'));
    const vm = new Vm();
    const seen: number[] = [];
    let end = 0;
    for (const p of cap.packets) {
      end = Number(p.timestamp ?? 0n) / 1e9;
      const ip = p.data.subarray(p.networkOffset);
      if (p.networkOffset !== 14 || p.data[12] !== 0x08 || p.data[13] !== 0x00 || (ip[0]! >> 4) !== 4) continue;
      // Received frames only: to the server's addresses.
      if (![...ip.subarray(16, 20)].join('.').startsWith('192.0.2.10')) continue;
      const r = vm.feed(p.data, { t: end });
      if (r !== PASS) seen.push(r, vm.x.reason());
    }
    expect(seen).toEqual([STOLEN, R.Queued]);
    expect(vm.x.queues(0)).toBe(1);
  });
});

describe('ipv4', () => {
  const dgram = (n = 1000, o: { id?: number; src?: string } = {}) =>
    ipv4({ id: o.id ?? 7, src: o.src, l4: udp({ sport: 5000, dport: 7000, payload: Array.from({ length: n }, (_, i) => i & 0xff) }) });

  it('not a fragment, or untracked (notrack before -400) → pass, nothing queued', () => {
    const vm = new Vm();
    expect(vm.feed(ether(dgram()))).toBe(PASS);
    const [a] = frag4(dgram(), [[0, 512]]);
    expect(vm.feed(ether(a!), { untracked: true })).toBe(PASS);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('fragments in reverse order: the datagram when the first arrives, with the head fragment’s link header and mark', () => {
    const vm = new Vm();
    const d = dgram();
    const f = frag4(d, [[0, 512], [512, 496]]);
    const head = ether(f[0]!);
    head.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff], 0);
    expect(vm.feed(ether(f[1]!), { mark: 1 })).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Queued);
    expect(vm.feed(head, { mark: 2, trace: true })).toBe(DONE);
    expect(vm.x.reason()).toBe(R.Done);
    expect([...vm.out()]).toEqual([...head.subarray(0, 14), ...d]);
    expect(vm.x.mark()).toBe(2);
    expect(vm.x.trace()).toBe(1);
    // Head first, the last fragment completes: the mark is still the head's (skb_morph).
    expect(vm.feed(head, { mark: 3 })).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!), { mark: 4 })).toBe(DONE);
    expect(vm.x.mark()).toBe(3);
    expect(vm.x.trace()).toBe(0);
  });

  it('the head’s options stay, later fragments’ headers go; total length and checksum are the datagram’s', () => {
    const vm = new Vm();
    const d = dgram(300);
    const f = frag4(d, [[0, 160], [160, 148]], { headOptions: [0x94, 4, 0, 0] });
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    const out = vm.out().subarray(14);
    expect(out[0]).toBe(0x46);
    expect([...out.subarray(20, 24)]).toEqual([0x94, 4, 0, 0]);
    expect(new DataView(out.buffer, out.byteOffset).getUint16(2)).toBe(24 + 308);
    expect(csum(out.subarray(0, 24))).toBe(0);
    expect([...out.subarray(24)]).toEqual([...d.subarray(20)]);
    expect(vm.x.thoff()).toBe(14 + 24);
  });

  it('DF on every fragment → DF on the datagram; on none → frag-off 0', () => {
    const vm = new Vm();
    const d = dgram(600);
    let f = frag4(d, [[0, 304], [304, 304]], { df: true });
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    expect(vm.out()[14 + 6]).toBe(0x40);
    f = frag4(dgram(600, { id: 8 }), [[0, 304], [304, 304]]);
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    expect(vm.out()[14 + 6]).toBe(0);
  });

  it('a duplicate is dropped (stolen), the queue kept; an overlap discards the queue', () => {
    const vm = new Vm();
    const f = frag4(dgram(), [[0, 504], [504, 504]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Duplicate);
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    // Overlap: [0,504) then [496, 1008).
    const g = frag4(dgram(1000, { id: 9 }), [[0, 504], [496, 512]]);
    expect(vm.feed(ether(g[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(g[1]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Overlap);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('a fragment inside one run of adjacent fragments is a duplicate; across two runs an overlap', () => {
    const vm = new Vm();
    const d = dgram(2000);
    // Runs: [0,800) from two appended fragments; [1200,1600) inserted alone; then [800,1200) fills the gap as its own run.
    const f = frag4(d, [[0, 400], [400, 400], [1600, 408], [1200, 400], [800, 400], [200, 400], [1000, 400]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[2]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[3]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Queued);
    // [200,600) lies in the run [0,800): duplicate.
    expect(vm.feed(ether(f[5]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Duplicate);
    expect(vm.feed(ether(f[4]!))).toBe(DONE);
    // Again, but [1000,1400) spans the runs [800,1200) and [1200,1600): overlap, the queue goes.
    const g = frag4(dgram(2000, { id: 10 }), [[0, 400], [400, 400], [1600, 408], [1200, 400], [800, 400], [1000, 400]]);
    for (let i = 1; i < 5; i++) vm.feed(ether(g[i]!));
    expect(vm.x.queues(0)).toBe(1);
    expect(vm.feed(ether(g[5]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Overlap);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('a second last fragment with another end, or data past the end, discards the queue', () => {
    const vm = new Vm();
    const d = dgram(1000);
    const f = frag4(d, [[0, 504], [504, 504], [504, 496]], { last: [1, 2] });
    vm.feed(ether(f[1]!));
    expect(vm.feed(ether(f[2]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.BadLength);
    expect(vm.x.queues(0)).toBe(0);
    // Past the end: last fragment [504,1008), then a middle one [1008, 1512) with MF.
    const g = frag4(dgram(1500, { id: 11 }), [[504, 504], [1008, 504]], { last: [0] });
    vm.feed(ether(g[0]!));
    expect(vm.feed(ether(g[1]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.BadLength);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('a non-last fragment is cut to a multiple of 8; one with fewer than 8 bytes discards the queue', () => {
    const vm = new Vm();
    const d = dgram(1000);
    // First fragment carries 508 bytes but only 504 count; the second starts at 504.
    const f = frag4(d, [[0, 508], [504, 504]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    expect([...vm.out().subarray(14 + 20)]).toEqual([...d.subarray(20)]);
    const g = frag4(dgram(1000, { id: 12 }), [[0, 4]], { last: [] });
    expect(vm.feed(ether(g[0]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.BadLength);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('queues expire 30 s after their first fragment (packet time)', () => {
    const vm = new Vm();
    const f = frag4(dgram(), [[0, 504], [504, 504]]);
    vm.feed(ether(f[0]!), { t: 100 });
    expect(vm.feed(ether(f[1]!), { t: 129.9 })).toBe(DONE);
    vm.feed(ether(f[0]!), { t: 200 });
    expect(vm.feed(ether(f[1]!), { t: 230 })).toBe(STOLEN);
    expect(vm.x.queues(0)).toBe(1);
  });

  it('prerouting and output are different users; so are ids, protocols and addresses', () => {
    const vm = new Vm();
    const f = frag4(dgram(), [[0, 504], [504, 504]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(f[1]!, { ether: false, hook: OUT })).toBe(STOLEN);
    expect(vm.x.queues(0)).toBe(2);
    expect(vm.feed(f[0]!, { ether: false, hook: OUT })).toBe(DONE);
    expect(vm.x.mac()).toBe(-1);
    expect(vm.x.nh()).toBe(0);
    expect(vm.out().length).toBe(1028);
    const g = frag4(dgram(1000, { id: 99 }), [[504, 504]]);
    expect(vm.feed(ether(g[0]!))).toBe(STOLEN);
    expect(vm.x.queues(0)).toBe(2);
  });

  it('a datagram over 65535 bytes is discarded when complete; exactly 65535 is built', () => {
    const vm = new Vm(8 << 20);
    const big = ipv4({ id: 5, raw: new Uint8Array(65515).map((_, i) => i * 7), proto: 17 });
    const parts: [number, number][] = [];
    for (let o = 0; o < 65515; o += 1480) parts.push([o, Math.min(1480, 65515 - o)]);
    const f = frag4(big, parts);
    const r = f.map((x) => vm.feed(ether(x)));
    expect(r.at(-1)).toBe(DONE);
    expect(vm.out().length).toBe(14 + 65535);
    expect([...vm.out().subarray(14 + 20)].every((b, i) => b === big[20 + i])).toBe(true);
    // The last fragment 8 bytes further: 65543 bytes.
    const g = frag4(big, parts).map((x) => new Uint8Array(x));
    const last = g.at(-1)!;
    const v = new DataView(last.buffer);
    v.setUint16(6, ((parts.at(-1)![0] + 8) / 8));
    v.setUint16(10, 0);
    v.setUint16(10, csum(last.subarray(0, 20)));
    const hole = frag4(big, [[parts.at(-1)![0], 8]], { last: [] })[0]!;
    const h = new DataView(hole.buffer);
    h.setUint16(6, (parts.at(-1)![0] / 8) | 0x2000);
    h.setUint16(10, 0);
    h.setUint16(10, csum(hole.subarray(0, 20)));
    for (const x of g.slice(0, -1)) vm.feed(ether(x));
    vm.feed(ether(hole));
    expect(vm.feed(ether(last))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.TooBig);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('ECN: CE with ECT is CE; not-ECT mixed with CE drops the datagram', () => {
    const vm = new Vm();
    let f = frag4(dgram(), [[0, 504], [504, 504]], { tos: [0x02, 0x03] });
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    expect(vm.out()[14 + 1]! & 3).toBe(3);
    f = frag4(dgram(1000, { id: 13 }), [[0, 504], [504, 504]], { tos: [0x00, 0x03] });
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Ecn);
    expect(vm.x.queues(0)).toBe(0);
  });

  it('ipfrag_max_dist: 65 fragments from the same source in between flush a queue', () => {
    const vm = new Vm();
    const f = frag4(dgram(), [[0, 504], [504, 504]]);
    vm.feed(ether(f[0]!));
    for (let i = 0; i < 65; i++) vm.feed(ether(frag4(dgram(1000, { id: 100 + i }), [[0, 504]])[0]!));
    // The queue was flushed and restarted with the last fragment alone.
    expect(vm.feed(ether(f[1]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[0]!))).toBe(DONE);
    // 63 in between (a distance of 64) are fine.
    const g = frag4(dgram(1000, { id: 300 }), [[0, 504], [504, 504]]);
    vm.feed(ether(g[0]!));
    for (let i = 0; i < 63; i++) vm.feed(ether(frag4(dgram(1000, { id: 400 + i }), [[0, 504]])[0]!));
    expect(vm.feed(ether(g[1]!))).toBe(DONE);
    // Another source does not count.
    const h = frag4(dgram(1000, { id: 500 }), [[0, 504], [504, 504]]);
    vm.feed(ether(h[0]!));
    for (let i = 0; i < 80; i++) vm.feed(ether(frag4(dgram(1000, { id: 600 + i, src: '10.0.0.3' }), [[0, 504]])[0]!));
    expect(vm.feed(ether(h[1]!))).toBe(DONE);
  });

  it('over the memory threshold every fragment is refused until queues expire', () => {
    const vm = new Vm(1 << 20);
    vm.x.maxDist(0);
    let n = 0;
    for (; n < 2000; n++) {
      vm.feed(ether(frag4(dgram(1400, { id: n }), [[0, 1304]])[0]!), { t: n / 1000 });
      if (vm.x.reason() === R.NoMemory) break;
    }
    // 512 KiB per family, 2304 + 200 bytes charged per queue of one 1.3 KB fragment.
    expect(n).toBe(Math.floor((1 << 19) / 2504) + 1);
    const f = frag4(dgram(1000, { id: 60000 }), [[0, 504], [504, 504]]);
    expect(vm.feed(ether(f[0]!), { t: 3 })).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.NoMemory);
    // 30 s after the first queues, they are gone.
    expect(vm.feed(ether(f[0]!), { t: 40 })).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Queued);
    expect(vm.feed(ether(f[1]!), { t: 40 })).toBe(DONE);
  });
});

describe('ipv6', () => {
  const dgram6 = (n = 1000, o: { dst?: string; ext?: [number, Uint8Array][] } = {}) =>
    ipv6({ dst: o.dst, ext: o.ext, l4: udp({ sport: 5000, dport: 7001, payload: Array.from({ length: n }, (_, i) => (i * 3) & 0xff) }) });

  it('reverse order, then a duplicate; the datagram has no Fragment header', () => {
    const vm = new Vm();
    const d = dgram6();
    const f = frag6(d, [[0, 504], [504, 504]]);
    expect(vm.feed(ether(f[1]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Duplicate);
    expect(vm.feed(ether(f[0]!))).toBe(DONE);
    expect([...vm.out().subarray(14)]).toEqual([...d]);
    expect(vm.x.proto()).toBe(0x86dd);
  });

  it('unfragmentable extension headers stay; the last one’s next header is fixed', () => {
    const vm = new Vm();
    const hbh = new Uint8Array(8);
    hbh[2] = 1; // PadN
    hbh[3] = 4;
    const d = dgram6(600, { ext: [[0, hbh]] });
    const f = frag6(d, [[0, 304], [304, 304]], { unfrag: 8 });
    expect(f[0]![40]).toBe(44);
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(DONE);
    const out = vm.out().subarray(14);
    expect([...out]).toEqual([...d]);
    expect(vm.x.tprot()).toBe(17);
    expect(vm.x.thoff()).toBe(14 + 48);
  });

  it('an overlap drops the fragment and the queue (RFC 5722)', () => {
    const vm = new Vm();
    const f = frag6(dgram6(), [[0, 504], [496, 512]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!))).toBe(DROP);
    expect(vm.x.reason()).toBe(R.Overlap);
    expect(vm.x.queues(1)).toBe(0);
  });

  it('a last fragment with another end is dropped, the queue kept', () => {
    const vm = new Vm();
    const f = frag6(dgram6(), [[504, 504], [504, 496], [0, 504]], { last: [0, 1] });
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(DROP);
    expect(vm.x.reason()).toBe(R.BadLength);
    expect(vm.x.queues(1)).toBe(1);
    expect(vm.feed(ether(f[2]!))).toBe(DONE);
  });

  it('a non-last fragment not a multiple of 8 kills the queue and goes on as it is', () => {
    const vm = new Vm();
    const f = frag6(dgram6(), [[0, 504], [504, 500]], { last: [] });
    vm.feed(ether(f[0]!));
    expect(vm.feed(ether(f[1]!))).toBe(PASS);
    expect(vm.x.queues(1)).toBe(0);
  });

  it('a first fragment without the whole udp header passes unassembled (RFC 8200 4.5)', () => {
    const vm = new Vm();
    const f = frag6(dgram6(), [[0, 4]], { last: [] });
    expect(vm.feed(ether(f[0]!))).toBe(PASS);
    expect(vm.x.queues(1)).toBe(0);
  });

  it('the key has the interface only for link-local and multicast destinations; queues expire after 60 s', () => {
    const vm = new Vm();
    const f = frag6(dgram6(1000, { dst: 'fe80::1' }), [[0, 504], [504, 504]]);
    vm.feed(ether(f[0]!), { dev: 2 });
    expect(vm.feed(ether(f[1]!), { dev: 3 })).toBe(STOLEN);
    expect(vm.feed(ether(f[1]!), { dev: 2 })).toBe(DONE);
    const g = frag6(dgram6(), [[0, 504], [504, 504]]);
    vm.feed(ether(g[0]!), { dev: 2, t: 1 });
    expect(vm.feed(ether(g[1]!), { dev: 3, t: 60.5 })).toBe(DONE);
    vm.feed(ether(g[0]!), { t: 100 });
    expect(vm.feed(ether(g[1]!), { t: 160 })).toBe(STOLEN);
    // nf_conntrack_frag6_timeout = 5: for queues created afterwards.
    vm.x.timeout(1, 5);
    const h = frag6(dgram6(), [[0, 504], [504, 504]], { id: 77 });
    vm.feed(ether(h[0]!), { t: 200 });
    expect(vm.feed(ether(h[1]!), { t: 205 })).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Queued);
  });

  it('nf_conntrack_frag6_high_thresh: a family over its threshold refuses fragments (NF_DROP), the other family does not', () => {
    const vm = new Vm();
    vm.x.highThresh(1, 1000);
    const f = frag6(dgram6(), [[0, 504], [504, 504]]);
    expect(vm.feed(ether(f[0]!))).toBe(STOLEN);
    expect(vm.x.mem(1)).toBe(200 + 1280);
    expect(vm.feed(ether(f[1]!))).toBe(DROP);
    expect(vm.x.reason()).toBe(R.NoMemory);
    expect(vm.feed(ether(frag4(ipv4({ l4: udp({ payload: A(600) }) }), [[0, 304]])[0]!))).toBe(STOLEN);
    expect(vm.x.reason()).toBe(R.Queued);
  });
});

describe('random fragmentations', () => {
  /** Cut points: multiples of 8 inside [0, n). */
  function cuts(rnd: () => number, n: number, k: number): [number, number][] {
    const pts = new Set<number>([0]);
    for (let i = 0; i < k; i++) pts.add((rnd() % Math.ceil(n / 8)) * 8);
    const p = [...pts].sort((a, b) => a - b).filter((x) => x < n);
    return p.map((o, i) => [o, (p[i + 1] ?? n) - o]);
  }
  function shuffle<T>(rnd: () => number, a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = rnd() % (i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  it('any order, exact duplicates before the last piece: one datagram, byte for byte, and no queue left', () => {
    const rnd = xorshift32(0xdef4a9);
    const vm = new Vm(8 << 20);
    for (let round = 0; round < 300; round++) {
      const v6 = round % 2 === 1;
      const n = 16 + (rnd() % 3000);
      const payload = Array.from({ length: n }, () => rnd() & 0xff);
      const d = v6 ? ipv6({ l4: udp({ payload }) }) : ipv4({ id: round, l4: udp({ payload }) });
      const dataLen = d.length - (v6 ? 40 : 20);
      const parts = cuts(rnd, dataLen, 1 + (rnd() % 12));
      const frags = v6 ? frag6(d, parts, { id: round }) : frag4(d, parts);
      const order = shuffle(rnd, frags.map((_, i) => i));
      const last = order.pop()!;
      for (let k = rnd() % 4; k > 0 && order.length; k--) order.splice(rnd() % (order.length + 1), 0, order[rnd() % order.length]!);
      order.push(last);
      const r = order.map((i) => vm.feed(ether(frags[i]!), { t: round }));
      const what = `round ${round} (${v6 ? 'ipv6' : 'ipv4'}, ${n} bytes, parts ${JSON.stringify(parts)}, order ${order})`;
      expect(r.slice(0, -1).every((x) => x === STOLEN), what).toBe(true);
      expect(r.at(-1), what).toBe(DONE);
      const out = vm.out().subarray(14);
      if (v6) expect([...out], what).toEqual([...d]);
      else {
        expect([...out.subarray(20)], what).toEqual([...d.subarray(20)]);
        expect(csum(out.subarray(0, 20)), what).toBe(0);
      }
      expect(vm.x.queues(v6 ? 1 : 0), what).toBe(0);
    }
    expect(vm.x.mem(0)).toBe(0);
    expect(vm.x.mem(1)).toBe(0);
  });

  it('random fragment fields and bytes after a valid header never trap (prerouting and output)', () => {
    const rnd = xorshift32(0x5eed);
    const vm = new Vm(1 << 20);
    for (let i = 0; i < 5000; i++) {
      const v6 = (rnd() & 1) === 1;
      const len = rnd() % 1600;
      const body = Uint8Array.from({ length: len }, () => rnd() & 0xff);
      let p: Uint8Array;
      if (v6) {
        p = ipv6({ nexthdr: 44 });
        const b = new Uint8Array(40 + len);
        b.set(p.subarray(0, 40));
        b.set(body, 40);
        new DataView(b.buffer).setUint16(4, Math.max(0, len - (rnd() % 4)));
        if (len > 4) b[40 + 1] = rnd() & 3 ? 0 : b[41]!;
        p = b;
      } else {
        p = ipv4({ id: rnd() & 7, proto: 17, raw: body, options: rnd() & 1 ? [1, 1, 1, 1] : [] });
        const v = new DataView(p.buffer);
        v.setUint16(6, rnd() & 0x3fff);
        v.setUint16(10, 0);
        v.setUint16(10, csum(p.subarray(0, (p[0]! & 15) * 4)));
      }
      const r = vm.feed(ether(p), { t: i / 100, hook: rnd() & 1 ? PRE : OUT });
      expect(r >= -2 && r <= 3).toBe(true);
    }
  });
});

describe('through the Engine (defrag at -400 in the hook walk)', () => {
  const RULESET = `table inet early {
 chain pre {
  type filter hook prerouting priority -450; policy accept;
  counter
 }
}
table inet filter {
 chain pre {
  type filter hook prerouting priority raw; policy accept;
  ip frag-off & 0x3fff != 0 counter
  exthdr frag exists counter
  counter
 }
 chain input {
  type filter hook input priority filter; policy accept;
  ct state new udp dport 7000 counter
  ct state new udp dport 7001 counter
  udp dport 7002 drop
 }
}
`;
  const T0 = 1_700_000_000_000_000_000n;
  const counts = (e: Awaited<ReturnType<typeof engine>>) => [...e.ruleCounters().values()].map((c) => Number(c.packets));

  it('ipv4 and ipv6 fragments: the -450 chain sees each, raw and input see the datagram once, conntrack one entry each', async () => {
    const e = await engine();
    e.load(RULESET);
    const d4 = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', id: 77, l4: udp({ sport: 53000, dport: 7000, payload: A(100) }) });
    const d6 = ipv6({ src: '2001:db8::2', dst: '2001:db8::1', l4: udp({ sport: 53001, dport: 7001, payload: A(150, 0x46) }) });
    const f = [...frag4(d4, [[0, 40], [40, 40], [80, 28]]), ...frag6(d6, [[0, 48], [48, 48], [96, 62]])];
    const r = e.evaluate(f.map((x, i) => ({ ...rx(x), tstamp: T0 + BigInt(i) * 20_000_000n })));
    expect(f.map((_, i) => r.verdict(i))).toEqual([abi.Verdict.Stolen, abi.Verdict.Stolen, abi.Verdict.Accept, abi.Verdict.Stolen, abi.Verdict.Stolen, abi.Verdict.Accept]);
    expect(f.map((_, i) => (r.flags(i) & abi.ResFlags.Defrag) !== 0)).toEqual([true, true, false, true, true, false]);
    // early: 6 fragments; raw: no fragment seen, 2 datagrams; input: one new flow each.
    expect(counts(e)).toEqual([6, 0, 0, 2, 1, 1]);
    expect(e.conntrack().map((c) => `${c.orig.dport}`).sort()).toEqual(['7000', '7001']);
  });

  it('an ipv6 overlap is dropped at -400 (NF_DROP); ipv4 bad fragments are stolen', async () => {
    const e = await engine();
    e.load(RULESET);
    const d6 = ipv6({ src: '2001:db8::2', dst: '2001:db8::1', l4: udp({ dport: 7001, payload: A(1000) }) });
    const d4 = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 7000, payload: A(1000) }) });
    const f = [...frag6(d6, [[0, 504], [496, 512]]), ...frag4(d4, [[0, 504], [496, 512]])];
    const r = e.evaluate(f.map((x, i) => ({ ...rx(x), tstamp: T0 + BigInt(i) * 1_000_000n })));
    expect(f.map((_, i) => r.verdict(i))).toEqual([abi.Verdict.Stolen, abi.Verdict.Drop, abi.Verdict.Stolen, abi.Verdict.Stolen]);
    expect(counts(e)).toEqual([4, 0, 0, 0, 0, 0]);
  });

  it('the datagram carries the head fragment’s mark (skb_morph), whichever fragment completes it', async () => {
    const e = await engine();
    e.load(`table ip t {
 chain early {
  type filter hook prerouting priority -450; policy accept;
  ip frag-off & 0x1fff == 0 meta mark set 1
  ip frag-off & 0x1fff != 0 meta mark set 2
 }
 chain in {
  type filter hook input priority 0; policy accept;
  ct state new meta mark 1 counter
  ct state new meta mark 2 counter
 }
}
`);
    const d = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 7000, payload: A(100) }) });
    const f = frag4(d, [[0, 56], [56, 52]]);
    // In order (the last completes), then reversed (the head completes): mark 1 both times.
    const g = frag4(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', id: 2, l4: udp({ dport: 7001, payload: A(100) }) }), [[0, 56], [56, 52]]);
    const r = e.evaluate([f[0]!, f[1]!, g[1]!, g[0]!].map((x) => rx(x)));
    expect([0, 1, 2, 3].map((i) => r.verdict(i))).toEqual([abi.Verdict.Stolen, abi.Verdict.Accept, abi.Verdict.Stolen, abi.Verdict.Accept]);
    expect(r.mark(1)).toBe(1);
    expect(r.mark(3)).toBe(1);
    expect(counts(e)).toEqual([2, 0]);
  });

  it('locally generated fragments are reassembled at -400 of output (IP_DEFRAG_CONNTRACK_OUT)', async () => {
    const e = await engine();
    e.load(`table inet t {
 chain early {
  type filter hook output priority -450; policy accept;
  counter
 }
 chain raw {
  type filter hook output priority raw; policy accept;
  ip frag-off & 0x3fff != 0 counter
  udp dport 9000 counter
 }
 chain filter {
  type filter hook output priority filter; policy accept;
  ct state new counter
 }
}
`);
    const d = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: udp({ dport: 9000, payload: A(300) }) });
    const f = frag4(d, [[0, 160], [160, 148]]);
    const r = e.evaluate(f.map((x) => tx(x)));
    expect([0, 1].map((i) => r.verdict(i))).toEqual([abi.Verdict.Stolen, abi.Verdict.Accept]);
    expect(counts(e)).toEqual([2, 0, 1, 1]);
  });

  it('without conntrack in the ruleset nothing is reassembled: raw sees every fragment', async () => {
    const e = await engine();
    e.load(RULESET.replace(/ct state new /g, ''));
    const d4 = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 7000, payload: A(100) }) });
    const f = frag4(d4, [[0, 40], [40, 68]]);
    const r = e.evaluate(f.map((x) => rx(x)));
    expect(f.map((_, i) => r.verdict(i))).toEqual([abi.Verdict.Accept, abi.Verdict.Accept]);
    expect(counts(e).slice(0, 4)).toEqual([2, 2, 0, 2]);
  });
});
