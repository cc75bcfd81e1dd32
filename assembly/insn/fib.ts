// fib (kernel: net/ipv4/netfilter/nft_fib_ipv4.c, nft_fib_ipv6.c): route and
// address-type lookups against the host model (addresses with their
// connected prefixes, routes; longest prefix wins).
// `[ fib saddr . iif oif present => reg 1 ]`, `[ fib daddr type => reg 1 ]`.

import { ADDR_ADDR, ADDR_FAMILY, ADDR_IFINDEX, ADDR_MAX, ADDR_PREFIX, ADDR_SIZE, FibFlags, FibResult, FIB_DREG, FIB_FLAGS, FIB_RESULT, IFACE_MAX, IFACE_NAME, IFACE_SIZE, IFACE_TYPE, InetHook, LoadError, Op, ROUTE_DST, ROUTE_FAMILY, ROUTE_GW, ROUTE_IFINDEX, ROUTE_MAX, ROUTE_PREFIX, ROUTE_SIZE, ROUTE_TYPE } from '../abi';
import { host, loadFail, regs } from '../mem';
import { pData, pEnd, pHook, pIif, pNh, pOif, pProto } from '../packet';
import { ifaceOf } from './meta';

export const RTN_UNICAST: u32 = 1;
export const RTN_LOCAL: u32 = 2;
const RTN_BROADCAST: u32 = 3;
const RTN_MULTICAST: u32 = 5;
const RTN_UNREACHABLE: u32 = 7;

/** Load-time checks (nft_fib_init): one of saddr/daddr, a known result. */
export function checkFib(insn: usize): i32 {
  const r = <i32>load<u8>(insn, FIB_RESULT);
  const f = <i32>load<u8>(insn, FIB_FLAGS);
  if (r < FibResult.Oif || r > FibResult.Addrtype) return loadFail(LoadError.BadOperand, Op.Fib, FIB_RESULT, r);
  if (f > 0x3f || ((f & FibFlags.Saddr) != 0) == ((f & FibFlags.Daddr) != 0) || (f & FibFlags.Iif && f & FibFlags.Oif)) return loadFail(LoadError.BadOperand, Op.Fib, FIB_FLAGS, f);
  return 0;
}

/** True when the first `bits` bits of a and b agree. */
/** The first `bits` bits of `a` and `b` are equal. */
export function prefixMatch(a: usize, b: usize, bits: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= bits; i += 8) if (load<u8>(a + (i >> 3)) != load<u8>(b + (i >> 3))) return false;
  if (i < bits) {
    const m = <u32>(0xff00 >> (bits - i)) & 0xff;
    if ((load<u8>(a + (i >> 3)) & m) != (load<u8>(b + (i >> 3)) & m)) return false;
  }
  return true;
}

const ADDRS: usize = IFACE_MAX * IFACE_SIZE;
const ROUTES: usize = ADDRS + ADDR_MAX * ADDR_SIZE;

/** Route lookup result: output ifindex (0 none) and route type. */
let rIf: u32 = 0;
let rType: u32 = 0;
/** Gateway of the last route() (address in the host area), 0 when directly connected or local. */
let rGw: usize = 0;

/** Gateway address of the last route() (0 = none: the destination is the next hop). */
export function routeGw(): usize { return rGw; }

/** Output ifindex of the last route() (0 = none); reject's source address selection uses it. */
export function routeIf(): u32 { return rIf; }
/** Route type (RTN_*) of the last route(). */
export function routeType(): u32 { return rType; }

/** Longest-prefix route to `a` (family 2/10): local addresses, connected prefixes, then routes. */
export function route(a: usize, fam: u32): void {
  const alen: u32 = fam == 2 ? 4 : 16;
  rIf = 0;
  rType = RTN_UNREACHABLE;
  rGw = 0;
  let best: i32 = -1;
  for (let i: usize = 0; i < <usize>ADDR_MAX; i++) {
    const e = host + ADDRS + i * ADDR_SIZE;
    const ifx = load<u32>(e, ADDR_IFINDEX);
    if (!ifx || load<u8>(e, ADDR_FAMILY) != fam) continue;
    if (memory.compare(e + ADDR_ADDR, a, alen) == 0) {
      rIf = ifx;
      rType = RTN_LOCAL;
      return;
    }
    const pl = <i32>load<u8>(e, ADDR_PREFIX);
    if (pl > best && prefixMatch(e + ADDR_ADDR, a, pl)) {
      best = pl;
      rIf = ifx;
      rType = RTN_UNICAST;
    }
  }
  for (let i: usize = 0; i < <usize>ROUTE_MAX; i++) {
    const e = host + ROUTES + i * ROUTE_SIZE;
    const ifx = load<u32>(e, ROUTE_IFINDEX);
    if (!ifx || load<u8>(e, ROUTE_FAMILY) != fam) continue;
    const pl = <i32>load<u8>(e, ROUTE_PREFIX);
    if (pl > best && prefixMatch(e + ROUTE_DST, a, pl)) {
      best = pl;
      rIf = ifx;
      rType = load<u8>(e, ROUTE_TYPE);
      rGw = 0;
      for (let b: u32 = 0; b < alen; b++) if (load<u8>(e + ROUTE_GW + b)) rGw = e + ROUTE_GW;
    }
  }
}

/** inet_dev_addr_type / ipv6_addr_type as fib type sees them; `dev` restricts local addresses (0 = any). */
export function addrType(a: usize, fam: u32, dev: u32): u32 {
  if (fam == 2) {
    const b0 = <i32>load<u8>(a);
    if (b0 == 0 || load<u32>(a) == 0xffffffff) return RTN_BROADCAST;
    if ((b0 & 0xf0) == 0xe0) return RTN_MULTICAST;
  } else if (load<u8>(a) == 0xff) return RTN_MULTICAST;
  for (let i: usize = 0; i < <usize>ADDR_MAX; i++) {
    const e = host + ADDRS + i * ADDR_SIZE;
    const ifx = load<u32>(e, ADDR_IFINDEX);
    if (!ifx || load<u8>(e, ADDR_FAMILY) != fam || (dev && ifx != dev)) continue;
    if (memory.compare(e + ADDR_ADDR, a, fam == 2 ? 4 : 16) == 0) return RTN_LOCAL;
    if (fam == 2) {
      // The subnet broadcast of a local address.
      const pl = <u32>load<u8>(e, ADDR_PREFIX);
      if (pl > 0 && pl < 31) {
        const own = bswap<u32>(load<u32>(e, ADDR_ADDR));
        const host32 = bswap<u32>(load<u32>(a));
        const m = <u32>0xffffffff << (32 - pl);
        if ((own & m) == (host32 & m) && (host32 | m) == 0xffffffff) return RTN_BROADCAST;
      }
    }
  }
  return RTN_UNICAST;
}

/** nft_fib_store_result. */
function storeResult(insn: usize, d: usize, ifx: u32): void {
  const present = (load<u8>(insn, FIB_FLAGS) & FibFlags.Present) != 0;
  if (load<u8>(insn, FIB_RESULT) == FibResult.Oif) {
    store<u32>(d, present ? (ifx ? 1 : 0) : ifx);
    return;
  }
  const e = ifaceOf(ifx);
  if (present) store<u32>(d, e ? 1 : 0);
  else if (e) memory.copy(d, e + IFACE_NAME, 16);
  else memory.fill(d, 0, 16);
}

// Mirrors nft_fib4_eval / nft_fib6_eval / nft_fib_inet_eval (on the host model).
export function evalFib(insn: usize): void {
  const d = regs + (<usize>load<u8>(insn, FIB_DREG) << 2);
  const flags = <i32>load<u8>(insn, FIB_FLAGS);
  const nh = pData + pNh;
  let fam: u32 = 0;
  if (pProto == 0x0800 && nh + 20 <= pEnd) fam = 2;
  else if (pProto == 0x86dd && nh + 40 <= pEnd) fam = 10;
  if (!fam) {
    // nft_fib_inet_eval / nft_fib_netdev_eval: other protocols drop (NF_DROP).
    store<i32>(regs, 0);
    return;
  }
  const saddr = fam == 2 ? nh + 12 : nh + 8;
  const daddr = fam == 2 ? nh + 16 : nh + 24;
  const a = flags & FibFlags.Daddr ? daddr : saddr;
  const dev = flags & FibFlags.Iif ? pIif : flags & FibFlags.Oif ? pOif : 0;
  if (load<u8>(insn, FIB_RESULT) == FibResult.Addrtype) {
    store<u32>(d, addrType(a, fam, dev));
    return;
  }
  store<u32>(d, 0);
  // Prerouting on loopback: the input device is the answer.
  const inDev = ifaceOf(pIif);
  if (pHook == InetHook.Prerouting && inDev && load<u16>(inDev, IFACE_TYPE) == 772) {
    storeResult(insn, d, pIif);
    return;
  }
  route(a, fam);
  if (rType != RTN_UNICAST) {
    if (load<u8>(insn, FIB_FLAGS) & FibFlags.Present || load<u8>(insn, FIB_RESULT) == FibResult.Oifname) storeResult(insn, d, 0);
    return;
  }
  if (dev && rIf != dev) {
    storeResult(insn, d, 0);
    return;
  }
  storeResult(insn, d, rIf);
}
