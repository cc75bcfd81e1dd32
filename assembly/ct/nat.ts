// NAT bindings and packet rewriting (kernel: net/netfilter/nf_nat_core.c
// nf_nat_setup_info / get_unique_tuple, nf_nat_proto.c nf_nat_manip_pkt and
// nf_nat_icmp_reply_translation). A binding only changes the entry's REPLY
// tuple; packets are rewritten from the other direction's tuple. `dnat to
// 10.0.0.2:80` on 192.0.2.1:4000 → 198.51.100.1:8080 makes the reply tuple
// 10.0.0.2:80 → 192.0.2.1:4000 and sets DST_NAT.

import { CtStatus, CTE_L3, CTE_ORIG, CTE_PROTO, CTE_REPLY, CTE_ZONE, CT_TUPLE_SIZE, NatRangeFlags, TUP_DPORT, TUP_DST, TUP_SPORT, TUP_SRC } from '../abi';
import { csumFold, pData, pEnd, pNh, pseudoSum } from '../packet';
import { setStatusBits, status } from './entry';
import { lookup } from './table';
import { hasPorts, invertTuple } from './tuple';

/** Manip types (enum nf_nat_manip_type). */
export const MANIP_SRC: u32 = 0;
export const MANIP_DST: u32 = 1;

/** The range of the binding being set up (struct nf_nat_range2): addresses and ports as stored in packets. */
export const rangeMin: usize = memory.data(16);
export const rangeMax: usize = memory.data(16);
export let rangeProtoMin: u32 = 0;
export let rangeProtoMax: u32 = 0;
export let rangeFlags: u32 = 0;
/** Sets the ports (network order u16 values) and flags of the range; addresses are written to rangeMin/rangeMax. */
export function setRange(flags: u32, protoMin: u32, protoMax: u32): void {
  rangeFlags = flags;
  rangeProtoMin = protoMin;
  rangeProtoMax = protoMax;
}

const cur: usize = memory.data(CT_TUPLE_SIZE);
const cand: usize = memory.data(CT_TUPLE_SIZE);
const inv: usize = memory.data(CT_TUPLE_SIZE);

@inline function isIcmp(l3: u32, proto: u32): bool {
  return (proto == 1 && l3 == 2) || (proto == 58 && l3 == 10);
}
@inline function portOf(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

/** nf_nat_used_tuple: another entry already answers to the reply of `t`. */
function used(t: usize, ct: usize, l3: u32, proto: u32): bool {
  if (!invertTuple(inv, t, l3, proto)) return false;
  const other = lookup(inv, l3, proto, load<u16>(ct, CTE_ZONE));
  return other != 0 && other != ct;
}

/** Address of `t` the manip changes, and whether it lies in the range. */
function addrInRange(a: usize, alen: usize): bool {
  return memory.compare(a, rangeMin, alen) >= 0 && memory.compare(a, rangeMax, alen) <= 0;
}

/** jhash2 of one word (the kernel's find_best_ips_proto on IPv4). */
function jhash1(k: u32, initval: u32): u32 {
  let a: u32 = 0xdeadbeef + 4 + initval;
  let b = a;
  let c = a;
  a += k;
  c ^= b; c -= rotl<u32>(b, 14);
  a ^= c; a -= rotl<u32>(c, 11);
  b ^= a; b -= rotl<u32>(a, 25);
  c ^= b; c -= rotl<u32>(b, 16);
  a ^= c; a -= rotl<u32>(c, 4);
  b ^= a; b -= rotl<u32>(a, 14);
  c ^= b; c -= rotl<u32>(b, 24);
  return c;
}

/** find_best_ips_proto: the address of the range for this source (and destination unless persistent). */
function pickAddr(t: usize, manip: u32, l3: u32): void {
  const alen: usize = l3 == 2 ? 4 : 16;
  const at = t + (manip == MANIP_SRC ? TUP_SRC : TUP_DST);
  if (memory.compare(rangeMin, rangeMax, alen) == 0) {
    memory.copy(at, rangeMin, alen);
    return;
  }
  // The last word varies (IPv6 ranges beyond one /96 are spread over the last word only).
  const w: usize = alen - 4;
  const seed = rangeFlags & NatRangeFlags.Persistent ? 0 : load<u32>(t + TUP_DST + w);
  const j = jhash1(load<u32>(t + TUP_SRC + w), seed);
  const lo = bswap<u32>(load<u32>(rangeMin + w));
  const dist = <u64>(bswap<u32>(load<u32>(rangeMax + w)) - lo) + 1;
  memory.copy(at, rangeMin, alen);
  store<u32>(at + w, bswap<u32>(lo + <u32>((<u64>j * dist) >> 32)));
}

/** nf_nat_l4proto_unique_tuple: a free port (ICMP: id) for the manip, searched from the range's start. */
function uniquePort(t: usize, ct: usize, manip: u32, l3: u32, proto: u32): void {
  const icmp = isIcmp(l3, proto);
  if (!icmp && !hasPorts(proto)) return;
  const key = t + (icmp || manip == MANIP_SRC ? TUP_SPORT : TUP_DPORT);
  let min: u32;
  let range: u32;
  if (rangeFlags & NatRangeFlags.ProtoSpecified) {
    min = rangeProtoMin;
    range = rangeProtoMax >= rangeProtoMin ? rangeProtoMax - rangeProtoMin + 1 : 1;
  } else if (icmp) {
    min = 0;
    range = 65536;
  } else {
    if (manip == MANIP_DST) return;
    const port = portOf(key);
    if (port < 1024) {
      if (port < 512) {
        min = 1;
        range = 511;
      } else {
        min = 600;
        range = 424;
      }
    } else {
      min = 1024;
      range = 65536 - 1024;
    }
  }
  // The kernel starts at a random offset (0 for DNAT); here always 0, so replays are repeatable.
  const tries: u32 = range < 256 ? range : 256;
  for (let i: u32 = 0; i < tries; i++) {
    store<u16>(key, bswap<u16>(<u16>(min + i % range)));
    if (i + 1 == range || !used(t, ct, l3, proto)) return;
  }
}

/** get_unique_tuple: the translated original tuple for this manip. */
function uniqueTuple(ct: usize, manip: u32, l3: u32, proto: u32): void {
  const alen: usize = l3 == 2 ? 4 : 16;
  const mapIps = (rangeFlags & NatRangeFlags.MapIps) != 0;
  const specified = (rangeFlags & NatRangeFlags.ProtoSpecified) != 0;
  const icmp = isIcmp(l3, proto);
  const key = cand + (icmp || manip == MANIP_SRC ? TUP_SPORT : TUP_DPORT);
  const portOk = !specified || (!icmp && !hasPorts(proto)) || (portOf(key) >= rangeProtoMin && portOf(key) <= rangeProtoMax);
  // SNAT keeps the original source when it already fits the range and is free.
  if (manip == MANIP_SRC && !(rangeFlags & NatRangeFlags.ProtoRandomFully)) {
    if ((!mapIps || addrInRange(cand + TUP_SRC, alen)) && portOk && !used(cand, ct, l3, proto)) return;
  }
  if (mapIps) pickAddr(cand, manip, l3);
  if (!(rangeFlags & NatRangeFlags.ProtoRandomFully)) {
    const ok = !specified || (!icmp && !hasPorts(proto)) || (portOf(key) >= rangeProtoMin && portOf(key) <= rangeProtoMax);
    if (ok && !used(cand, ct, l3, proto)) return;
  }
  uniquePort(cand, ct, manip, l3, proto);
}

@inline function doneBit(manip: u32): u32 {
  return manip == MANIP_SRC ? CtStatus.SrcNatDone : CtStatus.DstNatDone;
}
@inline function natBit(manip: u32): u32 {
  return manip == MANIP_SRC ? CtStatus.SrcNat : CtStatus.DstNat;
}

/** The manip already has a binding (nf_nat_initialized). */
export function natInitialized(ct: usize, manip: u32): bool {
  return (status(ct) & doneBit(manip)) != 0;
}

/**
 * nf_nat_setup_info with the range set by setRange/rangeMin/rangeMax
 * (flags without MapIps = the null binding): rewrites the reply tuple when
 * the translated tuple differs; marks the manip done.
 */
export function natSetup(ct: usize, manip: u32): void {
  if (natInitialized(ct, manip)) return;
  // A confirmed entry keeps its tuples (they are in the table): only a null binding.
  if (status(ct) & CtStatus.Confirmed) {
    setStatusBits(ct, doneBit(manip));
    return;
  }
  const l3 = <u32>load<u8>(ct, CTE_L3);
  const proto = <u32>load<u8>(ct, CTE_PROTO);
  // The tuple as the other manips already left it: the inverse of the reply tuple.
  invertTuple(cur, ct + CTE_REPLY, l3, proto);
  memory.copy(cand, cur, CT_TUPLE_SIZE);
  uniqueTuple(ct, manip, l3, proto);
  if (memory.compare(cand, cur, CT_TUPLE_SIZE) != 0) {
    invertTuple(ct + CTE_REPLY, cand, l3, proto);
    setStatusBits(ct, natBit(manip));
  }
  setStatusBits(ct, doneBit(manip));
}

/** nf_nat_alloc_null_binding: no chain bound this manip. */
export function natNullBinding(ct: usize, manip: u32): void {
  setRange(0, 0, 0);
  natSetup(ct, manip);
}

/** RFC 1624 update of the checksum at `field` for `n` bytes changing from `old` to `neu`. */
function csumAdjust(field: usize, old: usize, neu: usize, n: usize): void {
  let s: u32 = ~(<u32>bswap<u16>(load<u16>(field))) & 0xffff;
  for (let i: usize = 0; i < n; i += 2) {
    s += ~(<u32>bswap<u16>(load<u16>(old + i))) & 0xffff;
    s += <u32>bswap<u16>(load<u16>(neu + i));
  }
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  store<u16>(field, bswap<u16>(<u16>~s));
}

const oldPort: usize = memory.data(4);

/**
 * nf_nat_ipv4_manip_pkt / nf_nat_ipv6_manip_pkt: the network header at `nh`
 * (inside the packet, bounded by `end`) gets the manip's address and L4
 * port/id from `target`. false when the header cannot be rewritten.
 */
function manipPkt(nh: usize, end: usize, target: usize, manip: u32, l3: u32): bool {
  const v6 = l3 == 10;
  if (nh + (v6 ? 40 : 20) > end) return false;
  let th: usize;
  let proto: u32;
  let frag = false;
  if (v6) {
    th = nh + 40;
    proto = load<u8>(nh, 6);
  } else {
    th = nh + (<usize>(load<u8>(nh) & 15) << 2);
    proto = load<u8>(nh, 9);
    frag = (bswap<u16>(load<u16>(nh, 6)) & 0x1fff) != 0;
  }
  const alen: usize = v6 ? 16 : 4;
  const aOff: usize = manip == MANIP_SRC ? (v6 ? 8 : 12) : (v6 ? 24 : 16);
  const newAddr = target + (manip == MANIP_SRC ? TUP_SRC : TUP_DST);
  // L4 first: its pseudo-header still holds the old address.
  if (!frag && th + 8 <= end) {
    let check: usize = 0;
    if (proto == 6) check = th + 20 <= end ? th + 16 : 0;
    else if (proto == 17 || proto == 136) check = load<u16>(th, 6) != 0 || v6 ? th + 6 : 0;
    else if (proto == 1 || proto == 58) check = th + 2;
    if (hasPorts(proto)) {
      const port = th + (manip == MANIP_SRC ? 0 : 2);
      const np = target + (manip == MANIP_SRC ? TUP_SPORT : TUP_DPORT);
      store<u16>(oldPort, load<u16>(port));
      store<u16>(port, load<u16>(np));
      if (check) {
        csumAdjust(check, nh + aOff, newAddr, alen);
        csumAdjust(check, oldPort, np, 2);
      }
    } else if (proto == 1 || proto == 58) {
      if (proto == 58) csumAdjust(check, nh + aOff, newAddr, alen);
      // Only queries carry an id (icmp_manip_pkt / icmpv6_manip_pkt).
      const type = <u32>load<u8>(th);
      if (v6 ? type == 128 || type == 129 : type == 0 || type == 8 || (type >= 13 && type <= 18)) {
        store<u16>(oldPort, load<u16>(th, 4));
        store<u16>(th + 4, load<u16>(target + TUP_SPORT));
        csumAdjust(check, oldPort, th + 4, 2);
      }
    }
    if (check && (proto == 17 || proto == 136) && load<u16>(check) == 0) store<u16>(check, 0xffff);
  }
  if (!v6) csumAdjust(nh + 10, nh + aOff, newAddr, 4);
  memory.copy(nh + aOff, newAddr, alen);
  return true;
}

const target: usize = memory.data(CT_TUPLE_SIZE);

/** nf_nat_packet: rewrites the packet at a NAT hook of manip `manip` when the entry's binding says so; true if it did. */
export function natPacket(ct: usize, dir: u32, manip: u32): bool {
  let bit = natBit(manip);
  if (dir) bit ^= CtStatus.SrcNat | CtStatus.DstNat;
  if (!(status(ct) & bit)) return false;
  const l3 = <u32>load<u8>(ct, CTE_L3);
  invertTuple(target, ct + CTE_ORIG + <usize>(dir ^ 1) * CT_TUPLE_SIZE, l3, load<u8>(ct, CTE_PROTO));
  return manipPkt(pData + <usize>pNh, pEnd, target, manip, l3);
}

/**
 * nf_nat_icmp_reply_translation for a RELATED ICMP error: the quoted packet
 * gets the opposite manip from the other direction's tuple, the ICMP
 * checksum is recomputed, then the outer header is rewritten like a packet
 * of that direction. false = drop (a redirect for a NATed entry).
 */
export function natIcmpReply(ct: usize, dir: u32, manip: u32, th: usize): bool {
  const l3 = <u32>load<u8>(ct, CTE_L3);
  const v6 = l3 == 10;
  const st = status(ct);
  if ((v6 && load<u8>(th) == 137) || (!v6 && load<u8>(th) == 5)) {
    if ((st & (CtStatus.SrcNatDone | CtStatus.DstNatDone)) != (CtStatus.SrcNatDone | CtStatus.DstNatDone)) return false;
    if (st & (CtStatus.SrcNat | CtStatus.DstNat)) return false;
  }
  let bit = natBit(manip);
  if (dir) bit ^= CtStatus.SrcNat | CtStatus.DstNat;
  if (!(st & bit)) return true;
  const other = ct + CTE_ORIG + <usize>(dir ^ 1) * CT_TUPLE_SIZE;
  if (!manipPkt(th + 8, pEnd, other, manip ^ 1, l3)) return false;
  // The whole ICMP message changed: a fresh checksum (ICMPv6: with its pseudo-header).
  const nh = pData + <usize>pNh;
  const len = <u32>(pEnd - th);
  store<u16>(th + 2, 0);
  const ps: u32 = v6 ? pseudoSum(nh + 8, nh + 24, 16, 58, len) : 0;
  store<u16>(th + 2, bswap<u16>(<u16>~csumFold(th, len, ps)));
  invertTuple(target, other, l3, load<u8>(ct, CTE_PROTO));
  return manipPkt(nh, pEnd, target, manip, l3);
}
