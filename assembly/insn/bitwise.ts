// bitwise (kernel: net/netfilter/nft_bitwise.c): mask-xor or shifts on
// host-order u32 words of a register. `[ bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00000000 ]`.

import { BitwiseOp, BITWISE_DATA, BITWISE_DREG, BITWISE_LEN, BITWISE_OP, BITWISE_SREG, LoadError, Op } from '../abi';
import { loadFail, regs } from '../mem';

/** Load-time checks: mask-xor on ≤ 16 bytes, shifts by < 32; the sreg2 forms are not in the image format. */
export function checkBitwise(insn: usize): i32 {
  const op = <i32>load<u8>(insn, BITWISE_OP);
  const len = <i32>load<u8>(insn, BITWISE_LEN);
  if (op > BitwiseOp.Rshift) return loadFail(LoadError.BadOperand, Op.Bitwise, BITWISE_OP, op);
  if (len == 0 || (op == BitwiseOp.MaskXor && len > 16)) return loadFail(LoadError.BadOperand, Op.Bitwise, BITWISE_LEN, len);
  if (op != BitwiseOp.MaskXor && load<u32>(insn, BITWISE_DATA) >= 32) return loadFail(LoadError.BadOperand, Op.Bitwise, BITWISE_DATA, load<u32>(insn, BITWISE_DATA));
  return 0;
}

// Mirrors nft_bitwise_eval (mask_xor, lshift, rshift); dst may be src.
export function evalBitwise(insn: usize): void {
  const len = <usize>load<u8>(insn, BITWISE_LEN);
  const n = (len + 3) >> 2;
  const src = regs + (<usize>load<u8>(insn, BITWISE_SREG) << 2);
  const dst = regs + (<usize>load<u8>(insn, BITWISE_DREG) << 2);
  const op = <i32>load<u8>(insn, BITWISE_OP);
  if (op == BitwiseOp.MaskXor) {
    const mask = insn + BITWISE_DATA;
    const xor = mask + (((len + 3) >> 2) << 2);
    for (let i: usize = 0; i < n; i++) {
      const o = i << 2;
      store<u32>(dst + o, (load<u32>(src + o) & load<u32>(mask + o)) ^ load<u32>(xor + o));
    }
    return;
  }
  const shift = load<u32>(insn, BITWISE_DATA);
  let carry: u32 = 0;
  if (op == BitwiseOp.Lshift) {
    // As the kernel: the carry is read back from src after dst[i] is stored (they may alias).
    for (let i = n; i > 0; i--) {
      const o = (i - 1) << 2;
      store<u32>(dst + o, (load<u32>(src + o) << shift) | carry);
      carry = load<u32>(src + o) >> (32 - shift);
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const o = i << 2;
      store<u32>(dst + o, carry | (load<u32>(src + o) >> shift));
      carry = load<u32>(src + o) << (32 - shift);
    }
  }
}
