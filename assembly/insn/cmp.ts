// cmp (kernel: net/netfilter/nft_cmp.c): bytewise compare of a register with
// constant data; BREAK unless the relation holds. `[ cmp eq reg 1 0x00001600 ]`.
// Short eq/neq compares run as CmpFast (nft_cmp_fast_ops): one masked word.

import { CmpOp, CMP_DATA, CMP_LEN, CMP_OP, CMP_SREG, FastOp, LoadError, Op } from '../abi';
import { loadFail, regs, setBreak } from '../mem';

/** Load-time checks; eq/neq on ≤ 4 bytes becomes CmpFast with the data pre-masked, on 5..16 bytes CmpWide. */
export function checkCmp(insn: usize): i32 {
  const op = <i32>load<u8>(insn, CMP_OP);
  const len = <i32>load<u8>(insn, CMP_LEN);
  if (op > CmpOp.Gte) return loadFail(LoadError.BadOperand, Op.Cmp, CMP_OP, op);
  if (len == 0 || len > 16) return loadFail(LoadError.BadOperand, Op.Cmp, CMP_LEN, len);
  if (len <= 4 && op <= CmpOp.Neq) {
    store<u32>(insn, load<u32>(insn, CMP_DATA) & fastMask(len), CMP_DATA);
    store<u8>(insn, FastOp.CmpFast);
  } else if (op <= CmpOp.Neq) store<u8>(insn, FastOp.CmpWide);
  return 0;
}

/** nft_cmp_fast_mask: the low `len` bytes of a little-endian word. */
@inline export function fastMask(len: u32): u32 {
  return (<u32>0xffffffff) >> ((4 - len) << 3);
}

// Mirrors nft_cmp_eval: memcmp, then the operator.
@inline export function evalCmp(insn: usize): void {
  const d = memory.compare(regs + (<usize>load<u8>(insn, CMP_SREG) << 2), insn + CMP_DATA, load<u8>(insn, CMP_LEN));
  let ok: bool;
  switch (<i32>load<u8>(insn, CMP_OP)) {
    case CmpOp.Eq: ok = d == 0; break;
    case CmpOp.Neq: ok = d != 0; break;
    case CmpOp.Lt: ok = d < 0; break;
    case CmpOp.Lte: ok = d <= 0; break;
    case CmpOp.Gt: ok = d > 0; break;
    default: ok = d >= 0;
  }
  if (!ok) setBreak();
}

// Mirrors nft_cmp_fast_eval: ((reg & mask) == data) ^ inv; false = NFT_BREAK.
@inline export function evalCmpFast(insn: usize): bool {
  const v = load<u32>(regs + (<usize>load<u8>(insn, CMP_SREG) << 2)) & fastMask(load<u8>(insn, CMP_LEN));
  return (v == load<u32>(insn, CMP_DATA)) != (load<u8>(insn, CMP_OP) != CmpOp.Eq);
}

/** True when `len` (1..16) bytes at `a` and `b` are equal: 64-bit words, then a masked 32-bit tail. */
@inline export function bytesEqual(a: usize, b: usize, len: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  if (i + 4 <= len) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
    i += 4;
  }
  if (i == len) return true;
  const m = fastMask(<u32>(len - i));
  return ((load<u32>(a + i) ^ load<u32>(b + i)) & m) == 0;
}

// nft_cmp_eval for eq / neq on 5..16 bytes (memcmp == 0, by words); false = NFT_BREAK.
@inline export function evalCmpWide(insn: usize): bool {
  const eq = bytesEqual(regs + (<usize>load<u8>(insn, CMP_SREG) << 2), insn + CMP_DATA, load<u8>(insn, CMP_LEN));
  return eq == (load<u8>(insn, CMP_OP) == CmpOp.Eq);
}
