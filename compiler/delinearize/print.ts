// Printing delinearized expressions and relationals (nftables: src/expression.c
// and src/netlink_delinearize.c relational_binop_postprocess, rewritten):
// operator tokens, `& mask | or ^ xor` trees, flag lists and `value / mask`.

import type { DExpr, DStmt, RExpr } from './types.js';
import { anonSetText } from './set.js';
import { flagList, isBitmask, num, valueText, type ValueType } from './value.js';

/** The type constants compared with `e` print as; big-endian after `byteorder hton`. */
export function vtOf(e: DExpr): ValueType {
  switch (e.k) {
    case 'key':
    case 'map':
      return e.vt;
    case 'binop':
      return vtOf(e.left);
    case 'hton':
      return { ...vtOf(e.inner), order: 'be' };
    case 'payload':
      return { type: 'raw', order: 'be', bits: e.len };
    case 'concat':
      return vtOf(e.parts[0]!);
    case 'value':
      return { type: 'integer', order: 'be', bits: e.data.length * 8 };
  }
}

/** Value types of each component (one for a plain key). */
export function vtsOf(e: DExpr): ValueType[] {
  if (e.k === 'concat') return e.parts.map(vtOf);
  return [vtOf(e)];
}

function isOnes(b: Uint8Array): boolean {
  return b.every((x) => x === 0xff);
}

/** `mask`/`xor` of a boolean bitwise split into nft's `& m | o ^ x`. */
export function bitwiseParts(mask: Uint8Array, xor: Uint8Array): { and?: Uint8Array; or?: Uint8Array; xor?: Uint8Array } {
  const o = xor.map((x, i) => x & ~mask[i]!);
  const x2 = xor.map((x, i) => x & mask[i]!);
  const m2 = mask.map((m, i) => m | o[i]!);
  return {
    and: isOnes(m2) ? undefined : m2,
    or: o.some((v) => v) ? o : undefined,
    xor: x2.some((v) => v) ? x2 : undefined,
  };
}

/** An expression as nft prints it. */
export function exprText(e: DExpr): string {
  switch (e.k) {
    case 'key':
      return e.text;
    case 'payload':
      return `@${['ll', 'nh', 'th', 'ih'][e.base]},${e.offset},${e.len}`;
    case 'hton':
      return exprText(e.inner);
    case 'concat':
      return e.parts.map(exprText).join(' . ');
    case 'map':
      return `${exprText(e.key)} map ${setRef(e.set, vtsOf(e.key), [e.vt])}`;
    case 'value':
      return valueText({ type: 'integer', order: 'be', bits: e.data.length * 8 }, e.data);
    case 'binop': {
      const vt = vtOf(e.left);
      const left = exprText(e.left);
      const n = Math.ceil(vt.bits / 8);
      const v = (b: Uint8Array) => valueText(vt, b.slice(0, Math.max(n, 1)));
      if (e.op === '<<' || e.op === '>>') return `${left} ${e.op} ${num(e.right, 'host')}`;
      if (e.mask && e.xor) {
        const p = bitwiseParts(e.mask, e.xor);
        let s = left;
        if (p.and) s += ` & ${v(p.and)}`;
        if (p.or) s += ` | ${v(p.or)}`;
        if (p.xor) s += ` ^ ${v(p.xor)}`;
        return s;
      }
      return `${left} ${e.op} ${v(e.right)}`;
    }
  }
}

/** A set reference: `@name`, or the anonymous set's elements. */
export function setRef(s: import('../linearize.js').SetDef, keyVts: ValueType[], dataVts?: ValueType[]): string {
  if (!s.anonymous) return `@${s.name}`;
  return anonSetText(s, keyVts, dataVts);
}

const OPS: Record<string, string> = { eq: '', neq: '!= ', lt: '< ', lte: '<= ', gt: '> ', gte: '>= ', implicit: '', neg: '! ' };

function rightText(left: DExpr, r: RExpr, op: string): string {
  const vt = vtOf(left);
  const n = Math.max(1, Math.ceil(vt.bits / 8));
  switch (r.k) {
    case 'value':
      return valueText(vt, r.data.slice(0, Math.max(n, r.wildcard ? 0 : n)), { wildcard: r.wildcard, eq: op === 'eq' || op === 'neq' });
    case 'range':
      return `${valueText(vt, r.from.slice(0, n), { range: true })}-${valueText(vt, r.to.slice(0, n), { range: true })}`;
    case 'prefix':
      return `${valueText(vt, r.data.slice(0, n))}/${r.len}`;
    case 'set':
      return setRef(r.set, vtsOf(left));
    case 'text':
      return r.text;
  }
}

/** One relational as nft prints it. */
export function relText(s: DStmt & { k: 'rel' }): string {
  let op = OPS[s.op]!;
  const vt = vtOf(s.left);
  if (s.op === 'eq' && ((s.right.k === 'value' && isBitmask(vt.type)) || (s.right.k !== 'range' && s.right.k !== 'prefix' && s.left.k === 'binop'))) op = '== ';
  // Several ct status bits compared for equality: `ct status assured | confirmed`.
  if (s.op === 'eq' && s.right.k === 'value' && vt.type === 'ct_status' && s.left.k !== 'binop') {
    const v = flagsText(vt, s.right.data);
    if (v.includes(',') && !v.includes('0x')) return `${exprText(s.left)} ${v.split(',').join(' | ')}`;
  }
  return `${exprText(s.left)} ${op}${rightText(s.left, s.right, s.op)}`;
}

/** Flag list text of a bitmask value (`fin,syn`). */
export function flagsText(vt: ValueType, b: Uint8Array): string {
  return flagList(vt.type, num(b.slice(0, Math.ceil(vt.bits / 8)), vt.order));
}
