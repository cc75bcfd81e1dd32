// Every link type nftvm replays, read from a pcap file: where the network
// header starts and which EtherType it carries, as the VM will be told.

import { describe, expect, it } from 'vitest';
import { Direction, LinkType, linkTypeName, readCapture } from '../../src/pcap/index.js';
import { ether, ipv4, ipv6, pcapFile, sll, sll2 } from './writer.js';

const MAC = [2, 0, 0, 0, 0, 1];
const v4 = ipv4([10, 200, 0, 1], [10, 200, 0, 2]);
const v6 = ipv6();

/** The single packet of a pcap file holding `data` with `linkType`. */
function one(linkType: number, data: Uint8Array) {
  const c = readCapture(pcapFile({ linkType }, [{ sec: 1, frac: 0, data }]));
  expect(c.error).toBeNull();
  expect(c.packets).toHaveLength(1);
  return c.packets[0]!;
}

describe('link types', () => {
  it('Ethernet (1), IPv4: network header at 14, protocol 0x0800', () => {
    expect(one(LinkType.Ethernet, ether(MAC, MAC, 0x0800, v4))).toMatchObject({ networkOffset: 14, protocol: 0x0800, cooked: null });
  });

  it('Ethernet (1), 802.1Q tag: the tag is not skipped, protocol 0x8100', () => {
    expect(one(LinkType.Ethernet, ether(MAC, MAC, 0x8100, v4))).toMatchObject({ networkOffset: 14, protocol: 0x8100 });
  });

  it('Ethernet (1), frame shorter than its header: no network header', () => {
    expect(one(LinkType.Ethernet, Uint8Array.of(1, 2, 3))).toMatchObject({ networkOffset: -1, protocol: 0 });
  });

  for (const lt of [LinkType.Raw, LinkType.RawDlt12, LinkType.RawDlt14]) {
    it(`raw IP (${lt}): version nibble picks IPv4 or IPv6`, () => {
      expect(one(lt, v4)).toMatchObject({ linkType: lt, networkOffset: 0, protocol: 0x0800 });
      expect(one(lt, v6)).toMatchObject({ linkType: lt, networkOffset: 0, protocol: 0x86dd });
      expect(one(lt, Uint8Array.of(0x10))).toMatchObject({ networkOffset: 0, protocol: 0 });
      expect(one(lt, new Uint8Array(0))).toMatchObject({ networkOffset: 0, protocol: 0 });
    });
  }

  it('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)', () => {
    expect(one(LinkType.Ipv4, v4)).toMatchObject({ networkOffset: 0, protocol: 0x0800 });
    expect(one(LinkType.Ipv6, v6)).toMatchObject({ networkOffset: 0, protocol: 0x86dd });
  });

  it('Linux cooked v1 (113), outgoing IPv4 from 02:00:00:00:00:01', () => {
    const p = one(LinkType.LinuxSll, sll(4, 1, MAC, 0x0800, v4));
    expect(p).toMatchObject({ networkOffset: 16, protocol: 0x0800, direction: Direction.Outbound });
    expect(p.cooked).toMatchObject({ packetType: 4, hatype: 1, protocol: 0x0800, ifindex: null, headerLength: 16 });
    expect(Array.from(p.cooked!.address)).toEqual(MAC);
    expect(p.data[p.networkOffset]).toBe(0x45);
  });

  it('Linux cooked v2 (276), inbound IPv6 to host on ifindex 7', () => {
    const p = one(LinkType.LinuxSll2, sll2(0x86dd, 7, 1, 0, MAC, v6));
    expect(p).toMatchObject({ networkOffset: 20, protocol: 0x86dd, direction: Direction.Inbound });
    expect(p.cooked).toMatchObject({ packetType: 0, hatype: 1, protocol: 0x86dd, ifindex: 7, headerLength: 20 });
    expect(p.data[p.networkOffset]! >> 4).toBe(6);
  });

  it('cooked header cut by the snaplen: no metadata, direction unknown', () => {
    const p = one(LinkType.LinuxSll2, sll2(0x0800, 1, 1, 4, MAC, v4).subarray(0, 19));
    expect(p).toMatchObject({ networkOffset: -1, protocol: 0, cooked: null, direction: Direction.Unknown });
  });

  it('unknown link type (147, USER0): packet kept, nothing decoded', () => {
    expect(one(147, v4)).toMatchObject({ linkType: 147, networkOffset: -1, protocol: 0, cooked: null });
  });

  it('tcpdump names', () => {
    expect([1, 101, 113, 276, 228, 229, 147].map(linkTypeName))
      .toEqual(['EN10MB', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'IPV4', 'IPV6', 'LINKTYPE 147']);
  });
});
