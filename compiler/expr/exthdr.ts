// Extension headers and options (kernel: net/netfilter/nft_exthdr.c;
// nftables: src/exthdr.c, tcpopt.c, ipopt.c, sctp_chunk.c, fields rewritten
// as data): loads, existence checks and writes. `tcp option maxseg size` →
// exthdr load tcpopt 2b @ 2 + 2. Offsets are bits from the header/option start.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import { impliedNetwork } from '../deps.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { protocols } from '../proto/index.js';
import { netlinkReg } from '../regs.js';
import { bitField } from './payload.js';

/** Where a field of an extension header or option lives. */
export interface ExtField {
  type: number;
  offset: number;
  len: number;
  dtype: string;
  exists?: boolean;
}

const IPV6: Record<string, { type: number; fields: Record<string, [number, number, string?]> }> = {
  hbh: { type: 0, fields: { nexthdr: [0, 8, 'inet_proto'], hdrlength: [8, 8] } },
  rt: { type: 43, fields: { nexthdr: [0, 8, 'inet_proto'], hdrlength: [8, 8], type: [16, 8], 'seg-left': [24, 8] } },
  rt0: { type: 43, fields: { addr: [64, 128, 'ipv6_addr'] } },
  rt2: { type: 43, fields: { addr: [64, 128, 'ipv6_addr'] } },
  srh: { type: 43, fields: { 'last-entry': [32, 8], flags: [40, 8], tag: [48, 16], sid: [64, 128, 'ipv6_addr'] } },
  frag: { type: 44, fields: { nexthdr: [0, 8, 'inet_proto'], reserved: [8, 8], 'frag-off': [16, 13], reserved2: [29, 2], 'more-fragments': [31, 1], id: [32, 32] } },
  dst: { type: 60, fields: { nexthdr: [0, 8, 'inet_proto'], hdrlength: [8, 8] } },
  mh: { type: 135, fields: { nexthdr: [0, 8, 'inet_proto'], hdrlength: [8, 8], type: [16, 8, 'mh_type'], reserved: [24, 8], checksum: [32, 16] } },
};

const TCPOPT_KINDS: Record<string, number> = {
  eol: 0, nop: 1, noop: 1, maxseg: 2, mss: 2, window: 3, 'sack-perm': 4, 'sack-permitted': 4, sack: 5, sack0: 5, sack1: 5, sack2: 5, sack3: 5,
  timestamp: 8, md5sig: 19, mptcp: 30, fastopen: 34,
};
const TCPOPT_FIELDS: Record<string, Record<string, [number, number]>> = {
  maxseg: { size: [16, 16] },
  mss: { size: [16, 16] },
  window: { count: [16, 8] },
  sack: { left: [16, 32], right: [48, 32] },
  sack0: { left: [16, 32], right: [48, 32] },
  sack1: { left: [80, 32], right: [112, 32] },
  sack2: { left: [144, 32], right: [176, 32] },
  sack3: { left: [208, 32], right: [240, 32] },
  timestamp: { tsval: [16, 32], tsecr: [48, 32] },
  mptcp: { subtype: [16, 4] },
};

const IPOPT_TYPES: Record<string, number> = { rr: 7, lsrr: 131, ssrr: 137, ra: 148, timestamp: 68 };
const IPOPT_FIELDS: Record<string, [number, number]> = { type: [0, 8], length: [8, 8], ptr: [16, 8], addr: [24, 32], value: [16, 16] };

const SCTP_CHUNK_TYPES: Record<string, number> = {
  data: 0, init: 1, 'init-ack': 2, sack: 3, heartbeat: 4, 'heartbeat-ack': 5, abort: 6, shutdown: 7,
  'shutdown-ack': 8, error: 9, 'cookie-echo': 10, 'cookie-ack': 11, ecne: 12, cwr: 13, 'shutdown-complete': 14,
  'asconf-ack': 128, 'forward-tsn': 192, asconf: 193,
};
const SCTP_INIT: Record<string, [number, number]> = {
  'init-tag': [32, 32], 'a-rwnd': [64, 32], 'num-outbound-streams': [96, 16], 'num-inbound-streams': [112, 16], 'initial-tsn': [128, 32],
};
/** Chunk fields after the common type/flags/length, by chunk type name. */
const SCTP_CHUNK_FIELDS: Record<string, Record<string, [number, number]>> = {
  data: { tsn: [32, 32], stream: [64, 16], ssn: [80, 16], ppid: [96, 32] },
  init: SCTP_INIT,
  'init-ack': SCTP_INIT,
  sack: { 'cum-tsn-ack': [32, 32], 'a-rwnd': [64, 32], 'num-gap-ack-blocks': [96, 16], 'num-dup-tsns': [112, 16] },
  shutdown: { 'cum-tsn-ack': [32, 32] },
  ecne: { 'lowest-tsn': [32, 32] },
  cwr: { 'lowest-tsn': [32, 32] },
  asconf: { seqno: [32, 32] },
  'asconf-ack': { seqno: [32, 32] },
  'forward-tsn': { 'new-cum-tsn': [32, 32] },
};
const SCTP_COMMON: Record<string, [number, number]> = { type: [0, 8], flags: [8, 8], length: [16, 16] };

/**
 * Resolves `op hdr field` to its location, or undefined if unknown.
 * `index` selects the n-th (from 1) of the 16-byte addresses of `rt0 addr[n]` / `srh sid[n]`.
 */
export function exthdrField(op: string, hdr: string, field: string, index = 1, raw?: { offset: number; len: number }): ExtField | undefined {
  if (op === 'ipv6') {
    const h = IPV6[hdr];
    if (!h) return undefined;
    if (field === 'exists' || field === 'missing') return { type: h.type, offset: 0, len: 8, dtype: 'boolean', exists: true };
    const f = h.fields[field];
    if (!f) return undefined;
    const offset = f[1] === 128 ? f[0] + (index - 1) * 128 : f[0];
    return { type: h.type, offset, len: f[1], dtype: f[2] ?? 'integer' };
  }
  if (op === 'tcpopt') {
    const kind = TCPOPT_KINDS[hdr] ?? (/^\d+$/.test(hdr) ? Number(hdr) : undefined);
    if (kind === undefined) return undefined;
    if (raw) return { type: kind, offset: raw.offset, len: raw.len, dtype: 'integer' };
    if (field === 'exists' || field === 'missing') return { type: kind, offset: 0, len: 8, dtype: 'boolean', exists: true };
    if (field === 'kind') return { type: kind, offset: 0, len: 8, dtype: 'integer' };
    if (field === 'length') return { type: kind, offset: 8, len: 8, dtype: 'integer' };
    const f = TCPOPT_FIELDS[hdr]?.[field];
    if (!f) return undefined;
    return { type: kind, offset: f[0], len: f[1], dtype: 'integer' };
  }
  if (op === 'ipv4') {
    const t = IPOPT_TYPES[hdr];
    if (t === undefined) return undefined;
    if (field === 'exists' || field === 'missing') return { type: t, offset: 0, len: 8, dtype: 'boolean', exists: true };
    const f = IPOPT_FIELDS[field];
    if (!f) return undefined;
    return { type: t, offset: f[0], len: f[1], dtype: field === 'addr' ? 'ipv4_addr' : 'integer' };
  }
  if (op === 'sctp') {
    const t = SCTP_CHUNK_TYPES[hdr];
    if (t === undefined) return undefined;
    if (field === 'exists' || field === 'missing') return { type: t, offset: 0, len: 8, dtype: 'boolean', exists: true };
    const f = SCTP_COMMON[field] ?? SCTP_CHUNK_FIELDS[hdr]?.[field];
    if (!f) return undefined;
    return { type: t, offset: f[0], len: f[1], dtype: 'integer' };
  }
  return undefined;
}

/** The kernel's exthdr operation (enum nft_exthdr_op) of each nft header kind. */
const EXTHDR_OP = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 } as const;

/** `tcp option maxseg size`, `exthdr frag exists`: a field, or whether the header is there. */
export function exthdrExpr(rc: RuleCompiler, e: Expr & { k: 'exthdr' }): LExpr {
  const f = exthdrField(e.op, e.hdr, e.field, e.index, e.raw);
  if (!f) rc.err(e.span, `unknown ${e.op} header field ${e.hdr} ${e.field}`);
  const exop = EXTHDR_OP[e.op];
  if (e.op === 'ipv4' || e.op === 'ipv6') {
    const l3 = e.op === 'ipv4' ? protocols.ip! : protocols.ip6!;
    const other = rc.family === 'ip' || rc.family === 'ip6' ? rc.family : rc.nh;
    if (other && other !== l3.name && other !== 'arp') rc.err(e.span, `cannot use exthdr with ${other}`);
    impliedNetwork(rc, l3, e.span);
  }
  if (f.exists) {
    return rc.scalar(datatype('boolean'), 1, e.span, (d) =>
      rc.insns.push({ op: 'exthdr', exop, dreg: netlinkReg(d), type: f.type, offset: 0, len: 1, flags: 1 }));
  }
  return bitField(rc, f.offset, f.len, datatype(f.dtype), e.span, (d, offset, len) =>
    rc.insns.push({ op: 'exthdr', exop, dreg: netlinkReg(d), type: f.type, offset, len, flags: 0 }));
}

/** `tcp option maxseg size set 1360`: the value into a register, then an exthdr write. */
export function exthdrSet(rc: RuleCompiler, t: Expr & { k: 'exthdr' }, v: Expr): void {
  const f = exthdrField(t.op, t.hdr, t.field);
  if (!f) rc.err(t.span, `unknown field`);
  const l = rc.lhs(t);
  const sreg = rc.valueReg(l, v);
  rc.insns.push({ op: 'exthdr_write', exop: EXTHDR_OP[t.op], sreg, type: f.type, offset: Math.floor(f.offset / 8), len: Math.ceil(f.len / 8) });
}
