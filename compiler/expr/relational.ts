// Relational expressions (kernel: net/netfilter/nft_cmp.c, nft_range.c;
// nftables: src/evaluate.c expr_evaluate_relational, netlink_gen_relational):
// a value compared with a constant, prefix, range, flag list or set.
// `tcp dport 1-1023` → payload load 2b @ transport + 2 => reg 1;
// cmp gte reg 1 0x00000100; cmp lte reg 1 0x0000ff03.

import type { Expr, RelOp } from '../ast.js';
import { parseLiteral, encodeNum } from '../datatype.js';
import { noteProto } from '../deps.js';
import { msg } from '../diagnostics.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { concatBytes, netlinkReg } from '../regs.js';
import type { Span } from '../source.js';
import { foldBinop } from './binop.js';
import { concatKey } from './concat.js';
import { fibExpr } from './fib.js';
import { lookupMatch } from './set.js';

/** Comparison operators (enum nft_cmp_ops). */
const CMP = { '==': 0, '!=': 1, '<': 2, '<=': 3, '>': 4, '>=': 5 } as const;

/** Compiles the relational statement `le op r`. */
export function match(rc: RuleCompiler, le: Expr, op: RelOp, r: Expr, span: Span): void {
  // nft turns a one-element anonymous set into the element itself (not for concatenations).
  if (r.k === 'set' && r.elems.length === 1 && le.k !== 'concat' && r.elems[0]!.key.k !== 'list') return match(rc, le, op, r.elems[0]!.key, span);
  const exists = r.k === 'sym' && r.tok === 'word' && (r.text === 'exists' || r.text === 'missing');
  const folded = foldBinop(rc, le, op, r);
  if (folded) [le, r] = [folded.le, folded.r];
  const l = folded?.l ?? (le.k === 'fib' && exists ? fibExpr(rc, le, true) : rc.lhs(le));
  if (r.k === 'neg' || (r.k === 'list' && r.items[0]?.k === 'neg')) return negatedFlags(rc, l, r, span);
  if (r.k === 'set' || r.k === 'setref' || (r.k === 'list' && !l.type.bitmask && !l.parts)) return lookupMatch(rc, l, op, r, span);
  if (l.parts) {
    // concatenation compared with a concatenated constant
    if (r.k !== 'concat') rc.err(r.span, `Use concatenations with sets and maps, not singleton values`);
    const units = Math.ceil(l.len / 4);
    const d = rc.regs.get(units);
    l.load(d);
    rc.regs.release(units);
    const data = concatKey(rc, l, r);
    rc.insns.push({ op: 'cmp', cmp: op === '!=' ? 1 : 0, sreg: netlinkReg(d), data: concatBytes(data) });
    return;
  }
  const d = rc.regs.get();
  const R = netlinkReg(d);
  if (r.k === 'prefix') {
    prefixMatch(rc, l, d, op === '!=', r);
    rc.regs.release();
    return;
  }
  l.load(d);
  rc.regs.release();
  if (r.k === 'range') {
    let lo = rc.value(l, r.lo) << BigInt(l.shift);
    let hi = rc.value(l, r.hi) << BigInt(l.shift);
    // A time of day or week range that wraps (`"22:00"-"06:00"`) is matched as
    // the negation of the swapped range (nftables: src/evaluate.c).
    if (lo > hi && (l.type.name === 'hour' || l.type.name === 'day')) {
      [lo, hi] = [hi, lo];
      op = op === '!=' ? '==' : '!=';
    }
    if (lo > hi) rc.err(r.span, `Range has zero or negative size`);
    if (l.hostNumeric) rc.hton(d, l);
    const enc = (v: bigint) => encodeNum(v, l.len, 'be');
    if (op === '!=') rc.insns.push({ op: 'range', neq: true, sreg: R, from: enc(lo), to: enc(hi) });
    else {
      rc.insns.push({ op: 'cmp', cmp: CMP['>='], sreg: R, data: enc(lo) });
      rc.insns.push({ op: 'cmp', cmp: CMP['<='], sreg: R, data: enc(hi) });
    }
    return;
  }
  if (r.k === 'flagmask') {
    const v = rc.value(l, r.value);
    const m = rc.value(l, r.mask);
    rc.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask: encodeNum(m, l.len, l.order), xor: new Uint8Array(l.len) });
    rc.insns.push({ op: 'cmp', cmp: op === '!=' ? 1 : 0, sreg: R, data: encodeNum(v, l.len, l.order) });
    return;
  }
  if (op === 'implicit' && l.type.bitmask && le.k !== 'binop') {
    // `tcp flags syn`: any of the flags is set.
    const v = rc.constBytes(l, r);
    rc.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask: v, xor: new Uint8Array(l.len) });
    rc.insns.push({ op: 'cmp', cmp: 1, sreg: R, data: new Uint8Array(l.len) });
    // nft merges it with an adjacent payload match as if it were `== value`
    // (`tcp flags syn tcp window 1024` → one 3-byte load, cmp eq 0x00000402).
    mergeCandidate(rc, le, l, v, false);
    return;
  }
  const data = wildcardPrefix(l, r) ?? rc.constBytes(l, r);
  const cop = op === 'implicit' ? 0 : CMP[op];
  if (cop >= 2 && l.hostNumeric) {
    rc.hton(d, l);
    rc.insns.push({ op: 'cmp', cmp: cop, sreg: R, data: data.slice().reverse() });
  } else {
    rc.insns.push({ op: 'cmp', cmp: cop, sreg: R, data });
  }
  if (cop <= 1 && r.k === 'sym') mergeCandidate(rc, le, l, data, cop === 1);
  if (cop === 0) noteProto(rc, l, r);
}

/** A whole-byte header field compared with a constant may merge with its neighbours (payload-merge.ts). */
function mergeCandidate(rc: RuleCompiler, le: Expr, l: LExpr, data: Uint8Array, neq: boolean): void {
  const p = l.payload;
  if ((le.k === 'payload' || le.k === 'raw') && p && p.bitOffset % 8 === 0 && p.bitLen % 8 === 0) {
    rc.pendingMatch = { base: p.base, offset: p.bitOffset / 8, len: l.len, neq, data, protocol: l.protoKey !== undefined };
  }
}

/** `ip saddr 10.0.0.0/8`: whole-byte prefixes compare fewer bytes, others mask first. */
function prefixMatch(rc: RuleCompiler, l: LExpr, d: number, neq: boolean, r: Expr & { k: 'prefix' }): void {
  const R = netlinkReg(d);
  const full = rc.value(l, r.e);
  const plen = r.len;
  if (plen > l.bits) rc.err(r.span, msg.prefixLength(plen, l.bits));
  if (l.type.string) rc.err(r.span, `prefix not allowed on strings`);
  if (!l.shift && plen % 8 === 0 && l.bits % 8 === 0 && plen > 0 && l.order === 'be') {
    // Whole bytes: compare just the prefix bytes; a payload field loads only those.
    const bytes = plen / 8;
    const p = l.payload;
    if (p) rc.insns.push({ op: 'payload', dreg: R, base: p.base, offset: p.bitOffset / 8, len: bytes });
    else l.load(d);
    const v = encodeNum(full >> BigInt(l.bits - plen), bytes, 'be');
    rc.insns.push({ op: 'cmp', cmp: neq ? 1 : 0, sreg: R, data: v });
    return;
  }
  l.load(d);
  const maskV = plen === 0 ? 0n : (((1n << BigInt(plen)) - 1n) << BigInt(l.bits - plen));
  const last = rc.insns[rc.insns.length - 1];
  // A sub-byte field's own mask is replaced by the prefix mask.
  if ((l.shift || l.bits % 8) && last?.op === 'bitwise') rc.insns.pop();
  const mask = encodeNum(maskV << BigInt(l.shift), l.len, l.order);
  rc.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask, xor: new Uint8Array(l.len) });
  rc.insns.push({ op: 'cmp', cmp: neq ? 1 : 0, sreg: R, data: encodeNum((full & maskV) << BigInt(l.shift), l.len, l.order) });
}

/** `tcp flags ! syn,ack`: none of the flags is set. */
function negatedFlags(rc: RuleCompiler, l: LExpr, r: Expr, span: Span): void {
  if (!l.type.bitmask) rc.err(span, `negation can only be used with singleton bitmask values`);
  const items = r.k === 'neg' ? [r.e] : r.k === 'list' ? r.items.map((x) => (x.k === 'neg' ? x.e : x)) : [r];
  const mask = rc.constBytes(l, { k: 'list', items, span: r.span });
  const d = rc.regs.get();
  l.load(d);
  rc.regs.release();
  const R = netlinkReg(d);
  rc.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask, xor: new Uint8Array(l.len) });
  rc.insns.push({ op: 'cmp', cmp: 0, sreg: R, data: new Uint8Array(l.len) });
}

/** `iifname "eth*"` compares only the bytes before the `*`. */
function wildcardPrefix(l: LExpr, r: Expr): Uint8Array | undefined {
  if (!l.type.string || r.k !== 'sym') return undefined;
  const v = parseLiteral(l.type, r.text, r.tok);
  if (typeof v === 'string' || !('str' in v) || !v.wildcard) return undefined;
  return v.str;
}
