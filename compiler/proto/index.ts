// Protocol header field tables (nftables: src/proto.c, src/exthdr.c,
// src/tcpopt.c, rewritten as data). Offsets and lengths are in bits from
// the start of the header; `ip saddr` = network header bits 96..127.

/** Payload bases, as the kernel numbers them (enum nft_payload_bases). */
export enum Base { LL = 0, Network = 1, Transport = 2, Inner = 3 }

/** One header field: where it is and what type its values have. */
export interface Field {
  name: string;
  offset: number; // bits
  len: number; // bits
  type: string; // datatype name (see datatype.ts)
  /** ICMP message types the field exists in (`icmp id` → echo-request, echo-reply). */
  icmpTypes?: number[];
  /** The field names the next header's protocol (`ether type`, `ip protocol` ...). */
  selects?: 'ethertype' | 'ipproto' | 'nexthdr';
}

const selects = (x: Field, s: Field['selects']): Field => ({ ...x, selects: s });

/** One protocol header description. */
export interface Proto {
  name: string;
  base: Base;
  /** Value of the lower layer's protocol key that selects this header. */
  protoKey?: number;
  fields: Field[];
  /** Checksum field offset in bytes that payload writes update, if any. */
  csum?: number;
  /** How writes update it: 1 INET (16-bit ones' complement, the default), 2 SCTP (CRC32c). */
  csumType?: number;
}

const f = (name: string, offset: number, len: number, type = 'integer', icmpTypes?: number[]): Field => ({ name, offset, len, type, icmpTypes });

/** Ethernet header (link layer). */
export const ether: Proto = {
  name: 'ether', base: Base.LL,
  fields: [f('daddr', 0, 48, 'ether_addr'), f('saddr', 48, 48, 'ether_addr'), selects(f('type', 96, 16, 'ether_type'), 'ethertype')],
};

/** 802.1Q VLAN header, as it sits after the Ethernet addresses. */
export const vlan: Proto = {
  name: 'vlan', base: Base.LL, protoKey: 0x8100,
  fields: [
    f('pcp', 112, 3), f('dei', 115, 1), f('cfi', 115, 1), f('id', 116, 12),
    selects(f('type', 128, 16, 'ether_type'), 'ethertype'),
  ],
};

/** ARP header. */
export const arp: Proto = {
  name: 'arp', base: Base.Network, protoKey: 0x0806,
  fields: [
    f('htype', 0, 16), f('ptype', 16, 16, 'ether_type'), f('hlen', 32, 8), f('plen', 40, 8),
    f('operation', 48, 16, 'arp_op'),
    f('saddr ether', 64, 48, 'ether_addr'), f('saddr ip', 112, 32, 'ipv4_addr'),
    f('daddr ether', 144, 48, 'ether_addr'), f('daddr ip', 192, 32, 'ipv4_addr'),
  ],
};

/** IPv4 header. */
export const ip: Proto = {
  name: 'ip', base: Base.Network, protoKey: 0x0800, csum: 10,
  fields: [
    f('version', 0, 4), f('hdrlength', 4, 4), f('dscp', 8, 6, 'dscp'), f('ecn', 14, 2, 'ecn'),
    f('length', 16, 16), f('id', 32, 16), f('frag-off', 48, 16), f('ttl', 64, 8),
    selects(f('protocol', 72, 8, 'inet_proto'), 'ipproto'), f('checksum', 80, 16),
    f('saddr', 96, 32, 'ipv4_addr'), f('daddr', 128, 32, 'ipv4_addr'),
  ],
};

/** IPv6 header. */
export const ip6: Proto = {
  name: 'ip6', base: Base.Network, protoKey: 0x86dd,
  fields: [
    f('version', 0, 4), f('dscp', 4, 6, 'dscp'), f('ecn', 10, 2, 'ecn'), f('flowlabel', 12, 20),
    f('length', 32, 16), selects(f('nexthdr', 48, 8, 'inet_proto'), 'nexthdr'), f('hoplimit', 56, 8),
    f('saddr', 64, 128, 'ipv6_addr'), f('daddr', 192, 128, 'ipv6_addr'),
  ],
};

/** TCP header. */
export const tcp: Proto = {
  name: 'tcp', base: Base.Transport, protoKey: 6, csum: 16,
  fields: [
    f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service'),
    f('sequence', 32, 32), f('ackseq', 64, 32), f('doff', 96, 4), f('reserved', 100, 4),
    f('flags', 104, 8, 'tcp_flag'), f('window', 112, 16), f('checksum', 128, 16), f('urgptr', 144, 16),
  ],
};

/** UDP header. */
export const udp: Proto = {
  name: 'udp', base: Base.Transport, protoKey: 17, csum: 6,
  fields: [f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service'), f('length', 32, 16), f('checksum', 48, 16)],
};

/** UDP-Lite header. */
export const udplite: Proto = {
  name: 'udplite', base: Base.Transport, protoKey: 136,
  fields: [f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service'), f('csumcov', 32, 16), f('checksum', 48, 16)],
};

/** SCTP common header. */
export const sctp: Proto = {
  name: 'sctp', base: Base.Transport, protoKey: 132, csum: 8, csumType: 2,
  fields: [f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service'), f('vtag', 32, 32), f('checksum', 64, 32)],
};

/** DCCP header. */
export const dccp: Proto = {
  name: 'dccp', base: Base.Transport, protoKey: 33,
  fields: [f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service'), f('type', 67, 4, 'dccp_pkttype')],
};

/** ICMP header. */
export const icmp: Proto = {
  name: 'icmp', base: Base.Transport, protoKey: 1, csum: 2,
  fields: [
    f('type', 0, 8, 'icmp_type'), f('code', 8, 8, 'icmp_code'), f('checksum', 16, 16),
    f('id', 32, 16, 'integer', [8, 0]), f('sequence', 48, 16, 'integer', [8, 0]),
    f('gateway', 32, 32, 'integer', [5]), f('mtu', 48, 16, 'integer', [3]),
  ],
};

/** ICMPv6 header. */
export const icmpv6: Proto = {
  name: 'icmpv6', base: Base.Transport, protoKey: 58, csum: 2,
  fields: [
    f('type', 0, 8, 'icmpv6_type'), f('code', 8, 8, 'icmpv6_code'), f('checksum', 16, 16),
    f('param-problem', 32, 32, 'integer', [4]), f('id', 32, 16, 'integer', [128, 129]),
    f('sequence', 48, 16, 'integer', [128, 129]), f('max-delay', 32, 16, 'integer', [130]), f('mtu', 32, 32, 'integer', [2]),
  ],
};

/** IGMP header. */
export const igmp: Proto = {
  name: 'igmp', base: Base.Transport, protoKey: 2, csum: 2,
  fields: [f('type', 0, 8, 'igmp_type'), f('mrt', 8, 8), f('checksum', 16, 16), f('group', 32, 32)],
};

/** IPsec AH header. */
export const ah: Proto = {
  name: 'ah', base: Base.Transport, protoKey: 51,
  fields: [f('nexthdr', 0, 8, 'inet_proto'), f('hdrlength', 8, 8), f('reserved', 16, 16), f('spi', 32, 32), f('sequence', 64, 32)],
};

/** IPsec ESP header. */
export const esp: Proto = {
  name: 'esp', base: Base.Transport, protoKey: 50,
  fields: [f('spi', 0, 32), f('sequence', 32, 32)],
};

/** IP payload compression header. */
export const comp: Proto = {
  name: 'comp', base: Base.Transport, protoKey: 108,
  fields: [f('nexthdr', 0, 8, 'inet_proto'), f('flags', 8, 8), f('cpi', 16, 16)],
};

/** Generic transport header (`th`): ports at the common offsets, no dependency. */
export const th: Proto = {
  name: 'th', base: Base.Transport,
  fields: [f('sport', 0, 16, 'inet_service'), f('dport', 16, 16, 'inet_service')],
};

/** All payload protocols by their keyword. */
export const protocols: Record<string, Proto> = {
  ether, vlan, arp, ip, ip6, tcp, udp, udplite, sctp, dccp, icmp, icmpv6, igmp, ah, esp, comp, th,
};

/** Per protocol, its fields by name (the first of a name, as a search would find); built on first use. */
const FIELDS = new Map<Proto, Map<string, Field>>();

/** Looks a field up by protocol and field name (a map, not a search: every payload match of every rule asks). */
export function findField(proto: string, field: string): Field | undefined {
  const p = protocols[proto];
  if (!p) return undefined;
  let m = FIELDS.get(p);
  if (!m) {
    m = new Map();
    for (const f of p.fields) if (!m.has(f.name)) m.set(f.name, f);
    FIELDS.set(p, m);
  }
  return m.get(field);
}
