// Meta expression and statement (kernel: net/netfilter/nft_meta.c;
// nftables: src/meta.c): packet and interface metadata, read and written
// by key (the keys are in meta-keys.ts). `meta mark set 1` →
// immediate reg 1 0x00000001; meta set mark with reg 1.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { META_KEYS } from './meta-keys.js';

/** `meta l4proto`, `iifname`: a meta key as a value; some keys establish protocol context. */
export function metaExpr(rc: RuleCompiler, e: Expr & { k: 'meta' }): LExpr {
  const { key, span } = e;
  const m = META_KEYS[key];
  if (!m) rc.err(span, `unknown meta key ${key}`);
  const type = datatype(m.type);
  const l = rc.scalar(type, m.bits, span, (d) => rc.insns.push({ op: 'meta', key: m.print, dreg: netlinkReg(d) }));
  l.key = { kind: 'meta', name: m.print };
  if (key === 'nfproto') l.protoKey = 'nfproto';
  if (key === 'l4proto') {
    l.protoKey = 'l4proto';
    // The protocol number is a host-order value to nft (unlike `ip protocol`):
    // an interval set's concatenation converts it (`hton(reg 9, 2, 1)`).
    l.hostNumeric = true;
  }
  if (key === 'protocol') l.protoKey = 'ethertype';
  if (m.bits < 8) l.len = 1;
  return l;
}

/** `meta mark set v`: the value into a register, then `meta set`. */
export function metaSet(rc: RuleCompiler, t: Expr & { k: 'meta' }, v: Expr): void {
  const l = rc.lhs(t);
  const sreg = rc.valueReg(l, v);
  rc.insns.push({ op: 'meta_set', key: l.key!.name, sreg });
}
