// nat, masquerade and redirect (kernel: net/netfilter/nft_nat.c,
// nft_masq.c, nft_redir.c, nf_nat_masquerade.c, nf_nat_redirect.c): bind
// the packet's new entry for this hook's manip and accept. They run only in
// nat chains, which run only for a connection's first packet (batch.ts).
// `[ nat dnat ip addr_min reg 1 proto_min reg 2 ]`, `[ masq ]`, `[ redir ]`.

import {
  ADDR_ADDR, ADDR_FAMILY, ADDR_IFINDEX, ADDR_MAX, ADDR_PREFIX, ADDR_SIZE, Family, IFACE_MAX, IFACE_SIZE, InetHook, MASQ_FLAGS, MASQ_REG_PROTO_MAX,
  MASQ_REG_PROTO_MIN, NatRangeFlags, NatType, NAT_FAMILY, NAT_FLAGS, NAT_REG_ADDR_MAX, NAT_REG_ADDR_MIN, NAT_REG_PROTO_MAX, NAT_REG_PROTO_MIN,
  NAT_TYPE, NONE8, REDIR_FLAGS, REDIR_REG_PROTO_MAX, REDIR_REG_PROTO_MIN, Verdict,
} from '../abi';
import { host, regs } from '../mem';
import { pData, pHook, pIif, pNfproto, pNh, pOif } from '../packet';
import { MANIP_DST, MANIP_SRC, natSetup, rangeMax, rangeMin, setRange } from '../ct/nat';
import { pCt } from '../ct/track';
import { prefixMatch, route, routeGw } from './fib';

const ADDRS: usize = IFACE_MAX * IFACE_SIZE;

/** Register `r` as a port in host order. */
@inline function port(r: u32): u32 {
  return <u32>bswap<u16>(load<u16>(regs + (<usize>r << 2)));
}

/** Ports of the range from registers `lo`/`hi` (NONE8 = not given; hi defaults to lo). */
function ports(flags: u32, lo: u32, hi: u32): void {
  if (lo == NONE8) {
    setRange(flags & ~NatRangeFlags.ProtoSpecified, 0, 0);
    return;
  }
  setRange(flags | NatRangeFlags.ProtoSpecified, port(lo), port(hi == NONE8 ? lo : hi));
}

/** Binds manip `manip` with the range set up; the rule's verdict is accept (nf_nat_setup_info's). */
function bind(manip: u32): void {
  const ct = pCt;
  if (!ct) {
    store<i32>(regs, Verdict.Drop);
    return;
  }
  natSetup(ct, manip);
  store<i32>(regs, Verdict.Accept);
}

// Mirrors nft_nat_eval (and nft_nat_inet_eval: a rule for the other family does nothing).
export function evalNat(insn: usize): void {
  const fam = <u32>load<u8>(insn, NAT_FAMILY);
  if (fam != <u32>Family.Inet && fam != <u32>pNfproto) return;
  const alen: usize = pNfproto == Family.Ipv4 ? 4 : 16;
  let flags = <u32>load<u16>(insn, NAT_FLAGS);
  const amin = <u32>load<u8>(insn, NAT_REG_ADDR_MIN);
  if (amin != NONE8) {
    const amax = <u32>load<u8>(insn, NAT_REG_ADDR_MAX);
    memory.copy(rangeMin, regs + (<usize>amin << 2), alen);
    memory.copy(rangeMax, regs + (<usize>(amax == NONE8 ? amin : amax) << 2), alen);
    flags |= NatRangeFlags.MapIps;
  }
  ports(flags, load<u8>(insn, NAT_REG_PROTO_MIN), load<u8>(insn, NAT_REG_PROTO_MAX));
  bind(load<u8>(insn, NAT_TYPE) == NatType.Snat ? MANIP_SRC : MANIP_DST);
}

/** First address of family `fam` on interface `ifx`, preferring one whose prefix holds `near` (inet_select_addr); 0 when none. */
function ifaceAddr(ifx: u32, fam: u32, near: usize): usize {
  let first: usize = 0;
  for (let i: usize = 0; i < <usize>ADDR_MAX; i++) {
    const e = host + ADDRS + i * ADDR_SIZE;
    if (load<u32>(e, ADDR_IFINDEX) != ifx || load<u8>(e, ADDR_FAMILY) != fam) continue;
    // IPv6: a link-local source only towards a link-local destination.
    const linkLocal = fam == 10 && load<u8>(e, ADDR_ADDR) == 0xfe && (load<u8>(e, ADDR_ADDR + 1) & 0xc0) == 0x80;
    if (near && fam == 10 && linkLocal != (load<u8>(near) == 0xfe && (load<u8>(near, 1) & 0xc0) == 0x80)) continue;
    if (!first) first = e + ADDR_ADDR;
    if (near && prefixMatch(e + ADDR_ADDR, near, load<u8>(e, ADDR_PREFIX))) return e + ADDR_ADDR;
  }
  return first;
}

// Mirrors nft_masq_eval → nf_nat_masquerade_ipv4/ipv6: SNAT to the output device's address towards the next hop.
export function evalMasq(insn: usize): void {
  const fam = <u32>pNfproto;
  const alen: usize = fam == 2 ? 4 : 16;
  const daddr = pData + <usize>pNh + (fam == 2 ? 16 : 24);
  route(daddr, fam);
  const gw = routeGw();
  const src = ifaceAddr(pOif, fam, gw ? gw : daddr);
  if (!src) {
    store<i32>(regs, Verdict.Drop);
    return;
  }
  memory.copy(rangeMin, src, alen);
  memory.copy(rangeMax, src, alen);
  ports(<u32>load<u16>(insn, MASQ_FLAGS) | NatRangeFlags.MapIps, load<u8>(insn, MASQ_REG_PROTO_MIN), load<u8>(insn, MASQ_REG_PROTO_MAX));
  bind(MANIP_SRC);
}

// Mirrors nft_redir_eval → nf_nat_redirect_ipv4/ipv6: DNAT to the input device's first address, loopback for local output.
export function evalRedir(insn: usize): void {
  const fam = <u32>pNfproto;
  const alen: usize = fam == 2 ? 4 : 16;
  memory.fill(rangeMin, 0, 16);
  if (pHook == InetHook.Output) {
    if (fam == 2) store<u32>(rangeMin, 0x0100007f);
    else store<u8>(rangeMin + 15, 1);
  } else {
    const a = ifaceAddr(pIif, fam, 0);
    if (!a) {
      store<i32>(regs, Verdict.Drop);
      return;
    }
    memory.copy(rangeMin, a, alen);
  }
  memory.copy(rangeMax, rangeMin, alen);
  ports(<u32>load<u16>(insn, REDIR_FLAGS) | NatRangeFlags.MapIps, load<u8>(insn, REDIR_REG_PROTO_MIN), load<u8>(insn, REDIR_REG_PROTO_MAX));
  bind(MANIP_DST);
}
