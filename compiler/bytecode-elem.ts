// Set element records (docs/bytecode.md §3.5): key fields padded to 4 bytes
// as in registers, then only the parts the element has (key end, data,
// verdict, timeout, expires, comment, expressions). The kernel's
// counterpart is NFTA_SET_ELEM_*. `10.0.0.0/8` in an interval set is the
// element 0000000a plus the INTERVAL_END element 0000000b.

import * as abi from '../assembly/abi.js';
import { align4, BytecodeError, type Reader, type Writer } from './bytecode-io.js';
import { decodeInsn, decodeVerdict, encodeInsn, encodeVerdict, recordSize, type DecodeRefs, type EncodeRefs } from './bytecode-insn.js';
import type { ProgSet } from './bytecode.js';
import type { Insn } from './insn.js';
import type { SetElem } from './linearize.js';

/** Appends the record of one element of `s`. */
export function encodeElement(w: Writer, e: SetElem, s: ProgSet, refs: EncodeRefs): void {
  const p = w.reserve(abi.ELEM_KEY);
  if (e.key.length > s.key.length) throw new BytecodeError(`${e.key.length} key fields, the set has ${s.key.length}`);
  if (e.keyEnd && e.keyEnd.length !== e.key.length) throw new BytecodeError(`key end of ${e.keyEnd.length} fields for a key of ${e.key.length}`);
  const fields = (list: Uint8Array[]) =>
    list.forEach((b, i) => {
      const len = align4(s.key[i]!.len);
      if (b.length !== len) throw new BytecodeError(`key field ${i} is ${b.length} bytes, the set's is ${len}`);
      w.bytes(b);
    });
  let has = 0;
  fields(e.key);
  if (e.keyEnd) {
    has |= abi.ElemHas.KeyEnd;
    fields(e.keyEnd);
  }
  if (e.data) {
    has |= abi.ElemHas.Data;
    w.u8(p + abi.ELEM_DATA_LEN, e.data.length, 'data length');
    w.bytes(e.data);
  }
  if (e.verdict) {
    has |= abi.ElemHas.Verdict;
    encodeVerdict(w, w.reserve(8), e.verdict, refs);
  }
  if (e.timeout !== undefined) {
    has |= abi.ElemHas.Timeout;
    w.u64(w.reserve(8), e.timeout, 'timeout');
  }
  if (e.expires !== undefined) {
    has |= abi.ElemHas.Expires;
    w.u64(w.reserve(8), e.expires, 'expires');
  }
  if (e.comment !== undefined) {
    has |= abi.ElemHas.Comment;
    w.u32(w.reserve(4), refs.str(e.comment));
  }
  if (e.exprs) {
    has |= abi.ElemHas.Exprs;
    w.u8(p + abi.ELEM_EXPR_COUNT, e.exprs.length, 'expression count');
    for (const x of e.exprs) encodeInsn(w, x, refs);
  }
  w.u8(p + abi.ELEM_FLAGS, e.flags, 'flags');
  w.u8(p + abi.ELEM_HAS, has);
  w.u8(p + abi.ELEM_KEY_COUNT, e.key.length);
  w.u16(p + abi.ELEM_SIZE, w.len - p, 'element size');
}

/** Decodes the element record at `pos` of set `s`; returns it and its size. */
export function decodeElement(r: Reader, pos: number, end: number, s: ProgSet, refs: DecodeRefs, where: () => string): [SetElem, number] {
  if (pos + abi.ELEM_KEY > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const size = r.u16(pos + abi.ELEM_SIZE);
  if (pos + size > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const has = r.u8(pos + abi.ELEM_HAS);
  const nkey = r.u8(pos + abi.ELEM_KEY_COUNT);
  if (size < abi.ELEM_KEY || size % 4 !== 0 || r.u8(pos + 7) !== 0 || has >= abi.ElemHas.Exprs << 1) {
    throw new BytecodeError(`bad element record header at offset ${pos} (${where()})`);
  }
  if (nkey > s.key.length) throw new BytecodeError(`${nkey} key fields, the set has ${s.key.length} (${where()})`);
  const recEnd = pos + size;
  let q = pos + abi.ELEM_KEY;
  const take = (n: number): number => {
    if (q + n > recEnd) throw new BytecodeError(`element record at offset ${pos} is ${size} bytes, its parts need more (${where()})`);
    const at = q;
    q += n;
    return at;
  };
  const fields = (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < nkey; i++) {
      const len = align4(s.key[i]!.len);
      out.push(r.bytes(take(len), len));
    }
    return out;
  };
  const e: SetElem = { key: fields(), flags: r.u8(pos + abi.ELEM_FLAGS) };
  if (has & abi.ElemHas.KeyEnd) e.keyEnd = fields();
  if (has & abi.ElemHas.Data) {
    const n = r.u8(pos + abi.ELEM_DATA_LEN);
    e.data = r.bytes(take(align4(n)), n);
  }
  if (has & abi.ElemHas.Verdict) e.verdict = decodeVerdict(r, take(8), refs, where);
  if (has & abi.ElemHas.Timeout) e.timeout = r.u64n(take(8));
  if (has & abi.ElemHas.Expires) e.expires = r.u64n(take(8));
  if (has & abi.ElemHas.Comment) e.comment = refs.str(r.u32(take(4)), where);
  if (has & abi.ElemHas.Exprs) {
    const exprs: Insn[] = [];
    const n = r.u8(pos + abi.ELEM_EXPR_COUNT);
    for (let j = 0; j < n; j++) {
      const xw = () => `expr ${j} of ${where()}`;
      const len = recordSize(r, q, recEnd, xw);
      exprs.push(decodeInsn(r, take(len), len, refs, xw, true));
    }
    e.exprs = exprs;
  }
  if (q !== recEnd) throw new BytecodeError(`element record at offset ${pos} is ${size} bytes, its parts take ${q - pos} (${where()})`);
  return [e, size];
}
