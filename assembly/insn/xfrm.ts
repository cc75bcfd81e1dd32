// xfrm / ipsec (kernel: net/netfilter/nft_xfrm.c): IPsec state of the packet.
// A replay has no security path (inbound) and no xfrm bundles on its routes
// (outbound), where the kernel BREAKs. `[ xfrm load in 0 reqid => reg 1 ]`.

import { LoadError, Op, Verdict, XfrmKey, XFRM_DIR, XFRM_KEY, XFRM_SPNUM } from '../abi';
import { loadFail, regs } from '../mem';

/** Load-time checks (nft_xfrm_get_init): a known key, direction in/out, spnum < XFRM_MAX_DEPTH. */
export function checkXfrm(insn: usize): i32 {
  const k = <i32>load<u8>(insn, XFRM_KEY);
  const dir = <i32>load<u8>(insn, XFRM_DIR);
  if (k < XfrmKey.DaddrIp4 || k > XfrmKey.Spi) return loadFail(LoadError.BadOperand, Op.Xfrm, XFRM_KEY, k);
  if (dir > 1) return loadFail(LoadError.BadOperand, Op.Xfrm, XFRM_DIR, dir);
  if (load<u32>(insn, XFRM_SPNUM) >= 6) return loadFail(LoadError.BadOperand, Op.Xfrm, XFRM_SPNUM, load<u32>(insn, XFRM_SPNUM));
  return 0;
}

// Mirrors nft_xfrm_get_eval_in (no skb_sec_path) and _out (no dst->xfrm).
@inline export function evalXfrm(insn: usize): void {
  store<i32>(regs, Verdict.Break);
}
