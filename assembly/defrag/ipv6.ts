// IPv6 reassembly for conntrack (kernel: nf_defrag_ipv6_hooks.c ipv6_defrag,
// net/ipv6/netfilter/nf_conntrack_reasm.c nf_ct_frag6_gather): fragments are
// queued by (saddr, daddr, id, user, iif for link-local/multicast
// destinations); the completed datagram is the offset-0 fragment's headers
// without its Fragment header (the previous header's next header fixed),
// payload length set, then every fragment's data: `exthdr frag exists` at raw never matches.

import {
  be16, pData, pEnd, pFrameEnd, pHook, pIif, pktinfoIpv6, pMac, pMark, pNftrace, pNh, pOif, pPkttype, pPriority, pSecmark, pTstamp,
} from '../packet';
import { pCtZone } from '../ct/track';
import { copyOut, insertCheck, insertData, storePrefix } from './pages';
import { account, morphInto, findQueue, keyBuf, killQueue, outBuf, truesizeOf } from './queue';
import {
  DEFRAG_DONE, DEFRAG_DROP, DEFRAG_PASS, DEFRAG_STOLEN, DefragReason, ecnOf, FRAG_FIRST_IN, FRAG_LAST_IN, IPFRAG_DUP, IPFRAG_OK, KEY_LEN,
  Q_ECN, Q_FLAGS, Q_FRAGNH, Q_HASMAC, Q_LEN, Q_MACLEN, Q_MARK, Q_MAXSIZE, Q_MEAT, Q_NFTRACE, Q_NHOFF, Q_PKTTYPE, Q_PREFIX, Q_PRIORITY,
  Q_SECMARK,
} from './record';

/** Why the last IPv6 call ended as it did. */
export let reason6: i32 = DefragReason.None;

/** ipv6_ext_hdr. */
@inline function extHdr(n: u32): bool {
  return n == 0 || n == 43 || n == 44 || n == 51 || n == 59 || n == 60;
}

/** Length of extension header `n` whose second byte is `b1` (ipv6_optlen / ipv6_authlen). */
@inline function extLen(n: u32, b1: u32): u32 {
  return n == 51 ? (b1 + 2) << 2 : (b1 + 1) << 3;
}

/** find_prev_fhdr results: offsets from the network header. */
let prevNhoff: u32 = 0;
let fhoff: u32 = 0;

/** find_prev_fhdr: the Fragment header through the extension headers; false when there is none to reach. */
function findPrevFhdr(nh: usize, skbLen: u32): bool {
  let nexthdr = <u32>load<u8>(nh, 6);
  let prev: u32 = 6;
  let start: u32 = 40;
  let len = <i32>skbLen - 40;
  while (nexthdr != 44) {
    if (!extHdr(nexthdr) || nexthdr == 59) return false;
    if (len < 2) return false;
    const hdrlen = extLen(nexthdr, load<u8>(nh + start, 1));
    prev = start;
    nexthdr = load<u8>(nh + start);
    len -= <i32>hdrlen;
    start += hdrlen;
  }
  if (len < 0) return false;
  prevNhoff = prev;
  fhoff = start;
  return true;
}

/** ipv6frag_thdr_truncated: a first fragment that does not hold the upper-layer header's start (RFC 8200 4.5). */
function thdrTruncated(nh: usize, skbLen: u32): bool {
  let nexthdr: u32 = 44;
  let start = fhoff;
  let fragOff: u32 = 0;
  // ipv6_skip_exthdr from the Fragment header.
  while (extHdr(nexthdr)) {
    if (nexthdr == 59) return false;
    if (start + 2 > skbLen) return false;
    let hdrlen: u32;
    if (nexthdr == 44) {
      if (start + 4 > skbLen) return false;
      fragOff = be16(nh + start + 2);
      if (fragOff & ~7) break;
      hdrlen = 8;
    } else hdrlen = extLen(nexthdr, load<u8>(nh + start, 1));
    nexthdr = load<u8>(nh + start);
    start += hdrlen;
  }
  if (fragOff & 0xfff8) return false;
  const th: u32 = nexthdr == 6 ? 20 : nexthdr == 17 || nexthdr == 58 ? 8 : 1;
  return start + th > skbLen;
}

/** nf_ct_frag6_queue's failures before the insert: the fragment is dropped (NF_DROP), the queue stays. */
@inline function drop(why: i32): i32 {
  reason6 = why;
  return DEFRAG_DROP;
}

/** ipv6_defrag + nf_ct_frag6_gather for the current packet (network header at pNh, a valid IPv6 header). */
export function defrag6(): i32 {
  reason6 = DefragReason.None;
  const nh = pData + <usize>pNh;
  if (nh + 40 > pEnd) return DEFRAG_PASS;
  const skbLen = <u32>(pEnd - nh);
  const plen = be16(nh + 4);
  // Jumbo payload inhibits the Fragment header.
  if (plen == 0) return DEFRAG_PASS;
  // Only a locally generated packet can claim more than it has (ipv6_rcv checked and trimmed received ones).
  if (plen + 40 > skbLen) return DEFRAG_PASS;
  if (!findPrevFhdr(nh, skbLen)) return DEFRAG_PASS;
  if (thdrTruncated(nh, skbLen)) return DEFRAG_PASS;
  if (fhoff + 8 > skbLen) return drop(DefragReason.NoMemory);
  const fh = nh + fhoff;
  const now = pTstamp;
  // frag_v6_compare_key: saddr, daddr, user, id, iif (only for link-local and multicast destinations).
  memory.fill(keyBuf, 0, KEY_LEN);
  store<u32>(keyBuf, (pHook == 3 ? 0x10000 : 0) | (pCtZone & 0xffff), 0);
  store<u32>(keyBuf, load<u32>(fh, 4), 4);
  memory.copy(keyBuf + 8, nh + 8, 32);
  const d0 = <u32>load<u8>(nh, 24);
  const d1 = <u32>load<u8>(nh, 25);
  if (d0 == 0xff || (d0 == 0xfe && (d1 & 0xc0) == 0x80)) store<u32>(keyBuf, pHook == 3 ? pOif : pIif, 40);
  store<u8>(keyBuf, 1, 45);
  const q = findQueue(1, now);
  if (!q) return drop(DefragReason.NoMemory);

  const fo = be16(fh + 2);
  const offset = fo & ~7;
  const end = <i32>offset + (<i32>plen - <i32>(fhoff + 8 - 40));
  if (<u32>end > 65535) return drop(DefragReason.TooBig);
  const uend = <u32>end;
  const len = load<u32>(q, Q_LEN);
  const flags = <u32>load<u8>(q, Q_FLAGS);
  if (!(fo & 1)) {
    if (uend < len || ((flags & FRAG_LAST_IN) && uend != len)) return drop(DefragReason.BadLength);
    store<u8>(q, <u8>(flags | FRAG_LAST_IN), Q_FLAGS);
    store<u32>(q, uend, Q_LEN);
  } else {
    if (uend & 7) {
      // Not a multiple of 8: the queue goes, the fragment continues as it is (-EPROTO, NF_ACCEPT).
      killQueue(q);
      reason6 = DefragReason.BadLength;
      return DEFRAG_PASS;
    }
    if (uend > len) {
      if (flags & FRAG_LAST_IN) return drop(DefragReason.BadLength);
      store<u32>(q, uend, Q_LEN);
    }
  }
  if (uend == offset) return drop(DefragReason.BadLength);
  const r = insertCheck(q, offset, uend);
  if (r != IPFRAG_OK) {
    // Duplicates are ignored as if queued; an overlap discards the whole datagram (RFC 5722).
    if (r == IPFRAG_DUP) {
      reason6 = DefragReason.Duplicate;
      return DEFRAG_STOLEN;
    }
    killQueue(q);
    return drop(DefragReason.Overlap);
  }
  if (!insertData(q, offset, uend, fh + 8)) return drop(DefragReason.NoMemory);
  store<u32>(q, load<u32>(q, Q_MEAT) + (uend - offset), Q_MEAT);
  store<u8>(q, <u8>(<u32>load<u8>(q, Q_ECN) | (<u32>1 << ((<u32>load<u8>(nh, 1) >> 4) & 3))), Q_ECN);
  if (plen > load<u32>(q, Q_MAXSIZE)) store<u32>(q, plen, Q_MAXSIZE);
  account(q, truesizeOf(<u32>(pFrameEnd - pData)));
  if (offset == 0) {
    const mac = <u32>pNh;
    if (!storePrefix(q, pData, mac + fhoff)) {
      killQueue(q);
      return drop(DefragReason.NoMemory);
    }
    store<u16>(q, <u16>mac, Q_MACLEN);
    store<u16>(q, <u16>prevNhoff, Q_NHOFF);
    store<u8>(q, load<u8>(fh), Q_FRAGNH);
    store<u8>(q, pMac >= 0 ? 1 : 0, Q_HASMAC);
    store<u32>(q, pMark, Q_MARK);
    store<u32>(q, pPriority, Q_PRIORITY);
    store<u32>(q, pSecmark, Q_SECMARK);
    store<u8>(q, <u8>pPkttype, Q_PKTTYPE);
    store<u8>(q, pNftrace ? 1 : 0, Q_NFTRACE);
    store<u8>(q, load<u8>(q, Q_FLAGS) | FRAG_FIRST_IN, Q_FLAGS);
  }
  const qlen = load<u32>(q, Q_LEN);
  if (load<u8>(q, Q_FLAGS) == (FRAG_FIRST_IN | FRAG_LAST_IN) && load<u32>(q, Q_MEAT) == qlen) return reasm6(q, qlen);
  reason6 = DefragReason.Queued;
  return DEFRAG_STOLEN;
}

/** nf_ct_frag6_reasm: the datagram into the output buffer; the packet becomes it. A failure is still NF_STOLEN. */
function reasm6(q: usize, len: u32): i32 {
  const ecn = ecnOf(load<u8>(q, Q_ECN));
  const mac = <u32>load<u16>(q, Q_MACLEN);
  const unfrag = <u32>load<u16>(q, Q_PREFIX) - mac;
  const payload = unfrag - 40 + len;
  if (ecn == 0xff || payload > 65535) {
    killQueue(q);
    reason6 = ecn == 0xff ? DefragReason.Ecn : DefragReason.TooBig;
    return DEFRAG_STOLEN;
  }
  copyOut(q, outBuf, len);
  // The Fragment header goes: its next header moves into the header before it; the data follows the unfragmentable part directly.
  const ip = outBuf + mac;
  store<u8>(ip + <usize>load<u16>(q, Q_NHOFF), load<u8>(q, Q_FRAGNH));
  store<u16>(ip, bswap<u16>(<u16>payload), 4);
  store<u8>(ip, load<u8>(ip, 1) | <u8>(ecn << 4), 1);
  // skb_morph: the completing skb takes the head's data and header fields (mark, priority, nf_trace, ...).
  morphInto(q, mac + unfrag + len, 10);
  pktinfoIpv6(false);
  reason6 = DefragReason.Done;
  return DEFRAG_DONE;
}
