// immediate (kernel: net/netfilter/nft_immediate.c): constant data into a
// register, or a verdict (code and chain index) into words 0 and 1.
// `[ immediate reg 1 0x0200000a ]`, `[ immediate reg 0 jump -> other ]`.

import { IMMEDIATE_DATA, IMMEDIATE_DREG, IMMEDIATE_LEN, IMMEDIATE_VERDICT_CHAIN, IMMEDIATE_VERDICT_CODE, LoadError, Op } from '../abi';
import { loadFail, regs, regStore } from '../mem';
import { checkVerdict } from '../verify';

/** Load-time checks: value data of 1..16 bytes, or a verdict the kernel accepts. */
export function checkImmediate(insn: usize): i32 {
  const len = <i32>load<u8>(insn, IMMEDIATE_LEN);
  if (load<u8>(insn, IMMEDIATE_DREG) == 0) {
    if (len != 8) return loadFail(LoadError.BadOperand, Op.Immediate, IMMEDIATE_LEN, len);
    return checkVerdict(load<i32>(insn, IMMEDIATE_VERDICT_CODE), load<u32>(insn, IMMEDIATE_VERDICT_CHAIN));
  }
  if (len == 0 || len > 16) return loadFail(LoadError.BadOperand, Op.Immediate, IMMEDIATE_LEN, len);
  return 0;
}

// Mirrors nft_immediate_eval: nft_data_copy into the register (a verdict is 8 bytes at word 0).
@inline export function evalImmediate(insn: usize): void {
  const dreg = <usize>load<u8>(insn, IMMEDIATE_DREG);
  if (dreg == 0) store<u64>(regs, load<u64>(insn, IMMEDIATE_DATA));
  else regStore(dreg, insn + IMMEDIATE_DATA, load<u8>(insn, IMMEDIATE_LEN));
}
