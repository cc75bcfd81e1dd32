// exthdr writes (nft_exthdr_tcp_set_eval): TCP option bytes rewritten in
// place with the TCP checksum updated incrementally (checked against a
// checksum computed from scratch); an MSS is only ever lowered.
import { describe, expect, it } from 'vitest';
import { csum, engine, inputChain, ipv4, ipv6, rx, tcp, udp } from './helpers.js';

/** TCP checksum over the IPv4 pseudo header of an IP packet (0 when valid). */
function tcpCsum4(ip: Uint8Array): number {
  const hl = (ip[0]! & 15) * 4;
  const seg = ip.subarray(hl);
  const ph = new Uint8Array(12 + seg.length);
  ph.set(ip.subarray(12, 20), 0);
  ph[9] = 6;
  ph[10] = seg.length >> 8;
  ph[11] = seg.length & 0xff;
  ph.set(seg, 12);
  return csum(ph);
}

function tcpCsum6(ip: Uint8Array): number {
  const seg = ip.subarray(40);
  const ph = new Uint8Array(40 + seg.length);
  ph.set(ip.subarray(8, 40), 0);
  ph[34] = seg.length >> 8;
  ph[35] = seg.length & 0xff;
  ph[39] = 6;
  ph.set(seg, 40);
  return csum(ph);
}

const MSS = (v: number) => [2, 4, v >> 8, v & 0xff];

async function rewrite(rule: string, pkts: Uint8Array[], family = 'ip', hook = 'forward') {
  const e = await engine();
  e.load(inputChain(rule, family, 'accept', hook));
  const r = e.evaluate(pkts.map((p) => rx(p, { iif: 2 })));
  return pkts.map((_, i) => r.packet(i).slice(14));
}

describe('exthdr write', () => {
  it('tcp option maxseg size set 1360: lowers a larger MSS, keeps a smaller one, checksum stays valid', async () => {
    const big = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: tcp({ options: [1, 1, ...MSS(1460), 4, 2, 0, 0] }) });
    const small = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: tcp({ options: MSS(1200) }) });
    const none = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: tcp({ options: [1, 1, 1, 1] }) });
    expect(tcpCsum4(big)).toBe(0);
    const [a, b, c] = await rewrite('tcp flags syn tcp option maxseg size set 1360', [big, small, none]);
    // MSS value at TCP header + 22 + 2 (two NOPs first).
    expect([a![20 + 24], a![20 + 25]]).toEqual([1360 >> 8, 1360 & 0xff]);
    expect(tcpCsum4(a!)).toBe(0);
    // Forwarding lowered the ttl: compare the TCP segments.
    expect(b!.subarray(20)).toEqual(small.subarray(20));
    expect(c!.subarray(20)).toEqual(none.subarray(20));
  });
  it('rt mtu clamping (tcp option maxseg size set rt mtu) and IPv6', async () => {
    const p6 = ipv6({ src: '2001:db8::9', dst: '2001:4860::8888', l4: tcp({ options: MSS(1440) }) });
    const [a] = await rewrite('tcp option maxseg size set 1220', [p6], 'ip6');
    expect([a![40 + 22], a![40 + 23]]).toEqual([1220 >> 8, 1220 & 0xff]);
    expect(tcpCsum6(a!)).toBe(0);
    const p4 = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: tcp({ options: MSS(1460) }) });
    // Out through eth1 (1500), back over eth0 (1500): 1460, no change; a lower value is written.
    const [b] = await rewrite('tcp option maxseg size set rt mtu', [p4]);
    expect(b!.subarray(20)).toEqual(p4.subarray(20));
  });
  it('4-byte writes (timestamp value) change in both directions; non-TCP is left alone', async () => {
    const ts = [8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1];
    const p = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: tcp({ options: ts }) });
    const [a] = await rewrite('tcp option timestamp tsval set 0x12345678', [p]);
    expect(Array.from(a!.subarray(22 + 20, 26 + 20))).toEqual([0x12, 0x34, 0x56, 0x78]);
    expect(tcpCsum4(a!)).toBe(0);
    const u = ipv4({ src: '10.0.0.9', dst: '8.8.8.8', l4: udp() });
    const [b] = await rewrite('tcp option maxseg size set 536', [u]);
    expect(b!.subarray(20)).toEqual(u.subarray(20));
  });
});
