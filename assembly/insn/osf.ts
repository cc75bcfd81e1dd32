// osf (kernel: net/netfilter/nft_osf.c): passive OS fingerprinting of TCP
// SYNs. No fingerprints are loaded in a replay (nfnl_osf), so a SYN gets the
// kernel's no-match answer, the string "unknown"; non-TCP and non-SYN BREAK.
// `[ osf dreg 1 ]`.

import { LoadError, Op, OSF_DREG, OSF_FLAGS, OSF_TTL, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pData, pEnd, pNfproto, pNh } from '../packet';

/** Load-time checks (nft_osf_init): flags only F_VERSION, ttl true/loose/nocheck. */
export function checkOsf(insn: usize): i32 {
  const f = <i32>load<u8>(insn, OSF_FLAGS);
  const t = <i32>load<u8>(insn, OSF_TTL);
  if (f & ~1) return loadFail(LoadError.BadOperand, Op.Osf, OSF_FLAGS, f);
  if (t > 2) return loadFail(LoadError.BadOperand, Op.Osf, OSF_TTL, t);
  return 0;
}

// Mirrors nft_osf_eval with an empty fingerprint list (nf_osf_find: no match).
export function evalOsf(insn: usize): void {
  const nh = pData + <usize>pNh;
  // The kernel reads ip_hdr(skb): IPv4 only here (ip and inet tables).
  if (pNfproto != 2 || nh + 20 > pEnd || load<u8>(nh, 9) != 6) {
    store<i32>(regs, Verdict.Break);
    return;
  }
  const th = nh + (<usize>(load<u8>(nh) & 0xf) << 2);
  if (th + 20 > pEnd || !(load<u8>(th, 13) & 0x02)) {
    store<i32>(regs, Verdict.Break);
    return;
  }
  // strscpy_pad(dest, "unknown", NFT_OSF_MAXGENRELEN).
  const d = regs + (<usize>load<u8>(insn, OSF_DREG) << 2);
  memory.fill(d, 0, 16);
  store<u64>(d, 0x006e776f6e6b6e75); // "unknown\0"
}
