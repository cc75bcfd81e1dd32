// Constants printed back by datatype (nftables: src/datatype.c print
// callbacks, rewritten): addresses, symbols, bitmask lists, strings, marks.
// `0x00001600` as inet_service → `22`; as ct_state `0x00000006` → `established,related`.

import {
  ARP_OPS, CT_DIRS, CT_EVENTS, CT_STATES, CT_STATUS, DAYS, DCCP_TYPES, DSCP, ECN, ETHER_TYPES, FIB_TYPES, ICMP_CODES,
  ICMP_TYPES, ICMPV6_CODES, ICMPV6_TYPES, ICMPX_CODES, IFACE_TYPES, IGMP_TYPES, INET_PROTOS, MH_TYPES, NF_PROTOS,
  PKT_TYPES, TCP_FLAGS, ifnameOf,
} from '../datatype.js';

/** Inverts a symbol table, keeping the first name of each value (as nft's tables list them). */
function invert(t: Record<string, number>, skip: string[] = []): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(t)) if (!skip.includes(k) && !m.has(v)) m.set(v, k);
  return m;
}

const SYMBOLS: Record<string, Map<number, string>> = {
  inet_proto: invert(INET_PROTOS, ['hopopt']),
  ether_type: invert(ETHER_TYPES, ['vlan']),
  icmp_type: invert(ICMP_TYPES),
  icmp_code: invert(ICMP_CODES),
  icmpv6_type: invert(ICMPV6_TYPES),
  icmpv6_code: invert(ICMPV6_CODES),
  icmpx_code: invert(ICMPX_CODES),
  igmp_type: invert(IGMP_TYPES),
  arp_op: invert(ARP_OPS),
  mh_type: invert(MH_TYPES),
  dccp_pkttype: invert(DCCP_TYPES),
  ct_dir: invert(CT_DIRS),
  nf_proto: invert(NF_PROTOS),
  pkt_type: invert(PKT_TYPES, ['unicast']),
  dscp: invert(DSCP, ['df', 'be']),
  ecn: invert(ECN),
  fib_addrtype: invert(FIB_TYPES),
  iface_type: invert(IFACE_TYPES),
  boolean: new Map([[1, 'exists'], [0, 'missing']]),
};
const BITMASKS: Record<string, [string, number][]> = {
  ct_state: Object.entries(CT_STATES),
  ct_status: Object.entries(CT_STATUS),
  ct_event: Object.entries(CT_EVENTS),
  tcp_flag: Object.entries(TCP_FLAGS),
};
const DAY_NAMES = invert(DAYS);

/** True for the types nft matches implicitly with `& value != 0`. */
export function isBitmask(type: string): boolean {
  return type in BITMASKS || type === 'ct_label';
}

/** Register bytes → number, in the given byte order. */
export function num(b: Uint8Array, order: 'be' | 'host'): bigint {
  let v = 0n;
  if (order === 'host') for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  else for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Number → register bytes. */
export function bytes(v: bigint, n: number, order: 'be' | 'host'): Uint8Array {
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return order === 'host' ? out.reverse() : out;
}

/** IPv6 text as glibc's inet_ntop prints it (longest zero run compressed, embedded IPv4). */
export function ip6Text(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) s += ':';
      continue;
    }
    if (i > 0) s += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    s += w[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) s += ':';
  return s;
}

function stringText(b: Uint8Array, wildcard: boolean): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
  return `"${s}${wildcard ? '*' : ''}"`;
}

/** Bitmask value as nft's flag list (`syn,ack`); unknown bits in hex. */
export function flagList(type: string, v: bigint): string {
  if (type === 'ct_label') return labelText(v);
  const names: string[] = [];
  let rest = v;
  for (const [n, bit] of BITMASKS[type] ?? []) {
    if (v & BigInt(bit) && rest & BigInt(bit)) {
      names.push(n);
      rest &= ~BigInt(bit);
    }
  }
  if (rest) names.push('0x' + rest.toString(16));
  return names.length ? names.join(',') : '0x0';
}

function hexPad(v: bigint, bits: number): string {
  return '0x' + v.toString(16).padStart(Math.ceil(bits / 4), '0');
}

function timeText(sec: bigint): string {
  let s = sec;
  if (s === 0n) return '0s';
  const parts: string[] = [];
  for (const [u, n] of [['d', 86400n], ['h', 3600n], ['m', 60n], ['s', 1n]] as [string, bigint][]) {
    if (s >= n) {
      parts.push(`${s / n}${u}`);
      s %= n;
    }
  }
  return parts.join('');
}

/** How a value prints: the type's name, its byte order and width in bits. */
export interface ValueType {
  type: string;
  order: 'be' | 'host';
  bits: number;
  /** Sub-byte field shifted left in its register bytes by this many bits. */
  shift?: number;
  /** Register bytes holding the value when wider than `bits` needs (a shifted sub-byte field). */
  bytes?: number;
}

/**
 * Prints register bytes as a constant of `t`. `wildcard` marks an ifname
 * prefix match (`"eth*"`); `eq` prints a single-bit bitmask by name; `range`
 * marks a range end, which prints symbolic types as numbers.
 */
export function valueText(t: ValueType, b: Uint8Array, opts: { wildcard?: boolean; eq?: boolean; range?: boolean } = {}): string {
  const type = t.type;
  if (type === 'ifname' || type === 'string') return stringText(b, !!opts.wildcard);
  if (type === 'ipv4_addr') return Array.from(b.slice(0, 4)).join('.');
  if (type === 'ipv6_addr') return ip6Text(b);
  if (type === 'ether_addr') return Array.from(b.slice(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  let v = num(b, t.order);
  if (t.shift) v >>= BigInt(t.shift);
  if (type in BITMASKS) {
    if (opts.eq) {
      const one = (BITMASKS[type] ?? []).find(([, bit]) => BigInt(bit) === v);
      return one ? one[0] : '0x' + v.toString(16);
    }
    return flagList(type, v);
  }
  const sym = SYMBOLS[type];
  if (sym) {
    // A range end of a symbolic type prints as its number (`icmp code 4-15`).
    const n = opts.range ? undefined : sym.get(Number(v));
    if (n !== undefined) return n;
    if (type === 'dscp' || type === 'ether_type' || type === 'ecn') return hexPad(v, t.bits);
    if (type === 'boolean') return v.toString();
    return v.toString();
  }
  switch (type) {
    case 'mark':
    case 'ct_label_hex':
      return hexPad(v, 32);
    case 'raw':
      return '0x' + v.toString(16);
    case 'iface_index': {
      const name = v <= 0xffffffffn ? ifnameOf(Number(v)) : undefined;
      return name !== undefined ? `"${name}"` : v.toString();
    }
    case 'devgroup':
      return v === 0n ? '"default"' : v.toString();
    case 'realm':
      return v === 0n ? '"cosmos"' : v.toString();
    case 'day': {
      const d = opts.range ? undefined : DAY_NAMES.get(Number(v));
      return d ? `"${d}"` : v.toString();
    }
    case 'hour': {
      const h = Number(v) % 86400;
      const hh = String(Math.floor(h / 3600)).padStart(2, '0');
      const mm = String(Math.floor((h % 3600) / 60)).padStart(2, '0');
      const ss = h % 60;
      return `"${hh}:${mm}${ss ? ':' + String(ss).padStart(2, '0') : ''}"`;
    }
    case 'time': {
      const ms = Number(v / 1000000n);
      const d = new Date(ms);
      const p = (x: number) => String(x).padStart(2, '0');
      return `"${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}"`;
    }
    case 'time32':
      // A range end prints as whole seconds (`ct expiration 60s-120s`).
      return opts.range ? `${v / 1000n}s` : timeText(v / 1000n);
    case 'classid': {
      if (v === 0xffffffffn) return 'root';
      if (v === 0n) return 'none';
      return `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
    }
    case 'ct_label':
      return labelText(v);
    case 'uid':
    case 'gid':
      return v.toString();
  }
  return v.toString();
}

function labelText(v: bigint): string {
  const bits: string[] = [];
  for (let i = 0; i < 128; i++) if (v & (1n << BigInt(i))) bits.push(String(i));
  return bits.join(',') || '0';
}
