// Set lookups (kernel: net/netfilter/nft_lookup.c; nftables: src/evaluate.c
// expr_evaluate_set, netlink_gen_lookup): `{ ... }` becomes an anonymous set,
// `@name` resolves to a declared one, and the key is looked up in it.
// `tcp dport { 22, 80 }` → payload load 2b @ transport + 2 => reg 1; lookup reg 1 set __set%d.

import type { Expr, RelOp } from '../ast.js';
import { keyUnits, type LExpr, type RuleCompiler, type SetDef } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { unshifted } from './payload.js';
import { buildElements, checkSetKey, hasIntervals, unknownSetMessage, type MapData } from '../sets.js';
import type { Span } from '../source.js';

/** Resolves `{...}` / `@name` for a lookup keyed by `key`; `data` says what a map maps to. */
export function setFor(rc: RuleCompiler, e: Expr, key: LExpr, data: MapData | undefined, span: Span): SetDef {
  if (e.k === 'setref') {
    const s = rc.table.sets.get(e.name);
    if (!s) rc.err(e.span, unknownSetMessage(e.name, rc.table));
    if (data && !(s.flags & (data.obj ? 0x40 : 0x8))) rc.err(e.span, `Expression is not a map`);
    if (data?.verdict && !s.verdictMap && s.dataType) rc.err(span, `datatype mismatch: expected netfilter verdict, expression has type ${s.dataType.desc}`);
    if (data && !data.verdict && !data.obj && s.verdictMap) rc.err(span, `datatype mismatch: expected ${data.type.desc}, expression has type netfilter verdict`);
    checkSetKey(rc, s, key, e.span);
    return s;
  }
  if (e.k !== 'set') rc.err(e.span, `Expected a set`);
  const parts = key.parts ?? [key];
  const def: SetDef = {
    name: data?.obj ? '__objmap%d' : data ? '__map%d' : '__set%d', table: rc.table.name, family: rc.family, flags: 0x3,
    keyType: key.type, keyBits: key.bits, keyParts: parts.map((p) => ({ type: p.type, bits: p.bits })),
    dataType: data?.type, dataBits: data?.bits, verdictMap: data?.verdict, objMap: data?.obj, elements: [], anonymous: true,
  };
  if (data) def.flags |= data.obj ? 0x40 : 0x8;
  const elems = buildElements(rc, e.elems, parts, data);
  if (elems.interval) def.flags |= 0x4;
  if (elems.interval && parts.length > 1) def.flags |= 0x80;
  def.elements = elems.list;
  def.size = elems.size;
  rc.anonSets.push(def);
  return def;
}

/**
 * Loads `key` (converted to network order for an interval set) and returns
 * the netlink register and set a lookup in `e` uses.
 */
export function loadLookupKey(rc: RuleCompiler, e: Expr, key: LExpr, data: MapData | undefined, span: Span): { sreg: number; set: SetDef } {
  if (e.k === 'setref') key = unshifted(rc, key);
  const units = keyUnits(key);
  const d = rc.regs.get(units);
  loadKey(rc, e, key, d);
  const set = setFor(rc, e, key, data, span);
  rc.regs.release(units);
  return { sreg: netlinkReg(d), set };
}

/**
 * Loads a lookup key into unit `d`. Interval sets hold big-endian keys, so
 * a host-order key is converted (each component of a concatenation).
 */
export function loadKey(rc: RuleCompiler, e: Expr, key: LExpr, d: number): void {
  const interval = e.k === 'setref' ? !!((rc.table.sets.get(e.name)?.flags ?? 0) & 4) : e.k === 'set' && hasIntervals(e.elems);
  if (interval && key.loadNet) key.loadNet(d);
  else key.load(d);
  if (interval && key.hostNumeric) rc.hton(d, key);
}

/** `l { ... }`, `l != @name`: set membership. */
export function lookupMatch(rc: RuleCompiler, l: LExpr, op: RelOp, r: Expr, span: Span): void {
  const setE: Expr = r.k === 'list' ? { k: 'set', elems: r.items.map((x) => ({ key: x, span: x.span })), span: r.span } : r;
  if (op !== 'implicit' && op !== '==' && op !== '!=') rc.err(span, `Relational expression size mismatch`);
  const { sreg, set } = loadLookupKey(rc, setE, l, undefined, r.span);
  rc.insns.push({ op: 'lookup', sreg, set: set.name, inv: op === '!=' });
}
