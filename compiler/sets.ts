// Set elements as nft sends them (nftables: src/segtree.c, rewritten):
// plain keys in register layout; intervals as start elements plus
// end+1 elements flagged INTERVAL_END, sorted, overlapping and adjacent
// ranges merged; concatenated intervals as `key - key_end`.
// `{ 10.0.0.0/8 }` → 00000000 (end), 0000000a, 0000000b (end).

import type { Elem, Expr, Stmt } from './ast.js';
import type { Span } from './source.js';
import { msg } from './diagnostics.js';
import { suggest } from './misspell.js';
import { bytesToNum, encodeNum, type Datatype } from './datatype.js';
import type { Insn } from './insn.js';
import type { LExpr, RuleCompiler, SetDef, SetElem, TableCtx } from './linearize.js';
import { concatBytes, pad4 } from './regs.js';
import { elementStmts } from './stmt/dynset.js';

/**
 * What only `nft list` shows of an element (not the netlink debug output, not
 * the bytecode): the object an object map's element names, its statements.
 */
export const ELEM_LISTING = new WeakMap<SetElem, { obj?: string; stmts?: Stmt[] }>();

/** What a map maps to; `obj` is the object type of an object map (counter 1, quota 2 ...). */
export interface MapData {
  type: Datatype;
  bits: number;
  verdict: boolean;
  obj?: number;
  /** Components of concatenated data (`ipv4_addr . inet_service`). */
  parts?: { type: Datatype; bits: number }[];
}

/** Flag of an element that ends an interval (NFT_SET_ELEM_INTERVAL_END). */
export const ELEM_INTERVAL_END = 1;

interface Range {
  lo: bigint;
  hi: bigint;
  el: Elem;
  data?: Uint8Array;
  verdict?: { verdict: string; chain?: string };
}

function isIntervalExpr(e: Expr): boolean {
  return intervalPart(e) !== undefined;
}

/** The first component of a key that is an interval, and what kind nft calls it. */
function intervalPart(e: Expr): { e: Expr; kind: 'range' | 'prefix' } | undefined {
  if (e.k === 'range') return { e, kind: 'range' };
  if (e.k === 'prefix') return { e, kind: 'prefix' };
  // `"eth*"`: every name starting with `eth`.
  if (e.k === 'sym' && e.tok === 'string' && e.text.endsWith('*')) return { e, kind: 'prefix' };
  if (e.k === 'concat') for (const p of e.parts) {
    const r = intervalPart(p);
    if (r) return r;
  }
  return undefined;
}

/** Value bounds of one key component: a constant, a range or a prefix. */
function bounds(rc: RuleCompiler, l: LExpr, e: Expr): [bigint, bigint] {
  if (e.k === 'range') return [rc.value(l, e.lo), rc.value(l, e.hi)];
  if (e.k === 'prefix') {
    const v = rc.value(l, e.e);
    if (e.len > l.bits) rc.err(e.span, msg.prefixLength(e.len, l.bits));
    const host = BigInt(l.bits - e.len);
    const lo = (v >> host) << host;
    return [lo, lo | ((1n << host) - 1n)];
  }
  if (l.type.string && e.k === 'sym' && e.text.endsWith('*')) {
    const b = rc.constBytes(l, e);
    const n = e.text.length - 1;
    const lo = bytesToNum(b);
    const hiB = b.slice();
    hiB.fill(0xff, n);
    return [lo, bytesToNum(hiB)];
  }
  const v = l.type.string ? bytesToNum(rc.constBytes(l, e)) : rc.value(l, e);
  return [v, v];
}

/** Data bytes of a map element; range data (nat maps) holds all low components, then all high ones. */
function dataBytes(rc: RuleCompiler, type: Datatype, bits: number, e: Expr, parts?: MapData['parts']): Uint8Array {
  const es = e.k === 'concat' ? e.parts : [e];
  const ps = parts ?? [{ type, bits }];
  rc.concatArity(e, ps);
  const bs = ps.map((p, i) => dataBounds(rc, rc.scalar(p.type, p.bits, es[i]!.span), es[i]!));
  if (!parts && e.k !== 'range' && e.k !== 'prefix') return bs[0]![0];
  const lo = bs.map((b) => pad4(b[0]));
  const interval = es.some((x) => x.k === 'range' || x.k === 'prefix');
  return concatBytes(interval ? [...lo, ...bs.map((b) => pad4(b[1]))] : lo);
}

/** Register bytes of the low and high end of one data component. */
function dataBounds(rc: RuleCompiler, l: LExpr, e: Expr): [Uint8Array, Uint8Array] {
  if (e.k === 'range') return [rc.constBytes(l, e.lo), rc.constBytes(l, e.hi)];
  if (e.k === 'prefix') {
    const host = BigInt(l.bits - e.len);
    const lo = (rc.value(l, e.e) >> host) << host;
    return [encodeNum(lo, l.len, l.order), encodeNum(lo | ((1n << host) - 1n), l.len, l.order)];
  }
  const b = rc.constBytes(l, e);
  return [b, b];
}

/** Whether an anonymous set of these elements is an interval set. */
export function hasIntervals(elems: Elem[]): boolean {
  return flattenElems(elems).some((el) => isIntervalExpr(el.key));
}

function flattenElems(elems: Elem[]): Elem[] {
  const out: Elem[] = [];
  for (const el of elems) {
    if (el.key.k === 'set' && !el.data) out.push(...flattenElems(el.key.elems));
    else if (el.key.k === 'list' && !el.data) for (const it of el.key.items) out.push({ ...el, key: it, span: it.span });
    else out.push(el);
  }
  return out;
}

/**
 * How intervals are combined: anonymous sets merge overlapping and adjacent
 * ranges (anonymous maps only drop the end element between adjacent ones);
 * named sets merge only with `auto-merge` and otherwise keep both the end and
 * the start element where two ranges touch.
 */
export type MergeMode = 'anon' | 'named' | 'auto-merge';

/** Builds the element list of a set keyed by `parts` (one LExpr per concat component). */
export function buildElements(
  rc: RuleCompiler,
  rawElems: Elem[],
  parts: LExpr[],
  data: MapData | undefined,
  forceInterval = false,
  mode: MergeMode = 'anon',
  declared?: { counter: boolean },
): { list: SetElem[]; interval: boolean; size: number } {
  const elems = flattenElems(rawElems);
  if (mode !== 'anon' && !forceInterval) {
    for (const el of elems) {
      // nft evaluates an element (its components' types) before checking its kind.
      rc.concatArity(el.key, parts);
      const iv = intervalPart(el.key);
      if (iv) rc.err(iv.e.span, `You must add 'flags interval' to your set declaration if you want to add ${iv.kind} elements`);
    }
  }
  const interval = forceInterval || elems.some((el) => isIntervalExpr(el.key));
  // Data and extras are assigned to the element, not spread into it: spreading
  // two small objects into every element was a hot spot for big sets.
  const setData = (to: Pick<SetElem, 'data' | 'verdict'>, el: Elem): void => {
    if (!data) {
      if (el.data) rc.err(el.data.span, `syntax error, unexpected ':'`);
      return;
    }
    // The kernel refuses a map element without data (nft itself does not check).
    if (!el.data) rc.err(el.key.span, msg.kernel('Invalid argument'));
    // An object map's data is the object's name, which the debug output does not show.
    if (data.obj) return;
    if (data.verdict) {
      if (el.data.k !== 'verdict') rc.err(el.data.span, `Could not parse verdict`);
      to.verdict = { verdict: el.data.v, chain: el.data.chain };
      return;
    }
    to.data = pad4(dataBytes(rc, data.type, data.bits, el.data, data.parts));
  };
  const setExtras = (to: SetElem, el: Elem): SetElem => {
    // An object map's element names its object (encoded as the object's index).
    if (data?.obj && el.data?.k === 'sym') to.obj = el.data.text;
    if (el.timeout !== undefined) to.timeout = el.timeout;
    if (el.expires !== undefined) to.expires = el.expires;
    if (el.comment !== undefined) to.comment = el.comment;
    return to;
  };
  // Element statements (`1.2.3.4 counter packets 1 bytes 2`), compiled into the
  // element's expressions. A named set's element may only carry the statements
  // its declaration names, in that order (nft evaluate.c elem_stmt checks);
  // without its own, an element gets the declaration's (a fresh counter), as
  // the kernel clones the set's expressions into it. Anonymous sets: as written.
  const setExprs = (to: SetElem, el: Elem): void => {
    const st = el.stmts ?? [];
    if (declared) {
      const want: Stmt['k'][] = declared.counter ? ['counter'] : [];
      if (st.length) {
        if (!want.length) rc.err(st[0]!.span, 'missing statement in set declaration');
        if (st.length !== want.length) rc.err(el.key.span, `number of statements mismatch, set expects ${want.length} but element has ${st.length}`);
        st.forEach((x, i) => {
          if (x.k !== want[i]) rc.err(x.span, `statement mismatch, element expects ${x.k}, but set has type ${want[i]}`);
        });
      } else if (want.length) {
        to.exprs = [{ op: 'counter', pkts: 0n, bytes: 0n }];
        return;
      }
    }
    if (st.length) to.exprs = elementStmts(rc, st);
  };
  if (!interval) {
    const list: SetElem[] = elems.map((el) => {
      const ks = el.key.k === 'concat' ? el.key.parts : [el.key];
      rc.concatArity(el.key, parts);
      const e: SetElem = { key: parts.map((p, i) => pad4(rc.constBytes(p, ks[i]!))), flags: 0 };
      setData(e, el);
      setExtras(e, el);
      setExprs(e, el);
      const obj = data?.obj && el.data?.k === 'sym' ? el.data.text : undefined;
      if (obj !== undefined || el.stmts) ELEM_LISTING.set(e, { obj, stmts: el.stmts });
      return e;
    });
    return { list, interval: false, size: list.length };
  }
  if (parts.length > 1) {
    // Concatenated intervals: each element carries its own key end.
    const list: SetElem[] = elems.map((el) => {
      const ks = el.key.k === 'concat' ? el.key.parts : [el.key];
      rc.concatArity(el.key, parts);
      const lo: Uint8Array[] = [];
      const hi: Uint8Array[] = [];
      parts.forEach((p, i) => {
        const [a, b] = bounds(rc, p, ks[i]!);
        lo.push(pad4(encodeNum(a, p.len, p.hostNumeric ? 'be' : p.order)));
        hi.push(pad4(encodeNum(b, p.len, p.hostNumeric ? 'be' : p.order)));
      });
      const e: SetElem = { key: lo, keyEnd: hi, flags: 0 };
      setData(e, el);
      return setExtras(e, el);
    });
    return { list, interval: true, size: list.length };
  }
  const p = parts[0]!;
  const width = p.len;
  const max = (1n << BigInt(width * 8)) - 1n;
  const shift = BigInt(p.shift);
  let ranges: Range[] = elems.map((el) => {
    const [lo, hi] = bounds(rc, p, el.key);
    if (lo > hi) rc.err(el.key.span, `Range has zero or negative size`);
    // Sub-byte fields: both bounds are shifted into place, so the end element is hi << shift + 1.
    const r: Range = { lo: lo << shift, hi: hi << shift, el };
    setData(r, el);
    return r;
  });
  ranges.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  if (mode === 'auto-merge' || (mode === 'anon' && !data)) {
    const merged: Range[] = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r.lo <= last.hi + 1n) {
        if (r.hi > last.hi) last.hi = r.hi;
      } else merged.push({ ...r });
    }
    ranges = merged;
  } else {
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i]!.lo <= ranges[i - 1]!.hi) rc.err(ranges[i]!.el.span, `conflicting intervals specified`);
    }
  }
  const enc = (v: bigint) => encodeNum(v, width, 'be');
  const list: SetElem[] = [];
  let prevEnd = -1n;
  // nft's size counts end elements dropped between adjacent ranges.
  let dropped = 0;
  if (ranges.length && ranges[0]!.lo !== 0n) list.push({ key: [pad4(enc(0n))], flags: ELEM_INTERVAL_END });
  for (const r of ranges) {
    if (mode === 'anon' && r.lo === prevEnd) {
      list.pop();
      dropped++;
    }
    const start = setExtras({ key: [pad4(enc(r.lo))], flags: 0, data: r.data, verdict: r.verdict }, r.el);
    list.push(start);
    if (r.hi < max) {
      list.push({ key: [pad4(enc(r.hi + 1n))], flags: ELEM_INTERVAL_END });
      prevEnd = r.hi + 1n;
    } else {
      start.open = true;
      prevEnd = -1n;
    }
  }
  // nft counts the end element of an open interval, though it does not send it.
  const open = ranges.length > 0 && ranges[ranges.length - 1]!.hi >= max;
  return { list, interval: true, size: list.length + dropped + (open ? 1 : 0) };
}

/** Element expressions (`counter`, `limit` per element; buildElements) — nft's debug output shows none. */
export type ElemExprs = Insn[];

/** nft's error for an unknown set, with a suggestion of a similarly named one. */
export function unknownSetMessage(name: string, t: TableCtx): string {
  const best = suggest(name, [...t.sets.values()].filter((s) => !s.anonymous), (s) => s.name);
  if (!best) return msg.noSuchSet;
  return `${msg.noSuchSet}; did you mean ${best.flags & 0x48 ? 'map' : 'set'} \u2018${best.name}\u2019 in table ${t.family} \u2018${t.name}\u2019?`;
}

/** A lookup key must have the set's key type (component by component for concatenations). */
export function checkSetKey(rc: RuleCompiler, s: SetDef, key: LExpr, span: Span): void {
  const want = s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }];
  const have = key.parts ?? [key];
  if (want.length === have.length && want.every((p, i) => p.type.name === have[i]!.type.name)) return;
  const desc = (ps: { type: Datatype }[]) => (ps.length > 1 ? `concatenation of (${ps.map((p) => p.type.desc).join(', ')})` : ps[0]!.type.desc);
  // nft evaluates the set reference against the key's type: the key is what it expected.
  rc.err(span, `datatype mismatch, expected ${desc(have)}, expression has type ${desc(want)}`);
}
