// dynset (kernel: net/netfilter/nft_dynset.c): add / update / delete an
// element of a hash set from the packet path, with timeouts in packet time.
// Element expressions (meters: `update @m { ip saddr limit rate over 10/second }`,
// per-element counters and quotas, last): each new element gets fresh copies
// of the dynset's templates (SD_EXPRS), then every add/update runs them.
// `[ dynset update reg_key 1 set dyn timeout 30000ms ]`.

import { DynsetOp, DYNSET_EXPR_COUNT, DYNSET_OP, DYNSET_SET, DYNSET_SREG_DATA, DYNSET_SREG_KEY, DYNSET_TIMEOUT, LimitFlags, LIMIT_FLAGS, LoadError, NONE8, Op, OPS, Verdict } from '../abi';
import { SD_DLEN, SD_ENTRIES, SD_ESTRIDE, SD_EXPIRES_AT, SD_EXPRS, SD_KIND, SD_OBJ_TYPE, SD_TIMEOUT, SD_XSTRIDE, SetKind } from '../layout';
import { loadFail, regs, rtSets, setBreak } from '../mem';
import { pTstamp } from '../packet';
import { entryData, setAddr, setCreated, setDelete, setInsert } from '../set/set';
import { checkSetRef, vSets } from '../verify';
import { evalCounter } from './counter';
import { evalLast } from './last';
import { limitOverAt, limitSlot, LIMIT_STATE_SIZE } from './limit';
import { evalQuota } from './quota';

/** Load-time checks: a hash set of this table (element expressions: verify.ts checks the nested records, load.ts sizes SD_EXPRS). */
export function checkDynset(insn: usize): i32 {
  const k = load<u32>(insn, DYNSET_SET);
  const err = checkSetRef(k);
  if (err) return err;
  const op = <i32>load<u8>(insn, DYNSET_OP);
  if (op > DynsetOp.Delete) return loadFail(LoadError.BadOperand, Op.Dynset, DYNSET_OP, op);
  if (load<u8>(setAddr(vSets, k), SD_KIND) != SetKind.Hash) return loadFail(LoadError.UnsupportedKey, Op.Dynset, 0x200);
  // nft_dynset_init: not on object maps (EOPNOTSUPP).
  if (load<u8>(setAddr(vSets, k), SD_OBJ_TYPE)) return loadFail(LoadError.BadOperand, Op.Dynset, DYNSET_SET, k);
  return 0;
}

/** Bytes of element expressions per entry for the dynset `insn` (its nested records, each limit with a bucket). */
export function dynsetExprBytes(insn: usize): u32 {
  const n = <u32>load<u8>(insn, DYNSET_EXPR_COUNT);
  let q = insn + <usize>OPS[Op.Dynset].size;
  let need: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const size = <u32>load<u16>(q, 2);
    need += size + (<i32>load<u8>(q) == Op.Limit ? <u32>LIMIT_STATE_SIZE : 0);
    q += size;
  }
  return (need + 7) & ~7;
}

/** nft_dynset_expr_setup / nft_expr_clone: fresh copies of the templates (limit buckets as configured, full). */
function exprsSetup(insn: usize, x: usize): void {
  const n = <u32>load<u8>(insn, DYNSET_EXPR_COUNT);
  let q = insn + <usize>OPS[Op.Dynset].size;
  for (let i: u32 = 0; i < n; i++) {
    const size = <usize>load<u16>(q, 2);
    // nft_counter_clone / nft_quota_clone copy the template's (never run) state.
    memory.copy(x, q, size);
    const op = <i32>load<u8>(q);
    x += size;
    if (op == Op.Limit) {
      memory.copy(x, limitSlot(q), LIMIT_STATE_SIZE);
      store<u64>(x, 0, 8); // ST_LAST: the bucket starts at its first packet
      store<u64>(x, load<u64>(x, 16), 0); // tokens = max
      x += LIMIT_STATE_SIZE;
    }
    q += size;
  }
}

/** nft_set_elem_update_expr: each expression of the element area [x, end) in turn (a zero opcode ends it), stopping at a BREAK. */
export function elemExprsRun(x: usize, end: usize): void {
  while (x < end) {
    const op = <i32>load<u8>(x);
    if (!op) return;
    const size = <usize>load<u16>(x, 2);
    if (op == Op.Counter) evalCounter(x);
    else if (op == Op.Quota) evalQuota(x);
    else if (op == Op.Last) evalLast(x);
    else if (op == Op.Limit) {
      if (limitOverAt(x, x + size) != ((load<u8>(x, LIMIT_FLAGS) & LimitFlags.Inv) != 0)) setBreak();
      x += LIMIT_STATE_SIZE;
    }
    x += size;
    if (load<i32>(regs) == Verdict.Break) return;
  }
}

/** The element expressions of entry `e` of a set with SD_EXPRS. */
@inline export function elemExprsAt(sd: usize, e: usize): usize {
  const idx = (e - <usize>load<u32>(sd, SD_ENTRIES)) / <usize>load<u16>(sd, SD_ESTRIDE);
  return <usize>load<u32>(sd, SD_EXPRS) + idx * <usize>load<u32>(sd, SD_XSTRIDE);
}

// Mirrors nft_dynset_eval.
export function evalDynset(insn: usize): void {
  const sd = setAddr(rtSets, load<u32>(insn, DYNSET_SET));
  const key = regs + (<usize>load<u8>(insn, DYNSET_SREG_KEY) << 2);
  const op = <i32>load<u8>(insn, DYNSET_OP);
  if (op == DynsetOp.Delete) {
    setDelete(sd, key);
    return;
  }
  const now = pTstamp;
  const e = setInsert(sd, key, now);
  if (!e) {
    setBreak();
    return;
  }
  let timeout = load<u64>(insn, DYNSET_TIMEOUT) * 1000000;
  if (!timeout) timeout = load<u64>(sd, SD_TIMEOUT);
  const exp = e + load<u16>(sd, SD_EXPIRES_AT);
  if (setCreated) {
    const sdata = <i32>load<u8>(insn, DYNSET_SREG_DATA);
    if (sdata != NONE8) memory.copy(entryData(sd, e), regs + (<usize>sdata << 2), load<u8>(sd, SD_DLEN));
    if (timeout) store<u64>(exp, now + timeout);
  } else if (op == DynsetOp.Update && load<u64>(exp) != 0 && timeout) {
    store<u64>(exp, now + timeout);
  }
  if (load<u32>(sd, SD_EXPRS)) {
    const x = elemExprsAt(sd, e);
    if (setCreated) exprsSetup(insn, x);
    elemExprsRun(x, x + <usize>load<u32>(sd, SD_XSTRIDE));
  }
}
