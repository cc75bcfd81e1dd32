// fwd (netdev) steals the packet and records where it leaves; dup records a
// copy and lets the packet go on. The host reads RecordKind.Fwd / Dup.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { ACCEPT, DROP, engine, ipv4, ipv6, rx, tcp, tx } from './helpers.js';

// Devices by index (3 = eth1 of helpers.HOST): the compiler resolves names against a fresh namespace, as the fixtures' nft did.

const ingress = (rules: string) => `table netdev n {\n chain in { type filter hook ingress device "eth0" priority 0;\n${rules}\n }\n}\n`;

describe('fwd', () => {
  it('fwd to 3: NF_STOLEN and a record with the interface; later rules do not run', async () => {
    const e = await engine();
    e.load(ingress('ip saddr 10.0.0.66 fwd to 3\nip saddr 10.0.0.66 drop'));
    const r = e.evaluate([rx(ipv4({ src: '10.0.0.66' })), rx(ipv4({ src: '10.0.0.67', dst: '10.0.0.1' }))]);
    expect(r.verdict(0)).toBe(abi.Verdict.Stolen);
    expect(r.verdict(1)).toBe(ACCEPT);
    const recs = r.records().filter((x) => x.kind === abi.RecordKind.Fwd);
    expect(recs.map((x) => [x.packet, x.a, x.sub])).toEqual([[0, 3, 0]]);
  });
  it('fwd ip to 192.168.1.254 device 3: the next hop in the record; an IPv6 packet BREAKs', async () => {
    const e = await engine();
    e.load(ingress('fwd ip to 192.168.1.254 device 3\ndrop'));
    const r = e.evaluate([rx(ipv4({ src: '10.0.0.9' })), rx(ipv6({ src: '2001:db8::9' }))]);
    expect([r.verdict(0), r.verdict(1)]).toEqual([abi.Verdict.Stolen, DROP]);
    const [f] = r.records().filter((x) => x.kind === abi.RecordKind.Fwd);
    expect([f!.a, f!.sub, f!.b >>> 0]).toEqual([3, abi.Family.Ipv4, 0xfe01a8c0]);
  });
  it('fwd outside netdev is refused at load', async () => {
    const e = await engine();
    expect(() => e.load('table ip t {\n chain c { type filter hook prerouting priority 0;\n fwd to 3\n }\n}\n')).toThrow();
  });
});

describe('dup', () => {
  it('dup to 192.168.1.9 device 3: a record, the packet goes on to the next rule', async () => {
    const e = await engine();
    e.load('table ip t {\n chain c { type filter hook output priority 0;\n dup to 192.168.1.9 device 3\n tcp dport 22 drop\n }\n}\n');
    const r = e.evaluate([tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8', l4: tcp({ dport: 22 }) })), tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8', l4: tcp({ dport: 80 }) }))]);
    expect([r.verdict(0), r.verdict(1)]).toEqual([DROP, ACCEPT]);
    const d = r.records().filter((x) => x.kind === abi.RecordKind.Dup);
    expect(d.map((x) => [x.packet, x.a, x.sub, x.b >>> 0])).toEqual([[0, 3, abi.Family.Ipv4, 0x0901a8c0], [1, 3, abi.Family.Ipv4, 0x0901a8c0]]);
  });
  it('dup to 192.168.1.9 without a device; netdev dup to 3', async () => {
    const e = await engine();
    e.load('table ip t {\n chain c { type filter hook output priority 0;\n dup to 192.168.1.9\n }\n}\n' + ingress('dup to 3'));
    const r = e.evaluate([tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8' })), rx(ipv4({ src: '10.0.0.9' }))]);
    const d = r.records().filter((x) => x.kind === abi.RecordKind.Dup);
    expect(d.map((x) => [x.packet, x.a >>> 0, x.sub])).toEqual([[0, 0xffffffff, abi.Family.Ipv4], [1, 3, 0]]);
  });
});
