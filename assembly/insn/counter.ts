// counter (kernel: net/netfilter/nft_counter.c): packets and bytes in the
// record itself, so the host reads them in the code copy at the image's
// offsets. `[ counter pkts 0 bytes 0 ]`.

import { COUNTER_BYTES, COUNTER_PKTS } from '../abi';
import { pktLen } from '../packet';

// Mirrors nft_counter_eval: packets += 1, bytes += skb->len.
@inline export function evalCounter(insn: usize): void {
  store<u64>(insn, load<u64>(insn, COUNTER_PKTS) + 1, COUNTER_PKTS);
  store<u64>(insn, load<u64>(insn, COUNTER_BYTES) + pktLen(), COUNTER_BYTES);
}
