// Per-instruction truth tables: a one-rule ruleset, crafted packets, the
// verdict the kernel would give (the rule's `drop` shows the match).
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { ACCEPT, DROP, engine, ether, icmp, inputChain, ipv4, ipv6, rx, tcp, tx, udp, verdicts } from './helpers.js';

const Q = (n: number, bypass = false) => ((n << 16) | abi.Verdict.Queue | (bypass ? abi.NF_VERDICT_FLAG_QUEUE_BYPASS : 0)) | 0;
const drops = async (rule: string, pkts: Parameters<typeof verdicts>[1], family = 'ip') =>
  (await verdicts(inputChain(`${rule} drop`, family), pkts)).map((v) => v === DROP);

describe('cmp', () => {
  const p = (dport: number) => rx(ipv4({ l4: tcp({ dport }) }));
  it('tcp dport eq/neq/lt/lte/gt/gte 1000 on 999, 1000, 1001', async () => {
    const pk = [p(999), p(1000), p(1001)];
    expect(await drops('tcp dport 1000', pk)).toEqual([false, true, false]);
    expect(await drops('tcp dport != 1000', pk)).toEqual([true, false, true]);
    expect(await drops('tcp dport < 1000', pk)).toEqual([true, false, false]);
    expect(await drops('tcp dport <= 1000', pk)).toEqual([true, true, false]);
    expect(await drops('tcp dport > 1000', pk)).toEqual([false, false, true]);
    expect(await drops('tcp dport >= 1000', pk)).toEqual([false, true, true]);
  });
  it('ip saddr 10.0.0.0/8 and 192.168.1.0/24 (prefix, 16-byte ip6 compare)', async () => {
    expect(await drops('ip saddr 10.0.0.0/8', [rx(ipv4({ src: '10.9.9.9' })), rx(ipv4({ src: '11.0.0.1' }))])).toEqual([true, false]);
    expect(await drops('ip6 saddr 2001:db8::2', [rx(ipv6({ src: '2001:db8::2' })), rx(ipv6({ src: '2001:db8::3' }))], 'ip6')).toEqual([true, false]);
    expect(await drops('ip6 saddr fe80::/10', [rx(ipv6({ src: 'fe80::1' })), rx(ipv6({ src: 'fec0::1' }))], 'ip6')).toEqual([true, false]);
  });
});

describe('range, bitwise, byteorder', () => {
  const p = (dport: number) => rx(ipv4({ l4: tcp({ dport }) }));
  it('tcp dport != 1000-2000 (range neq) and 1000-2000 (two cmps)', async () => {
    const pk = [p(999), p(1000), p(2000), p(2001)];
    expect(await drops('tcp dport != 1000-2000', pk)).toEqual([true, false, false, true]);
    expect(await drops('tcp dport 1000-2000', pk)).toEqual([false, true, true, false]);
  });
  it('tcp flags syn (mask, cmp neq 0); ip dscp 46 (sub-byte)', async () => {
    expect(await drops('tcp flags syn', [rx(ipv4({ l4: tcp({ flags: 0x12 }) })), rx(ipv4({ l4: tcp({ flags: 0x10 }) }))])).toEqual([true, false]);
  });
  it('meta mark 0x10-0x20 (byteorder hton + cmp) and meta mark set meta mark | 0x4 (mask-xor)', async () => {
    const pk = [rx(ipv4(), { mark: 0x0f }), rx(ipv4(), { mark: 0x10 }), rx(ipv4(), { mark: 0x20 }), rx(ipv4(), { mark: 0x21 })];
    expect(await drops('meta mark 0x10-0x20', pk)).toEqual([false, true, true, false]);
    const e = await engine();
    e.load(inputChain('meta mark set meta mark | 0x4\nmeta mark set meta mark << 8'));
    const r = e.evaluate([rx(ipv4(), { mark: 0x11 })]);
    expect(r.mark(0)).toBe(0x1500);
  });
});

describe('meta', () => {
  it('iif, iifname, iifname prefix, iiftype, iifgroup, iifkind', async () => {
    const a = rx(ipv4()); // eth0, index 2
    const b = rx(ipv4({ dst: '192.168.1.1' }), { iif: 3 }); // eth1 veth group 7
    expect(await drops('meta iifname "eth0"', [a, b])).toEqual([true, false]);
    expect(await drops('meta iifname "eth*"', [a, b])).toEqual([true, true]);
    expect(await drops('meta iiftype ether', [a, b])).toEqual([true, true]);
    expect(await drops('meta iifgroup 7', [a, b])).toEqual([false, true]);
    expect(await drops('meta iifkind "veth"', [a, b])).toEqual([false, true]);
    expect(await drops('meta l4proto tcp', [rx(ipv4({ l4: tcp() })), rx(ipv4({ l4: udp() }))])).toEqual([true, false]);
    expect(await drops('meta nfproto ipv6', [rx(ipv4()), rx(ipv6())], 'inet')).toEqual([false, true]);
    expect(await drops('meta protocol ip6', [rx(ipv4()), rx(ipv6())], 'inet')).toEqual([false, true]);
    expect(await drops('meta len 20', [rx(ipv4()), rx(ipv4({ l4: udp() }))])).toEqual([true, false]);
    expect(await drops('meta pkttype broadcast', [rx(ipv4(), { pkttype: 1 }), rx(ipv4())])).toEqual([true, false]);
  });
  it('oif on forward and postrouting, not at input; skuid BREAKs without a socket', async () => {
    const fwd = rx(ipv4({ dst: '8.8.8.8' }));
    expect(await verdicts(inputChain('oifname "eth1" drop', 'ip', 'accept', 'forward'), [fwd])).toEqual([DROP]);
    expect(await verdicts(inputChain('oif 0 drop', 'ip', 'accept', 'input'), [rx(ipv4())])).toEqual([DROP]);
    const out = tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8' }));
    expect(await verdicts(inputChain('meta skuid 1000 drop', 'ip', 'accept', 'output'), [out, { ...out, socket: { uid: 1000, gid: 1 } }])).toEqual([ACCEPT, DROP]);
    expect(await verdicts(inputChain('meta skuid != 1000 drop', 'ip', 'accept', 'output'), [out])).toEqual([ACCEPT]);
  });
  it('meta hour and day from the packet time (UTC)', async () => {
    const t = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
    const pk = [rx(ipv4(), { tstamp: t('2024-01-01T10:30:00Z') }), rx(ipv4(), { tstamp: t('2024-01-01T18:00:00Z') })];
    expect(await drops('meta hour "09:00"-"17:00"', pk)).toEqual([true, false]);
    expect(await drops('meta day "Monday"', pk)).toEqual([true, true]);
  });
});

describe('immediate and verdicts', () => {
  it('accept, drop, queue, continue', async () => {
    expect(await verdicts(inputChain('accept', 'ip', 'drop'), [rx(ipv4())])).toEqual([ACCEPT]);
    expect(await verdicts(inputChain('queue num 3 bypass'), [rx(ipv4())])).toEqual([Q(3, true)]);
    expect(await verdicts(inputChain('continue\ndrop'), [rx(ipv4())])).toEqual([DROP]);
  });
});

describe('lookup', () => {
  const p = (dport: number, src = '10.0.0.2') => rx(ipv4({ src, l4: tcp({ dport }) }));
  it('anonymous set, inverted set', async () => {
    expect(await drops('tcp dport { 22, 80, 443 }', [p(22), p(443), p(23)])).toEqual([true, true, false]);
    expect(await drops('tcp dport != { 22, 80 }', [p(22), p(23)])).toEqual([false, true]);
  });
  it('interval set of prefixes and ranges', async () => {
    const rule = 'ip saddr { 10.0.0.0/8, 192.168.0.0/16, 172.16.0.5-172.16.0.9 }';
    expect(await drops(rule, [p(1, '10.1.2.3'), p(1, '11.0.0.0'), p(1, '192.168.255.255'), p(1, '172.16.0.4'), p(1, '172.16.0.9'), p(1, '172.16.0.10')])).toEqual([true, false, true, false, true, false]);
  });
  it('concatenations: exact and intervals', async () => {
    expect(await drops('ip saddr . tcp dport { 10.0.0.2 . 22, 10.0.0.3 . 80 }', [p(22), p(80), p(80, '10.0.0.3')])).toEqual([true, false, true]);
    expect(await drops('ip saddr . tcp dport { 10.0.0.0/24 . 20-25 }', [p(22), p(26), p(22, '10.0.1.2')])).toEqual([true, false, false]);
  });
  it('named set, map (meta mark set), verdict map with jump', async () => {
    const rs = `table ip t {
 set bl { type ipv4_addr; elements = { 10.0.0.7 } }
 chain other {
  counter
  drop
 }
 chain c { type filter hook input priority 0; policy accept;
  ip saddr @bl drop
  meta mark set tcp dport map { 22 : 1, 80 : 2 }
  tcp dport vmap { 443 : accept, 8080 : jump other, 25 : drop }
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([p(22, '10.0.0.7'), p(80), p(8080), p(25), p(443), p(1)]);
    expect([0, 1, 2, 3, 4, 5].map((i) => r.verdict(i))).toEqual([DROP, ACCEPT, DROP, DROP, ACCEPT, ACCEPT]);
    expect(r.mark(1)).toBe(2);
  });
});

describe('stateful: counter, quota, limit, numgen', () => {
  it('counter counts packets and bytes per rule', async () => {
    const e = await engine();
    e.load(inputChain('tcp dport 22 counter'));
    e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 1 }) }))]);
    const c = [...e.ruleCounters().values()];
    expect(c).toEqual([{ chain: 'c', packets: 2n, bytes: 80n }]);
  });
  it('quota over 100 bytes: consumed > quota is over', async () => {
    const pk = Array.from({ length: 4 }, () => rx(ipv4({ raw: new Uint8Array(20) }))); // 40 bytes each
    expect(await drops('quota over 100 bytes', pk)).toEqual([false, false, true, true]);
  });
  it('limit rate 10/second burst 2 packets in packet time', async () => {
    const s = 1_000_000_000n;
    const pk = [0n, 1n, 2n, 3n].map((k) => rx(ipv4(), { tstamp: 100n * s + k })).concat([rx(ipv4(), { tstamp: 100n * s + s / 10n + 3n })]);
    expect(await drops('limit rate over 10/second burst 2 packets', pk)).toEqual([false, false, true, true, false]);
  });
  it('numgen inc mod 3 starts at 0', async () => {
    const e = await engine();
    e.load(inputChain('meta mark set numgen inc mod 3'));
    const r = e.evaluate(Array.from({ length: 4 }, () => rx(ipv4())));
    expect([0, 1, 2, 3].map((i) => r.mark(i))).toEqual([0, 1, 2, 0]);
  });
  it('jhash ip saddr mod 2 is deterministic (lookup3) and in range', async () => {
    const e = await engine();
    e.load(inputChain('meta mark set jhash ip saddr mod 1000 seed 0xdead offset 5'));
    const r = e.evaluate([rx(ipv4({ src: '1.2.3.4' })), rx(ipv4({ src: '1.2.3.4' }))]);
    expect(r.mark(0)).toBe(r.mark(1));
    expect(r.mark(0)).toBeGreaterThanOrEqual(5);
    expect(r.mark(0)).toBeLessThan(1005);
  });
});

describe('log, reject, notrack, queue', () => {
  it('log records the rule and prefix; reject drops and records', async () => {
    const e = await engine();
    e.load(inputChain('tcp dport 22 log prefix "ssh: " level warn\ntcp dport 23 reject with tcp reset'));
    const r = e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 23 }) }))]);
    expect([r.verdict(0), r.verdict(1)]).toEqual([ACCEPT, DROP]);
    const recs = r.records();
    expect(recs.map((x) => [x.kind, x.packet, x.sub])).toEqual([[abi.RecordKind.Log, 0, 4], [abi.RecordKind.Reject, 1, abi.RejectType.TcpRst]]);
    expect(recs[0]!.rule).toBe(e.program!.rules[0]!.handle);
  });
  it('notrack flags the packet; queue fanout', async () => {
    const e = await engine();
    e.load(inputChain('notrack'));
    expect(e.evaluate([rx(ipv4())]).flags(0) & abi.ResFlags.Untracked).toBeTruthy();
    expect(await verdicts(inputChain('queue num 4-7 fanout'), [rx(ipv4())])).toEqual([Q(4)]);
  });
});

describe('payload write', () => {
  it('ip ttl set 5 and tcp dport set 8080 keep the checksums valid; ip saddr set fixes the TCP pseudo-header', async () => {
    const e = await engine();
    e.load(inputChain('ip ttl set 5\ntcp dport set 8080\nip saddr set 1.2.3.4'));
    const r = e.evaluate([rx(ipv4({ l4: tcp({ dport: 22, payload: [1, 2, 3] }) }))]);
    const f = r.packet(0).subarray(14);
    expect(f[8]).toBe(5);
    expect((f[22]! << 8) | f[23]!).toBe(8080);
    expect([...f.subarray(12, 16)]).toEqual([1, 2, 3, 4]);
    const { csum } = await import('./helpers.js');
    expect(csum(f.subarray(0, 20))).toBe(0);
    // TCP checksum over pseudo-header + segment must verify.
    const seg = f.subarray(20);
    let s = 6 + seg.length;
    for (let i = 12; i < 20; i += 2) s += (f[i]! << 8) | f[i + 1]!;
    expect(csum(seg, s)).toBe(0);
  });
});

describe('exthdr', () => {
  it('tcp option maxseg size, present flag', async () => {
    const mss = [2, 4, 0x05, 0xb4];
    const pk = [rx(ipv4({ l4: tcp({ options: mss }) })), rx(ipv4({ l4: tcp() }))];
    expect(await drops('tcp option maxseg size 1460', pk)).toEqual([true, false]);
    expect(await drops('tcp option maxseg exists', pk)).toEqual([true, false]);
    expect(await drops('tcp option maxseg missing', pk)).toEqual([false, true]);
  });
  it('ipv6 fragment header exists; ip option rr exists', async () => {
    const frag = new Uint8Array(8); // first fragment, offset 0
    const pk = [rx(ipv6({ ext: [[44, frag]], l4: udp() })), rx(ipv6({ l4: udp() }))];
    expect(await drops('exthdr frag exists', pk, 'ip6')).toEqual([true, false]);
    const rr = [7, 7, 4, 0, 0, 0, 0, 1];
    expect(await drops('ip option rr exists', [rx(ipv4({ options: rr })), rx(ipv4())])).toEqual([true, false]);
  });
});

describe('fib', () => {
  it('fib daddr type local; fib saddr . iif oif missing (reverse path)', async () => {
    expect(await drops('fib daddr type local', [rx(ipv4({ dst: '10.0.0.1' })), rx(ipv4({ dst: '8.8.8.8' }))], 'ip')).toEqual([true, false]);
    const rule = 'fib saddr . iif oif missing';
    const pre = (src: string) => rx(ipv4({ src }));
    expect(await verdicts(inputChain(`${rule} drop`, 'ip', 'accept', 'prerouting'), [pre('10.0.0.9'), pre('8.8.8.8')])).toEqual([ACCEPT, DROP]);
  });
});

describe('dynset', () => {
  it('add @seen { ip saddr } then match on the next packet; update with timeout expires', async () => {
    const rs = `table ip t {
 set seen { type ipv4_addr; flags dynamic,timeout; timeout 1s; }
 chain c { type filter hook input priority 0; policy accept;
  ip saddr @seen drop
  update @seen { ip saddr }
 }
}`;
    const e = await engine();
    e.load(rs);
    const s = 1_000_000_000n;
    const r = e.evaluate([rx(ipv4(), { tstamp: 10n * s }), rx(ipv4(), { tstamp: 10n * s + 1n }), rx(ipv4(), { tstamp: 12n * s })]);
    expect([0, 1, 2].map((i) => r.verdict(i))).toEqual([ACCEPT, DROP, ACCEPT]);
  });
});

describe('ether, vlan, arp families', () => {
  it('bridge: ether type and vlan id', async () => {
    const frame = ether(ipv4(), { vlan: 10 });
    const rs = inputChain('vlan id 10 drop', 'bridge', 'accept', 'prerouting');
    expect(await verdicts(rs, [{ data: frame, iif: 2, family: abi.Family.Bridge, hooks: [abi.InetHook.Prerouting] }])).toEqual([DROP]);
  });
  it('icmp type echo-request in inet', async () => {
    expect(await drops('icmp type echo-request', [rx(ipv4({ l4: icmp() })), rx(ipv4({ l4: icmp({ type: 0 }) }))], 'inet')).toEqual([true, false]);
  });
});
