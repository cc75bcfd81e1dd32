// The Engine's conntrack API (src/engine.ts): options written over ctInit's
// defaults, per-packet ct info/state/entry, events with their snapshots,
// the listing after ctAdvance, statistics. Hand-built packets of one UDP
// exchange and a bare TCP ACK; the lines are compared in conntrack's format.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as abi from '../../assembly/abi.js';
import { Engine, type ConntrackOptions, type PacketIn } from '../../src/engine.js';
import { formatConntrackEntry, formatConntrackEvent } from '../../src/format/conntrack.js';

const wasm = readFileSync(fileURLToPath(new URL('../../build/nftvm.wasm', import.meta.url)));
const HOST = { interfaces: [{ index: 1, name: 'lo', type: 772, addresses: ['127.0.0.1/8'] }, { index: 2, name: 'eth0', addresses: ['192.168.1.10/24'] }], routes: [{ dst: '0.0.0.0/0', oif: 2 }] };
const RULES = `table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tct state new accept
\t}
}
`;
const T = 1_795_000_000_000_000_000n;
const SEC = 1_000_000_000n;

function ipv4(proto: number, src: number[], dst: number[], l4: number[]): Uint8Array {
  const ip = new Uint8Array(20 + l4.length);
  ip.set([0x45, 0, 0, ip.length, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (ip[i]! << 8) | ip[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  ip[10] = s >> 8;
  ip[11] = s & 255;
  ip.set(l4, 20);
  return ip;
}
const CLI = [10, 0, 0, 5];
const SRV = [192, 168, 1, 10];
/** A frame received on eth0 (client → host). */
const inbound = (ip: Uint8Array, t: bigint): PacketIn => {
  const f = new Uint8Array(Math.max(60, 14 + ip.length));
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]);
  f.set(ip, 14);
  return { data: f, iif: 2, tstamp: t };
};
/** A packet the host sends (host → client). */
const outbound = (ip: Uint8Array, t: bigint): PacketIn => ({ data: ip, iif: 0, tstamp: t });
const request = (t: bigint) => inbound(ipv4(17, CLI, SRV, [0x9c, 0x40, 0, 53, 0, 8, 0, 0]), t);
const reply = (t: bigint) => outbound(ipv4(17, SRV, CLI, [0, 53, 0x9c, 0x40, 0, 8, 0, 0]), t);

async function engine(conntrack?: ConntrackOptions | false): Promise<Engine> {
  const e = await Engine.create({ wasm, host: HOST, ...(conntrack !== undefined ? { conntrack } : {}) });
  e.load(RULES);
  return e;
}

describe('Engine conntrack', () => {
  it('a UDP exchange: ct info/state per packet, NEW and UPDATE events, the listing', async () => {
    const e = await engine({ hashsize: 1024 });
    const r = e.evaluate([request(T), reply(T + 1_000_000n), request(T + 3n * SEC)], { ctEvents: true });
    expect([0, 1, 2].map((i) => r.ctInfo(i))).toEqual([abi.CtInfo.New, abi.CtInfo.EstablishedReply, abi.CtInfo.Established]);
    expect([0, 1, 2].map((i) => r.ctState(i))).toEqual([abi.CtStateBit.New, abi.CtStateBit.Established, abi.CtStateBit.Established]);
    expect(r.ctEntry(1)).toBe(r.ctEntry(0));
    const evs = r.ctEvents();
    expect(evs.map((x) => [x.kind, x.packet, x.time])).toEqual([['NEW', 0, T], ['UPDATE', 1, T + 1_000_000n], ['UPDATE', 2, T + 3n * SEC]]);
    expect(evs.map((x) => formatConntrackEvent(x, { timestamp: true }))).toEqual([
      '[1795000000.000000]\t    [NEW] udp      17 30 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 [UNREPLIED] src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000',
      '[1795000000.001000]\t [UPDATE] udp      17 30 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000',
      '[1795000003.000000]\t [UPDATE] udp      17 120 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000 [ASSURED]',
    ]);
    expect(e.conntrack().map(formatConntrackEntry)).toEqual(['udp      17 120 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000 [ASSURED] mark=0 use=1']);
    expect(e.conntrack()[0]!.index).toBe(r.ctEntry(0));
    expect(e.conntrackStats()).toMatchObject({ entries: 1, buckets: 1024, max: 8192, insert: 1, memoryBytes: 1024 * 4 + 8192 * abi.CTE_SIZE });
  });

  it('conntrack(atNs): the table advanced to a time, expired entries gone; ctAdvance returns their DESTROY events', async () => {
    const e = await engine({ hashsize: 1024 });
    e.evaluate([request(T), reply(T + 1_000_000n)], { ctEvents: true });
    expect(e.conntrack(T + 20n * SEC).map((x) => x.timeout)).toEqual([10]);
    const adv = e.ctAdvance(T + 31n * SEC);
    expect(adv.reaped).toBe(1);
    expect(adv.events.map((x) => formatConntrackEvent(x))).toEqual(['[DESTROY] udp      17 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000']);
    expect(adv.events[0]!.packet).toBeUndefined();
    expect(e.conntrack()).toEqual([]);
    expect(e.conntrackStats()!.entries).toBe(0);
  });

  it('timeouts and accounting options: the UDP timeout, packets= and bytes=', async () => {
    const e = await engine({ hashsize: 1024, timeouts: { udp: 5, udp_stream: 50 }, accounting: true });
    e.evaluate([request(T), reply(T + 1_000_000n)]);
    expect(e.conntrack().map(formatConntrackEntry)).toEqual(['udp      17 5 src=10.0.0.5 dst=192.168.1.10 sport=40000 dport=53 packets=1 bytes=28 src=192.168.1.10 dst=10.0.0.5 sport=53 dport=40000 packets=1 bytes=28 mark=0 use=1']);
    e.evaluate([request(T + 3n * SEC)]);
    expect(e.conntrack()[0]).toMatchObject({ timeout: 50, assured: true, counters: { orig: { packets: 2n, bytes: 56n } } });
  });

  it('tcpLoose: false — a bare ACK starts no connection (invalid), as with nf_conntrack_tcp_loose=0', async () => {
    const ack = inbound(ipv4(6, CLI, SRV, [0x9c, 0x41, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]), T);
    // TCP checksum over the pseudo-header: leave checksums out of it.
    const loose = await engine({ hashsize: 1024, checksum: false });
    expect(loose.evaluate([ack]).ctState(0)).toBe(abi.CtStateBit.New);
    const strict = await engine({ hashsize: 1024, checksum: false, tcpLoose: false });
    const r = strict.evaluate([ack]);
    expect(r.ctState(0)).toBe(abi.CtStateBit.Invalid);
    expect(r.ctEntry(0)).toBe(abi.NONE32);
    expect(strict.conntrackStats()!.invalid).toBe(1);
  });

  it('unknown timeout names are refused; conntrack: false leaves the table out (ct rules then refused at load)', async () => {
    await expect(Engine.create({ wasm, host: HOST, conntrack: { timeouts: { udp_strem: 5 } as never } })).rejects.toThrow("unknown conntrack timeout 'udp_strem'");
    const e = await Engine.create({ wasm, host: HOST, conntrack: false });
    expect(e.conntrackStats()).toBeUndefined();
    expect(e.conntrack()).toEqual([]);
    expect(() => e.load(RULES)).toThrow(/^ct \(nft_ct_get_ops\) needs conntrack, and this engine has no conntrack table \(created with conntrack: false\)/);
  });
});
