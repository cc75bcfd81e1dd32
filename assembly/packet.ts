// Packet state and header parsing, as the kernel sets up an skb and
// nft_pktinfo before a hook runs (kernel: eth_type_trans, ip_rcv_core,
// ipv6_rcv, nf_tables_ipv4.h / _ipv6.h, ipv6_find_hdr). `tcp dport 22` on a
// frame reads 2 bytes at pThoff + 2; every read is bounded by pEnd.

/** Address of the packet's first byte (the Ethernet header if any). */
export let pData: usize = 0;
/** Address one past the last readable byte (after the IP layer's trim). */
export let pEnd: usize = 0;
/** One past the frame's last byte (before any trim). */
export let pFrameEnd: usize = 0;
/** Offset of the MAC header, -1 = none (locally generated). */
export let pMac: i32 = -1;
/** Offset of the network header. */
export let pNh: i32 = 0;
/** Offset of the transport header (valid when pL4). */
export let pThoff: i32 = 0;
/** Transport protocol (valid when pL4). */
export let pTprot: i32 = 0;
/** Fragment offset field; non-zero only for non-first fragments. */
export let pFragoff: i32 = 0;
/** NFT_PKTINFO_L4PROTO: thoff/tprot are valid. */
export let pL4: bool = false;
/** skb->protocol, host-order ethertype (0x0800 IPv4). */
export let pProto: u32 = 0;
/** Family of the chain running (meta nfproto). */
export let pNfproto: i32 = 0;
/** Hook running. */
export let pHook: i32 = 0;
/** Input interface of this hook, 0 = none. */
export let pIif: u32 = 0;
/** Output interface of this hook, 0 = none. */
export let pOif: u32 = 0;
/** skb->mark. */
export let pMark: u32 = 0;
/** skb->priority. */
export let pPriority: u32 = 0;
/** skb->pkt_type. */
export let pPkttype: u32 = 0;
/** skb->nf_trace. */
export let pNftrace: bool = false;
/** notrack ran. */
export let pUntracked: bool = false;
/** skb->secmark. */
export let pSecmark: u32 = 0;
/** Packet time, ns since the epoch. */
export let pTstamp: u64 = 0;
/** Address of the packet's descriptor. */
export let pDesc: usize = 0;
/** Index of the packet in the batch. */
export let pIndex: u32 = 0;

/** Sets every per-packet field for a new packet. */
export function packetReset(data: usize, len: usize, desc: usize, index: u32): void {
  pData = data;
  pEnd = data + len;
  pFrameEnd = pEnd;
  pMac = -1;
  pNh = 0;
  pL4 = false;
  pThoff = 0;
  pTprot = 0;
  pFragoff = 0;
  pProto = 0;
  pNftrace = false;
  pUntracked = false;
  pSecmark = 0;
  pPriority = 0;
  pDesc = desc;
  pIndex = index;
}

/** Big-endian u16 at `p`. */
@inline export function be16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | load<u8>(p, 1);
}

/** skb->len: bytes from the network header to the end. */
@inline export function pktLen(): u32 {
  return <u32>(pEnd - (pData + pNh));
}

/** The link layer (eth_type_trans + VLAN untag): false if the frame is too short to be received. */
@inline export function parseLink(ether: bool, family: i32): bool {
  const len = <i32>(pFrameEnd - pData);
  if (!ether) {
    // Locally generated: no MAC header; skb->protocol follows the family.
    pMac = -1;
    pNh = 0;
    if (family == 2) pProto = 0x0800;
    else if (family == 10) pProto = 0x86dd;
    else if (family == 3) pProto = 0x0806;
    else if (len > 0) {
      const v = <i32>load<u8>(pData) >> 4;
      pProto = v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0;
    }
    return true;
  }
  if (len < 14) return false;
  pMac = 0;
  pNh = 14;
  let proto = be16(pData + 12);
  // The receive path moves one 802.1Q / 802.1ad tag out of the data (skb_vlan_untag);
  // link-layer loads still see it in place, as the kernel re-inserts it virtually.
  if ((proto == 0x8100 || proto == 0x88a8) && len >= 18) {
    proto = be16(pData + 16);
    pNh = 18;
  }
  pProto = proto;
  return true;
}

/** nft_set_pktinfo_unspec: no transport information. */
@inline export function pktinfoUnspec(): void {
  pL4 = false;
  pTprot = 0;
  pThoff = 0;
  pFragoff = 0;
}

/** One's complement sum of `len` bytes as big-endian 16-bit words, folded to 16 bits. */
export function csumFold(p: usize, len: usize, init: u32 = 0): u32 {
  // One's complement sums commute with byte order: add little-endian words 8 bytes at a time, fold, swap once.
  let s: u64 = 0;
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(p + i);
    s += (w & 0xffffffff) + (w >> 32);
  }
  if (i + 4 <= len) {
    s += load<u32>(p + i);
    i += 4;
  }
  if (i + 2 <= len) {
    s += load<u16>(p + i);
    i += 2;
  }
  if (i < len) s += load<u8>(p + i);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  let u: u64 = <u64>(((t & 0xff) << 8) | (t >> 8)) + init;
  while (u >> 16) u = (u & 0xffff) + (u >> 16);
  return <u32>u;
}

/** The pseudo-header's one's complement sum (folded) for an L4 checksum: `alen`-byte addresses, protocol, length. */
export function pseudoSum(src: usize, dst: usize, alen: usize, proto: u32, len: u32): u32 {
  let s = csumFold(src, alen);
  s = csumFold(dst, alen, s);
  s += proto + (len >> 16) + (len & 0xffff);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

/** ip_fast_csum: the IPv4 header (ihl bytes, a multiple of 4) sums to 0xffff. */
@inline function headerCsumOk(p: usize, ihl: i32): bool {
  // One's complement sums commute with byte order: add little-endian words, fold; 0xffff reads the same either way.
  // The usual 20 bytes without a loop (a loop back-edge also checks for interrupts).
  let s: u64 = <u64>load<u32>(p) + <u64>load<u32>(p, 4) + <u64>load<u32>(p, 8) + <u64>load<u32>(p, 12) + <u64>load<u32>(p, 16);
  for (let i = 20; i < ihl; i += 4) s += load<u32>(p + i);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  return t == 0xffff;
}

/**
 * IPv4 header: `strict` is ip_rcv_core (false = the stack drops the packet;
 * trims to the total length), otherwise the ingress validation
 * (__nft_set_pktinfo_ipv4_validate: failure only means no L4 information).
 */
export function pktinfoIpv4(strict: bool): bool {
  pktinfoUnspec();
  const nh = pData + pNh;
  const avail = <i32>(pEnd - nh);
  if (avail < 20) return !strict;
  const vihl = <i32>load<u8>(nh);
  const ihl = <i32>(vihl & 15) << 2;
  const tot = <i32>be16(nh + 2);
  if ((vihl >> 4) != 4 || ihl < 20 || ihl > avail || tot > avail || tot < ihl) return !strict;
  if (strict) {
    if (pPkttype == 3) return false; // PACKET_OTHERHOST
    if (!headerCsumOk(nh, ihl)) return false;
    pEnd = nh + tot;
  }
  pL4 = true;
  pTprot = load<u8>(nh, 9);
  pThoff = pNh + ihl;
  pFragoff = <i32>(be16(nh + 6) & 0x1fff);
  return true;
}

/** ipv6_ext_hdr(): headers ipv6_find_hdr walks through. */
@inline function ipv6ExtHdr(n: i32): bool {
  return n == 0 || n == 43 || n == 44 || n == 51 || n == 59 || n == 60;
}

/** Offset found by the last ipv6FindHdr. */
export let fhOffset: i32 = 0;
/** Fragment offset found by the last ipv6FindHdr. */
export let fhFragoff: i32 = 0;

/**
 * ipv6_find_hdr: walks the extension headers from the IPv6 header. target < 0:
 * the transport protocol (a non-first fragment yields its next header with
 * fhOffset left at 0, as the kernel does); else the offset of header `target`.
 * Returns the header number, or -1 on a malformed chain / not found.
 */
export function ipv6FindHdr(target: i32): i32 {
  let start = pNh + 40;
  let nexthdr = <i32>load<u8>(pData + pNh, 6);
  fhFragoff = 0;
  fhOffset = 0;
  let found = false;
  // Each step advances by at least 8 bytes inside the packet, so this ends.
  while (true) {
    found = nexthdr == target;
    if (!ipv6ExtHdr(nexthdr) || nexthdr == 59) {
      if (target < 0 || found) break;
      return -1;
    }
    const hp = pData + start;
    if (hp + 2 > pEnd) return -1;
    let hdrlen: i32;
    if (nexthdr == 44) {
      if (hp + 4 > pEnd) return -1;
      const fo = <i32>(be16(hp + 2) & ~7);
      if (fo) {
        const nx = <i32>load<u8>(hp);
        if (target < 0 && (!ipv6ExtHdr(nx) || nx == 59)) {
          // The kernel leaves *offset as passed (0): the transport "header" is the network header.
          fhFragoff = fo;
          fhOffset = pNh;
          return nx;
        }
        if (!found) return -1;
        fhFragoff = fo;
        break;
      }
      hdrlen = 8;
    } else if (nexthdr == 51) {
      hdrlen = (<i32>load<u8>(hp, 1) + 2) << 2;
    } else {
      hdrlen = (<i32>load<u8>(hp, 1) + 1) << 3;
    }
    if (!found) {
      nexthdr = load<u8>(hp);
      start += hdrlen;
    }
    if (found) break;
  }
  fhOffset = start;
  return nexthdr;
}

/**
 * IPv6 header: `strict` is ipv6_rcv (false = dropped; trims to the payload
 * length), otherwise the ingress validation. Then nft_set_pktinfo_ipv6.
 */
export function pktinfoIpv6(strict: bool): bool {
  pktinfoUnspec();
  const nh = pData + pNh;
  const avail = <i32>(pEnd - nh);
  if (avail < 40) return !strict;
  if ((load<u8>(nh) >> 4) != 6) return !strict;
  const plen = <i32>be16(nh + 4);
  if (plen + 40 > avail) return !strict;
  if (strict) {
    if (pPkttype == 3) return false;
    // A zero payload length is only valid with a jumbo hop-by-hop option; treat the packet as its full length then.
    if (plen != 0 || load<u8>(nh, 6) != 0) pEnd = nh + 40 + plen;
  }
  const proto = ipv6FindHdr(-1);
  if (proto < 0 || fhOffset > 0xffff) return true;
  pL4 = true;
  pTprot = proto;
  pThoff = fhOffset;
  pFragoff = fhFragoff;
  return true;
}

/** Transport information for the ingress-style hooks (netdev, bridge, inet ingress): by skb->protocol. */
export function pktinfoValidate(): void {
  if (pProto == 0x0800) pktinfoIpv4(false);
  else if (pProto == 0x86dd) pktinfoIpv6(false);
  else pktinfoUnspec();
}

/** meta set mark. */
export function setMark(v: u32): void { pMark = v; }
/** meta set priority. */
export function setPriority(v: u32): void { pPriority = v; }
/** meta set secmark. */
export function setSecmark(v: u32): void { pSecmark = v; }
/** meta set nftrace. */
export function setNftrace(v: bool): void { pNftrace = v; }
/** meta set pkttype. */
export function setPkttype(v: u32): void { pPkttype = v; }
/** notrack. */
export function setUntracked(): void { pUntracked = true; }
/** The hook context a chain runs in. */
export function setHookContext(hook: i32, nfproto: i32, iif: u32, oif: u32): void {
  pHook = hook;
  pNfproto = nfproto;
  pIif = iif;
  pOif = oif;
}
/**
 * ip_forward / ip6_forward before the FORWARD hook: a ttl / hop limit of 1
 * or less is the end of the road (the stack sends time-exceeded and drops:
 * false); otherwise it is decremented (IPv4: ip_decrease_ttl's incremental
 * checksum update), so forward and postrouting see what the kernel's do.
 */
export function forwardTtl(): bool {
  const nh = pData + <usize>pNh;
  if (pProto == 0x0800) {
    if (nh + 20 > pEnd) return true;
    const ttl = <u32>load<u8>(nh, 8);
    if (ttl <= 1) return false;
    store<u8>(nh, <u8>(ttl - 1), 8);
    // ip_decrease_ttl on a little-endian host: check += htons(0x0100); check + (check >= 0xFFFF), truncated.
    const check = <u32>load<u16>(nh, 10) + 0x0001;
    store<u16>(nh, <u16>(check + <u32>(check >= 0xffff)), 10);
    return true;
  }
  if (pProto == 0x86dd) {
    if (nh + 40 > pEnd) return true;
    const hl = <u32>load<u8>(nh, 7);
    if (hl <= 1) return false;
    store<u8>(nh, <u8>(hl - 1), 7);
  }
  return true;
}
/** Packet fields the descriptor gives. */
export function setPacketMeta(mark: u32, pkttype: u32, tstamp: u64): void {
  pMark = mark;
  pPkttype = pkttype;
  pTstamp = tstamp;
}
