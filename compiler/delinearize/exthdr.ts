// Extension headers and options named back (nftables: src/exthdr.c,
// tcpopt.c, ipopt.c, sctp_chunk.c print callbacks): `[ exthdr load tcpopt
// 2b @ 2 + 2 => reg 1 ]` → `tcp option maxseg size`; present flag → `exists`;
// a masked load of a sub-byte field (`frag more-fragments`) → that field.

import type { Insn } from '../insn.js';
import { exthdrField } from '../expr/exthdr.js';
import { DATATYPES } from '../datatype.js';
import type { DExpr, SubField } from './types.js';

/** Header name, names its fields are printed under, field names (nft's listing names). */
const IPV6_HDRS: [number, [string, string[]][]][] = [
  [0, [['hbh', ['nexthdr', 'hdrlength']]]],
  [43, [['rt', ['nexthdr', 'hdrlength', 'type', 'seg-left']], ['srh', ['last-entry', 'flags', 'tag', 'sid']]]],
  [44, [['frag', ['nexthdr', 'reserved', 'frag-off', 'reserved2', 'more-fragments', 'id']]]],
  [60, [['dst', ['nexthdr', 'hdrlength']]]],
  [135, [['mh', ['nexthdr', 'hdrlength', 'type', 'reserved', 'checksum']]]],
];
const TCP_OPTS: [string, string[]][] = [
  ['eol', []], ['nop', []], ['maxseg', ['size']], ['window', ['count']], ['sack-perm', []],
  ['sack0', ['left', 'right']], ['sack1', ['left', 'right']], ['sack2', ['left', 'right']], ['sack3', ['left', 'right']],
  ['timestamp', ['tsval', 'tsecr']], ['md5sig', []], ['mptcp', ['subtype']], ['fastopen', []],
];
const IP_OPTS: [string, number][] = [['rr', 7], ['lsrr', 131], ['ssrr', 137], ['ra', 148], ['timestamp', 68]];
const SCTP_CHUNKS = [
  'data', 'init', 'init-ack', 'sack', 'heartbeat', 'heartbeat-ack', 'abort', 'shutdown', 'shutdown-ack', 'error',
  'cookie-echo', 'cookie-ack', 'ecne', 'cwr', 'shutdown-complete', 'asconf-ack', 'forward-tsn', 'asconf',
];
const SCTP_FIELDS = [
  'type', 'flags', 'length', 'tsn', 'stream', 'ssn', 'ppid', 'init-tag', 'a-rwnd', 'num-outbound-streams', 'num-inbound-streams',
  'initial-tsn', 'cum-tsn-ack', 'num-gap-ack-blocks', 'num-dup-tsns', 'lowest-tsn', 'seqno', 'new-cum-tsn',
];

function key(text: string, type: string, bits: number): DExpr & { k: 'key' } {
  const d = DATATYPES[type];
  return { k: 'key', text, vt: { type, order: d?.order ?? 'be', bits } };
}

/** The listing type of an option field: nft prints ip option addresses as plain integers. */
function listType(op: string, dtype: string): string {
  if (op === 'ipv4' && dtype === 'ipv4_addr') return 'integer_be';
  return dtype === 'integer' ? 'integer_be' : dtype;
}

/** The field an exthdr load covers; sub-byte fields inside the loaded bytes become `subs`. */
function find(op: string, hdr: string, prefix: string, fieldNames: string[], i: Insn & { op: 'exthdr' }): (DExpr & { k: 'key' }) | undefined {
  const subs: SubField[] = [];
  for (const f of fieldNames) {
    for (let idx = 1; idx <= (f === 'sid' ? 8 : 1); idx++) {
      const x = exthdrField(op, hdr, f, idx);
      if (!x || x.type !== i.type) continue;
      const name = f === 'sid' ? `sid[${idx}]` : f;
      const type = listType(op, x.dtype);
      if (x.offset % 8 === 0 && x.len % 8 === 0 && x.offset / 8 === i.offset && x.len / 8 === i.len) return key(`${prefix} ${name}`, type, x.len);
      if ((x.offset % 8 || x.len % 8) && x.offset >= i.offset * 8 && x.offset + x.len <= (i.offset + i.len) * 8) {
        subs.push({ text: `${prefix} ${name}`, vt: { type, order: 'be', bits: x.len }, offset: x.offset - i.offset * 8, len: x.len });
      }
    }
  }
  if (!subs.length) return undefined;
  return { ...key(`${prefix} @${i.offset * 8},${i.len * 8}`, 'integer_be', i.len * 8), subs };
}

/** The expression an exthdr load puts in its register; IPv6 headers and IP options depend on the network header (`meta nfproto` in inet). */
export function exthdrKey(i: Insn & { op: 'exthdr' }): DExpr & { k: 'key' } {
  const k = exthdrKeyOf(i);
  if (i.exop === 0) return { ...k, base: 1, proto: 'ip6' };
  if (i.exop === 2) return { ...k, base: 1, proto: 'ip' };
  return k;
}

function exthdrKeyOf(i: Insn & { op: 'exthdr' }): DExpr & { k: 'key' } {
  const present = !!(i.flags & 1);
  if (i.exop === 0) {
    const h = IPV6_HDRS.find(([t]) => t === i.type);
    if (h) {
      if (present) return key(`exthdr ${h[1][0]![0]}`, 'boolean', 1);
      for (const [name, fields] of h[1]) {
        const f = find('ipv6', name === 'srh' ? 'srh' : name, name, fields, i);
        if (f) return f;
      }
    }
    return key(`exthdr @${i.type},${i.offset * 8},${i.len * 8}`, 'integer_be', i.len * 8);
  }
  if (i.exop === 1) {
    for (const [name, fields] of TCP_OPTS) {
      const x = exthdrField('tcpopt', name, 'kind');
      if (!x || x.type !== i.type) continue;
      const nm = name.startsWith('sack') && name !== 'sack-perm' ? (i.offset <= 6 ? 'sack' : name) : name;
      const shown = nm === 'sack0' ? 'sack' : nm;
      if (present) return key(`tcp option ${shown}`, 'boolean', 1);
      const f = find('tcpopt', name, `tcp option ${shown}`, [...fields, 'kind', 'length'], i);
      if (f) return f;
    }
    if (present) return key(`tcp option ${i.type}`, 'boolean', 1);
    return key(`tcp option @${i.type},${i.offset * 8},${i.len * 8}`, 'integer_be', i.len * 8);
  }
  if (i.exop === 2) {
    const o = IP_OPTS.find(([, t]) => t === i.type);
    if (o) {
      if (present) return key(`ip option ${o[0]}`, 'boolean', 1);
      const f = find('ipv4', o[0], `ip option ${o[0]}`, ['type', 'length', 'ptr', 'addr', 'value'], i);
      if (f) return f;
    }
  }
  if (i.exop === 3) {
    for (const c of SCTP_CHUNKS) {
      const x = exthdrField('sctp', c, 'type');
      if (!x || x.type !== i.type) continue;
      if (present) return key(`sctp chunk ${c}`, 'boolean', 1);
      const f = find('sctp', c, `sctp chunk ${c}`, SCTP_FIELDS, i);
      if (f) return f;
    }
  }
  return key(`exthdr @${i.type},${i.offset * 8},${i.len * 8}`, 'integer_be', i.len * 8);
}
