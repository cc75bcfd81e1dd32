// Decodes the header bytes of a trace event into the items `nft monitor trace`
// prints after `packet:` (nftables 1.0.6: src/netlink.c trace_gen_stmts and
// trace_print_packet, with payload_expr_expand and the payload dependency
// rules of src/payload.c). 14 bytes of Ethernet then an IPv4/UDP header print as
// `ether saddr 02:00:00:00:01:02 ether daddr … ip saddr 10.99.1.2 … udp sport 40001 …`.

import { Base, ah, arp, comp, dccp, esp, ether, icmp, icmpv6, igmp, ip, ip6, sctp, tcp, th, udp, udplite, vlan, type Field, type Proto } from '../../compiler/proto/index.js';
import { bytes, isBitmask, valueText } from '../../compiler/delinearize/value.js';

/** nft's per-header print rules that our field tables do not carry (proto.c `.format`, `.checksum_key`, `.protocol_key`, `.length`). */
interface Format {
  /** Fields printed first, in this order (`.format.order`); printing stops at the first one missing. */
  order?: string[];
  /** Fields never printed (`.format.filter`). */
  filter?: string[];
  /** The checksum field, never printed (`.checksum_key`). */
  checksum?: string;
  /** The field naming the next header (`.protocol_key`, plus `ip protocol` and `ip6 nexthdr`). */
  key?: string;
  /** Header length in bits, for link-layer headers stacked on each other (ether, vlan). */
  length?: number;
}

const FORMATS = new Map<Proto, Format>([
  [ether, { order: ['saddr', 'daddr', 'type'], key: 'type', length: 112 }],
  [vlan, { key: 'type', length: 32 }],
  [arp, { filter: ['htype', 'ptype', 'hlen', 'plen', 'saddr ether', 'saddr ip', 'daddr ether', 'daddr ip'] }],
  [ip, { order: ['saddr', 'daddr', 'dscp', 'ecn', 'ttl', 'id', 'protocol', 'length'], filter: ['version', 'hdrlength', 'frag-off'], checksum: 'checksum', key: 'protocol' }],
  [ip6, { order: ['saddr', 'daddr', 'dscp', 'ecn', 'hoplimit', 'flowlabel', 'nexthdr', 'length'], filter: ['version'], key: 'nexthdr' }],
  [tcp, { filter: ['sequence', 'ackseq', 'doff', 'reserved', 'urgptr'], checksum: 'checksum' }],
  [udp, { checksum: 'checksum' }],
  [sctp, { checksum: 'checksum' }],
  [igmp, { checksum: 'checksum' }],
  [icmp, { checksum: 'checksum', key: 'type' }],
  [icmpv6, { checksum: 'checksum', key: 'type' }],
  [ah, { order: ['spi', 'hdrlength', 'nexthdr'], filter: ['reserved', 'sequence'], key: 'nexthdr' }],
  [comp, { key: 'nexthdr' }],
]);

/** Upper-layer headers by protocol value (proto.c `.protocols`). */
const ETHERTYPE_UPPER = new Map<number, Proto>([[0x0800, ip], [0x0806, arp], [0x86dd, ip6], [0x8100, vlan], [0x88a8, vlan]]);
const L4 = [icmp, igmp, icmpv6, esp, ah, comp, udp, udplite, tcp, dccp, sctp];
const IP_UPPER = new Map<number, Proto>(L4.map((p) => [p.protoKey!, p]));
const AH_UPPER = new Map<number, Proto>([esp, ah, comp, udp, udplite, tcp, dccp, sctp].map((p) => [p.protoKey!, p]));
const UPPER = new Map<Proto, Map<number, Proto>>([
  [ether, ETHERTYPE_UPPER], [vlan, ETHERTYPE_UPPER], [ip, IP_UPPER], [ip6, IP_UPPER], [ah, AH_UPPER], [comp, AH_UPPER],
]);

/** Our vlan table counts offsets from the Ethernet header; nft's vlan header starts at the tag. */
function fieldOffset(p: Proto, f: Field): number {
  return p === vlan ? f.offset - 112 : f.offset;
}

/** NFPROTO values of the trace's `family` and `nfproto`. */
const NFPROTO_INET = 1, NFPROTO_IPV4 = 2, NFPROTO_ARP = 3, NFPROTO_NETDEV = 5, NFPROTO_BRIDGE = 7, NFPROTO_IPV6 = 10;
/** ARPHRD_ETHER: the only device type nft maps to a link-layer header (proto.c dev_proto_desc). */
const ARPHRD_ETHER = 1;
const BASE_TOKENS = ['ll', 'nh', 'th', 'ih'];
/** Field names nft prints differently from the keyword it parses (template tokens in proto.c). */
const PRINTED_NAMES: Record<string, string> = { 'param-problem': 'parameter-problem' };

/** One `lhs == value` item of the packet line. `proto` null = raw payload (`@nh,160,64`). */
interface Item {
  proto: Proto | null;
  field: Field | null;
  base: Base;
  /** Offset (bits) as printed for raw items. */
  offset: number;
  len: number;
  value: bigint;
  key: boolean;
  removed: boolean;
}

/** nft's proto_ctx: the header description per base, and the link-layer headers below a stacked one. */
interface ProtoCtx {
  desc: (Proto | null)[];
  stacked: Proto[];
}

/** nft's payload_dep_ctx: the last protocol match per base, possibly implied by a later match. */
interface DepCtx {
  deps: (Item | null)[];
  icmpType: number;
}

/** What the decoder needs from a trace event besides the header bytes. */
export interface PacketDecodeInput {
  /** NFPROTO_* of the table (1 inet, 2 ip, 3 arp, 5 netdev, 7 bridge, 10 ip6). */
  family: number;
  /** NFTA_TRACE_NFPROTO: the hook's protocol family (nft_pf: 2 or 10 in inet tables, 5 netdev, 7 bridge). */
  nfproto: number;
  /** NFTA_TRACE_IIFTYPE (ARPHRD_*), if the event has an input device. */
  iifType?: number;
  /** NFTA_TRACE_LL_HEADER, NFTA_TRACE_NETWORK_HEADER, NFTA_TRACE_TRANSPORT_HEADER as the kernel cut them. */
  ll?: Uint8Array;
  network?: Uint8Array;
  transport?: Uint8Array;
}

function bitsOf(h: Uint8Array, off: number, len: number): bigint {
  let v = 0n;
  for (let i = 0; i < len; i++) {
    const bit = off + i;
    v = (v << 1n) | BigInt(((h[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
  }
  return v;
}

function byteAligned(h: Uint8Array, off: number, len: number): bigint {
  if ((off | len) & 7) return bitsOf(h, off, len);
  let v = 0n;
  for (let i = off >> 3; i < (off + len) >> 3; i++) v = (v << 8n) | BigInt(h[i] ?? 0);
  return v;
}

function raw(base: Base, offset: number, len: number): Item {
  const item: Item = { proto: null, field: null, base, offset, len, value: 0n, key: false, removed: false };
  // payload_init_raw: 16 bits at transport offset 0 or 16 are `th sport` / `th dport`.
  if (base === Base.Transport && len === 16 && (offset === 0 || offset === 16)) {
    item.proto = th;
    item.field = th.fields[offset === 0 ? 0 : 1]!;
  }
  return item;
}

/** payload_expr_expand: split `len` bits at `offset` into the fields of the header the context names, then raw bits. */
function expand(ctx: ProtoCtx, base: Base, offset: number, len: number): Item[] {
  const top = ctx.desc[base];
  if (!top) return [raw(base, offset, len)];
  // get_stacked_desc: inside a vlan tag, fields are those of the lower header.
  let desc = top, skip = 0;
  const topLen = FORMATS.get(top)?.length ?? 0;
  if (base === Base.LL && offset >= topLen) {
    let at = offset;
    for (const lower of ctx.stacked) {
      const l = FORMATS.get(lower)?.length ?? 0;
      if (at < l) { desc = lower; break; }
      at -= l;
      skip += l;
    }
  }
  const out: Item[] = [];
  let po = offset - skip;
  for (const f of desc.fields) {
    if (fieldOffset(desc, f) !== po) continue;
    const key = FORMATS.get(desc)?.key === f.name;
    if (f.len <= len) {
      out.push({ proto: desc, field: f, base, offset: po, len: f.len, value: 0n, key, removed: false });
      len -= f.len;
      po += f.len;
      if (len === 0) return out;
    } else {
      out.push({ proto: desc, field: f, base, offset: po, len, value: 0n, key, removed: false });
      return out;
    }
  }
  out.push(raw(base, po, len));
  return out;
}

function upper(p: Proto | null, value: bigint): Proto | null {
  if (!p) return null;
  return UPPER.get(p)?.get(Number(value)) ?? null;
}

/** payload_expr_pctx_update: a protocol match names the next header. */
function pctxUpdate(ctx: ProtoCtx, item: Item): void {
  const below = ctx.desc[item.base] ?? null;
  const next = upper(below, item.value);
  if (!next || !below) return;
  if (next.base === below.base && item.proto) ctx.stacked.push(below);
  ctx.desc[next.base] = next;
}

function skipped(item: Item): boolean {
  if (!item.proto || !item.field || item.proto === th) return false;
  const fmt = FORMATS.get(item.proto);
  return fmt?.checksum === item.field.name || !!fmt?.filter?.includes(item.field.name);
}

/** trace_gen_stmts: one header's items in print order, appended to `out`. */
function genItems(out: Item[], ctx: ProtoCtx, deps: DepCtx, family: number, h: Uint8Array | undefined, base: Base): void {
  if (!h || h.length === 0) return;
  const unordered: Item[] = [];
  let list = expand(ctx, base, 0, h.length * 8);
  let cursor = 0;
  // The header description the previous item was read with; a change means a stacked header (vlan): re-expand.
  let prev: Proto | null | 'raw' = null;
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (prev !== null && prev !== ctx.desc[base]) {
      if (!ctx.desc[base]) break;
      list = expand(ctx, base, 0, item.len);
      i = -1;
      prev = null;
      continue;
    }
    item.value = byteAligned(h, cursor, item.len);
    cursor += item.len;
    prev = item.proto ?? 'raw';
    if (skipped(item)) continue;
    unordered.push(item);
    prev = ctx.desc[base] ?? null;
    if (item.key) pctxUpdate(ctx, item);
  }
  for (let n = 0; ; n++) {
    const at = unordered.findIndex((x) => {
      const want = x.proto ? FORMATS.get(x.proto)?.order?.[n] : undefined;
      return !want || want === x.field?.name;
    });
    if (at < 0) break;
    const item = unordered.splice(at, 1)[0]!;
    out.push(item);
    let b = base;
    if (isStacked(item)) b--;
    // Don't strip `icmp type` from the dump (once an icmp type was seen, nothing is removed).
    if (deps.icmpType === 0) dependencyKill(deps, item, family);
    if (item.key) dependencyStore(deps, item, b);
  }
}

function isStacked(item: Item): boolean {
  if (!item.key || item.len !== 16) return false;
  const next = upper(item.proto, item.value);
  return !!next && next.base === item.proto!.base;
}

/** payload_dependency_store: remember a protocol match that a later match may imply. */
function dependencyStore(deps: DepCtx, item: Item, base: Base): void {
  if (item.len === 8 && (item.proto === icmp || item.proto === icmpv6)) {
    let t = Number(item.value);
    if (item.proto === icmp) {
      if (t === 0) t = 8;
      deps.icmpType = t;
      if (t === 8) return;
    } else {
      deps.icmpType = t;
      if (t === 128 || t === 129) return;
    }
  }
  deps.deps[base + 1] = item;
}

/** payload_dependency_kill: drop the stored protocol match that `item` implies. */
function dependencyKill(deps: DepCtx, item: Item, family: number): void {
  if (!item.proto) return;
  let slot: number = item.base;
  let dep = deps.deps[slot] ?? null;
  if (!dep && item.base === Base.Transport) dep = deps.deps[(slot = Base.Inner)] ?? null;
  if (!dep || !mayKill(deps, dep, item, family)) return;
  dep.removed = true;
  deps.deps[slot] = null;
}

/** payload_may_dependency_kill (nftables 1.0.6). */
function mayKill(deps: DepCtx, dep: Item, item: Item, family: number): boolean {
  if (family === NFPROTO_BRIDGE || family === NFPROTO_NETDEV || family === NFPROTO_INET) {
    // `ip protocol` / `ip6 nexthdr` also says "IPv4"/"IPv6" in these families: keep it.
    if (dep.base === Base.Network && (dep.proto === ip || dep.proto === ip6) && item.base === Base.Transport) return false;
    if (item.base === dep.base) {
      if (item.key) return false;
      if (item.base === Base.LL) {
        if (dep.proto === vlan) return false;
        if (dep.proto === ether && dep.len === 16) return dep.value === 0x8100n;
        return true;
      }
    }
  }
  if (item.base !== Base.Transport || dep.base !== Base.Transport) return true;
  if (dep.proto === icmp || dep.proto === icmpv6) {
    const t = item.field?.icmpTypes?.[0];
    return t !== undefined && dep.proto === item.proto && deps.icmpType === t;
  }
  return true;
}

/** The item as nft prints it: `ip saddr 10.0.0.1`, `tcp flags == syn`, `@th,64,96 0x…`. */
function itemText(item: Item): string {
  if (!item.proto || !item.field) return `@${BASE_TOKENS[item.base]},${item.offset},${item.len} 0x${item.value.toString(16)}`;
  const type = item.field.type;
  const v = valueText({ type, order: 'be', bits: item.len }, bytes(item.value, Math.ceil(item.len / 8), 'be'), { eq: true });
  return `${item.proto.name} ${PRINTED_NAMES[item.field.name] ?? item.field.name} ${isBitmask(type) ? '== ' : ''}${v}`;
}

/**
 * The header items of a trace packet line, in nft 1.0.6's order and form,
 * each without the trailing space (trace_print_packet after the interfaces).
 */
export function decodeTracePacket(input: PacketDecodeInput): string[] {
  const ctx: ProtoCtx = { desc: [null, null, null, null], stacked: [] };
  // proto_ctx_init for the table's family.
  switch (input.family) {
    case NFPROTO_BRIDGE: ctx.desc[Base.LL] = ether; break;
    case NFPROTO_IPV4: ctx.desc[Base.Network] = ip; break;
    case NFPROTO_IPV6: ctx.desc[Base.Network] = ip6; break;
    case NFPROTO_ARP: ctx.desc[Base.Network] = arp; break;
  }
  // inet and netdev: the hook's protocol family names the network header (netdev's never does).
  if (input.family === NFPROTO_INET) {
    ctx.desc[Base.Network] = input.nfproto === NFPROTO_IPV4 ? ip : input.nfproto === NFPROTO_IPV6 ? ip6 : null;
  }
  if (!ctx.desc[Base.LL] && input.iifType === ARPHRD_ETHER) ctx.desc[Base.LL] = ether;

  const items: Item[] = [];
  const deps: DepCtx = { deps: [null, null, null, null, null], icmpType: 0 };
  genItems(items, ctx, deps, input.family, input.ll, Base.LL);
  genItems(items, ctx, deps, input.family, input.network, Base.Network);
  genItems(items, ctx, deps, input.family, input.transport, Base.Transport);
  return items.filter((x) => !x.removed).map(itemText);
}
