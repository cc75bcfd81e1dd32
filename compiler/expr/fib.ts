// The fib expression (kernel: net/netfilter/nft_fib.c; nftables: src/fib.c):
// a routing lookup on the packet's addresses, marks and interfaces. `fib daddr
// type local` → fib daddr type => reg 1; `fib saddr . iif oif missing` adds
// the PRESENT flag and compares a boolean.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** Lookup input flags (enum nft_fib_flags). */
const FIB_FLAGS: Record<string, number> = { saddr: 1, daddr: 2, mark: 4, iif: 8, oif: 0x10 };
/** NFTA_FIB_F_PRESENT: the result is whether the lookup found anything. */
const FIB_PRESENT = 0x20;

/** `fib ... oif` as a value, or with `present` its existence (`fib saddr oif missing`). */
export function fibExpr(rc: RuleCompiler, e: Expr & { k: 'fib' }, present = false): LExpr {
  let flags = 0;
  for (const f of e.flags) {
    const v = FIB_FLAGS[f];
    if (v === undefined) rc.err(e.span, `syntax error, unexpected ${f}`);
    flags |= v;
  }
  const res = { oif: 1, oifname: 2, type: 3 }[e.result];
  if (!res) rc.err(e.span, `syntax error, unexpected ${e.result}`);
  const load = (d: number) => rc.insns.push({ op: 'fib', flags: present ? flags | FIB_PRESENT : flags, result: res, dreg: netlinkReg(d) });
  if (present) {
    const l = rc.scalar(datatype('boolean'), 1, e.span, load);
    l.len = 1;
    return l;
  }
  const type = res === 1 ? datatype('iface_index') : res === 2 ? datatype('ifname') : datatype('fib_addrtype');
  return rc.scalar(type, res === 2 ? 128 : 32, e.span, load);
}
