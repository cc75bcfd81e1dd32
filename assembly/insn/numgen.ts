// numgen (kernel: net/netfilter/nft_numgen.c): incremental counter modulo
// n (state in a VM slot) or a random number scaled to n, plus offset.
// `[ numgen reg 1 = inc mod 2 ]`.

import { LoadError, NumgenType, NUMGEN_DREG, NUMGEN_MODULUS, NUMGEN_OFFSET, NUMGEN_TYPE, NUMGEN_VM_STATE, Op, VM_STATE_SLOT_SIZE } from '../abi';
import { loadFail, prandom, regs, rtState } from '../mem';

/** Load-time checks; the counter starts at modulus - 1 so the first packet gets 0. */
export function checkNumgen(insn: usize, slot: usize, index: u32): i32 {
  const mod = load<u32>(insn, NUMGEN_MODULUS);
  const type = <i32>load<u8>(insn, NUMGEN_TYPE);
  if (type > NumgenType.Random) return loadFail(LoadError.BadOperand, Op.Numgen, NUMGEN_TYPE, type);
  if (mod == 0 || <u64>load<u32>(insn, NUMGEN_OFFSET) + mod - 1 > 0xffffffff) return loadFail(LoadError.BadOperand, Op.Numgen, NUMGEN_MODULUS, mod);
  store<u32>(slot, mod - 1);
  store<u16>(insn, <u16>index, NUMGEN_VM_STATE);
  return 0;
}

// Mirrors nft_ng_inc_eval / nft_ng_random_eval.
export function evalNumgen(insn: usize): void {
  const mod = load<u32>(insn, NUMGEN_MODULUS);
  let v: u32;
  if (load<u8>(insn, NUMGEN_TYPE) == NumgenType.Incremental) {
    const slot = rtState + <usize>load<u16>(insn, NUMGEN_VM_STATE) * VM_STATE_SLOT_SIZE;
    const o = load<u32>(slot);
    v = o + 1 < mod ? o + 1 : 0;
    store<u32>(slot, v);
  } else {
    v = <u32>((<u64>prandom() * mod) >> 32);
  }
  store<u32>(regs + (<usize>load<u8>(insn, NUMGEN_DREG) << 2), v + load<u32>(insn, NUMGEN_OFFSET));
}
