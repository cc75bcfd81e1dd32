// Helpers of the VM tests: an Engine on build/nftvm.wasm (built by
// global-setup.ts), and packet builders with correct checksums:
// `ipv4({ proto: 6, src: '10.0.0.1', dst: '10.0.0.2', l4: tcp({ dport: 22 }) })`.
import { readFileSync } from 'node:fs';
import * as abi from '../../../assembly/abi.js';
import { Engine, type EngineOptions, type PacketIn } from '../../../src/engine.js';
import { parseAddr, type HostModel } from '../../../src/host.js';

const root = new URL('../../../', import.meta.url).pathname;
let wasm: WebAssembly.Module | undefined;

/** A fresh engine (small regions). */
export async function engine(o: Partial<EngineOptions> = {}): Promise<Engine> {
  wasm ??= await WebAssembly.compile(readFileSync(root + 'build/nftvm.wasm'));
  return Engine.create({ wasm, rulesetBytes: 1 << 20, imageBytes: 1 << 20, batchBytes: 1 << 20, recordBytes: 64 << 10, host: HOST, ...o });
}

/** lo (1), eth0 (2) 10.0.0.1/24 + 2001:db8::1/64, eth1 (3) 192.168.1.1/24; default route via eth1; forwarding on. */
export const HOST: HostModel = {
  interfaces: [
    { index: 1, name: 'lo', type: 772, addresses: ['127.0.0.1/8', '::1/128'] },
    { index: 2, name: 'eth0', addresses: ['10.0.0.1/24', '2001:db8::1/64'] },
    { index: 3, name: 'eth1', kind: 'veth', group: 7, addresses: ['192.168.1.1/24'] },
  ],
  routes: [{ dst: '0.0.0.0/0', oif: 3 }, { dst: '::/0', oif: 3 }],
  forwarding: true,
};

function addr(s: string): Uint8Array {
  const a = parseAddr(s);
  if (!a) throw new Error(`bad address ${s}`);
  return a;
}

/** One's complement checksum of `b` (+ an initial sum). */
export function csum(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

function pseudoSum(src: Uint8Array, dst: Uint8Array, proto: number, len: number): number {
  let s = 0;
  for (const a of [src, dst]) for (let i = 0; i < a.length; i += 2) s += (a[i]! << 8) | a[i + 1]!;
  s += proto + len;
  return s;
}

/** Transport header + payload; checksum filled in by ipv4()/ipv6(). */
export interface L4 {
  proto: number;
  bytes: Uint8Array;
  csumAt?: number;
}

/** A TCP header (20 bytes + options) with payload. */
export function tcp(o: { sport?: number; dport?: number; flags?: number; options?: number[]; payload?: number[] } = {}): L4 {
  const opts = o.options ?? [];
  const hl = 20 + ((opts.length + 3) & ~3);
  const b = new Uint8Array(hl + (o.payload?.length ?? 0));
  const v = new DataView(b.buffer);
  v.setUint16(0, o.sport ?? 40000);
  v.setUint16(2, o.dport ?? 80);
  v.setUint32(4, 1);
  b[12] = (hl / 4) << 4;
  b[13] = o.flags ?? 0x02;
  v.setUint16(14, 65535);
  b.set(opts, 20);
  b.set(o.payload ?? [], hl);
  return { proto: 6, bytes: b, csumAt: 16 };
}

/** A UDP header with payload. */
export function udp(o: { sport?: number; dport?: number; payload?: number[] } = {}): L4 {
  const b = new Uint8Array(8 + (o.payload?.length ?? 0));
  const v = new DataView(b.buffer);
  v.setUint16(0, o.sport ?? 40000);
  v.setUint16(2, o.dport ?? 53);
  v.setUint16(4, b.length);
  b.set(o.payload ?? [], 8);
  return { proto: 17, bytes: b, csumAt: 6 };
}

/** An ICMP (or ICMPv6 with proto 58) echo request. */
export function icmp(o: { type?: number; code?: number; proto?: number } = {}): L4 {
  const b = new Uint8Array(16);
  b[0] = o.type ?? 8;
  b[1] = o.code ?? 0;
  return { proto: o.proto ?? 1, bytes: b, csumAt: 2 };
}

/** An IPv4 packet: header (with options, fragment fields), the L4 part with its checksum. */
export function ipv4(o: { src?: string; dst?: string; l4?: L4; proto?: number; ttl?: number; options?: number[]; frag?: number; mf?: boolean; id?: number; raw?: Uint8Array } = {}): Uint8Array {
  const opts = o.options ?? [];
  const hl = 20 + ((opts.length + 3) & ~3);
  const l4 = o.l4 ? new Uint8Array(o.l4.bytes) : (o.raw ?? new Uint8Array(0));
  const b = new Uint8Array(hl + l4.length);
  const v = new DataView(b.buffer);
  const src = addr(o.src ?? '10.0.0.2');
  const dst = addr(o.dst ?? '10.0.0.1');
  b[0] = 0x40 | (hl / 4);
  v.setUint16(2, b.length);
  v.setUint16(4, o.id ?? 1);
  v.setUint16(6, ((o.frag ?? 0) / 8) | (o.mf ? 0x2000 : 0));
  b[8] = o.ttl ?? 64;
  b[9] = o.proto ?? o.l4?.proto ?? 0;
  b.set(src, 12);
  b.set(dst, 16);
  b.set(opts, 20);
  v.setUint16(10, csum(b.subarray(0, hl)));
  if (o.l4?.csumAt !== undefined && !o.frag) {
    const init = o.l4.proto === 1 ? 0 : pseudoSum(src, dst, o.l4.proto, l4.length);
    new DataView(l4.buffer).setUint16(o.l4.csumAt, csum(l4, init));
  }
  b.set(l4, hl);
  return b;
}

/** An IPv6 packet with optional extension headers `ext` ([nexthdr-type, bytes] in order). */
export function ipv6(o: { src?: string; dst?: string; l4?: L4; ext?: [number, Uint8Array][]; nexthdr?: number; flow?: number } = {}): Uint8Array {
  const l4 = o.l4 ? new Uint8Array(o.l4.bytes) : new Uint8Array(0);
  const ext = o.ext ?? [];
  const extLen = ext.reduce((n, [, b]) => n + b.length, 0);
  const b = new Uint8Array(40 + extLen + l4.length);
  const v = new DataView(b.buffer);
  const src = addr(o.src ?? '2001:db8::2');
  const dst = addr(o.dst ?? '2001:db8::1');
  v.setUint32(0, (6 << 28) | (o.flow ?? 0));
  v.setUint16(4, extLen + l4.length);
  b[6] = ext.length ? ext[0]![0] : (o.nexthdr ?? o.l4?.proto ?? 59);
  b[7] = 64;
  b.set(src, 8);
  b.set(dst, 24);
  let at = 40;
  ext.forEach(([, e], i) => {
    const copy = new Uint8Array(e);
    copy[0] = i + 1 < ext.length ? ext[i + 1]![0] : (o.nexthdr ?? o.l4?.proto ?? 59);
    b.set(copy, at);
    at += e.length;
  });
  if (o.l4?.csumAt !== undefined) new DataView(l4.buffer).setUint16(o.l4.csumAt, csum(l4, pseudoSum(src, dst, o.l4.proto, l4.length)));
  b.set(l4, at);
  return b;
}

/** An Ethernet frame around `payload` (ethertype by the IP version unless given), optional 802.1Q tag. */
export function ether(payload: Uint8Array, o: { type?: number; vlan?: number } = {}): Uint8Array {
  const type = o.type ?? (payload[0]! >> 4 === 6 ? 0x86dd : 0x0800);
  const tag = o.vlan !== undefined ? 4 : 0;
  const b = new Uint8Array(14 + tag + payload.length);
  b.set([0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10]);
  const v = new DataView(b.buffer);
  if (tag) {
    v.setUint16(12, 0x8100);
    v.setUint16(14, o.vlan!);
  }
  v.setUint16(12 + tag, type);
  b.set(payload, 14 + tag);
  return b;
}

/** A received packet on eth0 (Ethernet frame, hooks from the host model). */
export function rx(ip: Uint8Array, o: Partial<PacketIn> = {}): PacketIn {
  return { data: ether(ip), iif: 2, ...o };
}

/** A locally generated IP packet (output, postrouting). */
export function tx(ip: Uint8Array, o: Partial<PacketIn> = {}): PacketIn {
  return { data: ip, iif: 0, ...o };
}

/** `table ip t { chain c { type filter hook input priority 0; policy P; RULES } }` */
export function inputChain(rules: string, family = 'ip', policy = 'accept', hook = 'input'): string {
  return `table ${family} t {\n chain c {\n  type filter hook ${hook} priority 0; policy ${policy};\n${rules}\n }\n}\n`;
}

export const ACCEPT = abi.Verdict.Accept;
export const DROP = abi.Verdict.Drop;

/** Verdicts of `packets` under `ruleset` on a fresh engine. */
export async function verdicts(ruleset: string, packets: PacketIn[]): Promise<number[]> {
  const e = await engine();
  e.load(ruleset);
  const r = e.evaluate(packets);
  return packets.map((_, i) => r.verdict(i));
}
