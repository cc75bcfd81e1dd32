// Link-layer types of capture files (tcpdump.org LINKTYPE_* values, which
// pcap and pcapng share) and where each one's network header starts. The
// ones nftvm replays: Ethernet, raw IP (incl. the old DLT_RAW numbers 12/14),
// IPv4/IPv6-only and Linux cooked v1/v2 (`tcpdump -i any`).

import { decodeSll, decodeSll2, packetTypeDirection } from './cooked.js';
import { Direction, type Packet } from './packet.js';

/** LINKTYPE_* values understood by decodeLinkHeader (tcpdump.org link-layer header types). */
export enum LinkType {
  /** LINKTYPE_ETHERNET: 14-byte Ethernet II / 802.3 header. */
  Ethernet = 1,
  /** DLT_RAW as most platforms number it, found in old files: bare IPv4 or IPv6. */
  RawDlt12 = 12,
  /** DLT_RAW as OpenBSD numbers it, found in old files: bare IPv4 or IPv6. */
  RawDlt14 = 14,
  /** LINKTYPE_RAW: bare IPv4 or IPv6, told apart by the version nibble. */
  Raw = 101,
  /** LINKTYPE_LINUX_SLL: Linux cooked capture v1. */
  LinuxSll = 113,
  /** LINKTYPE_IPV4: bare IPv4. */
  Ipv4 = 228,
  /** LINKTYPE_IPV6: bare IPv6. */
  Ipv6 = 229,
  /** LINKTYPE_LINUX_SLL2: Linux cooked capture v2. */
  LinuxSll2 = 276,
}

const NAMES: Record<number, string> = {
  [LinkType.Ethernet]: 'EN10MB',
  [LinkType.RawDlt12]: 'RAW',
  [LinkType.RawDlt14]: 'RAW',
  [LinkType.Raw]: 'RAW',
  [LinkType.LinuxSll]: 'LINUX_SLL',
  [LinkType.Ipv4]: 'IPV4',
  [LinkType.Ipv6]: 'IPV6',
  [LinkType.LinuxSll2]: 'LINUX_SLL2',
};

/** tcpdump's name of a link type (`EN10MB`, `LINUX_SLL2`), or `LINKTYPE n` for one nftvm does not decode. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE ${linkType}`;
}

/** EtherType of IPv4. */
export const ETH_P_IP = 0x0800;
/** EtherType of IPv6. */
export const ETH_P_IPV6 = 0x86dd;
const ETH_HLEN = 14;

/** EtherType of a bare IP packet from its version nibble, 0 if neither 4 nor 6. */
function rawProtocol(data: Uint8Array): number {
  const version = data.length > 0 ? data[0]! >> 4 : 0;
  return version === 4 ? ETH_P_IP : version === 6 ? ETH_P_IPV6 : 0;
}

/** What a capture record itself says about a packet; the rest is decoded from its link header. */
export type RecordFields = Pick<Packet, 'timestamp' | 'interface' | 'linkType' | 'data' | 'originalLength' | 'direction' | 'flags' | 'offset'>;

/** A packet from its capture record, with the link-layer fields decoded. */
export function recordPacket(r: RecordFields): Packet {
  const p: Packet = {
    timestamp: r.timestamp, interface: r.interface, linkType: r.linkType, data: r.data, originalLength: r.originalLength,
    direction: r.direction, flags: r.flags, networkOffset: -1, protocol: 0, cooked: null, offset: r.offset,
  };
  decodeLinkHeader(p);
  return p;
}

/**
 * Fill a packet's networkOffset, protocol and cooked fields from its link
 * header, and its direction from a cooked packet type when the file gave none.
 * Ethernet's protocol is the EtherType field as is (802.1Q tags are not skipped).
 */
export function decodeLinkHeader(p: Packet): void {
  const data = p.data;
  switch (p.linkType) {
    case LinkType.Ethernet:
      if (data.length >= ETH_HLEN) {
        p.networkOffset = ETH_HLEN;
        p.protocol = (data[12]! << 8) | data[13]!;
      }
      return;
    case LinkType.Raw:
    case LinkType.RawDlt12:
    case LinkType.RawDlt14:
      p.networkOffset = 0;
      p.protocol = rawProtocol(data);
      return;
    case LinkType.Ipv4:
      p.networkOffset = 0;
      p.protocol = ETH_P_IP;
      return;
    case LinkType.Ipv6:
      p.networkOffset = 0;
      p.protocol = ETH_P_IPV6;
      return;
    case LinkType.LinuxSll:
    case LinkType.LinuxSll2: {
      const cooked = p.linkType === LinkType.LinuxSll ? decodeSll(data) : decodeSll2(data);
      if (cooked === null) return;
      p.cooked = cooked;
      p.networkOffset = cooked.headerLength;
      p.protocol = cooked.protocol;
      if (p.direction === Direction.Unknown) p.direction = packetTypeDirection(cooked.packetType);
      return;
    }
  }
}
