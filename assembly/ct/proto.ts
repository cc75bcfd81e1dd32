// The small trackers (kernel: nf_conntrack_proto_udp.c, _icmp.c, _icmpv6.c,
// _generic.c): what one packet does to an entry's timeout and ASSURED bit.
// A DNS-like UDP request/reply stays 30 s and unassured; a second exchange
// more than 2 s after the first packet makes it a 120 s ASSURED stream.

import { CtStatus, CtTimeout, CTE_START } from '../abi';
import { eventUpdate, now, refresh, setStatusBits, status, timeoutMs } from './entry';

/** udp_error: the 8-byte header is there and its length field fits the segment of `len` bytes. */
export function udpHeaderOk(th: usize, len: u32): bool {
  if (len < 8) return false;
  const ulen = (<u32>load<u8>(th, 4) << 8) | load<u8>(th, 5);
  return ulen >= 8 && ulen <= len;
}

/** nf_conntrack_udp_packet: `isNew` = the entry's first packet. */
export function udpPacket(ct: usize, isNew: bool): void {
  if (isNew) store<u32>(ct, now, CTE_START);
  const st = status(ct);
  if (!(st & CtStatus.SeenReply)) {
    refresh(ct, timeoutMs(CtTimeout.Udp));
    return;
  }
  // Still active 2 s after the first packet: a stream.
  if (<i32>(now - (load<u32>(ct, CTE_START) + 2000)) > 0) {
    refresh(ct, timeoutMs(CtTimeout.UdpStream));
    if (!(st & CtStatus.Assured)) {
      setStatusBits(ct, CtStatus.Assured);
      eventUpdate(false);
    }
  } else refresh(ct, timeoutMs(CtTimeout.Udp));
}

/** icmp_packet / icmpv6_packet: every packet refreshes the 30 s timeout; never ASSURED. */
export function icmpPacket(ct: usize, v6: bool): void {
  refresh(ct, timeoutMs(v6 ? CtTimeout.Icmpv6 : CtTimeout.Icmp));
}

/** The generic tracker: every packet refreshes the generic timeout. */
export function genericPacket(ct: usize): void {
  refresh(ct, timeoutMs(CtTimeout.Generic));
}
