// Commits that edit the active ruleset in place, O(change) (kernel:
// nf_tables_api.c's transaction: nft_trans objects, generation masks,
// nf_tables_commit / nf_tables_abort). A transaction adds rules and set
// elements marked "not in the current generation" and marks deleted ones
// "not in the next"; packets read the generation cursor once each (mem.ts
// readGeneration) and skip what their generation lacks; the commit flips the
// cursor in one store, then (txFinish: at once, or once no evaluator on
// another thread can still be in the old generation) makes new records
// visible in both generations and retires deleted ones (a dead rule's code
// bytes go to a later rule once another grace period has passed:
// codeTake). Abort undoes the marks. With evaluators on other threads
// (VM_SHARED) nothing moves under them: a rule is only appended, and a
// chain out of room, an insertion among rules or squeezing out dead rules
// is left to a whole load. Rules with jumps are checked by a walk of only
// what they reach (jumps.ts), and so are verdict map elements that jump.
// Tables, chains, sets and objects come and go with generation bits of
// their own, and what dies goes to later ones after the grace period. What
// this file cannot do in place (element expressions, a jump past what the
// chain levels prove safe, an interval set under evaluator threads, or no
// spare room) it refuses with LoadError.NoRoom, and the host loads the
// whole next generation into the other slot instead (load.ts).
// `add rule inet f input tcp dport 22 accept` → txBegin, txAddRule, txCommit.

import {
  DYNSET_EXPR_COUNT, OBJ_RECORD_SIZE, OBJ_STATE, OBJ_TABLE, OBJ_TYPE, ElemHas, ELEM_DATA_LEN, ELEM_FLAGS, ELEM_HAS, ELEM_KEY, ELEM_KEY_COUNT, ELEM_SIZE, IMMEDIATE_DREG, IMMEDIATE_VERDICT_CODE, LoadError, LoadWhere,
  LIMIT_VM_STATE, NUMGEN_VM_STATE, LOOKUP_DREG, Op, RULE_CHAIN, RULE_CODE, RULE_CODE_SIZE, RULE_HANDLE, RULE_SET_COUNT, RULE_SET_FIRST, SetData, VM_ERR_INSN, VM_ERR_KIND, VM_GEN_CURSOR,
  CTC_FAMILIES, Verdict, ChainFlags, Family, InetHook, ObjectType, TableFlags, NFT_JUMP_STACK_SIZE, NONE32, SetFlags,
} from './abi';
import {
  CH_CAP, CH_COUNT, CH_DEVICES, CH_FAMILY, CH_FLAG_NAT, CH_FLAG_OWN_DEVICES, CH_FLAGS, CH_FREE_AT, CH_GEN, CH_HANDLE, CH_HOOK, CH_PRIO, HOOK_LIST_AT, HOOK_NUM, HOOK_SLOTS, RS_HOOKS, CH_POLICY, CH_FIRST, CH_SIZE, CH_TABLE, EntryFlags, RS_CHAINS, RS_END, RS_NCHAINS, RS_NOBJECTS, RS_NSETS, RS_NSTATE, RS_NTABLES,
  RS_OBJECTS, RS_RULES, RS_RULE_CAP, RS_CHAIN_CAP, RS_RULE_TOP, RS_SETS, RS_SET_CAP, RS_STATE, RS_STATE_FREE, RS_STATE_NEXT, RS_STATE_NFREE, RS_STATE_NRETIRED, RS_STATE_RETIRED_AT, RS_TABLES, RS_TOP, RS_WASTE, RU_CHAIN, RU_CODE, RU_END,
  RS_CODE, RS_CODE_SIZE, RS_CODE_FREE, RS_CODE_RETIRED, RS_CODE_RETIRED_AT, RS_CODE_RETIRED_LAST,
  RU_FFLAGS, RU_GKIND, RU_HANDLE, RU_SETS, RU_SIZE, RU_SKIP, RuleGen, SD_FLAGS, SD_FREE_AT, SD_GEN, SD_LEVEL, SD_MEM_END, SD_SIZE, SD_CATCHALL, SD_KLEN, SD_FREE, SD_RETIRED, SD_RETIRED_AT, SD_BUCKETS, SD_CAPACITY, SD_COUNT, SD_DATA_KIND, SD_DLEN, SD_EFLAGS_AT, SD_ENTRIES, SD_ESTRIDE,
  OB_FREE_AT, OB_GEN, OB_SIZE, OB_STATE, OB_TABLE, OB_TYPE, RS_OBJ_CAP, SD_EXPIRES_AT, SD_EXPRS, SD_OBJ_TYPE, SD_TABLE, SD_KIND, SD_KSTRIDE, SD_LIVE, SD_NFIELDS, SD_TIMEOUT, SetKind, TB_FAMILY, TB_FLAGS, TB_FLAGS_NEXT, CH_HOOK_OFF, TB_FREE_AT, TB_GEN, TB_SIZE, RS_TABLE_CAP,
} from './layout';
import { ctl, image, imageCap, loadFail, loadWhere, rtRuleset, sharedMemory, storeShared, generationStep } from './mem';
import { buildRule, buildRuns } from './fast';
import { specializeRule } from './specialize';
import { verifyBegin, verifyInsn, verifyResume, verifyRule, verifyState, vCtFamilies, vSize, vStateNext, vStateNfree } from './verify';
import { bump, bumpEnd, bumpFailed, bumpRegion, chainRoom, checkHeader, fillEntry, hookOk, hookSlot, hookSlot2, natChainsAdded, recordsOk, ruleSets, sec, secCount, secSize, setBytes, setFill, setLayout } from './load';
import { entryLive, EXPIRES_RELATIVE, hashAdd, hashFind, hashUnlink, setAddr, setEpoch } from './set/set';
import { pTstamp } from './packet';
import { ctc } from './ct/entry';
import { objOk } from './insn/objref';
import { untimeout } from './ct/timeout-policy';
import { codeBelow, elementJumpOk, jumpWalkBegin, level, raiseBelow, visited } from './jumps';

/** What NoRoom says (ARG1). */
const enum NoRoom {
  Rules = 1,
  Sets = 2,
  Memory = 3,
  Log = 4,
  Kind = 5,
  Entries = 6,
  /** a jump past the depth limit or into a loop by the levels an in-place check knows (jumps.ts) */
  Jumps = 7,
  /** no free chain record at the index the host asked for (chainFree) */
  Chains = 8,
  /** no free object record at the index the host asked for (objectFree) */
  Objects = 9,
  /** no spare table record */
  Tables = 10,
}

/** Transaction log entries: what to finish at commit or undo at abort. */
const enum TxOp {
  AddRule = 1,
  DelRule = 2,
  AddElem = 3,
  DelElem = 4,
  /** every rule of a chain left the next generation */
  FlushChain = 5,
  /** every element of a set left the next generation */
  FlushSet = 6,
  /** a base chain's policy changed in the next generation */
  Policy = 7,
  /** a regular chain joined the next generation */
  AddChain = 8,
  /** a regular chain (its rules gone already) left the next generation */
  DelChain = 9,
  /** a named object joined the next generation */
  AddObject = 10,
  /** a named object nothing names any more left the next generation */
  DelObject = 11,
  /** a table joined the next generation */
  AddTable = 12,
  /** a table, emptied already, left the next generation */
  DelTable = 13,
  /** hook lists published again: the old block's bytes (address, length) go to later code at the finish */
  HookBlock = 14,
  /** a named set joined the next generation (a rule's anonymous sets come and go with the rule) */
  AddSet = 15,
  /** a named set no rule looks up any more left the next generation */
  DelSet = 16,
  /** an interval set's next contents, built at a spare descriptor (the log's third word), take the set's place at the finish */
  ReplaceSet = 17,
  /** a table goes dormant or wakes in the next generation */
  TableDormant = 18,
}

const LOG_MAX: i32 = 4096;
/** (op, chain or set descriptor, handle or entry) per change; made by commitInit (not at start, as load.ts's tables). */
let txLog = changetype<StaticArray<u32>>(0);
let txLen: i32 = 0;
/** The log holds a committed transaction that txFinish has still to finish. */
let txCommitted = false;
/** Finishes so far: entries retired by one are reusable from the next on (entrySlot). */
let finishSeq: u32 = 0;
/** ct families the transaction's rules track (the commit publishes them). */
let txCtFamilies: u32 = 0;

/** Makes the transaction log (once, from init()). */
export function commitInit(): void {
  txLog = new StaticArray<u32>(LOG_MAX * 3);
}

@inline function cursor(): u32 {
  return load<u32>(ctl, VM_GEN_CURSOR) & 1;
}

/** RuleGen bit of generation `g`. */
@inline function ruleBit(g: u32): u8 {
  return <u8>(<u32>RuleGen.Gen0Inactive << g);
}

/** An entry's Live flag and generation bits. */
const ENTRY_GEN: u32 = EntryFlags.Live | EntryFlags.Gen0Inactive | EntryFlags.Gen1Inactive;

/** EntryFlags bit of generation `g`. */
@inline function entryBit(g: u32): u32 {
  return <u32>EntryFlags.Gen0Inactive << g;
}

function logPush(op: u32, a: u32, b: u32): bool {
  if (txLen >= LOG_MAX) return false;
  unchecked((txLog[txLen * 3] = op));
  unchecked((txLog[txLen * 3 + 1] = a));
  unchecked((txLog[txLen * 3 + 2] = b));
  txLen++;
  return true;
}

/** Starts a transaction on the active ruleset (an open one is aborted, a committed one finished: the host waited for its grace period). */
export function txBegin(): i32 {
  txFinish();
  if (txLen) txAbort();
  loadFail(LoadError.Ok);
  if (!rtRuleset) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  txCtFamilies = ctc ? load<u32>(ctc, CTC_FAMILIES) : 0;
  return 0;
}

/** The rule record at index `r` of the active ruleset. */
@inline function ruleAt(r: u32): usize {
  return <usize>load<u32>(rtRuleset, RS_RULES) + <usize>r * RU_SIZE;
}

/**
 * Index in chain record `ch` of the rule with `handle` that the next
 * generation holds, -1 if none: the one the current generation holds too
 * if there are two (`replace` adds its rule, with the same handle, before
 * deleting the old one), else the first of those this transaction added
 * (a second `replace` of the handle goes after the first one's rule).
 */
function findRule(ch: usize, handle: u32, next: u32): i32 {
  // From the end: where rules are most often added and deleted.
  const first = load<u32>(ch, CH_FIRST);
  let young = -1;
  for (let i = <i32>load<u32>(ch, CH_COUNT) - 1; i >= 0; i--) {
    const r = ruleAt(first + <u32>i);
    const f = load<u8>(r, RU_FFLAGS);
    if (load<u32>(r, RU_HANDLE) != handle || f & ruleBit(next)) continue;
    if (!(f & ruleBit(next ^ 1))) return i;
    young = i;
  }
  return young;
}

/** Gives chain `ch` a free slot, moving its rules to the array's free tail when its room is full. */
function chainSlot(ch: usize): bool {
  const rs = rtRuleset;
  const n = load<u32>(ch, CH_COUNT);
  if (n < load<u32>(ch, CH_CAP)) return true;
  // Evaluators on other threads may be walking the chain's records.
  if (sharedMemory()) return false;
  // Dead records squeezed out make room where the chain is: a stream of adds and deletes would otherwise move it until the array's tail ran out.
  if (chainSqueeze(ch)) return true;
  const cap = n * 2 + 8;
  const top = load<u32>(rs, RS_RULE_TOP);
  if (<u64>top + cap > <u64>load<u32>(rs, RS_RULE_CAP)) return false;
  memory.copy(ruleAt(top), ruleAt(load<u32>(ch, CH_FIRST)), <usize>n * RU_SIZE);
  store<u32>(rs, load<u32>(rs, RS_WASTE) + load<u32>(ch, CH_CAP), RS_WASTE);
  store<u32>(ch, top, CH_FIRST);
  store<u32>(ch, cap, CH_CAP);
  store<u32>(rs, top + cap, RS_RULE_TOP);
  // Skip and scan targets are rule indices: they move with the records (left behind, a skip would lead back into the old copy, and round again).
  buildRuns(<usize>load<u32>(rs, RS_RULES), ch);
  return true;
}

/** Checks the header of the patch image of `len` bytes in the image buffer: no tables, chains or objects, `rules` rules. */
function patchBegin(len: u32, rules: u32): i32 {
  loadWhere(LoadWhere.Image, 0, 0, 0, 0);
  if (<usize>len > imageCap) return loadFail(LoadError.Truncated, len);
  const err = checkHeader(len);
  if (err) return err;
  if (secCount[2] || secCount[3] || secCount[6] || secCount[7] != rules) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  return 0;
}

/**
 * Builds the patch's sets at descriptors `first` on (published by the
 * caller: RS_TOP, RS_NSETS), "not in the current generation": each one's
 * memory from a dead set's or rule's bytes (codeTake), else above the
 * slot's top. A set that fails leaves the ones before it to setsUndo.
 */
function patchSets(first: u32): i32 {
  const rs = rtRuleset;
  const sets = <usize>load<u32>(rs, RS_SETS);
  const nnew = secCount[4];
  setsBuilt = 0;
  if (!setRunFree(first, nnew)) return loadFail(LoadError.NoRoom, NoRoom.Sets);
  bumpRegion(<usize>load<u32>(rs, RS_TOP), <usize>load<u32>(rs, RS_END));
  // The verifier knows the active ruleset (and the new sets) before the sets' elements check their verdicts.
  verifyActive(setsAfter(first, nnew));
  stateResume();
  const tables = <usize>load<u32>(rs, RS_TABLES);
  const ntables = load<u32>(rs, RS_NTABLES);
  const gen = ruleBit(cursor());
  for (let k: u32 = 0; k < nnew; k++) {
    const sd = setAddr(sets, first + k);
    setsBuilt = k + 1;
    memory.fill(sd, 0, SD_SIZE);
    store<u8>(sd, <u8>RuleGen.Dead, SD_GEN);
    let err = setLayout(k, sd, tables, ntables);
    if (err) return err;
    const at = codeTake(setBytes);
    if (!at || bumpFailed()) return loadFail(LoadError.NoRoom, NoRoom.Memory);
    // Bumped bytes come zeroed; a dead set's or rule's do not.
    if (takenRange) memory.fill(at, 0, setBytes);
    err = setFill(k, sd, at);
    store<u8>(sd, gen, SD_GEN);
    if (err) return err;
  }
  return 0;
}

/** Descriptors patchSets has written to (setsUndo frees them again). */
let setsBuilt: u32 = 0;

/** The active ruleset's set count once sets `first` .. `first` + `n` - 1 are in. */
function setsAfter(first: u32, n: u32): u32 {
  const nsets = load<u32>(rtRuleset, RS_NSETS);
  return first + n > nsets ? first + n : nsets;
}

/** Undoes patchSets for a refused patch: its descriptors are free again, and memory taken below the slot's top goes back (after a grace period, as a dead set's). */
function setsUndo(first: u32): void {
  const rs = rtRuleset;
  const top = <usize>load<u32>(rs, RS_TOP);
  for (let k: u32 = 0; k < setsBuilt; k++) {
    const sd = setRecord(first + k);
    // Bumped above the unpublished top: nothing to give back.
    if (<usize>load<u32>(sd, SD_ENTRIES) >= top) store<u32>(sd, 0, SD_ENTRIES);
    setDead(sd, finishSeq);
  }
}

/**
 * Adds the named sets of the patch image (`len` bytes: only sets and
 * their elements) to the next generation, the first at descriptor `first`
 * (one setFree offered, or the next). No packet reaches them before a rule
 * that looks them up, of this transaction or a later one.
 */
export function txAddSets(len: u32, first: u32): i32 {
  const rs = rtRuleset;
  let err = patchBegin(len, 0);
  if (err) return err;
  if (txLen + <i32>secCount[4] > LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  err = patchSets(first);
  // Element expressions need an area only a whole load lays out.
  for (let k: u32 = 0; !err && k < secCount[4]; k++) if (load<u32>(setRecord(first + k), SD_EXPRS)) err = loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (err) {
    setsUndo(first);
    return err;
  }
  store<u32>(rs, <u32>bumpEnd(), RS_TOP);
  store<u32>(rs, setsAfter(first, secCount[4]), RS_NSETS);
  statePublish();
  for (let k: u32 = 0; k < secCount[4]; k++) logPush(TxOp.AddSet, first + k, 0);
  return 0;
}

/**
 * Adds the rule of the patch image (`len` bytes in the image buffer: no
 * tables, chains or objects; its anonymous sets; one rule whose chain and
 * set references are the active ruleset's indices) to the next generation:
 * `mode` 0 at the end of its chain, 1 at the start, 2 after the rule with
 * handle `ref`, 3 before it. LoadError.Ok, NoRoom (load the whole ruleset
 * instead) or the verifier's error; a refused rule leaves nothing behind.
 */
export function txAddRule(len: u32, mode: u32, ref: u32): i32 {
  const rs = rtRuleset;
  let err = patchBegin(len, 1);
  if (err) return err;
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const nnew = secCount[4];
  const chains = <usize>load<u32>(rs, RS_CHAINS);
  const nchains = load<u32>(rs, RS_NCHAINS);
  const q = sec(7);
  const c = load<u32>(q, RULE_CHAIN);
  const handle = load<u32>(q, RULE_HANDLE);
  loadWhere(LoadWhere.Rule, handle, 0, c, 0);
  if (c >= nchains) return loadFail(LoadError.BadChain, c);
  const ch = chains + <usize>c * CH_SIZE;
  const scount = <u32>load<u16>(q, RULE_SET_COUNT);
  // The rule's anonymous sets: at descriptors the host chose (setFree), which the rule's lookups name.
  const first = scount ? load<u32>(q, RULE_SET_FIRST) : 0;
  if (scount != nnew || !ruleSets(first, scount) && scount) return loadFail(LoadError.BadSet, first);
  const codeSize = secSize[8];
  if (load<u32>(q, RULE_CODE) != 0 || load<u32>(q, RULE_CODE_SIZE) != codeSize) return loadFail(LoadError.Truncated, load<u32>(q, RULE_CODE));

  // Everything new goes into dead rules' and sets' bytes, else above the slot's top, which moves only when the rule is in.
  err = patchSets(first);
  if (!err) {
    const at = codeTake(codeSize);
    if (!at || bumpFailed()) err = loadFail(LoadError.NoRoom, NoRoom.Memory);
    else err = placeRule(ch, c, handle, at, codeSize, mode, ref, first);
    // A refused rule leaves the free code ranges as they were (its sets' bytes come back a grace period later).
    if (err && at) codeGiveBack();
  }
  if (err) setsUndo(first);
  return err;
}

/** txAddRule from the code copied to `at` on: verifies the rule and links its record into chain record `ch` (chain `c`). */
function placeRule(ch: usize, c: u32, handle: u32, at: usize, codeSize: usize, mode: u32, ref: u32, setFirst: u32): i32 {
  const rs = rtRuleset;
  const sets = <usize>load<u32>(rs, RS_SETS);
  const nnew = secCount[4];
  let err: i32 = 0;
  memory.copy(at, sec(8), codeSize);
  verifyRule(load<u32>(ch, CH_TABLE), load<u8>(ch, CH_FAMILY), setFirst, nnew);
  let p = at;
  const e = at + codeSize;
  let i: u32 = 0;
  let jumps = false;
  while (p < e) {
    store<u32>(ctl, i, VM_ERR_INSN);
    err = verifyInsn(p, <u32>(e - p));
    if (err) return err;
    const op = <u32>load<u8>(p);
    if (op == Op.Immediate && load<u8>(p, IMMEDIATE_DREG) == 0) {
      const v = load<i32>(p, IMMEDIATE_VERDICT_CODE);
      if (v == Verdict.Jump || v == Verdict.Goto) jumps = true;
    }
    if (op == Op.Lookup && load<u8>(p, LOOKUP_DREG) == 0) jumps = true;
    // Element expressions of a dynset need their area, which only a whole load lays out.
    if (op == Op.Dynset && load<u8>(p, DYNSET_EXPR_COUNT)) return loadFail(LoadError.NoRoom, NoRoom.Kind);
    p += vSize;
    i++;
  }
  const next = cursor() ^ 1;
  // Only what the rule's targets reach is walked, in the next generation (jumps.ts).
  let lc: u32 = 0;
  if (jumps) {
    walkNext();
    lc = level(c);
    const h = codeBelow(at, e, lc);
    if (h < 0 || lc + <u32>h >= <u32>NFT_JUMP_STACK_SIZE || visited(c)) return loadFail(LoadError.NoRoom, NoRoom.Jumps);
  }
  let pos = rulePos(ch, mode, ref, next);
  if (pos < 0) return loadFail(LoadError.NoSuchObject, ref);
  const count = load<u32>(ch, CH_COUNT);
  // Moving records under evaluators on other threads could show them one twice or not at all.
  if (<u32>pos != count && sharedMemory()) return loadFail(LoadError.NoRoom, NoRoom.Rules);
  if (!chainSlot(ch)) return loadFail(LoadError.NoRoom, NoRoom.Rules);
  // Dead records squeezed out (chainSlot) moved the rules after them.
  if (load<u32>(ch, CH_COUNT) != count) pos = rulePos(ch, mode, ref, next);

  // In: the rule's record, not in the current generation until the commit.
  specializeRule(at, e, sets);
  const first = load<u32>(ch, CH_FIRST);
  const n = load<u32>(ch, CH_COUNT);
  if (<u32>pos < n) memory.copy(ruleAt(first + pos + 1), ruleAt(first + pos), <usize>(n - pos) * RU_SIZE);
  const r = ruleAt(first + pos);
  memory.fill(r, 0, RU_SIZE);
  store<u32>(r, <u32>at, RU_CODE);
  store<u32>(r, <u32>e, RU_END);
  store<u32>(r, handle, RU_HANDLE);
  store<u32>(r, c, RU_CHAIN);
  store<u8>(r, ruleBit(cursor()), RU_FFLAGS);
  store<u32>(r, ruleSets(setFirst, nnew), RU_SETS);
  buildRule(r, sets);
  if (jumps) raiseBelow(at, e, lc);
  // The record is whole before the count shows it to another thread's evaluator.
  storeShared(ch + CH_COUNT, n + 1);
  // Appended: its own skip target; placed among others: the chain's rule indices moved.
  if (<u32>pos == n) {
    if (load<u8>(r, RU_GKIND)) store<u32>(r, first + pos + 1, RU_SKIP);
  } else buildRuns(<usize>load<u32>(rs, RS_RULES), ch);
  store<u32>(rs, <u32>bumpEnd(), RS_TOP);
  store<u32>(rs, setsAfter(setFirst, nnew), RS_NSETS);
  statePublish();
  txCtFamilies = vCtFamilies;
  logPush(TxOp.AddRule, c, handle);
  return 0;
}

/** Index in chain record `ch` for a new rule placed by `mode` (txAddRule) next to the rule with handle `ref`; -1 if there is none. */
function rulePos(ch: usize, mode: u32, ref: u32, next: u32): i32 {
  if (mode < 2) return mode == 1 ? 0 : <i32>load<u32>(ch, CH_COUNT);
  const j = findRule(ch, ref, next);
  return j < 0 || mode == 3 ? j : j + 1;
}

/** Deletes the rule with `handle` from chain `c` in the next generation. */
export function txDelRule(c: u32, handle: u32): i32 {
  const ch = chainAt(c);
  if (!ch) return LoadError.BadChain;
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const next = cursor() ^ 1;
  const j = findRule(ch, handle, next);
  if (j < 0) return loadFail(LoadError.NoSuchObject, handle);
  const r = ruleAt(load<u32>(ch, CH_FIRST) + <u32>j);
  const f = load<u8>(r, RU_FFLAGS) | ruleBit(next);
  store<u8>(r, f, RU_FFLAGS);
  // Added by this transaction: in no generation now, so dead at once (neither the commit nor an abort finds it again).
  if ((f & <u8>RuleGen.Dead) == <u8>RuleGen.Dead) ruleDead(r);
  logPush(TxOp.DelRule, c, handle);
  return 0;
}

/** Starts a walk of the next generation's jump graph (jumps.ts) in the active ruleset. */
function walkNext(): void {
  const rs = rtRuleset;
  const next = cursor() ^ 1;
  jumpWalkBegin(<usize>load<u32>(rs, RS_CHAINS), load<u32>(rs, RS_NCHAINS), <usize>load<u32>(rs, RS_RULES), <usize>load<u32>(rs, RS_SETS), ruleBit(next), entryBit(next));
}

/** The verifier over the active ruleset, with `nsets` sets (new ones of a patch included). */
function verifyActive(nsets: u32): void {
  const rs = rtRuleset;
  verifyBegin(<usize>load<u32>(rs, RS_CHAINS), load<u32>(rs, RS_NCHAINS), <usize>load<u32>(rs, RS_SETS), nsets, <usize>load<u32>(rs, RS_OBJECTS), load<u32>(rs, RS_NOBJECTS), <usize>load<u32>(rs, RS_STATE), load<u32>(rs, RS_NSTATE));
}

/** The family of table `t` of the active ruleset. */
function tableFamily(t: u32): u8 {
  return load<u8>(<usize>load<u32>(rtRuleset, RS_TABLES) + <usize>t * TB_SIZE, TB_FAMILY);
}

/** Chain record `c` of the active ruleset (an index already checked). */
@inline function chainRecord(c: u32): usize {
  return <usize>load<u32>(rtRuleset, RS_CHAINS) + <usize>c * CH_SIZE;
}

/** Chain record `c` of the active ruleset, 0 (BadChain said so) if there is none. */
function chainAt(c: u32): usize {
  if (c >= load<u32>(rtRuleset, RS_NCHAINS)) {
    loadFail(LoadError.BadChain, c);
    return 0;
  }
  return chainRecord(c);
}

/** `flush chain`: every rule of chain `c` leaves the next generation. */
export function txFlushChain(c: u32): i32 {
  const ch = chainAt(c);
  if (!ch) return LoadError.BadChain;
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const bit = ruleBit(cursor() ^ 1);
  const first = load<u32>(ch, CH_FIRST);
  for (let i: u32 = 0; i < load<u32>(ch, CH_COUNT); i++) {
    const r = ruleAt(first + i);
    const f = load<u8>(r, RU_FFLAGS);
    if ((f & <u8>RuleGen.Dead) == <u8>RuleGen.Dead) continue;
    store<u8>(r, f | bit, RU_FFLAGS);
    // Added by this transaction: dead at once, as in txDelRule.
    if (f & ruleBit(cursor())) ruleDead(r);
  }
  logPush(TxOp.FlushChain, c, 0);
  return 0;
}

/**
 * Rules of chain `c` whose generation bits are exactly `bit`: made dead
 * (`dead`: a flush committed) or given back to the generation `bit` hid
 * them from (a flush aborted).
 */
function chainSweep(c: u32, bit: u8, dead: bool): void {
  const ch = chainRecord(c);
  const first = load<u32>(ch, CH_FIRST);
  for (let i: u32 = 0; i < load<u32>(ch, CH_COUNT); i++) {
    const r = ruleAt(first + i);
    const f = load<u8>(r, RU_FFLAGS);
    if ((f & <u8>RuleGen.Dead) != bit) continue;
    if (dead) ruleDead(r);
    else store<u8>(r, f & ~bit, RU_FFLAGS);
  }
}

// Regular chains an in-place commit adds and deletes (kernel: nft_chain's
// genmask). No packet reaches a regular chain but by a jump, and validation
// (the host's, then the verifier's and jumps.ts's) keeps every jump of a
// generation on chains it holds: the generation bits say what a generation
// holds for the commit, the finish and the host's views. A deleted chain's
// record, with its rule room, goes to a later new chain once another finish
// has passed (the grace period of code ranges and set entries).

// Chain, object and table records share one life: RuleGen bits in a byte
// (`gen`: its address), and the finish a free (Dead) record may be taken
// again from (`freeAt`).

/** Whether record `k` of an array holding `n` of `cap` may take a new item: the next one, or a free record a finish has passed since. */
function recordReusable(k: u32, n: u32, cap: u32, gen: usize, freeAt: usize): bool {
  if (k >= n) return k == n && k < cap;
  return load<u8>(gen) == <u8>RuleGen.Dead && finishSeq >= load<u32>(freeAt);
}

/** Marks a record "not in the next generation"; false if it is not in it. One this transaction added is in none now, and not free before the finish or abort says so. */
function recordDelete(gen: usize, freeAt: usize): bool {
  const bit = ruleBit(cursor() ^ 1);
  const g = load<u8>(gen);
  if (g & bit) return false;
  store<u8>(gen, g | bit);
  if ((g | bit) == <u8>RuleGen.Dead) store<u32>(freeAt, NONE32);
  return true;
}

/** The finish of an addition: the record is in both generations (`old`: the one it was not in), unless this transaction deleted it too. */
function recordJoined(gen: usize, old: u32): void {
  const g = load<u8>(gen);
  if (g != <u8>RuleGen.Dead) store<u8>(gen, g & ~ruleBit(old));
}

/** The record is free from finish `at` on. */
function recordFree(gen: usize, freeAt: usize, at: u32): void {
  store<u8>(gen, <u8>RuleGen.Dead);
  store<u32>(freeAt, at);
}

/** An aborted deletion: the record is in the next generation (`next`) again. */
@inline function recordKept(gen: usize, next: u32): void {
  store<u8>(gen, load<u8>(gen) & ~ruleBit(next));
}

/** Whether record `c` may take a new chain. */
function chainReusable(c: u32): bool {
  const rs = rtRuleset;
  const ch = chainRecord(c);
  return recordReusable(c, load<u32>(rs, RS_NCHAINS), load<u32>(rs, RS_CHAIN_CAP), ch + CH_GEN, ch + CH_FREE_AT);
}

/** 1 if chain record `c` may take a chain that txAddChain adds (the host picks the index: its rules' jumps name it). */
export function chainFree(c: u32): i32 {
  return rtRuleset && chainReusable(c) ? 1 : 0;
}

/**
 * Adds regular chain `c` of table `table` with `handle` to the next
 * generation, at a record chainFree offered. A reused record keeps its
 * rule room; a new one takes room from the rule array's tail.
 */
export function txAddChain(c: u32, table: u32, handle: u32): i32 {
  const rs = rtRuleset;
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  if (!tableNext(table)) return loadFail(LoadError.BadTable, table, 0);
  if (!chainReusable(c)) return loadFail(LoadError.NoRoom, NoRoom.Chains);
  const n = load<u32>(rs, RS_NCHAINS);
  const ch = chainRecord(c);
  // A deleted base chain stays on its hook list (skipped) until the lists are published again without it.
  if (c < n && load<u8>(ch, CH_FLAGS) & ChainFlags.Base && !hooksRebuild(NONE32)) return loadFail(LoadError.NoRoom, NoRoom.Memory);
  let first = load<u32>(ch, CH_FIRST);
  let cap = load<u32>(ch, CH_CAP);
  if (c == n) {
    cap = chainRoom(0);
    first = load<u32>(rs, RS_RULE_TOP);
    if (<u64>first + cap > <u64>load<u32>(rs, RS_RULE_CAP)) return loadFail(LoadError.NoRoom, NoRoom.Rules);
    store<u32>(rs, first + cap, RS_RULE_TOP);
  }
  memory.fill(ch, 0, CH_SIZE);
  store<u32>(ch, table, CH_TABLE);
  store<u32>(ch, first, CH_FIRST);
  store<u32>(ch, cap, CH_CAP);
  store<u8>(ch, tableFamily(table), CH_FAMILY);
  store<u32>(ch, handle, CH_HANDLE);
  store<u8>(ch, <u8>Verdict.Accept, CH_POLICY);
  store<u8>(ch, <u8>Verdict.Accept, CH_POLICY + 1);
  store<u8>(ch, ruleBit(cursor()), CH_GEN);
  // The record is whole before the count shows it to another thread.
  if (c == n) storeShared(rs + RS_NCHAINS, n + 1);
  logPush(TxOp.AddChain, c, 0);
  return 0;
}

/**
 * Adds base chain `c` (as txAddChain) on hook `hook` at priority `prio`
 * with `policy` (Verdict.Accept or Drop), a nat chain if `nat`, on the
 * devices whose NUL-separated names are the first `devLen` bytes of the
 * image buffer (netdev and inet ingress chains need some; others none).
 * Its hook list gets it at once: packets of the current generation skip
 * it (CH_GEN) until the commit.
 */
export function txAddBaseChain(c: u32, table: u32, handle: u32, hook: u32, prio: i32, policy: u32, nat: u32, devLen: u32): i32 {
  const rs = rtRuleset;
  if (table >= load<u32>(rs, RS_NTABLES)) return loadFail(LoadError.BadTable, table, 0);
  const family = <u32>tableFamily(table);
  if (!hookOk(family, hook) || policy > 1) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (nat && (hook == InetHook.Forward || (family != Family.Ipv4 && family != Family.Ipv6 && family != Family.Inet))) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  // Devices: a netdev chain and an inet ingress chain need them, nothing else takes them (the names' framing is the string section's: u16 length first).
  if ((family == Family.Netdev || (family == Family.Inet && hook == 5)) != (devLen != 0) || devLen > 0xffff || <usize>devLen > imageCap) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  const err = txAddChain(c, table, handle);
  if (err) return err;
  // Refused from here on: the log's AddChain frees the record (and the device names it owns) when the host aborts.
  const ch = chainRecord(c);
  if (devLen) {
    bumpRegion(<usize>load<u32>(rs, RS_TOP), <usize>load<u32>(rs, RS_END));
    const devs = codeTake(2 + <usize>devLen);
    if (!devs || bumpFailed()) return loadFail(LoadError.NoRoom, NoRoom.Memory);
    store<u32>(rs, <u32>bumpEnd(), RS_TOP);
    store<u16>(devs, <u16>devLen);
    memory.copy(devs + 2, image, devLen);
    store<u32>(ch, <u32>devs, CH_DEVICES);
    store<u8>(ch, CH_FLAG_OWN_DEVICES, CH_FLAGS);
  }
  store<u8>(ch, <u8>hook, CH_HOOK);
  store<i32>(ch, prio, CH_PRIO);
  store<u8>(ch, <u8>policy, CH_POLICY);
  store<u8>(ch, <u8>policy, CH_POLICY + 1);
  // A dormant table's chain is off its hook in the generations the table sleeps in.
  const t = tableRecord(table);
  const cur = cursor();
  store<u8>(ch, (load<u8>(t, TB_FLAGS) & TableFlags.Dormant ? ruleBit(cur) : 0) | (load<u8>(t, TB_FLAGS_NEXT) & TableFlags.Dormant ? ruleBit(cur ^ 1) : 0), CH_HOOK_OFF);
  if (!hooksRebuild(c)) return loadFail(LoadError.NoRoom, NoRoom.Memory);
  store<u8>(ch, load<u8>(ch, CH_FLAGS) | <u8>ChainFlags.Base | (nat ? CH_FLAG_NAT : 0), CH_FLAGS);
  // The hook walk looks for nat chains from now on (packets skip this one until the commit).
  if (nat) natChainsAdded();
  return 0;
}

/**
 * Publishes the active ruleset's hook lists again, in a new block (one
 * store: an evaluator reads the old block or the new one, whole), without
 * the chains deleted since (Dead) and with base chain `add` (NONE32: none)
 * where the kernel puts a new hook: before the first one of its priority
 * or higher (nf_hook_entries_grow). The new block's bytes come from old
 * blocks' and dead rules' (codeTake); the old block's go to later code
 * at the finish, as a dead rule's (no evaluator reads it after the grace
 * period; one on another thread may be reading it now). False: no room.
 */
function hooksRebuild(add: u32): bool {
  const rs = rtRuleset;
  const old = <usize>load<u32>(rs, RS_HOOKS);
  const nslots = HOOK_SLOTS * HOOK_NUM;
  let s1 = -1;
  let s2 = -1;
  let prio: i32 = 0;
  if (add != NONE32) {
    const ch = chainRecord(add);
    s1 = hookSlot(load<u8>(ch, CH_FAMILY), load<u8>(ch, CH_HOOK));
    s2 = hookSlot2;
    prio = load<i32>(ch, CH_PRIO);
  }
  // The new block's size, exactly: what retires it later counts its entries.
  let had: u32 = 0;
  let keep: u32 = (s1 >= 0 ? 1 : 0) + (s2 >= 0 ? 1 : 0);
  for (let s = 0; s < nslots; s++) {
    const first = load<u32>(old + (<usize>s << 3));
    const n = load<u32>(old + (<usize>s << 3), 4);
    had += n;
    for (let i: u32 = 0; i < n; i++) if (load<u8>(chainRecord(load<u32>(old + HOOK_LIST_AT + (<usize>(first + i) << 2))), CH_GEN) != <u8>RuleGen.Dead) keep++;
  }
  if (txLen >= LOG_MAX) return false;
  bumpRegion(<usize>load<u32>(rs, RS_TOP), <usize>load<u32>(rs, RS_END));
  // From old blocks' and dead rules' bytes first (codeTake), as a rule's code.
  const hooks = codeTake(<usize>HOOK_LIST_AT + <usize>keep * 4);
  if (!hooks || bumpFailed()) return false;
  let at: u32 = 0;
  for (let s = 0; s < nslots; s++) {
    const first = load<u32>(old + (<usize>s << 3));
    const n = load<u32>(old + (<usize>s << 3), 4);
    const start = at;
    let placed = s != s1 && s != s2;
    for (let i: u32 = 0; i < n; i++) {
      const c = load<u32>(old + HOOK_LIST_AT + (<usize>(first + i) << 2));
      const cr = chainRecord(c);
      if (load<u8>(cr, CH_GEN) == <u8>RuleGen.Dead) continue;
      if (!placed && load<i32>(cr, CH_PRIO) >= prio) {
        store<u32>(hooks + HOOK_LIST_AT + (<usize>(at++) << 2), add);
        placed = true;
      }
      store<u32>(hooks + HOOK_LIST_AT + (<usize>(at++) << 2), c);
    }
    if (!placed) store<u32>(hooks + HOOK_LIST_AT + (<usize>(at++) << 2), add);
    store<u32>(hooks + (<usize>s << 3), start);
    store<u32>(hooks + (<usize>s << 3), at - start, 4);
  }
  store<u32>(rs, <u32>bumpEnd(), RS_TOP);
  storeShared(rs + RS_HOOKS, <u32>hooks);
  logPush(TxOp.HookBlock, <u32>old, HOOK_LIST_AT + had * 4);
  return true;
}

/** Deletes chain `c`, whose rules have left the next generation (txFlushChain), from the next generation. */
export function txDelChain(c: u32): i32 {
  const ch = chainAt(c);
  if (!ch) return LoadError.BadChain;
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const bit = ruleBit(cursor() ^ 1);
  if (load<u8>(ch, CH_GEN) & bit) return loadFail(LoadError.NoSuchObject, c);
  const first = load<u32>(ch, CH_FIRST);
  for (let i: u32 = 0; i < load<u32>(ch, CH_COUNT); i++) if (!(load<u8>(ruleAt(first + i), RU_FFLAGS) & bit)) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  recordDelete(ch + CH_GEN, ch + CH_FREE_AT);
  logPush(TxOp.DelChain, c, 0);
  return 0;
}

/** Chain record `c` is free (Dead, its dead rule records dropped) from finish `at` on. */
function chainDead(c: u32, at: u32): void {
  const ch = chainRecord(c);
  store<u32>(ch, 0, CH_COUNT);
  const devs = <usize>load<u32>(ch, CH_DEVICES);
  if (load<u8>(ch, CH_FLAGS) & CH_FLAG_OWN_DEVICES) codeRetire(devs, devs + 2 + <usize>load<u16>(devs));
  store<u8>(ch, load<u8>(ch, CH_FLAGS) & ~CH_FLAG_OWN_DEVICES, CH_FLAGS);
  recordFree(ch + CH_GEN, ch + CH_FREE_AT, at);
}

// Tables come and go with the same two bits (TB_GEN). A table reaches
// packets only through its base chains, which come and go on their own,
// so the bits only say where the host may add chains, sets and objects.

@inline function tableRecord(k: u32): usize {
  return <usize>load<u32>(rtRuleset, RS_TABLES) + <usize>k * TB_SIZE;
}

/** Whether table `k` is in the next generation (what a transaction adds may go into it). */
function tableNext(k: u32): bool {
  return k < load<u32>(rtRuleset, RS_NTABLES) && !(load<u8>(tableRecord(k), TB_GEN) & ruleBit(cursor() ^ 1));
}

/** Whether record `k` may take a new table. */
function tableReusable(k: u32): bool {
  const rs = rtRuleset;
  const t = tableRecord(k);
  return recordReusable(k, load<u32>(rs, RS_NTABLES), load<u32>(rs, RS_TABLE_CAP), t + TB_GEN, t + TB_FREE_AT);
}

/** 1 if table record `k` may take a table that txAddTable adds. */
export function tableFree(k: u32): i32 {
  return rtRuleset && tableReusable(k) ? 1 : 0;
}

/** Adds table `k` (a record tableFree offered) of `family` (abi Family) to the next generation. */
export function txAddTable(k: u32, family: u32): i32 {
  const rs = rtRuleset;
  if (!rs) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const n = load<u32>(rs, RS_NTABLES);
  if (!tableReusable(k)) return loadFail(LoadError.NoRoom, NoRoom.Tables);
  if (family != Family.Inet && family != Family.Ipv4 && family != Family.Arp && family != Family.Netdev && family != Family.Bridge && family != Family.Ipv6) return loadFail(LoadError.BadTable, k, family);
  const t = tableRecord(k);
  store<u8>(t, <u8>family, TB_FAMILY);
  store<u8>(t, 0, TB_FLAGS);
  store<u8>(t, 0, TB_FLAGS_NEXT);
  store<u8>(t, ruleBit(cursor()), TB_GEN);
  if (k == n) storeShared(rs + RS_NTABLES, n + 1);
  logPush(TxOp.AddTable, k, 0);
  return 0;
}

/**
 * Table `k` goes dormant (`on`) or wakes in the next generation: its base
 * chains stay on their hook lists, off their hooks (CH_HOOK_OFF) in the
 * generations the table sleeps in, so the commit's one store moves every
 * chain of the table at once (nf_tables_table_disable / _enable).
 */
export function txTableDormant(k: u32, on: u32): i32 {
  if (!rtRuleset || !tableNext(k)) return loadFail(LoadError.BadTable, k, 0);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const t = tableRecord(k);
  const was = load<u8>(t, TB_FLAGS_NEXT);
  store<u8>(t, on ? was | <u8>TableFlags.Dormant : was & ~(<u8>TableFlags.Dormant), TB_FLAGS_NEXT);
  const bit = ruleBit(cursor() ^ 1);
  const chains = <usize>load<u32>(rtRuleset, RS_CHAINS);
  for (let c: u32 = 0; c < load<u32>(rtRuleset, RS_NCHAINS); c++) {
    const ch = chains + <usize>c * CH_SIZE;
    if (load<u32>(ch, CH_TABLE) != k || !(load<u8>(ch, CH_FLAGS) & ChainFlags.Base) || load<u8>(ch, CH_GEN) == <u8>RuleGen.Dead) continue;
    store<u8>(ch, on ? load<u8>(ch, CH_HOOK_OFF) | bit : load<u8>(ch, CH_HOOK_OFF) & ~bit, CH_HOOK_OFF);
  }
  logPush(TxOp.TableDormant, k, 0);
  return 0;
}

/**
 * Table `k`'s flags and its base chains' hooks in both generations as the
 * cursor's generation has them: at the finish of txTableDormant (`committed`)
 * the new one's, at an abort the current one's.
 */
function tableSettle(k: u32, committed: bool): void {
  const t = tableRecord(k);
  const g = cursor();
  const flags = committed ? load<u8>(t, TB_FLAGS_NEXT) : load<u8>(t, TB_FLAGS);
  store<u8>(t, flags, TB_FLAGS);
  store<u8>(t, flags, TB_FLAGS_NEXT);
  const chains = <usize>load<u32>(rtRuleset, RS_CHAINS);
  for (let c: u32 = 0; c < load<u32>(rtRuleset, RS_NCHAINS); c++) {
    const ch = chains + <usize>c * CH_SIZE;
    if (load<u32>(ch, CH_TABLE) != k || !(load<u8>(ch, CH_FLAGS) & ChainFlags.Base)) continue;
    store<u8>(ch, load<u8>(ch, CH_HOOK_OFF) & ruleBit(g) ? <u8>RuleGen.Dead : 0, CH_HOOK_OFF);
  }
}

/** Deletes table `k`, whose chains, sets and objects the host deleted first, from the next generation. */
export function txDelTable(k: u32): i32 {
  const rs = rtRuleset;
  if (!rs || k >= load<u32>(rs, RS_NTABLES)) return loadFail(LoadError.BadTable, k, 0);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const t = tableRecord(k);
  if (!recordDelete(t + TB_GEN, t + TB_FREE_AT)) return loadFail(LoadError.NoSuchObject, k);
  logPush(TxOp.DelTable, k, 0);
  return 0;
}

// Sets come and go with the same two bits (SD_GEN): a named set by its
// own commands, a rule's anonymous sets with the rule (RU_SETS). No packet
// reaches a set but through a rule or element of its generation, so the
// packet path never reads them. A dead set's descriptor goes to a later set,
// and its memory (entries, element expressions, buckets: one range) to later
// sets, rules and objects, after the grace period.

@inline function setRecord(k: u32): usize {
  return setAddr(<usize>load<u32>(rtRuleset, RS_SETS), k);
}

/** Whether descriptors `first` .. `first` + `n` - 1 may take new sets: dead ones a finish has passed since, or the next ones. */
function setRunFree(first: u32, n: u32): bool {
  const rs = rtRuleset;
  const nsets = load<u32>(rs, RS_NSETS);
  if (!n) return true;
  if (first > nsets || <u64>first + n > <u64>load<u32>(rs, RS_SET_CAP)) return false;
  for (let k = first; k < first + n && k < nsets; k++) {
    const sd = setRecord(k);
    if (!recordReusable(k, nsets, 0, sd + SD_GEN, sd + SD_FREE_AT)) return false;
  }
  return true;
}

/** 1 if descriptors `first` .. `first` + `n` - 1 may take the sets a patch adds (the host picks them: the rule's lookups name them). */
export function setFree(first: u32, n: u32): i32 {
  return rtRuleset && setRunFree(first, n) ? 1 : 0;
}

/** Deletes named set `k` (which no rule of the next generation looks up) from the next generation. */
export function txDelSet(k: u32): i32 {
  const rs = rtRuleset;
  if (!rs || k >= load<u32>(rs, RS_NSETS)) return loadFail(LoadError.BadSet, k);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const sd = setRecord(k);
  if (load<u32>(sd, SD_FLAGS) & SetFlags.Anonymous) return loadFail(LoadError.BadSet, k);
  if (!recordDelete(sd + SD_GEN, sd + SD_FREE_AT)) return loadFail(LoadError.NoSuchObject, k);
  logPush(TxOp.DelSet, k, 0);
  return 0;
}

/**
 * The next generation of interval set `k` (SetKind.Interval or Ranges): all
 * its elements, from the patch image (`len` bytes: one set, the same as
 * `k` but for its elements), built at descriptor `scratch` (one setFree
 * offered); the finish moves them into `k` in one step, so a packet sees
 * the old contents or the new ones (an interval set's entries are sorted:
 * an element cannot be slipped in among them). As nft_set_pipapo, which
 * clones its lookup table for the next generation, this costs the set's
 * size, not the ruleset's. The finish comes after the grace period under
 * evaluator threads, too late for packets of the new generation: a whole
 * load then.
 */
export function txReplaceSet(len: u32, k: u32, scratch: u32): i32 {
  const rs = rtRuleset;
  if (!rs || k >= load<u32>(rs, RS_NSETS)) return loadFail(LoadError.BadSet, k);
  const sd = setRecord(k);
  const kind = load<u8>(sd, SD_KIND);
  if (sharedMemory() || kind == SetKind.Hash || load<u32>(sd, SD_EXPRS) || load<u8>(sd, SD_DATA_KIND) == SetData.Verdict || load<u8>(sd, SD_GEN) & ruleBit(cursor() ^ 1)) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  let err = patchBegin(len, 0);
  if (err) return err;
  if (secCount[4] != 1) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  err = patchSets(scratch);
  if (!err) {
    // The same set: rules' lookups and their summaries (fast.ts: a catch-all or not) read it as they did.
    const nd = setRecord(scratch);
    if (load<u8>(nd, SD_KIND) != kind || load<u8>(nd, SD_KLEN) != load<u8>(sd, SD_KLEN) || load<u8>(nd, SD_DLEN) != load<u8>(sd, SD_DLEN) ||
      load<u8>(nd, SD_DATA_KIND) != load<u8>(sd, SD_DATA_KIND) || load<u8>(nd, SD_OBJ_TYPE) != load<u8>(sd, SD_OBJ_TYPE) || load<u32>(nd, SD_FLAGS) != load<u32>(sd, SD_FLAGS) ||
      load<u32>(nd, SD_TABLE) != load<u32>(sd, SD_TABLE) || load<u16>(nd, SD_ESTRIDE) != load<u16>(sd, SD_ESTRIDE) || load<u32>(nd, SD_EXPRS) ||
      (load<u32>(nd, SD_CATCHALL) != 0) != (load<u32>(sd, SD_CATCHALL) != 0)) err = loadFail(LoadError.NoRoom, NoRoom.Kind);
  }
  if (err) {
    setsUndo(scratch);
    return err;
  }
  store<u32>(rs, <u32>bumpEnd(), RS_TOP);
  store<u32>(rs, setsAfter(scratch, 1), RS_NSETS);
  statePublish();
  logPush(TxOp.ReplaceSet, k, scratch);
  return 0;
}

/** The finish of txReplaceSet: set `k` takes the contents built at `scratch` (its generation bits and jump level stay), its old memory is retired, and `scratch` is free. */
function setReplaced(k: u32, scratch: u32): void {
  const sd = setRecord(k);
  const nd = setRecord(scratch);
  const from = <usize>load<u32>(sd, SD_ENTRIES);
  const to = <usize>load<u32>(sd, SD_MEM_END);
  const gen = load<u8>(sd, SD_GEN);
  const freeAt = load<u32>(sd, SD_FREE_AT);
  const level = load<u8>(sd, SD_LEVEL);
  memory.copy(sd, nd, SD_SIZE);
  store<u8>(sd, gen, SD_GEN);
  store<u32>(sd, freeAt, SD_FREE_AT);
  store<u8>(sd, level, SD_LEVEL);
  if (from && to > from) codeRetire(from, to);
  // Its memory is the set's now.
  store<u32>(nd, 0, SD_ENTRIES);
  setDead(nd, finishSeq + 1);
}

/** Set `sd` is free from finish `at` on; its memory goes to later sets, rules and objects (codeRetire's grace period). */
function setDead(sd: usize, at: u32): void {
  const from = <usize>load<u32>(sd, SD_ENTRIES);
  const to = <usize>load<u32>(sd, SD_MEM_END);
  if (from && to > from) codeRetire(from, to);
  store<u32>(sd, 0, SD_ENTRIES);
  store<u32>(sd, 0, SD_MEM_END);
  store<u32>(sd, 0, SD_COUNT);
  store<u32>(sd, 0, SD_LIVE);
  recordFree(sd + SD_GEN, sd + SD_FREE_AT, at);
}

// Named objects come and go like regular chains: OB_GEN marks the
// generations an object is not in. No packet reaches an object but through
// a rule or map element that names it, and the host deletes only objects
// nothing names (the kernel's EBUSY), so the packet path never reads the
// marks; they say which records the verifier may let rules name and which
// are free. A deleted object's record and state bytes go to a later object
// after the grace period, as a chain's.

@inline function objectRecord(k: u32): usize {
  return <usize>load<u32>(rtRuleset, RS_OBJECTS) + <usize>k * OB_SIZE;
}

/** Whether record `k` may take a new object. */
function objectReusable(k: u32): bool {
  const rs = rtRuleset;
  const o = objectRecord(k);
  return recordReusable(k, load<u32>(rs, RS_NOBJECTS), load<u32>(rs, RS_OBJ_CAP), o + OB_GEN, o + OB_FREE_AT);
}

/** 1 if object record `k` may take an object that txAddObject adds (the host picks the index: the rules that name the object hold it). */
export function objectFree(k: u32): i32 {
  return rtRuleset && objectReusable(k) ? 1 : 0;
}

/**
 * Adds the named object of the patch image (`len` bytes in the image
 * buffer: one object record and its state record, nothing else) to the
 * next generation at record `k`, which objectFree offered.
 */
export function txAddObject(len: u32, k: u32): i32 {
  const rs = rtRuleset;
  loadWhere(LoadWhere.Object, 0, 0, k, 0);
  if (<usize>len > imageCap) return loadFail(LoadError.Truncated, len);
  let err = checkHeader(len);
  if (err) return err;
  if (secCount[2] || secCount[3] || secCount[4] || secCount[7] || secCount[6] != 1 || !recordsOk(6, OBJ_RECORD_SIZE)) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  if (!objectReusable(k)) return loadFail(LoadError.NoRoom, NoRoom.Objects);
  const q = sec(6);
  const table = load<u32>(q, OBJ_TABLE);
  if (!tableNext(table)) return loadFail(LoadError.BadTable, table, 0);
  const type = load<u8>(q, OBJ_TYPE);
  const size = secSize[8];
  let at: usize = 0;
  if (load<u32>(q, OBJ_STATE) != NONE32) {
    if (load<u32>(q, OBJ_STATE) != 0) return loadFail(LoadError.BadObject, k);
    bumpRegion(<usize>load<u32>(rs, RS_TOP), <usize>load<u32>(rs, RS_END));
    at = codeTake(size);
    if (!at || bumpFailed()) return loadFail(LoadError.NoRoom, NoRoom.Memory);
    memory.copy(at, sec(8), size);
    verifyActive(load<u32>(rs, RS_NSETS));
    stateResume();
    err = verifyState(at, <u32>size, type, tableFamily(table));
    if (!err && <usize>vSize != size) err = loadFail(LoadError.Truncated, vSize);
    if (err) {
      codeGiveBack();
      return err;
    }
    store<u32>(rs, <u32>bumpEnd(), RS_TOP);
    statePublish();
    txCtFamilies = vCtFamilies;
  } else if (size) return loadFail(LoadError.Truncated, <u32>size);
  const o = objectRecord(k);
  store<u32>(o, <u32>at, OB_STATE);
  store<u8>(o, type, OB_TYPE);
  store<u32>(o, table, OB_TABLE);
  store<u8>(o, ruleBit(cursor()), OB_GEN);
  // The record is whole before the count shows it to another thread.
  const n = load<u32>(rs, RS_NOBJECTS);
  if (k == n) storeShared(rs + RS_NOBJECTS, n + 1);
  logPush(TxOp.AddObject, k, 0);
  return 0;
}

/** Deletes named object `k` (which nothing in the next generation names) from the next generation. */
export function txDelObject(k: u32): i32 {
  const rs = rtRuleset;
  if (!rs || k >= load<u32>(rs, RS_NOBJECTS)) return loadFail(LoadError.BadObject, k);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  const o = objectRecord(k);
  if (!recordDelete(o + OB_GEN, o + OB_FREE_AT)) return loadFail(LoadError.NoSuchObject, k);
  logPush(TxOp.DelObject, k, 0);
  return 0;
}

/** Whether an element of the verifier's table may name object `k` in generation `g`: one of the table and `type`, in `g`. */
function objectOk(k: u32, type: u32, g: u32): bool {
  return objOk(k, type) && !(load<u8>(objectRecord(k), OB_GEN) & ruleBit(g));
}

/** Object record `k` is free from finish `at` on; its state bytes go to later code (codeRetire's grace period). */
function objectDead(k: u32, at: u32): void {
  const o = objectRecord(k);
  // Conntrack entries that took a ct timeout's policy read the sysctls from now on, as the kernel's do.
  if (ctc && load<u8>(o, OB_TYPE) == ObjectType.CtTimeout) untimeout(k);
  const st = <usize>load<u32>(o, OB_STATE);
  if (st) {
    stateRetireIn(st, st + <usize>load<u16>(st, 2));
    codeRetire(st, st + <usize>load<u16>(st, 2));
  }
  // No state: the verifier lets nothing name it again.
  store<u32>(o, 0, OB_STATE);
  recordFree(o + OB_GEN, o + OB_FREE_AT, at);
}

/** A base chain's policy (`verdict`: Verdict.Accept or Drop) in the next generation. */
export function txPolicy(c: u32, verdict: u32): i32 {
  const ch = chainAt(c);
  if (!ch) return LoadError.BadChain;
  if (!(load<u8>(ch, CH_FLAGS) & ChainFlags.Base) || verdict > <u32>Verdict.Accept) return loadFail(LoadError.BadChainRecord, c, 2);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  store<u8>(ch + (cursor() ^ 1), <u8>verdict, CH_POLICY);
  logPush(TxOp.Policy, c, 0);
  return 0;
}

/** Copies chain `c`'s policy of generation `from` into generation `from ^ 1`'s byte. */
function policyCopy(c: u32, from: u32): void {
  const ch = chainRecord(c);
  store<u8>(ch + (from ^ 1), load<u8>(ch + from, CH_POLICY), CH_POLICY);
}

/** Set `k` of the active ruleset if elements can be added and deleted in place (a hash set without element expressions), else 0. */
function elementSet(k: u32): usize {
  const rs = rtRuleset;
  if (k >= load<u32>(rs, RS_NSETS)) return 0;
  const sd = setRecord(k);
  if (load<u8>(sd, SD_KIND) != SetKind.Hash || load<u32>(sd, SD_EXPRS) || load<u8>(sd, SD_GEN) & ruleBit(cursor() ^ 1)) return 0;
  return sd;
}

/** The size of the plain element record at `pos` (key, data or verdict, timeout, expiry, comment) for set `sd`, 0 if it is anything else. */
function elementSize(sd: usize, pos: usize, end: usize, keysOnly: bool): usize {
  if (pos + ELEM_KEY > end) return 0;
  const size = <usize>load<u16>(pos, ELEM_SIZE);
  const has = <i32>load<u8>(pos, ELEM_HAS);
  if (size < <usize>ELEM_KEY || size & 3 || pos + size > end || load<u8>(pos, ELEM_FLAGS) != 0) return 0;
  if (<u32>load<u8>(pos, ELEM_KEY_COUNT) != <u32>load<u8>(sd, SD_NFIELDS)) return 0;
  if (has & ~(ElemHas.Data | ElemHas.Verdict | ElemHas.Timeout | ElemHas.Expires | ElemHas.Comment)) return 0;
  let need = <usize>ELEM_KEY + <usize>load<u16>(sd, SD_KSTRIDE);
  const dkind = <i32>load<u8>(sd, SD_DATA_KIND);
  const objType = load<u8>(sd, SD_OBJ_TYPE);
  if (has & ElemHas.Data) {
    // An object map's data: the object's index.
    const edlen = <u32>load<u8>(pos, ELEM_DATA_LEN);
    if (objType ? edlen != 4 : dkind != SetData.Value || edlen == 0 || edlen > <u32>load<u8>(sd, SD_DLEN)) return 0;
    need += (edlen + 3) & ~3;
  }
  if (has & ElemHas.Verdict) {
    if (dkind != SetData.Verdict) return 0;
    need += 8;
  }
  if (!keysOnly && (dkind != SetData.None || objType) && !(has & (ElemHas.Data | ElemHas.Verdict))) return 0;
  if (has & ElemHas.Timeout) need += 8;
  if (has & ElemHas.Expires) need += 8;
  if (has & ElemHas.Comment) need += 4;
  return need == size ? size : 0;
}

/**
 * Adds (`del` false) or deletes the `n` element records in the image buffer
 * (`len` bytes, elements-section format; a deletion reads only the keys) to
 * or from set `k` in the next generation. An element the next generation
 * already holds stays as it is (nft's `add element`); one this transaction
 * deleted, or an expired one, is refused with NoRoom (the whole load sorts
 * it out).
 */
function elementsTx(k: u32, n: u32, len: u32, del: bool): i32 {
  const sd = elementSet(k);
  if (!sd) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (<usize>len > imageCap) return loadFail(LoadError.Truncated, len);
  const end = image + len;
  const flagsAt = <usize>load<u16>(sd, SD_EFLAGS_AT);
  const cur = cursor();
  const rs = rtRuleset;
  // A verdict's chain is checked against the active ruleset's (the verifier's), and its jumps by a walk of what they reach (jumps.ts).
  if (!del) {
    verifyActive(load<u32>(rs, RS_NSETS));
    const table = load<u32>(sd, SD_TABLE);
    verifyRule(table, tableFamily(table), 0, 0);
  }
  let pos = image;
  for (let j: u32 = 0; j < n; j++) {
    loadWhere(LoadWhere.Element, 0, 0, k, j);
    const size = elementSize(sd, pos, end, del);
    if (!size) return loadFail(LoadError.NoRoom, NoRoom.Kind);
    if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
    const old = hashFind(sd, pos + ELEM_KEY);
    const pending = old != 0 && (load<u32>(old + flagsAt) & entryBit(cur ^ 1)) != 0;
    if (del) {
      if (!old || pending) return loadFail(LoadError.NoSuchObject, 0);
      store<u32>(old + flagsAt, load<u32>(old + flagsAt) | entryBit(cur ^ 1));
      logPush(TxOp.DelElem, <u32>sd, <u32>old);
    } else {
      if (old) {
        if (pending || !entryLive(sd, old, pTstamp)) return loadFail(LoadError.NoRoom, NoRoom.Kind);
      } else {
        const e = newEntry(sd, pos, cur);
        if (!e) return <i32>load<u32>(ctl, VM_ERR_KIND);
        logPush(TxOp.AddElem, <u32>sd, <u32>e);
      }
      // An object map's element names an object of the map's table and type, in the next generation.
      const objType = <u32>load<u8>(sd, SD_OBJ_TYPE);
      if (objType && !objectOk(load<u32>(pos + ELEM_KEY + <usize>load<u16>(sd, SD_KSTRIDE)), objType, cur ^ 1)) return loadFail(LoadError.BadObject, load<u32>(pos + ELEM_KEY + <usize>load<u16>(sd, SD_KSTRIDE)));
      // The kernel checks a jump's loops and depth even when the element is there already (nft_validate_register_store).
      if (load<u8>(pos, ELEM_HAS) & ElemHas.Verdict) {
        const v = pos + ELEM_KEY + <usize>load<u16>(sd, SD_KSTRIDE);
        const code = load<i32>(v);
        if (code == Verdict.Jump || code == Verdict.Goto) {
          walkNext();
          if (!elementJumpOk(sd, load<u32>(v, 4))) return loadFail(LoadError.NoRoom, NoRoom.Jumps);
        }
      }
    }
    pos += size;
  }
  return 0;
}

/**
 * A slot for a new entry of set `sd`: a reused one or the next unused one;
 * 0 when there is none. A retired slot is reused only once a grace period
 * has passed since it was retired (the finish after it): an evaluator that
 * read its bucket before the bucket was cleared has then left its batch.
 */
function entrySlot(sd: usize): usize {
  promoteRetired(sd);
  const free = <usize>load<u32>(sd, SD_FREE);
  if (free) {
    store<u32>(sd, load<u32>(free), SD_FREE);
    memory.fill(free, 0, load<u16>(sd, SD_ESTRIDE));
    return free;
  }
  const count = load<u32>(sd, SD_COUNT);
  if (count >= load<u32>(sd, SD_CAPACITY)) return 0;
  store<u32>(sd, count + 1, SD_COUNT);
  return <usize>load<u32>(sd, SD_ENTRIES) + <usize>count * load<u16>(sd, SD_ESTRIDE);
}

/** Moves set `sd`'s retired entries to its free list once a finish has passed since the last of them was retired. */
function promoteRetired(sd: usize): void {
  let e = <usize>load<u32>(sd, SD_RETIRED);
  if (!e || load<u32>(sd, SD_RETIRED_AT) == finishSeq) return;
  const head = e;
  while (load<u32>(e)) e = <usize>load<u32>(e);
  store<u32>(e, load<u32>(sd, SD_FREE));
  store<u32>(sd, <u32>head, SD_FREE);
  store<u32>(sd, 0, SD_RETIRED);
}

/** A new entry of set `sd` from the element record at `pos`, not in generation `cur`; 0 on an error (loadFail said which). */
function newEntry(sd: usize, pos: usize, cur: u32): usize {
  const e = entrySlot(sd);
  if (!e) {
    loadFail(LoadError.NoRoom, NoRoom.Entries);
    return 0;
  }
  if (fillEntry(sd, e, pos, load<u64>(sd, SD_TIMEOUT) / 1000000)) {
    retireEntry(sd, e, false);
    return 0;
  }
  // Added while packets flow: its timeout runs from the last packet's time.
  const expAt = e + <usize>load<u16>(sd, SD_EXPIRES_AT);
  const exp = load<u64>(expAt);
  if (setEpoch() && exp & EXPIRES_RELATIVE) store<u64>(expAt, pTstamp + (exp & ~EXPIRES_RELATIVE));
  const flags = e + <usize>load<u16>(sd, SD_EFLAGS_AT);
  store<u32>(flags, load<u32>(flags) | entryBit(cur));
  hashAdd(sd, e);
  store<u32>(sd, load<u32>(sd, SD_LIVE) + 1, SD_LIVE);
  return e;
}

/** `flush set`: every element of set `k` leaves the next generation. */
export function txFlushSet(k: u32): i32 {
  const sd = elementSet(k);
  if (!sd) return loadFail(LoadError.NoRoom, NoRoom.Kind);
  if (txLen >= LOG_MAX) return loadFail(LoadError.NoRoom, NoRoom.Log);
  // Elements this transaction added go too.
  const bit = entryBit(cursor() ^ 1);
  entrySweep(sd, EntryFlags.Live | bit, EntryFlags.Live, bit, 0);
  logPush(TxOp.FlushSet, <u32>sd, 0);
  return 0;
}

/**
 * Entries of set `sd` whose flags under `mask` are `has`: gain `set` (a
 * flush), lose `clear` (a flush aborted), or, with neither, are retired (a
 * flush committed).
 */
function entrySweep(sd: usize, mask: u32, has: u32, set: u32, clear: u32): void {
  const flagsAt = <usize>load<u16>(sd, SD_EFLAGS_AT);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const n = load<u32>(sd, SD_COUNT);
  for (let j: u32 = 0; j < n; j++) {
    const e = entries + <usize>j * stride;
    const f = load<u32>(e + flagsAt);
    if ((f & mask) != has) continue;
    if (set | clear) store<u32>(e + flagsAt, (f | set) & ~clear);
    else retireEntry(sd, e);
  }
}

/** Adds the `n` element records in the image buffer (`len` bytes) to set `k` in the next generation. */
export function txAddElements(k: u32, n: u32, len: u32): i32 {
  return elementsTx(k, n, len, false);
}

/** Deletes the `n` elements (records as txAddElements; only their keys count) from set `k` in the next generation. */
export function txDelElements(k: u32, n: u32, len: u32): i32 {
  return elementsTx(k, n, len, true);
}

/**
 * Removes entry `e` of hash set `sd`: its bucket becomes a tombstone, its
 * flags say "no element" before its first word links it into SD_RETIRED,
 * for reuse after another grace period (entrySlot). `linked`: it is in the
 * hash table (an entry that failed to fill is not).
 */
function retireEntry(sd: usize, e: usize, linked: bool = true): void {
  if (linked) {
    hashUnlink(sd, e);
    store<u32>(sd, load<u32>(sd, SD_LIVE) - 1, SD_LIVE);
  }
  storeShared(e + load<u16>(sd, SD_EFLAGS_AT), 0);
  // Retired earlier: reusable now, and not held back by this one.
  promoteRetired(sd);
  store<u32>(e, load<u32>(sd, SD_RETIRED));
  store<u32>(sd, <u32>e, SD_RETIRED);
  store<u32>(sd, finishSeq, SD_RETIRED_AT);
}

/**
 * The rule record logged change `i` is about (an AddRule's new rule, a
 * DelRule's deleted one, found by its mask under cursor `cur`), 0 if none.
 */
function loggedRule(i: i32, cur: u32): usize {
  const op = unchecked(txLog[i * 3]);
  const ch = chainRecord(unchecked(txLog[i * 3 + 1]));
  const j = findRuleAny(ch, unchecked(txLog[i * 3 + 2]), op == TxOp.AddRule ? ruleBit(cur) : ruleBit(cur ^ 1));
  return j < 0 ? 0 : ruleAt(load<u32>(ch, CH_FIRST) + <u32>j);
}

/** Marks rule record `r` dead (in no generation): its slot is squeezed out later (compactChains), its code and anonymous sets retired. */
function ruleDead(r: usize): void {
  store<u8>(r, load<u8>(r, RU_FFLAGS) | <u8>RuleGen.Dead, RU_FFLAGS);
  store<u32>(rtRuleset, load<u32>(rtRuleset, RS_WASTE) + 1, RS_WASTE);
  stateRetireIn(<usize>load<u32>(r, RU_CODE), <usize>load<u32>(r, RU_END));
  codeRetire(<usize>load<u32>(r, RU_CODE), <usize>load<u32>(r, RU_END));
  const own = load<u32>(r, RU_SETS);
  const sets = <usize>load<u32>(rtRuleset, RS_SETS);
  for (let k: u32 = 0; k < own >> 24; k++) setDead(setAddr(sets, (own & 0xffffff) + k), finishSeq + 1);
  store<u32>(r, 0, RU_SETS);
}

/** The finish of a rule's addition: its anonymous sets are in both generations too (`old`: the one they were not in). */
function ruleSetsJoined(r: usize, old: u32): void {
  const own = load<u32>(r, RU_SETS);
  const sets = <usize>load<u32>(rtRuleset, RS_SETS);
  for (let k: u32 = 0; k < own >> 24; k++) recordJoined(setAddr(sets, (own & 0xffffff) + k) + SD_GEN, old);
}

// Code ranges of dead rules (RS_CODE_RETIRED, then RS_CODE_FREE): each
// range holds its u32 next and u32 bytes in its first 8 bytes, and is a
// multiple of 8 bytes at an 8-byte boundary, as bump lays out code.

/** Free ranges a rule's code looks through before it is bumped instead. */
const CODE_WALK: i32 = 16;
/** Fewer bytes than the smallest rule's code (a verdict immediate): a range left this small goes with the rule that took the rest (and is lost when it dies: codeRetire knows only its code's end). */
const CODE_MIN: u32 = 16;

/** The free range codeTake took for the rule being added (0: its code was bumped), the word that linked it, and its next and bytes before. */
let takenRange: usize = 0;
let takenLink: usize = 0;
let takenNext: u32 = 0;
let takenBytes: u32 = 0;
/** What codeTake gave the rule: the whole range, or its last bytes (the range stays linked, shorter). */
let takenWhole = false;

/**
 * The address for `size` bytes of a new rule's code: the first free range
 * that fits exactly, else the first larger one (its last bytes; what is left
 * stays linked), among the first CODE_WALK; else bumped (0: no room).
 */
function codeTake(size: usize): usize {
  const rs = rtRuleset;
  takenRange = 0;
  const need = <u32>((size + 7) & ~7);
  if (need) {
    codePromote();
    let link = rs + RS_CODE_FREE;
    let fitLink: usize = 0;
    for (let n = 0; n < CODE_WALK; n++) {
      const f = <usize>load<u32>(link);
      if (!f) break;
      const bytes = load<u32>(f, 4);
      if (bytes == need) {
        fitLink = link;
        break;
      }
      if (bytes > need && !fitLink) fitLink = link;
      link = f;
    }
    if (fitLink) {
      const f = <usize>load<u32>(fitLink);
      takenRange = f;
      takenLink = fitLink;
      takenNext = load<u32>(f);
      takenBytes = load<u32>(f, 4);
      takenWhole = takenBytes - need < CODE_MIN;
      if (takenWhole) {
        store<u32>(fitLink, takenNext);
        return f;
      }
      store<u32>(f, takenBytes - need, 4);
      return f + takenBytes - need;
    }
  }
  return bump(size);
}

/** Undoes codeTake for a refused rule: the range it took is free again, as it was. */
function codeGiveBack(): void {
  const f = takenRange;
  if (!f) return;
  takenRange = 0;
  if (!takenWhole) {
    store<u32>(f, takenBytes, 4);
    return;
  }
  store<u32>(f, takenNext);
  store<u32>(f, takenBytes, 4);
  store<u32>(takenLink, <u32>f);
}

/** The retired code ranges join the free ones once a finish has passed since the last of them was retired (entrySlot's grace period). */
function codePromote(): void {
  const rs = rtRuleset;
  const head = load<u32>(rs, RS_CODE_RETIRED);
  if (!head || load<u32>(rs, RS_CODE_RETIRED_AT) == finishSeq) return;
  store<u32>(<usize>load<u32>(rs, RS_CODE_RETIRED_LAST), load<u32>(rs, RS_CODE_FREE));
  store<u32>(rs, head, RS_CODE_FREE);
  store<u32>(rs, 0, RS_CODE_RETIRED);
}

/**
 * Retires the code [`from`, `to`) of a rule that just died: no packet of
 * the generations to come runs it, but an evaluator on another thread may
 * still be in it until the next grace period ends (codePromote). A range
 * next to the last one retired (a flushed chain's rules, bumped in order)
 * is merged with it.
 */
function codeRetire(from: usize, to: usize): void {
  const rs = rtRuleset;
  const code = <usize>load<u32>(rs, RS_CODE);
  // A loaded rule's code tiles the code section with its neighbours': only the 8-byte-aligned inside is its own. Bumped code owns up to the next boundary.
  if (from >= code && from < code + <usize>load<u32>(rs, RS_CODE_SIZE)) {
    from = (from + 7) & ~7;
    to &= ~7;
  } else to = (to + 7) & ~7;
  if (to <= from) return;
  const bytes = <u32>(to - from);
  // Retired earlier: reusable now, and not held back by this one.
  codePromote();
  const head = <usize>load<u32>(rs, RS_CODE_RETIRED);
  store<u32>(rs, finishSeq, RS_CODE_RETIRED_AT);
  if (head && head + <usize>load<u32>(head, 4) == from) {
    store<u32>(head, load<u32>(head, 4) + bytes, 4);
    return;
  }
  if (head && to == head) {
    store<u32>(from, load<u32>(head));
    store<u32>(from, bytes + load<u32>(head, 4), 4);
    if (load<u32>(rs, RS_CODE_RETIRED_LAST) == <u32>head) store<u32>(rs, <u32>from, RS_CODE_RETIRED_LAST);
  } else {
    store<u32>(from, <u32>head);
    store<u32>(from, bytes, 4);
    if (!head) store<u32>(rs, <u32>from, RS_CODE_RETIRED_LAST);
  }
  store<u32>(rs, <u32>from, RS_CODE_RETIRED);
}

// State slots (a limit's tokens, a numgen's counter) of dead rules and
// objects: their indices go on a retired stack at the end of the
// RS_STATE_FREE array, and onto the free stack at its start once another
// finish has passed (codeRetire's grace period); the verifier takes free
// ones before new ones. Both stacks hold indices handed out once, so they
// never meet.

/** The verifier continues the active ruleset's state slots. */
function stateResume(): void {
  const rs = rtRuleset;
  statePromote();
  verifyResume(load<u32>(rs, RS_STATE_NEXT), <usize>load<u32>(rs, RS_STATE_FREE), load<u32>(rs, RS_STATE_NFREE), txCtFamilies);
}

/** What the verifier took, for good. */
function statePublish(): void {
  store<u32>(rtRuleset, vStateNext, RS_STATE_NEXT);
  store<u32>(rtRuleset, vStateNfree, RS_STATE_NFREE);
}

/** Retired slots join the free ones once a finish has passed since the last was retired. */
function statePromote(): void {
  const rs = rtRuleset;
  const n = load<u32>(rs, RS_STATE_NRETIRED);
  if (!n || load<u32>(rs, RS_STATE_RETIRED_AT) == finishSeq) return;
  const arr = <usize>load<u32>(rs, RS_STATE_FREE);
  const end = arr + <usize>load<u32>(rs, RS_NSTATE) * 4;
  let nfree = load<u32>(rs, RS_STATE_NFREE);
  for (let i: u32 = 1; i <= n; i++) store<u32>(arr + <usize>(nfree++) * 4, load<u32>(end - <usize>i * 4));
  store<u32>(rs, nfree, RS_STATE_NFREE);
  store<u32>(rs, 0, RS_STATE_NRETIRED);
}

/** Retires the state slots of the limit and numgen records in the code [`p`, `end`) of a rule or object that just died. */
function stateRetireIn(p: usize, end: usize): void {
  const rs = rtRuleset;
  while (p + 4 <= end) {
    const op = <u32>load<u8>(p);
    const size = <usize>load<u16>(p, 2);
    if (!size) return;
    if (op == Op.Limit || op == Op.Numgen) {
      statePromote();
      const n = load<u32>(rs, RS_STATE_NRETIRED) + 1;
      store<u32>(<usize>load<u32>(rs, RS_STATE_FREE) + (<usize>load<u32>(rs, RS_NSTATE) - n) * 4, <u32>load<u16>(p + (op == Op.Limit ? LIMIT_VM_STATE : NUMGEN_VM_STATE)));
      store<u32>(rs, n, RS_STATE_NRETIRED);
      store<u32>(rs, finishSeq, RS_STATE_RETIRED_AT);
    }
    p += size;
  }
}

/** Clears generation bit `bit` of element entry `e` of set `sd`. */
function entryClearBit(sd: usize, e: usize, bit: u32): void {
  const f = e + load<u16>(sd, SD_EFLAGS_AT);
  store<u32>(f, load<u32>(f) & ~bit);
}

/**
 * Commits: one store flips the cursor (the next packet sees the new
 * generation whole). `finish` (no evaluator on another thread can be in
 * the old generation): txFinish at once; else the host calls it after the
 * grace period, or the next transaction or load does.
 */
export function txCommit(finish: u32): i32 {
  const cur = cursor();
  generationStep();
  store<u32>(ctl, cur ^ 1, VM_GEN_CURSOR);
  generationStep();
  if (ctc) store<u32>(ctc, txCtFamilies, CTC_FAMILIES);
  txCommitted = true;
  if (finish) txFinish();
  return 0;
}

/** Finishes the committed transaction: new records join both generations, deleted ones are retired. */
export function txFinish(): void {
  if (!txCommitted) return;
  txCommitted = false;
  finishSeq++;
  // The cursor now names the new generation; `old` is the one the transaction's marks hid things from.
  const old = cursor() ^ 1;
  for (let i = 0; i < txLen; i++) {
    const op = unchecked(txLog[i * 3]);
    const a = <usize>unchecked(txLog[i * 3 + 1]);
    const b = <usize>unchecked(txLog[i * 3 + 2]);
    if (op == TxOp.AddRule || op == TxOp.DelRule) {
      const r = loggedRule(i, old);
      if (!r) continue;
      if (op == TxOp.AddRule) {
        store<u8>(r, load<u8>(r, RU_FFLAGS) & ~ruleBit(old), RU_FFLAGS);
        ruleSetsJoined(r, old);
      } else ruleDead(r);
    } else if (op == TxOp.AddElem) entryClearBit(a, b, entryBit(old));
    else if (op == TxOp.DelElem) retireEntry(a, b);
    else if (op == TxOp.FlushChain) chainSweep(<u32>a, ruleBit(old ^ 1), true);
    else if (op == TxOp.FlushSet) entrySweep(a, ENTRY_GEN, EntryFlags.Live | entryBit(old ^ 1), 0, 0);
    else if (op == TxOp.AddChain) recordJoined(chainRecord(<u32>a) + CH_GEN, old);
    else if (op == TxOp.DelChain) chainDead(<u32>a, finishSeq + 1);
    else if (op == TxOp.AddObject) recordJoined(objectRecord(<u32>a) + OB_GEN, old);
    else if (op == TxOp.DelObject) objectDead(<u32>a, finishSeq + 1);
    else if (op == TxOp.AddTable) recordJoined(tableRecord(<u32>a) + TB_GEN, old);
    else if (op == TxOp.DelTable) recordFree(tableRecord(<u32>a) + TB_GEN, tableRecord(<u32>a) + TB_FREE_AT, finishSeq + 1);
    else if (op == TxOp.HookBlock) codeRetire(a, a + b);
    else if (op == TxOp.AddSet) recordJoined(setRecord(<u32>a) + SD_GEN, old);
    else if (op == TxOp.DelSet) setDead(setRecord(<u32>a), finishSeq + 1);
    else if (op == TxOp.ReplaceSet) setReplaced(<u32>a, <u32>b);
    else if (op == TxOp.TableDormant) tableSettle(<u32>a, true);
    else policyCopy(<u32>a, old ^ 1);
  }
  txLen = 0;
  if (!sharedMemory()) compactChains();
}

/** Throws the next generation away: new records are retired, deleted ones restored. */
export function txAbort(): void {
  if (txCommitted) return;
  const cur = cursor();
  for (let i = txLen - 1; i >= 0; i--) {
    const op = unchecked(txLog[i * 3]);
    const a = <usize>unchecked(txLog[i * 3 + 1]);
    const b = <usize>unchecked(txLog[i * 3 + 2]);
    if (op == TxOp.AddRule || op == TxOp.DelRule) {
      const r = loggedRule(i, cur);
      if (!r) continue;
      if (op == TxOp.AddRule) ruleDead(r);
      else store<u8>(r, load<u8>(r, RU_FFLAGS) & ~ruleBit(cur ^ 1), RU_FFLAGS);
    } else if (op == TxOp.AddElem) retireEntry(a, b);
    else if (op == TxOp.DelElem) entryClearBit(a, b, entryBit(cur ^ 1));
    else if (op == TxOp.FlushChain) chainSweep(<u32>a, ruleBit(cur ^ 1), false);
    else if (op == TxOp.FlushSet) entrySweep(a, ENTRY_GEN, EntryFlags.Live | entryBit(cur ^ 1), 0, entryBit(cur ^ 1));
    // Never seen by a packet: free at once.
    else if (op == TxOp.AddChain) chainDead(<u32>a, finishSeq);
    else if (op == TxOp.DelChain) recordKept(chainRecord(<u32>a) + CH_GEN, cur ^ 1);
    else if (op == TxOp.AddObject) objectDead(<u32>a, finishSeq);
    else if (op == TxOp.DelObject) recordKept(objectRecord(<u32>a) + OB_GEN, cur ^ 1);
    else if (op == TxOp.AddTable) recordFree(tableRecord(<u32>a) + TB_GEN, tableRecord(<u32>a) + TB_FREE_AT, finishSeq);
    else if (op == TxOp.DelTable) recordKept(tableRecord(<u32>a) + TB_GEN, cur ^ 1);
    // The new lists stay published (what the aborted chain added is skipped); the old block may still be read: left to the next load.
    else if (op == TxOp.HookBlock) continue;
    else if (op == TxOp.AddSet) setDead(setRecord(<u32>a), finishSeq);
    else if (op == TxOp.DelSet) recordKept(setRecord(<u32>a) + SD_GEN, cur ^ 1);
    else if (op == TxOp.ReplaceSet) setDead(setRecord(<u32>b), finishSeq);
    else if (op == TxOp.TableDormant) tableSettle(<u32>a, false);
    else policyCopy(<u32>a, cur);
  }
  txLen = 0;
}

/** Index of the rule with `handle` in `ch` whose mask has `bit` (and is not dead), -1 if none. */
function findRuleAny(ch: usize, handle: u32, bit: u8): i32 {
  const first = load<u32>(ch, CH_FIRST);
  for (let i = <i32>load<u32>(ch, CH_COUNT) - 1; i >= 0; i--) {
    const r = ruleAt(first + <u32>i);
    const f = load<u8>(r, RU_FFLAGS) & <u8>RuleGen.Dead;
    if (load<u32>(r, RU_HANDLE) == handle && f & bit && f != <u8>RuleGen.Dead) return i;
  }
  return -1;
}

/** Chains with many dead records get them squeezed out (their code was retired when they died). */
function compactChains(): void {
  const rs = rtRuleset;
  const chains = <usize>load<u32>(rs, RS_CHAINS);
  const nchains = load<u32>(rs, RS_NCHAINS);
  const waste = load<u32>(rs, RS_WASTE);
  if (waste < 64) return;
  for (let c: u32 = 0; c < nchains; c++) {
    const ch = chains + <usize>c * CH_SIZE;
    const first = load<u32>(ch, CH_FIRST);
    const n = load<u32>(ch, CH_COUNT);
    let dead: u32 = 0;
    for (let i: u32 = 0; i < n; i++) if ((load<u8>(ruleAt(first + i), RU_FFLAGS) & <u8>RuleGen.Dead) == <u8>RuleGen.Dead) dead++;
    if (dead * 4 < n && dead < 64) continue;
    chainSqueeze(ch);
  }
  store<u32>(rs, 0, RS_WASTE);
}

/**
 * Squeezes the dead records out of chain record `ch` (no evaluator on
 * another thread may be walking it); how many went. Records of an open
 * transaction stay: its log finds them by handle and mask, not by index.
 */
function chainSqueeze(ch: usize): u32 {
  const rs = rtRuleset;
  const first = load<u32>(ch, CH_FIRST);
  const n = load<u32>(ch, CH_COUNT);
  let w: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const r = ruleAt(first + i);
    if ((load<u8>(r, RU_FFLAGS) & <u8>RuleGen.Dead) == <u8>RuleGen.Dead) continue;
    if (w != i) memory.copy(ruleAt(first + w), r, RU_SIZE);
    w++;
  }
  if (w == n) return 0;
  store<u32>(ch, w, CH_COUNT);
  buildRuns(<usize>load<u32>(rs, RS_RULES), ch);
  // Only a trigger for compactChains (which clears it with dead records left in other chains): it does not go below zero.
  const waste = load<u32>(rs, RS_WASTE);
  store<u32>(rs, waste > n - w ? waste - (n - w) : 0, RS_WASTE);
  return n - w;
}
