// last (kernel: net/netfilter/nft_last.c): when a packet last ran the rule,
// in the record itself (the host reads it in the code copy, as counters):
// the packet time, and a flag for `last used never`. `[ last never ]`.

import { LAST_SET, LAST_TIME } from '../abi';
import { pTstamp } from '../packet';

// Mirrors nft_last_eval: last->jiffies = now (here the packet time), last->set = 1.
@inline export function evalLast(insn: usize): void {
  store<u64>(insn, pTstamp, LAST_TIME);
  store<u8>(insn, 1, LAST_SET);
}
