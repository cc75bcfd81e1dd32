// Linux "cooked" capture headers, what libpcap writes for `tcpdump -i any`:
// LINKTYPE_LINUX_SLL (v1, 16 bytes) and LINKTYPE_LINUX_SLL2 (v2, 20 bytes,
// adds the ifindex). Counterpart of libpcap's pcap/sll.h. The packet type is
// the kernel's skb->pkt_type, the value nft matches with `meta pkttype host`.

import { Direction } from './packet.js';

/** The kernel's PACKET_* packet types (linux/if_packet.h); 0..3 are nft's `meta pkttype` values. */
export enum PacketType {
  Host = 0,
  Broadcast = 1,
  Multicast = 2,
  OtherHost = 3,
  Outgoing = 4,
  Loopback = 5,
  User = 6,
  Kernel = 7,
}

const PACKET_TYPE_NAMES = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing', 'loopback', 'user', 'kernel'];

/** Lower-case name of a packet type (`host`, `outgoing`, ...), or its number for an unknown one. */
export function packetTypeName(type: number): string {
  return PACKET_TYPE_NAMES[type] ?? String(type);
}

/** The fields of a cooked header, byte order already resolved (they are big-endian in every file). */
export interface CookedHeader {
  /** How the packet met the host (PacketType). */
  packetType: number;
  /** ARPHRD_* type of the capturing device (1 = Ethernet, 772 = loopback). */
  hatype: number;
  /** Link-layer source address (up to 8 bytes; a view into the packet). */
  address: Uint8Array;
  /** EtherType of the payload (some hatypes put other protocol numbers here). */
  protocol: number;
  /** ifindex of the capturing device on the capturing host (SLL2 only, else null). */
  ifindex: number | null;
  /** Length of the cooked header: where the network header starts. */
  headerLength: number;
}

/** Length of a LINKTYPE_LINUX_SLL header (libpcap SLL_HDR_LEN). */
export const SLL_HDR_LEN = 16;
/** Length of a LINKTYPE_LINUX_SLL2 header (libpcap SLL2_HDR_LEN). */
export const SLL2_HDR_LEN = 20;
const SLL_ADDRLEN = 8;

function be16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

/** Decode a LINKTYPE_LINUX_SLL header: pkttype, hatype, halen, addr[8], protocol. Null if `data` is shorter. */
export function decodeSll(data: Uint8Array): CookedHeader | null {
  if (data.length < SLL_HDR_LEN) return null;
  const halen = Math.min(be16(data, 4), SLL_ADDRLEN);
  return {
    packetType: be16(data, 0),
    hatype: be16(data, 2),
    address: data.subarray(6, 6 + halen),
    protocol: be16(data, 14),
    ifindex: null,
    headerLength: SLL_HDR_LEN,
  };
}

/** Decode a LINKTYPE_LINUX_SLL2 header: protocol, reserved, ifindex, hatype, pkttype, halen, addr[8]; null if shorter. */
export function decodeSll2(data: Uint8Array): CookedHeader | null {
  if (data.length < SLL2_HDR_LEN) return null;
  const halen = Math.min(data[11]!, SLL_ADDRLEN);
  return {
    packetType: data[10]!,
    hatype: be16(data, 8),
    address: data.subarray(12, 12 + halen),
    protocol: be16(data, 0),
    ifindex: ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0,
    headerLength: SLL2_HDR_LEN,
  };
}

/** Direction implied by a packet type: outgoing is outbound, host/broadcast/multicast/otherhost inbound. */
export function packetTypeDirection(type: number): Direction {
  if (type === PacketType.Outgoing) return Direction.Outbound;
  return type <= PacketType.OtherHost ? Direction.Inbound : Direction.Unknown;
}
