// The SCTP and GRE trackers (assembly/ct/sctp.ts, gre.ts; kernel
// nf_conntrack_proto_sctp.c, nf_conntrack_proto_gre.c) through the Engine:
// crafted packets with valid CRC32c, states, timeouts and ASSURED in packet
// time, verification tags, malformed chunk lists, PPTP call ids as keys.
// The recorded kernel runs are test/fixtures/trace/ct-sctp and ct-generic-gre.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import type { ConntrackOptions, PacketIn } from '../../../src/engine.js';
import { xorshift32 } from '../../rng.js';
import { engine, ipv4, ipv6, rx, tx, type L4 } from './helpers.js';

const STATES = `table inet t {
 chain in { type filter hook input priority 0;
  ct state new counter
  ct state established counter
  ct state related counter
  ct state invalid counter
 }
 chain out { type filter hook output priority 0; ct state new counter; }
}
`;
const NAMES: Record<number, string> = { 1: 'invalid', 2: 'established', 4: 'related', 8: 'new', 64: 'untracked' };
const T0 = 1_700_000_000_000_000_000n;
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;

async function setup(ct: ConntrackOptions = {}) {
  const e = await engine({ conntrack: ct });
  e.load(STATES);
  const send = (p: PacketIn, at: number): string => NAMES[e.evaluate([{ ...p, tstamp: ms(at) }]).ctState(0)] ?? '?';
  /** Sends and returns the packet's events as `KIND state timeout` lines. */
  const events = (p: PacketIn, at: number): string[] =>
    e.evaluate([{ ...p, tstamp: ms(at) }], { ctEvents: true }).ctEvents().map((x) => `${x.kind} ${x.entry.state ?? '-'} ${x.entry.timeout}${x.entry.assured ? ' ASSURED' : ''}${x.bits & abi.CtEventBits.Protoinfo ? ' protoinfo' : ''}`);
  const list = (at?: number) => e.conntrack(at === undefined ? undefined : ms(at));
  return { e, send, events, list };
}

// --- SCTP ------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
/** CRC32c of `b` (RFC 9260 appendix B). */
function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A chunk: type, flags, value (padded to 4; the length field counts the unpadded chunk unless `len` says otherwise). */
function chunk(type: number, value: number[] = [], flags = 0, len?: number): number[] {
  const n = 4 + value.length;
  const b = [type, flags, ((len ?? n) >> 8) & 0xff, (len ?? n) & 0xff, ...value];
  while (b.length & 3) b.push(0);
  return b;
}
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
/** INIT / INIT-ACK value: initiate tag, a_rwnd, 1 stream each way, initial TSN (16 bytes). */
const initValue = (tag: number) => [...be32(tag), ...be32(65536), 0, 1, 0, 1, ...be32(100)];
const INIT = (tag: number) => chunk(1, initValue(tag));
const INIT_ACK = (tag: number) => chunk(2, [...initValue(tag), 0, 7, 0, 8, 0x43, 0x43, 0x43, 0x43]);
const COOKIE_ECHO = () => chunk(10, [0x43, 0x43, 0x43, 0x43]);
const COOKIE_ACK = () => chunk(11);
const DATA = () => chunk(0, [...be32(100), 0, 0, 0, 0, ...be32(0), 0x64, 0x61, 0x74, 0x61]);
const SACK = () => chunk(3, [...be32(100), ...be32(65536), 0, 0, 0, 0]);
const HEARTBEAT = () => chunk(4, [0, 1, 0, 6, 0x68, 0x62]);
const HEARTBEAT_ACK = () => chunk(5, [0, 1, 0, 6, 0x68, 0x62]);
const SHUTDOWN = () => chunk(7, be32(500));
const SHUTDOWN_ACK = () => chunk(8);
const SHUTDOWN_COMPLETE = (t = false) => chunk(14, [], t ? 1 : 0);
const ABORT = (t = false) => chunk(6, [], t ? 1 : 0);

/** An SCTP packet (common header + chunks) with its CRC32c, or `crc` instead. */
function sctp(o: { sport?: number; dport?: number; vtag: number; chunks: number[][]; crc?: number }): L4 {
  const body = o.chunks.flat();
  const b = new Uint8Array(12 + body.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, o.sport ?? 40400);
  v.setUint16(2, o.dport ?? 9000);
  v.setUint32(4, o.vtag);
  b.set(body, 12);
  v.setUint32(8, o.crc ?? crc32c(b), true);
  return { proto: 132, bytes: b };
}
const CT = 0x11111111;
const HT = 0x22222222;
const cli = (l4: L4) => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4 }));
const host = (l4: L4) => tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4 }));
const C = (vtag: number, ...chunks: number[][]) => cli(sctp({ vtag, chunks }));
const H = (vtag: number, ...chunks: number[][]) => host(sctp({ sport: 9000, dport: 40400, vtag, chunks }));

describe('SCTP', () => {
  it('INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA, SHUTDOWN, SHUTDOWN-ACK, SHUTDOWN-COMPLETE: the kernel\'s states, timeouts and events', async () => {
    const { send, events, list } = await setup();
    expect(events(C(0, INIT(CT)), 0)).toEqual(['NEW CLOSED 10']);
    expect(list()[0]!.unreplied).toBe(true);
    expect(events(H(CT, INIT_ACK(HT)), 50)).toEqual(['UPDATE COOKIE_WAIT 3 protoinfo']);
    expect(events(C(HT, COOKIE_ECHO()), 100)).toEqual(['UPDATE COOKIE_ECHOED 3 protoinfo']);
    expect(events(H(CT, COOKIE_ACK()), 150)).toEqual(['UPDATE ESTABLISHED 210 ASSURED protoinfo']);
    // DATA, SACK and heartbeats leave the state: no event, the timeout refreshed.
    expect(events(C(HT, DATA()), 60_000)).toEqual([]);
    expect(list(60_000)[0]!.timeout).toBe(210);
    expect(send(H(CT, SACK()), 60_050)).toBe('established');
    expect(send(H(CT, HEARTBEAT()), 60_100)).toBe('established');
    expect(send(C(HT, HEARTBEAT_ACK()), 60_150)).toBe('established');
    expect(events(C(HT, SHUTDOWN()), 60_200)).toEqual(['UPDATE SHUTDOWN_SENT 3 ASSURED protoinfo']);
    expect(events(H(CT, SHUTDOWN_ACK()), 60_250)).toEqual(['UPDATE SHUTDOWN_ACK_SENT 3 ASSURED protoinfo']);
    expect(events(C(HT, SHUTDOWN_COMPLETE()), 60_300)).toEqual(['UPDATE CLOSED 10 ASSURED protoinfo']);
    const [x] = list(62_000);
    expect([x!.state, x!.timeout, x!.assured, x!.orig.sport, x!.orig.dport]).toEqual(['CLOSED', 8, true, 40400, 9000]);
  });

  it('a packet with another verification tag is invalid and changes nothing; so is the other side\'s tag', async () => {
    const { send, list } = await setup();
    send(C(0, INIT(CT)), 0);
    send(H(CT, INIT_ACK(HT)), 10);
    send(C(HT, COOKIE_ECHO()), 20);
    send(H(CT, COOKIE_ACK()), 30);
    expect(send(C(0x12345678, DATA()), 40)).toBe('invalid');
    expect(send(C(CT, DATA()), 50)).toBe('invalid');
    expect(send(H(HT, SACK()), 60)).toBe('invalid');
    expect(send(C(HT, DATA()), 70)).toBe('established');
    expect(list()[0]!.state).toBe('ESTABLISHED');
    // A SHUTDOWN with the wrong tag does not close it.
    expect(send(C(CT, SHUTDOWN()), 80)).toBe('invalid');
    expect(list()[0]!.state).toBe('ESTABLISHED');
  });

  it('an INIT whose own tag is not 0 starts nothing (§8.5.1 A); nor does DATA, an ABORT, a SHUTDOWN-COMPLETE or a COOKIE-ACK out of the blue', async () => {
    const { send, list } = await setup();
    expect(send(C(0x5555, INIT(CT)), 0)).toBe('invalid');
    expect(send(C(CT, DATA()), 10)).toBe('invalid');
    expect(send(C(CT, ABORT()), 20)).toBe('invalid');
    expect(send(C(CT, SHUTDOWN_COMPLETE()), 30)).toBe('invalid');
    expect(send(C(CT, COOKIE_ACK()), 40)).toBe('invalid');
    expect(list()).toHaveLength(0);
    // A SHUTDOWN-ACK out of the blue does: SHUTDOWN_ACK_SENT, waiting for the SHUTDOWN-COMPLETE with its tag.
    expect(send(C(0x77, SHUTDOWN_ACK()), 50)).toBe('new');
    expect(list()[0]!.state).toBe('SHUTDOWN_ACK_SENT');
    expect(send(H(0x77, SHUTDOWN_COMPLETE()), 60)).toBe('established');
    expect(list()[0]!.state).toBe('CLOSED');
  });

  it('chunk lists the kernel refuses: INIT with a second chunk, COOKIE-ECHO not first, a zero length, no chunk, an INIT cut short, a header under 12 bytes', async () => {
    const { send, list } = await setup();
    expect(send(C(0, INIT(CT), DATA()), 0)).toBe('invalid');
    expect(send(C(0, DATA(), COOKIE_ECHO()), 0)).toBe('invalid');
    expect(send(C(0, chunk(1, initValue(CT), 0, 0)), 0)).toBe('invalid');
    expect(send(C(0), 0)).toBe('invalid');
    expect(send(C(0, INIT(CT).slice(0, 12)), 0)).toBe('invalid');
    const short = sctp({ vtag: 0, chunks: [] });
    expect(send(cli({ proto: 132, bytes: short.bytes.slice(0, 8) }), 0)).toBe('invalid');
    expect(list()).toHaveLength(0);
    // A length past the end of the packet: the walk stops there (DATA and SACK bundled, the second's length too long).
    expect(send(C(0, INIT(CT)), 10)).toBe('new');
    send(H(CT, INIT_ACK(HT)), 20);
    send(C(HT, COOKIE_ECHO()), 30);
    send(H(CT, COOKIE_ACK()), 40);
    expect(send(C(HT, DATA(), chunk(3, [1, 2, 3, 4], 0, 0xffff)), 50)).toBe('established');
  });

  it('a bad CRC32c at prerouting is invalid; with nf_conntrack_checksum off it is tracked', async () => {
    let { send, list } = await setup();
    const bad = cli(sctp({ vtag: 0, chunks: [INIT(CT)], crc: 0x12345678 }));
    expect(send(bad, 0)).toBe('invalid');
    expect(list()).toHaveLength(0);
    // The host's own packets are not checked (output).
    expect(send(host(sctp({ sport: 9000, dport: 40401, vtag: 0, chunks: [INIT(HT)], crc: 1 })), 0)).toBe('new');
    expect(list()).toHaveLength(1);
    ({ send, list } = await setup({ checksum: false }));
    expect(send(bad, 0)).toBe('new');
    expect(list()[0]!.state).toBe('CLOSED');
  });

  it('an INIT sent again on a CLOSED entry is accepted without keeping it alive', async () => {
    const { send, list } = await setup();
    expect(send(C(0, INIT(CT)), 0)).toBe('new');
    expect(send(C(0, INIT(CT)), 6000)).toBe('new');
    expect(list(6000)[0]!.timeout).toBe(4);
    expect(list(10_500)).toHaveLength(0);
  });

  it('a HEARTBEAT starts a secondary entry (HEARTBEAT_SENT 30 s); its HEARTBEAT-ACK makes it ESTABLISHED and ASSURED', async () => {
    const { send, list } = await setup();
    expect(send(C(HT, HEARTBEAT()), 0)).toBe('new');
    let [x] = list();
    expect([x!.state, x!.timeout]).toEqual(['HEARTBEAT_SENT', 30]);
    expect(send(H(CT, HEARTBEAT_ACK()), 10)).toBe('established');
    [x] = list();
    expect([x!.state, x!.timeout, x!.assured]).toEqual(['ESTABLISHED', 210, true]);
    // Both tags are learnt now: DATA with the client's tag passes, another does not.
    expect(send(C(HT, DATA()), 20)).toBe('established');
    expect(send(C(0x99, DATA()), 30)).toBe('invalid');
  });

  it('an ABORT with the T bit carries the peer\'s tag; without it its own; either closes the association', async () => {
    const { send, list } = await setup();
    send(C(0, INIT(CT)), 0);
    send(H(CT, INIT_ACK(HT)), 10);
    send(C(HT, COOKIE_ECHO()), 20);
    send(H(CT, COOKIE_ACK()), 30);
    expect(send(H(HT, ABORT()), 40)).toBe('invalid');
    expect(list()[0]!.state).toBe('ESTABLISHED');
    expect(send(H(HT, ABORT(true)), 50)).toBe('established');
    expect(list()[0]!.state).toBe('CLOSED');
  });

  it('fuzzed chunk lists after a valid common header: no trap, an entry only for an accepted first packet, IPv4 and IPv6', async () => {
    const { e } = await setup({ checksum: false });
    const next = xorshift32(0x5c7b);
    for (let i = 0; i < 400; i++) {
      const n = next() % 48;
      const body = Array.from({ length: n }, () => next() & 0xff);
      // Chunk types that matter, lengths small or huge.
      if (n >= 4) body[0] = [0, 1, 2, 4, 5, 6, 7, 8, 10, 11, 14][next() % 11]!;
      const l4 = sctp({ sport: 1000 + (i % 7), vtag: next() % 3 ? 0 : next(), chunks: [body] });
      const p = i & 1 ? rx(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', l4 })) : cli(l4);
      e.evaluate([{ ...p, tstamp: ms(i) }]);
    }
    for (const x of e.conntrack()) expect(x.state).toMatch(/^(CLOSED|COOKIE_WAIT|COOKIE_ECHOED|ESTABLISHED|SHUTDOWN_SENT|SHUTDOWN_RECD|SHUTDOWN_ACK_SENT|HEARTBEAT_SENT)$/);
  });
});

// --- GRE -------------------------------------------------------------------

/** A GRE header: version 0 (4 bytes) or PPTP's version 1 with key bit and call id (8 bytes), then `payload`. */
function gre(o: { version?: number; proto?: number; callId?: number; payload?: number[]; cut?: number } = {}): L4 {
  const v1 = o.version === 1;
  const h = v1 ? [0x20, 0x01, ...be16(o.proto ?? 0x880b), 0, (o.payload ?? []).length, ...be16(o.callId ?? 0)] : [0, 0, ...be16(o.proto ?? 0x0800)];
  const b = new Uint8Array([...h, ...(o.payload ?? [])]);
  return { proto: 47, bytes: o.cut === undefined ? b : b.slice(0, o.cut) };
}
function be16(v: number) {
  return [(v >> 8) & 0xff, v & 0xff];
}
const PPP = [0xff, 0x03, 0x00, 0x21];
const peer = (l4: L4) => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4 }));
const me = (l4: L4) => tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4 }));
const keys = (t: { sport?: number; dport?: number }) => `srckey=0x${t.sport!.toString(16)} dstkey=0x${t.dport!.toString(16)}`;

describe('GRE', () => {
  it('version 0: keys 0, 30 s unreplied, 30 s on the reply, 180 s and ASSURED from the next packet (no 2-second rule)', async () => {
    const { events, list } = await setup();
    expect(events(peer(gre()), 0)).toEqual(['NEW - 30']);
    expect(events(me(gre()), 50)).toEqual(['UPDATE - 30']);
    expect(events(peer(gre()), 100)).toEqual(['UPDATE - 180 ASSURED']);
    const [x] = list(2000);
    expect([keys(x!.orig), keys(x!.reply), x!.timeout, x!.unreplied]).toEqual(['srckey=0x0 dstkey=0x0', 'srckey=0x0 dstkey=0x0', 178, false]);
  });

  it('PPTP (version 1): dstkey = call id, srckey 0 (no helper keymap); one entry per call id, beside the version-0 flow', async () => {
    const { send, list } = await setup();
    expect(send(peer(gre()), 0)).toBe('new');
    expect(send(peer(gre({ version: 1, callId: 0x1111, payload: PPP })), 10)).toBe('new');
    expect(send(peer(gre({ version: 1, callId: 0x1111, payload: PPP })), 20)).toBe('new');
    expect(send(me(gre({ version: 1, callId: 0x2222, payload: PPP })), 30)).toBe('new');
    const l = list().map((x) => `${x.orig.src} ${keys(x.orig)} | ${keys(x.reply)}`).sort();
    expect(l).toEqual([
      '10.0.0.1 srckey=0x0 dstkey=0x2222 | srckey=0x2222 dstkey=0x0',
      '10.0.0.2 srckey=0x0 dstkey=0x0 | srckey=0x0 dstkey=0x0',
      '10.0.0.2 srckey=0x0 dstkey=0x1111 | srckey=0x1111 dstkey=0x0',
    ]);
  });

  it('version 1 carrying anything but PPP is invalid; a version-1 header cut before its call id has keys 0', async () => {
    const { send, list } = await setup();
    expect(send(peer(gre({ version: 1, proto: 0x0800, callId: 5, payload: PPP })), 0)).toBe('invalid');
    expect(list()).toHaveLength(0);
    expect(send(peer(gre({ version: 1, callId: 5, cut: 6 })), 10)).toBe('new');
    expect(keys(list()[0]!.orig)).toBe('srckey=0x0 dstkey=0x0');
    // The same pair's version-0 packet joins that entry.
    expect(send(peer(gre()), 20)).toBe('new');
    expect(list()).toHaveLength(1);
  });

  it('an ICMP error quoting a PPTP packet finds its call\'s entry (the quoted 8 bytes hold the call id): related', async () => {
    const { send } = await setup();
    const out = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: gre({ version: 1, callId: 0x3333, payload: PPP }) });
    expect(send(tx(out), 0)).toBe('new');
    const err = (quoted: Uint8Array) => {
      const b = new Uint8Array(8 + 28);
      b[0] = 3;
      b[1] = 2;
      b.set(quoted.slice(0, 28), 8);
      return rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: { proto: 1, bytes: b, csumAt: 2 } }));
    };
    expect(send(err(out), 10)).toBe('related');
    const other = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: gre({ version: 1, callId: 0x4444, payload: PPP }) });
    expect(send(err(other), 20)).toBe('invalid');
  });

  it('IPv6 is tracked by the GRE tracker too: ASSURED 180 s after a reply', async () => {
    const { send, list } = await setup();
    const a = rx(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', l4: gre() }));
    const b = tx(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', l4: gre() }));
    expect(send(a, 0)).toBe('new');
    expect(send(b, 10)).toBe('established');
    expect(send(a, 20)).toBe('established');
    const [x] = list();
    expect([x!.proto, x!.timeout, x!.assured]).toEqual([47, 180, true]);
  });
});
