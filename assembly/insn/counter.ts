// counter (kernel: net/netfilter/nft_counter.c): packets and bytes in the
// record itself, so the host reads them in the code copy at the image's
// offsets. `[ counter pkts 0 bytes 0 ]`.

import { COUNTER_BYTES, COUNTER_PKTS } from '../abi';
import { pktLen } from '../packet';

// Mirrors nft_counter_eval: packets += 1, bytes += skb->len.
@inline export function evalCounter(insn: usize): void {
  if (ASC_FEATURE_THREADS) {
    // Evaluators on several threads count into the same record (the kernel keeps one per CPU).
    addShared(insn + COUNTER_PKTS, 1);
    addShared(insn + COUNTER_BYTES, <u32>pktLen());
    return;
  }
  store<u64>(insn, load<u64>(insn, COUNTER_PKTS) + 1, COUNTER_PKTS);
  store<u64>(insn, load<u64>(insn, COUNTER_BYTES) + pktLen(), COUNTER_BYTES);
}

/** Adds `n` to the u64 at `p` with atomic adds on its words (records are only 4-byte aligned); a reader may see the low word wrap before the carry. */
function addShared(p: usize, n: u32): void {
  const lo = atomic.add<u32>(p, n);
  if (<u64>lo + n > 0xffffffff) atomic.add<u32>(p + 4, 1);
}
