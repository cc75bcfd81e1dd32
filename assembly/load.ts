// The loader (kernel counterpart: a whole nfnetlink batch and its commit,
// nf_tables_api.c): validates a bytecode image (docs/bytecode.md) written
// into the image buffer and builds the runtime ruleset (layout.ts) in the
// inactive slot; only a fully verified ruleset is activated, in one switch.
// A refused image leaves the active ruleset untouched; VM_ERR_* say why.

import {
  BC_HEADER_SIZE, BC_MAGIC, BC_SECTION_ENTRY_SIZE, BC_VERSION_MAJOR, BC_VERSION_MINOR, ChainFlags, ChainType, CHAIN_DEVICES, CHAIN_FLAGS, CHAIN_HANDLE,
  CHAIN_HOOK, CHAIN_NAME, CHAIN_POLICY, CHAIN_PRIO, CHAIN_RECORD_SIZE, CHAIN_TABLE, CHAIN_TYPE, ElemHas, ELEM_DATA_LEN, ELEM_FLAGS, ELEM_HAS,
  ELEM_EXPR_COUNT, ELEM_KEY, ELEM_KEY_COUNT, ELEM_SIZE, Family, HDR_MAGIC, HDR_SECTIONS, HDR_SIZE, HDR_VERSION_MAJOR, HDR_VERSION_MINOR, IMMEDIATE_DREG,
  DYNSET_EXPR_COUNT, DYNSET_SET, IMMEDIATE_VERDICT_CHAIN, IMMEDIATE_VERDICT_CODE, LoadError, LoadWhere, LOOKUP_DREG, LOOKUP_SET, NFT_JUMP_STACK_SIZE, NONE32, NONE8,
  OBJ_RECORD_SIZE, OBJ_STATE, OBJ_TABLE, OBJ_TYPE, Op, RULE_CHAIN, RULE_CODE, RULE_CODE_SIZE, RULE_COMMENT, RULE_HANDLE, RULE_RECORD_SIZE, RULE_SET_COUNT,
  RULE_SET_FIRST, SECTION_COUNT, SEC_COUNT, SEC_ID, SEC_OFFSET, SEC_SIZE, SetData, SetElemFlags, SetFlags, SetHas, SET_DATA_KIND,
  SET_DATA_LEN, SET_ELEM_COUNT, SET_ELEM_OFFSET, SET_FIELD_COUNT, SET_FIELD_LEN, SET_FIELD_MAX, SET_FLAGS, SET_HAS, SET_NAME, SET_OBJ_TYPE,
  CTC_FAMILIES, SET_RECORD_SIZE, SET_SIZE, SET_TABLE, SET_TIMEOUT, TABLE_FAMILY, TABLE_FLAGS, TABLE_NAME, TABLE_RECORD_SIZE, TableFlags, Verdict, VM_ACTIVE, VM_CODE,
  VM_ERR_INSN, VM_STATE_SLOT_SIZE,
} from './abi';
import {
  CH_COUNT, CH_DEVICES, CH_FAMILY, CH_FIRST, CH_FLAGS, CH_HANDLE, CH_HOOK, CH_POLICY, CH_PRIO, CH_SIZE, CH_TABLE, CH_LEVEL, CH_WORK, EntryFlags,
  HOOK_NUM, HOOK_SLOTS, HOOK_SLOT_ARP, HOOK_SLOT_BRIDGE, HOOK_SLOT_IPV4, HOOK_SLOT_IPV6, HOOK_SLOT_NETDEV, OB_SIZE, OB_STATE, OB_TABLE,
  OB_TYPE, RS_CHAINS, RS_CODE, RS_CODE_SIZE, RS_HOOKS, HOOK_LIST_AT, RS_NCHAINS, RS_NOBJECTS, RS_NRULES, RS_NSETS, RS_NSTATE,
  RS_NTABLES, RS_OBJECTS, RS_OBJ_CAP, RS_TABLE_CAP, RS_RULES, RS_RULE_CAP, RS_CHAIN_CAP, RS_RULE_TOP, RS_SET_CAP, RS_STATE_FREE, RS_STATE_NEXT, RS_TOP, RS_END, RS_WASTE, CH_CAP, RS_SETS, RS_SIZE, RS_STATE, RS_STRINGS, RS_TABLES, RU_CHAIN, RU_CODE, RU_END, RU_HANDLE, RU_SETS, RU_SIZE,
  SD_BUCKETS, SD_CAPACITY, SD_CATCHALL, SD_COUNT, SD_DATA_AT, SD_DATA_KIND, SD_DLEN, SD_EFLAGS_AT, SD_ENTRIES, SD_ESTRIDE,
  SD_EXPIRES_AT, SD_EXPRS, SD_OBJ_TYPE, SD_XSTRIDE, SD_FIELD_LEN, SD_FLAGS, SD_KEYEND_AT, SD_KIND, SD_KLEN, SD_KSTRIDE, SD_LIVE, SD_MASK, SD_NFIELDS, SD_MEM_END, SD_SIZE,
  SD_TABLE, SD_TIMEOUT, SetKind, TB_FAMILY, TB_FLAGS, TB_FLAGS_NEXT, TB_SIZE, CH_HOOK_OFF,
} from './layout';
import { activate, ctl, image, imageCap, loadFail, loadWhere, slot0, slot1, slotCap, rtRuleset, generationStep } from './mem';
import { EXPIRES_RELATIVE, hashAdd, setAddr, setEpochReset, sortEntries } from './set/set';
import { specializeRule } from './specialize';
import { dynsetExprBytes } from './insn/dynset';
import { checkLimit, LIMIT_STATE_SIZE } from './insn/limit';
import { buildFast } from './fast';
import { checkRecordSize, checkVerdict, verifyBegin, verifyInsn, verifyRule, verifyState, vCtFamilies, vSize, vStateNext } from './verify';
import { ctc } from './ct/entry';
import { height, jumpWalkBegin, raiseFromBase } from './jumps';
import { CH_FLAG_NAT, RuleGen } from './layout';

/** Spare state slots, set descriptors and rule slots a load leaves for in-place commits (commit.ts). */
const SPARE_STATE: u32 = 64;
const SPARE_SETS: u32 = 64;
const SPARE_RULES: u32 = 64;
/** Chain records kept free for chains in-place commits add (commit.ts txAddChain), and each one's rule room. */
const SPARE_CHAINS: u32 = 64;
/** Table records kept free for tables in-place commits add (commit.ts txAddTable). */
const SPARE_TABLES: u32 = 16;
/** Object records kept free for named objects in-place commits add (commit.ts txAddObject). */
const SPARE_OBJECTS: u32 = 64;
/** Rule slots a chain gets at least. */
const CHAIN_ROOM_MIN: u32 = 8;
/** Rule slots for a chain of `n` rules: room to append an eighth more (and CHAIN_ROOM_MIN) before it must move. */
export function chainRoom(n: u32): u32 {
  return n + (n >> 3) + CHAIN_ROOM_MIN;
}

/** Default capacity of a set the packet path may add to, when it declares no size. */
const DYN_SET_CAPACITY: u32 = 1024;
/** Largest set capacity. */
const SET_CAPACITY_MAX: u32 = 1 << 20;

// Sections of the image being loaded: file offset, size, record count (index = Section id).
// Made by loadInit, not at start: an evaluator instance attached to a shared
// memory runs the start function again, and must not clear these.
export let secOff = changetype<StaticArray<u32>>(0);
export let secSize = changetype<StaticArray<u32>>(0);
export let secCount = changetype<StaticArray<u32>>(0);

/** Makes the loader's tables (once, from init()). */
export function loadInit(): void {
  secOff = new StaticArray<u32>(SECTION_COUNT + 1);
  secSize = new StaticArray<u32>(SECTION_COUNT + 1);
  secCount = new StaticArray<u32>(SECTION_COUNT + 1);
}

// Bump allocation in the slot being built.
let top: usize = 0;
let end: usize = 0;
let oom: bool = false;

/** Bump allocation from `from` up to `to` (commit.ts: the active slot's free bytes). */
export function bumpRegion(from: usize, to: usize): void {
  top = from;
  end = to;
  oom = false;
}

/** The first free byte. */
export function bumpEnd(): usize {
  return top;
}

/** A bump since bumpRegion did not fit. */
export function bumpFailed(): bool {
  return oom;
}

export function bump(n: usize): usize {
  const p = (top + 7) & ~7;
  if (p + n > end) {
    oom = true;
    return 0;
  }
  top = p + n;
  memory.fill(p, 0, n);
  return p;
}

function oomFail(): i32 {
  return loadFail(LoadError.OutOfMemory, <u32>(top - (end - slotCap)), <u32>slotCap);
}

/** Section `id`'s address in the image. */
@inline export function sec(id: i32): usize {
  return image + secOff[id];
}

/** A string reference is inside the string section, with its bytes. */
function strOk(off: u32): bool {
  const size = secSize[1];
  if (off == NONE32) return true;
  if (off + 2 > size) return false;
  return off + 2 + <u32>load<u16>(sec(1) + off) <= size;
}

export function checkHeader(len: u32): i32 {
  if (len < <u32>BC_HEADER_SIZE) return loadFail(LoadError.BadHeader, 3, len);
  if (load<u32>(image, HDR_MAGIC) != BC_MAGIC) return loadFail(LoadError.BadHeader, 1, load<u32>(image, HDR_MAGIC));
  const major = <u32>load<u16>(image, HDR_VERSION_MAJOR);
  const minor = <u32>load<u16>(image, HDR_VERSION_MINOR);
  if (major != <u32>BC_VERSION_MAJOR || minor > <u32>BC_VERSION_MINOR) return loadFail(LoadError.BadHeader, 2, (major << 16) | minor);
  if (load<u32>(image, HDR_SIZE) != len) return loadFail(LoadError.BadHeader, 3, load<u32>(image, HDR_SIZE));
  const n = load<u32>(image, HDR_SECTIONS);
  const tableEnd = <u32>(BC_HEADER_SIZE + SECTION_COUNT * BC_SECTION_ENTRY_SIZE);
  if (n != SECTION_COUNT || len < tableEnd) return loadFail(LoadError.BadHeader, 4, n);
  let at = tableEnd;
  for (let k = 1; k <= SECTION_COUNT; k++) {
    const e = image + BC_HEADER_SIZE + <usize>(k - 1) * BC_SECTION_ENTRY_SIZE;
    const off = load<u32>(e, SEC_OFFSET);
    const size = load<u32>(e, SEC_SIZE);
    if (load<u32>(e, SEC_ID) != <u32>k || off != at || size & 3 || size > len - off) return loadFail(LoadError.BadHeader, 4, k);
    secOff[k] = off;
    secSize[k] = size;
    secCount[k] = load<u32>(e, SEC_COUNT);
    at = off + size;
  }
  if (at != len) return loadFail(LoadError.BadHeader, 3, len);
  return 0;
}

/** Fixed-size records of section `id` fill it exactly. */
export function recordsOk(id: i32, size: u32): bool {
  return <u64>secCount[id] * size == <u64>secSize[id];
}

/** Valid hook numbers per family. */
export function hookOk(family: u32, hook: u32): bool {
  if (family == Family.Netdev) return hook <= 1;
  if (family == Family.Arp) return hook <= 2;
  if (family == Family.Inet) return hook <= 5;
  return hook <= 4;
}

/** The active ruleset has nat chains (the hook walk then looks for them). */
export let rtNatChains = false;
/** An in-place commit added a nat chain to the active ruleset (commit.ts). */
export function natChainsAdded(): void {
  rtNatChains = true;
}

/** The ruleset being loaded has nat chains. */
let natChains = false;

function buildChains(chains: usize, n: u32, ntables: u32, tables: usize, strings: usize): i32 {
  natChains = false;
  const src = sec(3);
  for (let k: u32 = 0; k < n; k++) {
    loadWhere(LoadWhere.Chain, 0, 0, k, 0);
    const q = src + <usize>k * CHAIN_RECORD_SIZE;
    const c = chains + <usize>k * CH_SIZE;
    const table = load<u32>(q, CHAIN_TABLE);
    if (table >= ntables) return loadFail(LoadError.BadTable, table, 0);
    if (!strOk(load<u32>(q, CHAIN_NAME)) || !strOk(load<u32>(q, CHAIN_DEVICES))) return loadFail(LoadError.BadString, load<u32>(q, CHAIN_NAME));
    const family = <u32>load<u8>(tables + <usize>table * TB_SIZE, TB_FAMILY);
    const flags = <i32>load<u8>(q, CHAIN_FLAGS);
    const policy = <i32>load<u8>(q, CHAIN_POLICY);
    if (flags & ~ChainFlags.Base) return loadFail(LoadError.BadChainRecord, k, 3);
    if (policy != NONE8 && policy > 1) return loadFail(LoadError.BadChainRecord, k, 2);
    if (flags & ChainFlags.Base) {
      if (<i32>load<u8>(q, CHAIN_TYPE) > 2) return loadFail(LoadError.BadChainRecord, k, 4);
      if (!hookOk(family, load<u8>(q, CHAIN_HOOK))) return loadFail(LoadError.BadChainRecord, k, 1);
    }
    store<u32>(c, table, CH_TABLE);
    const nat = (flags & ChainFlags.Base) != 0 && load<u8>(q, CHAIN_TYPE) == ChainType.Nat;
    if (nat) natChains = true;
    store<u8>(c, flags | (nat ? CH_FLAG_NAT : 0), CH_FLAGS);
    store<u8>(c, load<u8>(q, CHAIN_HOOK), CH_HOOK);
    // Both generations' policy (an in-place commit changes the next one's).
    const p = policy == NONE8 ? <u8>Verdict.Accept : <u8>policy;
    store<u8>(c, p, CH_POLICY);
    store<u8>(c, p, CH_POLICY + 1);
    store<u8>(c, <u8>family, CH_FAMILY);
    store<i32>(c, load<i32>(q, CHAIN_PRIO), CH_PRIO);
    store<u32>(c, load<u32>(q, CHAIN_HANDLE), CH_HANDLE);
    const dev = load<u32>(q, CHAIN_DEVICES);
    store<u32>(c, dev == NONE32 ? 0 : <u32>(strings + dev), CH_DEVICES);
  }
  return 0;
}

/** RU_SETS of a rule whose anonymous sets are `count` from `first` on (0: too many to record; they stay until the next load). */
export function ruleSets(first: u32, count: u32): u32 {
  return count && first < 1 << 24 && count < 256 ? first | count << 24 : 0;
}

/** Builds set `k`: descriptor and elements (sd is zeroed), its memory bumped. */
export function buildSet(k: u32, sd: usize, tables: usize, ntables: u32): i32 {
  const err = setLayout(k, sd, tables, ntables);
  if (err) return err;
  const at = bump(setBytes);
  if (oom) return oomFail();
  return setFill(k, sd, at);
}

/** Bytes of the set setLayout laid out last: its entries, element expressions and buckets, in one range (SD_ENTRIES to SD_MEM_END). */
export let setBytes: usize = 0;

/**
 * Checks set `k`'s record and elements and fills descriptor `sd` (zeroed)
 * but for its memory, whose size it leaves in setBytes: a commit may take
 * it from a dead set's (commit.ts).
 */
export function setLayout(k: u32, sd: usize, tables: usize, ntables: u32): i32 {
  loadWhere(LoadWhere.Set, 0, 0, k, 0);
  const q = sec(4) + <usize>k * SET_RECORD_SIZE;
  const table = load<u32>(q, SET_TABLE);
  if (table >= ntables) return loadFail(LoadError.BadTable, table, 0);
  if (!strOk(load<u32>(q, SET_NAME))) return loadFail(LoadError.BadString, load<u32>(q, SET_NAME));
  const flags = load<u32>(q, SET_FLAGS);
  const nf = <u32>load<u8>(q, SET_FIELD_COUNT);
  if (nf < 1 || nf > <u32>SET_FIELD_MAX) return loadFail(LoadError.BadSet, k);
  let kstride: u32 = 0;
  for (let f: u32 = 0; f < nf; f++) {
    const l = <u32>load<u8>(q + SET_FIELD_LEN + f);
    if (l == 0 || l > 64) return loadFail(LoadError.BadSet, k);
    store<u8>(sd + SD_FIELD_LEN + f, <u8>l);
    kstride += (l + 3) & ~3;
  }
  if (kstride > 64) return loadFail(LoadError.BadSet, k);
  const klen = nf == 1 ? <u32>load<u8>(q, SET_FIELD_LEN) : kstride;
  const dkind = <i32>load<u8>(q, SET_DATA_KIND);
  if (dkind > SetData.Verdict) return loadFail(LoadError.BadSet, k);
  let dlen: u32 = dkind == SetData.Verdict ? 8 : dkind == SetData.Value ? load<u8>(q, SET_DATA_LEN) : 0;
  if (dkind == SetData.Value && (dlen == 0 || dlen > 64)) return loadFail(LoadError.BadSet, k);
  const family = <u32>load<u8>(tables + <usize>table * TB_SIZE, TB_FAMILY);
  verifyRule(table, family, 0, 0);

  // Elements: framing, and whether any carries a key end.
  const elOff = load<u32>(q, SET_ELEM_OFFSET);
  const n = load<u32>(q, SET_ELEM_COUNT);
  const elEnd = sec(5) + secSize[5];
  if (elOff > secSize[5]) return loadFail(LoadError.BadElement, k, 0);
  let pos = sec(5) + elOff;
  let anyEnd = false;
  let xstride: u32 = 0;
  // Object maps: each element's data is the u32 index of its object (checked by the objref map that uses the set).
  const objType = <u32>load<u8>(q, SET_OBJ_TYPE);
  for (let j: u32 = 0; j < n; j++) {
    loadWhere(LoadWhere.Element, 0, 0, k, j);
    if (pos + ELEM_KEY > elEnd) return loadFail(LoadError.Truncated, <u32>(pos - image));
    const size = <usize>load<u16>(pos, ELEM_SIZE);
    if (size < <usize>ELEM_KEY || size & 3 || pos + size > elEnd) return loadFail(LoadError.BadElement, k, j);
    const has = <i32>load<u8>(pos, ELEM_HAS);
    const efl = <i32>load<u8>(pos, ELEM_FLAGS);
    const nkey = <u32>load<u8>(pos, ELEM_KEY_COUNT);
    if (efl & SetElemFlags.Catchall ? nkey != 0 : nkey != nf) return loadFail(LoadError.BadElement, k, j);
    if (efl & ~(SetElemFlags.Catchall | SetElemFlags.IntervalEnd)) return loadFail(LoadError.BadElement, k, j);
    // Element expressions (a counter per element): hash sets only (interval sets sort their entries).
    if (has & ElemHas.Exprs && flags & SetFlags.Interval) return loadFail(LoadError.Unsupported, 0);
    let need: usize = ELEM_KEY + (nkey ? kstride : 0);
    if (has & ElemHas.KeyEnd) {
      need += nkey ? <usize>kstride : 0;
      anyEnd = true;
    }
    if (has & ElemHas.Data) {
      // Concatenated data comes with each part padded: the widest element sets the register length.
      const edlen = <u32>load<u8>(pos, ELEM_DATA_LEN);
      if (objType ? dkind != SetData.None || edlen != 4 : dkind != SetData.Value || edlen == 0 || edlen > 64) return loadFail(LoadError.BadElement, k, j);
      if (edlen > dlen) dlen = edlen;
      need += (edlen + 3) & ~3;
    }
    if (has & ElemHas.Verdict) {
      if (dkind != SetData.Verdict) return loadFail(LoadError.BadElement, k, j);
      need += 8;
    }
    if (has & ElemHas.Timeout) need += 8;
    if (has & ElemHas.Expires) need += 8;
    if (has & ElemHas.Comment) need += 4;
    if (has & ElemHas.Exprs) {
      const xb = elemExprBytes(pos + need, pos + size, <u32>load<u8>(pos, ELEM_EXPR_COUNT));
      if (xb < 0) return loadFail(LoadError.BadElement, k, j);
      need += <usize>(xb >> 16);
      if (<u32>(xb & 0xffff) > xstride) xstride = <u32>(xb & 0xffff);
    }
    if (need != size) return loadFail(LoadError.BadElement, k, j);
    // Maps need data on every element but interval ends.
    if (dkind != SetData.None && !(efl & SetElemFlags.IntervalEnd) && !(has & (ElemHas.Data | ElemHas.Verdict))) return loadFail(LoadError.BadElement, k, j);
    if (objType && !(efl & SetElemFlags.IntervalEnd) && !(has & ElemHas.Data)) return loadFail(LoadError.BadElement, k, j);
    pos += size;
  }
  const kind: u8 = <u8>(flags & SetFlags.Interval ? (flags & SetFlags.Concat || anyEnd ? SetKind.Ranges : SetKind.Interval) : SetKind.Hash);
  const dataAt = kind == SetKind.Ranges ? kstride * 2 : kstride;
  const expAt = (dataAt + ((dlen + 3) & ~3) + 7) & ~7;
  const flagsAt = expAt + 8;
  const estride = (flagsAt + 4 + 7) & ~7;
  let cap = n;
  const dynamic = (flags & (SetFlags.Eval | SetFlags.Timeout)) != 0 || !(flags & (SetFlags.Anonymous | SetFlags.Constant));
  if (kind == SetKind.Hash && dynamic) {
    // Without a declared size, room for half as many again (in-place commits add elements; commit.ts).
    const sized = <i32>load<u8>(q, SET_HAS) & SetHas.Size && load<u32>(q, SET_SIZE);
    const want = sized ? load<u32>(q, SET_SIZE) : max(DYN_SET_CAPACITY, n + (n >> 1));
    if (want > cap) cap = want < SET_CAPACITY_MAX ? want : SET_CAPACITY_MAX;
  }
  store<u8>(sd, kind, SD_KIND);
  store<u8>(sd, dkind, SD_DATA_KIND);
  store<u8>(sd, <u8>klen, SD_KLEN);
  store<u8>(sd, <u8>dlen, SD_DLEN);
  store<u32>(sd, flags, SD_FLAGS);
  store<u32>(sd, table, SD_TABLE);
  store<u16>(sd, <u16>kstride, SD_KSTRIDE);
  store<u16>(sd, <u16>estride, SD_ESTRIDE);
  store<u8>(sd, <u8>nf, SD_NFIELDS);
  store<u8>(sd, <u8>objType, SD_OBJ_TYPE);
  store<u16>(sd, <u16>kstride, SD_KEYEND_AT);
  store<u16>(sd, <u16>dataAt, SD_DATA_AT);
  store<u16>(sd, <u16>expAt, SD_EXPIRES_AT);
  store<u16>(sd, <u16>flagsAt, SD_EFLAGS_AT);
  store<u32>(sd, cap, SD_CAPACITY);
  store<u64>(sd, flags & SetFlags.Timeout ? load<u64>(q, SET_TIMEOUT) * 1000000 : 0, SD_TIMEOUT);
  // A spare entry for the catch-all, and for an interval set the sort's scratch after it.
  let bytes = (<usize>cap + (kind == SetKind.Interval ? 2 : 1)) * estride;
  if (xstride) {
    store<u32>(sd, xstride, SD_XSTRIDE);
    bytes += ((<usize>cap + 1) * xstride + 7) & ~7;
  }
  if (kind == SetKind.Hash) {
    let nb: u32 = 8;
    while (nb < cap * 2 && nb < (1 << 30)) nb <<= 1;
    store<u32>(sd, nb - 1, SD_MASK);
    bytes += <usize>nb * 4;
  }
  setBytes = bytes;
  return 0;
}

/** Fills set `k` (laid out by setLayout) into its `setBytes` of zeroed memory at `at`: entries, then element expressions, then buckets. */
export function setFill(k: u32, sd: usize, at: usize): i32 {
  const q = sec(4) + <usize>k * SET_RECORD_SIZE;
  const flags = load<u32>(sd, SD_FLAGS);
  const kind = <i32>load<u8>(sd, SD_KIND);
  const cap = load<u32>(sd, SD_CAPACITY);
  const estride = <usize>load<u16>(sd, SD_ESTRIDE);
  const xstride = <usize>load<u32>(sd, SD_XSTRIDE);
  const n = load<u32>(q, SET_ELEM_COUNT);
  const entries = at;
  let p = at + (<usize>cap + (kind == SetKind.Interval ? 2 : 1)) * estride;
  store<u32>(sd, <u32>entries, SD_ENTRIES);
  if (xstride) {
    store<u32>(sd, <u32>p, SD_EXPRS);
    p += ((<usize>cap + 1) * xstride + 7) & ~7;
  }
  if (kind == SetKind.Hash) {
    store<u32>(sd, <u32>p, SD_BUCKETS);
    p += (<usize>load<u32>(sd, SD_MASK) + 1) * 4;
  }
  store<u32>(sd, <u32>p, SD_MEM_END);

  let pos = sec(5) + load<u32>(q, SET_ELEM_OFFSET);
  let count: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    loadWhere(LoadWhere.Element, 0, 0, k, j);
    const size = <usize>load<u16>(pos, ELEM_SIZE);
    const has = <i32>load<u8>(pos, ELEM_HAS);
    const efl = <i32>load<u8>(pos, ELEM_FLAGS);
    const isCatchall = (efl & SetElemFlags.Catchall) != 0;
    const e = isCatchall ? entries + <usize>cap * estride : entries + <usize>count * estride;
    const err = fillEntry(sd, e, pos, flags & SetFlags.Timeout && !(efl & SetElemFlags.IntervalEnd) ? load<u64>(q, SET_TIMEOUT) : 0);
    if (err) return err;
    const p = entryEnd;
    if (has & ElemHas.Exprs) {
      const slot = <usize>load<u32>(sd, SD_EXPRS) + <usize>(isCatchall ? cap : count) * xstride;
      memory.fill(slot, 0, xstride);
      const err = elemExprsCopy(p, pos + size, slot);
      if (err) return err;
    }
    if (isCatchall) store<u32>(sd, <u32>e, SD_CATCHALL);
    else if (kind != SetKind.Hash || hashAdd(sd, e)) count++;
    pos += size;
  }
  store<u32>(sd, count, SD_COUNT);
  store<u32>(sd, count, SD_LIVE);
  if (kind == SetKind.Interval && count > 1) sortEntries(sd, entries + (<usize>cap + 1) * estride);
  return 0;
}

/** After fillEntry: where the element record's expressions start. */
let entryEnd: usize = 0;

/**
 * Fills entry `e` of set `sd` (descriptor complete) from the element record
 * at `pos` (framing checked): key, key end, data or verdict, expiry (the
 * record's, else `rel` ms), flags. 0 or the load error.
 */
export function fillEntry(sd: usize, e: usize, pos: usize, rel: u64): i32 {
  const kind = <i32>load<u8>(sd, SD_KIND);
  const kstride = <usize>load<u16>(sd, SD_KSTRIDE);
  const dataAt = <usize>load<u16>(sd, SD_DATA_AT);
  const has = <i32>load<u8>(pos, ELEM_HAS);
  const efl = <i32>load<u8>(pos, ELEM_FLAGS);
  memory.fill(e, 0, <usize>load<u16>(sd, SD_ESTRIDE));
  let p = pos + ELEM_KEY;
  if (!(efl & SetElemFlags.Catchall)) {
    memory.copy(e, p, kstride);
    p += kstride;
    if (has & ElemHas.KeyEnd) {
      if (kind == SetKind.Ranges) memory.copy(e + kstride, p, kstride);
      p += kstride;
    } else if (kind == SetKind.Ranges) memory.copy(e + kstride, e, kstride);
  }
  if (has & ElemHas.Data) {
    const edlen = <u32>load<u8>(pos, ELEM_DATA_LEN);
    memory.copy(e + dataAt, p, edlen);
    p += (edlen + 3) & ~3;
  }
  if (has & ElemHas.Verdict) {
    const err = checkVerdict(load<i32>(p), load<u32>(p, 4));
    if (err) return err;
    memory.copy(e + dataAt, p, 8);
    p += 8;
  }
  // Timeouts run from the ruleset's first packet (the load happened just before it): stored relative, flagged.
  if (has & ElemHas.Timeout) {
    rel = load<u64>(p);
    p += 8;
  }
  if (has & ElemHas.Expires) {
    rel = load<u64>(p);
    p += 8;
  }
  if (has & ElemHas.Comment) p += 4;
  if (rel) store<u64>(e + load<u16>(sd, SD_EXPIRES_AT), EXPIRES_RELATIVE | (rel * 1000000));
  let ef: u32 = EntryFlags.Live;
  if (efl & SetElemFlags.IntervalEnd) ef |= EntryFlags.IntervalEnd;
  if (has & ElemHas.Open) ef |= EntryFlags.Open;
  store<u32>(e + load<u16>(sd, SD_EFLAGS_AT), ef);
  entryEnd = p;
  return 0;
}

/** Hook list slot(s) of a base chain: returns slot*HOOK_NUM+hook, second (inet) via hookSlot2, -1 none. */
export let hookSlot2: i32 = -1;
/**
 * Sizes the expression records of one element at [p, end) (counter, quota,
 * limit, last): (record bytes << 16) | per-entry bytes (each limit with its
 * bucket), -1 when malformed.
 */
function elemExprBytes(p: usize, end: usize, n: u32): i32 {
  let rec: u32 = 0;
  let room: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (p + 4 > end) return -1;
    const op = <u32>load<u8>(p);
    const size = <u32>load<u16>(p, 2);
    if (op != Op.Counter && op != Op.Quota && op != Op.Limit && op != Op.Last) return -1;
    if (checkRecordSize(p, <u32>(end - p))) return -1;
    rec += size;
    room += size + (op == Op.Limit ? <u32>LIMIT_STATE_SIZE : 0);
    p += size;
  }
  room = (room + 7) & ~7;
  if (rec > 0xffff || room > 0xffff) return -1;
  return <i32>((rec << 16) | room);
}

/** Copies one element's expression records into its entry's area (limit buckets set up as nft_limit_init does). */
function elemExprsCopy(p: usize, end: usize, x: usize): i32 {
  while (p < end) {
    const op = <u32>load<u8>(p);
    const size = <usize>load<u16>(p, 2);
    memory.copy(x, p, size);
    if (op == Op.Limit) {
      const err = checkLimit(x, x + size, 0);
      if (err) return err;
      x += LIMIT_STATE_SIZE;
    }
    x += size;
    p += size;
  }
  return 0;
}

/** Per-entry room for a dynset's element expressions in its set (SD_EXPRS); one dynset with expressions per set. */
function dynsetExprArea(insn: usize, sets: usize): i32 {
  const sd = setAddr(sets, load<u32>(insn, DYNSET_SET));
  if (load<u32>(sd, SD_EXPRS)) return loadFail(LoadError.UnsupportedKey, Op.Dynset, 0x100);
  const xstride = dynsetExprBytes(insn);
  const area = bump(<usize>(load<u32>(sd, SD_CAPACITY) + 1) * xstride);
  if (oom) return oomFail();
  store<u32>(sd, <u32>area, SD_EXPRS);
  store<u32>(sd, xstride, SD_XSTRIDE);
  return 0;
}

export function hookSlot(family: u32, hook: u32): i32 {
  hookSlot2 = -1;
  switch (family) {
    case Family.Ipv4: return HOOK_SLOT_IPV4 * HOOK_NUM + hook;
    case Family.Ipv6: return HOOK_SLOT_IPV6 * HOOK_NUM + hook;
    case Family.Inet:
      if (hook == 5) return HOOK_SLOT_NETDEV * HOOK_NUM + 5;
      hookSlot2 = HOOK_SLOT_IPV6 * HOOK_NUM + hook;
      return HOOK_SLOT_IPV4 * HOOK_NUM + hook;
    case Family.Arp: return HOOK_SLOT_ARP * HOOK_NUM + hook;
    case Family.Bridge: return HOOK_SLOT_BRIDGE * HOOK_NUM + hook;
    case Family.Netdev: return HOOK_SLOT_NETDEV * HOOK_NUM + (hook == 0 ? 5 : 1);
  }
  return -1;
}

/** Orders one hook list: priority ascending; equal priority, the later-registered chain first. */
function sortHookList(list: usize, n: u32, chains: usize): void {
  for (let i: u32 = 1; i < n; i++) {
    const c = load<u32>(list + (<usize>i << 2));
    const pc = load<i32>(chains + <usize>c * CH_SIZE, CH_PRIO);
    let j = <i32>i - 1;
    while (j >= 0) {
      const d = load<u32>(list + (<usize>j << 2));
      const pd = load<i32>(chains + <usize>d * CH_SIZE, CH_PRIO);
      if (pd < pc || (pd == pc && d > c)) break;
      store<u32>(list + (<usize>(j + 1) << 2), d);
      j--;
    }
    store<u32>(list + (<usize>(j + 1) << 2), c);
  }
}

/**
 * Whether chain record `c` goes on its hook list: a base chain. One of a
 * dormant table is off its hook in both generations (CH_HOOK_OFF), where
 * a commit that wakes the table finds it (commit.ts txTableDormant).
 */
function hooked(c: usize, tables: usize): bool {
  if (!(load<u8>(c, CH_FLAGS) & ChainFlags.Base)) return false;
  if (load<u8>(tables + <usize>load<u32>(c, CH_TABLE) * TB_SIZE, TB_FLAGS) & TableFlags.Dormant) store<u8>(c, <u8>RuleGen.Dead, CH_HOOK_OFF);
  return true;
}

function buildHooks(rs: usize, chains: usize, n: u32, tables: usize): i32 {
  const nslots = HOOK_SLOTS * HOOK_NUM;
  const hooks = bump(<usize>HOOK_LIST_AT + <usize>(n * 2 + 1) * 4);
  if (oom) return oomFail();
  const list = hooks + HOOK_LIST_AT;
  store<u32>(rs, <u32>hooks, RS_HOOKS);
  for (let k: u32 = 0; k < n; k++) {
    const c = chains + <usize>k * CH_SIZE;
    if (!hooked(c, tables)) continue;
    const s = hookSlot(load<u8>(c, CH_FAMILY), load<u8>(c, CH_HOOK));
    if (s >= 0) store<u32>(hooks + (<usize>s << 3), load<u32>(hooks + (<usize>s << 3), 4) + 1, 4);
    if (hookSlot2 >= 0) store<u32>(hooks + (<usize>hookSlot2 << 3), load<u32>(hooks + (<usize>hookSlot2 << 3), 4) + 1, 4);
  }
  let first: u32 = 0;
  for (let s = 0; s < nslots; s++) {
    const h = hooks + (<usize>s << 3);
    store<u32>(h, first);
    first += load<u32>(h, 4);
    store<u32>(h, 0, 4);
  }
  for (let k: u32 = 0; k < n; k++) {
    const c = chains + <usize>k * CH_SIZE;
    if (!hooked(c, tables)) continue;
    const s = hookSlot(load<u8>(c, CH_FAMILY), load<u8>(c, CH_HOOK));
    const s2 = hookSlot2;
    for (let t = 0; t < 2; t++) {
      const ss = t == 0 ? s : s2;
      if (ss < 0) continue;
      const h = hooks + (<usize>ss << 3);
      const cnt = load<u32>(h, 4);
      store<u32>(list + (<usize>(load<u32>(h) + cnt) << 2), k);
      store<u32>(h, cnt + 1, 4);
    }
  }
  for (let s = 0; s < nslots; s++) {
    const h = hooks + (<usize>s << 3);
    sortHookList(list + (<usize>load<u32>(h) << 2), load<u32>(h, 4), chains);
  }
  return 0;
}

/** Validates the image of `len` bytes in the image buffer and commits it; LoadError.Ok or the error. */
export function loadImage(len: u32): i32 {
  loadWhere(LoadWhere.Image, 0, 0, 0, 0);
  loadFail(LoadError.Ok);
  if (<usize>len > imageCap) return loadFail(LoadError.Truncated, len);
  let err = checkHeader(len);
  if (err) return err;
  const target = rtRuleset == slot0 ? slot1 : slot0;
  top = target;
  end = target + slotCap;
  oom = false;
  const rs = bump(RS_SIZE);
  const strings = bump(secSize[1]);
  if (oom) return oomFail();
  memory.copy(strings, sec(1), secSize[1]);
  store<u32>(rs, <u32>strings, RS_STRINGS);

  // Tables.
  if (!recordsOk(2, TABLE_RECORD_SIZE)) return loadFail(LoadError.Truncated, secOff[2]);
  const ntables = secCount[2];
  const tableCap = ntables + SPARE_TABLES;
  const tables = bump(<usize>tableCap * TB_SIZE);
  if (oom) return oomFail();
  for (let k: u32 = 0; k < ntables; k++) {
    loadWhere(LoadWhere.Table, 0, 0, k, 0);
    const q = sec(2) + <usize>k * TABLE_RECORD_SIZE;
    const f = <u32>load<u8>(q, TABLE_FAMILY);
    if (f != Family.Inet && f != Family.Ipv4 && f != Family.Arp && f != Family.Netdev && f != Family.Bridge && f != Family.Ipv6) return loadFail(LoadError.BadTable, k, f);
    if (!strOk(load<u32>(q, TABLE_NAME))) return loadFail(LoadError.BadString, load<u32>(q, TABLE_NAME));
    const flags = load<u8>(q, TABLE_FLAGS);
    if (flags & ~TableFlags.Dormant) return loadFail(LoadError.BadTable, k, f);
    store<u8>(tables + <usize>k * TB_SIZE, <u8>f, TB_FAMILY);
    store<u8>(tables + <usize>k * TB_SIZE, flags, TB_FLAGS);
    store<u8>(tables + <usize>k * TB_SIZE, flags, TB_FLAGS_NEXT);
  }
  store<u32>(rs, <u32>tables, RS_TABLES);
  store<u32>(rs, ntables, RS_NTABLES);

  // Chains.
  if (!recordsOk(3, CHAIN_RECORD_SIZE)) return loadFail(LoadError.Truncated, secOff[3]);
  const nchains = secCount[3];
  const chainCap = nchains + SPARE_CHAINS + (nchains >> 3);
  const chains = bump(<usize>chainCap * CH_SIZE);
  if (oom) return oomFail();
  err = buildChains(chains, nchains, ntables, tables, strings);
  if (err) return err;
  store<u32>(rs, <u32>chains, RS_CHAINS);
  store<u32>(rs, nchains, RS_NCHAINS);

  // Code, objects and state slots (a limit or numgen record is at least 16 bytes).
  const codeSize = secSize[8];
  const code = bump(codeSize);
  // Spare state slots, set descriptors and rule slots for commits that edit this ruleset in place (commit.ts).
  const stateCap = codeSize / 16 + 1 + SPARE_STATE;
  const state = bump(<usize>stateCap * VM_STATE_SLOT_SIZE);
  const stateFree = bump(<usize>stateCap * 4);
  if (!recordsOk(4, SET_RECORD_SIZE)) return loadFail(LoadError.Truncated, secOff[4]);
  const nsets = secCount[4];
  const setCap = nsets + SPARE_SETS + (nsets >> 3);
  const sets = bump(<usize>setCap * SD_SIZE);
  if (!recordsOk(6, OBJ_RECORD_SIZE)) return loadFail(LoadError.Truncated, secOff[6]);
  const nobjects = secCount[6];
  const objCap = nobjects + SPARE_OBJECTS + (nobjects >> 3);
  const objects = bump(<usize>objCap * OB_SIZE);
  if (!recordsOk(7, RULE_RECORD_SIZE)) return loadFail(LoadError.Truncated, secOff[7]);
  const nrules = secCount[7];
  // Each chain gets room to grow (chainRoom), and the array a tail for chains that outgrow theirs.
  if (nrules > (<u32>slotCap) / RU_SIZE) return loadFail(LoadError.OutOfMemory, <u32>(nrules * RU_SIZE), <u32>slotCap);
  const ruleCap = nrules + (nrules >> 3) + nchains * (CHAIN_ROOM_MIN + 1) + SPARE_RULES + (nrules >> 3) + SPARE_CHAINS * CHAIN_ROOM_MIN;
  const rules = bump(<usize>ruleCap * RU_SIZE);
  if (oom) return oomFail();
  memory.copy(code, sec(8), codeSize);
  memory.fill(objects, 0, <usize>nobjects * OB_SIZE);
  verifyBegin(chains, nchains, sets, nsets, objects, nobjects, state, stateCap);

  // Sets before rules: lookups check their key and data lengths.
  for (let k: u32 = 0; k < nsets; k++) {
    err = buildSet(k, setAddr(sets, k), tables, ntables);
    if (err) return err;
  }

  // Object states, then rules, tile the code section in record order.
  let cursor: u32 = 0;
  for (let k: u32 = 0; k < nobjects; k++) {
    loadWhere(LoadWhere.Object, 0, 0, k, 0);
    const q = sec(6) + <usize>k * OBJ_RECORD_SIZE;
    const o = objects + <usize>k * OB_SIZE;
    const table = load<u32>(q, OBJ_TABLE);
    if (table >= ntables) return loadFail(LoadError.BadTable, table, 0);
    store<u32>(o, table, OB_TABLE);
    store<u8>(o, load<u8>(q, OBJ_TYPE), OB_TYPE);
    const st = load<u32>(q, OBJ_STATE);
    if (st == NONE32) continue;
    if (st != cursor) return loadFail(LoadError.BadObject, k);
    err = verifyState(code + st, codeSize - st, load<u8>(q, OBJ_TYPE), load<u8>(tables + <usize>table * TB_SIZE, TB_FAMILY));
    if (err) return err;
    store<u32>(o, <u32>(code + st), OB_STATE);
    cursor += vSize;
  }
  for (let k: u32 = 0; k < nrules; k++) {
    const q = sec(7) + <usize>k * RULE_RECORD_SIZE;
    const c = load<u32>(q, RULE_CHAIN);
    loadWhere(LoadWhere.Rule, load<u32>(q, RULE_HANDLE), 0, c, 0);
    if (c >= nchains) return loadFail(LoadError.BadChain, c);
    const ch = chains + <usize>c * CH_SIZE;
    store<u32>(ch, load<u32>(ch, CH_COUNT) + 1, CH_COUNT);
  }
  let first: u32 = 0;
  for (let c: u32 = 0; c < nchains; c++) {
    const ch = chains + <usize>c * CH_SIZE;
    const cap = chainRoom(load<u32>(ch, CH_COUNT));
    store<u32>(ch, first, CH_FIRST);
    store<u32>(ch, cap, CH_CAP);
    first += cap;
  }
  for (let k: u32 = 0; k < nrules; k++) {
    const q = sec(7) + <usize>k * RULE_RECORD_SIZE;
    const handle = load<u32>(q, RULE_HANDLE);
    const c = load<u32>(q, RULE_CHAIN);
    loadWhere(LoadWhere.Rule, handle, 0, c, 0);
    const ch = chains + <usize>c * CH_SIZE;
    const off = load<u32>(q, RULE_CODE);
    const size = load<u32>(q, RULE_CODE_SIZE);
    if (!strOk(load<u32>(q, RULE_COMMENT))) return loadFail(LoadError.BadString, load<u32>(q, RULE_COMMENT));
    if (off != cursor || size > codeSize - off) return loadFail(LoadError.Truncated, secOff[8] + off);
    const sfirst = load<u32>(q, RULE_SET_FIRST);
    const scount = <u32>load<u16>(q, RULE_SET_COUNT);
    if (scount && (sfirst >= nsets || scount > nsets - sfirst)) return loadFail(LoadError.BadSet, sfirst);
    verifyRule(load<u32>(ch, CH_TABLE), load<u8>(ch, CH_FAMILY), sfirst, scount);
    let p = code + off;
    const e = p + size;
    let i: u32 = 0;
    while (p < e) {
      store<u32>(ctl, i, VM_ERR_INSN);
      err = verifyInsn(p, <u32>(e - p));
      if (err) return err;
      if (<u32>load<u8>(p) == Op.Dynset && load<u8>(p, DYNSET_EXPR_COUNT)) {
        err = dynsetExprArea(p, sets);
        if (err) return err;
      }
      p += vSize;
      i++;
    }
    const r = rules + <usize>(load<u32>(ch, CH_FIRST) + load<u32>(ch, CH_WORK)) * RU_SIZE;
    store<u32>(ch, load<u32>(ch, CH_WORK) + 1, CH_WORK);
    store<u32>(r, <u32>(code + off), RU_CODE);
    store<u32>(r, <u32>e, RU_END);
    store<u32>(r, handle, RU_HANDLE);
    store<u32>(r, c, RU_CHAIN);
    store<u32>(r, ruleSets(sfirst, scount), RU_SETS);
    cursor += size;
  }
  loadWhere(LoadWhere.Image, 0, 0, 0, 0);
  if (cursor != codeSize) return loadFail(LoadError.Truncated, secOff[8] + cursor);

  // Jump depth from every base chain (nft_table_validate → EMLINK), then each chain's level (jumps.ts).
  jumpWalkBegin(chains, nchains, rules, sets, 0, 0);
  for (let c: u32 = 0; c < nchains; c++) {
    const ch = chains + <usize>c * CH_SIZE;
    store<u8>(ch, 0, CH_LEVEL);
    if (!(load<u8>(ch, CH_FLAGS) & ChainFlags.Base)) continue;
    const h = height(c, 0);
    if (h < 0 || h >= NFT_JUMP_STACK_SIZE) {
      loadWhere(LoadWhere.Chain, 0, 0, c, 0);
      return loadFail(LoadError.TooManyLinks, c);
    }
  }
  for (let c: u32 = 0; c < nchains; c++) if (load<u8>(chains + <usize>c * CH_SIZE, CH_FLAGS) & ChainFlags.Base) raiseFromBase(c);

  for (let c: u32 = 0; c < nchains; c++) {
    const ch = chains + <usize>c * CH_SIZE;
    const r0 = load<u32>(ch, CH_FIRST);
    for (let k = r0; k < r0 + load<u32>(ch, CH_COUNT); k++) {
      const r = rules + <usize>k * RU_SIZE;
      specializeRule(<usize>load<u32>(r, RU_CODE), <usize>load<u32>(r, RU_END), sets);
    }
  }
  buildFast(rules, chains, nchains, sets);

  err = buildHooks(rs, chains, nchains, tables);
  if (err) return err;
  store<u32>(rs, <u32>sets, RS_SETS);
  store<u32>(rs, nsets, RS_NSETS);
  store<u32>(rs, <u32>objects, RS_OBJECTS);
  store<u32>(rs, nobjects, RS_NOBJECTS);
  store<u32>(rs, <u32>rules, RS_RULES);
  store<u32>(rs, nrules, RS_NRULES);
  store<u32>(rs, <u32>code, RS_CODE);
  store<u32>(rs, codeSize, RS_CODE_SIZE);
  store<u32>(rs, <u32>state, RS_STATE);
  store<u32>(rs, stateCap, RS_NSTATE);
  store<u32>(rs, <u32>stateFree, RS_STATE_FREE);
  store<u32>(rs, ruleCap, RS_RULE_CAP);
  store<u32>(rs, chainCap, RS_CHAIN_CAP);
  store<u32>(rs, objCap, RS_OBJ_CAP);
  store<u32>(rs, tableCap, RS_TABLE_CAP);
  store<u32>(rs, first, RS_RULE_TOP);
  store<u32>(rs, setCap, RS_SET_CAP);
  store<u32>(rs, vStateNext, RS_STATE_NEXT);
  store<u32>(rs, <u32>top, RS_TOP);
  store<u32>(rs, <u32>end, RS_END);
  store<u32>(rs, 0, RS_WASTE);

  // Commit: one switch; the old slot becomes the next load's scratch.
  activate(rs, sets, chains, rules, objects, state);
  rtNatChains = natChains;
  setEpochReset();
  if (ctc) store<u32>(ctc, vCtFamilies, CTC_FAMILIES);
  // Evaluators on other threads take the new slot at their next packet (mem.ts readGeneration).
  generationStep();
  store<u32>(ctl, <u32>rs, VM_ACTIVE);
  store<u32>(ctl, <u32>code, VM_CODE);
  // Every record of a fresh load is in both generations; the cursor stays where it is.
  generationStep();
  return LoadError.Ok;
}
