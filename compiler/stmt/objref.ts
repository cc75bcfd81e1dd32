// Object references (kernel: net/netfilter/nft_objref.c; nftables:
// src/evaluate.c stmt_evaluate_objref): a named stateful object by name, or
// chosen by a map lookup. `counter name "http"` → objref type 1 name http.

import type { Expr, Stmt } from '../ast.js';
import { datatype } from '../datatype.js';
import type { RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { setFor } from '../expr/set.js';
import { OBJECT_TYPES } from '../objects.js';


/** `counter name x`, `ct helper set "ftp"`, `quota name tcp dport map { ... }`. */
export function objrefStmt(rc: RuleCompiler, s: Stmt & { k: 'objref' }): void {
  if (s.name !== undefined) {
    rc.insns.push({ op: 'objref', type: OBJECT_TYPES[s.type]!, name: s.name });
    return;
  }
  const m = s.map as Expr & { k: 'map' };
  const key = rc.lhs(m.key);
  const d = rc.regs.get();
  key.load(d);
  const set = setFor(rc, m.map, key, { type: datatype('string'), bits: 128, verdict: false, obj: OBJECT_TYPES[s.type] }, m.span);
  rc.regs.release();
  rc.insns.push({ op: 'objref_map', sreg: netlinkReg(d), set: set.name });
}
