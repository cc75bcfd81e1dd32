// Batch evaluation (kernel counterpart: the stack's path through the hooks,
// nf_hook_slow per hook): one call runs every packet descriptor of the batch
// area through its hook path — netdev ingress, then the family's hooks in
// order — and writes one result record per packet. No allocation.

import {
  BatchFlags, BATCH_COUNT, CtInfo, RecordKind, PKT_CT_ENTRY, PKT_CTINFO, CtStateBit, CTC_COUNT, CTC_FAMILIES, NF_IP_PRI_CONNTRACK, NF_IP_PRI_CONNTRACK_DEFRAG, RES_CTENTRY, RES_CTINFO, RES_CTSTATE, BATCH_FLAGS, BATCH_HEADER_SIZE, BATCH_RESULTS, Family, IFACE_NAME, InetHook, NONE32, NONE8, PktFlags,
  PKT_DATA, PKT_FAMILY, PKT_FLAGS, PKT_HOOKS, PKT_HOOK_COUNT, PKT_HOOK_MAX, PKT_IIF, PKT_LEN, PKT_MARK, PKT_OIF, PKT_PKTTYPE,
  PKT_SIZE, PKT_TSTAMP, RECORDS_COUNT, RECORDS_DATA, RECORDS_DROPPED, ResFlags, RES_CHAIN, RES_FLAGS, RES_HOOK, RES_HOOK_INDEX, RES_MARK,
  RES_GEN, RES_PRIORITY, RES_RULE, RES_SIZE, RES_VERDICT, Verdict,
} from './abi';
import { CH_DEVICES, CH_FAMILY, CH_FLAG_NAT, CH_FLAGS, CH_GEN, CH_PRIO, CH_SIZE, HOOK_NUM, HOOK_SLOT_ARP, HOOK_SLOT_BRIDGE, HOOK_SLOT_IPV4, HOOK_SLOT_IPV6, HOOK_SLOT_NETDEV, HOOK_LIST_AT, RS_HOOKS } from './layout';
import { batch, batchBegin, batchCap, batchEnd, hookCopy, hookSkip, readGeneration, records, recordsCap, rtChains, rtRuleset, seenGeneration } from './mem';
import { rtNatChains } from './load';
import { ifaceOf } from './insn/meta';
import { route, routeIf, routeType, RTN_LOCAL, RTN_UNICAST } from './insn/fib';
import {
  forwardTtl, packetReset, pData, pDesc, pEnd, pTstamp, pL4, pNh, pThoff, pTprot, parseLink, pktinfoIpv4, pktinfoIpv6, pktinfoUnspec, pktinfoValidate, pMark, pNftrace, pPriority, pProto, pUntracked,
  setHookContext, setNftrace, setPacketMeta,
} from './packet';
import { decidedChain, decidedRule, doChain, setTraceMode, tracing } from './vm';
import { emitRecord, reserveData } from './records';
import { ctc } from './ct/entry';
import { setEventsOn } from './ct/events';
import { ctPrefetch } from './ct/prefetch';
import { setEpochAt } from './set/set';
import { entryIndex } from './ct/table';
import { ctCarry, ctConfirm, ctIn, ctPacketEnd, ctPacketReset, ctStackError, pCt, pCtinfo } from './ct/track';
import { DEFRAG_DONE, DEFRAG_PASS, DEFRAG_STOLEN, defrag } from './defrag';
import { MANIP_DST, MANIP_SRC, natIcmpReply, natInitialized, natNullBinding, natPacket } from './ct/nat';

let lastChain: u32 = NONE32;
let lastRule: u32 = 0;

/** True when the chain's device list names interface `ifindex`. */
function deviceMatch(ch: usize, ifindex: u32): bool {
  const devs = <usize>load<u32>(ch, CH_DEVICES);
  const e = ifaceOf(ifindex);
  if (!devs || !e) return false;
  const n = <usize>load<u16>(devs);
  const name = e + IFACE_NAME;
  let s: usize = devs + 2;
  const end = s + n;
  while (s <= end) {
    let t = s;
    while (t < end && load<u8>(t) != 0) t++;
    const l = t - s;
    if (l < 16 && memory.compare(s, name, l) == 0 && load<u8>(name + l) == 0) return true;
    s = t + 1;
  }
  return false;
}

/** Number of base chains on hook `hook` of family slot `slot`. */
@inline function hookCount(slot: i32, hook: i32): u32 {
  return load<u32>(<usize>load<u32>(rtRuleset, RS_HOOKS) + (<usize>(slot * HOOK_NUM + hook) << 3), 4);
}

/** nf_conntrack_in as a hook entry at its priority: Accept, or Drop when the table is full. */
function ctHook(hook: i32, nfproto: i32, iif: u32, oif: u32): i32 {
  setHookContext(hook, nfproto, iif, oif);
  const v = ctIn();
  if (v != Verdict.Accept) ctDropped = true;
  return v;
}

/** nf_hook_slow: the base chains of one hook in priority order; ACCEPT unless one decides otherwise. */
function runHook(slot: i32, hook: i32, iif: u32, oif: u32): i32 {
  // One read of the hook block: a commit may publish a new one (commit.ts hooksRebuild).
  const hooks = <usize>load<u32>(rtRuleset, RS_HOOKS);
  const h = hooks + (<usize>(slot * HOOK_NUM + (slot == HOOK_SLOT_NETDEV ? 5 : hook)) << 3);
  const list = hooks + HOOK_LIST_AT + (<usize>load<u32>(h) << 2);
  const n = load<u32>(h, 4);
  for (let i: u32 = 0; i < n; i++) {
    const v = runChain(slot, hook, load<u32>(list + (<usize>i << 2)), iif, oif);
    if ((v & 0xff) != Verdict.Accept) return v;
  }
  return Verdict.Accept;
}

/** One base chain of a hook: CONTINUE when the chain does not apply (netdev device, family). */
@inline function runChain(slot: i32, hook: i32, c: u32, iif: u32, oif: u32): i32 {
  const ch = rtChains + <usize>c * CH_SIZE;
  // A base chain an in-place commit adds or deletes is on the list in both generations (commit.ts), and so is a dormant table's.
  if (<u32>load<u16>(ch, CH_GEN) & hookSkip) return Verdict.Accept;
  const fam = <i32>load<u8>(ch, CH_FAMILY);
  let nfproto = fam;
  if (slot == HOOK_SLOT_NETDEV) {
    if (!deviceMatch(ch, iif)) return Verdict.Accept;
    if (fam == Family.Inet) {
      // nft_do_chain_inet_ingress: only IPv4 and IPv6 packets.
      if (pProto == 0x0800) nfproto = Family.Ipv4;
      else if (pProto == 0x86dd) nfproto = Family.Ipv6;
      else return Verdict.Accept;
    }
  } else if (fam == Family.Inet) nfproto = slot == HOOK_SLOT_IPV4 ? Family.Ipv4 : Family.Ipv6;
  setHookContext(hook, nfproto, iif, oif);
  const v = doChain(c);
  lastChain = decidedChain;
  lastRule = decidedRule;
  return v;
}

/**
 * runHook for rulesets with conntrack or nat chains: `ct` (the family's
 * nfproto, 0 = none) puts defrag at -400 and conntrack at -200 between the
 * chains (after raw, so notrack works); the nat chains run inside one NAT
 * entry (natHook).
 */
function runHookCt(slot: i32, hook: i32, iif: u32, oif: u32, ct: i32): i32 {
  let natRan = false;
  let defragRan = false;
  // One read of the hook block: a commit may publish a new one (commit.ts hooksRebuild).
  const hooks = <usize>load<u32>(rtRuleset, RS_HOOKS);
  const h = hooks + (<usize>(slot * HOOK_NUM + (slot == HOOK_SLOT_NETDEV ? 5 : hook)) << 3);
  const list = hooks + HOOK_LIST_AT + (<usize>load<u32>(h) << 2);
  const n = load<u32>(h, 4);
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u32>(list + (<usize>i << 2));
    const ch = rtChains + <usize>c * CH_SIZE;
    if (ct && !defragRan && load<i32>(ch, CH_PRIO) >= NF_IP_PRI_CONNTRACK_DEFRAG) {
      defragRan = true;
      const v = defragHook(hook, ct, iif, oif);
      if (v != Verdict.Accept) return v;
    }
    if (ct && load<i32>(ch, CH_PRIO) >= NF_IP_PRI_CONNTRACK) {
      const v = ctHook(hook, ct, iif, oif);
      ct = 0;
      if (v != Verdict.Accept) return v;
    }
    if (load<u8>(ch, CH_FLAGS) & CH_FLAG_NAT) {
      // A nat chain the packet's generation lacks does not make the hook a NAT hook.
      if (natRan || <u32>load<u16>(ch, CH_GEN) & hookSkip) continue;
      natRan = true;
      const v = natHook(slot, hook, list, i, n, iif, oif);
      if ((v & 0xff) != Verdict.Accept) return v;
      continue;
    }
    const v = runChain(slot, hook, c, iif, oif);
    if ((v & 0xff) != Verdict.Accept) return v;
  }
  if (!ct) return Verdict.Accept;
  if (!defragRan) {
    const v = defragHook(hook, ct, iif, oif);
    if (v != Verdict.Accept) return v;
  }
  return ctHook(hook, ct, iif, oif);
}

/** Reassembly kept or dropped the packet (ResFlags.Defrag). */
let defragKept = false;

/** nf_defrag_ipv4/ipv6 as a hook entry at -400: Accept (whole, or now the reassembled datagram), Stolen (queued) or Drop. */
function defragHook(hook: i32, nfproto: i32, iif: u32, oif: u32): i32 {
  setHookContext(hook, nfproto, iif, oif);
  const r = defrag(nfproto == Family.Ipv6);
  if (r == DEFRAG_PASS) return Verdict.Accept;
  if (r == DEFRAG_DONE) {
    if (tracing()) tracePacket(oif, false);
    return Verdict.Accept;
  }
  defragKept = true;
  return r == DEFRAG_STOLEN ? Verdict.Stolen : Verdict.Drop;
}

/** The packet's destination changed at a DST manip hook: the stack routes it again. */
let natRerouted = false;

/**
 * nf_nat_inet_fn at a NAT hook: a new connection's first packet runs the
 * hook's nat chains (from list index `i`) until one binds this manip, else a
 * null binding; RELATED ICMP errors are translated instead; then the packet
 * is rewritten as the entry's bindings say. No entry: nothing runs.
 */
function natHook(slot: i32, hook: i32, list: usize, i: u32, n: u32, iif: u32, oif: u32): i32 {
  const ct = pCt;
  if (!ct) return Verdict.Accept;
  const manip = hook == InetHook.Prerouting || hook == InetHook.Output ? MANIP_DST : MANIP_SRC;
  const info = pCtinfo;
  const dir: u32 = info >= <u32>CtInfo.EstablishedReply ? 1 : 0;
  const v4 = slot == HOOK_SLOT_IPV4;
  if ((info == CtInfo.Related || info == CtInfo.RelatedReply) && pL4 && pTprot == (v4 ? 1 : 58)) {
    if (!natIcmpReply(ct, dir, manip, pData + <usize>pThoff)) return Verdict.Drop;
    if (tracing()) tracePacket(oif, hook == InetHook.Forward || (hook == InetHook.Postrouting && iif != 0));
    return Verdict.Accept;
  }
  if ((info == CtInfo.New || info == CtInfo.Related) && !natInitialized(ct, manip)) {
    for (let j = i; j < n; j++) {
      const c = load<u32>(list + (<usize>j << 2));
      const ch = rtChains + <usize>c * CH_SIZE;
      if (!(load<u8>(ch, CH_FLAGS) & CH_FLAG_NAT) || <u32>load<u16>(ch, CH_GEN) & hookSkip) continue;
      const fam = <i32>load<u8>(ch, CH_FAMILY);
      setHookContext(hook, fam == Family.Inet ? (v4 ? Family.Ipv4 : Family.Ipv6) : fam, iif, oif);
      const v = doChain(c);
      lastChain = decidedChain;
      lastRule = decidedRule;
      if ((v & 0xff) != Verdict.Accept) return v;
      if (natInitialized(ct, manip)) break;
    }
    if (!natInitialized(ct, manip)) natNullBinding(ct, manip);
  }
  const daddr = pData + <usize>pNh + (v4 ? 16 : 24);
  const before0 = load<u64>(daddr);
  const before1 = v4 ? 0 : load<u64>(daddr, 8);
  if (natPacket(ct, dir, manip)) {
    if (manip == MANIP_DST && (load<u64>(daddr) != before0 || (!v4 && load<u64>(daddr, 8) != before1))) natRerouted = true;
    else if (tracing()) tracePacket(oif, hook == InetHook.Forward || (hook == InetHook.Postrouting && iif != 0));
  }
  return Verdict.Accept;
}

/** Records the packet's bytes as they are now, for the trace of the chains still to run (RecordKind.Packet). */
function tracePacket(oif: u32, forwarded: bool): void {
  const nh = pData + <usize>pNh;
  let len = <u32>(pEnd - nh);
  if (len > 0xffff) len = 0xffff;
  const at = reserveData((len + 4 + 3) & ~3);
  if (at) {
    store<u16>(records + at, <u16>len);
    store<u16>(records + at, 0, 2);
    memory.copy(records + at + 4, nh, len);
  }
  emitRecord(RecordKind.Packet, 0, forwarded ? 1 : 0, 0, oif, at);
}

/** Output interface chosen by the last reroute. */
let rerouteOif: u32 = 0;

/**
 * Routing again after DNAT changed the destination (ip_route_input after
 * prerouting, ip_route_me_harder after output): the hooks after index `i`
 * become input (local), or forward + postrouting (forwarding on); the new
 * hook count, or -1 when the packet has nowhere to go.
 */
function reroute(hook: i32, family: i32, forwarding: bool, i: u32): i32 {
  const fam: u32 = family == Family.Ipv4 ? 2 : 10;
  route(pData + <usize>pNh + (fam == 2 ? 16 : 24), fam);
  rerouteOif = routeIf();
  let n = i + 1;
  if (hook == InetHook.Output) return <i32>load<u8>(pDesc, PKT_HOOK_COUNT);
  if (routeType() == RTN_LOCAL) {
    store<u8>(hookCopy + n++, <u8>InetHook.Input);
    rerouteOif = 0;
  } else if (forwarding && rerouteOif && routeType() == RTN_UNICAST) {
    store<u8>(hookCopy + n++, <u8>InetHook.Forward);
    store<u8>(hookCopy + n++, <u8>InetHook.Postrouting);
  } else return -1;
  return <i32>n;
}

/** Entries from which the table is warmed before each group of packets (about 10 MiB of entries). */
const PREFETCH_MIN_ENTRIES: u32 = 65536;
/** Packets whose conntrack buckets are warmed together. */
const PREFETCH_GROUP: u32 = 32;

/** Conntrack dropped the packet (table full). */
let ctDropped = false;

/** Conntrack tracks packets of `family` (Ipv4, Ipv6): the loaded ruleset uses it there. */
@inline function ctTracks(family: i32): bool {
  return (batchFamilies & (<u32>1 << <u32>family)) != 0;
}
/** CTC_FAMILIES for this batch (0 without a conntrack table). */
let batchFamilies: u32 = 0;

/** Runs packet `k` through its hook path; writes its result record. */
@inline function evalPacket(k: u32, res: usize, CT: bool): void {
  const desc = batch + BATCH_HEADER_SIZE + <usize>k * PKT_SIZE;
  const off = load<u32>(desc, PKT_DATA);
  const len = load<u32>(desc, PKT_LEN);
  let nh = <u32>load<u8>(desc, PKT_HOOK_COUNT);
  const family = <i32>load<u8>(desc, PKT_FAMILY);
  lastChain = NONE32;
  lastRule = 0;
  store<u32>(res, NONE32, RES_CHAIN);
  store<u32>(res, 0, RES_RULE);
  store<u8>(res, NONE8, RES_HOOK);
  store<u8>(res, NONE8, RES_HOOK_INDEX);
  if (<usize>off > batchCap || <usize>len > batchCap - off || nh > <u32>PKT_HOOK_MAX) {
    store<u32>(res, Verdict.Drop, RES_VERDICT);
    store<u8>(res, ResFlags.BadDescriptor, RES_FLAGS);
    store<u16>(res, <u16>(seenGeneration >> 1), RES_GEN);
    return;
  }
  packetReset(batch + off, len, desc, k);
  readGeneration();
  store<u16>(res, <u16>(seenGeneration >> 1), RES_GEN);
  if (CT) {
    ctPacketReset();
    if (load<u8>(desc, PKT_FLAGS) & PktFlags.CtCarry) ctCarry(load<u32>(desc, PKT_CT_ENTRY), load<u8>(desc, PKT_CTINFO));
    ctDropped = false;
    defragKept = false;
    natRerouted = false;
  }
  setPacketMeta(load<u32>(desc, PKT_MARK), load<u8>(desc, PKT_PKTTYPE), load<u64>(desc, PKT_TSTAMP));
  // The loaded ruleset's element timeouts run from its first packet.
  setEpochAt(pTstamp);
  // The nf_trace bit of an skb traced in an earlier hook (netdev ingress, bridge) stays set.
  if (load<u8>(desc, PKT_FLAGS) & PktFlags.Nftrace) setNftrace(true);
  const iif = load<u32>(desc, PKT_IIF);
  let oif = load<u32>(desc, PKT_OIF);
  // The descriptor's hooks, until DNAT routes the packet again (then a rewritten copy).
  let hooks: usize = desc + PKT_HOOKS;
  const tracked = CT && ctTracks(family);
  let flags: u32 = 0;
  let verdict: i32 = Verdict.Accept;
  let decidedHook: u32 = NONE8;
  let decidedIndex: u32 = NONE8;
  let ipDone = false;
  if (!parseLink((load<u8>(desc, PKT_FLAGS) & PktFlags.Ether) != 0, family)) {
    verdict = Verdict.Drop;
    flags |= ResFlags.StackDrop;
  } else if (rtRuleset) {
    for (let i: u32 = 0; i < nh; i++) {
      const hook = <i32>load<u8>(hooks + i);
      let slot: i32 = -1;
      let hi = iif;
      let ho = oif;
      if (hook == InetHook.Ingress) {
        // No ingress chain for any device: nothing reads the validation (later hooks redo pktinfo).
        if (!hookCount(HOOK_SLOT_NETDEV, 5)) continue;
        pktinfoValidate();
        slot = HOOK_SLOT_NETDEV;
        ho = 0;
      } else if (family == Family.Ipv4 || family == Family.Ipv6) {
        if (hook > InetHook.Postrouting) continue;
        if (!ipDone) {
          // The receive path (prerouting first) validates and trims: ip_rcv_core / ipv6_rcv.
          const strict = hook == InetHook.Prerouting;
          const ok = family == Family.Ipv4 ? pktinfoIpv4(strict) : pktinfoIpv6(strict);
          ipDone = true;
          if (!ok) {
            verdict = Verdict.Drop;
            flags |= ResFlags.StackDrop;
            decidedHook = hook;
            decidedIndex = i;
            break;
          }
        }
        if (hook == InetHook.Forward && !forwardTtl()) {
          // ip_forward / ip6_forward: ttl exceeded, dropped before the forward hook; the time exceeded error carries its entry.
          if (CT) ctStackError();
          verdict = Verdict.Drop;
          flags |= ResFlags.StackDrop;
          decidedHook = hook;
          decidedIndex = i;
          break;
        }
        slot = family == Family.Ipv4 ? HOOK_SLOT_IPV4 : HOOK_SLOT_IPV6;
      } else if (family == Family.Bridge) {
        if (hook > InetHook.Postrouting) continue;
        pktinfoValidate();
        slot = HOOK_SLOT_BRIDGE;
      } else if (family == Family.Arp) {
        if (hook > 2) continue;
        pktinfoUnspec();
        slot = HOOK_SLOT_ARP;
        if (hook == 0) ho = 0;
        else if (hook == 1) hi = 0;
      } else continue;
      // Conntrack sits in prerouting and output of the families the ruleset tracks.
      const ct = tracked && (hook == InetHook.Prerouting || hook == InetHook.Output) && (slot == HOOK_SLOT_IPV4 || slot == HOOK_SLOT_IPV6) ? family : 0;
      if (slot != HOOK_SLOT_ARP && slot != HOOK_SLOT_NETDEV) {
        // The devices a hook sees: in on the way in, out on the way out, both when forwarding.
        if (hook == InetHook.Prerouting || hook == InetHook.Input) ho = 0;
        else if (hook == InetHook.Output || hook == InetHook.Postrouting) hi = 0;
      }
      const v = CT ? runHookCt(slot, hook, hi, ho, ct) : runHook(slot, hook, hi, ho);
      if (lastChain != NONE32) {
        decidedHook = hook;
        decidedIndex = i;
      }
      if ((v & 0xff) != Verdict.Accept) {
        verdict = v;
        if (CT && defragKept) flags |= ResFlags.Defrag;
        if (CT && ctDropped) {
          flags |= ResFlags.CtDrop;
          decidedHook = hook;
          decidedIndex = i;
        }
        break;
      }
      // The last hook of the path confirms a new entry (input or postrouting, at the last priority).
      if (tracked && (hook == InetHook.Input || hook == InetHook.Postrouting) && (slot == HOOK_SLOT_IPV4 || slot == HOOK_SLOT_IPV6)) ctConfirm();
      if (CT && natRerouted) {
        natRerouted = false;
        // The packet's hooks from here: a copy of the descriptor's that reroute rewrites.
        if (hooks != hookCopy) {
          memory.copy(hookCopy, hooks, PKT_HOOK_MAX);
          hooks = hookCopy;
        }
        const r = reroute(hook, family, (load<u8>(desc, PKT_FLAGS) & PktFlags.Forwarding) != 0, i);
        if (r < 0) {
          verdict = Verdict.Drop;
          flags |= ResFlags.StackDrop;
          decidedHook = hook;
          decidedIndex = i;
          break;
        }
        nh = <u32>r;
        oif = rerouteOif;
        if (tracing()) tracePacket(oif, nh > i + 1 && load<u8>(hookCopy + i + 1) == InetHook.Forward);
      }
    }
  }
  if (CT && pCt) {
    store<u8>(res, <u8>pCtinfo, RES_CTINFO);
    store<u8>(res, <u8>(<u32>1 << ((pCtinfo % 3) + 1)), RES_CTSTATE);
    store<u32>(res, entryIndex(pCt), RES_CTENTRY);
    ctPacketEnd();
  } else if (CT) {
    store<u8>(res, <u8>pCtinfo, RES_CTINFO);
    store<u8>(res, pCtinfo == CtInfo.Untracked ? <u8>CtStateBit.Untracked : tracked ? <u8>CtStateBit.Invalid : 0, RES_CTSTATE);
    store<u32>(res, NONE32, RES_CTENTRY);
  } else {
    store<u8>(res, <u8>CtInfo.None, RES_CTINFO);
    store<u8>(res, 0, RES_CTSTATE);
    store<u32>(res, NONE32, RES_CTENTRY);
  }
  if (pUntracked) flags |= ResFlags.Untracked;
  if (pNftrace) flags |= ResFlags.Nftrace;
  store<i32>(res, verdict, RES_VERDICT);
  store<u8>(res, <u8>decidedHook, RES_HOOK);
  store<u8>(res, <u8>decidedIndex, RES_HOOK_INDEX);
  store<u8>(res, <u8>flags, RES_FLAGS);
  store<u32>(res, lastChain, RES_CHAIN);
  store<u32>(res, lastRule, RES_RULE);
  store<u32>(res, pMark, RES_MARK);
  store<u32>(res, pPriority, RES_PRIORITY);
}

/** A packet of a ruleset without conntrack or nat chains: the hook walk alone. */
function evalPacketPlain(k: u32, res: usize): void {
  evalPacket(k, res, false);
}

/** A packet of a ruleset that tracks connections or has nat chains: defrag, conntrack and NAT between the chains. */
function evalPacketCt(k: u32, res: usize): void {
  evalPacket(k, res, true);
}

/**
 * Evaluates the batch in the batch area; the number of packets, or -1 if
 * the header does not fit. An evaluator on another thread holds its epoch
 * for the whole batch: a commit reclaims nothing it may still read.
 */
export function evaluateBatch(): i32 {
  batchBegin();
  readGeneration();
  const n = evaluatePackets();
  batchEnd();
  return n;
}

function evaluatePackets(): i32 {
  const n = load<u32>(batch, BATCH_COUNT);
  const flags = load<u32>(batch, BATCH_FLAGS);
  const resOff = <usize>load<u32>(batch, BATCH_RESULTS);
  if (<u64>n * PKT_SIZE + BATCH_HEADER_SIZE > <u64>batchCap || resOff > batchCap || <u64>n * RES_SIZE > <u64>(batchCap - resOff)) return -1;
  store<u32>(records, 0, RECORDS_COUNT);
  store<u32>(records, 0, RECORDS_DROPPED);
  store<u32>(records, <u32>recordsCap, RECORDS_DATA);
  setTraceMode(flags & BatchFlags.TraceAll ? 1 : flags & BatchFlags.TraceNftrace ? 2 : 0);
  setEventsOn((flags & BatchFlags.CtEvents) != 0);
  batchFamilies = ctc ? load<u32>(ctc, CTC_FAMILIES) : 0;
  // Groups of packets: the conntrack table is warmed for a group (ct/prefetch.ts), then the group runs.
  // Only a table beyond the caches is worth it: below that the warming is pure overhead.
  const warm = ctc != 0 && rtRuleset != 0 && load<u32>(ctc, CTC_FAMILIES) != 0 && load<u32>(ctc, CTC_COUNT) >= PREFETCH_MIN_ENTRIES;
  if (!batchFamilies && !rtNatChains) {
    // Nothing attaches an entry in this batch: none left from an earlier one either.
    ctPacketReset();
    for (let k: u32 = 0; k < n; k++) evalPacketPlain(k, batch + resOff + <usize>k * RES_SIZE);
    return <i32>n;
  }
  if (!warm) {
    for (let k: u32 = 0; k < n; k++) evalPacketCt(k, batch + resOff + <usize>k * RES_SIZE);
    return <i32>n;
  }
  for (let k: u32 = 0; k < n; k += PREFETCH_GROUP) {
    const e = k + PREFETCH_GROUP < n ? k + PREFETCH_GROUP : n;
    ctPrefetch(k, e);
    for (let j = k; j < e; j++) evalPacketCt(j, batch + resOff + <usize>j * RES_SIZE);
  }
  return <i32>n;
}
