// What the stack does to a packet between hooks, as the kernel does: ip_forward /
// ip6_forward before the forward hook (ttl / hop limit ≤ 1 dropped, else
// decremented with ip_decrease_ttl's checksum update), the nf_trace bit an
// earlier hook set (PktFlags.Nftrace), and the mark in policy trace events.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { ACCEPT, DROP, csum, engine, inputChain, ipv4, ipv6, rx, udp } from './helpers.js';

const be16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;

describe('forwarding', () => {
  it('forward and postrouting see the decremented ttl, with the checksum the kernel writes', async () => {
    const p = ipv4({ dst: '192.168.1.2', ttl: 5, l4: udp() });
    const after = p.slice(0, 20);
    after[8] = 4;
    after[10] = 0;
    after[11] = 0;
    const sum = csum(after);
    const hex = `0x${sum.toString(16).padStart(4, '0')}`;
    const e = await engine();
    e.load(inputChain(`ip ttl 4 ip checksum ${hex} counter accept\ndrop`, 'ip', 'drop', 'forward'));
    expect(e.evaluate([rx(p)]).verdict(0)).toBe(ACCEPT);
    e.load(inputChain('ip ttl 4 accept\ndrop', 'ip', 'drop', 'postrouting'));
    expect(e.evaluate([rx(p)]).verdict(0)).toBe(ACCEPT);
    // Prerouting still sees the ttl as received.
    e.load(inputChain('ip ttl 5 drop', 'ip', 'accept', 'prerouting'));
    expect(e.evaluate([rx(p)]).verdict(0)).toBe(DROP);
    expect(be16(p, 10)).not.toBe(sum);
  });
  it('ttl / hop limit 1: dropped by the stack before the forward hook (time exceeded)', async () => {
    const e = await engine();
    e.load(inputChain('counter accept', 'inet', 'accept', 'forward'));
    const pkts = [rx(ipv4({ dst: '192.168.1.2', ttl: 1, l4: udp() })), { data: ether6(ipv6({ dst: '2001:db9::2', l4: udp() }), 1), iif: 2 }, rx(ipv4({ dst: '192.168.1.2', ttl: 2, l4: udp() }))];
    const r = e.evaluate(pkts, { trace: 'all' });
    expect([r.verdict(0), r.verdict(1), r.verdict(2)]).toEqual([DROP, DROP, ACCEPT]);
    expect(r.flags(0) & abi.ResFlags.StackDrop).toBeTruthy();
    expect(r.flags(1) & abi.ResFlags.StackDrop).toBeTruthy();
    expect(r.hook(0)).toBe(abi.InetHook.Forward);
    // No trace event of the forward chain for the dropped ones.
    expect([...new Set(r.records().filter((x) => x.kind === abi.RecordKind.Trace).map((x) => x.packet))]).toEqual([2]);
  });
  it('ip6 forward sees the decremented hop limit', async () => {
    const e = await engine();
    e.load(inputChain('ip6 hoplimit 63 accept\ndrop', 'ip6', 'drop', 'forward'));
    expect(e.evaluate([{ data: ether6(ipv6({ dst: '2001:db9::2', l4: udp() }), 64), iif: 2 }]).verdict(0)).toBe(ACCEPT);
  });
});

/** An Ethernet frame of an IPv6 packet with hop limit `hl`. */
function ether6(ip: Uint8Array, hl: number): Uint8Array {
  const b = new Uint8Array(14 + ip.length);
  b[12] = 0x86;
  b[13] = 0xdd;
  b.set(ip, 14);
  b[14 + 7] = hl;
  return b;
}

describe('trace state', () => {
  it('policy events carry the mark', async () => {
    const e = await engine();
    e.load(inputChain('meta mark set 0x2a'));
    const r = e.evaluate([rx(ipv4({ l4: udp() }))], { trace: 'all' });
    const pol = r.records().filter((x) => x.kind === abi.RecordKind.Trace && x.sub === abi.TraceType.Policy);
    expect(pol.map((x) => x.b)).toEqual([0x2a]);
  });
  it('a packet whose nf_trace bit an earlier hook set is traced (PktFlags.Nftrace)', async () => {
    const e = await engine();
    e.load(inputChain('counter'));
    const r = e.evaluate([rx(ipv4({ l4: udp() })), rx(ipv4({ l4: udp() }), { nftrace: true })], { trace: 'nftrace' });
    expect(r.records().filter((x) => x.kind === abi.RecordKind.Trace).map((x) => x.packet)).toEqual([1, 1]);
    expect(r.flags(1) & abi.ResFlags.Nftrace).toBeTruthy();
    expect(r.flags(0) & abi.ResFlags.Nftrace).toBeFalsy();
  });
});
