// The ipsec expression (kernel: net/netfilter/nft_xfrm.c; nftables:
// src/xfrm.c): the xfrm state the packet came in or goes out with.
// `ipsec in reqid 1` → xfrm load in 0 reqid => reg 1; cmp eq reg 1 0x00000001.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** nft keyword → [bits, datatype]; addresses are IPv4 unless `ip6` says otherwise. */
const XFRM_KEYS: Record<string, [number, string]> = { reqid: [32, 'integer_host'], spi: [32, 'integer_be'], saddr: [32, 'ipv4_addr'], daddr: [32, 'ipv4_addr'] };

/** `ipsec in reqid`, `ipsec out ip6 daddr`: an xfrm state attribute as a value. */
export function ipsecExpr(rc: RuleCompiler, e: Expr & { k: 'ipsec' }): LExpr {
  let k = XFRM_KEYS[e.key];
  if (!k) rc.err(e.span, `syntax error, unexpected ${e.key}`);
  let key = e.key;
  // Addresses are the kernel keys saddr4/daddr4 or saddr6/daddr6.
  if (e.key === 'saddr' || e.key === 'daddr') {
    if (e.l3 === 'ip6') k = [128, 'ipv6_addr'];
    key += e.l3 === 'ip6' ? '6' : '4';
  }
  return rc.scalar(datatype(k[1]), k[0], e.span, (d) => rc.insns.push({ op: 'xfrm', key, dreg: netlinkReg(d), dir: e.dir === 'in' ? 0 : 1, spnum: e.spnum }));
}
