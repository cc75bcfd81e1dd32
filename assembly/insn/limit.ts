// limit (kernel: net/netfilter/nft_limit.c): token bucket in packet time,
// starting full; per-instruction state in a VM state slot.
// `[ limit rate 10/second burst 5 type packets flags 0x0 ]`.

import { LimitFlags, LimitType, LIMIT_BURST, LIMIT_FLAGS, LIMIT_RATE, LIMIT_TYPE, LIMIT_UNIT, LIMIT_VM_STATE, LoadError, Op, VM_STATE_SLOT_SIZE } from '../abi';
import { loadFail, rtState, setBreak } from '../mem';
import { pktLen, pTstamp } from '../packet';

// State slot: u64 tokens, u64 last (0 = not started), u64 tokens_max, u64 cost (packets) or nsecs (bytes).
const ST_TOKENS = 0;
const ST_LAST = 8;
const ST_MAX = 16;
const ST_COST = 24;

/** Load-time checks and the bucket size (nft_limit_init); `slot` is this record's state. */
export function checkLimit(insn: usize, slot: usize, index: u32): i32 {
  const rate = load<u64>(insn, LIMIT_RATE);
  const unit = <u64>load<u32>(insn, LIMIT_UNIT);
  let burst = load<u64>(insn, LIMIT_BURST);
  const type = <i32>load<u8>(insn, LIMIT_TYPE);
  if (type > LimitType.Bytes) return loadFail(LoadError.BadOperand, Op.Limit, LIMIT_TYPE, type);
  if (<i32>load<u8>(insn, LIMIT_FLAGS) > LimitFlags.Inv) return loadFail(LoadError.BadOperand, Op.Limit, LIMIT_FLAGS, load<u8>(insn, LIMIT_FLAGS));
  if (rate == 0 || unit == 0) return loadFail(LoadError.BadOperand, Op.Limit, rate == 0 ? LIMIT_RATE : LIMIT_UNIT, <u32>(rate == 0 ? 0 : unit));
  const nsecs = unit * 1000000000;
  if (type == LimitType.Pkts && burst == 0) burst = 5;
  let max: u64;
  if (type == LimitType.Pkts) {
    const cost = nsecs / rate;
    if (burst != 0 && cost > U64.MAX_VALUE / burst) return loadFail(LoadError.BadOperand, Op.Limit, LIMIT_BURST, <u32>burst);
    max = cost * burst;
    store<u64>(slot, cost, ST_COST);
  } else {
    // check_add_overflow / check_mul_overflow → -EOVERFLOW
    if (rate + burst < rate || rate + burst > U64.MAX_VALUE / nsecs) return loadFail(LoadError.BadOperand, Op.Limit, LIMIT_BURST, <u32>burst);
    max = (rate + burst) * nsecs / rate;
    store<u64>(slot, nsecs, ST_COST);
  }
  store<u64>(slot, max, ST_TOKENS);
  store<u64>(slot, 0, ST_LAST);
  store<u64>(slot, max, ST_MAX);
  store<u16>(insn, <u16>index, LIMIT_VM_STATE);
  return 0;
}

/** Runs the bucket of the limit record `insn`; true when over the limit. */
export function limitOver(insn: usize): bool {
  return limitOverAt(insn, rtState + <usize>load<u16>(insn, LIMIT_VM_STATE) * VM_STATE_SLOT_SIZE);
}

/** The template bucket of a limit record (a set element's copy starts from it). */
export function limitSlot(insn: usize): usize {
  return rtState + <usize>load<u16>(insn, LIMIT_VM_STATE) * VM_STATE_SLOT_SIZE;
}

/** Bytes of a limit bucket. */
export const LIMIT_STATE_SIZE: usize = 32;

/** Runs the limit record `insn` on the bucket at `slot` (a set element's own); true when over. */
export function limitOverAt(insn: usize, slot: usize): bool {
  const now = pTstamp;
  let last = load<u64>(slot, ST_LAST);
  if (last == 0 || now < last) last = now; // the bucket starts at the first packet; time never runs backwards
  let tokens = load<u64>(slot, ST_TOKENS) + (now - last);
  const max = load<u64>(slot, ST_MAX);
  if (tokens > max) tokens = max;
  store<u64>(slot, now, ST_LAST);
  const cost = <i32>load<u8>(insn, LIMIT_TYPE) == LimitType.Pkts ? load<u64>(slot, ST_COST) : load<u64>(slot, ST_COST) * pktLen() / load<u64>(insn, LIMIT_RATE);
  if (tokens >= cost) {
    store<u64>(slot, tokens - cost, ST_TOKENS);
    return false;
  }
  store<u64>(slot, tokens, ST_TOKENS);
  return true;
}

// Mirrors nft_limit_pkts_eval / nft_limit_bytes_eval: over XOR inv → BREAK.
export function evalLimit(insn: usize): void {
  if (limitOver(insn) != ((load<u8>(insn, LIMIT_FLAGS) & LimitFlags.Inv) != 0)) setBreak();
}
