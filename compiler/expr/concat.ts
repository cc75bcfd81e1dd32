// Concatenations (nftables: src/expression.c concat_expr, linearized by
// netlink_gen_concat): the components load into consecutive registers, each
// padded to whole 32-bit words. `ip saddr . tcp dport @s` → payload load 4b
// @ network + 12 => reg 1; payload load 2b @ transport + 2 => reg 9; lookup.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { pad4 } from '../regs.js';
import { unshifted } from './payload.js';

/** `a . b . c` as a value: one register word run, with its components in `parts`. */
export function concatExpr(rc: RuleCompiler, e: Expr & { k: 'concat' }): LExpr {
  // Sub-byte components are shifted down in their registers; constants stay unshifted.
  const ls = e.parts.map((p) => {
    const l = rc.lhs(p);
    // Types without a fixed size (`osf name`, a port without its protocol) cannot be concatenated.
    if (l.type.name === 'string' || l.type.name === 'invalid') rc.err(p.span, `can not use variable sized data types (${l.type.desc}) in concat expressions`);
    return unshifted(rc, l);
  });
  const lens = ls.map((l) => Math.ceil(l.len / 4) * 4);
  const total = lens.reduce((a, b) => a + b, 0);
  return {
    type: datatype('integer'), bits: total * 8, len: total, order: 'be', shift: 0, hostNumeric: false, span: e.span,
    parts: ls,
    load: (d) => loadParts(false, d),
    loadNet: (d) => loadParts(true, d),
  };
  function loadParts(net: boolean, d: number): void {
    let u = d;
    for (let i = 0; i < ls.length; i++) {
      const p = ls[i]!;
      p.load(u);
      if (net && p.hostNumeric) rc.hton(u, p, true);
      u += lens[i]! / 4;
    }
  }
}

/** Key bytes per component for a concatenated constant (`1.2.3.4 . 80`). */
export function concatKey(rc: RuleCompiler, l: LExpr, r: Expr): Uint8Array[] {
  const parts = l.parts!;
  const rs = r.k === 'concat' ? r.parts : [r];
  rc.concatArity(r, parts);
  return parts.map((p, i) => pad4(rc.constBytes(p, rs[i]!)));
}
