// Packet parsing as the kernel sets up nft_pktinfo: truncated and malformed
// headers, IPv4 fragments (and the payload fast path's fragment quirk),
// IPv6 extension headers and fragments, VLAN tags; never out of bounds.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { ACCEPT, DROP, engine, ether, inputChain, ipv4, ipv6, rx, tcp, udp, verdicts } from './helpers.js';

describe('IPv4', () => {
  it('the receive path drops a bad checksum, a short header, a bad version or total length (stack drop)', async () => {
    const good = ipv4({ l4: tcp() });
    const badSum = good.slice();
    badSum[10]! ^= 0xff;
    const badLen = good.slice();
    badLen[3] = 200;
    const v5 = good.slice();
    v5[0] = 0x55;
    const e = await engine();
    e.load(inputChain('accept', 'ip', 'accept', 'prerouting'));
    const r = e.evaluate([rx(good), rx(badSum), rx(badLen), rx(v5), rx(good.subarray(0, 12))]);
    expect([0, 1, 2, 3, 4].map((i) => r.verdict(i))).toEqual([ACCEPT, DROP, DROP, DROP, DROP]);
    expect([1, 2, 3, 4].every((i) => r.flags(i) & abi.ResFlags.StackDrop)).toBe(true);
  });
  it('trims Ethernet padding to the total length: a load past it BREAKs', async () => {
    const ip = ipv4({ l4: udp() }); // 28 bytes
    const padded = new Uint8Array(46);
    padded.set(ip);
    expect(await verdicts(inputChain('@nh,224,8 0 drop'), [rx(padded)])).toEqual([ACCEPT]);
    expect(await verdicts(inputChain('meta len 28 drop'), [rx(padded)])).toEqual([DROP]);
  });
  it('the header checksum covers the options: a changed option byte is a stack drop', async () => {
    const good = ipv4({ options: [1, 1, 1, 1, 1, 1, 1, 0], l4: tcp() });
    const bad = good.slice();
    bad[20 + 5]! ^= 0x10;
    const e = await engine();
    e.load(inputChain('accept', 'ip', 'accept', 'prerouting'));
    const r = e.evaluate([rx(good), rx(bad)]);
    expect([r.verdict(0), r.verdict(1)]).toEqual([ACCEPT, DROP]);
    expect(r.flags(1) & abi.ResFlags.StackDrop).toBeTruthy();
  });
  it('options shift the transport header (ihl)', async () => {
    const opts = [1, 1, 1, 1, 1, 1, 1, 0];
    expect(await verdicts(inputChain('tcp dport 22 drop'), [rx(ipv4({ options: opts, l4: tcp({ dport: 22 }) }))])).toEqual([DROP]);
  });
  it('non-first fragment: aligned 2-byte transport load reads fragment bytes (fast path); unaligned BREAKs', async () => {
    // Fragment at offset 8 whose payload starts 00 50 00 16: "sport" 80, "dport" 22 as seen by the fast path.
    const frag = ipv4({ proto: 6, frag: 8, raw: Uint8Array.from([0, 80, 0, 22, 0, 0, 0, 0]) });
    expect(await verdicts(inputChain('tcp dport 22 drop'), [rx(frag)])).toEqual([DROP]);
    // th,8,16: offset 1 byte, length 2: not aligned → generic path → BREAK on fragoff.
    expect(await verdicts(inputChain('@th,8,16 0x5000 drop'), [rx(frag)])).toEqual([ACCEPT]);
    expect(await verdicts(inputChain('ip frag-off & 0x1fff != 0 drop'), [rx(frag)])).toEqual([DROP]);
  });
  it('truncated transport header: loads past the end BREAK', async () => {
    const ip = ipv4({ proto: 6, raw: Uint8Array.from([0, 80]) });
    expect(await verdicts(inputChain('tcp dport 22 drop\ntcp sport 80 counter'), [rx(ip)])).toEqual([ACCEPT]);
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options and AH to the transport header', async () => {
    const hbh = new Uint8Array(8);
    const rt = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0]);
    const ah = new Uint8Array(16);
    ah[1] = 2; // (2 + 2) * 4 = 16 bytes
    const dst = new Uint8Array(16);
    dst[1] = 1; // (1 + 1) * 8
    const pkt = ipv6({ ext: [[0, hbh], [43, rt], [51, ah], [60, dst]], l4: tcp({ dport: 22 }) });
    expect(await verdicts(inputChain('tcp dport 22 drop', 'ip6'), [rx(pkt)])).toEqual([DROP]);
    expect(await verdicts(inputChain('meta l4proto tcp drop', 'ip6'), [rx(pkt)])).toEqual([DROP]);
  });
  it('non-first fragment: l4proto is the upper protocol, the transport header is the network header (thoff 0)', async () => {
    const frag = Uint8Array.from([0, 0, 0, 8, 0, 0, 0, 1]); // offset 8
    const pkt = ipv6({ ext: [[44, frag]], nexthdr: 17, flow: 0x12345 });
    expect(await verdicts(inputChain('meta l4proto udp drop', 'ip6'), [rx(pkt)])).toEqual([DROP]);
    // udp dport = bytes 2..3 of the IPv6 header (flow label low bits 0x2345) via the fast path.
    expect(await verdicts(inputChain('udp dport 0x2345 drop', 'ip6'), [rx(pkt)])).toEqual([DROP]);
  });
  it('a truncated extension header chain leaves no L4 information', async () => {
    const pkt = ipv6({ ext: [[0, new Uint8Array(8)]], nexthdr: 60 }); // dstopts announced, missing
    expect(await verdicts(inputChain('meta l4proto 60 drop\nmeta l4proto 59 drop', 'ip6'), [rx(pkt)])).toEqual([ACCEPT]);
  });
  it('payload length beyond the packet: stack drop', async () => {
    const pkt = ipv6({ l4: udp() });
    pkt[5] = 200;
    const e = await engine();
    e.load(inputChain('accept', 'ip6'));
    expect(e.evaluate([rx(pkt)]).flags(0) & abi.ResFlags.StackDrop).toBeTruthy();
  });
});

describe('link layer', () => {
  it('802.1Q: the network header follows the tag; link-layer loads see the tag; locally generated packets have no link layer', async () => {
    const frame = ether(ipv4({ l4: tcp({ dport: 22 }) }), { vlan: 5 });
    expect(await verdicts(inputChain('tcp dport 22 drop'), [{ data: frame, iif: 2 }])).toEqual([DROP]);
    expect(await verdicts(inputChain('@ll,96,16 0x8100 drop'), [{ data: frame, iif: 2 }])).toEqual([DROP]);
    const out = { data: ipv4({ src: '10.0.0.1', dst: '10.0.0.9' }), iif: 0 };
    expect(await verdicts(inputChain('@ll,0,8 0 drop\n@ll,0,8 != 0 drop', 'ip', 'accept', 'output'), [out])).toEqual([ACCEPT]);
  });
  it('a frame shorter than an Ethernet header never reaches the hooks', async () => {
    const e = await engine();
    e.load(inputChain('accept'));
    const r = e.evaluate([{ data: new Uint8Array(10), iif: 2, family: abi.Family.Ipv4, hooks: [abi.InetHook.Prerouting] }]);
    expect(r.flags(0) & abi.ResFlags.StackDrop).toBeTruthy();
  });
});
