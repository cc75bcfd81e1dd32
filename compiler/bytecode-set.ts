// Set and element records (docs/bytecode.md §2.1–2.2), the kernel's
// NFTA_SET_* and NFTA_SET_ELEM_*: a fixed set record with the key field
// lengths, then per element the key fields padded to 4 bytes as in
// registers, and only the parts the element has. `10.0.0.0/8` in an
// interval set is the element 0000000a plus the INTERVAL_END element 0000000b.

import * as abi from '../assembly/abi.js';
import { NONE32, NONE8 } from '../assembly/abi.js';
import { align4, BytecodeError, type Reader, type Writer } from './bytecode-io.js';
import { decodeInsn, decodeVerdict, encodeInsn, encodeVerdict, recordSize, type DecodeRefs, type EncodeRefs } from './bytecode-insn.js';
import type { Insn } from './insn.js';
import type { SetElem } from './linearize.js';
import type { ProgSet } from './program.js';

const SET_POLICIES = ['performance', 'memory'];

/** Writes the record of set `s` at `q`; its elements start at `elemOffset` of the elements section. */
export function encodeSet(w: Writer, q: number, s: ProgSet, elemOffset: number, str: (s: string | undefined) => number): void {
  if (s.key.length < 1 || s.key.length > abi.SET_FIELD_MAX) throw new BytecodeError(`${s.key.length} key fields`);
  w.u32(q + abi.SET_TABLE, s.table);
  w.u32(q + abi.SET_NAME, str(s.name));
  w.u32(q + abi.SET_HANDLE, s.handle, 'handle');
  w.u32(q + abi.SET_FLAGS, s.flags, 'flags');
  w.u8(q + abi.SET_FIELD_COUNT, s.key.length);
  s.key.forEach((f, i) => w.u8(q + abi.SET_FIELD_LEN + i, f.len, 'key field length'));
  w.u32(q + abi.SET_KEY_TYPE, str(s.key.map((f) => f.type).join(' . ')));
  if (s.data) {
    w.u8(q + abi.SET_DATA_KIND, s.data.type === 'verdict' ? abi.SetData.Verdict : abi.SetData.Value);
    w.u8(q + abi.SET_DATA_LEN, s.data.len, 'data length');
  }
  w.u32(q + abi.SET_DATA_TYPE, str(s.data?.type));
  w.u8(q + abi.SET_OBJ_TYPE, s.objType ?? 0, 'object type');
  let has = s.anonymous ? abi.SetHas.Anonymous : 0;
  if (s.timeout !== undefined) has |= abi.SetHas.Timeout;
  if (s.gcInterval !== undefined) has |= abi.SetHas.GcInterval;
  if (s.size !== undefined) has |= abi.SetHas.Size;
  w.u8(q + abi.SET_HAS, has);
  w.u64(q + abi.SET_TIMEOUT, s.timeout ?? 0, 'timeout');
  w.u32(q + abi.SET_GC_INTERVAL, s.gcInterval ?? 0, 'gc interval');
  w.u32(q + abi.SET_SIZE, s.size ?? 0, 'size');
  const policy = s.policy === undefined ? NONE8 : SET_POLICIES.indexOf(s.policy);
  if (policy < 0) throw new BytecodeError(`unknown set policy '${s.policy}'`);
  w.u8(q + abi.SET_POLICY, policy);
  w.u32(q + abi.SET_COMMENT, str(s.comment));
  w.u32(q + abi.SET_ELEM_OFFSET, elemOffset);
  w.u32(q + abi.SET_ELEM_COUNT, s.elements.length);
}

/** Decodes the set record at `q` (without its elements); `where` names it in errors. */
export function decodeSet(r: Reader, q: number, table: number, str: (off: number, where: () => string) => string, where: () => string): ProgSet {
  const fail = (m: string) => new BytecodeError(`${m} at ${where()}`);
  const nfields = r.u8(q + abi.SET_FIELD_COUNT);
  if (nfields < 1 || nfields > abi.SET_FIELD_MAX) throw fail(`${nfields} key fields`);
  const types = str(r.u32(q + abi.SET_KEY_TYPE), where).split(' . ');
  if (types.length !== nfields) throw fail(`${types.length} key types for ${nfields} fields`);
  const has = r.u8(q + abi.SET_HAS);
  const s: ProgSet = {
    table, name: str(r.u32(q + abi.SET_NAME), where), handle: r.u32(q + abi.SET_HANDLE), flags: r.u32(q + abi.SET_FLAGS),
    anonymous: (has & abi.SetHas.Anonymous) !== 0, key: types.map((type, i) => ({ type, len: r.u8(q + abi.SET_FIELD_LEN + i) })), elements: [],
  };
  const kind = r.u8(q + abi.SET_DATA_KIND);
  const dtype = r.u32(q + abi.SET_DATA_TYPE);
  if (kind > abi.SetData.Verdict) throw fail(`unknown data kind ${kind}`);
  if ((kind === abi.SetData.None) !== (dtype === NONE32)) throw fail(`data kind ${kind} with${dtype === NONE32 ? 'out' : ''} a data type`);
  if (kind !== abi.SetData.None) {
    s.data = { type: str(dtype, where), len: r.u8(q + abi.SET_DATA_LEN) };
    if ((kind === abi.SetData.Verdict) !== (s.data.type === 'verdict')) throw fail(`data kind ${kind} with data type ${s.data.type}`);
  }
  const objType = r.u8(q + abi.SET_OBJ_TYPE);
  if (objType) s.objType = objType;
  if (has & abi.SetHas.Timeout) s.timeout = r.u64n(q + abi.SET_TIMEOUT);
  if (has & abi.SetHas.GcInterval) s.gcInterval = r.u32(q + abi.SET_GC_INTERVAL);
  if (has & abi.SetHas.Size) s.size = r.u32(q + abi.SET_SIZE);
  const policy = r.u8(q + abi.SET_POLICY);
  if (policy !== NONE8) {
    s.policy = SET_POLICIES[policy];
    if (s.policy === undefined) throw fail(`unknown set policy ${policy}`);
  }
  const comment = r.u32(q + abi.SET_COMMENT);
  if (comment !== NONE32) s.comment = str(comment, where);
  return s;
}

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
  } else if (e.obj !== undefined && s.objType) {
    // An object map's element: the object's index in the objects section, as 4 bytes of data.
    has |= abi.ElemHas.Data;
    w.u8(p + abi.ELEM_DATA_LEN, 4);
    w.u32(w.reserve(4), refs.object(e.obj), 'object index');
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
  if (e.open) has |= abi.ElemHas.Open;
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
  if (size < abi.ELEM_KEY || size % 4 !== 0 || r.u8(pos + 7) !== 0) {
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
  if (has & abi.ElemHas.Open) e.open = true;
  if (has & abi.ElemHas.Data && s.objType) {
    if (r.u8(pos + abi.ELEM_DATA_LEN) !== 4) throw new BytecodeError(`object map element at offset ${pos} without a 4-byte object index (${where()})`);
    e.obj = refs.object(r.u32(take(4)), where);
  } else if (has & abi.ElemHas.Data) {
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
