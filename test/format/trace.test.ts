// `nft monitor trace` formatting (src/format/trace.ts) against the kernel
// recordings in test/fixtures/trace (nft 1.0.6, kernel 6.18). Every `packet:`
// line must be reproduced from a packet of the scenario's captures: the test
// builds the trace event the kernel would send (header cuts of
// nf_trace_fill_pkt_info, nft_set_pktinfo_* transport offsets) and the decoded
// text must equal the line. Lines no capture reproduces are listed with a
// reason in test/known-gaps/trace-packet.txt; details go to trace.packet.got.

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Verdict } from '../../assembly/abi.js';
import { readCapture, LinkType } from '../../src/pcap/index.js';
import {
  decodeTracePacket, formatTracePacket, formatTracePolicy, formatTraceRule, loopbackLlHeader, tracePacketItems, traceHeaders, type TraceInterface, type TracePacketInfo,
} from '../../src/format/trace.js';
import { readGaps } from '../known-gaps.js';
import { tracePktinfo } from '../../src/replay-trace.js';

const DIR = fileURLToPath(new URL('../fixtures/trace', import.meta.url));
const GAPS_FILE = fileURLToPath(new URL('../known-gaps/trace-packet.txt', import.meta.url));

const NFPROTO: Record<string, number> = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 };
const ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_IPV6 = 0x86dd;

/** An L3 packet seen in a capture (or reassembled from fragments), with the Ethernet header it came with. */
interface Seen {
  ethertype: number;
  l3: Uint8Array;
  ll?: Uint8Array;
}

interface HostIf { name: string; index: number; kind: string }

const be16 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Every L3 packet of the scenario: per-interface Ethernet captures, then `-i any` (cooked v2, for lo). */
function capturedPackets(dir: string): Seen[] {
  const seen: Seen[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pcap')).sort()) {
    const cap = readCapture(new Uint8Array(readFileSync(join(dir, f))));
    for (const p of cap.packets) {
      if (p.networkOffset < 0) continue;
      const l3 = p.data.subarray(p.networkOffset);
      if (p.linkType === LinkType.Ethernet) seen.push({ ethertype: p.protocol, l3, ll: p.data.subarray(0, 14) });
      else if (p.cooked?.hatype === 772) {
        // lo: the kernel's MAC header is 12 zero bytes and the EtherType.
        const ll = new Uint8Array(14);
        ll[12] = p.protocol >> 8; ll[13] = p.protocol & 0xff;
        seen.push({ ethertype: p.protocol, l3, ll });
      } else seen.push({ ethertype: p.protocol, l3 });
    }
  }
  return seen;
}

/** IPv4 and IPv6 datagrams reassembled from the captured fragments (input after defrag sees these). */
function reassembled(seen: Seen[]): Seen[] {
  const groups = new Map<string, { first?: Seen; parts: { off: number; data: Uint8Array; more: boolean }[]; hdrLen: number; v6: boolean; last: Seen }>();
  for (const s of seen) {
    const b = s.l3;
    if (s.ethertype === ETH_P_IP && b.length >= 20) {
      const ff = be16(b, 6), off = (ff & 0x1fff) * 8, more = !!(ff & 0x2000);
      if (!more && off === 0) continue;
      const ihl = (b[0]! & 15) * 4, end = Math.min(be16(b, 2), b.length);
      const key = `4:${hex(b.subarray(12, 20))}:${be16(b, 4)}:${b[9]}`;
      const g = groups.get(key) ?? { parts: [], hdrLen: ihl, v6: false, last: s };
      if (off === 0) g.first = s;
      g.last = s;
      g.parts.push({ off, data: b.subarray(ihl, end), more });
      groups.set(key, g);
    } else if (s.ethertype === ETH_P_IPV6 && b.length >= 48 && b[6] === 44) {
      const ff = be16(b, 42), off = ff & 0xfff8, more = !!(ff & 1);
      if (!more && off === 0) continue;
      const key = `6:${hex(b.subarray(8, 40))}:${hex(b.subarray(44, 48))}`;
      const g = groups.get(key) ?? { parts: [], hdrLen: 48, v6: true, last: s };
      if (off === 0) g.first = s;
      g.last = s;
      g.parts.push({ off, data: b.subarray(48, 40 + be16(b, 4)), more });
      groups.set(key, g);
    }
  }
  const out: Seen[] = [];
  for (const g of groups.values()) {
    if (!g.first) continue;
    const parts = [...new Map(g.parts.map((p) => [p.off, p])).values()].sort((a, b) => a.off - b.off);
    let at = 0;
    const bodies: Uint8Array[] = [];
    for (const p of parts) {
      if (p.off !== at) break;
      bodies.push(p.data);
      at += p.data.length;
    }
    if (parts[parts.length - 1]!.more) continue;
    const body = concat(bodies);
    const f = g.first.l3;
    if (g.v6) {
      // The fragment header goes; its next header moves into the IPv6 header.
      const h = new Uint8Array(f.subarray(0, 40));
      h[6] = f[40]!;
      const len = body.length;
      h[4] = len >> 8; h[5] = len & 0xff;
      out.push({ ethertype: ETH_P_IPV6, l3: concat([h, body]), ll: g.last.ll });
    } else {
      const h = new Uint8Array(f.subarray(0, g.hdrLen));
      const len = h.length + body.length;
      h[2] = len >> 8; h[3] = len & 0xff;
      h[6] = 0; h[7] = 0;
      out.push({ ethertype: ETH_P_IP, l3: concat([h, body]), ll: g.last.ll });
    }
  }
  return out;
}

/**
 * Forwarded packets between NAT steps: destination (address, port) already
 * translated or restored in prerouting, source not yet (postrouting). Built
 * from two captured packets of one flow with the same IP id: the ingress copy
 * with the destination of the egress copy.
 */
function natIntermediates(seen: Seen[]): Seen[] {
  const v4 = [...new Map(seen.filter((s) => s.ethertype === ETH_P_IP && s.l3.length >= 20).map((s) => [hex(s.l3), s])).values()];
  const out: Seen[] = [];
  for (const a of v4) {
    for (const b of v4) {
      if (a === b || be16(a.l3, 4) !== be16(b.l3, 4) || a.l3[9] !== b.l3[9]) continue;
      const l3 = new Uint8Array(a.l3);
      l3.set(b.l3.subarray(16, 20), 16);
      const ta = (a.l3[0]! & 15) * 4, tb = (b.l3[0]! & 15) * 4;
      if ((a.l3[9] === 6 || a.l3[9] === 17) && l3.length >= ta + 4 && b.l3.length >= tb + 4) l3.set(b.l3.subarray(tb + 2, tb + 4), ta + 2);
      if (hex(l3) !== hex(a.l3)) out.push({ ethertype: ETH_P_IP, l3, ll: a.ll });
    }
  }
  return out;
}

/** What nft_set_pktinfo* gives the trace for this L3 packet in this family (the replay's own function). */
function pktinfo(s: Seen, family: string): { network: Uint8Array; thoff?: number } {
  if (family === 'arp') return { network: s.l3 };
  return tracePktinfo(s.ethertype, s.l3, family === 'netdev' || family === 'bridge');
}

/** The same packet one hop later: ttl / hop limit decremented by the forwarding path. */
function forwarded(s: Seen): Seen | null {
  const l3 = new Uint8Array(s.l3);
  if (s.ethertype === ETH_P_IP && l3.length >= 20 && l3[8]! > 0) l3[8]!--;
  else if (s.ethertype === ETH_P_IPV6 && l3.length >= 40 && l3[7]! > 0) l3[7]!--;
  else return null;
  return { ...s, l3 };
}

interface PacketLine { n: number; family: string; table: string; chain: string; iif?: string; oif?: string; rest: string }

function packetLines(text: string): PacketLine[] {
  const out: PacketLine[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^trace id [0-9a-f]{8} (\S+) (\S+) (\S+) packet: (.*)$/.exec(line);
    if (!m) return;
    const d = /^(?:iif "([^"]+)" )?(?:oif "([^"]+)" )?/.exec(m[4]!)!;
    out.push({ n: i + 1, family: m[1]!, table: m[2]!, chain: m[3]!, iif: d[1], oif: d[2], rest: m[4]! });
  });
  return out;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

interface Outcome { key: string; ok: boolean; expected: string; closest: string }

function replayScenario(name: string): Outcome[] {
  const dir = join(DIR, name);
  const host = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as { interfaces: HostIf[] };
  const dev = (n: string | undefined): TraceInterface | undefined => {
    if (n === undefined) return undefined;
    const i = host.interfaces.find((x) => x.name === n);
    return { index: i?.index ?? 0, name: n, type: i?.kind === 'loopback' ? 772 : 1 };
  };
  const captured = capturedPackets(dir);
  const all = [...captured, ...reassembled(captured), ...natIntermediates(captured)];
  const lls = [...new Map(all.filter((s) => s.ll).map((s) => [hex(s.ll!), s.ll!])).values()];
  const outcomes: Outcome[] = [];
  for (const line of packetLines(readFileSync(join(dir, 'trace.txt'), 'utf8'))) {
    let closest = '';
    let ok = false;
    const tried = new Set<string>();
    search: for (const base of all) {
      for (const s of [base, forwarded(base)]) {
        if (!s) continue;
        const fam = line.family;
        if ((fam === 'ip' && s.ethertype !== ETH_P_IP) || (fam === 'ip6' && s.ethertype !== ETH_P_IPV6) || (fam === 'arp' && s.ethertype !== ETH_P_ARP)) continue;
        if (fam === 'inet' && s.ethertype !== ETH_P_IP && s.ethertype !== ETH_P_IPV6) continue;
        const sig = hex(s.l3);
        if (tried.has(sig)) continue;
        tried.add(sig);
        const nfproto = fam === 'inet' ? (s.ethertype === ETH_P_IP ? 2 : 10) : NFPROTO[fam]!;
        const info: TracePacketInfo = {
          id: 0, family: fam, table: line.table, chain: line.chain, nfproto, iif: dev(line.iif), oif: dev(line.oif), ...pktinfo(s, fam),
        };
        // Quick filter: the network and transport items (decoded under a neutral Ethernet header) end the line.
        const neutral = new Uint8Array(14);
        neutral[12] = s.ethertype >> 8; neutral[13] = s.ethertype & 0xff;
        const items = decodeTracePacket({ family: NFPROTO[fam]!, nfproto, iifType: info.iif?.type, ...traceHeaders({ ...info, llHeader: neutral }) });
        const tail = items.filter((x) => !/^(ether |@ll,)/.test(x)).map((x) => x + ' ').join('');
        if (!line.rest.endsWith(tail)) {
          const bare = tracePacketItems({ ...info, llHeader: s.ll });
          if (commonPrefix(bare, line.rest) > commonPrefix(closest, line.rest)) closest = bare;
          continue;
        }
        for (const ll of [undefined, s.ll, ...lls]) {
          const got = tracePacketItems({ ...info, llHeader: ll });
          if (got === line.rest) { ok = true; break search; }
          if (commonPrefix(got, line.rest) > commonPrefix(closest, line.rest)) closest = got;
        }
      }
    }
    outcomes.push({ key: `${name}:${line.n}`, ok, expected: line.rest, closest });
  }
  return outcomes;
}

const scenarios = readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'trace.txt'))).sort();

describe('trace packet lines from the recorded captures', () => {
  const gaps = readGaps(GAPS_FILE);
  const results = new Map<string, Outcome[]>();
  for (const name of scenarios) results.set(name, replayScenario(name));
  const flat = [...results.values()].flat();
  const same = flat.filter((o) => o.ok).length;
  console.log(`trace packet lines: ${same}/${flat.length} identical (${((100 * same) / flat.length).toFixed(1)}%)`);

  for (const name of scenarios) {
    it(name, () => {
      const outcomes = results.get(name)!;
      const got = join(DIR, name, 'trace.packet.got');
      const bad = outcomes.filter((o) => !o.ok);
      if (bad.length) writeFileSync(got, bad.map((o) => `${o.key}\n  want ${o.expected}\n  got  ${o.closest}\n`).join(''));
      else if (existsSync(got)) rmSync(got);
      const unlisted = bad.filter((o) => !gaps.has(o.key)).map((o) => `${o.key}\n  want ${o.expected}\n  got  ${o.closest}`);
      const fixed = outcomes.filter((o) => o.ok && gaps.has(o.key)).map((o) => `${o.key} now matches: remove it from test/known-gaps/trace-packet.txt`);
      expect([...unlisted, ...fixed]).toEqual([]);
    });
  }

  it('lists no gap for a line that does not exist', () => {
    const keys = new Set(flat.map((o) => o.key));
    expect([...gaps.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });
});

describe('trace line formatting', () => {
  const base = { id: 0x632ece30, family: 'inet', table: 't', chain: 'in' };

  it('rule icmp type echo-request jump sub (verdict jump sub)', () => {
    expect(formatTraceRule({ ...base, ruleText: 'icmp type echo-request jump sub', verdict: { code: Verdict.Jump, chain: 'sub' } }))
      .toBe('trace id 632ece30 inet t in rule icmp type echo-request jump sub (verdict jump sub)');
  });

  it('rule verdicts: continue, accept, drop, goto, return, queue', () => {
    const v = (code: number, chain?: string) => formatTraceRule({ ...base, family: 2, chain: 'c', ruleText: 'counter packets 0 bytes 0', verdict: { code, chain } });
    expect(v(Verdict.Continue)).toBe('trace id 632ece30 ip t c rule counter packets 0 bytes 0 (verdict continue)');
    expect(v(Verdict.Accept)).toMatch(/\(verdict accept\)$/);
    expect(v(Verdict.Drop)).toMatch(/\(verdict drop\)$/);
    expect(v(Verdict.Goto, 'sub2')).toMatch(/\(verdict goto sub2\)$/);
    expect(v(Verdict.Return)).toMatch(/\(verdict return\)$/);
    expect(v(Verdict.Queue | (3 << 16))).toMatch(/\(verdict queue\)$/);
  });

  it('rule missing from the cache: unknown rule handle 7', () => {
    expect(formatTraceRule({ ...base, ruleText: null, handle: 7, verdict: { code: Verdict.Accept } }))
      .toBe('trace id 632ece30 inet t in unknown rule handle 7 (verdict accept)');
  });

  it('policy accept / policy drop, with meta mark when set', () => {
    expect(formatTracePolicy({ ...base, policy: Verdict.Accept })).toBe('trace id 632ece30 inet t in policy accept ');
    expect(formatTracePolicy({ ...base, family: 'netdev', table: 'ingress', chain: 'eth0late', policy: Verdict.Accept, mark: 7 }))
      .toBe('trace id 632ece30 netdev ingress eth0late policy accept meta mark 0x00000007 ');
    expect(formatTracePolicy({ ...base, id: 0xa, policy: Verdict.Drop, mark: 0 })).toBe('trace id 0000000a inet t in policy drop ');
  });

  it('packet line of a udp datagram to lo in inet input', () => {
    const l3 = Uint8Array.from([
      0x45, 0, 0, 35, 0x1c, 0x37, 0x40, 0, 64, 17, 0, 0, 10, 99, 1, 1, 10, 99, 1, 1,
      0xb2, 0x25, 0x1b, 0x58, 0, 15, 0, 0, ...Array.from('to-self', (c) => c.charCodeAt(0)),
    ]);
    expect(formatTracePacket({ ...base, chain: 'input', nfproto: 2, iif: { index: 1, name: 'lo', type: 772 }, llHeader: loopbackLlHeader(0x0800), network: l3, thoff: 20 }))
      .toBe('trace id 632ece30 inet t input packet: iif "lo" @ll,0,112 0x800 ip saddr 10.99.1.1 ip daddr 10.99.1.1 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 7223 ip protocol udp ip length 35 udp sport 45605 udp dport 7000 udp length 15 @th,64,56 0x746f2d73656c66 ');
  });

  it('udp to 10.99.1.2:5353 dropped in postrouting (inet-output:58, a packet no capture holds)', () => {
    const l3 = Uint8Array.from([
      0x45, 0, 0, 32, 0xbf, 0xb3, 0x40, 0, 64, 17, 0, 0, 10, 99, 1, 1, 10, 99, 1, 2,
      0xb2, 0x25, 0x14, 0xe9, 0, 12, 0, 0, ...Array.from('mdns', (c) => c.charCodeAt(0)),
    ]);
    const want = readFileSync(join(DIR, 'inet-output', 'trace.txt'), 'utf8').split('\n')[57];
    expect(formatTracePacket({ id: 0xa8578c65, family: 'inet', table: 'trace', chain: 'out', nfproto: 2, oif: { index: 2, name: 'eth0', type: 1 }, network: l3, thoff: 20 }))
      .toBe(want);
  });

  it('unnamed interface prints its index; no headers → no packet line', () => {
    const l3 = Uint8Array.from([0x45, 0, 0, 20, 0, 1, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    expect(tracePacketItems({ ...base, family: 'ip', nfproto: 2, oif: { index: 9, type: 1 }, network: l3, thoff: 20 }))
      .toBe('oif 9 ip saddr 10.0.0.1 ip daddr 10.0.0.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 1 ip protocol gre ip length 20 ');
    expect(formatTracePacket({ ...base, nfproto: 2, network: new Uint8Array(0) })).toBeNull();
  });

  it('kernel header cuts: 40 network bytes, 20 transport bytes, 20 link-layer bytes', () => {
    const h = traceHeaders({ llHeader: new Uint8Array(30), network: new Uint8Array(100), thoff: 60 });
    expect([h.ll?.length, h.network?.length, h.transport?.length]).toEqual([20, 40, 20]);
    const arp = traceHeaders({ network: new Uint8Array(28) });
    expect([arp.network?.length, arp.transport]).toEqual([28, undefined]);
  });
});
