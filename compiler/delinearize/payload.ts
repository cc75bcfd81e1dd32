// Payload loads named back from the protocol context (nftables:
// src/payload.c payload_expr_complete / payload_match_expand and the
// dependency bookkeeping of src/netlink_delinearize.c): which header each
// base holds, splitting merged loads, sub-byte fields and raw `@nh,0,8`.

import { protocols, type Field, type Proto } from '../proto/index.js';
import { DATATYPES } from '../datatype.js';
import type { DExpr } from './types.js';
import type { ValueType } from './value.js';

const BASE_NAMES = ['ll', 'nh', 'th', 'ih'];

/** The header each payload base holds so far in a rule, and the statement that said so. */
export interface ProtoCtx {
  family: string;
  proto: (Proto | undefined)[];
  /** Index of the statement that selected the protocol at each base (a dependency nft may drop). */
  dep: (number | undefined)[];
  /** The ICMP type an `icmp type X` match selected, and that statement's index. */
  icmpType?: number;
  icmpDep?: number;
}

/** The context a rule starts with in a table of `family`. */
export function initialCtx(family: string): ProtoCtx {
  const p: (Proto | undefined)[] = [undefined, undefined, undefined, undefined];
  // A netdev device need not be ethernet: ether fields are named only after `meta iiftype ether`.
  if (family === 'bridge') p[0] = protocols.ether;
  if (family === 'ip') p[1] = protocols.ip;
  if (family === 'ip6') p[1] = protocols.ip6;
  if (family === 'arp') p[1] = protocols.arp;
  return { family, proto: p, dep: [undefined, undefined, undefined, undefined] };
}

const NH_BY_ETHERTYPE: Record<number, string> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp', 0x8100: 'vlan', 0x88a8: 'vlan' };
const NH_BY_NFPROTO: Record<number, string> = { 2: 'ip', 10: 'ip6' };

/** The transport header selected by an IP protocol number. */
export function thByProto(n: number): Proto | undefined {
  for (const p of Object.values(protocols)) if (p.base === 2 && p.protoKey === n && p.name !== 'th') return p;
  return undefined;
}

/** Which base a protocol-key match selects, and the header it selects there. */
export function selection(key: DExpr, value: bigint): { base: number; proto?: Proto } | undefined {
  if (key.k !== 'key') return undefined;
  if (key.meta === 'nfproto') return { base: 1, proto: protocols[NH_BY_NFPROTO[Number(value)] ?? ''] };
  if (key.meta === 'protocol') return { base: 1, proto: protocols[NH_BY_ETHERTYPE[Number(value)] ?? ''] };
  if (key.meta === 'iiftype') return value === 1n ? { base: 0, proto: protocols.ether } : undefined;
  if (key.meta === 'l4proto') return { base: 2, proto: thByProto(Number(value)) };
  if (key.proto === 'ether' && key.field === 'type') {
    const p = protocols[NH_BY_ETHERTYPE[Number(value)] ?? ''];
    return p?.name === 'vlan' ? { base: 0, proto: p } : { base: 1, proto: p };
  }
  if (key.proto === 'vlan' && key.field === 'type') return { base: 1, proto: protocols[NH_BY_ETHERTYPE[Number(value)] ?? ''] };
  if ((key.proto === 'ip' && key.field === 'protocol') || (key.proto === 'ip6' && key.field === 'nexthdr')) return { base: 2, proto: thByProto(Number(value)) };
  return undefined;
}

/** Fields nft prints in hex although their type is a plain integer. */
const HEX_FIELDS = new Set(['comp flags']);

function fieldVt(f: Field, p?: Proto): ValueType {
  if (p && HEX_FIELDS.has(`${p.name} ${f.name}`)) return { type: 'raw', order: 'be', bits: f.len };
  return { type: f.type, order: 'be', bits: f.len };
}

/** A field as a key expression. */
export function fieldKey(p: Proto, f: Field, base: number): DExpr & { k: 'key' } {
  const name = p.name === 'vlan' && f.name === 'cfi' ? 'dei' : f.name === 'param-problem' ? 'parameter-problem' : f.name;
  return { k: 'key', text: `${p.name} ${name}`, vt: fieldVt(f, p), base, proto: p.name, field: f.name, offset: f.offset, len: f.len };
}

/** A raw payload expression, `@nh,96,32`. */
export function rawKey(base: number, offset: number, len: number): DExpr & { k: 'key' } {
  return { k: 'key', text: `@${BASE_NAMES[base]},${offset},${len}`, vt: { type: 'raw', order: 'be', bits: len }, base, offset, len };
}

function fields(p: Proto, ctx?: ProtoCtx): Field[] {
  // vlan's `cfi` is an alias of `dei`; keep the first. ICMP fields exist only in their message types.
  return p.fields.filter((f) => !(p.name === 'vlan' && f.name === 'cfi') && !(f.icmpTypes && ctx?.icmpType !== undefined && !f.icmpTypes.includes(ctx.icmpType)));
}

/** The single field a load covers exactly, if any. */
export function exactField(ctx: ProtoCtx, base: number, offset: number, len: number): (DExpr & { k: 'key' }) | undefined {
  const p = ctx.proto[base];
  if (!p) return undefined;
  const f = fields(p, ctx).find((x) => x.offset === offset && x.len === len);
  return f ? fieldKey(p, f, base) : undefined;
}

/** `th sport`/`th dport` when the transport protocol is unknown. */
export function thField(ctx: ProtoCtx, e: { base: number; offset: number; len: number }): (DExpr & { k: 'key' }) | undefined {
  if (e.base !== 2 || ctx.proto[2]) return undefined;
  const f = protocols.th!.fields.find((x) => x.offset === e.offset && x.len === e.len);
  return f ? { ...fieldKey(protocols.th!, f, 2), base: undefined } : undefined;
}

/** Fields that tile a load exactly (a merged load of adjacent matches), in order. */
export function tiledFields(ctx: ProtoCtx, base: number, offset: number, len: number): (DExpr & { k: 'key' })[] | undefined {
  const p = ctx.proto[base];
  if (!p) return undefined;
  const out: (DExpr & { k: 'key' })[] = [];
  let at = offset;
  while (at < offset + len) {
    const f = fields(p, ctx).filter((x) => x.offset === at && at + x.len <= offset + len).sort((a, b) => b.len - a.len)[0];
    if (!f) return undefined;
    out.push(fieldKey(p, f, base));
    at += f.len;
  }
  return out.length > 1 ? out : undefined;
}

/** A field the load is a byte-aligned leading part of (a prefix match such as `ip saddr 10.0.0.0/8`). */
export function prefixField(ctx: ProtoCtx, base: number, offset: number, len: number): (DExpr & { k: 'key' }) | undefined {
  const p = ctx.proto[base];
  if (!p) return undefined;
  const f = fields(p, ctx).find((x) => x.offset === offset && x.len > len && (x.type === 'ipv4_addr' || x.type === 'ipv6_addr' || x.type === 'ether_addr'));
  return f ? fieldKey(p, f, base) : undefined;
}

/** A sub-byte field selected by `mask` within a load (`ip dscp`, `ip version`). */
export function maskedField(ctx: ProtoCtx, base: number, offset: number, len: number, mask: Uint8Array): { key: DExpr & { k: 'key' }; shift: number } | undefined {
  const p = ctx.proto[base];
  if (!p) return undefined;
  // The mask's set bits, as bit offsets from the load start.
  let first = -1, last = -1;
  for (let i = 0; i < len; i++) {
    const bit = (mask[i >> 3]! >> (7 - (i & 7))) & 1;
    if (bit) {
      if (first < 0) first = i;
      else if (last !== i - 1) return undefined;
      last = i;
    }
  }
  if (first < 0) return undefined;
  const f = fields(p, ctx).find((x) => x.offset === offset + first && x.len === last - first + 1);
  if (!f) return undefined;
  return { key: fieldKey(p, f, base), shift: len - 1 - last };
}

/** A payload statement's protocol name for the `base` (used by payload writes). */
export function payloadKey(ctx: ProtoCtx, e: DExpr & { k: 'payload' }): DExpr & { k: 'key' } {
  return exactField(ctx, e.base, e.offset, e.len) ?? rawKey(e.base, e.offset, e.len);
}

/** True when the type's values are addresses that nft prints as prefixes. */
export function prefixType(type: string): boolean {
  return type === 'ipv4_addr' || type === 'ipv6_addr';
}

export { DATATYPES };
