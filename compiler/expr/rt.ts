// The rt expression (kernel: net/netfilter/nft_rt.c; nftables: src/rt.c):
// routing data attached to the packet. `rt mtu` → rt load tcpmss => reg 1;
// `rt nexthop` reads nexthop4 or nexthop6 by the table's family.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** nft keyword → [kernel key name, bits, datatype]. */
const RT_KEYS: Record<string, [string, number, string]> = {
  classid: ['classid', 32, 'realm'], nexthop: ['nexthop4', 32, 'ipv4_addr'], mtu: ['tcpmss', 16, 'integer_host'], ipsec: ['ipsec', 1, 'boolean'],
};

/** `rt classid`, `rt ip6 nexthop`: a route attribute as a value. */
export function rtExpr(rc: RuleCompiler, e: Expr & { k: 'rt' }): LExpr {
  let k = RT_KEYS[e.key];
  if (!k) rc.err(e.span, `syntax error, unexpected ${e.key}`);
  if (e.key === 'nexthop') {
    const fam = e.l3 ?? (rc.family === 'ip6' ? 'ip6' : 'ip');
    if (!e.l3 && rc.family === 'inet') rc.err(e.span, `must specify either ip or ip6 for rt nexthop`);
    if (fam === 'ip6') k = ['nexthop6', 128, 'ipv6_addr'];
  }
  const [print, bits, type] = k;
  const l = rc.scalar(datatype(type), bits, e.span, (d) => rc.insns.push({ op: 'rt', key: print, dreg: netlinkReg(d) }));
  if (bits < 8) l.len = 1;
  return l;
}
