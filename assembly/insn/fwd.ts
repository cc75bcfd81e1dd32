// fwd and dup (kernel: net/netfilter/nft_fwd_netdev.c, nft_dup_netdev.c,
// net/ipv4/netfilter/nft_dup_ipv4.c, net/ipv6/netfilter/nft_dup_ipv6.c).
// A replay sends nothing: fwd steals the packet (NF_STOLEN, the packet
// leaves on that interface) and dup lets it go on; each leaves a record
// (RecordKind.Fwd / Dup) naming the interface and next hop for the host.
// `[ fwd sreg_dev 1 ]`, `[ dup sreg_addr 1 sreg_dev 2 ]`.

import { DUP_REG_ADDR, DUP_REG_DEV, Family, FWD_FAMILY, FWD_REG_ADDR, FWD_REG_DEV, LoadError, NONE8, Op, RecordKind, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pData, pEnd, pNfproto, pNh, pProto } from '../packet';
import { curChain, curRule, emitRecord } from '../records';
import { vFamily } from '../verify';

/** Load-time checks (nft_fwd_netdev_init, nft_dup_*_init): fwd in netdev tables; dup needs a device in netdev, a gateway in ip/ip6. */
export function checkFwd(insn: usize): i32 {
  if (vFamily != Family.Netdev) return loadFail(LoadError.BadOperand, Op.Fwd, 0, vFamily);
  const hasAddr = <u32>load<u8>(insn, FWD_REG_ADDR) != NONE8;
  const f = <u32>load<u8>(insn, FWD_FAMILY);
  if (hasAddr && f != Family.Ipv4 && f != Family.Ipv6) return loadFail(LoadError.BadOperand, Op.Fwd, FWD_FAMILY, f);
  return 0;
}

export function checkDup(insn: usize): i32 {
  const hasAddr = <u32>load<u8>(insn, DUP_REG_ADDR) != NONE8;
  const hasDev = <u32>load<u8>(insn, DUP_REG_DEV) != NONE8;
  if (vFamily == Family.Netdev ? !hasDev : vFamily == Family.Ipv4 || vFamily == Family.Ipv6 ? !hasAddr : true) return loadFail(LoadError.BadOperand, Op.Dup, 0, vFamily);
  return 0;
}

// Mirrors nft_fwd_netdev_eval (NF_STOLEN) and nft_fwd_neigh_eval (BREAK on another protocol).
export function evalFwd(insn: usize): void {
  const oif = load<u32>(regs + (<usize>load<u8>(insn, FWD_REG_DEV) << 2));
  const ra = <u32>load<u8>(insn, FWD_REG_ADDR);
  let fam: u32 = 0;
  let gw: u32 = 0;
  if (ra != NONE8) {
    fam = <u32>load<u8>(insn, FWD_FAMILY);
    const nh = pData + <usize>pNh;
    // nft_fwd_neigh_eval: the packet must be of the family; a short header is dropped.
    if (pProto != (fam == Family.Ipv4 ? 0x0800 : 0x86dd)) {
      store<i32>(regs, Verdict.Break);
      return;
    }
    if (nh + (fam == Family.Ipv4 ? 20 : 40) > pEnd) {
      store<i32>(regs, Verdict.Drop);
      return;
    }
    if (fam == Family.Ipv4) gw = load<u32>(regs + (<usize>ra << 2));
  }
  emitRecord(RecordKind.Fwd, fam, curChain, curRule, oif, gw);
  store<i32>(regs, Verdict.Stolen);
}

// Mirrors nft_dup_ipv4_eval / nft_dup_ipv6_eval / nft_dup_netdev_eval: a copy leaves, the packet goes on.
export function evalDup(insn: usize): void {
  const ra = <u32>load<u8>(insn, DUP_REG_ADDR);
  const rd = <u32>load<u8>(insn, DUP_REG_DEV);
  const oif = rd != NONE8 ? load<u32>(regs + (<usize>rd << 2)) : 0xffffffff;
  const fam: u32 = ra == NONE8 ? 0 : <u32>pNfproto; // the table's family: ip or ip6
  const gw = fam == Family.Ipv4 ? load<u32>(regs + (<usize>ra << 2)) : 0;
  emitRecord(RecordKind.Dup, fam, curChain, curRule, oif, gw);
}
