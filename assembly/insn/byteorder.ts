// byteorder (kernel: net/netfilter/nft_byteorder.c): swap each 2-, 4- or
// 8-byte element of a register (both ops swap on a little-endian host).
// `[ byteorder reg 1 = hton(reg 1, 4, 4) ]`.

import { ByteorderOp, BYTEORDER_DREG, BYTEORDER_LEN, BYTEORDER_OP, BYTEORDER_SIZE, BYTEORDER_SREG, LoadError, Op } from '../abi';
import { loadFail, regs } from '../mem';

/** Load-time checks. */
export function checkByteorder(insn: usize): i32 {
  const size = <i32>load<u8>(insn, BYTEORDER_SIZE);
  if (<i32>load<u8>(insn, BYTEORDER_OP) > ByteorderOp.Hton) return loadFail(LoadError.BadOperand, Op.Byteorder, BYTEORDER_OP, load<u8>(insn, BYTEORDER_OP));
  if (size != 2 && size != 4 && size != 8) return loadFail(LoadError.BadOperand, Op.Byteorder, BYTEORDER_SIZE, size);
  if (load<u8>(insn, BYTEORDER_LEN) == 0) return loadFail(LoadError.BadOperand, Op.Byteorder, BYTEORDER_LEN, 0);
  return 0;
}

// Mirrors nft_byteorder_eval.
export function evalByteorder(insn: usize): void {
  const src = regs + (<usize>load<u8>(insn, BYTEORDER_SREG) << 2);
  const dst = regs + (<usize>load<u8>(insn, BYTEORDER_DREG) << 2);
  const len = <usize>load<u8>(insn, BYTEORDER_LEN);
  const size = <i32>load<u8>(insn, BYTEORDER_SIZE);
  if (size == 8) {
    for (let i: usize = 0; i < (len >> 3); i++) store<u64>(dst + (i << 3), bswap<u64>(load<u64>(src + (i << 3))));
  } else if (size == 4) {
    for (let i: usize = 0; i < (len >> 2); i++) store<u32>(dst + (i << 2), bswap<u32>(load<u32>(src + (i << 2))));
  } else {
    for (let i: usize = 0; i < (len >> 1); i++) store<u16>(dst + (i << 1), bswap<u16>(load<u16>(src + (i << 1))));
  }
}
