// queue (kernel: net/netfilter/nft_queue.c): verdict NF_QUEUE with the queue
// number in bits 16..31; fanout picks by cpu (always 0 here) or flow hash.
// `[ queue num 3 bypass ]`, `[ queue num 1-4 fanout ]`.

import { LoadError, NF_VERDICT_FLAG_QUEUE_BYPASS, NF_VERDICT_QBITS, NONE8, Op, QueueFlags, QUEUE_FLAGS, QUEUE_NUM, QUEUE_SREG_QNUM, QUEUE_TOTAL, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pData, pNh, pProto, pEnd } from '../packet';
import { jhash3 } from './hash';

/** Load-time checks. */
export function checkQueue(insn: usize): i32 {
  const flags = <i32>load<u8>(insn, QUEUE_FLAGS);
  if (flags > (QueueFlags.Bypass | QueueFlags.CpuFanout)) return loadFail(LoadError.BadOperand, Op.Queue, QUEUE_FLAGS, flags);
  if (<u32>load<u16>(insn, QUEUE_NUM) + load<u16>(insn, QUEUE_TOTAL) > 0x10000) return loadFail(LoadError.BadOperand, Op.Queue, QUEUE_TOTAL, load<u16>(insn, QUEUE_TOTAL));
  return 0;
}

/** nfqueue_hash's address hash (initval 0: the kernel's is random per boot). */
function flowHash(): u32 {
  const nh = pData + pNh;
  if (pProto == 0x0800 && nh + 20 <= pEnd) {
    let a = load<u32>(nh, 12);
    let b = load<u32>(nh, 16);
    if (a > b) { const t = a; a = b; b = t; }
    return jhash3(a, b, load<u8>(nh, 9), 0);
  }
  if (pProto == 0x86dd && nh + 40 <= pEnd) {
    let a = load<u32>(nh, 20) ^ load<u32>(nh, 36);
    let b = load<u32>(nh, 24) ^ load<u32>(nh, 32);
    return jhash3(a, b, load<u32>(nh, 28), 0);
  }
  return 0;
}

// Mirrors nft_queue_eval and nft_queue_sreg_eval.
export function evalQueue(insn: usize): void {
  const sreg = <i32>load<u8>(insn, QUEUE_SREG_QNUM);
  let q: u32;
  if (sreg != NONE8) q = load<u32>(regs + (<usize>sreg << 2));
  else {
    q = load<u16>(insn, QUEUE_NUM);
    const total = <u32>load<u16>(insn, QUEUE_TOTAL);
    const flags = <i32>load<u8>(insn, QUEUE_FLAGS);
    if (total > 1 && !(flags & QueueFlags.CpuFanout)) q += <u32>((<u64>flowHash() * total) >> 32);
  }
  let v = (q << NF_VERDICT_QBITS) | Verdict.Queue;
  if (load<u8>(insn, QUEUE_FLAGS) & QueueFlags.Bypass) v |= NF_VERDICT_FLAG_QUEUE_BYPASS;
  store<u32>(regs, v);
}
