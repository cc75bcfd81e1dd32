// The conntrack hooks (kernel: nf_conntrack_in at PREROUTING/OUTPUT
// priority -200, __nf_conntrack_confirm at the last INPUT/POSTROUTING
// priority): find or create the packet's entry, run its protocol tracker,
// attach entry and ctinfo to the packet; confirm a new entry when its first
// packet survives to the last hook. A packet dropped before that takes its
// unconfirmed entry with it: no listing, no event.

import {
  CtEventType, CtInfo, CtOption, CtStatus, CTC_EPOCH, CTC_FLAGS, CTC_NOW, CTC_STAT_DROP, CTC_STAT_FOUND, CTC_STAT_ICMP_ERROR, CTC_STAT_INVALID,
  CTE_L3, CTE_ORIG, CTE_PROTO, CTE_REPLY, CTE_USED, CTX_BYTES0, CTX_PKTS0, CTX_SIZE, CT_TUPLE_SIZE, InetHook, TUP_DST, Verdict,
} from '../abi';
import { csumFold, pData, pseudoSum, pEnd, pFragoff, pHook, pIif, pL4, pMac, pNh, pThoff, pTprot, pTstamp, pUntracked } from '../packet';
import { ctc, eventCache, eventClear, eventUpdate, now, setNow, setStatusBits, status } from './entry';
import { emitEvent } from './events';
import { expectTake } from './expect';
import { ftpHelp } from './helper-ftp';
import { usePolicy } from './timeout-policy';
import { genericPacket, icmpPacket, udpHeaderOk, udpPacket } from './proto';
import { grePacket } from './gre';
import { sctpHeaderOk, sctpPacket } from './sctp';
import { alloc, confirm, ctExt, ctMax, entryAt, entryIndex, foundLink, kill, lookup, lookupBucket, release, sweep } from './table';
import { TCP_DESTROY, TCP_INVALID, TCP_REOPEN, tcpHeaderOk, tcpNew, tcpPacket } from './tcp';
import { getTuple, icmpCreates, invertTuple } from './tuple';

/** The packet's entry (0 none) and ctinfo (CtInfo). */
export let pCt: usize = 0;
export let pCtinfo: u32 = CtInfo.None;
/** Zone for the lookup (`ct zone set` before tracking). */
export let pCtZone: u32 = 0;
/** An entry removed from the table while this packet still holds it: released when the packet is done. */
let held: usize = 0;
/** Bucket of a new entry's ORIGINAL tuple (from its lookup). */
let pBucket: usize = 0;
/** Packets since the last sweep step. */
let sweepTick: u32 = 0;
/** nf_conntrack_in already ran for this packet (it runs once per packet). */
let seen = false;

const tup: usize = memory.data(CT_TUPLE_SIZE);
const rtup: usize = memory.data(CT_TUPLE_SIZE);

/** Starts a packet: nothing attached. */
export function ctPacketReset(): void {
  pCt = 0;
  pCtinfo = CtInfo.None;
  pCtZone = 0;
  held = 0;
  seen = false;
  erroring = false;
  eventClear();
}

/** The packet arrives with entry `idx` (NONE32: none) and `info` attached, from an earlier pass of the same skb: not tracked again. */
export function ctCarry(idx: u32, info: u32): void {
  seen = true;
  pCtinfo = info;
  if (idx < ctMax && load<u8>(entryAt(idx), CTE_USED)) pCt = entryAt(idx);
  else if (info != CtInfo.Untracked) pCtinfo = CtInfo.None;
}

/** `ct zone set` on the packet before tracking. */
export function setCtZone(z: u32): void {
  pCtZone = z & 0xffff;
}

/** Table time of packet time `ns`: ms since the table's epoch (the first tracked packet), never going back. */
export function tableTime(ns: u64): u32 {
  // Packets of one capture burst share their timestamp: skip the division.
  if (ns == lastNs && ns) {
    const l = load<u32>(ctc, CTC_NOW);
    return lastT > l ? lastT : l;
  }
  let epoch = load<u64>(ctc, CTC_EPOCH);
  if (!epoch) {
    epoch = ns ? ns : 1;
    store<u64>(ctc, epoch, CTC_EPOCH);
  }
  const last = load<u32>(ctc, CTC_NOW);
  if (ns <= epoch) return last;
  const d = (ns - epoch) / 1000000;
  const t: u32 = d > 0x7fffffff ? 0x7fffffff : <u32>d;
  lastNs = ns;
  lastT = t > last ? t : last;
  return lastT;
}
/** The last packet time converted, and its table time. */
let lastNs: u64 = 0;
let lastT: u32 = 0;

@inline function bump(off: usize): void {
  store<u32>(ctc + off, load<u32>(ctc + off) + 1);
}

/** No entry for this packet (`ct state invalid`). */
function invalid(icmpError: bool): i32 {
  bump(icmpError ? CTC_STAT_ICMP_ERROR : CTC_STAT_INVALID);
  return Verdict.Accept;
}

/**
 * nf_checksum at PREROUTING (nf_conntrack_checksum): the L4 checksum of a
 * received packet. A checksum left for offload (the partial pseudo-header
 * sum a veth carries) passes, as the kernel never verifies those.
 */
function l4ChecksumOk(nh: usize, th: usize, proto: u32, v6: bool): bool {
  if (pHook != InetHook.Prerouting || !(load<u32>(ctc, CTC_FLAGS) & CtOption.Checksum)) return true;
  if (pIif == 0 && pMac < 0) return true;
  const len = <u32>(pEnd - th);
  if (proto == 17 && !v6 && load<u16>(th, 6) == 0) return true;
  const ps: u32 = proto == 1 ? 0 : pseudoSum(v6 ? nh + 8 : nh + 12, v6 ? nh + 24 : nh + 16, v6 ? 16 : 4, proto, len);
  if (csumFold(th, len, ps) == 0xffff) return true;
  if (proto == 1) return false;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum.
  const at: usize = proto == 6 ? 16 : proto == 17 || proto == 136 ? 6 : 2;
  return th + at + 2 <= pEnd && <u32>bswap<u16>(load<u16>(th + at)) == ps;
}

/** Length of the IPv6 extension headers of an embedded packet at `nh` (ipv6_skip_exthdr); its transport protocol in innerProto; -1 when unreadable or a non-first fragment. */
let innerProto: u32 = 0;
function skipExthdr6(nh: usize, end: usize): i32 {
  let next = <u32>load<u8>(nh, 6);
  let off: usize = 40;
  for (let i = 0; i < 16; i++) {
    if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51) break;
    if (nh + off + 8 > end) return -1;
    const h = nh + off;
    if (next == 44) {
      if ((<u32>bswap<u16>(load<u16>(h, 2)) & 0xfff8) != 0) return -1;
      off += 8;
    } else off += next == 51 ? (<usize>load<u8>(h, 1) + 2) << 2 : (<usize>load<u8>(h, 1) + 1) << 3;
    next = load<u8>(h);
  }
  innerProto = next;
  return <i32>off;
}

/** nf_conntrack_inet_error: an ICMP/ICMPv6 error is RELATED to the entry its quoted packet belongs to, else invalid. */
function icmpError(nh: usize, th: usize, l3: u32): i32 {
  const inh = th + 8;
  const end = pEnd;
  let ith: usize;
  let iproto: u32;
  if (l3 == 2) {
    if (inh + 20 > end) return invalid(true);
    const ihl = <usize>(load<u8>(inh) & 15) << 2;
    if (ihl < 20 || (bswap<u16>(load<u16>(inh, 6)) & 0x1fff) != 0) return invalid(true);
    ith = inh + ihl;
    iproto = load<u8>(inh, 9);
  } else {
    if (inh + 40 > end) return invalid(true);
    const off = skipExthdr6(inh, end);
    if (off < 0) return invalid(true);
    ith = inh + <usize>off;
    iproto = innerProto;
  }
  if (!getTuple(tup, inh, l3, ith, iproto, end) || !invertTuple(rtup, tup, l3, iproto)) return invalid(true);
  const ct = lookup(rtup, l3, iproto, pCtZone);
  if (!ct) return attachStashed(tup, l3, iproto) ? Verdict.Accept : invalid(true);
  const dir = (foundLink - 1) & 1;
  // The matched tuple's destination is where the error goes (outer daddr == inner saddr).
  const alen: usize = l3 == 2 ? 4 : 16;
  if (memory.compare(ct + CTE_ORIG + <usize>dir * CT_TUPLE_SIZE + TUP_DST, nh + (l3 == 2 ? 16 : 24), alen) != 0) return invalid(true);
  pCt = ct;
  pCtinfo = dir ? CtInfo.RelatedReply : CtInfo.Related;
  return Verdict.Accept;
}

/** ICMPv6 types conntrack leaves untracked: MLD, router/neighbour discovery, MLDv2, multicast router discovery. */
@inline function icmp6Untracked(type: u32): bool {
  return (type >= 130 && type <= 136) || type == 143 || type == 151 || type == 152;
}

/**
 * nf_conntrack_in for the packet at hook `hook`: Accept (with or without an
 * entry attached) or Drop (table full and nothing to evict).
 */
export function ctIn(): i32 {
  if (seen) return Verdict.Accept;
  seen = true;
  if (pUntracked) {
    pCtinfo = CtInfo.Untracked;
    return Verdict.Accept;
  }
  setNow(tableTime(pTstamp));
  store<u32>(ctc, now, CTC_NOW);
  // The gc worker's share: one bucket every 32 packets (expired entries met by lookups go at once).
  if (!(++sweepTick & 31)) sweep(1);
  if (!pL4 || pFragoff) return invalid(false);
  const nh = pData + <usize>pNh;
  const l3: u32 = (load<u8>(nh) >> 4) == 4 ? 2 : 10;
  const th = pData + <usize>pThoff;
  const proto = <u32>pTprot;
  if (th > pEnd) return invalid(false);
  const len = <u32>(pEnd - th);
  const icmp = (proto == 1 && l3 == 2) || (proto == 58 && l3 == 10);
  if (icmp) {
    if (len < 8 || !l4ChecksumOk(nh, th, proto, l3 == 10)) return invalid(true);
    const type = <u32>load<u8>(th);
    if (l3 == 2) {
      if (type > 18) return invalid(true);
      if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) return icmpError(nh, th, l3);
    } else {
      if (type < 128 || type == 137) return icmpError(nh, th, l3);
      if (icmp6Untracked(type)) {
        pCtinfo = CtInfo.Untracked;
        return Verdict.Accept;
      }
    }
  } else if (proto == 6) {
    if (!tcpHeaderOk(th, len) || !l4ChecksumOk(nh, th, proto, l3 == 10)) return invalid(false);
  } else if (proto == 17 || proto == 136) {
    if (!udpHeaderOk(th, len) || !l4ChecksumOk(nh, th, proto, l3 == 10)) return invalid(false);
  } else if (proto == 132 && !sctpHeaderOk(th, pEnd)) return invalid(false);
  if (!getTuple(tup, nh, l3, th, proto, pEnd)) return invalid(false);
  // Twice at most: a SYN that re-opens a closed entry is tracked again as new.
  for (let pass = 0; pass < 2; pass++) {
    let ct = lookup(tup, l3, proto, pCtZone);
    let dir: u32 = 0;
    let isNew = false;
    if (ct) {
      dir = (foundLink - 1) & 1;
      bump(CTC_STAT_FOUND);
    } else {
      if (!invertTuple(rtup, tup, l3, proto)) return invalid(icmp);
      if (icmp && !icmpCreates(l3, load<u8>(th))) return invalid(false);
      // Where its ORIGINAL tuple will be chained at confirmation (the lookup just hashed it).
      pBucket = lookupBucket;
      ct = alloc(tup, l3, proto, pCtZone);
      if (!ct) {
        bump(CTC_STAT_DROP);
        return Verdict.Drop;
      }
      memory.copy(ct + CTE_REPLY, rtup, CT_TUPLE_SIZE);
      isNew = true;
      expectTake(ct, tup, l3, proto, pCtZone);
      if (proto == 6 && !tcpNew(ct, th, len)) {
        release(ct);
        return invalid(false);
      }
    }
    let destroy = false;
    usePolicy(ct);
    if (proto == 6) {
      const r = tcpPacket(ct, dir, th, len);
      if (r == TCP_INVALID) {
        if (isNew) release(ct);
        return invalid(false);
      }
      if (r == TCP_REOPEN && !isNew) {
        kill(ct, true);
        continue;
      }
      destroy = r == TCP_DESTROY;
    } else if (proto == 132) {
      if (!sctpPacket(ct, dir, th, pEnd)) {
        if (isNew) release(ct);
        return invalid(false);
      }
    } else if (proto == 17 || proto == 136) udpPacket(ct, isNew);
    else if (proto == 47) grePacket(ct);
    else if (icmp) icmpPacket(ct, l3 == 10);
    else genericPacket(ct);
    if (destroy && status(ct) & CtStatus.Confirmed) {
      // Deleted inside the tracker: before SEEN_REPLY, and its cached events are never delivered.
      eventClear();
      kill(ct, true, true);
      // nf_conntrack_in still marks the reply seen on the dying entry (no event): `ct status seen-reply` matches later.
      if (dir) setStatusBits(ct, CtStatus.SeenReply);
      held = ct;
      pCt = ct;
      pCtinfo = dir ? CtInfo.EstablishedReply : status(ct) & CtStatus.SeenReply ? CtInfo.Established : status(ct) & CtStatus.Expected ? CtInfo.Related : CtInfo.New;
      return Verdict.Accept;
    }
    attach(ct, dir);
    return Verdict.Accept;
  }
  return invalid(false);
}

/** Attaches entry `ct` to the packet in direction `dir`: ctinfo, SEEN_REPLY, counters, cached events. */
function attach(ct: usize, dir: u32): void {
  const st = status(ct);
  if (dir) {
    pCtinfo = CtInfo.EstablishedReply;
    if (!(st & CtStatus.SeenReply)) {
      setStatusBits(ct, CtStatus.SeenReply);
      eventUpdate(false);
    }
  } else pCtinfo = st & CtStatus.SeenReply ? CtInfo.Established : st & CtStatus.Expected ? CtInfo.Related : CtInfo.New;
  if (ctExt) {
    const x = ctExt + <usize>entryIndex(ct) * CTX_SIZE + (<usize>dir << 4);
    store<u64>(x, load<u64>(x, CTX_PKTS0) + 1, CTX_PKTS0);
    store<u64>(x, load<u64>(x, CTX_BYTES0) + <u64>(pEnd - (pData + <usize>pNh)), CTX_BYTES0);
  }
  pCt = ct;
}

/** Delivers the cached UPDATE event of a confirmed entry (nf_ct_deliver_cached_events, at the packet's last hook): the tracker's and the rules' changes in one event. */
function deliverEvents(): void {
  if (!eventCache || !pCt || !(status(pCt) & CtStatus.Confirmed) || status(pCt) & CtStatus.Dying) return;
  emitEvent(pCt, CtEventType.Update, eventCache & 0xff);
  eventClear();
}

/** __nf_conntrack_confirm at the last hook: a new entry's first packet made it. */
export function ctConfirm(): void {
  const ct = pCt;
  // nf_confirm runs the entry's helper first (not on ICMP errors: RELATED_REPLY, nor ICMP RELATED to a TCP entry).
  if (ct && status(ct) & CtStatus.Helper && pL4 && pTprot == 6 && pCtinfo != CtInfo.RelatedReply) ftpHelp(ct, pCtinfo, pData + <usize>pThoff, pEnd);
  if (!ct || status(ct) & CtStatus.Confirmed || pCtinfo >= <u32>CtInfo.EstablishedReply) return;
  eventClear();
  confirm(ct, pBucket);
}

/** The packet is done: an unconfirmed entry goes with it, a killed one is freed. */
export function ctPacketEnd(): void {
  deliverEvents();
  if (pCt && !(status(pCt) & CtStatus.Confirmed) && pCtinfo < <u32>CtInfo.EstablishedReply && pCt != held) {
    // The stack drops it and answers with an ICMP error that carries its entry (nf_ct_attach): kept for that error.
    if (erroring) {
      if (stashed) release(stashed);
      stashed = pCt;
    } else release(pCt);
  }
  if (held) release(held);
  held = 0;
  erroring = false;
}

/** The stack drops this packet and sends an ICMP error about it (ip_forward: time exceeded). */
let erroring = false;
/** Marks the packet as one the stack answers with an ICMP error. */
export function ctStackError(): void {
  erroring = true;
}
/** The unconfirmed entry of the last packet the stack answered with an error, waiting for that error. */
let stashed: usize = 0;

/**
 * nf_ct_attach for a locally generated ICMP error about the stashed
 * packet: the error carries its entry, RELATED_REPLY (it answers an
 * ORIGINAL packet). True if it was that error.
 */
function attachStashed(quoted: usize, l3: u32, proto: u32): bool {
  const ct = stashed;
  if (!ct || pHook != InetHook.Output || load<u8>(ct, CTE_L3) != l3 || load<u8>(ct, CTE_PROTO) != proto) return false;
  if (memory.compare(ct + CTE_ORIG, quoted, CT_TUPLE_SIZE) != 0) return false;
  stashed = 0;
  held = ct;
  pCt = ct;
  pCtinfo = CtInfo.RelatedReply;
  return true;
}
