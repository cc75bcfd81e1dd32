// Header fields: loads and writes (kernel: net/netfilter/nft_payload.c;
// nftables: src/payload.c). A field is loaded as the bytes covering it,
// masked if it is not whole bytes; a write rewrites those bytes and fixes
// the checksum. `ip dscp set 1` → payload load 2b @ network + 0; bitwise;
// payload write reg 1 => 2b @ network header + 0 csum_type 1 csum_off 10.

import type { Expr } from '../ast.js';
import { datatype, encodeNum, type Datatype } from '../datatype.js';
import { needIcmpType, payloadDep } from '../deps.js';
import { isConst, type LExpr, type RuleCompiler } from '../linearize.js';
import { Base, findField, protocols, type Proto } from '../proto/index.js';
import { netlinkReg } from '../regs.js';
import type { Span } from '../source.js';

/** `tcp dport`: a protocol field, with its dependencies. */
export function payloadExpr(rc: RuleCompiler, e: Expr & { k: 'payload' }): LExpr {
  const span = e.span;
  const proto = protocols[e.proto]!;
  const field = findField(e.proto, e.field);
  if (!field) rc.err(span, `unknown field ${e.field}`);
  payloadDep(rc, proto, span);
  const l = fieldLoad(rc, proto, field.offset, field.len, datatype(field.type === 'integer' ? 'integer' : field.type), span);
  if (field.selects) l.protoKey = field.selects;
  if (field.icmpTypes) needIcmpType(rc, proto, field.icmpTypes, span);
  return l;
}

/** `@nh,96,32`: a field by base, bit offset and bit length, without dependencies. */
export function rawExpr(rc: RuleCompiler, e: Expr & { k: 'raw' }): LExpr {
  const base = { ll: Base.LL, nh: Base.Network, th: Base.Transport, ih: Base.Inner }[e.base];
  return fieldLoad(rc, { name: '@' + e.base, base, fields: [] }, e.offset, e.len, datatype('integer'), e.span);
}

/** A header field: the covering bytes are loaded, a sub-byte field masked. */
function fieldLoad(rc: RuleCompiler, proto: Proto, bitOffset: number, bitLen: number, type: Datatype, span: Span): LExpr {
  const base = proto.base as number;
  const l = bitField(rc, bitOffset, bitLen, type, span, (d, offset, len) => rc.insns.push({ op: 'payload', dreg: netlinkReg(d), base, offset, len }));
  l.payload = { base, bitOffset, bitLen, proto };
  return l;
}

/**
 * A big-endian field `bitLen` bits long at `bitOffset`: `load` fetches the
 * whole bytes covering it, then a bitwise mask isolates it. Constants are
 * shifted into place instead of shifting the register.
 */
export function bitField(rc: RuleCompiler, bitOffset: number, bitLen: number, type: Datatype, span: Span, load: (d: number, offset: number, len: number) => void): LExpr {
  const byteOff = Math.floor(bitOffset / 8);
  const byteEnd = Math.ceil((bitOffset + bitLen) / 8);
  const len = byteEnd - byteOff;
  const shift = byteEnd * 8 - bitOffset - bitLen;
  const mask = shift !== 0 || bitLen % 8 !== 0 ? maskBits(len, bitOffset - byteOff * 8, bitLen) : undefined;
  return {
    type: type.name === 'integer' ? { ...type, bits: bitLen } : type,
    bits: bitLen, len, order: 'be', shift, hostNumeric: false, span,
    load: (d) => {
      load(d, byteOff, len);
      if (mask) rc.insns.push({ op: 'bitwise', sreg: netlinkReg(d), dreg: netlinkReg(d), len, mask, xor: new Uint8Array(len) });
    },
  };
}

/**
 * A sub-byte field shifted down to its value in the register (`ip dscp` →
 * mask 0xfc, then `>> 2`). nft moves the shift to the constants only for
 * comparisons and anonymous sets of the field alone; a concatenation
 * component, a named set's key or a value (`meta mark set ip dscp`) keeps it.
 */
export function unshifted(rc: RuleCompiler, l: LExpr): LExpr {
  if (!l.shift) return l;
  return {
    ...l, shift: 0,
    load(d) {
      l.load(d);
      rc.insns.push({ op: 'bitwise_shift', sreg: netlinkReg(d), dreg: netlinkReg(d), len: l.len, left: false, shift: l.shift });
    },
  };
}

/** Big-endian mask of `bitLen` bits starting `bitOff` bits into a `len`-byte load. */
function maskBits(len: number, bitOff: number, bitLen: number): Uint8Array {
  const total = BigInt(len * 8);
  const m = ((1n << BigInt(bitLen)) - 1n) << (total - BigInt(bitOff) - BigInt(bitLen));
  return encodeNum(m, len, 'be');
}

/** Bit offsets of the fields the L4 pseudo-header covers: length, protocol, addresses. */
const PSEUDO_HEADER_FIELDS: Record<string, number[]> = { ip: [16, 72, 96, 128], ip6: [32, 48, 64, 192] };

/** `ip ttl set 1`, `@th,16,16 set 5`: a payload write with checksum update. */
export function payloadSet(rc: RuleCompiler, t: Expr & { k: 'payload' | 'raw' }, v: Expr, span: Span): void {
  const l = rc.lhs(t);
  const p = l.payload!;
  const proto = p.proto;
  const csumType = proto.csum === undefined ? 0 : proto.csumType ?? 1;
  const d = rc.regs.get();
  const R = netlinkReg(d);
  let offset = Math.floor(p.bitOffset / 8);
  let len = l.len;
  // Raw payload writes (`@th,16,16 set 5`) have no protocol dependency.
  if (t.k === 'payload') payloadDep(rc, proto, span);
  // Sub-byte fields are merged into their bytes; INET checksums need whole, aligned 16-bit words.
  const inet = csumType === 1;
  const subByte = l.shift !== 0 || l.bits % 8 !== 0;
  if (subByte || (inet && (offset % 2 !== 0 || len % 2 !== 0))) {
    // The read-modify-write xors the new value in, so it must be a constant.
    if (!isConst(v)) {
      if (v.k !== 'map') rc.checkValueType(l, rc.lhs(v), v);
      rc.err(t.span, `Right hand side of binary operation (^) must be constant`);
    }
    const start = inet ? offset & ~1 : offset;
    const end = inet ? (offset + len + 1) & ~1 : offset + len;
    const wlen = end - start;
    const fieldShift = end * 8 - p.bitOffset - p.bitLen;
    const fmask = ((1n << BigInt(p.bitLen)) - 1n) << BigInt(fieldShift);
    const allOnes = (1n << BigInt(wlen * 8)) - 1n;
    rc.insns.push({ op: 'payload', dreg: R, base: p.base, offset: start, len: wlen });
    const val = rc.value(l, v) << BigInt(fieldShift);
    rc.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: wlen, mask: encodeNum(allOnes & ~fmask, wlen, 'be'), xor: encodeNum(val, wlen, 'be') });
    offset = start;
    len = wlen;
  } else if (v.k === 'sym' || v.k === 'list') {
    rc.insns.push({ op: 'immediate', dreg: R, data: rc.constBytes(l, v) });
  } else {
    rc.valueInto(d, l, v);
  }
  rc.regs.release();
  // Fields in the TCP/UDP pseudo-header also need the L4 checksum fixed.
  const pseudo = PSEUDO_HEADER_FIELDS[proto.name]?.includes(p.bitOffset) ? 1 : 0;
  rc.insns.push({ op: 'payload_write', sreg: R, base: p.base, offset, len, csumType, csumOff: csumType ? proto.csum! : 0, csumFlags: pseudo });
}
