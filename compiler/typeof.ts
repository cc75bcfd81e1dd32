// `typeof` set declarations: the key type is the type of an expression
// (`typeof ip saddr . tcp dport`). Typed by compiling the expression.

import type { TypeSpec } from './ast.js';
import { RuleCompiler, type TableCtx } from './linearize.js';

/** Datatypes and widths of the expressions of a `typeof` spec. */
export function typeofSpec(t: TableCtx, ts: TypeSpec & { k: 'typeof' }) {
  const rc = new RuleCompiler(t, { name: '', base: false });
  const parts = ts.exprs.map((e) => {
    const l = rc.lhs(e);
    return { type: l.type, bits: l.bits };
  });
  return { parts, bits: parts.reduce((a, p) => a + Math.ceil(p.bits / 32) * 32, 0) };
}
