// The verifier (kernel: nf_tables_newrule's expression init, nft_parse_register_*,
// nft_validate_register_*, nft_verdict_init): table-driven from abi.ts — known
// opcode, record size by OPS, register operands by REG_OPERANDS (bounds, no
// store into the verdict unless verdict data, no load of a word the rule has
// not written) — then each instruction file's own check.
// `unknown opcode 0x2a at insn 3 of rule handle 7` starts here.

import {
  ChainFlags, CT_KEY_LEN, FIB_RESULT_LEN, Family, LoadError, META_KEY_LEN, NONE8, NONE32, NFT_REG32_NUM, Op, OPS, OP_COUNT, RegLen,
  RegRole, REG_OPERANDS, HASH_TYPE, HashType, REG_OPERAND_COLS, RT_KEY_LEN, SetData, SetFlags, Tail, Verdict, DYNSET_EXPR_COUNT, VM_STATE_SLOT_SIZE,
  ObjectType, OBJREF_TYPE, OBJREF_OBJ, LOOKUP_SET, NUMGEN_TYPE, NumgenType,
} from './abi';
import { CH_FAMILY, CH_FLAGS, CH_GEN, CH_SIZE, CH_TABLE, RuleGen, OB_SIZE, OB_TYPE, SD_DATA_KIND, SD_DLEN, SD_EXPRS, SD_FLAGS, SD_GEN, SD_KLEN, SD_TABLE } from './layout';
import { loadFail, sharedMemory } from './mem';
import { setAddr } from './set/set';
import { checkBitwise } from './insn/bitwise';
import { checkByteorder } from './insn/byteorder';
import { checkCmp } from './insn/cmp';
import { checkDynset } from './insn/dynset';
import { checkExthdr, checkExthdrSet } from './insn/exthdr';
import { checkFib } from './insn/fib';
import { checkRt } from './insn/rt';
import { checkSocket } from './insn/socket';
import { checkOsf } from './insn/osf';
import { checkXfrm } from './insn/xfrm';
import { checkDup, checkFwd } from './insn/fwd';
import { checkTproxy } from './insn/tproxy';
import { checkHash } from './insn/hash';
import { checkImmediate } from './insn/immediate';
import { checkLimit } from './insn/limit';
import { checkLookup } from './insn/lookup';
import { checkMeta, checkMetaSet } from './insn/meta';
import { checkCt, checkCtSet } from './insn/ct';
import { ctc } from './ct/entry';
import { checkCtHelperObj } from './ct/helper-ftp';
import { checkCtTimeoutObj } from './ct/timeout-policy';
import { checkNumgen } from './insn/numgen';
import { checkObjref, checkObjrefMap } from './insn/objref';
import { checkPayload, checkPayloadSet } from './insn/payload';
import { checkQueue } from './insn/queue';
import { checkRange } from './insn/range';
import { checkReject } from './insn/reject';

// What the instruction being checked may refer to (set by the loader).
/** Chain records of the ruleset being loaded. */
export let vChains: usize = 0;
/** Number of chains. */
export let vNchains: u32 = 0;
/** Set descriptors of the ruleset being loaded. */
export let vSets: usize = 0;
/** Number of sets. */
export let vNsets: u32 = 0;
/** Object records of the ruleset being loaded. */
export let vObjects: usize = 0;
/** Number of objects. */
export let vNobjects: u32 = 0;
/** Table of the rule (or set) being checked. */
export let vTable: u32 = 0;
/** Family of that table. */
export let vFamily: u32 = 0;
/** The rule's anonymous sets: first index and count. */
export let vSetFirst: u32 = 0;
/** Number of the rule's anonymous sets. */
export let vSetCount: u32 = 0;
/** State slots of the ruleset being loaded, and the next free one. */
export let vState: usize = 0;
/** Next free state slot. */
export let vStateNext: u32 = 0;
/** Number of state slots available. */
export let vStateCap: u32 = 0;
/** Free state slot indices a commit takes from before vStateNext (u32 each; commit.ts), and how many. */
let vStateFree: usize = 0;
export let vStateNfree: u32 = 0;
/** Data words written so far in this rule (bit w = word w). */
let vInited: u32 = 0;
/** Size of the record just verified. */
export let vSize: u32 = 0;
/** Families whose packets conntrack tracks because a rule uses it (bit Family.Ipv4, bit Family.Ipv6). */
export let vCtFamilies: u32 = 0;

/** Sets what the ruleset being loaded holds. */
export function verifyBegin(chains: usize, nchains: u32, sets: usize, nsets: u32, objects: usize, nobjects: u32, state: usize, stateCap: u32): void {
  vChains = chains;
  vNchains = nchains;
  vSets = sets;
  vNsets = nsets;
  vObjects = objects;
  vNobjects = nobjects;
  vState = state;
  vStateCap = stateCap;
  vStateNext = 0;
  vStateNfree = 0;
  vCtFamilies = 0;
}

/** Continues a loaded ruleset (commit.ts): its next state slot, the `nfree` free slot indices at `free`, and the ct families its rules track. */
export function verifyResume(stateNext: u32, free: usize, nfree: u32, ctFamilies: u32): void {
  vStateNext = stateNext;
  vStateFree = free;
  vStateNfree = nfree;
  vCtFamilies = ctFamilies;
}

/** Starts a rule (or a set's elements): its table and anonymous sets; no register written yet. */
export function verifyRule(table: u32, family: u32, setFirst: u32, setCount: u32): void {
  vTable = table;
  vFamily = family;
  vSetFirst = setFirst;
  vSetCount = setCount;
  vInited = 0;
}

/** nft_verdict_init: the codes userspace may send; jump/goto to a regular chain of the same table. */
export function checkVerdict(code: i32, chain: u32): i32 {
  switch (code) {
    case Verdict.Accept: case Verdict.Drop: case Verdict.Queue:
    case Verdict.Continue: case Verdict.Break: case Verdict.Return:
      return 0;
    case Verdict.Jump: case Verdict.Goto: {
      if (chain >= vNchains) return loadFail(LoadError.BadChain, chain);
      const c = vChains + <usize>chain * CH_SIZE;
      if (load<u32>(c, CH_TABLE) != vTable) return loadFail(LoadError.OtherTable, chain, 1);
      if (load<u8>(c, CH_FLAGS) & ChainFlags.Base) return loadFail(LoadError.JumpToBase, chain);
      // A free record (an in-place commit deleted its chain: commit.ts) is no chain.
      if (load<u8>(c, CH_GEN) == <u8>RuleGen.Dead) return loadFail(LoadError.BadChain, chain);
      return 0;
    }
  }
  return loadFail(LoadError.BadVerdict, <u32>code);
}

/** A set reference from a rule: exists, same table, and an anonymous set only if the rule owns it. */
export function checkSetRef(k: u32): i32 {
  if (k >= vNsets) return loadFail(LoadError.BadSet, k);
  const sd = setAddr(vSets, k);
  // A free descriptor (an in-place commit's set died: commit.ts) is no set.
  if (load<u8>(sd, SD_GEN) == <u8>RuleGen.Dead) return loadFail(LoadError.BadSet, k);
  if (load<u32>(sd, SD_TABLE) != vTable) return loadFail(LoadError.OtherTable, k, 2);
  if (load<u32>(sd, SD_FLAGS) & SetFlags.Anonymous && (k < vSetFirst || k >= vSetFirst + vSetCount)) return loadFail(LoadError.BadSet, k);
  return 0;
}

/** Allocates a state slot for a limit or numgen record (a free one a dead rule left first): its index, -1 when none is left. */
function stateSlot(): i32 {
  // checkLimit and checkNumgen set every byte the slot's record reads.
  if (vStateNfree) return <i32>load<u32>(vStateFree + <usize>(--vStateNfree) * 4);
  if (vStateNext >= vStateCap) return -1;
  vStateNext++;
  return <i32>(vStateNext - 1);
}

/** Whether this VM executes `op` (anything else fails the load, never matches silently). */
export function vmSupports(op: u32): bool {
  switch (op) {
    case Op.Payload: case Op.PayloadSet: case Op.Cmp: case Op.Range: case Op.Bitwise: case Op.Byteorder:
    case Op.Meta: case Op.MetaSet: case Op.Immediate: case Op.Lookup: case Op.Dynset: case Op.Counter:
    case Op.Limit: case Op.Quota: case Op.Log: case Op.Reject: case Op.Notrack: case Op.Queue:
    case Op.Objref: case Op.Exthdr: case Op.Fib: case Op.Numgen: case Op.Hash:
    case Op.Rt: case Op.Socket: case Op.Osf: case Op.Xfrm: case Op.ExthdrSet: case Op.Fwd: case Op.Dup: case Op.Last: case Op.Tproxy: case Op.ObjrefMap:
    case Op.Ct: case Op.CtSet: case Op.Nat: case Op.Masq: case Op.Redir:
      return true;
  }
  return false;
}

/** Bytes a record of `op` must have, given its fixed part at `p` (OPS[op].size ≤ avail checked by the caller). */
function recordNeed(p: usize, op: u32, avail: u32): u32 {
  const info = OPS[op];
  let need = <u32>info.size;
  const tail = info.tail;
  if (tail == Tail.Data) need += (<u32>load<u8>(p + info.lenAt) + 3) & ~3;
  else if (tail == Tail.Data2) need += ((<u32>load<u8>(p + info.lenAt) + 3) & ~3) << 1;
  else if (tail == Tail.Bitwise) need += load<u8>(p, 7) == 0 ? ((<u32>load<u8>(p + info.lenAt) + 3) & ~3) << 1 : 4;
  else if (tail == Tail.Nested) {
    // Nested records (dynset expressions): each a whole record of a non-nested opcode.
    const n = <u32>load<u8>(p, DYNSET_EXPR_COUNT);
    for (let i: u32 = 0; i < n; i++) {
      if (need + 4 > avail) return 0xffffffff;
      const q = p + need;
      const nop = <u32>load<u8>(q);
      const nsize = <u32>load<u16>(q, 2);
      if (nop == 0 || nop >= <u32>OP_COUNT || OPS[nop].tail == Tail.Nested || nsize < <u32>OPS[nop].size || nsize & 3 || need + nsize > avail) return 0xffffffff;
      if (recordNeed(q, nop, nsize) != nsize) return 0xffffffff;
      need += nsize;
    }
  }
  return need;
}

/** Checks the record size of the record at `p` with `avail` bytes left; sets vSize. */
export function checkRecordSize(p: usize, avail: u32): i32 {
  if (avail < 4) return loadFail(LoadError.Truncated, 0);
  const op = <u32>load<u8>(p);
  if (op == 0 || op >= <u32>OP_COUNT) return loadFail(LoadError.UnknownOpcode, op);
  const size = <u32>load<u16>(p, 2);
  if (size < <u32>OPS[op].size || size & 3 || size > avail) return loadFail(LoadError.RecordSize, op, size, OPS[op].size);
  const need = recordNeed(p, op, size);
  if (need != size) return loadFail(LoadError.RecordSize, op, size, need);
  vSize = size;
  return 0;
}

/** Register length of one REG_OPERANDS row for the record at `p`. */
function regLen(p: usize, kind: i32, arg: i32): i32 {
  switch (kind) {
    case RegLen.Fixed: return arg;
    case RegLen.U8At: return load<u8>(p + arg);
    case RegLen.MetaKey: return META_KEY_LEN[load<u8>(p, 5)];
    case RegLen.SetKey: return load<u8>(setAddr(vSets, load<u32>(p + arg)), SD_KLEN);
    case RegLen.SetData: {
      const sd = setAddr(vSets, load<u32>(p + arg));
      return load<u8>(sd, SD_DATA_KIND) == SetData.Verdict ? 8 : load<u8>(sd, SD_DLEN);
    }
    case RegLen.FibResult: {
      const r = <i32>load<u8>(p, 5);
      return r < 4 ? FIB_RESULT_LEN[r] : 0;
    }
    case RegLen.Addr: {
      const f = arg ? <u32>load<u8>(p + arg) : vFamily;
      return f == Family.Ipv6 ? 16 : 4;
    }
    case RegLen.CtKey: {
      const k = <i32>load<u8>(p, 5);
      return k < 24 ? (CT_KEY_LEN[k] ? CT_KEY_LEN[k] : vFamily == Family.Ipv4 ? 4 : 16) : 0;
    }
    case RegLen.HashSreg: return load<u8>(p, HASH_TYPE) == HashType.Sym ? -1 : <i32>load<u8>(p + arg);
    case RegLen.RtKey: {
      const k = <i32>load<u8>(p, 5);
      return k < 5 ? RT_KEY_LEN[k] : 0;
    }
  }
  return 0;
}

/** Register operands of the record at `p` (opcode `op` as in the image). */
function checkRegisters(p: usize, op: i32): i32 {
  for (let r = 0; r < REG_OPERANDS.length; r += REG_OPERAND_COLS) {
    if (REG_OPERANDS[r] != op) continue;
    const w = <u32>load<u8>(p + REG_OPERANDS[r + 1]);
    const role = REG_OPERANDS[r + 2];
    if (w == NONE8 && role & RegRole.Optional) continue;
    const l = regLen(p, REG_OPERANDS[r + 3], REG_OPERANDS[r + 4]);
    if (l < 0) continue; // no such operand in this mode
    const len = <u32>l;
    const base = role & ~RegRole.Optional;
    if (base == RegRole.StoreVerdict) {
      const verdictData = op == Op.Immediate ? len == 8 && w == 0 : load<u8>(setAddr(vSets, load<u32>(p + REG_OPERANDS[r + 4])), SD_DATA_KIND) == SetData.Verdict;
      if (verdictData) {
        if (w != 0) return loadFail(LoadError.VerdictRegister, w, len);
        continue;
      }
    }
    if (len == 0 || w >= <u32>NFT_REG32_NUM || w * 4 + len > <u32>NFT_REG32_NUM * 4) return loadFail(LoadError.BadRegister, w, len);
    if (w < 4) return loadFail(LoadError.VerdictRegister, w, len);
    const nw = (len + 3) >> 2;
    const mask = ((<u32>1 << nw) - 1) << w;
    if (base == RegRole.Load) {
      if ((vInited & mask) != mask) return loadFail(LoadError.UninitRegister, w, len);
    } else vInited |= mask;
  }
  return 0;
}

/** The per-instruction checks of the instruction files (nft_*_init); may specialise the record. */
function checkOp(p: usize, op: u32): i32 {
  switch (op) {
    case Op.Payload: return checkPayload(p);
    case Op.PayloadSet: return checkPayloadSet(p);
    case Op.Cmp: return checkCmp(p);
    case Op.Range: return checkRange(p);
    case Op.Bitwise: return checkBitwise(p);
    case Op.Byteorder: return checkByteorder(p);
    case Op.Meta: return checkMeta(p);
    case Op.MetaSet: return checkMetaSet(p);
    case Op.Immediate: return checkImmediate(p);
    case Op.Lookup: return checkLookup(p);
    case Op.Dynset: return checkDynset(p);
    case Op.Reject: return checkReject(p);
    case Op.Queue: return checkQueue(p);
    case Op.Objref: return checkObjref(p);
    case Op.ObjrefMap: return checkObjrefMap(p);
    case Op.Exthdr: return checkExthdr(p);
    case Op.ExthdrSet: return checkExthdrSet(p);
    case Op.Fib: return checkFib(p);
    case Op.Hash: return checkHash(p);
    case Op.Rt: return checkRt(p);
    case Op.Socket: return checkSocket(p);
    case Op.Osf: return checkOsf(p);
    case Op.Xfrm: return checkXfrm(p);
    case Op.Fwd: return checkFwd(p);
    case Op.Dup: return checkDup(p);
    case Op.Tproxy: return checkTproxy(p);
    case Op.Ct: return checkCt(p);
    case Op.CtSet: return checkCtSet(p);
    case Op.Limit: case Op.Numgen: {
      const k = stateSlot();
      if (k < 0) return loadFail(LoadError.OutOfMemory, vStateNext + 1, vStateCap);
      const s = vState + <usize>k * VM_STATE_SLOT_SIZE;
      return op == Op.Limit ? checkLimit(p, s, <u32>k) : checkNumgen(p, s, <u32>k);
    }
  }
  return 0;
}

/** Verifies one instruction record at `p` with `avail` bytes left in the rule; vSize = its size. */
export function verifyInsn(p: usize, avail: u32): i32 {
  let err = checkRecordSize(p, avail);
  if (err) return err;
  const op = <u32>load<u8>(p);
  if (!vmSupports(op)) return loadFail(LoadError.Unsupported, op);
  const ctObj = op == Op.Objref && (load<u8>(p, OBJREF_TYPE) == ObjectType.CtTimeout || load<u8>(p, OBJREF_TYPE) == ObjectType.CtHelper);
  if (op == Op.Ct || op == Op.CtSet || op == Op.Nat || op == Op.Masq || op == Op.Redir || ctObj) {
    // A ct or nat expression registers conntrack for its table's families (nf_ct_netns_get).
    if (!ctc) return loadFail(LoadError.NoConntrack, op);
    ctUser(vFamily);
  }
  // The instruction's own checks first: they validate the set a register length depends on.
  err = checkOp(p, op);
  if (err) return err;
  if (sharedMemory() && updatesState(p, op)) return loadFail(LoadError.SharedState, op);
  if (op == Op.Dynset) {
    err = checkDynsetExprs(p);
    if (err) return err;
  }
  return checkRegisters(p, op);
}

/**
 * The record updates state that packets share (a limit's tokens, a quota,
 * a numgen counter, set elements and their expressions, a quota or limit
 * object): evaluators on several threads would race on it. Counters are
 * atomic (insn/counter.ts) and may stay.
 */
function updatesState(p: usize, op: u32): bool {
  if (op == Op.Limit || op == Op.Quota || op == Op.Dynset || op == Op.Connlimit || op == Op.ObjrefMap) return true;
  if (op == Op.Numgen) return load<u8>(p, NUMGEN_TYPE) == NumgenType.Incremental;
  if (op == Op.Lookup) return load<u32>(setAddr(vSets, load<u32>(p, LOOKUP_SET)), SD_EXPRS) != 0;
  if (op == Op.Objref) return load<u8>(vObjects + <usize>load<u32>(p, OBJREF_OBJ) * OB_SIZE, OB_TYPE) != ObjectType.Counter;
  return false;
}

/** A dynset's element expressions (nft_dynset_init: stateful ones): counter, quota, limit, last, each with its own checks. */
function checkDynsetExprs(p: usize): i32 {
  const n = <u32>load<u8>(p, DYNSET_EXPR_COUNT);
  let q = p + <usize>OPS[Op.Dynset].size;
  for (let i: u32 = 0; i < n; i++) {
    const nop = <u32>load<u8>(q);
    if (nop != Op.Counter && nop != Op.Quota && nop != Op.Limit && nop != Op.Last) return loadFail(LoadError.UnsupportedKey, Op.Dynset, 0x100 | nop);
    const err = checkOp(q, nop);
    if (err) return err;
    q += load<u16>(q, 2);
  }
  return 0;
}

/** Verifies an object's state record (a counter, quota or limit of the object's type). */
export function verifyState(p: usize, avail: u32, type: u32, family: u32 = 0): i32 {
  const err = checkRecordSize(p, avail);
  if (err) return err;
  const op = <u32>load<u8>(p);
  const want = type == 1 ? Op.Counter : type == 2 ? Op.Quota : type == 4 ? Op.Limit : type == 7 ? Op.CtTimeoutObj : type == 3 ? Op.CtHelperObj : 0;
  if (op != want) return loadFail(LoadError.BadOperand, op, 0, type);
  if (op == Op.CtTimeoutObj || op == Op.CtHelperObj) {
    // The object itself is a conntrack user of its table's families (its init calls nf_ct_netns_get).
    if (!ctc) return loadFail(LoadError.NoConntrack, op);
    ctUser(family);
    return op == Op.CtTimeoutObj ? checkCtTimeoutObj(p) : checkCtHelperObj(p);
  }
  return checkOp(p, op);
}

/** Conntrack is in use for `family` (Family.*; inet = IPv4 and IPv6). */
function ctUser(family: u32): void {
  vCtFamilies |= family == Family.Inet ? (1 << Family.Ipv4) | (1 << Family.Ipv6) : family == Family.Ipv4 || family == Family.Ipv6 ? <u32>1 << family : 0;
}

/** Chain record `k` of the ruleset being loaded. */
@inline export function chainAt(k: u32): usize {
  return vChains + <usize>k * CH_SIZE;
}

/** The family a chain's table has. */
@inline export function chainFamily(k: u32): u32 {
  return load<u8>(chainAt(k), CH_FAMILY);
}

/** NONE32 re-exported for the loader's convenience. */
export const NO_INDEX: u32 = NONE32;
