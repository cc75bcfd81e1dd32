// The packet a reject sends (kernel: net/ipv4/netfilter/nf_reject_ipv4.c,
// net/ipv6/netfilter/nf_reject_ipv6.c, icmp_send / icmp6_send), built
// byte for byte from the network header on into the record area for the
// host: `tcp dport 22 reject with tcp reset` on a SYN seq 100 from
// 10.0.0.2 → 40 bytes 10.0.0.1 > 10.0.0.2, DF, ttl 64, RST|ACK ack 101.
// Fields the kernel chooses at random are zero here: the IPv4 id of ICMP
// errors (ip_select_ident) and the IPv6 flow label of ICMPv6 errors
// (auto flow labels). Checksums are complete (the kernel leaves the IPv4
// RST's TCP checksum to offload; on the wire it is this one).

import {
  ADDR_ADDR, ADDR_FAMILY, ADDR_IFINDEX, ADDR_MAX, ADDR_PREFIX, ADDR_SIZE, Family, IFACE_MAX, IFACE_SIZE,
  RECORDS_DATA, RejectSkip, REJ_REPLY_BYTES, REJ_REPLY_FAMILY, REJ_REPLY_LEN,
} from './abi';
import { addrType, route, routeIf } from './insn/fib';
import { host, records, scratch16 } from './mem';
import { reserveData } from './records';
import { be16, csumFold, pseudoSum, pData, pEnd, pIif, pMac, pNh, pPkttype } from './packet';


const RTN_LOCAL: u32 = 2;
const RTN_BROADCAST: u32 = 3;
const RTN_MULTICAST: u32 = 5;
const ADDRS: usize = IFACE_MAX * IFACE_SIZE;
/** ip_default_ttl / IPv6 hop_limit defaults (the host model has no route metrics). */
const DEFAULT_TTL: u32 = 64;

/** Where the last reply was built (record-area offset) or why none (RejectSkip). */
export let replyOut: u32 = 0;

@inline function put16(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p, <u8>v, 1);
}
@inline function put32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}
@inline function get32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/** Reserves a reply block of `len` bytes at the top of the record area's free space; 0 when it does not fit. */
function reserve(len: u32, family: u32): usize {
  const at = reserveData((<u32>REJ_REPLY_BYTES + len + 3) & ~3);
  if (!at) return 0;
  const b = records + at;
  store<u16>(b, <u16>len, REJ_REPLY_LEN);
  store<u8>(b, <u8>family, REJ_REPLY_FAMILY);
  store<u8>(b, 0, REJ_REPLY_FAMILY + 1);
  replyOut = at;
  return b + REJ_REPLY_BYTES;
}


/**
 * nf_reject_verify_csum + nf_ip_checksum / nf_ip6_checksum: true when the
 * transport checksum is right or not checked (UDP without checksum,
 * GRE/AH/ESP/SCTP/UDP-Lite/DCCP, locally generated packets: CHECKSUM_PARTIAL).
 */
function csumOk(nh: usize, thoff: usize, proto: u32, v6: bool, end: usize = 0): bool {
  if (!end) end = pEnd;
  if (pIif == 0 && pMac < 0) return true;
  if (proto == 47 || proto == 51 || proto == 50 || proto == 132 || proto == 136 || proto == 33) return true;
  if (thoff > end) return false;
  const len = <u32>(end - thoff);
  if (proto == 17 && thoff + 8 <= end && be16(thoff + 6) == 0) return true;
  let s: u32 = 0;
  if (proto == 6 || proto == 17 || v6) {
    const alen: usize = v6 ? 16 : 4;
    s = pseudoSum(nh + (v6 ? 8 : 12), nh + (v6 ? 24 : 16), alen, proto, len);
  }
  return csumFold(thoff, len, s) == 0xffff;
}

/** Source address for an error about a packet not addressed to us: the preferred address of the interface routed towards its sender. */
function sourceFor(dst: usize, fam: u32, out: usize): bool {
  route(dst, fam);
  const dev = routeIf();
  if (!dev) return false;
  const alen: usize = fam == 2 ? 4 : 16;
  let first: usize = 0;
  for (let i: usize = 0; i < <usize>ADDR_MAX; i++) {
    const e = host + ADDRS + i * ADDR_SIZE;
    if (load<u32>(e, ADDR_IFINDEX) != dev || load<u8>(e, ADDR_FAMILY) != fam) continue;
    // IPv6: link-local sources only towards link-local destinations.
    if (fam == 10 && load<u8>(e + ADDR_ADDR) == 0xfe && (load<u8>(e + ADDR_ADDR, 1) & 0xc0) == 0x80 && !(load<u8>(dst) == 0xfe && (load<u8>(dst, 1) & 0xc0) == 0x80)) continue;
    if (!first) first = e;
    const pl = <u32>load<u8>(e, ADDR_PREFIX);
    let ok = true;
    for (let b: u32 = 0; b < pl && ok; b++) {
      const m = <u32>0x80 >> (b & 7);
      if ((load<u8>(e + ADDR_ADDR + (b >> 3)) & m) != (load<u8>(dst + (b >> 3)) & m)) ok = false;
    }
    if (ok) {
      memory.copy(out, e + ADDR_ADDR, alen);
      return true;
    }
  }
  if (!first) return false;
  memory.copy(out, first + ADDR_ADDR, alen);
  return true;
}

/** IPv6 ipv6_skip_exthdr from the fixed header: transport offset (or -1), its protocol and fragment offset in rProto/rFrag. */
let rProto: u32 = 0;
let rFrag: u32 = 0;
function skipExthdr6(nh: usize): i32 {
  let nexthdr = <u32>load<u8>(nh, 6);
  let off: usize = 40;
  rFrag = 0;
  while (nexthdr == 0 || nexthdr == 43 || nexthdr == 44 || nexthdr == 51 || nexthdr == 60) {
    const hp = nh + off;
    if (hp + 8 > pEnd) return -1;
    let hdrlen: usize;
    if (nexthdr == 44) {
      rFrag = be16(hp + 2);
      if (rFrag & ~7) {
        nexthdr = load<u8>(hp);
        off += 8;
        break;
      }
      hdrlen = 8;
    } else if (nexthdr == 51) hdrlen = (<usize>load<u8>(hp, 1) + 2) << 2;
    else hdrlen = (<usize>load<u8>(hp, 1) + 1) << 3;
    nexthdr = load<u8>(hp);
    off += hdrlen;
  }
  rProto = nexthdr;
  return <i32>off;
}

/** True for an IPv4 address the kernel will not answer (broadcast, multicast, zeronet). */
function v4NotUnicast(a: usize): bool {
  const t = addrType(a, 2, 0);
  return t == RTN_BROADCAST || t == RTN_MULTICAST;
}

/**
 * nf_reject_iphdr_validate (bridge/netdev builders): version 4, ihl >= 5,
 * total length within the packet and covering the header.
 */
function v4Valid(nh: usize): bool {
  if (nh + 20 > pEnd) return false;
  const ihl = <u32>(load<u8>(nh) & 15) << 2;
  const tot = be16(nh + 2);
  return (load<u8>(nh) >> 4) == 4 && ihl >= 20 && tot <= <u32>(pEnd - nh) && tot >= ihl && nh + ihl <= pEnd;
}

/** The bridge and netdev families send nothing for frames to a broadcast or multicast MAC (nft_reject_bridge_eval, nft_reject_netdev_eval). */
@inline function l2Multicast(): bool {
  return pMac >= 0 && (load<u8>(pData + <usize>pMac) & 1) != 0;
}

/**
 * TCP RST for an IPv4 packet: nf_send_reset, or with `l2` (bridge/netdev
 * families) nf_reject_skb_v4_tcp_reset — the same bytes without the route
 * and broadcast checks.
 */
export function buildRst4(l2: bool = false): u32 {
  const nh = pData + pNh;
  if (l2 && (l2Multicast())) return RejectSkip.NotUnicast;
  if (l2 ? !v4Valid(nh) : nh + 20 > pEnd) return RejectSkip.Malformed;
  const ihl = <usize>(load<u8>(nh) & 15) << 2;
  if (be16(nh + 6) & 0x1fff) return RejectSkip.Fragment;
  if (load<u8>(nh, 9) != 6) return RejectSkip.NotTcp;
  const th = nh + ihl;
  if (th + 20 > pEnd) return RejectSkip.NotTcp;
  const flags = <u32>load<u8>(th, 13);
  if (flags & 0x04) return RejectSkip.Rst;
  if (!csumOk(nh, th, 6, false)) return RejectSkip.BadChecksum;
  if (!l2) {
    if (v4NotUnicast(nh + 16)) return RejectSkip.NotUnicast;
    route(nh + 12, 2);
    if (!routeIf()) return RejectSkip.NoRoute;
  }
  const o = reserve(40, Family.Ipv4);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 40);
  store<u8>(o, 0x45);
  put16(o + 2, 40);
  put16(o + 6, 0x4000);
  store<u8>(o, <u8>DEFAULT_TTL, 8);
  store<u8>(o, 6, 9);
  memory.copy(o + 12, nh + 16, 4);
  memory.copy(o + 16, nh + 12, 4);
  put16(o + 10, ~csumFold(o, 20) & 0xffff);
  const t = o + 20;
  tcpReset(t, th, <u32>(pEnd - th));
  put16(t + 16, ~csumFold(t, 20, pseudoSum(o + 12, o + 16, 4, 6, 20)) & 0xffff);
  return replyOut;
}

/** nf_reject_ip_tcphdr_put / nf_reject_ip6_tcphdr_put: the RST's TCP header (checksum 0). */
function tcpReset(t: usize, th: usize, tcplen: u32): void {
  memory.copy(t, th + 2, 2);
  memory.copy(t + 2, th, 2);
  const flags = <u32>load<u8>(th, 13);
  if (flags & 0x10) {
    memory.copy(t + 4, th + 8, 4);
    store<u8>(t, 0x04, 13);
  } else {
    const doff = <u32>(load<u8>(th, 12) >> 4) << 2;
    put32(t + 8, get32(th + 4) + (flags & 2 ? 1 : 0) + (flags & 1) + tcplen - doff);
    store<u8>(t, 0x14, 13);
  }
  store<u8>(t, 0x50, 12);
}

/** nf_reject_ip6hdr_validate: version 6, payload within the packet. */
function v6Valid(nh: usize): bool {
  return nh + 40 <= pEnd && (load<u8>(nh) >> 4) == 6 && <usize>be16(nh + 4) + 40 <= <usize>(pEnd - nh);
}

/** TCP RST for an IPv6 packet: nf_send_reset6, or with `l2` nf_reject_skb_v6_tcp_reset. */
export function buildRst6(l2: bool = false): u32 {
  const nh = pData + pNh;
  if (l2 && l2Multicast()) return RejectSkip.NotUnicast;
  if (l2 ? !v6Valid(nh) : nh + 40 > pEnd) return RejectSkip.Malformed;
  if (!l2 && (load<u8>(nh, 8) == 0xff || load<u8>(nh, 24) == 0xff || isAny6(nh + 8))) return RejectSkip.NotUnicast;
  const thoff = skipExthdr6(nh);
  if (thoff < 0 || nh + <usize>thoff > pEnd) return RejectSkip.Malformed;
  const th = nh + <usize>thoff;
  const tcplen = <u32>(pEnd - th);
  if (rProto != 6 || tcplen < 20) return RejectSkip.NotTcp;
  if (load<u8>(th, 13) & 0x04) return RejectSkip.Rst;
  if (!csumOk(nh, th, 6, true)) return RejectSkip.BadChecksum;
  if (!l2) {
    route(nh + 8, 10);
    if (!routeIf()) return RejectSkip.NoRoute;
  }
  const o = reserve(60, Family.Ipv6);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 60);
  store<u8>(o, 0x60);
  put16(o + 4, 20);
  store<u8>(o, 6, 6);
  store<u8>(o, <u8>DEFAULT_TTL, 7);
  memory.copy(o + 8, nh + 24, 16);
  memory.copy(o + 24, nh + 8, 16);
  const t = o + 40;
  tcpReset(t, th, tcplen);
  put16(t + 16, ~csumFold(t, 20, pseudoSum(o + 8, o + 24, 16, 6, 20)) & 0xffff);
  return replyOut;
}

@inline function isAny6(a: usize): bool {
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0;
}

/** icmp_pointers[type].error: types the kernel treats as errors (and unknown ones above NR_ICMP_TYPES). */
@inline function icmpIsError(t: u32): bool {
  return t > 18 || !(t == 0 || t == 8 || (t >= 13 && t <= 18));
}

/**
 * nf_reject_skb_v4_unreach (bridge/netdev): IP header as for the RST (tos 0,
 * id 0, DF, ttl 64, addresses swapped), at most 536 bytes of the packet
 * (before the trim to its total length: Ethernet padding is quoted), no
 * reply to ICMP destination unreachable (type read at ihl 5 whatever the
 * header length).
 */
function buildUnreach4L2(code: u32): u32 {
  const nh = pData + pNh;
  if (l2Multicast()) return RejectSkip.NotUnicast;
  if (!v4Valid(nh)) return RejectSkip.Malformed;
  if (be16(nh + 6) & 0x1fff) return RejectSkip.Fragment;
  if (load<u8>(nh, 9) == 1 && nh + 21 <= pEnd && load<u8>(nh, 20) == 3) return RejectSkip.IcmpError;
  const orig = <u32>(pEnd - nh);
  const q = orig < 536 ? orig : 536;
  // The checksum is checked after the trim to the total length.
  if (!csumOk(nh, nh + (<usize>(load<u8>(nh) & 15) << 2), load<u8>(nh, 9), false, nh + be16(nh + 2))) return RejectSkip.BadChecksum;
  const len = 28 + q;
  const o = reserve(len, Family.Ipv4);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 28);
  store<u8>(o, 0x45);
  put16(o + 2, len);
  put16(o + 6, 0x4000);
  store<u8>(o, <u8>DEFAULT_TTL, 8);
  store<u8>(o, 1, 9);
  memory.copy(o + 12, nh + 16, 4);
  memory.copy(o + 16, nh + 12, 4);
  put16(o + 10, ~csumFold(o, 20) & 0xffff);
  const ic = o + 20;
  store<u8>(ic, 3);
  store<u8>(ic, <u8>code, 1);
  memory.copy(ic + 8, nh, q);
  put16(ic + 2, ~csumFold(ic, 8 + q) & 0xffff);
  return replyOut;
}

/**
 * ICMPv6 destination unreachable for the bridge/netdev families
 * (nf_reject_skb_v6_unreach): flow label 0, hop limit 64, source = the
 * original destination, at most 1220 bytes quoted; no reply to an ICMPv6
 * destination unreachable.
 */
function buildUnreach6L2(code: u32): u32 {
  const nh = pData + pNh;
  if (l2Multicast()) return RejectSkip.NotUnicast;
  if (!v6Valid(nh)) return RejectSkip.Malformed;
  const thoff = skipExthdr6(nh);
  if (thoff >= 0 && rProto == 58 && nh + <usize>thoff + 1 <= pEnd && load<u8>(nh + <usize>thoff) == 1) return RejectSkip.IcmpError;
  const orig = <u32>(pEnd - nh);
  const q = orig < 1220 ? orig : 1220;
  // reject6_csum_ok: trimmed to the payload length.
  const plen = be16(nh + 4);
  const end = plen ? nh + 40 + plen : pEnd;
  const bad = thoff < 0 || nh + <usize>thoff >= end || (rFrag & ~7) != 0;
  const ok = !bad && csumOk(nh, nh + <usize>thoff, rProto, true, end);
  if (!ok) return bad && thoff >= 0 && (rFrag & ~7) ? RejectSkip.Fragment : bad ? RejectSkip.Malformed : RejectSkip.BadChecksum;
  const len = 48 + q;
  const o = reserve(len, Family.Ipv6);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 48);
  store<u8>(o, 0x60);
  put16(o + 4, 8 + q);
  store<u8>(o, 58, 6);
  store<u8>(o, <u8>DEFAULT_TTL, 7);
  memory.copy(o + 8, nh + 24, 16);
  memory.copy(o + 24, nh + 8, 16);
  const ic = o + 40;
  store<u8>(ic, 1);
  store<u8>(ic, <u8>code, 1);
  memory.copy(ic + 8, nh, q);
  put16(ic + 2, ~csumFold(ic, 8 + q, pseudoSum(o + 8, o + 24, 16, 58, 8 + q)) & 0xffff);
  return replyOut;
}

/** ICMP destination unreachable `code` for an IPv4 packet: nf_send_unreach + icmp_send, or with `l2` nf_reject_skb_v4_unreach. */
export function buildUnreach4(code: u32, l2: bool = false): u32 {
  if (l2) return buildUnreach4L2(code);
  const nh = pData + pNh;
  if (nh + 20 > pEnd) return RejectSkip.Malformed;
  const ihl = <usize>(load<u8>(nh) & 15) << 2;
  if (be16(nh + 6) & 0x1fff) return RejectSkip.Fragment;
  const proto = <u32>load<u8>(nh, 9);
  const th = nh + ihl;
  if (!csumOk(nh, th, proto, false)) return RejectSkip.BadChecksum;
  if (pPkttype != 0) return RejectSkip.NotUnicast;
  if (v4NotUnicast(nh + 16)) return RejectSkip.NotUnicast;
  if (proto == 1) {
    if (th + 1 > pEnd) return RejectSkip.IcmpError;
    if (icmpIsError(load<u8>(th))) return RejectSkip.IcmpError;
  }
  // Source: the address the packet was sent to when it is ours (RTCF_LOCAL), else the route's.
  const local = addrType(nh + 16, 2, 0) == RTN_LOCAL;
  let src: u32 = 0;
  if (local) src = load<u32>(nh, 16);
  else {
    if (!sourceFor(nh + 12, 2, scratch16)) return RejectSkip.NoRoute;
    src = load<u32>(scratch16);
  }
  route(nh + 12, 2);
  if (!routeIf()) return RejectSkip.NoRoute;
  // 576 bytes at most: IP header, ICMP header, then as much of the packet as fits.
  const orig = <u32>(pEnd - nh);
  const q = orig < 548 ? orig : 548;
  const len = 28 + q;
  const o = reserve(len, Family.Ipv4);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 28);
  store<u8>(o, 0x45);
  store<u8>(o, <u8>((load<u8>(nh, 1) & 0x1e) | 0xc0), 1);
  put16(o + 2, len);
  store<u8>(o, <u8>DEFAULT_TTL, 8);
  store<u8>(o, 1, 9);
  store<u32>(o, src, 12);
  memory.copy(o + 16, nh + 12, 4);
  put16(o + 10, ~csumFold(o, 20) & 0xffff);
  const ic = o + 20;
  store<u8>(ic, 3);
  store<u8>(ic, <u8>code, 1);
  memory.copy(ic + 8, nh, q);
  put16(ic + 2, ~csumFold(ic, 8 + q) & 0xffff);
  return replyOut;
}

/** ICMPv6 destination unreachable `code` for an IPv6 packet: nf_send_unreach6 + icmp6_send, or with `l2` nf_reject_skb_v6_unreach. */
export function buildUnreach6(code: u32, l2: bool = false): u32 {
  if (l2) return buildUnreach6L2(code);
  const nh = pData + pNh;
  if (nh + 40 > pEnd) return RejectSkip.Malformed;
  // reject6_csum_ok
  const thoff = skipExthdr6(nh);
  if (thoff < 0 || nh + <usize>thoff >= pEnd || (rFrag & ~7)) return thoff >= 0 && (rFrag & ~7) ? RejectSkip.Fragment : RejectSkip.Malformed;
  const th = nh + <usize>thoff;
  if (!csumOk(nh, th, rProto, true)) return RejectSkip.BadChecksum;
  // icmp6_send
  if (load<u8>(nh, 24) == 0xff || pPkttype != 0) return RejectSkip.NotUnicast;
  if (isAny6(nh + 8) || load<u8>(nh, 8) == 0xff) return RejectSkip.NotUnicast;
  if (rProto == 58 && (th + 1 > pEnd || !(load<u8>(th) & 0x80))) return RejectSkip.IcmpError;
  const local = addrType(nh + 24, 10, 0) == RTN_LOCAL;
  route(nh + 8, 10);
  if (!routeIf()) return RejectSkip.NoRoute;
  // 1280 bytes at most (IPV6_MIN_MTU).
  const orig = <u32>(pEnd - nh);
  const q = orig < 1232 ? orig : 1232;
  const len = 48 + q;
  const o = reserve(len, Family.Ipv6);
  if (!o) return RejectSkip.NoSpace;
  memory.fill(o, 0, 48);
  store<u8>(o, 0x60);
  put16(o + 4, 8 + q);
  store<u8>(o, 58, 6);
  store<u8>(o, <u8>DEFAULT_TTL, 7);
  if (local) memory.copy(o + 8, nh + 24, 16);
  else if (!sourceFor(nh + 8, 10, o + 8)) {
    // reserve() already took the room: give it back.
    store<u32>(records, load<u32>(records, RECORDS_DATA) + ((<u32>REJ_REPLY_BYTES + len + 3) & ~3), RECORDS_DATA);
    return RejectSkip.NoRoute;
  }
  memory.copy(o + 24, nh + 8, 16);
  const ic = o + 40;
  store<u8>(ic, 1);
  store<u8>(ic, <u8>code, 1);
  memory.copy(ic + 8, nh, q);
  put16(ic + 2, ~csumFold(ic, 8 + q, pseudoSum(o + 8, o + 24, 16, 58, 8 + q)) & 0xffff);
  return replyOut;
}
