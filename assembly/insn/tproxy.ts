// tproxy (kernel: net/netfilter/nft_tproxy.c): hands the packet to a
// transparent socket (an established one on its addresses, else a listener
// on the target address/port). A replay has no sockets, so there is none to
// assign: BREAK, as the kernel without a transparent socket; a packet of the
// other family in an inet table is dropped as nft_tproxy_eval does.
// `[ tproxy ip addr reg 1 port reg 2 ]`.

import { Family, LoadError, NONE8, Op, TPROXY_FAMILY, TPROXY_REG_ADDR, TPROXY_REG_PORT, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pNfproto } from '../packet';
import { vFamily } from '../verify';

/** Load-time checks (nft_tproxy_init): ip, ip6, inet; an address or a port; the family of the table (or any in inet, without an address). */
export function checkTproxy(insn: usize): i32 {
  const f = <u32>load<u8>(insn, TPROXY_FAMILY);
  const hasAddr = <u32>load<u8>(insn, TPROXY_REG_ADDR) != NONE8;
  const hasPort = <u32>load<u8>(insn, TPROXY_REG_PORT) != NONE8;
  if (vFamily != Family.Ipv4 && vFamily != Family.Ipv6 && vFamily != Family.Inet) return loadFail(LoadError.BadOperand, Op.Tproxy, 0, vFamily);
  if (!hasAddr && !hasPort) return loadFail(LoadError.BadOperand, Op.Tproxy, TPROXY_REG_ADDR, NONE8);
  if (vFamily != Family.Inet && f != vFamily) return loadFail(LoadError.BadOperand, Op.Tproxy, TPROXY_FAMILY, f);
  if (f != 0 && f != Family.Ipv4 && f != Family.Ipv6) return loadFail(LoadError.BadOperand, Op.Tproxy, TPROXY_FAMILY, f);
  if (f == 0 && hasAddr) return loadFail(LoadError.BadOperand, Op.Tproxy, TPROXY_FAMILY, f);
  return 0;
}

// Mirrors nft_tproxy_eval with no socket to find (nf_tproxy_get_sock_v4/v6 → NULL).
export function evalTproxy(insn: usize): void {
  const f = <u32>load<u8>(insn, TPROXY_FAMILY);
  const pf = <u32>pNfproto;
  if ((pf != Family.Ipv4 && pf != Family.Ipv6) || (f != 0 && f != pf)) {
    store<i32>(regs, Verdict.Drop);
    return;
  }
  store<i32>(regs, Verdict.Break);
}
