// TCP conntrack (assembly/ct/tcp.ts, tcp-window.ts; reference conntrack.md §3)
// through the Engine: crafted segments between a client 10.0.0.2:40000 (received
// on eth0: prerouting → input) and the host 10.0.0.1:80 (sent: output →
// postrouting); per packet the `ct state` the filter chains saw, and the entry
// as `conntrack -L` would list it afterwards.
import { describe, expect, it } from 'vitest';
import type { ConntrackOptions, CtEntry, Engine } from '../../../src/engine.js';
import { xorshift32 } from '../../rng.js';
import { engine, ipv4, rx, tx, type L4 } from './helpers.js';

const RULESET = `table inet t {
 chain in {
  type filter hook input priority 0;
  ct state new counter
  ct state established counter
  ct state invalid counter
 }
 chain out {
  type filter hook output priority 0;
  ct state new counter
  ct state established counter
  ct state invalid counter
 }
}
`;

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const URG = 0x20;

/** A TCP segment: flags, sequence, ack, raw window (default 8192), payload bytes, options (padded with EOL). */
interface Seg {
  flags: number;
  seq: number;
  ack?: number;
  win?: number;
  data?: number;
  options?: number[];
  /** Data offset in words, overriding the real header length (malformed headers). */
  doff?: number;
}

function segment(sport: number, dport: number, s: Seg): L4 {
  const opts = s.options ?? [];
  const hl = 20 + ((opts.length + 3) & ~3);
  const b = new Uint8Array(hl + (s.data ?? 0));
  const v = new DataView(b.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, (s.ack ?? 0) >>> 0);
  b[12] = (s.doff ?? hl / 4) << 4;
  b[13] = s.flags;
  v.setUint16(14, s.win ?? 8192);
  b.set(opts, 20);
  b.fill(0x61, hl);
  return { proto: 6, bytes: b, csumAt: 16 };
}

const STATE: Record<number, string> = { 1: 'invalid', 2: 'established', 8: 'new' };
const T0 = 1_700_000_000_000_000_000n;

/** One client/host connection on a fresh engine; packets 10 ms apart unless `after` says otherwise. */
class Flow {
  private ms = 0;
  constructor(
    readonly e: Engine,
    readonly sport = 40000,
  ) {}

  /** Client → host; the `ct state` the input chain saw. */
  c(s: Seg, after = 10): string {
    return this.send(rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: segment(this.sport, 80, s) })), after);
  }
  /** Host → client; the `ct state` the output chain saw. */
  h(s: Seg, after = 10): string {
    return this.send(tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: segment(80, this.sport, s) })), after);
  }
  private send(p: ReturnType<typeof rx>, after: number): string {
    this.ms += after;
    const r = this.e.evaluate([{ ...p, tstamp: T0 + BigInt(this.ms) * 1_000_000n }]);
    const st = r.ctState(0);
    return STATE[st] ?? `ct state 0x${st.toString(16)}`;
  }
  /** The flow's entry now, or undefined. */
  entry(): CtEntry | undefined {
    return this.e.conntrack().find((x) => x.orig.sport === this.sport || x.reply.sport === this.sport);
  }
  /** State name, seconds left, flags: `ESTABLISHED 432000 ASSURED`, `SYN_SENT 120 UNREPLIED`, or `none`. */
  show(): string {
    const x = this.entry();
    if (!x) return 'none';
    return [x.state, x.timeout, ...(x.unreplied ? ['UNREPLIED'] : []), ...(x.assured ? ['ASSURED'] : [])].join(' ');
  }
  /** SYN 1000 / SYN-ACK 7000 / ACK: an assured connection. */
  handshake(): void {
    this.c({ flags: SYN, seq: 1000 });
    this.h({ flags: SYN | ACK, seq: 7000, ack: 1001 });
    this.c({ flags: ACK, seq: 1001, ack: 7001 });
  }
}

async function flow(ct: ConntrackOptions = {}, sport?: number): Promise<Flow> {
  const e = await engine({ conntrack: ct });
  e.load(RULESET);
  return new Flow(e, sport);
}

describe('TCP conntrack: handshake and close', () => {
  it('SYN, SYN-ACK, ACK: SYN_SENT 120 unreplied, SYN_RECV 60, ESTABLISHED 432000 ASSURED on the third packet', async () => {
    const f = await flow();
    expect(f.c({ flags: SYN, seq: 1000 })).toBe('new');
    expect(f.show()).toBe('SYN_SENT 120 UNREPLIED');
    expect(f.h({ flags: SYN | ACK, seq: 7000, ack: 1001 })).toBe('established');
    expect(f.show()).toBe('SYN_RECV 60');
    expect(f.c({ flags: ACK, seq: 1001, ack: 7001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('client FIN, host ACK, host FIN, client ACK: FIN_WAIT 120, CLOSE_WAIT 60, LAST_ACK 30, TIME_WAIT 120, ASSURED kept', async () => {
    const f = await flow();
    f.handshake();
    expect(f.c({ flags: FIN | ACK, seq: 1001, ack: 7001 })).toBe('established');
    expect(f.show()).toBe('FIN_WAIT 120 ASSURED');
    expect(f.h({ flags: ACK, seq: 7001, ack: 1002 })).toBe('established');
    expect(f.show()).toBe('CLOSE_WAIT 60 ASSURED');
    expect(f.h({ flags: FIN | ACK, seq: 7001, ack: 1002 })).toBe('established');
    expect(f.show()).toBe('LAST_ACK 30 ASSURED');
    expect(f.c({ flags: ACK, seq: 1002, ack: 7002 })).toBe('established');
    expect(f.show()).toBe('TIME_WAIT 120 ASSURED');
  });

  it('simultaneous open: SYN both ways is SYN_SENT2, the SYN-ACKs lead to ESTABLISHED ASSURED', async () => {
    const f = await flow();
    f.c({ flags: SYN, seq: 1000 });
    // A SYN while no reply was seen does not refresh the timeout, even the peer's.
    expect(f.h({ flags: SYN, seq: 7000 })).toBe('established');
    expect(f.show()).toBe('SYN_SENT2 119');
    expect(f.c({ flags: SYN | ACK, seq: 1000, ack: 7001 })).toBe('established');
    expect(f.show()).toBe('SYN_RECV 60');
    expect(f.h({ flags: ACK, seq: 7001, ack: 1001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('RST answering the SYN (no reply seen yet): the RST is established, the entry is deleted at once', async () => {
    const f = await flow();
    expect(f.c({ flags: SYN, seq: 1000 })).toBe('new');
    expect(f.h({ flags: RST | ACK, seq: 0, ack: 1001, win: 0 })).toBe('established');
    expect(f.show()).toBe('none');
    expect(f.e.conntrack()).toEqual([]);
  });

  it('RST from the host on an assured connection: CLOSE 10', async () => {
    const f = await flow();
    f.handshake();
    expect(f.h({ flags: RST, seq: 7001, win: 0 })).toBe('established');
    expect(f.show()).toBe('CLOSE 10 ASSURED');
  });
});

describe('TCP conntrack: invalid packets', () => {
  const bad: [string, number][] = [
    ['no flags', 0], ['FIN', FIN], ['SYN|FIN', SYN | FIN], ['SYN|RST', SYN | RST], ['Xmas FIN|PSH|URG', FIN | PSH | URG],
    ['SYN|ACK|URG', SYN | ACK | URG], ['RST|URG', RST | URG], ['RST|ACK|URG', RST | ACK | URG], ['FIN|SYN|ACK', FIN | SYN | ACK],
    // Allowed combinations the first packet cannot have (invalid new).
    ['SYN|ACK first', SYN | ACK], ['FIN|ACK first', FIN | ACK], ['RST first', RST], ['RST|ACK first', RST | ACK],
  ];
  for (const [name, flags] of bad) {
    it(`${name} as the first packet: invalid, no entry`, async () => {
      const f = await flow();
      expect(f.c({ flags, seq: 1000, ack: flags & ACK ? 5000 : 0 })).toBe('invalid');
      expect(f.show()).toBe('none');
    });
  }

  it('PSH, ECE and CWR are ignored: SYN|ECE|CWR opens, ACK|PSH|URG continues', async () => {
    const f = await flow();
    expect(f.c({ flags: SYN | 0x40 | 0x80, seq: 1000 })).toBe('new');
    f.h({ flags: SYN | ACK | 0x40, seq: 7000, ack: 1001 });
    expect(f.c({ flags: ACK | PSH | URG, seq: 1001, ack: 7001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('data offset below 5 words or beyond the segment: invalid, no entry', async () => {
    const f = await flow();
    expect(f.c({ flags: SYN, seq: 1000, doff: 4 })).toBe('invalid');
    expect(f.c({ flags: SYN, seq: 1000, doff: 6 })).toBe('invalid');
    expect(f.show()).toBe('none');
    expect(f.c({ flags: SYN, seq: 1000, doff: 6, data: 4 })).toBe('new');
  });

  it('SYN|FIN on an established connection: invalid, entry neither changed nor refreshed', async () => {
    const f = await flow();
    f.handshake();
    expect(f.c({ flags: SYN | FIN, seq: 1001, ack: 7001 })).toBe('invalid');
    expect(f.show()).toBe('ESTABLISHED 431999 ASSURED');
  });

  it('SYN-ACK from the client (table IV): invalid; SYN from the host on ESTABLISHED: invalid', async () => {
    const f = await flow();
    f.handshake();
    expect(f.c({ flags: SYN | ACK, seq: 1001, ack: 7001 })).toBe('invalid');
    expect(f.h({ flags: SYN, seq: 7001 })).toBe('invalid');
    expect(f.show()).toBe('ESTABLISHED 431999 ASSURED');
  });
});

describe('TCP conntrack: window tracking', () => {
  it('beyond the right edge and ACKs of unsent data are invalid; old data is ignored; a small overshoot passes', async () => {
    const f = await flow();
    f.handshake();
    expect(f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 })).toBe('established');
    expect(f.h({ flags: ACK, seq: 7001, ack: 1101 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
    expect(f.c({ flags: PSH | ACK, seq: 1101 + 1000000, ack: 7001, data: 100 })).toBe('invalid');
    expect(f.c({ flags: ACK, seq: 1101, ack: 7001 + 500000 })).toBe('invalid');
    // Ignored: accepted with the entry, which is not refreshed.
    expect(f.c({ flags: PSH | ACK, seq: 1101 - 100000, ack: 7001, data: 100 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 431999 ASSURED');
    // Right edge 1101 + 8192 = 9293; 9300..9350 is within the host's window size: ignored, remembered as unacked.
    expect(f.c({ flags: PSH | ACK, seq: 9300, ack: 7001, data: 50 })).toBe('established');
    // Unacked: the host's next ACK (of 1101 only) sets 300 s; acking 9350 restores 432000.
    expect(f.h({ flags: ACK, seq: 7001, ack: 1101 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 300 ASSURED');
    expect(f.h({ flags: ACK, seq: 7001, ack: 9350 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('RST sequence checks: far out of window invalid; in window but inexact keeps the state (10 s); exact closes', async () => {
    const f = await flow();
    f.handshake();
    f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 });
    f.h({ flags: ACK, seq: 7001, ack: 1101 });
    expect(f.h({ flags: RST, seq: 7001 + 3000000, win: 0 })).toBe('invalid');
    expect(f.show()).toBe('ESTABLISHED 431999 ASSURED');
    expect(f.h({ flags: RST, seq: 7101, win: 0 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 10 ASSURED');
    // The RST moved the host's td_end to 7101, which the client has not acked.
    expect(f.c({ flags: ACK, seq: 1101, ack: 7001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 300 ASSURED');
    expect(f.h({ flags: RST, seq: 7001, win: 0 })).toBe('established');
    expect(f.show()).toBe('CLOSE 10 ASSURED');
  });

  it('RST with a sequence before the peer\'s last ACK: invalid, even with the right ACK', async () => {
    const f = await flow();
    f.handshake();
    f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 });
    f.h({ flags: ACK, seq: 7001, ack: 1101 });
    expect(f.h({ flags: RST | ACK, seq: 6990, ack: 1101, win: 0 })).toBe('invalid');
    const g = await flow({ tcpIgnoreInvalidRst: true });
    g.handshake();
    g.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 });
    g.h({ flags: ACK, seq: 7001, ack: 1101 });
    // nf_conntrack_tcp_ignore_invalid_rst: not refused by the RST check (the window check still applies).
    expect(g.h({ flags: RST | ACK, seq: 6990, ack: 1101, win: 0 })).toBe('established');
  });

  it('window scaling: with both SYNs carrying wscale 7 a segment 100000 bytes ahead fits; with one side only it does not', async () => {
    const ws = [1, 3, 3, 7];
    for (const [hostOpts, want] of [[ws, 'established'], [[], 'invalid']] as const) {
      const f = await flow();
      f.c({ flags: SYN, seq: 1000, win: 1000, options: ws });
      f.h({ flags: SYN | ACK, seq: 7000, ack: 1001, win: 1000, options: [...hostOpts] });
      f.c({ flags: ACK, seq: 1001, ack: 7001, win: 1000 });
      f.h({ flags: ACK, seq: 7001, ack: 1001, win: 1000 });
      expect(f.c({ flags: PSH | ACK, seq: 1001 + 100000, ack: 7001, win: 1000, data: 10 }), `host options [${hostOpts}]`).toBe(want);
    }
  });

  it('SACK: an ACK whose SACK block reaches data never sent is invalid only when the receiver\'s SYN permitted SACK', async () => {
    const sackPerm = [1, 1, 4, 2];
    // NOP NOP SACK(10): block 1101..20000 — beyond the 100 bytes the client sent.
    const sack = [1, 1, 5, 10, 0, 0, 0x04, 0x4d, 0, 0, 0x4e, 0x20];
    // The host's SACK_PERM does not matter for the host's own SACK blocks.
    {
      const f = await flow();
      f.c({ flags: SYN, seq: 1000 });
      f.h({ flags: SYN | ACK, seq: 7000, ack: 1001, options: sackPerm });
      f.c({ flags: ACK, seq: 1001, ack: 7001 });
      f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 });
      expect(f.h({ flags: ACK, seq: 7001, ack: 1001, options: sack })).toBe('established');
    }
    for (const [synOpts, want] of [[sackPerm, 'invalid'], [[], 'established']] as const) {
      const f = await flow();
      f.c({ flags: SYN, seq: 1000, options: [...synOpts] });
      f.h({ flags: SYN | ACK, seq: 7000, ack: 1001 });
      f.c({ flags: ACK, seq: 1001, ack: 7001 });
      f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 100 });
      expect(f.h({ flags: ACK, seq: 7001, ack: 1001, options: sack }), `client SYN options [${synOpts}]`).toBe(want);
    }
  });

  it('unacknowledged data caps ESTABLISHED at 300 s until the peer ACKs it; three identical retransmissions cap it too', async () => {
    const f = await flow();
    f.handshake();
    f.c({ flags: PSH | ACK, seq: 1001, ack: 7001, data: 10 });
    expect(f.show()).toBe('ESTABLISHED 300 ASSURED');
    f.h({ flags: ACK, seq: 7001, ack: 1011 });
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
    // The same ACK again: the third identical copy reaches nf_conntrack_tcp_max_retrans (3).
    for (let i = 0; i < 2; i++) f.h({ flags: ACK, seq: 7001, ack: 1011 });
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
    f.h({ flags: ACK, seq: 7001, ack: 1011 });
    expect(f.show()).toBe('ESTABLISHED 300 ASSURED');
    f.c({ flags: ACK, seq: 1011, ack: 7001 });
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('a zero window caps ESTABLISHED at 300 s', async () => {
    const f = await flow();
    f.handshake();
    f.h({ flags: ACK, seq: 7001, ack: 1001, win: 0 });
    expect(f.show()).toBe('ESTABLISHED 300 ASSURED');
  });
});

describe('TCP conntrack: pickup, retransmitted SYNs, re-open', () => {
  it('mid-stream ACK (loose): ESTABLISHED 300 unreplied; the reply stays 300 unassured; the next packet: 432000 ASSURED', async () => {
    const f = await flow();
    expect(f.c({ flags: ACK, seq: 1000, ack: 5000 })).toBe('new');
    expect(f.show()).toBe('ESTABLISHED 300 UNREPLIED');
    expect(f.h({ flags: ACK, seq: 5000, ack: 1000 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 300');
    expect(f.c({ flags: ACK, seq: 1000, ack: 5000 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('mid-stream ACK without nf_conntrack_tcp_loose: invalid, no entry', async () => {
    const f = await flow({ tcpLoose: false });
    expect(f.c({ flags: ACK, seq: 1000, ack: 5000 })).toBe('invalid');
    expect(f.show()).toBe('none');
  });

  it('picked-up flow answered by RST: the entry is deleted', async () => {
    const f = await flow();
    f.c({ flags: ACK, seq: 1000, ack: 5000 });
    expect(f.h({ flags: RST, seq: 5000, win: 0 })).toBe('established');
    expect(f.show()).toBe('none');
  });

  it('a retransmitted SYN (same or new ISN) stays new and does not refresh SYN_SENT', async () => {
    const f = await flow();
    f.c({ flags: SYN, seq: 1000 });
    expect(f.c({ flags: SYN, seq: 1000 }, 2200)).toBe('new');
    expect(f.show()).toBe('SYN_SENT 117 UNREPLIED');
    expect(f.c({ flags: SYN, seq: 50000 }, 1000)).toBe('new');
    expect(f.show()).toBe('SYN_SENT 116 UNREPLIED');
    // The host answers the new ISN.
    expect(f.h({ flags: SYN | ACK, seq: 7000, ack: 50001 })).toBe('established');
    expect(f.show()).toBe('SYN_RECV 60');
  });

  it('TIME_WAIT: a new SYN re-opens the connection as a fresh entry (new, SYN_SENT 120, not ASSURED)', async () => {
    const f = await flow();
    f.handshake();
    f.c({ flags: FIN | ACK, seq: 1001, ack: 7001 });
    f.h({ flags: FIN | ACK, seq: 7001, ack: 1002 });
    f.c({ flags: ACK, seq: 1002, ack: 7002 });
    expect(f.show()).toBe('TIME_WAIT 120 ASSURED');
    expect(f.c({ flags: SYN, seq: 90000 })).toBe('new');
    expect(f.show()).toBe('SYN_SENT 120 UNREPLIED');
    expect(f.e.conntrack()).toHaveLength(1);
    expect(f.h({ flags: SYN | ACK, seq: 30000, ack: 90001 })).toBe('established');
    expect(f.c({ flags: ACK, seq: 90001, ack: 30001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('CLOSE by the host\'s RST: a client SYN is ignored (state kept), the host\'s SYN-ACK to it resynchronises to SYN_RECV', async () => {
    const f = await flow();
    f.handshake();
    f.h({ flags: RST, seq: 7001, win: 0 });
    expect(f.show()).toBe('CLOSE 10 ASSURED');
    expect(f.c({ flags: SYN, seq: 90000 })).toBe('established');
    expect(f.show()).toBe('CLOSE 9 ASSURED');
    expect(f.h({ flags: SYN | ACK, seq: 30000, ack: 90001 })).toBe('established');
    expect(f.show()).toBe('SYN_RECV 60 ASSURED');
    expect(f.c({ flags: ACK, seq: 90001, ack: 30001 })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('CLOSE by the client\'s own RST: its next SYN re-opens', async () => {
    const f = await flow();
    f.handshake();
    f.c({ flags: RST, seq: 1001, win: 0 });
    expect(f.show()).toBe('CLOSE 10 ASSURED');
    expect(f.c({ flags: SYN, seq: 90000 })).toBe('new');
    expect(f.show()).toBe('SYN_SENT 120 UNREPLIED');
  });
});

describe('TCP conntrack: options parsing', () => {
  it('malformed options (length 0, 1, past the header; truncated wscale/SACK) are skipped: the flow is tracked', async () => {
    const f = await flow();
    // kind 3 with length 0 stops parsing: no window scaling, so the SYN still opens.
    expect(f.c({ flags: SYN, seq: 1000, options: [3, 0, 7, 0] })).toBe('new');
    expect(f.h({ flags: SYN | ACK, seq: 7000, ack: 1001, options: [1, 3, 40, 7, 4, 1, 0, 0] })).toBe('established');
    expect(f.c({ flags: ACK, seq: 1001, ack: 7001, options: [5, 18, 0, 0, 0, 0, 0, 0] })).toBe('established');
    expect(f.show()).toBe('ESTABLISHED 432000 ASSURED');
  });

  it('random option bytes and flags on a live flow never trap (seeded)', async () => {
    const next = xorshift32(0x7c9);
    const f = await flow();
    f.handshake();
    const valid = [SYN, SYN | ACK, ACK, FIN | ACK, RST, RST | ACK, ACK | PSH];
    for (let i = 0; i < 300; i++) {
      const options = Array.from({ length: next() % 41 }, () => (next() % 4 === 0 ? next() % 6 : next() & 0xff));
      const s = { flags: valid[next() % valid.length]!, seq: 1001 + (next() % 20000) - 10000, ack: 7001 + (next() % 20000) - 10000, win: next() & 0xffff, options };
      const st = next() & 1 ? f.c(s) : f.h(s);
      expect(['new', 'established', 'invalid']).toContain(st);
    }
  });
});
