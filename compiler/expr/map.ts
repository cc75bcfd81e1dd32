// Map lookups (kernel: net/netfilter/nft_lookup.c with a destination
// register; nftables: src/evaluate.c expr_evaluate_map): a value looked up by
// key, or a verdict (`vmap`). `meta mark set tcp dport map { 22 : 1 }` →
// payload load 2b @ transport + 2 => reg 1; lookup reg 1 set __map%d dreg 1; meta set mark with reg 1.

import type { Expr } from '../ast.js';
import { datatype, type Datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import type { MapData } from '../sets.js';
import { unshifted } from './payload.js';
import { loadKey, loadLookupKey, setFor } from './set.js';

/** `expr map { ... }` as a value (data map lookup); the data type comes from where the value goes. */
export function mapExpr(rc: RuleCompiler, e: Expr & { k: 'map' }, dataType?: Datatype, dataBits?: number, dataParts?: MapData['parts']): LExpr {
  // A named map's key is shifted in the register (its elements are plain values).
  const key = e.map.k === 'setref' ? unshifted(rc, rc.lhs(e.key)) : rc.lhs(e.key);
  const dt = dataType ?? rc.pendingDataType;
  if (!dt) rc.err(e.span, `map data type unknown here`);
  const bits = dataBits ?? rc.pendingDataBits ?? dt.bits;
  return {
    type: dt, bits, len: Math.ceil(bits / 8), order: dt.order, shift: 0, hostNumeric: false, span: e.span,
    load(d) {
      // nft loads the key into the destination register, whatever its size.
      loadKey(rc, e.map, key, d);
      const set = setFor(rc, e.map, key, { type: dt, bits, verdict: false, parts: dataParts }, e.span);
      rc.insns.push({ op: 'lookup', sreg: netlinkReg(d), set: set.name, dreg: netlinkReg(d), inv: false });
    },
  };
}

/** `tcp dport vmap { 22 : accept }`: a verdict map lookup (dreg 0 is the verdict register). */
export function vmapStmt(rc: RuleCompiler, e: Expr & { k: 'map' }): void {
  const key = rc.lhs(e.key);
  const { sreg, set } = loadLookupKey(rc, e.map, key, { type: datatype('verdict'), bits: 32, verdict: true }, e.span);
  rc.insns.push({ op: 'lookup', sreg, set: set.name, dreg: 0, inv: false });
}
