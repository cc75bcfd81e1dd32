// range (kernel: net/netfilter/nft_range.c): from ≤ reg ≤ to in memcmp
// order, or outside it for neq. `[ range neq reg 1 0x0000e803 0x0000d007 ]`.

import { LoadError, Op, RangeOp, RANGE_FROM, RANGE_LEN, RANGE_OP, RANGE_SREG } from '../abi';
import { loadFail, regs, setBreak } from '../mem';

/** Load-time checks. */
export function checkRange(insn: usize): i32 {
  const op = <i32>load<u8>(insn, RANGE_OP);
  const len = <i32>load<u8>(insn, RANGE_LEN);
  if (op > RangeOp.Neq) return loadFail(LoadError.BadOperand, Op.Range, RANGE_OP, op);
  if (len == 0 || len > 16) return loadFail(LoadError.BadOperand, Op.Range, RANGE_LEN, len);
  return 0;
}

// Mirrors nft_range_eval.
@inline export function evalRange(insn: usize): void {
  const len = <usize>load<u8>(insn, RANGE_LEN);
  const r = regs + (<usize>load<u8>(insn, RANGE_SREG) << 2);
  const from = insn + RANGE_FROM;
  const inside = memory.compare(from, r, len) <= 0 && memory.compare(r, from + ((len + 3) & ~3), len) <= 0;
  if (inside == (load<u8>(insn, RANGE_OP) == RangeOp.Neq)) setBreak();
}
