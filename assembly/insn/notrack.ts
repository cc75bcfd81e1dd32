// notrack (kernel: net/netfilter/nft_ct.c, nft_notrack_eval): attach the
// untracked conntrack; here a flag on the packet (ct state then reads
// untracked once conntrack exists). `[ notrack ]`.

import { setUntracked } from '../packet';

// Mirrors nft_notrack_eval.
@inline export function evalNotrack(): void {
  setUntracked();
}
