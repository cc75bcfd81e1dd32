// The interpreter (kernel: net/netfilter/nf_tables_core.c nft_do_chain, and
// net/netfilter/core.c nf_hook_slow for the base chains of one hook): per
// rule reset the verdict to CONTINUE, run the records, BREAK → next rule,
// jump/goto/return with a 16-deep stack, then the base chain's policy.
// One `case` per opcode; the instruction bodies live in insn/<family>.ts.

import { FastOp, IFACE_NAME, IMMEDIATE_DATA, IMMEDIATE_VERDICT_CODE, NFT_JUMP_STACK_SIZE, Op, RecordKind, TraceType, Verdict } from './abi';
import { CH_COUNT, CH_FIRST, CH_POLICY, CH_SIZE, RU_END, RU_HANDLE, RU_NEXT, RU_SIZE, RU_TAIL } from './layout';
import { genCursor, jstack, regs, rtChains, rtRules } from './mem';
import { pData, pEnd, pIif, pL4, pMark, pNftrace, pNh, pThoff, pTprot } from './packet';
import { pNfproto } from './packet';
import { FAST_SKIP, FAST_TAIL, fastAt, fastRule, guardClass } from './fast';
import { emitRecord, setCurrent } from './records';
import { evalBitwise } from './insn/bitwise';
import { evalByteorder } from './insn/byteorder';
import { evalCmp, evalCmpFast, evalCmpWide } from './insn/cmp';
import { evalCounter } from './insn/counter';
import { evalDynset } from './insn/dynset';
import { evalExthdr, evalExthdrSet } from './insn/exthdr';
import { evalFib } from './insn/fib';
import { evalHash } from './insn/hash';
import { evalImmediate } from './insn/immediate';
import { evalLimit } from './insn/limit';
import { evalLog } from './insn/log';
import { evalLookup, evalLookupHashFast } from './insn/lookup';
import { evalMeta, evalMetaCmpFast, evalMetaL4protoCmpFast, evalMetaSet, ifaceOf } from './insn/meta';
import { evalNotrack } from './insn/notrack';
import { evalNumgen } from './insn/numgen';
import { evalObjref, evalObjrefMap } from './insn/objref';
import { evalPayload, evalPayloadCmpFast, evalPayloadFast, evalPayloadSet } from './insn/payload';
import { evalQueue } from './insn/queue';
import { evalQuota } from './insn/quota';
import { evalRange } from './insn/range';
import { evalReject } from './insn/reject';
import { evalRt } from './insn/rt';
import { evalSocket } from './insn/socket';
import { evalOsf } from './insn/osf';
import { evalXfrm } from './insn/xfrm';
import { evalDup, evalFwd } from './insn/fwd';
import { evalLast } from './insn/last';
import { evalTproxy } from './insn/tproxy';
import { evalCt, evalCtSet } from './insn/ct';
import { evalMasq, evalNat, evalRedir } from './insn/nat';

/** Trace recording for this batch: 0 off, 1 all packets, 2 packets with nftrace. */
export let traceMode: u32 = 0;
/** Sets the batch's trace mode. */
export function setTraceMode(m: u32): void {
  traceMode = m;
}

/** Rule handle and chain of the last verdict decided by doChain (0 handle = policy). */
export let decidedChain: u32 = 0;
/** Handle of the deciding rule, 0 for the policy. */
export let decidedRule: u32 = 0;

/** The current packet is traced. */
@inline export function tracing(): bool {
  return traceMode == 1 || (traceMode == 2 && pNftrace);
}

/**
 * Runs the records of one rule; the verdict code it leaves. The specialised
 * records (FastOp) return BREAK directly; the others store their verdict in
 * word 0, checked after each of them as nft_do_chain does.
 */
@inline function runRule(pc: usize, end: usize, nh: usize, th: usize, pend: usize, l4: i32, chain: u32, rule: usize): i32 {
  while (pc < end) {
    switch (<i32>load<u8>(pc)) {
      case FastOp.PayloadCmpFast:
        if (!evalPayloadCmpFast(pc, nh, th, pend)) return Verdict.Break;
        pc += load<u8>(pc, 1);
        continue;
      case FastOp.MetaL4protoCmpFast:
        if (!evalMetaL4protoCmpFast(pc, l4)) return Verdict.Break;
        pc += load<u8>(pc, 1);
        continue;
      case FastOp.MetaCmpFast:
        if (!evalMetaCmpFast(pc)) return Verdict.Break;
        pc += load<u8>(pc, 1);
        continue;
      case FastOp.CmpFast:
        if (!evalCmpFast(pc)) return Verdict.Break;
        pc += load<u16>(pc, 2);
        continue;
      case FastOp.CmpWide:
        if (!evalCmpWide(pc)) return Verdict.Break;
        pc += load<u16>(pc, 2);
        continue;
      case FastOp.PayloadFast:
        if (!evalPayloadFast(pc)) return Verdict.Break;
        pc += load<u16>(pc, 2);
        continue;
      case FastOp.LookupHashFast:
        if (!evalLookupHashFast(pc)) return Verdict.Break;
        pc += load<u16>(pc, 2);
        continue;
      case FastOp.ImmVerdict: {
        const code = load<i32>(pc, IMMEDIATE_VERDICT_CODE);
        store<u64>(regs, load<u64>(pc, IMMEDIATE_DATA));
        if (code != Verdict.Continue) return code;
        pc += load<u16>(pc, 2);
        continue;
      }
    }
    // The other records report through word 0 (set to CONTINUE first) and may log or reject (the current rule).
    store<i32>(regs, Verdict.Continue);
    setCurrent(chain, load<u32>(rule, RU_HANDLE));
    switch (<i32>load<u8>(pc)) {
      case Op.Payload: evalPayload(pc); break;
      case Op.PayloadSet: evalPayloadSet(pc); break;
      case Op.Cmp: evalCmp(pc); break;
      case Op.Range: evalRange(pc); break;
      case Op.Bitwise: evalBitwise(pc); break;
      case Op.Byteorder: evalByteorder(pc); break;
      case Op.Meta: evalMeta(pc); break;
      case Op.MetaSet: evalMetaSet(pc); break;
      case Op.Immediate: evalImmediate(pc); break;
      case Op.Lookup: evalLookup(pc); break;
      case Op.Dynset: evalDynset(pc); break;
      case Op.Counter: evalCounter(pc); break;
      case Op.Limit: evalLimit(pc); break;
      case Op.Quota: evalQuota(pc); break;
      case Op.Log: evalLog(pc); break;
      case Op.Reject: evalReject(pc); break;
      case Op.Notrack: evalNotrack(); break;
      case Op.Queue: evalQueue(pc); break;
      case Op.Objref: evalObjref(pc); break;
      case Op.ObjrefMap: evalObjrefMap(pc); break;
      case Op.Exthdr: evalExthdr(pc); break;
      case Op.ExthdrSet: evalExthdrSet(pc); break;
      case Op.Fib: evalFib(pc); break;
      case Op.Numgen: evalNumgen(pc); break;
      case Op.Hash: evalHash(pc); break;
      case Op.Rt: evalRt(pc); break;
      case Op.Socket: evalSocket(pc); break;
      case Op.Osf: evalOsf(pc); break;
      case Op.Xfrm: evalXfrm(pc); break;
      case Op.Fwd: evalFwd(pc); break;
      case Op.Dup: evalDup(pc); break;
      case Op.Last: evalLast(pc); break;
      case Op.Tproxy: evalTproxy(pc); break;
      case Op.Ct: evalCt(pc); break;
      case Op.CtSet: evalCtSet(pc); break;
      case Op.Nat: evalNat(pc); break;
      case Op.Masq: evalMasq(pc); break;
      case Op.Redir: evalRedir(pc); break;
      // The loader admits no other opcode.
      default: unreachable();
    }
    const v = load<i32>(regs);
    if (v != Verdict.Continue) return v;
    pc += load<u16>(pc, 2);
  }
  return Verdict.Continue;
}

/**
 * nft_do_chain for base chain `base`: returns the NF_* verdict (full code
 * for accept/queue/stolen), sets decidedChain/decidedRule.
 */
export function doChain(base: u32): i32 {
  let chain = base;
  let ch = rtChains + <usize>chain * CH_SIZE;
  let r = load<u32>(ch, CH_FIRST);
  let last = r + load<u32>(ch, CH_COUNT);
  let sp: u32 = 0;
  // Header addresses for the fused payload records: fixed while a chain runs (payload writes do not move headers).
  const nh = pData + <usize>pNh;
  const th = pL4 ? pData + <usize>pThoff : 0;
  const pend = pEnd;
  const l4: i32 = pL4 ? pTprot & 0xff : -1;
  const nfp: i32 = pNfproto & 0xff;
  // After a rule that BREAKs or continues: RU_NEXT by this class steps over the rules whose guard fails.
  const next = <usize>RU_NEXT + guardClass(nfp, l4);
  // The input interface's name for iifname checks, read once: the host model does not change while a chain runs.
  const iif = ifaceOf(pIif);
  const iifA: u64 = iif ? load<u64>(iif + IFACE_NAME) : 0;
  const iifB: u64 = iif ? load<u64>(iif + IFACE_NAME, 8) : 0;
  while (true) {
    if (r < last) {
      const rule = rtRules + <usize>r * RU_SIZE;
      // The rule's pre-decoded prefix (fast.ts), then the records it does not cover.
      let code = fastRule(rule, r, nh, th, pend, l4, nfp, iifA, iifB);
      if (code == FAST_SKIP) {
        r = fastAt;
        continue;
      }
      if (code == FAST_TAIL) code = runRule(<usize>load<u32>(rule, RU_TAIL), <usize>load<u32>(rule, RU_END), nh, th, pend, l4, chain, rule);
      if (code == Verdict.Break) {
        r += load<u8>(rule + next);
        continue;
      }
      const handle = load<u32>(rule, RU_HANDLE);
      if (tracing()) emitRecord(RecordKind.Trace, TraceType.Rule, chain, handle, code, code == Verdict.Jump || code == Verdict.Goto ? load<u32>(regs, 4) : 0xffffffff);
      if (code == Verdict.Continue) {
        r += load<u8>(rule + next);
        continue;
      }
      if (code >= 0) {
        decidedChain = chain;
        decidedRule = handle;
        // NF_DROP carries no errno here; accept, queue and stolen keep their full code.
        return (code & 0xff) == Verdict.Drop ? Verdict.Drop : code;
      }
      if (code == Verdict.Jump || code == Verdict.Goto) {
        if (code == Verdict.Jump) {
          // The loader bounds the depth; the kernel drops on overflow.
          if (sp >= <u32>NFT_JUMP_STACK_SIZE) return Verdict.Drop;
          store<u32>(jstack + (<usize>sp << 3), chain);
          store<u32>(jstack + (<usize>sp << 3), r + 1, 4);
          sp++;
        }
        chain = load<u32>(regs, 4);
        ch = rtChains + <usize>chain * CH_SIZE;
        r = load<u32>(ch, CH_FIRST);
        last = r + load<u32>(ch, CH_COUNT);
        continue;
      }
      // NFT_RETURN falls through to the pop below.
    } else if (chain != base && tracing()) {
      // The end of a chain: a trace event without a rule (nft 1.0.6 prints nothing).
      emitRecord(RecordKind.Trace, TraceType.Return, chain, 0, Verdict.Continue, 0xffffffff);
    }
    if (sp > 0) {
      sp--;
      chain = load<u32>(jstack + (<usize>sp << 3));
      r = load<u32>(jstack + (<usize>sp << 3), 4);
      ch = rtChains + <usize>chain * CH_SIZE;
      last = load<u32>(ch, CH_FIRST) + load<u32>(ch, CH_COUNT);
      continue;
    }
    const policy = <i32>load<u8>(rtChains + <usize>base * CH_SIZE + <usize>genCursor, CH_POLICY);
    // The policy event carries skb->mark (nft prints `meta mark 0x…` when it is non-zero).
    if (tracing()) emitRecord(RecordKind.Trace, TraceType.Policy, base, 0, policy, pMark);
    decidedChain = base;
    decidedRule = 0;
    return policy;
  }
}
