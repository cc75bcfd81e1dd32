// Protocol dependencies and context (nftables: payload_gen_dependency in
// src/payload.c, struct proto_ctx in src/proto.c): a header field needs
// its protocol matched first, unless the table or an earlier match fixes
// it. `tcp dport 22` in inet → meta l4proto tcp, then the port; in an ip
// table after `ip protocol tcp`, just the port.

import type { Expr } from './ast.js';
import { byteConst, datatype, encodeNum } from './datatype.js';
import type { Insn } from './insn.js';
import type { LExpr, RuleCompiler, SetDef } from './linearize.js';
import { Base, protocols, type Proto } from './proto/index.js';
import { pad4 } from './regs.js';
import type { Span } from './source.js';

/** NFPROTO_* values of the network families (`meta nfproto`, nat and tproxy families). */
export const NFPROTO: Record<string, number> = { ip: 2, ip6: 10 };

/**
 * A dependency match: nft inserts it as a statement of its own before the
 * statement that needs it, so it always uses reg 1 and precedes any load of
 * that statement. A payload dependency may merge with neighbouring matches.
 */
function depMatch(rc: RuleCompiler, load: Insn, data: Uint8Array, protocol = true): void {
  rc.closeSegment(false);
  rc.insns.push(load, { op: 'cmp', cmp: 0, sreg: 1, data });
  if (load.op === 'payload') {
    rc.pendingMatch = { base: load.base, offset: load.offset, len: load.len, neq: false, data, protocol };
  }
  rc.closeSegment(false);
}

/** The dependencies of a header field of `proto`, by its layer. */
export function payloadDep(rc: RuleCompiler, proto: Proto, span: Span): void {
  if (proto.base === Base.LL) needLink(rc, proto, span);
  else if (proto.base === Base.Network) needNetwork(rc, proto, span);
  else if (proto.base === Base.Transport) needTransport(rc, proto, span);
}

/** A network header: implied by ip/ip6 tables, `meta nfproto` in inet, the Ethernet type below. */
export function needNetwork(rc: RuleCompiler, proto: Proto, span: Span): void {
  const fam = rc.family;
  if (proto.name === 'arp') {
    if (fam === 'arp') return;
    // Only ip/ip6 use `meta protocol` in bridge tables; arp is matched in the Ethernet header.
    if (fam === 'bridge' || fam === 'netdev') return needEthertype(rc, 'arp', 0x0806, fam === 'bridge');
    rc.err(span, `conflicting protocols specified: ${fam} vs. arp`);
  }
  if (rc.nh === proto.name) return;
  if (rc.nh && rc.nh !== proto.name) rc.err(span, `conflicting protocols specified: ${rc.nh} vs. ${proto.name}`);
  if (fam === 'ip' || fam === 'ip6') {
    if (fam !== proto.name) rc.err(span, `conflicting protocols specified: ${fam === 'ip' ? 'ip' : 'ip6'} vs. ${proto.name}`);
    rc.nh = proto.name;
    return;
  }
  if (fam === 'inet' && rc.llDep) return needEthertype(rc, proto.name, proto.protoKey!);
  if (fam === 'inet') {
    depMatch(rc, { op: 'meta', key: 'nfproto', dreg: 1 }, byteConst(NFPROTO[proto.name]!));
    rc.nh = proto.name;
    return;
  }
  if (fam === 'bridge' || fam === 'netdev') return needEthertype(rc, proto.name, proto.protoKey!);
  rc.err(span, `conflicting protocols specified: ${fam} vs. ${proto.name}`);
}

/**
 * The network protocol below a bridge/netdev field: `meta protocol`, or the
 * Ethernet/VLAN type field once the rule has established an Ethernet header.
 */
function needEthertype(rc: RuleCompiler, name: string, etype: number, viaLink = false): void {
  if (rc.nh === name) return;
  const load: Insn = rc.llVlan ? { op: 'payload', dreg: 1, base: 0, offset: 16, len: 2 }
    : rc.llDep || viaLink ? { op: 'payload', dreg: 1, base: 0, offset: 12, len: 2 } : { op: 'meta', key: 'protocol', dreg: 1 };
  depMatch(rc, load, encodeNum(BigInt(etype), 2, 'be'));
  rc.nh = name;
}

/** A transport header: `meta l4proto`, plus the network protocol an ICMP header implies. */
export function needTransport(rc: RuleCompiler, proto: Proto, span: Span): void {
  if (proto.name === 'th') return;
  if (rc.th === proto.name) return;
  if (rc.th && rc.th !== proto.name) rc.err(span, `conflicting protocols specified: ${rc.th} vs. ${proto.name}`);
  const l3 = proto.name === 'icmp' || proto.name === 'igmp' ? protocols.ip! : proto.name === 'icmpv6' ? protocols.ip6! : undefined;
  // nft does not check that an ip6 context suits `icmp`.
  if (l3) impliedNetwork(rc, l3, span);
  if (rc.family === 'arp') rc.err(span, `conflicting protocols specified: arp vs. ${proto.name}`);
  depMatch(rc, { op: 'meta', key: 'l4proto', dreg: 1 }, byteConst(proto.protoKey!));
  rc.th = proto.name;
}

/**
 * The network protocol an ICMP header or an IP option implies, matched only
 * where the table and the rule leave it open.
 */
export function impliedNetwork(rc: RuleCompiler, l3: Proto, span: Span): void {
  if (rc.nh || (rc.family !== 'inet' && rc.family !== 'bridge' && rc.family !== 'netdev')) return;
  // A bridge's Ethernet header is known, so the implied protocol is matched there.
  if (rc.family === 'bridge') needEthertype(rc, l3.name, l3.protoKey!, true);
  else needNetwork(rc, l3, span);
}

/** Link-layer fields: outside bridge tables the device must be Ethernet (`meta iiftype ether`). */
function needLink(rc: RuleCompiler, proto: Proto, span: Span): void {
  if (rc.family === 'ip' || rc.family === 'ip6' || rc.family === 'inet' || rc.family === 'netdev') {
    if (!rc.llDep) depMatch(rc, { op: 'meta', key: 'iiftype', dreg: 1 }, encodeNum(1n, 2, 'host'));
    rc.llDep = true;
  } else if (rc.family !== 'bridge') {
    rc.err(span, `conflicting protocols specified`);
  }
  if (proto.name === 'vlan' && !rc.llVlan) {
    depMatch(rc, { op: 'payload', dreg: 1, base: 0, offset: 12, len: 2 }, encodeNum(0x8100n, 2, 'be'));
    rc.llVlan = true;
  }
}

/** `icmp id` exists only in echo messages: match the type unless the rule already did. */
export function needIcmpType(rc: RuleCompiler, proto: Proto, types: number[], span: Span): void {
  if (rc.icmpType !== undefined) {
    if (!types.includes(rc.icmpType)) rc.err(span, `incompatible icmp match: rule has ${rc.icmpType}, need ${types[0]}`);
    return;
  }
  const load: Insn = { op: 'payload', dreg: 1, base: Base.Transport, offset: 0, len: 1 };
  if (types.length === 1) {
    depMatch(rc, load, byteConst(types[0]!), false);
    rc.icmpType = types[0];
    return;
  }
  const keyType = datatype(proto.name === 'icmp' ? 'icmp_type' : 'icmpv6_type');
  const set: SetDef = {
    name: '__set%d', table: rc.table.name, family: rc.family, flags: 0x3, keyType, keyBits: 8,
    keyParts: [{ type: keyType, bits: 8 }], elements: types.map((t) => ({ key: [pad4(new Uint8Array([t]))], flags: 0 })),
    size: types.length, anonymous: true,
  };
  rc.anonSets.push(set);
  rc.closeSegment(false);
  rc.insns.push(load, { op: 'lookup', sreg: 1, set: set.name, inv: false });
  rc.closeSegment(false);
}

/** An equality on a protocol key establishes that protocol for later fields. */
export function noteProto(rc: RuleCompiler, l: LExpr, r: Expr): void {
  const p = l.payload;
  const icmpType = p && (p.proto.name === 'icmp' || p.proto.name === 'icmpv6') && p.bitOffset === 0 && p.bitLen === 8;
  if ((!l.protoKey && !icmpType) || r.k !== 'sym') return;
  let v: bigint;
  try {
    v = rc.value(l, r);
  } catch {
    return;
  }
  const n = Number(v);
  if (icmpType) rc.icmpType = n;
  if (l.protoKey === 'nfproto') rc.nh = n === 2 ? 'ip' : n === 10 ? 'ip6' : rc.nh;
  else if (l.protoKey === 'l4proto' || l.protoKey === 'ipproto' || l.protoKey === 'nexthdr') {
    const t = Object.values(protocols).find((x) => x.base === Base.Transport && x.protoKey === n && x.name !== 'th');
    if (t) rc.th = t.name;
    if (l.protoKey === 'ipproto') rc.nh ??= 'ip';
  } else if (l.protoKey === 'ethertype' && (rc.family === 'bridge' || rc.family === 'netdev' || l.payload)) {
    // inet tables take the network protocol from `ether type`, not from `meta protocol`
    rc.nh = n === 0x0800 ? 'ip' : n === 0x86dd ? 'ip6' : n === 0x0806 ? 'arp' : rc.nh;
    if (n === 0x8100 || n === 0x88a8) rc.llVlan = true;
  }
}
