// The conntrack table as the host sees it (src/conntrack.ts): options and the
// sysctls they stand for, the one decoder of an entry (CTE_* + CTX_* bytes in
// linear memory, assembly/abi.ts) used by the listing and by event snapshots.
// Browser-safe. Kernel counterparts: net/netfilter/nf_conntrack_standalone.c
// (sysctls), ctnetlink's dump of an entry. `sysctlOptions({ 'net.netfilter.nf_conntrack_udp_timeout': 5 })`.

import * as abi from '../assembly/abi.js';

/** Timeouts the host may set, by the suffix of their sysctl (seconds). */
export type TimeoutName =
  | 'tcp_syn_sent' | 'tcp_syn_recv' | 'tcp_established' | 'tcp_fin_wait' | 'tcp_close_wait' | 'tcp_last_ack'
  | 'tcp_time_wait' | 'tcp_close' | 'tcp_syn_sent2' | 'tcp_max_retrans' | 'tcp_unacknowledged'
  | 'udp' | 'udp_stream' | 'icmp' | 'icmpv6' | 'generic';

/** Timeout name → CtTimeout slot and the sysctl that sets it (SYN_SENT2 has none). */
export const CT_TIMEOUTS: Record<TimeoutName, { slot: abi.CtTimeout; sysctl?: string }> = {
  tcp_syn_sent: { slot: abi.CtTimeout.TcpSynSent, sysctl: 'nf_conntrack_tcp_timeout_syn_sent' },
  tcp_syn_recv: { slot: abi.CtTimeout.TcpSynRecv, sysctl: 'nf_conntrack_tcp_timeout_syn_recv' },
  tcp_established: { slot: abi.CtTimeout.TcpEstablished, sysctl: 'nf_conntrack_tcp_timeout_established' },
  tcp_fin_wait: { slot: abi.CtTimeout.TcpFinWait, sysctl: 'nf_conntrack_tcp_timeout_fin_wait' },
  tcp_close_wait: { slot: abi.CtTimeout.TcpCloseWait, sysctl: 'nf_conntrack_tcp_timeout_close_wait' },
  tcp_last_ack: { slot: abi.CtTimeout.TcpLastAck, sysctl: 'nf_conntrack_tcp_timeout_last_ack' },
  tcp_time_wait: { slot: abi.CtTimeout.TcpTimeWait, sysctl: 'nf_conntrack_tcp_timeout_time_wait' },
  tcp_close: { slot: abi.CtTimeout.TcpClose, sysctl: 'nf_conntrack_tcp_timeout_close' },
  tcp_syn_sent2: { slot: abi.CtTimeout.TcpSynSent2 },
  tcp_max_retrans: { slot: abi.CtTimeout.TcpRetrans, sysctl: 'nf_conntrack_tcp_timeout_max_retrans' },
  tcp_unacknowledged: { slot: abi.CtTimeout.TcpUnack, sysctl: 'nf_conntrack_tcp_timeout_unacknowledged' },
  udp: { slot: abi.CtTimeout.Udp, sysctl: 'nf_conntrack_udp_timeout' },
  udp_stream: { slot: abi.CtTimeout.UdpStream, sysctl: 'nf_conntrack_udp_timeout_stream' },
  icmp: { slot: abi.CtTimeout.Icmp, sysctl: 'nf_conntrack_icmp_timeout' },
  icmpv6: { slot: abi.CtTimeout.Icmpv6, sysctl: 'nf_conntrack_icmpv6_timeout' },
  generic: { slot: abi.CtTimeout.Generic, sysctl: 'nf_conntrack_generic_timeout' },
};

/** Table size and behaviour; unset fields keep the kernel's defaults (reference §1.3, §3.7, §4). */
export interface ConntrackOptions {
  /** Buckets (module parameter hashsize, sysctl nf_conntrack_buckets); default 262144. */
  hashsize?: number;
  /** nf_conntrack_max; default = buckets, or 8 × hashsize when hashsize is given. */
  max?: number;
  /** nf_conntrack_acct: per-direction packet and byte counters (`ct packets`, `conntrack -L` packets=/bytes=). Default off. */
  accounting?: boolean;
  /** Room for `ct label` bits per entry. Default off. */
  labels?: boolean;
  /** Timeouts in seconds. */
  timeouts?: Partial<Record<TimeoutName, number>>;
  /** nf_conntrack_tcp_loose (default on): pick up mid-stream connections. */
  tcpLoose?: boolean;
  /** nf_conntrack_tcp_be_liberal (default off): no window checks. */
  tcpBeLiberal?: boolean;
  /** nf_conntrack_checksum (default on): L4 checksums verified at prerouting. */
  checksum?: boolean;
  /** nf_conntrack_tcp_ignore_invalid_rst (default off). */
  tcpIgnoreInvalidRst?: boolean;
  /** nf_conntrack_tcp_max_retrans (default 3). */
  tcpMaxRetrans?: number;
}

const PREFIX = 'net.netfilter.';
const BOOL_SYSCTLS: Record<string, 'accounting' | 'tcpLoose' | 'tcpBeLiberal' | 'checksum' | 'tcpIgnoreInvalidRst'> = {
  nf_conntrack_acct: 'accounting',
  nf_conntrack_tcp_loose: 'tcpLoose',
  nf_conntrack_tcp_be_liberal: 'tcpBeLiberal',
  nf_conntrack_checksum: 'checksum',
  nf_conntrack_tcp_ignore_invalid_rst: 'tcpIgnoreInvalidRst',
};
const INT_SYSCTLS: Record<string, 'max' | 'hashsize' | 'tcpMaxRetrans'> = {
  nf_conntrack_max: 'max',
  nf_conntrack_buckets: 'hashsize',
  nf_conntrack_tcp_max_retrans: 'tcpMaxRetrans',
};
const TIMEOUT_BY_SYSCTL = new Map(Object.entries(CT_TIMEOUTS).flatMap(([name, t]) => (t.sysctl ? [[t.sysctl, name as TimeoutName] as const] : [])));

/** Every sysctl name sysctlOptions() understands. */
export const CT_SYSCTLS: readonly string[] = [...Object.keys(BOOL_SYSCTLS), ...Object.keys(INT_SYSCTLS), ...TIMEOUT_BY_SYSCTL.keys()].map((n) => PREFIX + n).sort();

/**
 * Conntrack options from sysctls (`{ "net.netfilter.nf_conntrack_udp_timeout": 5 }`,
 * values as numbers or decimal strings, as `sysctl -w` takes them). Throws
 * naming the key for an unknown sysctl or a value that is not an integer in range.
 */
export function sysctlOptions(sysctl: Record<string, unknown>, into: ConntrackOptions = {}): ConntrackOptions {
  const o = into;
  for (const [key, raw] of Object.entries(sysctl)) {
    const name = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : undefined;
    const known = name !== undefined && (name in BOOL_SYSCTLS || name in INT_SYSCTLS || TIMEOUT_BY_SYSCTL.has(name));
    if (!known) {
      const near = CT_SYSCTLS.filter((k) => k.startsWith(PREFIX + 'nf_conntrack_'));
      throw new Error(`unknown sysctl '${key}' (known: ${near.join(', ')})`);
    }
    const v = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`sysctl '${key}': ${JSON.stringify(raw)} is not an integer from 0 to 4294967295`);
    const b = BOOL_SYSCTLS[name];
    const n = INT_SYSCTLS[name];
    if (b) {
      // The kernel takes any integer for these and tests it for non-zero.
      o[b] = v !== 0;
    } else if (n) {
      if (n !== 'tcpMaxRetrans' && v === 0) throw new Error(`sysctl '${key}': must be at least 1`);
      o[n] = v;
    } else {
      (o.timeouts ??= {})[TIMEOUT_BY_SYSCTL.get(name)!] = v;
    }
  }
  return o;
}

/** One direction of an entry, as `conntrack -L` prints it. */
export interface CtTuple {
  src: string;
  dst: string;
  /** Ports (TCP, UDP, UDPLite, SCTP, DCCP); GRE keys. */
  sport?: number;
  dport?: number;
  /** ICMP / ICMPv6: type, code, echo id. */
  type?: number;
  code?: number;
  id?: number;
}

/** Packets and bytes of one direction (nf_conntrack_acct). */
export interface CtCounter {
  packets: bigint;
  bytes: bigint;
}

/** A conntrack entry, decoded. */
export interface CtEntry {
  /** Index of the entry in the pool. */
  index: number;
  /** 2 IPv4, 10 IPv6. */
  l3: number;
  /** L4 protocol number. */
  proto: number;
  /** Remaining lifetime in ms at the time of the listing or event (0 when expired). */
  timeoutMs: number;
  /** Remaining seconds as conntrack prints them (floor). */
  timeout: number;
  /** TCP state (abi.TcpState); undefined for other protocols. */
  tcpState?: number;
  /** The state name conntrack prints: TCP and SCTP. */
  state?: string;
  /** CtStatus bits. */
  status: number;
  /** No reply seen yet (`[UNREPLIED]`). */
  unreplied: boolean;
  assured: boolean;
  mark: number;
  zone: number;
  orig: CtTuple;
  reply: CtTuple;
  /** Per-direction counters, with accounting on. */
  counters?: { orig: CtCounter; reply: CtCounter };
  /** Set `ct label` bits (0..127), when the table has room for labels. */
  labels?: number[];
  /** The kernel helper attached by `ct helper set` (CtStatus.Helper: the VM runs only ftp). */
  helper?: string;
  /** References conntrack -L prints as use= (1, plus each listed entry its helper expected: ct->master holds one); undefined = 1. */
  use?: number;
}

/** SCTP state names as conntrack prints them, by the kernel's enum sctp_conntrack (abi.SctpState, CTE_STATE of an SCTP entry). */
export const SCTP_STATE_NAMES = ['NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT'];

/** TCP state names as conntrack prints them (by abi.TcpState). */
export const TCP_STATE_NAMES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];

const hex4 = (n: number) => n.toString(16);

/**
 * An IPv6 address as inet_ntop writes it (RFC 5952 compression: the first
 * longest run of two or more zero groups becomes `::`; IPv4-mapped and
 * IPv4-compatible addresses end in dotted quad).
 */
export function ipv6Text(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  const v4 = best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff));
  const groups = v4 ? 6 : 8;
  let s = '';
  for (let i = 0; i < groups; i++) {
    if (i === best) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += hex4(w[i]!);
  }
  if (v4) s += `${s.endsWith(':') ? '' : ':'}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return s;
}

function addrText(mem: Uint8Array, at: number, l3: number): string {
  if (l3 === 10) return ipv6Text(mem.subarray(at, at + 16));
  return `${mem[at]}.${mem[at + 1]}.${mem[at + 2]}.${mem[at + 3]}`;
}

const ICMP_PROTOS = new Set([1, 58]);
const PORT_PROTOS = new Set([6, 17, 33, 132, 136, 47]);

function tupleAt(mem: Uint8Array, at: number, l3: number, proto: number): CtTuple {
  const t: CtTuple = { src: addrText(mem, at + abi.TUP_SRC, l3), dst: addrText(mem, at + abi.TUP_DST, l3) };
  const u16 = (o: number) => (mem[at + o]! << 8) | mem[at + o + 1]!;
  if (ICMP_PROTOS.has(proto)) {
    t.type = mem[at + abi.TUP_DPORT]!;
    t.code = mem[at + abi.TUP_DPORT + 1]!;
    t.id = u16(abi.TUP_SPORT);
  } else if (PORT_PROTOS.has(proto)) {
    t.sport = u16(abi.TUP_SPORT);
    t.dport = u16(abi.TUP_DPORT);
  }
  return t;
}

/** Where an entry is and what the table around it says. */
export interface EntrySource {
  /** The memory holding the entry. */
  mem: Uint8Array;
  view: DataView;
  /** Address of the CTE_* bytes. */
  at: number;
  /** Address of its CTX_* bytes, or undefined when the table has no extension. */
  ext?: number;
  /** Pool index. */
  index: number;
  /** Table time (ms since CTC_EPOCH) the remaining timeout is computed for. */
  nowMs: number;
  /** CtOption bits of the table (Acct decides whether counters are reported). */
  options: number;
}

/** Decodes one entry (a live pool slot or an event snapshot). */
export function decodeCtEntry(s: EntrySource): CtEntry {
  const { mem, view, at } = s;
  const status = view.getUint16(at + abi.CTE_STATUS, true);
  const l3 = mem[at + abi.CTE_L3]!;
  const proto = mem[at + abi.CTE_PROTO]!;
  const timeout = view.getUint32(at + abi.CTE_TIMEOUT, true);
  // A confirmed entry holds an absolute time; an unconfirmed one its timeout, relative.
  const left = status & abi.CtStatus.Confirmed ? (timeout - s.nowMs) | 0 : timeout;
  const timeoutMs = Math.max(0, left);
  const e: CtEntry = {
    index: s.index, l3, proto, timeoutMs, timeout: Math.floor(timeoutMs / 1000), status,
    unreplied: (status & abi.CtStatus.SeenReply) === 0, assured: (status & abi.CtStatus.Assured) !== 0,
    mark: view.getUint32(at + abi.CTE_MARK, true), zone: view.getUint16(at + abi.CTE_ZONE, true),
    orig: tupleAt(mem, at + abi.CTE_ORIG, l3, proto), reply: tupleAt(mem, at + abi.CTE_REPLY, l3, proto),
  };
  if (status & abi.CtStatus.Helper) e.helper = 'ftp';
  if (proto === 6) {
    e.tcpState = mem[at + abi.CTE_STATE]!;
    e.state = TCP_STATE_NAMES[e.tcpState] ?? String(e.tcpState);
  } else if (proto === 132) {
    const st = mem[at + abi.CTE_STATE]!;
    e.state = SCTP_STATE_NAMES[st] ?? String(st);
  }
  if (s.ext !== undefined) {
    const x = s.ext;
    if (s.options & abi.CtOption.Acct) {
      e.counters = {
        orig: { packets: view.getBigUint64(x + abi.CTX_PKTS0, true), bytes: view.getBigUint64(x + abi.CTX_BYTES0, true) },
        reply: { packets: view.getBigUint64(x + abi.CTX_PKTS1, true), bytes: view.getBigUint64(x + abi.CTX_BYTES1, true) },
      };
    }
    const labels: number[] = [];
    for (let i = 0; i < 128; i++) if (mem[x + abi.CTX_LABELS + (i >> 3)]! & (1 << (i & 7))) labels.push(i);
    e.labels = labels;
  }
  return e;
}

/**
 * use= of helper entries: each listed EXPECTED entry holds a reference on its
 * master (ct->master). The entry keeps no master link, so the master is the
 * helper entry of the same zone and address pair (either way round).
 */
export function setMasterRefs(entries: CtEntry[]): void {
  const key = (e: CtEntry, swap: boolean) => `${e.l3} ${e.zone} ${swap ? e.orig.dst : e.orig.src} ${swap ? e.orig.src : e.orig.dst}`;
  const masters = new Map<string, CtEntry>();
  for (const e of entries) if (e.helper) masters.set(key(e, false), e).set(key(e, true), e);
  if (!masters.size) return;
  for (const e of entries) {
    if (!(e.status & abi.CtStatus.Expected)) continue;
    const m = masters.get(key(e, false));
    if (m) m.use = (m.use ?? 1) + 1;
  }
}

/** Event kinds as `conntrack -E` names them. */
export type CtEventKind = 'NEW' | 'UPDATE' | 'DESTROY';

/** A conntrack event (RecordKind.CtEvent), decoded. */
export interface CtEvent {
  kind: CtEventKind;
  /** CtEventBits: Protoinfo (the TCP state changed), Killed (destroyed before its timeout ran out). */
  bits: number;
  /** Packet index in its batch (none for reaping by Engine.conntrack/ctAdvance). */
  packet?: number;
  /** Table time of the event, ms since the table's epoch. */
  timeMs: number;
  /** Packet time of the event, ns since the Unix epoch (the table's epoch + timeMs). */
  time: bigint;
  /** The entry as it was at the event. */
  entry: CtEntry;
}

/** CtEventType → the name conntrack prints. */
export const CT_EVENT_KINDS: Record<number, CtEventKind> = { [abi.CtEventType.New]: 'NEW', [abi.CtEventType.Update]: 'UPDATE', [abi.CtEventType.Destroy]: 'DESTROY' };

/** Table statistics (`conntrack -S` counters and sizes). */
export interface CtStats {
  /** Entries in the table (confirmed). */
  entries: number;
  /** nf_conntrack_max. */
  max: number;
  /** nf_conntrack_buckets. */
  buckets: number;
  /** Bytes of the table's layout: buckets (4 each), entry pool (CTE_SIZE each), extension (CTX_SIZE each, when present). */
  memoryBytes: number;
  invalid: number;
  drop: number;
  earlyDrop: number;
  icmpError: number;
  insert: number;
  found: number;
}
