// Real captures from test/fixtures/pcap (made by record.sh: tcpdump and
// dumpcap on a veth pair between two network namespaces), compared with how
// tcpdump/tshark read them (NAME.txt). On a mismatch our reading goes to NAME.got.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Direction, LinkType, PacketType, readCapture, type Capture, type Packet } from '../../src/pcap/index.js';

const DIR = fileURLToPath(new URL('../fixtures/pcap', import.meta.url));

function load(name: string): Capture {
  return readCapture(new Uint8Array(readFileSync(join(DIR, name))));
}

/** Lines of NAME.txt after its origin comment. */
function reading(name: string): string[] {
  return readFileSync(join(DIR, name), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** A nanosecond timestamp as tcpdump -tt prints it, with `digits` fraction digits. */
function seconds(ns: bigint, digits: number): string {
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
  return `${ns / 1_000_000_000n}.${frac}`;
}

function ipv4Address(p: Packet, at: number): string {
  return Array.from(p.data.subarray(p.networkOffset + at, p.networkOffset + at + 4)).join('.');
}

/** Compare our rendering with the recorded one; on a mismatch write NAME.got for a diff. */
function same(fixture: string, ours: string[], theirs: string[]): void {
  const got = join(DIR, fixture.replace(/\.txt$/, '.got'));
  if (ours.join('\n') !== theirs.join('\n')) writeFileSync(got, ours.join('\n') + '\n');
  expect(ours).toEqual(theirs);
}

/**
 * tcpdump -tt -nn lines, reduced to what the reader determines: timestamp,
 * direction (`In`/`Out` for cooked captures) and the IPv4 addresses. The
 * interface name tcpdump prints for SLL2 is the *reading* host's name for
 * that ifindex, so it is left out.
 */
function tcpdumpRows(fixture: string): string[] {
  return reading(fixture).map((line) => {
    const m = /^(\d+\.\d+) (?:\S+\s+(In|Out)\s+)?IP (\S+) > (\S+?):/.exec(line);
    expect(m, line).not.toBeNull();
    return [m![1], m![2] ?? '-', m![3], m![4]].join(' ');
  });
}

function ourRows(c: Capture, digits: number): string[] {
  return c.packets.map((p) => {
    const dir = p.direction === Direction.Outbound ? 'Out' : p.direction === Direction.Inbound ? 'In' : '-';
    return [seconds(p.timestamp!, digits), dir, ipv4Address(p, 12), ipv4Address(p, 16)].join(' ');
  });
}

describe('recorded captures', () => {
  it('veth-eth.pcap: tcpdump -i veth, Ethernet, microseconds, 4 ICMP packets', () => {
    const c = load('veth-eth.pcap');
    expect(c.error).toBeNull();
    expect(c.sections[0]).toMatchObject({ littleEndian: true, major: 2, minor: 4 });
    expect(c.interfaces).toMatchObject([{ linkType: LinkType.Ethernet, snaplen: 262144, unitsPerSecond: 1_000_000n }]);
    expect(c.packets).toHaveLength(4);
    for (const p of c.packets) expect(p).toMatchObject({ linkType: 1, networkOffset: 14, protocol: 0x0800, originalLength: 98 });
    same('veth-eth.txt', ourRows(c, 6), tcpdumpRows('veth-eth.txt'));
  });

  it('veth-nano.pcap: tcpdump --time-stamp-precision=nano, Ethernet, nanoseconds', () => {
    const c = load('veth-nano.pcap');
    expect(c.error).toBeNull();
    expect(c.interfaces).toMatchObject([{ linkType: LinkType.Ethernet, unitsPerSecond: 1_000_000_000n }]);
    expect(c.packets).toHaveLength(4);
    same('veth-nano.txt', ourRows(c, 9), tcpdumpRows('veth-nano.txt'));
  });

  it('any-sll2.pcap: tcpdump -i any, Linux cooked v2, directions Out/In', () => {
    const c = load('any-sll2.pcap');
    expect(c.error).toBeNull();
    expect(c.interfaces).toMatchObject([{ linkType: LinkType.LinuxSll2 }]);
    expect(c.packets).toHaveLength(4);
    for (const p of c.packets) {
      expect(p).toMatchObject({ networkOffset: 20, protocol: 0x0800, originalLength: 104 });
      // veth-pc1 is ifindex 2 in its fresh namespace (lo is 1).
      expect(p.cooked).toMatchObject({ hatype: 1, ifindex: 2, protocol: 0x0800 });
      expect(p.cooked!.address.length).toBe(6);
    }
    expect(c.packets.map((p) => p.cooked!.packetType))
      .toEqual([PacketType.Outgoing, PacketType.Host, PacketType.Outgoing, PacketType.Host]);
    same('any-sll2.txt', ourRows(c, 6), tcpdumpRows('any-sll2.txt'));
  });

  it('multi.pcapng: dumpcap on veth, lo and any (3 interfaces, 2 link types, nanoseconds)', () => {
    const c = load('multi.pcapng');
    expect(c.error).toBeNull();
    expect(c.sections).toHaveLength(1);
    expect(c.sections[0]!.application).toMatch(/^Dumpcap/);
    expect(c.interfaces.map((i) => [i.name, i.linkType, i.unitsPerSecond, i.filter]))
      .toEqual([['veth-pc1', 1, 1_000_000_000n, 'icmp'], ['lo', 1, 1_000_000_000n, 'icmp'], ['any', 276, 1_000_000_000n, 'icmp']]);
    // tshark -T fields: interface_id, interface_name, time_epoch, len, cap_len, sll.pkttype.
    const ours = c.packets.map((p) => [p.interface, c.interfaces[p.interface]!.name, seconds(p.timestamp!, 9),
      p.originalLength, p.data.length, p.cooked?.packetType ?? ''].join('\t'));
    same('multi.txt', ours, reading('multi.txt'));
    for (const p of c.packets) {
      const cooked = p.linkType === LinkType.LinuxSll2;
      const expected = !cooked ? Direction.Unknown : p.cooked!.packetType === PacketType.Outgoing ? Direction.Outbound : Direction.Inbound;
      expect(p.direction).toBe(expected);
      expect(p.networkOffset).toBe(cooked ? 20 : 14);
      expect(ipv4Address(p, 12)).toMatch(/^(10\.200\.0\.[12]|127\.0\.0\.1)$/);
    }
  });
});
