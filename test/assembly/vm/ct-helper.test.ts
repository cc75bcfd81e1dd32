// ct timeout and ct helper objects (assembly/ct/timeout-policy.ts,
// helper-ftp.ts, expect.ts) through the Engine: a client 10.0.0.2 talks to
// the host 10.0.0.1 (received on eth0: prerouting → input; the host's answers:
// output → postrouting). Per packet the `ct state` the filter chains saw and
// the packet mark the rules set (1: `ct status expected`, 2: `ct helper "ftp"`).
import { describe, expect, it } from 'vitest';
import type { CtEntry, Engine } from '../../../src/engine.js';
import { engine, ipv4, ipv6, rx, tx, udp, type L4 } from './helpers.js';

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const T0 = 1_700_000_000_000_000_000n;
const STATE: Record<number, string> = { 1: 'invalid', 2: 'established', 4: 'related', 8: 'new' };

const MARKS = `
  ct status expected meta mark set meta mark or 0x1
  ct helper "ftp" meta mark set meta mark or 0x2
  ct helper "ftp-obj" meta mark set meta mark or 0x4`;

const RULESET = `table inet t {
 ct helper ftp-obj {
  type "ftp" protocol tcp;
  l3proto inet;
 }
 ct timeout udp-short {
  protocol udp;
  l3proto ip;
  policy = { unreplied : 7, replied : 45 }
 }
 ct timeout tcp-short {
  protocol tcp;
  l3proto ip;
  policy = { established : 100, time_wait : 3 }
 }
 chain pre {
  type filter hook prerouting priority 0;
  tcp dport 21 ct state new ct helper set "ftp-obj"
  udp dport 5500 ct state new ct timeout set "udp-short"
  tcp dport 8080 ct state new ct timeout set "tcp-short"
  tcp dport 8081 ct state new ct timeout set "udp-short"
 }
 chain in {
  type filter hook input priority 0;${MARKS}
 }
 chain out {
  type filter hook output priority 0;${MARKS}
 }
}
`;

function segment(sport: number, dport: number, flags: number, seq: number, ack: number, data: string): L4 {
  const payload = new TextEncoder().encode(data);
  const b = new Uint8Array(20 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ack >>> 0);
  b[12] = 5 << 4;
  b[13] = flags;
  v.setUint16(14, 65000);
  b.set(payload, 20);
  return { proto: 6, bytes: b, csumAt: 16 };
}

/** The test clock and engine shared by several connections. */
class Net {
  ms = 0;
  constructor(readonly e: Engine) {}
  send(p: ReturnType<typeof rx>, after = 10): string {
    this.ms += after;
    const r = this.e.evaluate([{ ...p, tstamp: T0 + BigInt(this.ms) * 1_000_000n }]);
    const st = STATE[r.ctState(0)] ?? `ct state 0x${r.ctState(0).toString(16)}`;
    const m = r.mark(0);
    return m ? `${st} mark ${m}` : st;
  }
  entry(port: number): CtEntry | undefined {
    return this.e.conntrack().find((x) => x.orig.dport === port);
  }
}

/** A TCP connection with its sequence numbers; `client` = the side that opened it (10.0.0.2 unless `fromHost`). */
class Tcp {
  private cseq = 1000;
  private hseq = 7000;
  constructor(
    readonly n: Net,
    readonly cport: number,
    readonly hport: number,
    readonly fromHost = false,
    readonly v6 = false,
  ) {}
  private pkt(fromClient: boolean, flags: number, data: string): ReturnType<typeof rx> {
    const [sport, dport] = fromClient ? [this.cport, this.hport] : [this.hport, this.cport];
    const seq = fromClient ? this.cseq : this.hseq;
    const ack = flags & ACK ? (fromClient ? this.hseq : this.cseq) : 0;
    const l4 = segment(sport, dport, flags, seq, ack, data);
    const adv = data.length + (flags & SYN ? 1 : 0);
    if (fromClient) this.cseq += adv;
    else this.hseq += adv;
    const remoteSends = fromClient !== this.fromHost;
    if (this.v6) return remoteSends ? rx(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', l4 })) : tx(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', l4 }));
    return remoteSends ? rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4 })) : tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4 }));
  }
  /** The opening side sends. */
  c(flags: number, data = ''): string {
    return this.n.send(this.pkt(true, flags, data));
  }
  /** The other side sends. */
  s(flags: number, data = ''): string {
    return this.n.send(this.pkt(false, flags, data));
  }
  handshake(): string[] {
    return [this.c(SYN), this.s(SYN | ACK), this.c(ACK)];
  }
}

async function net(): Promise<Net> {
  const e = await engine();
  e.load(RULESET);
  return new Net(e);
}

describe('ct timeout objects', () => {
  it('udp policy unreplied 7 / replied 45: 7 s from the first packet, still 7 after the reply, 45 once the flow is a stream', async () => {
    const n = await net();
    const req = () => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport: 40000, dport: 5500 }) }));
    const rep = () => tx(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', l4: udp({ sport: 5500, dport: 40000 }) }));
    expect(n.send(req())).toBe('new');
    expect(n.entry(5500)!.timeout).toBe(7);
    expect(n.send(rep())).toBe('established');
    expect(n.entry(5500)!.timeout).toBe(7);
    expect(n.send(req(), 2500)).toBe('established');
    expect(n.entry(5500)).toMatchObject({ timeout: 45, assured: true });
  });

  it('udp without a policy keeps the sysctls (30 s)', async () => {
    const n = await net();
    n.send(rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport: 40000, dport: 5501 }) })));
    expect(n.entry(5501)!.timeout).toBe(30);
  });

  it('tcp policy established 100 / time_wait 3: states it does not set keep the defaults', async () => {
    const n = await net();
    const t = new Tcp(n, 40000, 8080);
    t.c(SYN);
    expect(n.entry(8080)).toMatchObject({ state: 'SYN_SENT', timeout: 120 });
    t.s(SYN | ACK);
    expect(n.entry(8080)).toMatchObject({ state: 'SYN_RECV', timeout: 60 });
    t.c(ACK);
    expect(n.entry(8080)).toMatchObject({ state: 'ESTABLISHED', timeout: 100 });
    t.c(0x01 | ACK);
    t.s(ACK);
    t.s(0x01 | ACK);
    t.c(ACK);
    expect(n.entry(8080)).toMatchObject({ state: 'TIME_WAIT', timeout: 3 });
  });

  it('a udp policy set on a tcp entry does nothing', async () => {
    const n = await net();
    new Tcp(n, 40000, 8081).handshake();
    expect(n.entry(8081)).toMatchObject({ state: 'ESTABLISHED', timeout: 432000 });
  });
});

/** An ftp control connection to port `port`: handshake, greeting, USER (each side's first line is never read), the client's `cmd`, the server's `reply`. */
function control(n: Net, port: number, cmd: string, reply: string, cport = 40000, v6 = false): Tcp {
  const t = new Tcp(n, cport, port, false, v6);
  t.handshake();
  t.s(PSH | ACK, '220 hello\r\n');
  t.c(PSH | ACK, 'USER ftp\r\n');
  t.s(PSH | ACK, '331 password\r\n');
  t.c(PSH | ACK, cmd);
  t.s(PSH | ACK, reply);
  t.c(ACK);
  return t;
}

describe('the ftp helper', () => {
  it('227 reply: the data connection is related and expected, `ct helper "ftp"` matches it, not the control one', async () => {
    const n = await net();
    const t = new Tcp(n, 40000, 21);
    expect(t.handshake()).toEqual(['new', 'established', 'established']);
    t.s(PSH | ACK, '220 hello\r\n');
    t.c(ACK);
    t.c(PSH | ACK, 'PASV\r\n');
    expect(t.s(PSH | ACK, '227 Entering Passive Mode (10,0,0,1,195,80).\r\n')).toBe('established');
    const d = new Tcp(n, 40001, 50000);
    expect(d.c(SYN)).toBe('related mark 3');
    expect(d.s(SYN | ACK)).toBe('established mark 3');
    expect(d.c(ACK)).toBe('established mark 3');
    const ctl = n.entry(21)!;
    expect(ctl.helper).toBe('ftp');
    expect(ctl.use).toBe(2);
    expect(n.entry(50000)!.helper).toBeUndefined();
    expect(n.entry(50000)!.status & 1).toBe(1);
  });

  it('the expectation is taken once: a second connection to the port is new', async () => {
    const n = await net();
    control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('related mark 3');
    expect(new Tcp(n, 40002, 50000).c(SYN)).toBe('new');
  });

  it('without the helper (port 2121) the data connection is new', async () => {
    const n = await net();
    control(n, 2121, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('new');
    expect(n.entry(2121)!.helper).toBeUndefined();
  });

  it('a PORT as the client\'s first data is not read', async () => {
    const n = await net();
    const t = new Tcp(n, 40000, 21);
    t.handshake();
    t.s(PSH | ACK, '220 hello\r\n');
    t.c(PSH | ACK, 'PORT 10,0,0,2,156,65\r\n');
    expect(new Tcp(n, 20, 40001, true).c(SYN)).toBe('new');
  });

  it('a 227 as the server\'s first data is not read (no line seen before it)', async () => {
    const n = await net();
    const t = new Tcp(n, 40000, 21);
    t.handshake();
    t.s(PSH | ACK, '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('new');
  });

  it('a 227 naming another address is not recorded', async () => {
    const n = await net();
    control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,9,195,80).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('new');
  });

  it('229 extended passive reply: the port between the delimiters', async () => {
    const n = await net();
    control(n, 21, 'EPSV\r\n', '229 Entering Extended Passive Mode (|||50001|)\r\n');
    expect(new Tcp(n, 40001, 50001).c(SYN)).toBe('related mark 3');
  });

  it('PORT from the client: the host connecting back to it is related', async () => {
    const n = await net();
    control(n, 21, 'PORT 10,0,0,2,156,65\r\n', '200 ok\r\n');
    // The host opens 10.0.0.1:20 → 10.0.0.2:40001 (156 × 256 + 65).
    const d = new Tcp(n, 20, 40001, true);
    expect(d.c(SYN)).toBe('related mark 3');
    expect(d.s(SYN | ACK)).toBe('established mark 3');
  });

  it('EPRT from the client, lower case', async () => {
    const n = await net();
    control(n, 21, 'eprt |1|10.0.0.2|40002|\r\n', '200 ok\r\n');
    expect(new Tcp(n, 20, 40002, true).c(SYN)).toBe('related mark 3');
  });

  it('IPv6: EPRT |2|2001:db8::2|40003| expects the host\'s connection back', async () => {
    const n = await net();
    control(n, 21, 'EPRT |2|2001:db8::2|40003|\r\n', '200 ok\r\n', 40000, true);
    expect(new Tcp(n, 20, 40003, true, true).c(SYN)).toBe('related mark 3');
  });

  it('IPv6: EPRT naming another address, or with a malformed one, is not recorded', async () => {
    const n = await net();
    control(n, 21, 'EPRT |2|2001:db8::3|40003|\r\n', '200 ok\r\n', 40000, true);
    expect(new Tcp(n, 20, 40003, true, true).c(SYN)).toBe('new');
    control(n, 21, 'EPRT |2|2001:db8:::2|40004|\r\n', '200 ok\r\n', 40010, true);
    expect(new Tcp(n, 20, 40004, true, true).c(SYN)).toBe('new');
  });

  it('IPv6: 229 reply', async () => {
    const n = await net();
    control(n, 21, 'EPSV\r\n', '229 Entering Extended Passive Mode (|||50003|)\r\n', 40000, true);
    expect(new Tcp(n, 40001, 50003, false, true).c(SYN)).toBe('related mark 3');
  });

  it('a new PASV replaces the control connection\'s older expectation', async () => {
    const n = await net();
    const t = control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    t.c(PSH | ACK, 'PASV\r\n');
    t.s(PSH | ACK, '227 Entering Passive Mode (10,0,0,1,195,81).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('new');
    expect(new Tcp(n, 40002, 50001).c(SYN)).toBe('related mark 3');
  });

  it('an expectation lasts 300 s', async () => {
    const n = await net();
    control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    n.ms += 301_000;
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('new');
  });
});

describe('ct helper and ct timeout objects from object maps', () => {
  const MAPPED = RULESET.replace('tcp dport 21 ct state new ct helper set "ftp-obj"', 'ct state new ct helper set tcp dport map { 21 : "ftp-obj" }').replace(
    'udp dport 5500 ct state new ct timeout set "udp-short"',
    'ct state new ct timeout set udp dport map { 5500 : "udp-short" }',
  );

  it('ct helper set tcp dport map { 21 : "ftp-obj" }: the data connection is related', async () => {
    const e = await engine();
    e.load(MAPPED);
    const n = new Net(e);
    control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    expect(new Tcp(n, 40001, 50000).c(SYN)).toBe('related mark 3');
  });

  it('ct timeout set udp dport map { 5500 : "udp-short" }: 7 s', async () => {
    const e = await engine();
    e.load(MAPPED);
    const n = new Net(e);
    n.send(rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport: 40000, dport: 5500 }) })));
    expect(n.entry(5500)!.timeout).toBe(7);
  });

  it('a table whose only conntrack user is a ct helper object tracks its families', async () => {
    const e = await engine();
    e.load('table ip t {\n ct helper h {\n  type "ftp" protocol tcp;\n }\n chain c {\n  type filter hook input priority 0;\n  counter\n }\n}\n');
    expect(e.trackedFamilies()).toEqual({ ipv4: true, ipv6: false });
  });
});

describe('an expected entry inherits', () => {
  it('the ct mark of its master', async () => {
    const e = await engine();
    e.load(RULESET.replace('tcp dport 21 ct state new ct helper set "ftp-obj"', 'tcp dport 21 ct state new ct helper set "ftp-obj" ct mark set 0x5'));
    const n = new Net(e);
    control(n, 21, 'PASV\r\n', '227 Entering Passive Mode (10,0,0,1,195,80).\r\n');
    new Tcp(n, 40001, 50000).c(SYN);
    expect(n.entry(21)!.mark).toBe(5);
    expect(n.entry(50000)!.mark).toBe(5);
  });
});
