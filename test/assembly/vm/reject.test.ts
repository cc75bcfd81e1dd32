// reject builds the packet the kernel sends (assembly/reject-build.ts):
// against the kernel's own replies in the recorded fixtures (eth0.pcap of
// test/fixtures/trace/reject and ip6-input: each rejected frame, then the
// host's reply), and unit cases: RST with/without ACK, payload lengths,
// ICMP quoting and the 576/1280-byte limits, no reply to RST / ICMP errors /
// broadcast / fragments / bad checksums, icmpx codes per family.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import type { BatchResult, Engine, PacketIn, RejectReply } from '../../../src/engine.js';
import { hostFromJson } from '../../../src/host.js';
import { readCapture } from '../../../src/pcap/index.js';
import { rejectReplyText } from '../../../src/format/reject.js';
import { csum, engine, ether, icmp, ipv4, ipv6, tcp, udp } from './helpers.js';

const root = new URL('../../../', import.meta.url).pathname;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The reply of the (single) reject record of packet 0. */
function replyOf(r: BatchResult, packet = 0): RejectReply | undefined {
  const rec = r.records().find((x) => x.kind === abi.RecordKind.Reject && x.packet === packet);
  return rec ? r.rejectReply(rec) : undefined;
}
function bytesOf(x: RejectReply | undefined): Uint8Array {
  if (!x || !('bytes' in x)) throw new Error(`no reply: ${JSON.stringify(x)}`);
  return x.bytes;
}

/** One's complement sum of the IPv4 pseudo header + segment: 0xffff when the checksum is right. */
function l4ok4(p: Uint8Array): boolean {
  const hl = (p[0]! & 15) * 4;
  const len = p.length - hl;
  let s = 0;
  for (let i = 12; i < 20; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  s += p[9]! === 1 ? 0 : p[9]! + len;
  if (p[9] === 1) s = 0;
  return csum(p.subarray(hl), s) === 0;
}
function l4ok6(p: Uint8Array): boolean {
  let s = 0;
  for (let i = 8; i < 40; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  s += p[6]! + (p.length - 40);
  return csum(p.subarray(40), s) === 0;
}

interface Pair {
  frame: Uint8Array;
  reply: Uint8Array;
}

/** Frames received on eth0 (from the peer's MAC) each followed by the host's reply to it. */
function pairs(scenario: string, peerMac: string, hostMac: string): { sent: Uint8Array[]; pairs: Pair[] } {
  const cap = readCapture(new Uint8Array(readFileSync(`${root}test/fixtures/trace/${scenario}/eth0.pcap`)));
  const mac = (b: Uint8Array, o: number) => [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const sent: Uint8Array[] = [];
  const out: Pair[] = [];
  const ps = cap.packets;
  for (let i = 0; i < ps.length; i++) {
    const f = ps[i]!.data;
    if (mac(f, 6) !== peerMac) continue;
    sent.push(f);
    const n = ps[i + 1]?.data;
    if (n && mac(n, 6) === hostMac) out.push({ frame: f, reply: n.subarray(14) });
  }
  return { sent, pairs: out };
}

/** The kernel's reply with its random fields (IPv4 id of ICMP errors, IPv6 flow label) and offloaded checksum normalised, as ours are. */
function normalise(kernel: Uint8Array): Uint8Array {
  const k = new Uint8Array(kernel);
  const v = new DataView(k.buffer);
  if (k[0]! >> 4 === 4) {
    if (k[9] === 1) {
      v.setUint16(4, 0); // ip_select_ident
      v.setUint16(10, 0);
      v.setUint16(10, csum(k.subarray(0, 20)));
    }
    if (k[9] === 6) {
      // CHECKSUM_PARTIAL on veth: the capture holds the pseudo-header sum; the wire gets the full checksum.
      const hl = (k[0]! & 15) * 4;
      let s = 0;
      for (let i = 12; i < 20; i += 2) s += (k[i]! << 8) | k[i + 1]!;
      s += 6 + (k.length - hl);
      while (s >> 16) s = (s & 0xffff) + (s >> 16);
      expect(v.getUint16(hl + 16)).toBe(s);
      v.setUint16(hl + 16, 0);
      v.setUint16(hl + 16, csum(k.subarray(hl), s));
    }
  } else {
    v.setUint32(0, v.getUint32(0) & 0xfff00000); // auto flow label
  }
  return k;
}

async function fixtureEngine(scenario: string): Promise<Engine> {
  const dir = `${root}test/fixtures/trace/${scenario}/`;
  const e = await engine({ host: hostFromJson(JSON.parse(readFileSync(dir + 'host.json', 'utf8'))), recordBytes: 1 << 20 });
  e.load(readFileSync(dir + 'ruleset.nft', 'utf8'));
  return e;
}

describe('reject replies against the kernel captures', () => {
  for (const [scenario, want] of [['reject', 9], ['ip6-input', 1]] as const) {
    it(`${scenario}: every reply the kernel sent to a rejected frame, byte for byte`, async () => {
      const e = await fixtureEngine(scenario);
      const { sent, pairs: ps } = pairs(scenario, '02:00:00:00:01:02', '02:00:00:00:01:01');
      const byFrame = new Map(ps.map((p) => [p.frame, p.reply]));
      let compared = 0;
      for (const f of sent) {
        const r = e.evaluate([{ data: f, iif: 2 }]);
        const rec = r.records().find((x) => x.kind === abi.RecordKind.Reject);
        const kernel = byFrame.get(f);
        if (!rec) continue;
        const got = r.rejectReply(rec);
        expect(kernel, `frame ${hex(f)} rejected but the kernel sent nothing`).toBeDefined();
        expect(hex(bytesOf(got)), rejectReplyText(got)).toBe(hex(normalise(kernel!)));
        expect(bytesOf(got)[0]! >> 4 === 4 ? l4ok4(bytesOf(got)) : l4ok6(bytesOf(got))).toBe(true);
        compared++;
      }
      expect(compared).toBe(want);
    });
  }
});

const RULES = `table inet t {
  chain in {
    type filter hook input priority 0; policy accept;
    tcp dport 1 reject with tcp reset
    udp dport 2 reject
    udp dport 3 reject with icmpx type admin-prohibited
    udp dport 4 reject with icmpx type no-route
    udp dport 5 reject with icmpx type host-unreachable
    meta l4proto icmp reject
    meta l4proto ipv6-icmp reject
    meta l4proto 200 reject
  }
  chain fw {
    type filter hook forward priority 0; policy accept;
    reject
  }
}`;

async function run(p: PacketIn): Promise<{ r: BatchResult; reply: RejectReply | undefined }> {
  const e = await engine();
  e.load(RULES);
  const r = e.evaluate([{ iif: 2, ether: false, ...p }]);
  return { r, reply: replyOf(r) };
}
const tcp4 = (o: Parameters<typeof tcp>[0], extra: Partial<Parameters<typeof ipv4>[0]> = {}) => ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: tcp({ dport: 1, ...o }), ...extra });

describe('tcp reset', () => {
  it('SYN without ACK: seq 0, ack = seq + 1, RST|ACK, DF, id 0, ttl 64, window 0, checksums', async () => {
    const { r, reply } = await run({ data: tcp4({ flags: 0x02, sport: 40000 }) });
    expect(r.verdict(0)).toBe(abi.Verdict.Drop);
    const b = bytesOf(reply);
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    expect(b.length).toBe(40);
    expect(hex(b.subarray(0, 10))).toBe('45000028000040004006');
    expect(csum(b.subarray(0, 20))).toBe(0);
    expect([...b.subarray(12, 20)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(v.getUint16(20)).toBe(1);
    expect(v.getUint16(22)).toBe(40000);
    expect(v.getUint32(24)).toBe(0);
    expect(v.getUint32(28)).toBe(2); // helpers' seq 1 + SYN
    expect(b[32]).toBe(0x50);
    expect(b[33]).toBe(0x14);
    expect(v.getUint16(34)).toBe(0);
    expect(l4ok4(b)).toBe(true);
    expect(rejectReplyText(reply)).toBe('10.0.0.1 > 10.0.0.2 tcp 1 > 40000 rst,ack seq 0 ack 2 (40 bytes)');
  });

  it('payload and FIN count in the ack; options do not', async () => {
    const b = bytesOf((await run({ data: tcp4({ flags: 0x01, options: [1, 1, 1, 1], payload: [1, 2, 3, 4, 5] }) })).reply);
    expect(new DataView(b.buffer, b.byteOffset).getUint32(28)).toBe(1 + 1 + 5);
  });

  it('segment with ACK: seq = its ack, plain RST, ack 0', async () => {
    const f = tcp4({ flags: 0x18, payload: [9, 9] });
    new DataView(f.buffer).setUint32(20 + 8, 0xdeadbeef);
    new DataView(f.buffer).setUint16(20 + 16, 0);
    new DataView(f.buffer).setUint16(20 + 16, csum(f.subarray(20), 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 6 + f.length - 20));
    const b = bytesOf((await run({ data: f })).reply);
    const v = new DataView(b.buffer, b.byteOffset);
    expect(v.getUint32(24)).toBe(0xdeadbeef);
    expect(v.getUint32(28)).toBe(0);
    expect(b[33]).toBe(0x04);
    expect(l4ok4(b)).toBe(true);
  });

  it('no RST in reply to a RST, a non-first fragment, a bad checksum, or a non-TCP packet', async () => {
    expect((await run({ data: tcp4({ flags: 0x04 }) })).reply).toEqual({ skip: abi.RejectSkip.Rst });
    expect((await run({ data: tcp4({ flags: 0x14 }) })).reply).toEqual({ skip: abi.RejectSkip.Rst });
    const bad = tcp4({ flags: 0x02 });
    bad[bad.length - 1]! ^= 1;
    bad[30]! ^= 0x40;
    expect((await run({ data: bad })).reply).toEqual({ skip: abi.RejectSkip.BadChecksum });
    const frag = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 6, frag: 8, raw: new Uint8Array(24) });
    const e = await engine();
    e.load('table ip t {\n chain in {\n type filter hook input priority 0;\n reject with tcp reset\n }\n}');
    expect(replyOf(e.evaluate([{ data: frag, iif: 2, ether: false }]))).toEqual({ skip: abi.RejectSkip.Fragment });
    // `reject with tcp reset` implies `ip protocol tcp` (nft adds the dependency): UDP never reaches it.
    expect(replyOf(e.evaluate([{ data: ipv4({ l4: udp({}) }), iif: 2, ether: false }]))).toBeUndefined();
  });

  it('IPv6: addresses swapped, hop limit 64, flow label 0, RST|ACK over the payload', async () => {
    const b = bytesOf((await run({ data: ipv6({ l4: tcp({ dport: 1, flags: 0x02, payload: [1, 2, 3] }) }) })).reply);
    expect(b.length).toBe(60);
    expect(hex(b.subarray(0, 8))).toBe('6000000000140640');
    expect(hex(b.subarray(8, 24))).toBe('20010db8000000000000000000000001');
    expect(new DataView(b.buffer, b.byteOffset).getUint32(48)).toBe(1 + 1 + 3);
    expect(b[53]).toBe(0x14);
    expect(l4ok6(b)).toBe(true);
  });
});

describe('icmp unreachable', () => {
  it('port unreachable: tos 0xc0, ttl 64, no DF, the whole packet quoted, checksums', async () => {
    const f = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: [1, 2, 3] }) });
    const b = bytesOf((await run({ data: f })).reply);
    expect(b.length).toBe(28 + f.length);
    expect(hex(b.subarray(0, 10))).toBe(`45c0${(28 + f.length).toString(16).padStart(4, '0')}000000004001`);
    expect([...b.subarray(12, 20)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(csum(b.subarray(0, 20))).toBe(0);
    expect([b[20], b[21]]).toEqual([3, 3]);
    expect(hex(b.subarray(28))).toBe(hex(f));
    expect(l4ok4(b)).toBe(true);
  });

  it('quotes at most 576 bytes in all', async () => {
    const f = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: new Array(1000).fill(7) }) });
    const b = bytesOf((await run({ data: f })).reply);
    expect(b.length).toBe(576);
    expect(hex(b.subarray(28))).toBe(hex(f.subarray(0, 548)));
    expect(l4ok4(b)).toBe(true);
  });

  it('icmpx codes map per family', async () => {
    const code4 = async (dport: number) => bytesOf((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport }) }) })).reply)[21];
    const code6 = async (dport: number) => bytesOf((await run({ data: ipv6({ l4: udp({ dport }) }) })).reply)[41];
    expect([await code4(2), await code4(3), await code4(4), await code4(5)]).toEqual([3, 13, 0, 1]);
    expect([await code6(2), await code6(3), await code6(4), await code6(5)]).toEqual([4, 1, 0, 3]);
  });

  it('no error about an ICMP error; echo requests get one', async () => {
    expect((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: icmp({ type: 3, code: 3 }) }) })).reply).toEqual({ skip: abi.RejectSkip.IcmpError });
    expect((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: icmp({ type: 11 }) }) })).reply).toEqual({ skip: abi.RejectSkip.IcmpError });
    expect(bytesOf((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: icmp({ type: 8 }) }) })).reply)[20]).toBe(3);
    expect((await run({ data: ipv6({ l4: icmp({ type: 1, proto: 58 }) }) })).reply).toEqual({ skip: abi.RejectSkip.IcmpError });
  });

  it('no error to broadcast / multicast destinations or non-host packet types', async () => {
    expect((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.255', l4: udp({ dport: 2 }) }) })).reply).toEqual({ skip: abi.RejectSkip.NotUnicast });
    expect((await run({ data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2 }) }), pkttype: 1 })).reply).toEqual({ skip: abi.RejectSkip.NotUnicast });
    expect((await run({ data: ipv6({ dst: 'ff02::1', l4: udp({ dport: 2 }) }) })).reply).toEqual({ skip: abi.RejectSkip.NotUnicast });
  });

  it('a wrong UDP checksum means no error; UDP without a checksum still gets one', async () => {
    const bad = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: [1] }) });
    bad[bad.length - 1]! ^= 0x10;
    expect((await run({ data: bad })).reply).toEqual({ skip: abi.RejectSkip.BadChecksum });
    bad[26] = 0;
    bad[27] = 0;
    expect(bytesOf((await run({ data: bad })).reply)[20]).toBe(3);
  });

  it('forwarded packets: the source is the address of the interface towards the sender', async () => {
    const f = ipv4({ src: '192.168.1.7', dst: '10.0.0.9', l4: udp({ dport: 9 }) });
    const b = bytesOf((await run({ data: f, iif: 3, ether: false, family: abi.Family.Ipv4, hooks: [abi.InetHook.Prerouting, abi.InetHook.Forward] })).reply);
    expect([...b.subarray(12, 20)]).toEqual([192, 168, 1, 1, 192, 168, 1, 7]);
  });

  it('ICMPv6: the original quoted up to 1280 bytes in all, pseudo-header checksum', async () => {
    const small = ipv6({ l4: udp({ dport: 2, payload: [5] }) });
    let b = bytesOf((await run({ data: small })).reply);
    expect(b.length).toBe(48 + small.length);
    expect(hex(b.subarray(0, 8))).toBe(`60000000${(8 + small.length).toString(16).padStart(4, '0')}3a40`);
    expect([b[40], b[41]]).toEqual([1, 4]);
    expect(hex(b.subarray(48))).toBe(hex(small));
    expect(l4ok6(b)).toBe(true);
    const big = ipv6({ l4: udp({ dport: 2, payload: new Array(1400).fill(3) }) });
    b = bytesOf((await run({ data: big })).reply);
    expect(b.length).toBe(1280);
    expect(hex(b.subarray(48))).toBe(hex(big.subarray(0, 1232)));
    expect(l4ok6(b)).toBe(true);
  });

  it('ICMPv6: no error about a non-first fragment', async () => {
    const frag = new Uint8Array(16);
    frag[2] = 0;
    frag[3] = 8 << 3; // offset 64
    const f = ipv6({ ext: [[44, frag.subarray(0, 8)]], nexthdr: 17, l4: { proto: 17, bytes: new Uint8Array(16) } });
    const e = await engine();
    e.load('table ip6 t {\n chain in {\n type filter hook input priority 0;\n reject\n }\n}');
    expect(replyOf(e.evaluate([{ data: f, iif: 2, ether: false }]))).toEqual({ skip: abi.RejectSkip.Fragment });
  });

  it('replies fill the record area from its end; a full area says so', async () => {
    const e = await engine({ recordBytes: 16 + 24 * 4 + 600 });
    e.load(RULES);
    const f = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: new Array(600).fill(1) }) });
    const r = e.evaluate([{ data: f, iif: 2, ether: false }, { data: f, iif: 2, ether: false }]);
    const rec = r.records().filter((x) => x.kind === abi.RecordKind.Reject);
    expect(rec.length).toBe(2);
    expect(bytesOf(r.rejectReply(rec[0]!)).length).toBe(576);
    expect(r.rejectReply(rec[1]!)).toEqual({ skip: abi.RejectSkip.NoSpace });
  });
});

describe('bridge and netdev families (nf_reject_skb_v4/v6_*)', () => {
  const BR = 'table bridge b {\n chain pre {\n type filter hook prerouting priority 0;\n tcp dport 1 reject with tcp reset\n udp dport 2 reject with icmp type port-unreachable\n meta l4proto icmp reject with icmp type host-unreachable\n udp dport 6 reject with icmpv6 type port-unreachable\n }\n}';
  async function br(ip: Uint8Array, frame?: Uint8Array): Promise<RejectReply | undefined> {
    const e = await engine();
    e.load(BR);
    return replyOf(e.evaluate([{ data: frame ?? ether(ip), iif: 2, family: abi.Family.Bridge, hooks: [0] }]));
  }

  it('tcp reset: the same bytes as the inet path', async () => {
    const f = tcp4({ flags: 0x02, payload: [1, 2] });
    const b = bytesOf(await br(f));
    const inet = bytesOf((await run({ data: f })).reply);
    expect(hex(b)).toBe(hex(inet));
  });

  it('icmp: tos 0, DF, id 0, at most 536 bytes quoted (564 in all)', async () => {
    const small = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: [1] }) });
    let b = bytesOf(await br(small));
    expect(hex(b.subarray(0, 10))).toBe(`4500${(28 + small.length).toString(16).padStart(4, '0')}000040004001`);
    expect([b[20], b[21]]).toEqual([3, 3]);
    expect(hex(b.subarray(28))).toBe(hex(small));
    expect(l4ok4(b)).toBe(true);
    const big = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: new Array(900).fill(2) }) });
    b = bytesOf(await br(big));
    expect(b.length).toBe(564);
    expect(hex(b.subarray(28))).toBe(hex(big.subarray(0, 536)));
  });

  it('icmp: Ethernet padding is quoted (the length is taken before the trim)', async () => {
    const ip = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2, payload: [1] }) });
    const frame = new Uint8Array(60);
    frame.set(ether(ip));
    const b = bytesOf(await br(ip, frame));
    expect(b.length).toBe(28 + 46);
  });

  it('only destination unreachable is not answered; frames to multicast MACs never are', async () => {
    expect(await br(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: icmp({ type: 3 }) }))).toEqual({ skip: abi.RejectSkip.IcmpError });
    expect(bytesOf(await br(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: icmp({ type: 11 }) })))[21]).toBe(1);
    const f = ether(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ dport: 2 }) }));
    f[0] = 0x01;
    expect(await br(new Uint8Array(0), f)).toEqual({ skip: abi.RejectSkip.NotUnicast });
  });

  it('icmpv6: flow label 0, at most 1220 bytes quoted (1268 in all)', async () => {
    const big = ipv6({ l4: udp({ dport: 6, payload: new Array(1400).fill(4) }) });
    const b = bytesOf(await br(big));
    expect(b.length).toBe(1268);
    expect(hex(b.subarray(0, 8))).toBe(`60000000${(1228).toString(16).padStart(4, '0')}3a40`);
    expect(hex(b.subarray(48))).toBe(hex(big.subarray(0, 1220)));
    expect(l4ok6(b)).toBe(true);
  });
});
