// Conntrack core (assembly/ct/table.ts, track.ts, proto.ts, nat.ts; reference
// conntrack.md §1, §2, §4, §5) through the Engine: UDP and ICMP states and
// timeouts in packet time, RELATED ICMP errors, notrack, confirmation, the
// table full (early drop, ASSURED kept), a keyed hash against colliding
// tuples, NAT bindings and rewrites, ct mark, events. TCP: ct-tcp.test.ts.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import type { ConntrackOptions, Engine, PacketIn } from '../../../src/engine.js';
import { xorshift32 } from '../../rng.js';
import { engine, icmp, ipv4, rx, tx, udp, type L4 } from './helpers.js';

const STATES = `table inet t {
 chain raw { type filter hook prerouting priority raw; udp dport 9999 notrack; }
 chain in { type filter hook input priority 0;
  ct state new counter
  ct state established counter
  ct state related counter
  ct state invalid counter
  ct state untracked counter
  udp dport 6666 drop
 }
 chain out { type filter hook output priority 0; ct state new counter; }
}
`;
const NAMES: Record<number, string> = { 1: 'invalid', 2: 'established', 4: 'related', 8: 'new', 64: 'untracked' };
const T0 = 1_700_000_000_000_000_000n;
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;

/** An engine with `ruleset` loaded; send() evaluates one packet at packet time `at` ms and returns its ct state name. */
async function setup(ruleset = STATES, ct: ConntrackOptions = {}) {
  const e = await engine({ conntrack: ct });
  e.load(ruleset);
  const send = (p: PacketIn, at: number): string => NAMES[e.evaluate([{ ...p, tstamp: ms(at) }]).ctState(0)] ?? '?';
  return { e, send };
}
const cli = (l4: L4) => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4 }));
const host = (l4: L4) => tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4 }));
/** An ICMP error of type/code from 10.0.0.2 quoting `inner` (the first bytes of the IP packet it is about). */
function icmpError(inner: Uint8Array, type = 3, code = 3, from = '10.0.0.2'): PacketIn {
  const b = new Uint8Array(8 + inner.length);
  b[0] = type;
  b[1] = code;
  b.set(inner, 8);
  return rx(ipv4({ src: from, dst: '10.0.0.1', l4: { proto: 1, bytes: b, csumAt: 2 } }));
}
const list = (e: Engine, at?: number) => e.conntrack(at === undefined ? undefined : ms(at));

describe('UDP', () => {
  it('request new 30 s unreplied; reply established; a second exchange 2 s later: ASSURED 120 s', async () => {
    const { e, send } = await setup();
    expect(send(cli(udp({ sport: 5000, dport: 53 })), 0)).toBe('new');
    let [x] = list(e);
    expect([x!.timeout, x!.unreplied, x!.assured]).toEqual([30, true, false]);
    expect(send(host(udp({ sport: 53, dport: 5000 })), 10)).toBe('established');
    [x] = list(e);
    expect([x!.timeout, x!.unreplied, x!.assured]).toEqual([30, false, false]);
    expect(send(cli(udp({ sport: 5000, dport: 53 })), 2500)).toBe('established');
    [x] = list(e);
    expect([x!.timeout, x!.assured]).toEqual([120, true]);
  });
  it('expires in packet time: after 30 s the same tuple is a new flow, the old entry is gone', async () => {
    const { e, send } = await setup();
    send(cli(udp({ sport: 5001, dport: 53 })), 0);
    expect(list(e, 29_000)).toHaveLength(1);
    expect(send(cli(udp({ sport: 5001, dport: 53 })), 31_000)).toBe('new');
    const l = list(e);
    expect(l).toHaveLength(1);
    expect(l[0]!.timeout).toBe(30);
  });
  it('a bad UDP length field is invalid (no entry)', async () => {
    const { e, send } = await setup();
    const p = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport: 1, dport: 2 }) });
    p[20 + 4] = 0x7f; // udp length beyond the packet
    expect(send(rx(p), 0)).toBe('invalid');
    expect(list(e)).toHaveLength(0);
  });
  it('notrack before conntrack: untracked, no entry', async () => {
    const { e, send } = await setup();
    expect(send(cli(udp({ sport: 7, dport: 9999 })), 0)).toBe('untracked');
    expect(list(e)).toHaveLength(0);
  });
  it('a first packet dropped before confirmation leaves no entry', async () => {
    const { e, send } = await setup();
    expect(send(cli(udp({ sport: 7, dport: 6666 })), 0)).toBe('new');
    expect(list(e)).toHaveLength(0);
  });
});

describe('ICMP', () => {
  it('echo request new, reply established (reply direction), 30 s, never assured; an unsolicited reply is invalid', async () => {
    const { e, send } = await setup();
    expect(send(cli(icmp({ type: 8 })), 0)).toBe('new');
    expect(send(host(icmp({ type: 0 })), 5)).toBe('established');
    const [x] = list(e);
    expect([x!.orig.type, x!.reply.type, x!.timeout, x!.assured, x!.unreplied]).toEqual([8, 0, 30, false, false]);
    expect(send(cli(icmp({ type: 0 })), 10)).toBe('invalid');
  });
  it('errors quoting a tracked flow are related; unknown flows, truncated quotes and bad types are invalid', async () => {
    const { e, send } = await setup();
    const out = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: udp({ sport: 4000, dport: 5353 }) });
    expect(send(tx(out), 0)).toBe('new');
    expect(send(icmpError(out.subarray(0, 28)), 5)).toBe('related');
    // Only the 4 port bytes of UDP are needed; 2 are not enough.
    expect(send(icmpError(out.subarray(0, 24)), 6)).toBe('related');
    expect(send(icmpError(out.subarray(0, 22)), 7)).toBe('invalid');
    const other = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: udp({ sport: 4001, dport: 5353 }) });
    expect(send(icmpError(other.subarray(0, 28)), 8)).toBe('invalid');
    expect(send(cli(icmp({ type: 40 })), 9)).toBe('invalid');
    // The error did not touch the entry: still unreplied.
    expect(list(e)[0]!.unreplied).toBe(true);
  });
  it('time exceeded for a forwarded first packet carries that packet\'s unconfirmed entry: related, and no entry stays', async () => {
    const e = await engine();
    e.load(`table inet t {
 chain forward { type filter hook forward priority 0; ct state new counter; }
 chain out { type filter hook output priority 0; ct state related counter; }
}`);
    const quoted = ipv4({ src: '10.0.0.2', dst: '192.168.1.2', ttl: 1, l4: udp({ sport: 4444, dport: 53 }) });
    const r1 = e.evaluate([{ ...rx(quoted), tstamp: ms(0) }]);
    expect(r1.flags(0) & abi.ResFlags.StackDrop).toBe(abi.ResFlags.StackDrop);
    const err = new Uint8Array(8 + 28);
    err[0] = 11;
    err.set(quoted.subarray(0, 28), 8);
    const r2 = e.evaluate([{ ...tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: { proto: 1, bytes: err, csumAt: 2 } })), tstamp: ms(1) }]);
    expect(NAMES[r2.ctState(0)]).toBe('related');
    expect(list(e)).toHaveLength(0);
  });
  it('malformed ICMP errors never trap and never create entries', async () => {
    const { e } = await setup();
    const r = xorshift32(77);
    const batch: PacketIn[] = [];
    for (let i = 0; i < 400; i++) {
      const inner = new Uint8Array(r() % 60);
      for (let k = 0; k < inner.length; k++) inner[k] = r() & 255;
      if (inner.length) inner[0] = 0x40 | (r() & 15);
      batch.push({ ...icmpError(inner, [3, 4, 5, 11, 12][r() % 5]!, r() % 16), tstamp: ms(i) });
    }
    const res = e.evaluate(batch);
    for (let i = 0; i < res.count; i++) expect([1, 4]).toContain(res.ctState(i));
    expect(list(e)).toHaveLength(0);
  });
});

describe('the table', () => {
  const flows = (n: number, base = 20000) => Array.from({ length: n }, (_, i) => cli(udp({ sport: base + i, dport: 53 })));
  it('full of unassured entries: a new flow evicts one (early drop) and is accepted', async () => {
    const { e, send } = await setup(STATES, { hashsize: 8, max: 16 });
    flows(16).forEach((p, i) => send(p, i));
    expect(list(e)).toHaveLength(16);
    expect(send(cli(udp({ sport: 30000, dport: 53 })), 100)).toBe('new');
    expect(e.conntrackStats()!.earlyDrop).toBeGreaterThan(0);
    expect(list(e).some((x) => x.orig.sport === 30000)).toBe(true);
  });
  it('full of ASSURED entries: the new flow is dropped by conntrack, the assured ones stay; a flood stays bounded', async () => {
    const { e, send } = await setup(STATES, { hashsize: 8, max: 8 });
    // Packet time only moves forward: each flow gets its own 4 s.
    for (let i = 0; i < 8; i++) {
      send(cli(udp({ sport: 21000 + i, dport: 53 })), 4000 * i);
      send(host(udp({ sport: 53, dport: 21000 + i })), 4000 * i + 10);
      send(cli(udp({ sport: 21000 + i, dport: 53 })), 4000 * i + 3000);
    }
    expect(list(e).every((x) => x.assured)).toBe(true);
    const r = e.evaluate([{ ...cli(udp({ sport: 31000, dport: 53 })), tstamp: ms(40_000) }]);
    expect(r.verdict(0)).toBe(abi.Verdict.Drop);
    expect(r.flags(0) & abi.ResFlags.CtDrop).toBe(abi.ResFlags.CtDrop);
    const flood = flows(20000, 1).map((p, i) => ({ ...p, tstamp: ms(41_000 + (i >> 4)) }));
    const t = performance.now();
    for (let i = 0; i < flood.length; i += 4000) e.evaluate(flood.slice(i, i + 4000));
    expect(performance.now() - t).toBeLessThan(10_000);
    const l = list(e);
    expect(l).toHaveLength(8);
    expect(l.every((x) => x.assured && x.orig.sport! >= 21000 && x.orig.sport! < 21008)).toBe(true);
    expect(e.conntrackStats()!.drop).toBe(20001);
  });
  it('tuples that collide for an unkeyed XOR-folded hash spread over the buckets', async () => {
    const { e, send } = await setup();
    // saddr ^ sport constant: one bucket for a hash that folds the tuple with XOR.
    for (let i = 0; i < 2000; i++) {
      const a = 0x0b000000 + i;
      const src = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      send(rx(ipv4({ src, dst: '10.0.0.1', l4: udp({ sport: 0x8000 ^ (i & 0xffff), dport: 53 }) })), i);
    }
    const { mem } = e.batchView();
    const v = new DataView(mem.buffer);
    const ctc = (e as unknown as { ctc: number }).ctc;
    const buckets = v.getUint32(ctc + abi.CTC_BUCKETS, true);
    const n = v.getUint32(ctc + abi.CTC_NBUCKETS, true);
    let longest = 0;
    for (let b = 0; b < n; b++) {
      let link = v.getUint32(buckets + b * 4, true);
      let len = 0;
      while (link) {
        len++;
        const ent = v.getUint32(ctc + abi.CTC_POOL, true) + ((link - 1) >> 1) * abi.CTE_SIZE;
        link = v.getUint32(ent + ((link - 1) & 1) * 4, true);
      }
      longest = Math.max(longest, len);
    }
    expect(list(e)).toHaveLength(2000);
    expect(longest).toBeLessThanOrEqual(8);
  });
});

describe('NAT', () => {
  const ROUTER = `table ip nat {
 chain pre { type nat hook prerouting priority dstnat; tcp dport 8080 dnat to 192.168.1.2:80; }
 chain post { type nat hook postrouting priority srcnat; oifname "eth1" masquerade; }
}
table ip f {
 chain forward { type filter hook forward priority 0; ct state established,related accept; ct status dnat accept; drop; }
}
`;
  const syn = (sport: number, dport: number) => {
    const b = new Uint8Array(20);
    new DataView(b.buffer).setUint16(0, sport);
    new DataView(b.buffer).setUint16(2, dport);
    b[12] = 0x50;
    b[13] = 0x02;
    return { proto: 6, bytes: b, csumAt: 16 } as L4;
  };
  it('dnat in prerouting routes the packet again (forward, eth1); masquerade rewrites the source; replies are un-NATed', async () => {
    const e = await engine();
    e.load(ROUTER);
    const r = e.evaluate([{ ...rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: syn(40000, 8080) })), tstamp: ms(0) }]);
    expect(r.verdict(0) & 0xff).toBe(abi.Verdict.Accept);
    const out = r.packet(0).subarray(14);
    expect([...out.subarray(12, 20)]).toEqual([192, 168, 1, 1, 192, 168, 1, 2]);
    expect(new DataView(out.buffer, out.byteOffset).getUint16(22)).toBe(80);
    // Checksums still verify after the rewrite.
    const sum = (b: Uint8Array, s = 0) => {
      for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return s;
    };
    expect(sum(out.subarray(0, 20))).toBe(0xffff);
    const pseudo = sum(out.subarray(12, 20)) + 6 + 20;
    expect(sum(out.subarray(20, 40), pseudo)).toBe(0xffff);
    const [x] = e.conntrack();
    expect(x!.reply).toMatchObject({ src: '192.168.1.2', dst: '192.168.1.1', sport: 80, dport: 40000 });
    expect(x!.status & (abi.CtStatus.SrcNat | abi.CtStatus.DstNat)).toBe(abi.CtStatus.SrcNat | abi.CtStatus.DstNat);
    const back = e.evaluate([{ data: ipv4({ src: '192.168.1.2', dst: '192.168.1.1', l4: syn(80, 40000) }), iif: 3, ether: false, tstamp: ms(1) }]);
    const b = back.packet(0);
    expect([...b.subarray(12, 20)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(new DataView(b.buffer, b.byteOffset).getUint16(20)).toBe(8080);
  });
});

describe('ct mark and events', () => {
  it('ct mark set on the first packet, restored to meta mark on the reply; NEW, UPDATE and DESTROY events in packet time', async () => {
    const e = await engine();
    e.load(`table inet t {
 chain in { type filter hook input priority 0; ct state new ct mark set 0x2a; }
 chain out { type filter hook output priority 0; meta mark set ct mark; }
}`);
    const r1 = e.evaluate([{ ...cli(udp({ sport: 6000, dport: 53 })), tstamp: ms(0) }], { ctEvents: true });
    expect(r1.ctEvents().map((x) => [x.kind, x.entry.mark])).toEqual([['NEW', 42]]);
    const r2 = e.evaluate([{ ...host(udp({ sport: 53, dport: 6000 })), tstamp: ms(10) }], { ctEvents: true });
    expect(r2.mark(0)).toBe(42);
    expect(r2.ctEvents().map((x) => [x.kind, x.entry.unreplied])).toEqual([['UPDATE', false]]);
    const gone = e.ctAdvance(ms(40_000));
    expect(gone.reaped).toBe(1);
    expect(gone.events.map((x) => x.kind)).toEqual(['DESTROY']);
  });
});
