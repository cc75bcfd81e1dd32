// dynset (kernel: net/netfilter/nft_dynset.c): add / update / delete an
// element of a hash set from the packet path, with timeouts in packet time.
// `[ dynset update reg_key 1 set dyn timeout 30000ms ]`.

import { DynsetOp, DYNSET_EXPR_COUNT, DYNSET_OP, DYNSET_SET, DYNSET_SREG_DATA, DYNSET_SREG_KEY, DYNSET_TIMEOUT, LoadError, NONE8, Op } from '../abi';
import { SD_DLEN, SD_EXPIRES_AT, SD_KIND, SD_TIMEOUT, SetKind } from '../layout';
import { loadFail, regs, rtSets, setBreak } from '../mem';
import { pTstamp } from '../packet';
import { entryData, setAddr, setCreated, setDelete, setInsert } from '../set/set';
import { checkSetRef, vSets } from '../verify';

/** Load-time checks: a hash set of this table; element expressions are not run yet. */
export function checkDynset(insn: usize): i32 {
  const k = load<u32>(insn, DYNSET_SET);
  const err = checkSetRef(k);
  if (err) return err;
  const op = <i32>load<u8>(insn, DYNSET_OP);
  if (op > DynsetOp.Delete) return loadFail(LoadError.BadOperand, Op.Dynset, DYNSET_OP, op);
  if (load<u8>(insn, DYNSET_EXPR_COUNT)) return loadFail(LoadError.UnsupportedKey, Op.Dynset, 0x100 | load<u8>(insn + 20));
  if (load<u8>(setAddr(vSets, k), SD_KIND) != SetKind.Hash) return loadFail(LoadError.UnsupportedKey, Op.Dynset, 0x200);
  return 0;
}

// Mirrors nft_dynset_eval (no element expressions).
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
}
