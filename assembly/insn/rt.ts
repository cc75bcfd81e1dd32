// rt (kernel: net/netfilter/nft_rt.c): keys of the packet's route (skb_dst),
// here the host model's route for the destination. A route exists once the
// stack has routed the packet: ip/ip6 (and inet) at input, forward, output
// and postrouting; prerouting, ingress, bridge, arp have none → BREAK.
// `[ rt load nexthop4 => reg 1 ]`, `[ rt load tcpmss => reg 1 ]`.

import { IFACE_MTU, IFACE_TYPE, InetHook, LoadError, Op, RtKey, RT_DREG, RT_KEY, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pData, pEnd, pHook, pNfproto, pNh } from '../packet';
import { route, routeGw, routeIf, routeType } from './fib';
import { ifaceOf } from './meta';

const RTN_LOCAL: u32 = 2;
/** TCP_MSS_DEFAULT. */
const TCP_MSS_DEFAULT: u32 = 536;

/** Load-time checks (nft_rt_get_init): a known key. */
export function checkRt(insn: usize): i32 {
  const k = <i32>load<u8>(insn, RT_KEY);
  if (k > RtKey.Xfrm) return loadFail(LoadError.BadOperand, Op.Rt, RT_KEY, k);
  return 0;
}

/** dst_mtu of the route last looked up: local routes go through lo (65536), others the output device (1500 unless given). */
function routeMtu(fam: u32): u32 {
  let mtu: u32 = 65536;
  if (routeType() != RTN_LOCAL) {
    const e = ifaceOf(routeIf());
    mtu = e ? load<u32>(e, IFACE_MTU) : 0;
    if (!mtu) mtu = e && load<u16>(e, IFACE_TYPE) == 772 ? 65536 : 1500;
  }
  // ipv4_mtu caps at IP_MAX_MTU, ip6_mtu at IP6_MAX_MTU.
  const cap: u32 = fam == 2 ? 0xffff : 0xffff + 40;
  return mtu < cap ? mtu : cap;
}

// Mirrors nft_rt_get_eval on the host model's route (no realms: classid 0; no xfrm bundles: xfrm 0).
export function evalRt(insn: usize): void {
  const d = regs + (<usize>load<u8>(insn, RT_DREG) << 2);
  const key = <i32>load<u8>(insn, RT_KEY);
  const fam = <u32>pNfproto;
  const nh = pData + <usize>pNh;
  const routed = pHook >= InetHook.Input && pHook <= InetHook.Postrouting;
  if (!routed || !((fam == 2 && nh + 20 <= pEnd) || (fam == 10 && nh + 40 <= pEnd))) {
    store<i32>(regs, Verdict.Break);
    return;
  }
  const daddr = fam == 2 ? nh + 16 : nh + 24;
  switch (key) {
    case RtKey.Classid:
      // dst->tclassid: no realms in the host model.
      store<u32>(d, 0);
      return;
    case RtKey.Nexthop4:
    case RtKey.Nexthop6: {
      if ((key == RtKey.Nexthop4) != (fam == 2)) break;
      // rt_nexthop / rt6_nexthop: the gateway, or the destination itself when on-link (or local).
      route(daddr, fam);
      const gw: usize = routeType() == RTN_LOCAL ? <usize>0 : routeGw();
      memory.copy(d, gw ? gw : daddr, fam == 2 ? 4 : 16);
      return;
    }
    case RtKey.Tcpmss: {
      // get_tcpmss: min(dst_mtu, mtu of the route back to the source) - IP and TCP headers.
      route(daddr, fam);
      let mtu = routeMtu(fam);
      route(fam == 2 ? nh + 12 : nh + 8, fam);
      if (routeIf()) {
        const back = routeMtu(fam);
        if (back < mtu) mtu = back;
      }
      const minlen: u32 = fam == 2 ? 40 : 60;
      const mss = mtu <= minlen || mtu > 0xffff ? TCP_MSS_DEFAULT : mtu - minlen;
      store<u32>(d, mss & 0xffff);
      return;
    }
    case RtKey.Xfrm:
      // !!dst->xfrm: no IPsec bundles in a replay.
      store<u32>(d, 0);
      return;
  }
  store<i32>(regs, Verdict.Break);
}
