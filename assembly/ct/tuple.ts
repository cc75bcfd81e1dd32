// Conntrack tuples (kernel: nf_ct_get_tuple, nf_ct_invert_tuple,
// icmp_pkt_to_tuple / icmp_invert_tuple): addresses, then the 16-bit
// src.u / dst.u of the protocol — ports for TCP, UDP, UDP-Lite, SCTP, DCCP;
// ICMP id and type/code; GRE keys (gre.ts); nothing for the others. `10.0.0.1:40000 → 10.0.0.2:80`
// over TCP has the reply tuple `10.0.0.2:80 → 10.0.0.1:40000`.

import { CT_TUPLE_SIZE, TUP_DPORT, TUP_DST, TUP_SPORT, TUP_SRC } from '../abi';
import { greTuple } from './gre';

/** Protocols whose tuple carries ports: the first 4 bytes of the L4 header. */
@inline export function hasPorts(proto: u32): bool {
  return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

/** ICMP (l3 2) or ICMPv6 (l3 10) reply type of query type `type`; -1 when it has none (icmp_invert_tuple's map). */
export function icmpInverse(l3: u32, type: u32): i32 {
  if (l3 == 2) {
    switch (type) {
      case 8: return 0;
      case 0: return 8;
      case 13: return 14;
      case 14: return 13;
      case 15: return 16;
      case 16: return 15;
      case 17: return 18;
      case 18: return 17;
    }
    return -1;
  }
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 139: return 140;
    case 140: return 139;
  }
  return -1;
}

/** Query types that may create an entry (valid_new). */
export function icmpCreates(l3: u32, type: u32): bool {
  return l3 == 2 ? type == 8 || type == 13 || type == 15 || type == 17 : type == 128 || type == 139;
}

/**
 * Fills tuple `t` from the network header at `nh` (l3 2 or 10) and the L4
 * header of protocol `proto` at `th`, reading nothing at or past `end`.
 * false when the L4 part the tuple needs is not there.
 */
export function getTuple(t: usize, nh: usize, l3: u32, th: usize, proto: u32, end: usize): bool {
  memory.fill(t, 0, CT_TUPLE_SIZE);
  if (l3 == 2) {
    store<u32>(t, load<u32>(nh, 12), TUP_SRC);
    store<u32>(t, load<u32>(nh, 16), TUP_DST);
  } else {
    memory.copy(t + TUP_SRC, nh + 8, 16);
    memory.copy(t + TUP_DST, nh + 24, 16);
  }
  if (hasPorts(proto)) {
    if (th + 4 > end) return false;
    store<u32>(t, load<u32>(th), TUP_SPORT);
    return true;
  }
  if ((proto == 1 && l3 == 2) || (proto == 58 && l3 == 10)) {
    if (th + 8 > end) return false;
    store<u16>(t, load<u16>(th, 4), TUP_SPORT);
    store<u16>(t, load<u16>(th), TUP_DPORT);
  }
  if (proto == 47) return greTuple(t, th, end);
  return true;
}

/** Writes the inverse of tuple `t` to `r`: addresses and ports swapped, ICMP type mapped. false when ICMP has no inverse. */
export function invertTuple(r: usize, t: usize, l3: u32, proto: u32): bool {
  memory.copy(r + TUP_SRC, t + TUP_DST, 16);
  memory.copy(r + TUP_DST, t + TUP_SRC, 16);
  if ((proto == 1 && l3 == 2) || (proto == 58 && l3 == 10)) {
    const inv = icmpInverse(l3, load<u8>(t, TUP_DPORT));
    if (inv < 0) return false;
    store<u16>(r, load<u16>(t, TUP_SPORT), TUP_SPORT);
    store<u8>(r, <u8>inv, TUP_DPORT);
    store<u8>(r, load<u8>(t, TUP_DPORT + 1), TUP_DPORT + 1);
    return true;
  }
  store<u16>(r, load<u16>(t, TUP_DPORT), TUP_SPORT);
  store<u16>(r, load<u16>(t, TUP_SPORT), TUP_DPORT);
  return true;
}
