// Pre-decoded rule prefixes (docs/vm.md §6): at load, after specialize.ts,
// each rule record gets a fixed-width summary of its leading pure checks —
//   [guard: meta l4proto / nfproto == v] [≤ 3 checks: load (base, offset, len) & mask ==/!= data] [verdict]
// — which doChain runs without opcode dispatch; the records the summary does
// not cover (the "tail") run through the interpreter as before. A rule whose
// first record is the guard BREAKs with no side effect when the guard fails,
// and so does every following rule of the chain with the same guard: the rule
// loop skips that whole run (RU_SKIP). Nothing observable changes: the checks
// are the ones the records make, in their order; registers they load are
// stored when a tail may read them; counters, logs and trace events all live
// in the tail or in doChain.
// `meta l4proto udp udp dport 53 drop` → guard l4proto 17, check transport+2 len 2 == 0x3500, verdict drop.

import {
  IFACE_NAME, BITWISE_DATA, BITWISE_DREG, BITWISE_LEN, BITWISE_OP, BITWISE_SREG, BitwiseOp, CMP_DATA, CMP_LEN, CMP_OP, CMP_SREG, CmpOp, FastOp, IMMEDIATE_DATA, LOOKUP_DREG,
  LOOKUP_FLAGS, LOOKUP_SET, LOOKUP_SREG, META_DREG, META_KEY, MetaKey, NONE8, Op, PAYLOAD_BASE, PAYLOAD_DREG, PAYLOAD_LEN, PAYLOAD_OFFSET, PayloadBase, Verdict,
} from './abi';
import { fastMask } from './insn/cmp';
import { evalMetaCmpFast, ifaceOf, metaFusable, metaFusableWidth, metaFusableWord } from './insn/meta';
import { pIif, pOif, pTstamp } from './packet';
import { entryFlags, entryLive, setAddr, setLookup } from './set/set';
import {
  CH_COUNT, CH_FIRST, CH_SIZE, RU_CHECKS, RU_CHECK_SIZE, RU_CODE, RU_END, RU_FFLAGS, RU_GDREG, RU_GKIND, RU_GVAL, RU_MAX_CHECKS, RU_NCHECKS,
  RU_NEXT, RU_SCAN, RU_SIZE, RU_SKIP, RU_TAIL, RU_VERDICT, RuleGen, SD_BUCKETS, SD_COUNT, SD_ENTRIES, SD_ESTRIDE, SD_MASK, SD_CATCHALL, SD_EXPRS, SD_KIND, SD_KLEN, SetKind, EntryFlags,
} from './layout';
import { genSkip, regs, rtRules } from './mem';

/** Guard kinds (RU_GKIND). */
export const enum FastGuard {
  None = 0,
  L4proto = 1,
  Nfproto = 2,
}

/**
 * Guard classes: a packet's (nfproto, l4proto) as far as guards can tell
 * them apart — nfproto ipv4 / ipv6 / other × l4proto tcp / udp / icmp /
 * icmpv6 / other or none. RU_NEXT holds one advance per class: after a rule
 * BREAKs, the rules whose guard fails for every packet of the class are
 * stepped over without being looked at.
 */
export const GUARD_CLASSES: u32 = 15;

/** The class of an nfproto: ipv4, ipv6, other. */
@inline function nfClass(nfp: i32): u32 {
  return nfp == 2 ? 0 : nfp == 10 ? 1 : 2;
}

/** The class of an l4proto: tcp, udp, icmp, icmpv6, other or none (-1). */
@inline function l4Class(l4: i32): u32 {
  return l4 == 6 ? 0 : l4 == 17 ? 1 : l4 == 1 ? 2 : l4 == 58 ? 3 : 4;
}

/** The guard class of a packet of nfproto `nfp` and l4proto `l4` (-1: none). */
@inline export function guardClass(nfp: i32, l4: i32): u32 {
  return nfClass(nfp) * 5 + l4Class(l4);
}

/** Whether the guard of `rule` may pass for some packet of class `c` (no guard: yes). */
function guardMayPass(rule: usize, c: u32): bool {
  const g = <i32>load<u8>(rule, RU_GKIND);
  if (!g) return true;
  const v = load<i32>(rule, RU_GVAL);
  if (g == FastGuard.Nfproto) return c / 5 == nfClass(v);
  // A value without a class of its own can only be met by the "other" class.
  return c % 5 == l4Class(v);
}

/** RU_FFLAGS bits. */
export const enum FastFlags {
  /** The rule ends with a verdict immediate right after the checks: RU_VERDICT, no tail. */
  Verdict = 1,
  /** A tail follows: store what the guard and checks load in their registers, as the records do. */
  StoreRegs = 2,
  /** The rule is in a scan run (RU_SCAN). */
  Scan = 4,
}

/** Check kinds (byte 0 of a check): the value's source, | a lookup flag for set membership of it. */
const enum FastCheck {
  Network = 0,
  Transport = 1,
  Nfproto = 2,
  L4proto = 3,
  /** meta iifname + cmp eq/neq (data = the cmp record; length = its length) */
  Iifname = 4,
  /** meta oifname + cmp */
  Oifname = 5,
  /** a MetaCmpFast record of another key (data = the record) */
  Meta = 6,
  /** the register word of a metaFusable meta load (offset = the key), only with Hash */
  MetaWord = 7,
  /** payload + LookupHashFast: membership in a hash set (data = set descriptor) */
  Hash = 0x10,
  /** payload + plain lookup (interval set, 4-byte keys; no data, not inverted, no catch-all) */
  Interval = 0x20,
  /** payload + one or two ordering compares (lt, lte, gt, gte) of ≤ 4 bytes: the big-endian value in [lo (8), hi (12)]; 20 = the compares' mask */
  Range = 0x40,
}

/** fastRule results that are no verdict: the guard failed (go to RU_SKIP), or run the tail. */
export const FAST_SKIP: i32 = -100;
/** Run the interpreter from RU_TAIL. */
export const FAST_TAIL: i32 = -101;
/** After FAST_SKIP: the rule index to continue at (every rule before it BREAKs without a side effect). */
export let fastAt: u32 = 0;

/** Load-time switch of the summaries (off: every rule runs through the interpreter alone). Tests compare both. */
let fastEnabled: bool = true;
/** Turns rule summaries on or off for the next loads. */
export function setFastPath(on: bool): void {
  fastEnabled = on;
}

/** Bytes of a meta load and of a payload load record. */
const META_RECORD: usize = 8;
const PAYLOAD_RECORD: usize = 12;

/** The guard a fused meta record at `p` can be (FastGuard.None if it cannot). */
function guardOf(p: usize): i32 {
  const op = <i32>load<u8>(p);
  let g = FastGuard.None;
  if (op == FastOp.MetaL4protoCmpFast) g = FastGuard.L4proto;
  else if (op == FastOp.MetaCmpFast && load<u8>(p, META_KEY) == MetaKey.Nfproto) g = FastGuard.Nfproto;
  else return FastGuard.None;
  const c = p + META_RECORD;
  if (load<u8>(c, CMP_OP) != CmpOp.Eq || load<u32>(c, CMP_DATA) > 0xff) return FastGuard.None;
  return g;
}

/** A lookup record at `q` that only tests membership of the `len`-byte key in register `reg`: FastCheck.Hash / Interval, else 0. */
function lookupCheck(q: usize, reg: u8, len: u32, sets: usize): i32 {
  const op = <i32>load<u8>(q);
  if (op != FastOp.LookupHashFast && op != Op.Lookup) return 0;
  if (load<u8>(q, LOOKUP_SREG) != reg || load<u8>(q, LOOKUP_DREG) != NONE8 || load<u8>(q, LOOKUP_FLAGS) != 0) return 0;
  const sd = setAddr(sets, load<u32>(q, LOOKUP_SET));
  if (load<u32>(sd, SD_CATCHALL) != 0 || <u32>load<u8>(sd, SD_KLEN) != len || load<u32>(sd, SD_EXPRS) != 0) return 0;
  if (op == FastOp.LookupHashFast) return FastCheck.Hash;
  return load<u8>(sd, SD_KIND) == SetKind.Interval && len == 4 ? FastCheck.Interval : 0;
}

/** narrowRange's result. */
let rangeLo: u32 = 0;
let rangeHi: u32 = 0;

/** [lo, hi] of big-endian `cl`-byte values narrowed by the ordering compare at `c` (rangeLo / rangeHi); false if it never holds. */
function narrowRange(c: usize, cl: u32, lo: u32, hi: u32): bool {
  // memcmp order of ≤ 4 bytes is the order of their big-endian value.
  const b = bswap<u32>(load<u32>(c, CMP_DATA) & fastMask(cl));
  const op = <i32>load<u8>(c, CMP_OP);
  let ok = true;
  if (op == CmpOp.Lt) {
    if (b == 0) ok = false;
    else hi = min(hi, b - 1);
  } else if (op == CmpOp.Lte) hi = min(hi, b);
  else if (op == CmpOp.Gt) {
    if (b == bswap<u32>(fastMask(cl))) ok = false;
    else lo = max(lo, b + 1);
  } else lo = max(lo, b);
  rangeLo = lo;
  rangeHi = hi;
  return ok;
}

/** Builds the summary of one rule record (`sets`: the ruleset's set descriptors); its generation mask stays. */
export function buildRule(rule: usize, sets: usize): void {
  // Advance to the next rule whatever the class, until buildRuns knows the rules that follow.
  memory.fill(rule + RU_NEXT, 1, GUARD_CLASSES);
  const gen = load<u8>(rule, RU_FFLAGS) & <u8>RuleGen.Dead;
  summarize(rule, sets);
  store<u8>(rule, load<u8>(rule, RU_FFLAGS) | gen, RU_FFLAGS);
}

function summarize(rule: usize, sets: usize): void {
  const code = <usize>load<u32>(rule, RU_CODE);
  const e = <usize>load<u32>(rule, RU_END);
  store<u8>(rule, FastGuard.None, RU_GKIND);
  store<u8>(rule, 0, RU_FFLAGS);
  store<u8>(rule, 0, RU_NCHECKS);
  store<u8>(rule, 0, RU_GDREG);
  store<i32>(rule, 0, RU_GVAL);
  store<u32>(rule, 0, RU_SKIP);
  store<u32>(rule, <u32>code, RU_TAIL);
  store<u64>(rule, 0, RU_VERDICT);
  store<u32>(rule, 0, RU_SCAN);
  if (!fastEnabled) return;
  let p = code;
  if (p < e) {
    const g = guardOf(p);
    if (g != FastGuard.None) {
      store<u8>(rule, <u8>g, RU_GKIND);
      store<i32>(rule, <i32>load<u32>(p + META_RECORD, CMP_DATA), RU_GVAL);
      store<u8>(rule, load<u8>(p, META_DREG), RU_GDREG);
      p += <usize>load<u8>(p, 1);
    }
  }
  let n = 0;
  while (p < e && n < RU_MAX_CHECKS) {
    const op = <i32>load<u8>(p);
    const k = rule + RU_CHECKS + <usize>n * RU_CHECK_SIZE;
    let kind: i32 = 0;
    let len: u32 = 4;
    let off: u32 = 0;
    let c: usize = p + META_RECORD;
    let smask: u32 = 0xffffffff;
    let sxor: u32 = 0;
    let size = <usize>load<u8>(p, 1);
    if (op == FastOp.PayloadFast) {
      // payload, then a lookup of it; or then a mask-xor in place and a compare.
      const base = <i32>load<u8>(p, PAYLOAD_BASE);
      if (base != PayloadBase.Network && base != PayloadBase.Transport) break;
      len = load<u8>(p, PAYLOAD_LEN);
      const reg = load<u8>(p, PAYLOAD_DREG);
      const q = p + PAYLOAD_RECORD;
      if (q >= e) break;
      const lk = lookupCheck(q, reg, len, sets);
      const bw = q + <usize>load<u16>(q, 2);
      if (lk) {
        store<u8>(k, <u8>(lk | (base == PayloadBase.Transport ? FastCheck.Transport : FastCheck.Network)), 0);
        store<u8>(k, <u8>len, 1);
        store<u8>(k, reg, 2);
        store<u8>(k, 0, 3);
        store<u32>(k, load<u32>(p, PAYLOAD_OFFSET), 4);
        store<u32>(k, 0, 8);
        store<u32>(k, <u32>setAddr(sets, load<u32>(q, LOOKUP_SET)), 12);
        store<u32>(k, fastMask(len), 16);
        store<u32>(k, 0, 20);
        n++;
        p = bw;
        continue;
      }
      if (load<u8>(q) == Op.Cmp && load<u8>(q, CMP_SREG) == reg && <u32>load<u8>(q, CMP_OP) >= <u32>CmpOp.Lt && <u32>load<u8>(q, CMP_LEN) <= 4) {
        // An ordering compare, maybe a second one of the same length on the same register: one range of big-endian values.
        const cl = <u32>load<u8>(q, CMP_LEN);
        let lo: u32 = 0;
        let hi: u32 = bswap<u32>(fastMask(cl));
        let ok = narrowRange(q, cl, lo, hi);
        lo = rangeLo;
        hi = rangeHi;
        let end = bw;
        if (bw < e && load<u8>(bw) == Op.Cmp && load<u8>(bw, CMP_SREG) == reg && <u32>load<u8>(bw, CMP_OP) >= <u32>CmpOp.Lt && <u32>load<u8>(bw, CMP_LEN) == cl) {
          ok = narrowRange(bw, cl, lo, hi) && ok;
          lo = rangeLo;
          hi = rangeHi;
          end = bw + <usize>load<u16>(bw, 2);
        }
        // A compare that never holds: an empty range.
        if (!ok) {
          lo = 1;
          hi = 0;
        }
        store<u8>(k, <u8>(FastCheck.Range | (base == PayloadBase.Transport ? FastCheck.Transport : FastCheck.Network)), 0);
        store<u8>(k, <u8>len, 1);
        store<u8>(k, reg, 2);
        store<u8>(k, 0, 3);
        store<u32>(k, load<u32>(p, PAYLOAD_OFFSET), 4);
        store<u32>(k, lo, 8);
        store<u32>(k, hi, 12);
        store<u32>(k, fastMask(len), 16);
        store<u32>(k, fastMask(cl), 20);
        n++;
        p = end;
        continue;
      }
      if (load<u8>(q) != Op.Bitwise || load<u8>(q, BITWISE_OP) != BitwiseOp.MaskXor || load<u8>(q, BITWISE_SREG) != reg || load<u8>(q, BITWISE_DREG) != reg ||
        <u32>load<u8>(q, BITWISE_LEN) > 4 || bw >= e || load<u8>(bw) != FastOp.CmpFast || load<u8>(bw, CMP_SREG) != reg) break;
      const bmask = load<u32>(q, BITWISE_DATA);
      const bxor = load<u32>(q, BITWISE_DATA + 4);
      kind = base == PayloadBase.Transport ? FastCheck.Transport : FastCheck.Network;
      off = load<u32>(p, PAYLOAD_OFFSET);
      c = bw;
      smask = fastMask(len) & bmask;
      sxor = bxor;
      size = bw + <usize>load<u16>(bw, 2) - p;
      const cm = fastMask(load<u8>(c, CMP_LEN));
      store<u8>(k, <u8>kind, 0);
      store<u8>(k, <u8>len, 1);
      store<u8>(k, reg, 2);
      store<u8>(k, load<u8>(c, CMP_OP) != CmpOp.Eq ? 1 : 0, 3);
      store<u32>(k, off, 4);
      store<u32>(k, smask & cm, 8);
      store<u32>(k, load<u32>(c, CMP_DATA) ^ (bxor & cm), 12);
      store<u32>(k, smask, 16);
      store<u32>(k, sxor, 20);
      n++;
      p += size;
      continue;
    } else if (op == FastOp.PayloadCmpFast) {
      const base = <i32>load<u8>(p, PAYLOAD_BASE);
      if (base != PayloadBase.Network && base != PayloadBase.Transport) break;
      kind = base == PayloadBase.Transport ? FastCheck.Transport : FastCheck.Network;
      len = load<u8>(p, PAYLOAD_LEN);
      off = load<u32>(p, PAYLOAD_OFFSET);
      c = p + PAYLOAD_RECORD;
      smask = fastMask(len);
    } else if (op == FastOp.MetaL4protoCmpFast) {
      kind = FastCheck.L4proto;
      len = 4;
      c = p + META_RECORD;
    } else if (op == FastOp.MetaCmpFast && load<u8>(p, META_KEY) == MetaKey.Nfproto) {
      kind = FastCheck.Nfproto;
      len = 4;
      c = p + META_RECORD;
    } else if (op == FastOp.MetaCmpFast || op == Op.Meta) {
      // Records that run as they are, without dispatch: a fused meta compare, or an interface name and its compare.
      const key = <i32>load<u8>(p, META_KEY);
      const q = p + META_RECORD;
      if (op == Op.Meta && metaFusable(key) && q < e && load<u8>(q) == FastOp.LookupHashFast) {
        // A meta value looked up in a hash set whose keys cover the value's bytes (the register word is then the key).
        const klen = <u32>load<u8>(setAddr(sets, load<u32>(q, LOOKUP_SET)), SD_KLEN);
        if (klen < metaFusableWidth(key) || lookupCheck(q, load<u8>(p, META_DREG), klen, sets) != FastCheck.Hash) break;
        store<u8>(k, <u8>(FastCheck.Hash | FastCheck.MetaWord), 0);
        store<u8>(k, <u8>klen, 1);
        store<u8>(k, load<u8>(p, META_DREG), 2);
        store<u8>(k, 0, 3);
        store<u32>(k, <u32>key, 4);
        store<u32>(k, 0, 8);
        store<u32>(k, <u32>setAddr(sets, load<u32>(q, LOOKUP_SET)), 12);
        store<u32>(k, fastMask(klen), 16);
        store<u32>(k, 0, 20);
        n++;
        p = q + <usize>load<u16>(q, 2);
        continue;
      }
      if (op == Op.Meta) {
        if ((key != MetaKey.Iifname && key != MetaKey.Oifname) || q >= e) break;
        const cop = <i32>load<u8>(q);
        if ((cop != FastOp.CmpFast && cop != FastOp.CmpWide) || load<u8>(q, CMP_SREG) != load<u8>(p, META_DREG)) break;
        kind = key == MetaKey.Iifname ? FastCheck.Iifname : FastCheck.Oifname;
        len = load<u8>(q, CMP_LEN);
        store<u8>(k, load<u8>(q, CMP_OP) != CmpOp.Eq ? 1 : 0, 3);
        store<u32>(k, <u32>q, 12);
        size = META_RECORD + <usize>load<u16>(q, 2);
      } else {
        kind = FastCheck.Meta;
        len = 0;
        store<u8>(k, 0, 3);
        store<u32>(k, <u32>p, 12);
      }
      store<u8>(k, <u8>kind, 0);
      store<u8>(k, <u8>len, 1);
      store<u8>(k, load<u8>(p, META_DREG), 2);
      // Interface names: masks of the compared bytes in the name's two words (metaCheck compares them in place).
      store<u64>(k, nameMask(len, 0), 4);
      store<u64>(k, nameMask(len, 8), 16);
      n++;
      p += size;
      continue;
    } else break;
    store<u8>(k, <u8>kind, 0);
    store<u8>(k, <u8>len, 1);
    store<u8>(k, load<u8>(p, META_DREG), 2); // PAYLOAD_DREG and META_DREG are both byte 4
    store<u8>(k, load<u8>(c, CMP_OP) != CmpOp.Eq ? 1 : 0, 3);
    store<u32>(k, off, 4);
    store<u32>(k, fastMask(len) & fastMask(load<u8>(c, CMP_LEN)), 8);
    store<u32>(k, load<u32>(c, CMP_DATA), 12);
    store<u32>(k, smask, 16);
    store<u32>(k, sxor, 20);
    n++;
    p += size;
  }
  store<u8>(rule, <u8>n, RU_NCHECKS);
  if (p < e && load<u8>(p) == FastOp.ImmVerdict && p + <usize>load<u16>(p, 2) == e) {
    store<u8>(rule, FastFlags.Verdict, RU_FFLAGS);
    store<u64>(rule, load<u64>(p, IMMEDIATE_DATA), RU_VERDICT);
    p = e;
  } else if (p < e) store<u8>(rule, FastFlags.StoreRegs, RU_FFLAGS);
  store<u32>(rule, <u32>p, RU_TAIL);
}

/** Builds the summaries of every chain's rules, then each guarded rule's skip target within its chain. Runs after specializeRule. */
export function buildFast(rules: usize, chains: usize, nchains: u32, sets: usize): void {
  for (let c: u32 = 0; c < nchains; c++) {
    const ch = chains + <usize>c * CH_SIZE;
    const first = load<u32>(ch, CH_FIRST);
    const last = first + load<u32>(ch, CH_COUNT);
    for (let r = first; r < last; r++) buildRule(rules + <usize>r * RU_SIZE, sets);
    buildRuns(rules, ch);
  }
}

/** A chain's skip targets and scan runs (rule indices: rebuilt whenever its rules move). */
export function buildRuns(rules: usize, ch: usize): void {
  {
    const first = load<u32>(ch, CH_FIRST);
    const last = first + load<u32>(ch, CH_COUNT);
    for (let r = first; r < last; r++) {
      const rule = rules + <usize>r * RU_SIZE;
      store<u32>(rule, 0, RU_SCAN);
      store<u8>(rule, load<u8>(rule, RU_FFLAGS) & ~(<u8>FastFlags.Scan), RU_FFLAGS);
    }
    let skip = last;
    for (let r = last; r > first; r--) {
      const rule = rules + <usize>(r - 1) * RU_SIZE;
      const g = load<u8>(rule, RU_GKIND);
      if (!g) continue;
      if (r < last) {
        const next = rules + <usize>r * RU_SIZE;
        skip = load<u8>(next, RU_GKIND) == g && load<i32>(next, RU_GVAL) == load<i32>(rule, RU_GVAL) ? load<u32>(next, RU_SKIP) : r;
      } else skip = r;
      store<u32>(rule, skip, RU_SKIP);
    }
    // Class advances: from the end, the distance to the next rule whose guard may pass (the chain's end counts as one), at most 255.
    for (let c: u32 = 0; c < GUARD_CLASSES; c++) {
      let to = last;
      for (let r = last; r > first; r--) {
        const rule = rules + <usize>(r - 1) * RU_SIZE;
        store<u8>(rule + RU_NEXT + c, <u8>min<u32>(to - (r - 1), 255));
        if (guardMayPass(rule, c)) to = r - 1;
      }
    }
    // Scan runs: from the end, each rule that can join the next one's run takes its end.
    for (let r = last; r > first; r--) {
      const rule = rules + <usize>(r - 1) * RU_SIZE;
      if (r < last && scannable(rule) && sameScan(rule, rules + <usize>r * RU_SIZE)) {
        const next = rules + <usize>r * RU_SIZE;
        store<u32>(rule, load<u32>(next, RU_SCAN) ? load<u32>(next, RU_SCAN) : r + 1, RU_SCAN);
        store<u8>(rule, load<u8>(rule, RU_FFLAGS) | FastFlags.Scan, RU_FFLAGS);
      }
    }
  }
}

/** A rule that can be part of a scan run: inline verdict, one eq check. */
function scannable(rule: usize): bool {
  return (load<u8>(rule, RU_FFLAGS) & (FastFlags.Verdict | FastFlags.StoreRegs)) == FastFlags.Verdict && load<u8>(rule, RU_NCHECKS) == 1 && load<u8>(rule, RU_CHECKS + 3) == 0 && <i32>load<u8>(rule, RU_CHECKS) <= FastCheck.L4proto;
}

/** Same guard, same check (kind, length, offset, mask): the rules differ only in the compared data and the verdict. */
function sameScan(a: usize, b: usize): bool {
  if (!scannable(b)) return false;
  if (load<u8>(a, RU_GKIND) != load<u8>(b, RU_GKIND) || load<i32>(a, RU_GVAL) != load<i32>(b, RU_GVAL)) return false;
  const ka = a + RU_CHECKS;
  const kb = b + RU_CHECKS;
  return load<u32>(ka) == load<u32>(kb) && load<u32>(ka, 4) == load<u32>(kb, 4) && load<u32>(ka, 8) == load<u32>(kb, 8);
}

/**
 * fastRule of a rule in a scan run ending at `end`: the check's value is
 * loaded once, the run's rules compared with it in order. The rule itself
 * matching: its verdict. Another one matching, or none: FAST_SKIP to it (to
 * the run's end), the rules in between BREAK as their records would.
 */
function fastScan(rule: usize, r: u32, end: u32, nh: usize, th: usize, pend: usize, l4: i32, nfp: i32): i32 {
  const k = rule + RU_CHECKS;
  const kind = <i32>load<u8>(k);
  let raw: u32;
  if (kind <= FastCheck.Transport) {
    const start = kind ? th : nh;
    const p = start + <usize>load<u32>(k, 4);
    if (start == 0 || p + <usize>load<u8>(k, 1) > pend) {
      fastAt = end;
      return FAST_SKIP;
    }
    raw = load<u32>(p);
  } else if (kind == FastCheck.Nfproto) raw = <u32>nfp;
  else {
    if (l4 < 0) {
      fastAt = end;
      return FAST_SKIP;
    }
    raw = <u32>l4;
  }
  const m = raw & load<u32>(k, 8);
  if (m == load<u32>(k, 12)) {
    const v = load<u64>(rule, RU_VERDICT);
    store<u64>(regs, v);
    return <i32>v;
  }
  let j = r + 1;
  let q = rtRules + <usize>j * RU_SIZE + RU_CHECKS + 12;
  while (j < end && load<u32>(q) != m) {
    j++;
    q += RU_SIZE;
  }
  fastAt = j;
  return FAST_SKIP;
}

/**
 * Runs the summary of `rule`: FAST_SKIP (guard failed), Verdict.Break (a
 * check failed), FAST_TAIL (run the records from RU_TAIL) or the inline
 * verdict (words 0..1 stored). `nh`, `th`, `pend`, `l4` as in doChain; `nfp`
 * the packet's nfproto; `iifA`, `iifB` the input interface's name (zeros without one).
 */
@inline export function fastRule(rule: usize, r: u32, nh: usize, th: usize, pend: usize, l4: i32, nfp: i32, iifA: u64, iifB: u64): i32 {
  // RU_GKIND, RU_FFLAGS, RU_NCHECKS, RU_GDREG in one word.
  const h = load<u32>(rule, RU_GKIND);
  const gk = h & 0xff;
  const flags = (h >> 8) & 0xff;
  // Not in the generation this packet sees: as if absent.
  if (flags & genSkip) {
    fastAt = r + 1;
    return FAST_SKIP;
  }
  if (gk) {
    const gv = gk == <u32>FastGuard.L4proto ? l4 : nfp;
    if (gv != load<i32>(rule, RU_GVAL)) {
      fastAt = load<u32>(rule, RU_SKIP);
      return FAST_SKIP;
    }
    if (flags & FastFlags.StoreRegs) store<u32>(regs + (<usize>(h >> 24) << 2), <u32>gv);
  }
  if (flags & FastFlags.Scan) return fastScan(rule, r, load<u32>(rule, RU_SCAN), nh, th, pend, l4, nfp);
  let n = (h >> 16) & 0xff;
  let k = rule + RU_CHECKS;
  while (n) {
    const kind = <i32>load<u8>(k);
    const src = kind & 0xf;
    let raw: u32;
    if (src <= FastCheck.Transport) {
      const start = src ? th : nh;
      const p = start + <usize>load<u32>(k, 4);
      if (start == 0 || p + <usize>load<u8>(k, 1) > pend) return Verdict.Break;
      // A word read: packet bytes are never the last bytes of memory (as evalPayloadCmpFast).
      raw = load<u32>(p);
    } else if (src == FastCheck.Nfproto) raw = <u32>nfp;
    else if (src == FastCheck.MetaWord) {
      const w = metaFusableWord(load<u8>(k, 4), l4);
      if (w < 0) return Verdict.Break;
      raw = <u32>w;
    } else if (src == FastCheck.L4proto) {
      if (l4 < 0) return Verdict.Break;
      raw = <u32>l4;
    } else {
      if (!metaCheck(k, kind, (flags & FastFlags.StoreRegs) != 0, iifA, iifB)) return Verdict.Break;
      k += RU_CHECK_SIZE;
      n--;
      continue;
    }
    if (kind >= FastCheck.Range) {
      const w = raw & load<u32>(k, 16);
      if (flags & FastFlags.StoreRegs) store<u32>(regs + (<usize>load<u8>(k, 2) << 2), w);
      const v = bswap<u32>(w & load<u32>(k, 20));
      if (v < load<u32>(k, 8) || v > load<u32>(k, 12)) return Verdict.Break;
    } else if (kind >= FastCheck.Hash) {
      if (!setCheck(k, kind, raw)) return Verdict.Break;
    } else {
      if (flags & FastFlags.StoreRegs) store<u32>(regs + (<usize>load<u8>(k, 2) << 2), (raw & load<u32>(k, 16)) ^ load<u32>(k, 20));
      if (((raw & load<u32>(k, 8)) == load<u32>(k, 12)) == <bool>load<u8>(k, 3)) return Verdict.Break;
    }
    k += RU_CHECK_SIZE;
    n--;
  }
  if (flags & FastFlags.Verdict) {
    const v = load<u64>(rule, RU_VERDICT);
    store<u64>(regs, v);
    return <i32>v;
  }
  return FAST_TAIL;
}

/** The mask of the first `len` (1..16) bytes of a 16-byte name, in its little-endian word at byte `at` (0 or 8). */
function nameMask(len: u32, at: u32): u64 {
  if (len <= at) return 0;
  const n = len - at;
  return n >= 8 ? <u64>-1 : (<u64>1 << (<u64>n << 3)) - 1;
}

/** A FastCheck.Meta / Iifname / Oifname check: true when it passes; `storeRegs`: a tail may read the name's registers. */
@inline function metaCheck(k: usize, kind: i32, storeRegs: bool, iifA: u64, iifB: u64): bool {
  if (kind == FastCheck.Meta) return evalMetaCmpFast(<usize>load<u32>(k, 12));
  // storeName of nft_meta_get_eval, then the compare (memcmp of its length): the name's two words, masked, against the cmp data.
  let a = iifA;
  let b = iifB;
  if (kind == FastCheck.Oifname) {
    const e = ifaceOf(pOif);
    a = e ? load<u64>(e + IFACE_NAME) : 0;
    b = e ? load<u64>(e + IFACE_NAME, 8) : 0;
  }
  if (storeRegs) {
    const d = regs + (<usize>load<u8>(k, 2) << 2);
    store<u64>(d, a);
    store<u64>(d, b, 8);
  }
  // The cmp record's data: 16 readable bytes (the code copy is never the last bytes of memory), the rest masked off.
  const c = <usize>load<u32>(k, 12) + CMP_DATA;
  const diff = ((a ^ load<u64>(c)) & load<u64>(k, 4)) | ((b ^ load<u64>(c, 8)) & load<u64>(k, 16));
  return (diff == 0) != <bool>load<u8>(k, 3);
}

/** Interval sets this small are scanned in the rule loop (a call from it costs the loop's registers). */
const SMALL_INTERVALS: u32 = 16;

/**
 * setLookup of a 4-byte key (`raw`, also at `d`) in an Interval set: as
 * intervalLookup, the last entry ≤ the key must start an interval and be
 * live; a small set counts its entries ≤ the key in place.
 */
@inline function intervalCheck(sd: usize, d: usize, raw: u32): bool {
  const n = load<u32>(sd, SD_COUNT);
  if (n > SMALL_INTERVALS) return setLookup(sd, d, pTstamp) != 0;
  const x = bswap<u32>(raw);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  let c: usize = 0;
  let p = entries;
  for (let i: u32 = 0; i < n; i++) {
    c += <usize>(bswap<u32>(load<u32>(p)) <= x);
    p += stride;
  }
  if (!c) return false;
  const e = entries + (c - 1) * stride;
  return !(entryFlags(sd, e) & EntryFlags.IntervalEnd) && entryLive(sd, e, pTstamp);
}

/** A set membership check of the loaded word `raw`: the key in its register, as the payload record leaves it, then the set. */
@inline function setCheck(k: usize, kind: i32, raw: u32): bool {
  const d = regs + (<usize>load<u8>(k, 2) << 2);
  store<u32>(d, raw & load<u32>(k, 16));
  const sd = <usize>load<u32>(k, 12);
  if (!(kind & FastCheck.Hash)) return intervalCheck(sd, d, raw);
  // hashLookup of a key of ≤ 4 bytes, the key word in a local.
  const x = raw & load<u32>(k, 16);
  let h = (x ^ (x >> 16)) * 0x7feb352d;
  h = (h ^ (h >> 15)) * 0x846ca68b;
  h ^= h >> 16;
  const mask = load<u32>(sd, SD_MASK);
  const buckets = <usize>load<u32>(sd, SD_BUCKETS);
  const entries = <usize>load<u32>(sd, SD_ENTRIES) - <usize>load<u16>(sd, SD_ESTRIDE);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  const km = load<u32>(k, 16);
  let i = h & mask;
  for (let n: u32 = 0; n <= mask; n++) {
    const v = load<u32>(buckets + (<usize>i << 2));
    if (v == 0) return false;
    if (v != 0xffffffff) {
      const e = entries + <usize>v * stride;
      if (((load<u32>(e) ^ x) & km) == 0) {
        return entryLive(sd, e, pTstamp);
      }
    }
    i = (i + 1) & mask;
  }
  return false;
}
