// Set contents printed back (nftables: src/segtree.c interval_map_decompose,
// list_expr_sort and set_expr_print, rewritten): elements sorted by value,
// interval start/end pairs turned back into ranges and prefixes.
// elements 0000000a (start), 0000000b (end) of an ipv4 interval set → `10.0.0.0/8`.

import type { SetDef, SetElem } from '../linearize.js';
import { verdictText } from '../insn.js';
import { ELEM_LISTING } from '../sets.js';
import { timeText } from './index.js';
import { limitText } from './stmt.js';
import { isBitmask, num, valueText, type ValueType } from './value.js';

/** Types whose power-of-two aligned ranges nft prints as prefixes. */
const PREFIX_TYPES = new Set(['ipv4_addr', 'ipv6_addr', 'mark', 'ether_addr', 'ct_label']);

function width(vt: ValueType): number {
  return vt.bytes ?? Math.max(1, Math.ceil(vt.bits / 8));
}

function sortKey(vt: ValueType, b: Uint8Array, interval: boolean): bigint {
  const s = b.slice(0, width(vt));
  if (interval) return num(s, 'be');
  return num(s, vt.type === 'ifname' || vt.type === 'string' ? 'host' : vt.order);
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A range `[lo, hi]` of one component as nft prints it: value, prefix, wildcard or `lo-hi`. */
export function rangeText(vt: ValueType, lo: Uint8Array, hi: Uint8Array, interval: boolean): string {
  const n = width(vt);
  const order = interval ? 'be' : vt.order;
  const pv = { ...vt, order } as ValueType;
  const a = num(lo.slice(0, n), 'be');
  const b = num(hi.slice(0, n), 'be');
  if (a === b) return valueText(pv, lo.slice(0, n));
  if (vt.type === 'ifname' || vt.type === 'string') {
    // "eth*": the range of every name starting with the prefix.
    let p = 0;
    while (p < n && lo[p] === hi[p]) p++;
    if (lo.slice(p, n).every((x) => x === 0) && hi.slice(p, n).every((x) => x === 0xff)) return valueText(vt, lo.slice(0, p), { wildcard: true });
  }
  const bits = n * 8;
  const size = b - a + 1n;
  if (size > 0n && PREFIX_TYPES.has(vt.type) && (size & (size - 1n)) === 0n && a % size === 0n) {
    let host = 0;
    while (1n << BigInt(host) < size) host++;
    return `${valueText(pv, lo.slice(0, n))}/${bits - host - (bits - vt.bits)}`;
  }
  return `${valueText(pv, lo.slice(0, n), { range: true })}-${valueText(pv, hi.slice(0, n), { range: true })}`;
}

function minus1(b: Uint8Array): Uint8Array {
  const out = b.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! > 0) {
      out[i]!--;
      break;
    }
    out[i] = 0xff;
  }
  return out;
}

/** Prints one element's data bytes when they are not simply `dataVts` (NAT maps). */
export type DataFormat = (d: Uint8Array) => string;

function dataText(s: SetDef, e: SetElem, dataVts: ValueType[] | undefined, fmt?: DataFormat): string {
  if (e.verdict) return verdictText(e.verdict).replace(' -> ', ' ');
  if (fmt && e.data) return fmt(e.data);
  const obj = ELEM_LISTING.get(e)?.obj;
  if (obj !== undefined) return `"${obj.replace(/^"(.*)"$/, '$1')}"`;
  if (!e.data || !dataVts) return '';
  if (s.objMap) return `"${new TextDecoder().decode(e.data).replace(/\0+$/, '')}"`;
  if (dataVts.length === 1) return valueText(dataVts[0]!, e.data.slice(0, width(dataVts[0]!)));
  const parts: string[] = [];
  let at = 0;
  for (const vt of dataVts) {
    parts.push(valueText(vt, e.data.slice(at, at + width(vt))));
    at += Math.ceil(width(vt) / 4) * 4;
  }
  return parts.join(' . ');
}

/** What a named set's declaration adds to each element: a counter, a default timeout. */
export interface ElemExtras {
  counter?: boolean;
  /** The set's default timeout (0 without one) when it has the timeout flag. */
  timeout?: number;
}

function elemTail(e: SetElem, x?: ElemExtras): string {
  let t = '';
  const c = ELEM_LISTING.get(e)?.stmts?.find((st) => st.k === 'counter');
  // The element's expressions (set_elem_expr_print: each statement, in order).
  if (e.exprs?.length) {
    for (const i of e.exprs) {
      if (i.op === 'counter') t += ` counter packets ${i.pkts} bytes ${i.bytes}`;
      else if (i.op === 'limit') t += ` ${limitText(i)}`;
    }
  } else if (c?.k === 'counter') t += ` counter packets ${c.packets ?? 0} bytes ${c.bytes ?? 0}`;
  else if (x?.counter) t += ' counter packets 0 bytes 0';
  if (x?.timeout !== undefined) {
    if (e.timeout !== undefined && e.timeout !== x.timeout) t += ` timeout ${timeText(e.timeout)}`;
    // Right after loading, an element expires after its whole timeout.
    const exp = e.expires ?? e.timeout ?? x.timeout;
    if (exp) t += ` expires ${timeText(exp)}`;
  }
  if (e.comment !== undefined) t += ` comment "${e.comment}"`;
  return t;
}

/** One printed entry before sorting. */
interface Entry {
  text: string;
  key: bigint[];
  tie: number;
}

/**
 * The elements of `s` as nft lists them, keyed by `keyVts` (one per
 * concatenation component) and mapped to `dataVts`.
 */
export function elementTexts(s: SetDef, elements: SetElem[], keyVts: ValueType[], dataVts?: ValueType[], fmt?: DataFormat, extras?: ElemExtras): string[] {
  const interval = !!(s.flags & 4);
  const concatInterval = keyVts.length > 1 && interval;
  const entries: Entry[] = [];
  const withData = (k: string, e: SetElem) => {
    const d = dataText(s, e, dataVts, fmt);
    return k + elemTail(e, extras) + (d ? ` : ${d}` : '');
  };
  if (interval && !concatInterval) {
    const vt = keyVts[0]!;
    const els = elements.slice().sort((a, b) => cmpBig(num(a.key[0]!.slice(0, width(vt)), 'be'), num(b.key[0]!.slice(0, width(vt)), 'be')) || (b.flags & 1) - (a.flags & 1));
    for (let i = 0; i < els.length; i++) {
      const e = els[i]!;
      if (e.flags & 1) continue;
      const lo = e.key[0]!.slice(0, width(vt));
      let hi: Uint8Array;
      const next = els[i + 1];
      // A range ends where the next element (its end marker, or an adjacent range's start) begins.
      if (e.open || !next) hi = e.open ? new Uint8Array(width(vt)).fill(0xff) : lo;
      else hi = minus1(next.key[0]!.slice(0, width(vt)));
      if (!e.open && next && next.flags & 1) i++;
      entries.push({ text: withData(rangeText(vt, lo, hi, true), e), key: [num(lo, 'be')], tie: entries.length });
    }
    return entries.map((x) => x.text);
  }
  const keyed = new Map<Entry, SetElem>();
  for (const e of elements) {
    if (e.flags & 1) continue;
    const parts: string[] = [];
    const key: bigint[] = [];
    keyVts.forEach((vt, i) => {
      const lo = e.key[i] ?? new Uint8Array(4);
      const hi = e.keyEnd?.[i] ?? lo;
      let t = concatInterval ? rangeText(vt, lo, hi, true) : valueText(vt, lo.slice(0, width(vt)));
      if (isBitmask(vt.type)) t = t.split(',').join(' | ');
      parts.push(t);
      key.push(sortKey(vt, lo, concatInterval));
    });
    const entry = { text: withData(parts.join(' . '), e), key, tie: entries.length };
    keyed.set(entry, e);
    entries.push(entry);
  }
  // Bitmask values with several bits print as `syn | ack` and sort by their lowest bit.
  if (keyVts.length === 1 && keyVts[0]!.type === 'tcp_flag') {
    for (const x of entries) {
      const v = x.key[0]!;
      x.key = [v & -v];
      x.tie = -Number(v);
    }
  }
  // nft sorts concatenations by their whole key read as one host-endian number (the last component weighs most).
  if (keyVts.length > 1 && !concatInterval) {
    for (const x of entries) {
      const e = keyed.get(x)!;
      const all: number[] = [];
      for (const k of e.key) all.push(...k);
      x.key = [num(Uint8Array.from(all), 'host')];
    }
  } else if (keyVts.length > 1) return entries.map((x) => x.text);
  entries.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = cmpBig(a.key[i]!, b.key[i] ?? 0n);
      if (c) return c;
    }
    return a.tie - b.tie;
  });
  // The kernel keeps one copy of an element added twice (`{ 443, https }`).
  return entries.map((x) => x.text).filter((t, i, all) => i === 0 || t !== all[i - 1]);
}

/** `{ a, b }` as printed in a rule. */
export function anonSetText(s: SetDef, keyVts: ValueType[], dataVts?: ValueType[], fmt?: DataFormat): string {
  return `{ ${elementTexts(s, s.elements, keyVts, dataVts, fmt).join(', ')} }`;
}
