// Conntrack expression and statement (kernel: net/netfilter/nft_ct.c;
// nftables: src/ct.c): connection state and tuple fields, read and
// written by key (the keys are in ct-keys.ts). `ct original ip saddr 1.2.3.4`
// → ct load src_ip => reg 1 , dir original; cmp eq reg 1 0x04030201.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { CT_KEYS } from './ct-keys.js';

/** `ct state`, `ct original saddr`: a ct key as a value, with its direction and address family. */
export function ctExpr(rc: RuleCompiler, e: Expr & { k: 'ct' }): LExpr {
  const info = CT_KEYS[e.key];
  if (!info) rc.err(e.span, `unknown ct key ${e.key}`);
  const dir = e.dir === undefined ? undefined : e.dir === 'original' ? 0 : 1;
  let print = info.print;
  let type = datatype(info.type);
  let bits = info.bits;
  if (info.addr) {
    // ct saddr/daddr: address family from the table or an explicit ip/ip6.
    if (dir === undefined) rc.err(e.span, `missing direction for ct ${e.key}`);
    const fam = e.l3 ?? (rc.family === 'ip' || rc.family === 'ip6' ? rc.family : rc.nh === 'ip' || rc.nh === 'ip6' ? rc.nh : undefined);
    if (!e.l3 && fam) {
      type = datatype(fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr');
      bits = fam === 'ip' ? 32 : 128;
    } else if (e.l3) {
      type = datatype(e.l3 === 'ip' ? 'ipv4_addr' : 'ipv6_addr');
      bits = e.l3 === 'ip' ? 32 : 128;
      print = `${print}_${e.l3 === 'ip' ? 'ip' : 'ip6'}`;
    } else {
      rc.err(e.span, `cannot determine ip protocol version, use "ip ${e.key}" or "ip6 ${e.key}" instead`);
    }
  } else if (info.needDir && dir === undefined) {
    rc.err(e.span, `missing direction for ct ${e.key}`);
  }
  // Port values need a known transport protocol (`ct protocol tcp`, `meta l4proto tcp` ...).
  if (info.needDir && !rc.th) type = datatype('invalid');
  const l = rc.scalar(type, bits, e.span, (d) => rc.insns.push({ op: 'ct', key: print, dreg: netlinkReg(d), dir }));
  l.key = { kind: 'ct', name: print, dir };
  if (e.key === 'protocol') l.protoKey = 'l4proto';
  if (e.key === 'l3proto') l.protoKey = 'nfproto';
  if (bits < 8) l.len = 1;
  return l;
}

/** `ct mark set v`: the value into a register, then `ct set`. */
export function ctSet(rc: RuleCompiler, t: Expr & { k: 'ct' }, v: Expr): void {
  const l = rc.lhs(t);
  const sreg = rc.valueReg(l, v);
  rc.insns.push({ op: 'ct_set', key: l.key!.name, sreg, dir: l.key!.dir });
}
