// quota (kernel: net/netfilter/nft_quota.c): bytes consumed, kept in the
// record; over once consumed > quota. `[ quota bytes 1000 consumed 0 flags 0 ]`.

import { QuotaFlags, QUOTA_BYTES, QUOTA_CONSUMED, QUOTA_FLAGS } from '../abi';
import { setBreak } from '../mem';
import { pktLen } from '../packet';

// Mirrors nft_quota_do_eval: consumed += len always; BREAK when over XOR inv.
export function evalQuota(insn: usize): void {
  const consumed = load<u64>(insn, QUOTA_CONSUMED) + pktLen();
  store<u64>(insn, consumed, QUOTA_CONSUMED);
  const over = consumed > load<u64>(insn, QUOTA_BYTES);
  const flags = <i32>load<u8>(insn, QUOTA_FLAGS);
  if (over) store<u8>(insn, <u8>(flags | QuotaFlags.Depleted), QUOTA_FLAGS);
  if (over != ((flags & QuotaFlags.Inv) != 0)) setBreak();
}
