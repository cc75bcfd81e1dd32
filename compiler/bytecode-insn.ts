// Instruction records (docs/bytecode.md §4): one encoder and one decoder
// per opcode of assembly/abi.ts, between the compiler's Insn (libnftnl's
// vocabulary) and fixed-layout records with pre-decoded operands.
// `[ meta load l4proto => reg 1 ]` ⇄ 07 00 08 00 04 10 00 00
// (Op.Meta, size 8, dreg = word 4, key = MetaKey.L4proto).

import * as abi from '../assembly/abi.js';
import { NONE32, NONE8, Op, OPS, Tail } from '../assembly/abi.js';
import { align4, BytecodeError, type Reader, type Writer } from './bytecode-io.js';
import type { Insn, VerdictData } from './insn.js';

/** The opcode of each compiler instruction; `raw` (printer-only text) has none. */
export const INSN_OPCODE: { readonly [K in Insn['op']]: Op | undefined } = {
  payload: Op.Payload, payload_write: Op.PayloadSet, cmp: Op.Cmp, range: Op.Range, bitwise: Op.Bitwise,
  bitwise_shift: Op.Bitwise, byteorder: Op.Byteorder, meta: Op.Meta, meta_set: Op.MetaSet, ct: Op.Ct,
  ct_set: Op.CtSet, immediate: Op.Immediate, immediate_verdict: Op.Immediate, lookup: Op.Lookup,
  dynset: Op.Dynset, counter: Op.Counter, limit: Op.Limit, quota: Op.Quota, log: Op.Log, reject: Op.Reject,
  nat: Op.Nat, masq: Op.Masq, redir: Op.Redir, notrack: Op.Notrack, queue: Op.Queue, objref: Op.Objref,
  objref_map: Op.ObjrefMap, exthdr: Op.Exthdr, exthdr_write: Op.ExthdrSet, fib: Op.Fib, rt: Op.Rt,
  numgen: Op.Numgen, hash: Op.Hash, socket: Op.Socket, osf: Op.Osf, xfrm: Op.Xfrm, tproxy: Op.Tproxy,
  dup: Op.Dup, fwd: Op.Fwd, synproxy: Op.Synproxy, connlimit: Op.Connlimit, last: Op.Last,
  flow_offload: Op.FlowOffload, raw: undefined,
};

/** Meta key names as libnftnl prints them, indexed by abi.MetaKey. */
export const META_KEY_NAMES = [
  'len', 'protocol', 'priority', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid',
  'skgid', 'nftrace', 'rtclassid', 'secmark', 'nfproto', 'l4proto', 'bri_iifname', 'bri_oifname', 'pkttype',
  'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'prandom', 'secpath', 'iifkind', 'oifkind', 'bri_iifpvid',
  'bri_iifvproto', 'time', 'day', 'hour', 'sdif', 'sdifname', 'broute',
];
/** ct key names as libnftnl prints them, indexed by abi.CtKey. */
export const CT_KEY_NAMES = [
  'state', 'direction', 'status', 'mark', 'secmark', 'expiration', 'helper', 'l3protocol', 'src', 'dst',
  'protocol', 'proto_src', 'proto_dst', 'label', 'packets', 'bytes', 'avgpkt', 'zone', 'event', 'src_ip',
  'dst_ip', 'src_ip6', 'dst_ip6', 'id',
];
/** rt key names, indexed by abi.RtKey. */
export const RT_KEY_NAMES = ['classid', 'nexthop4', 'nexthop6', 'tcpmss', 'ipsec'];
/** socket key names, indexed by abi.SocketKey. */
export const SOCKET_KEY_NAMES = ['transparent', 'mark', 'wildcard', 'cgroupv2'];
/** xfrm key names, indexed by abi.XfrmKey. */
export const XFRM_KEY_NAMES = ['unspec', 'daddr4', 'daddr6', 'saddr4', 'saddr6', 'reqid', 'spi'];
/** Verdict words of VerdictData by code (abi.Verdict). */
export const VERDICT_NAMES: ReadonlyMap<number, string> = new Map([
  [abi.Verdict.Drop, 'drop'], [abi.Verdict.Accept, 'accept'], [abi.Verdict.Queue, 'queue'],
  [abi.Verdict.Continue, 'continue'], [abi.Verdict.Break, 'break'], [abi.Verdict.Jump, 'jump'],
  [abi.Verdict.Goto, 'goto'], [abi.Verdict.Return, 'return'],
]);
const NAT_FAMILIES: ReadonlyMap<number, 'ip' | 'ip6' | 'inet'> = new Map([
  [abi.Family.Ipv4, 'ip'], [abi.Family.Ipv6, 'ip6'], [abi.Family.Inet, 'inet'],
]);

const invert = <K, V>(m: ReadonlyMap<K, V>) => new Map([...m].map(([k, v]) => [v, k]));
const indexMap = (names: string[]) => new Map(names.map((n, i) => [n, i]));
const META_KEYS = indexMap(META_KEY_NAMES);
const CT_KEYS = indexMap(CT_KEY_NAMES);
const RT_KEYS = indexMap(RT_KEY_NAMES);
const SOCKET_KEYS = indexMap(SOCKET_KEY_NAMES);
const XFRM_KEYS = indexMap(XFRM_KEY_NAMES);
const VERDICT_CODES = invert(VERDICT_NAMES);
const NAT_FAMILY_CODES = invert(NAT_FAMILIES);

/** Name → index resolution the container provides while encoding. */
export interface EncodeRefs {
  set(name: string): number;
  object(name: string): number;
  chain(name: string): number;
  str(s: string): number;
}

/** Index → name resolution while decoding; each throws a BytecodeError when out of range. */
export interface DecodeRefs {
  set(i: number, where: () => string): string;
  object(i: number, where: () => string): string;
  chain(i: number, where: () => string): string;
  str(off: number, where: () => string): string;
}

function keyOf(m: Map<string, number>, name: string, what: string): number {
  const k = m.get(name);
  if (k === undefined) throw new BytecodeError(`unknown ${what} '${name}'`);
  return k;
}

/** Netlink register number → word index (nft_parse_register). */
function word(reg: number): number {
  const w = abi.NFT_REG_TO_WORD[reg];
  if (w === undefined || w < 0) throw new BytecodeError(`register ${reg} out of range`);
  return w;
}

function optWord(reg: number | undefined): number {
  return reg === undefined ? NONE8 : word(reg);
}

/** Encodes a verdict as code and chain index (NONE32 without a chain). */
export function encodeVerdict(w: Writer, pos: number, v: VerdictData, refs: EncodeRefs): void {
  const code = VERDICT_CODES.get(v.verdict);
  if (code === undefined) throw new BytecodeError(`unknown verdict '${v.verdict}'`);
  w.i32(pos, code);
  w.u32(pos + 4, v.chain === undefined ? NONE32 : refs.chain(v.chain));
}

/** Decodes a verdict written by encodeVerdict. */
export function decodeVerdict(r: Reader, pos: number, refs: DecodeRefs, where: () => string): VerdictData {
  const code = r.i32(pos);
  const verdict = VERDICT_NAMES.get(code);
  if (verdict === undefined) throw new BytecodeError(`unknown verdict code ${code} at ${where()}`);
  const chain = r.u32(pos + 4);
  if (chain === NONE32) {
    if (code === abi.Verdict.Jump || code === abi.Verdict.Goto) throw new BytecodeError(`${verdict} without a chain at ${where()}`);
    return { verdict };
  }
  return { verdict, chain: refs.chain(chain, where) };
}

function begin(w: Writer, op: Op): number {
  const p = w.reserve(OPS[op]!.size);
  w.u8(p + abi.REC_OP, op);
  return p;
}

function end(w: Writer, p: number): void {
  w.u16(p + abi.REC_SIZE, w.len - p, 'record size');
}

function data(w: Writer, p: number, at: number, b: Uint8Array): void {
  w.u8(p + at, b.length, 'data length');
  w.bytes(b);
}

/** Appends the record of one instruction; throws a BytecodeError naming the bad operand. */
export function encodeInsn(w: Writer, i: Insn, refs: EncodeRefs): void {
  let p: number;
  switch (i.op) {
    case 'payload':
      p = begin(w, Op.Payload);
      w.u8(p + abi.PAYLOAD_DREG, word(i.dreg));
      w.u8(p + abi.PAYLOAD_BASE, i.base, 'base');
      w.u8(p + abi.PAYLOAD_LEN, i.len, 'len');
      w.u32(p + abi.PAYLOAD_OFFSET, i.offset, 'offset');
      break;
    case 'payload_write':
      p = begin(w, Op.PayloadSet);
      w.u8(p + abi.PAYLOAD_SET_SREG, word(i.sreg));
      w.u8(p + abi.PAYLOAD_SET_BASE, i.base, 'base');
      w.u8(p + abi.PAYLOAD_SET_LEN, i.len, 'len');
      w.u8(p + abi.PAYLOAD_SET_CSUM_TYPE, i.csumType, 'csum_type');
      w.u32(p + abi.PAYLOAD_SET_OFFSET, i.offset, 'offset');
      w.u8(p + abi.PAYLOAD_SET_CSUM_OFFSET, i.csumOff, 'csum_off');
      w.u8(p + abi.PAYLOAD_SET_CSUM_FLAGS, i.csumFlags, 'csum_flags');
      break;
    case 'cmp':
      p = begin(w, Op.Cmp);
      w.u8(p + abi.CMP_SREG, word(i.sreg));
      w.u8(p + abi.CMP_OP, i.cmp, 'op');
      data(w, p, abi.CMP_LEN, i.data);
      break;
    case 'range':
      if (i.from.length !== i.to.length) throw new BytecodeError(`range bounds of ${i.from.length} and ${i.to.length} bytes`);
      p = begin(w, Op.Range);
      w.u8(p + abi.RANGE_SREG, word(i.sreg));
      w.u8(p + abi.RANGE_OP, i.neq ? abi.RangeOp.Neq : abi.RangeOp.Eq);
      data(w, p, abi.RANGE_LEN, i.from);
      w.bytes(i.to);
      break;
    case 'bitwise':
      if (i.mask.length !== i.len || i.xor.length !== i.len) throw new BytecodeError(`bitwise mask/xor of ${i.mask.length}/${i.xor.length} bytes for len ${i.len}`);
      p = begin(w, Op.Bitwise);
      w.u8(p + abi.BITWISE_SREG, word(i.sreg));
      w.u8(p + abi.BITWISE_DREG, word(i.dreg));
      w.u8(p + abi.BITWISE_OP, abi.BitwiseOp.MaskXor);
      data(w, p, abi.BITWISE_LEN, i.mask);
      w.bytes(i.xor);
      break;
    case 'bitwise_shift':
      p = begin(w, Op.Bitwise);
      w.u8(p + abi.BITWISE_SREG, word(i.sreg));
      w.u8(p + abi.BITWISE_DREG, word(i.dreg));
      w.u8(p + abi.BITWISE_LEN, i.len, 'len');
      w.u8(p + abi.BITWISE_OP, i.left ? abi.BitwiseOp.Lshift : abi.BitwiseOp.Rshift);
      w.u32(w.reserve(4), i.shift, 'shift');
      break;
    case 'byteorder':
      p = begin(w, Op.Byteorder);
      w.u8(p + abi.BYTEORDER_SREG, word(i.sreg));
      w.u8(p + abi.BYTEORDER_DREG, word(i.dreg));
      w.u8(p + abi.BYTEORDER_OP, i.hton ? abi.ByteorderOp.Hton : abi.ByteorderOp.Ntoh);
      w.u8(p + abi.BYTEORDER_LEN, i.len, 'len');
      w.u8(p + abi.BYTEORDER_SIZE, i.size, 'size');
      break;
    case 'meta':
      p = begin(w, Op.Meta);
      w.u8(p + abi.META_DREG, word(i.dreg));
      w.u8(p + abi.META_KEY, keyOf(META_KEYS, i.key, 'meta key'));
      break;
    case 'meta_set':
      p = begin(w, Op.MetaSet);
      w.u8(p + abi.META_SET_SREG, word(i.sreg));
      w.u8(p + abi.META_SET_KEY, keyOf(META_KEYS, i.key, 'meta key'));
      break;
    case 'ct':
      p = begin(w, Op.Ct);
      w.u8(p + abi.CT_DREG, word(i.dreg));
      w.u8(p + abi.CT_KEY, keyOf(CT_KEYS, i.key, 'ct key'));
      w.u8(p + abi.CT_DIR, i.dir ?? NONE8, 'dir');
      break;
    case 'ct_set':
      p = begin(w, Op.CtSet);
      w.u8(p + abi.CT_SET_SREG, word(i.sreg));
      w.u8(p + abi.CT_SET_KEY, keyOf(CT_KEYS, i.key, 'ct key'));
      w.u8(p + abi.CT_SET_DIR, i.dir ?? NONE8, 'dir');
      break;
    case 'immediate':
      // Word 0 marks a verdict record, so data may not go there.
      if (word(i.dreg) === 0) throw new BytecodeError(`data immediate into the verdict register`);
      p = begin(w, Op.Immediate);
      w.u8(p + abi.IMMEDIATE_DREG, word(i.dreg));
      data(w, p, abi.IMMEDIATE_LEN, i.data);
      break;
    case 'immediate_verdict':
      p = begin(w, Op.Immediate);
      w.u8(p + abi.IMMEDIATE_LEN, 8);
      encodeVerdict(w, w.reserve(8), i.v, refs);
      break;
    case 'lookup':
      p = begin(w, Op.Lookup);
      w.u8(p + abi.LOOKUP_SREG, word(i.sreg));
      w.u8(p + abi.LOOKUP_DREG, optWord(i.dreg));
      w.u8(p + abi.LOOKUP_FLAGS, i.inv ? abi.LookupFlags.Inv : 0);
      w.u32(p + abi.LOOKUP_SET, refs.set(i.set));
      break;
    case 'dynset':
      p = begin(w, Op.Dynset);
      w.u8(p + abi.DYNSET_SREG_KEY, word(i.sregKey));
      w.u8(p + abi.DYNSET_SREG_DATA, optWord(i.sregData));
      w.u8(p + abi.DYNSET_OP, i.setOp, 'op');
      w.u8(p + abi.DYNSET_EXPR_COUNT, i.exprs.length, 'expression count');
      w.u32(p + abi.DYNSET_SET, refs.set(i.set));
      w.u64(p + abi.DYNSET_TIMEOUT, i.timeout, 'timeout');
      i.exprs.forEach((e, j) => {
        if (e.op === 'dynset') throw new BytecodeError(`dynset inside dynset`);
        try {
          encodeInsn(w, e, refs);
        } catch (err) {
          throw err instanceof BytecodeError ? new BytecodeError(`expr ${j}: ${err.message}`) : err;
        }
      });
      break;
    case 'counter':
      p = begin(w, Op.Counter);
      w.u64(p + abi.COUNTER_PKTS, i.pkts, 'pkts');
      w.u64(p + abi.COUNTER_BYTES, i.bytes, 'bytes');
      break;
    case 'limit':
      p = begin(w, Op.Limit);
      w.u8(p + abi.LIMIT_TYPE, i.bytes ? abi.LimitType.Bytes : abi.LimitType.Pkts);
      w.u8(p + abi.LIMIT_FLAGS, i.flags, 'flags');
      w.u64(p + abi.LIMIT_RATE, i.rate, 'rate');
      w.u64(p + abi.LIMIT_BURST, i.burst, 'burst');
      w.u32(p + abi.LIMIT_UNIT, i.unit, 'unit');
      break;
    case 'quota':
      p = begin(w, Op.Quota);
      w.u8(p + abi.QUOTA_FLAGS, i.flags, 'flags');
      w.u64(p + abi.QUOTA_BYTES, i.bytes, 'bytes');
      w.u64(p + abi.QUOTA_CONSUMED, i.consumed, 'consumed');
      break;
    case 'log': {
      p = begin(w, Op.Log);
      let has = 0;
      if (i.prefix !== undefined) has |= abi.LogHas.Prefix;
      if (i.group !== undefined) has |= abi.LogHas.Group;
      if (i.snaplen !== undefined) has |= abi.LogHas.Snaplen;
      if (i.qthreshold !== undefined) has |= abi.LogHas.Qthreshold;
      if (i.level !== undefined) has |= abi.LogHas.Level;
      w.u8(p + abi.LOG_HAS, has);
      w.u8(p + abi.LOG_LEVEL, i.level ?? 0, 'level');
      w.u8(p + abi.LOG_FLAGS, i.flags, 'flags');
      w.u32(p + abi.LOG_PREFIX, i.prefix === undefined ? NONE32 : refs.str(i.prefix));
      w.u16(p + abi.LOG_GROUP, i.group ?? 0, 'group');
      w.u16(p + abi.LOG_QTHRESHOLD, i.qthreshold ?? 0, 'qthreshold');
      w.u32(p + abi.LOG_SNAPLEN, i.snaplen ?? 0, 'snaplen');
      break;
    }
    case 'reject':
      p = begin(w, Op.Reject);
      w.u8(p + abi.REJECT_TYPE, i.type, 'type');
      w.u8(p + abi.REJECT_CODE, i.code, 'code');
      break;
    case 'nat': {
      const fam = NAT_FAMILY_CODES.get(i.family);
      if (fam === undefined) throw new BytecodeError(`unknown nat family '${i.family}'`);
      p = begin(w, Op.Nat);
      w.u8(p + abi.NAT_TYPE, i.kind === 'dnat' ? abi.NatType.Dnat : abi.NatType.Snat);
      w.u8(p + abi.NAT_FAMILY, fam);
      w.u16(p + abi.NAT_FLAGS, i.flags, 'flags');
      w.u8(p + abi.NAT_REG_ADDR_MIN, optWord(i.addrMin));
      w.u8(p + abi.NAT_REG_ADDR_MAX, optWord(i.addrMax));
      w.u8(p + abi.NAT_REG_PROTO_MIN, optWord(i.protoMin));
      w.u8(p + abi.NAT_REG_PROTO_MAX, optWord(i.protoMax));
      break;
    }
    case 'masq':
    case 'redir':
      // masq and redir share one layout (MASQ_* == REDIR_*).
      p = begin(w, i.op === 'masq' ? Op.Masq : Op.Redir);
      w.u8(p + abi.MASQ_REG_PROTO_MIN, optWord(i.protoMin));
      w.u8(p + abi.MASQ_REG_PROTO_MAX, optWord(i.protoMax));
      w.u16(p + abi.MASQ_FLAGS, i.flags, 'flags');
      break;
    case 'notrack':
      p = begin(w, Op.Notrack);
      break;
    case 'queue':
      p = begin(w, Op.Queue);
      w.u8(p + abi.QUEUE_SREG_QNUM, optWord(i.sregQnum));
      w.u8(p + abi.QUEUE_FLAGS, i.flags, 'flags');
      w.u16(p + abi.QUEUE_TOTAL, i.total, 'total');
      w.u16(p + abi.QUEUE_NUM, i.num, 'num');
      break;
    case 'objref':
      p = begin(w, Op.Objref);
      w.u8(p + abi.OBJREF_TYPE, i.type, 'type');
      w.u32(p + abi.OBJREF_OBJ, refs.object(i.name));
      break;
    case 'objref_map':
      p = begin(w, Op.ObjrefMap);
      w.u8(p + abi.OBJREF_MAP_SREG, word(i.sreg));
      w.u32(p + abi.OBJREF_MAP_SET, refs.set(i.set));
      break;
    case 'exthdr':
      p = begin(w, Op.Exthdr);
      w.u8(p + abi.EXTHDR_DREG, word(i.dreg));
      w.u8(p + abi.EXTHDR_OP, i.exop, 'op');
      w.u8(p + abi.EXTHDR_TYPE, i.type, 'type');
      w.u8(p + abi.EXTHDR_LEN, i.len, 'len');
      w.u16(p + abi.EXTHDR_OFFSET, i.offset, 'offset');
      w.u8(p + abi.EXTHDR_FLAGS, i.flags, 'flags');
      break;
    case 'exthdr_write':
      p = begin(w, Op.ExthdrSet);
      w.u8(p + abi.EXTHDR_SET_SREG, word(i.sreg));
      w.u8(p + abi.EXTHDR_SET_OP, i.exop, 'op');
      w.u8(p + abi.EXTHDR_SET_TYPE, i.type, 'type');
      w.u8(p + abi.EXTHDR_SET_LEN, i.len, 'len');
      w.u16(p + abi.EXTHDR_SET_OFFSET, i.offset, 'offset');
      break;
    case 'fib':
      p = begin(w, Op.Fib);
      w.u8(p + abi.FIB_DREG, word(i.dreg));
      w.u8(p + abi.FIB_RESULT, i.result, 'result');
      w.u8(p + abi.FIB_FLAGS, i.flags, 'flags');
      break;
    case 'rt':
      p = begin(w, Op.Rt);
      w.u8(p + abi.RT_DREG, word(i.dreg));
      w.u8(p + abi.RT_KEY, keyOf(RT_KEYS, i.key, 'rt key'));
      break;
    case 'numgen':
      p = begin(w, Op.Numgen);
      w.u8(p + abi.NUMGEN_DREG, word(i.dreg));
      w.u8(p + abi.NUMGEN_TYPE, i.type, 'type');
      w.u32(p + abi.NUMGEN_MODULUS, i.mod, 'modulus');
      w.u32(p + abi.NUMGEN_OFFSET, i.offset, 'offset');
      break;
    case 'hash':
      p = begin(w, Op.Hash);
      w.u8(p + abi.HASH_DREG, word(i.dreg));
      w.u8(p + abi.HASH_SREG, word(i.sreg));
      w.u8(p + abi.HASH_LEN, i.len, 'len');
      w.u8(p + abi.HASH_TYPE, i.type, 'type');
      w.u32(p + abi.HASH_MODULUS, i.mod, 'modulus');
      w.u32(p + abi.HASH_SEED, i.seed, 'seed');
      w.u32(p + abi.HASH_OFFSET, i.offset, 'offset');
      break;
    case 'socket':
      p = begin(w, Op.Socket);
      w.u8(p + abi.SOCKET_DREG, word(i.dreg));
      w.u8(p + abi.SOCKET_KEY, keyOf(SOCKET_KEYS, i.key, 'socket key'));
      w.u8(p + abi.SOCKET_LEVEL, i.level, 'level');
      break;
    case 'osf':
      p = begin(w, Op.Osf);
      w.u8(p + abi.OSF_DREG, word(i.dreg));
      w.u8(p + abi.OSF_TTL, i.ttl, 'ttl');
      w.u8(p + abi.OSF_FLAGS, i.flags, 'flags');
      break;
    case 'xfrm':
      p = begin(w, Op.Xfrm);
      w.u8(p + abi.XFRM_DREG, word(i.dreg));
      w.u8(p + abi.XFRM_KEY, keyOf(XFRM_KEYS, i.key, 'xfrm key'));
      w.u8(p + abi.XFRM_DIR, i.dir, 'dir');
      w.u32(p + abi.XFRM_SPNUM, i.spnum, 'spnum');
      break;
    case 'tproxy':
      p = begin(w, Op.Tproxy);
      w.u8(p + abi.TPROXY_FAMILY, i.family, 'family');
      w.u8(p + abi.TPROXY_REG_ADDR, optWord(i.regAddr));
      w.u8(p + abi.TPROXY_REG_PORT, optWord(i.regPort));
      break;
    case 'dup':
      p = begin(w, Op.Dup);
      w.u8(p + abi.DUP_REG_ADDR, optWord(i.regAddr));
      w.u8(p + abi.DUP_REG_DEV, optWord(i.regDev));
      break;
    case 'fwd':
      p = begin(w, Op.Fwd);
      w.u8(p + abi.FWD_REG_DEV, word(i.regDev));
      w.u8(p + abi.FWD_REG_ADDR, optWord(i.regAddr));
      w.u8(p + abi.FWD_FAMILY, i.family ?? NONE8, 'family');
      break;
    case 'synproxy':
      p = begin(w, Op.Synproxy);
      w.u8(p + abi.SYNPROXY_WSCALE, i.wscale, 'wscale');
      w.u8(p + abi.SYNPROXY_FLAGS, i.flags, 'flags');
      w.u16(p + abi.SYNPROXY_MSS, i.mss, 'mss');
      break;
    case 'connlimit':
      p = begin(w, Op.Connlimit);
      w.u8(p + abi.CONNLIMIT_FLAGS, i.flags, 'flags');
      w.u32(p + abi.CONNLIMIT_COUNT, i.count, 'count');
      break;
    case 'last':
      p = begin(w, Op.Last);
      break;
    case 'flow_offload':
      p = begin(w, Op.FlowOffload);
      w.u32(p + abi.FLOW_OFFLOAD_NAME, refs.str(i.name));
      break;
    case 'raw':
      throw new BytecodeError(`'${i.text}' is printer text, not an instruction`);
  }
  end(w, p);
}

/**
 * Checks the record at `pos` (header, opcode, size against the opcode
 * table, bounds) and returns its size.
 */
export function recordSize(r: Reader, pos: number, end: number, where: () => string): number {
  if (pos + abi.REC_HEADER_SIZE > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const op = r.u8(pos + abi.REC_OP);
  const size = r.u16(pos + abi.REC_SIZE);
  if (op === 0 || op >= abi.OP_COUNT) throw new BytecodeError(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at ${where()}`);
  if (pos + size > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const info = OPS[op]!;
  if (r.u8(pos + 1) !== 0 || size % 4 !== 0 || size < info.size) {
    throw new BytecodeError(`bad ${info.expr} record header at offset ${pos} (${where()})`);
  }
  let want = info.size;
  const len = info.lenAt ? r.u8(pos + info.lenAt) : 0;
  switch (info.tail) {
    case Tail.Data:
      want += align4(len);
      break;
    case Tail.Data2:
      want += 2 * align4(len);
      break;
    case Tail.Bitwise:
      want += r.u8(pos + abi.BITWISE_OP) === abi.BitwiseOp.MaskXor ? 2 * align4(len) : 4;
      break;
    case Tail.Nested:
      want = size; // checked by walking the nested records
      break;
  }
  if (size !== want) throw new BytecodeError(`${info.expr} record at offset ${pos} is ${size} bytes, its operands need ${want} (${where()})`);
  return size;
}

/** Decodes the record at `pos`, already checked by recordSize. */
export function decodeInsn(r: Reader, pos: number, size: number, refs: DecodeRefs, where: () => string, nested = false): Insn {
  const bad = (what: string) => new BytecodeError(`${what} at ${where()}`);
  const reg = (at: number): number => {
    const w = r.u8(pos + at);
    const n = abi.NFT_WORD_TO_REG[w];
    if (n === undefined || n < 0) throw bad(`register word ${w} out of range`);
    return n;
  };
  const optReg = (at: number): number | undefined => (r.u8(pos + at) === NONE8 ? undefined : reg(at));
  const opt8 = (at: number): number | undefined => (r.u8(pos + at) === NONE8 ? undefined : r.u8(pos + at));
  const name = (names: string[], at: number, what: string): string => {
    const k = r.u8(pos + at);
    const n = names[k];
    if (n === undefined) throw bad(`unknown ${what} ${k}`);
    return n;
  };
  const u8 = (at: number) => r.u8(pos + at);
  const u16 = (at: number) => r.u16(pos + at);
  const u32 = (at: number) => r.u32(pos + at);
  const bytes = (at: number, n: number) => r.bytes(pos + at, n);

  const op = r.u8(pos) as Op;
  switch (op) {
    case Op.Payload:
      return { op: 'payload', dreg: reg(abi.PAYLOAD_DREG), base: u8(abi.PAYLOAD_BASE), offset: u32(abi.PAYLOAD_OFFSET), len: u8(abi.PAYLOAD_LEN) };
    case Op.PayloadSet:
      return {
        op: 'payload_write', sreg: reg(abi.PAYLOAD_SET_SREG), base: u8(abi.PAYLOAD_SET_BASE), offset: u32(abi.PAYLOAD_SET_OFFSET),
        len: u8(abi.PAYLOAD_SET_LEN), csumType: u8(abi.PAYLOAD_SET_CSUM_TYPE), csumOff: u8(abi.PAYLOAD_SET_CSUM_OFFSET),
        csumFlags: u8(abi.PAYLOAD_SET_CSUM_FLAGS),
      };
    case Op.Cmp:
      return { op: 'cmp', cmp: u8(abi.CMP_OP), sreg: reg(abi.CMP_SREG), data: bytes(abi.CMP_DATA, u8(abi.CMP_LEN)) };
    case Op.Range: {
      const len = u8(abi.RANGE_LEN);
      const rop = u8(abi.RANGE_OP);
      if (rop > abi.RangeOp.Neq) throw bad(`unknown range op ${rop}`);
      return { op: 'range', neq: rop === abi.RangeOp.Neq, sreg: reg(abi.RANGE_SREG), from: bytes(abi.RANGE_FROM, len), to: bytes(abi.RANGE_FROM + align4(len), len) };
    }
    case Op.Bitwise: {
      const len = u8(abi.BITWISE_LEN);
      const bop = u8(abi.BITWISE_OP);
      const sreg = reg(abi.BITWISE_SREG);
      const dreg = reg(abi.BITWISE_DREG);
      if (bop === abi.BitwiseOp.MaskXor) {
        return { op: 'bitwise', sreg, dreg, len, mask: bytes(abi.BITWISE_DATA, len), xor: bytes(abi.BITWISE_DATA + align4(len), len) };
      }
      if (bop !== abi.BitwiseOp.Lshift && bop !== abi.BitwiseOp.Rshift) throw bad(`unsupported bitwise op ${bop}`);
      return { op: 'bitwise_shift', sreg, dreg, len, left: bop === abi.BitwiseOp.Lshift, shift: u32(abi.BITWISE_DATA) };
    }
    case Op.Byteorder: {
      const bop = u8(abi.BYTEORDER_OP);
      if (bop > abi.ByteorderOp.Hton) throw bad(`unknown byteorder op ${bop}`);
      return {
        op: 'byteorder', sreg: reg(abi.BYTEORDER_SREG), dreg: reg(abi.BYTEORDER_DREG), hton: bop === abi.ByteorderOp.Hton,
        len: u8(abi.BYTEORDER_LEN), size: u8(abi.BYTEORDER_SIZE),
      };
    }
    case Op.Meta:
      return { op: 'meta', key: name(META_KEY_NAMES, abi.META_KEY, 'meta key'), dreg: reg(abi.META_DREG) };
    case Op.MetaSet:
      return { op: 'meta_set', key: name(META_KEY_NAMES, abi.META_SET_KEY, 'meta key'), sreg: reg(abi.META_SET_SREG) };
    case Op.Ct:
    case Op.CtSet: {
      // CT_* and CT_SET_* share offsets.
      const key = name(CT_KEY_NAMES, abi.CT_KEY, 'ct key');
      const dir = opt8(abi.CT_DIR);
      const insn: Insn = op === Op.Ct ? { op: 'ct', key, dreg: reg(abi.CT_DREG) } : { op: 'ct_set', key, sreg: reg(abi.CT_SET_SREG) };
      if (dir !== undefined) insn.dir = dir;
      return insn;
    }
    case Op.Immediate: {
      const len = u8(abi.IMMEDIATE_LEN);
      if (u8(abi.IMMEDIATE_DREG) !== 0) return { op: 'immediate', dreg: reg(abi.IMMEDIATE_DREG), data: bytes(abi.IMMEDIATE_DATA, len) };
      if (len !== 8) throw bad(`verdict immediate of ${len} bytes`);
      return { op: 'immediate_verdict', v: decodeVerdict(r, pos + abi.IMMEDIATE_VERDICT_CODE, refs, where) };
    }
    case Op.Lookup: {
      const flags = u8(abi.LOOKUP_FLAGS);
      if (flags & ~abi.LookupFlags.Inv) throw bad(`unknown lookup flags 0x${flags.toString(16)}`);
      const insn: Insn = { op: 'lookup', sreg: reg(abi.LOOKUP_SREG), set: refs.set(u32(abi.LOOKUP_SET), where), inv: flags !== 0 };
      const dreg = optReg(abi.LOOKUP_DREG);
      if (dreg !== undefined) insn.dreg = dreg;
      return insn;
    }
    case Op.Dynset: {
      if (nested) throw bad(`dynset inside dynset`);
      const exprs: Insn[] = [];
      const count = u8(abi.DYNSET_EXPR_COUNT);
      let q = pos + OPS[Op.Dynset]!.size;
      for (let j = 0; j < count; j++) {
        const sub = () => `expr ${j} of ${where()}`;
        const n = recordSize(r, q, pos + size, sub);
        exprs.push(decodeInsn(r, q, n, refs, sub, true));
        q += n;
      }
      if (q !== pos + size) throw bad(`${pos + size - q} stray bytes after the dynset expressions`);
      const insn: Insn = {
        op: 'dynset', setOp: u8(abi.DYNSET_OP), sregKey: reg(abi.DYNSET_SREG_KEY), set: refs.set(u32(abi.DYNSET_SET), where),
        timeout: r.u64n(pos + abi.DYNSET_TIMEOUT), exprs,
      };
      const sregData = optReg(abi.DYNSET_SREG_DATA);
      if (sregData !== undefined) insn.sregData = sregData;
      return insn;
    }
    case Op.Counter:
      return { op: 'counter', pkts: r.u64(pos + abi.COUNTER_PKTS), bytes: r.u64(pos + abi.COUNTER_BYTES) };
    case Op.Limit: {
      const type = u8(abi.LIMIT_TYPE);
      if (type > abi.LimitType.Bytes) throw bad(`unknown limit type ${type}`);
      return {
        op: 'limit', rate: r.u64(pos + abi.LIMIT_RATE), unit: u32(abi.LIMIT_UNIT), burst: r.u64(pos + abi.LIMIT_BURST),
        bytes: type === abi.LimitType.Bytes, flags: u8(abi.LIMIT_FLAGS),
      };
    }
    case Op.Quota:
      return { op: 'quota', bytes: r.u64(pos + abi.QUOTA_BYTES), consumed: r.u64(pos + abi.QUOTA_CONSUMED), flags: u8(abi.QUOTA_FLAGS) };
    case Op.Log: {
      const has = u8(abi.LOG_HAS);
      const insn: Insn = { op: 'log', flags: u8(abi.LOG_FLAGS) };
      if (has & abi.LogHas.Prefix) insn.prefix = refs.str(u32(abi.LOG_PREFIX), where);
      if (has & abi.LogHas.Group) insn.group = u16(abi.LOG_GROUP);
      if (has & abi.LogHas.Snaplen) insn.snaplen = u32(abi.LOG_SNAPLEN);
      if (has & abi.LogHas.Qthreshold) insn.qthreshold = u16(abi.LOG_QTHRESHOLD);
      if (has & abi.LogHas.Level) insn.level = u8(abi.LOG_LEVEL);
      return insn;
    }
    case Op.Reject:
      return { op: 'reject', type: u8(abi.REJECT_TYPE), code: u8(abi.REJECT_CODE) };
    case Op.Nat: {
      const type = u8(abi.NAT_TYPE);
      const family = NAT_FAMILIES.get(u8(abi.NAT_FAMILY));
      if (type > abi.NatType.Dnat) throw bad(`unknown nat type ${type}`);
      if (family === undefined) throw bad(`unknown nat family ${u8(abi.NAT_FAMILY)}`);
      const insn: Insn = { op: 'nat', kind: type === abi.NatType.Dnat ? 'dnat' : 'snat', family, flags: u16(abi.NAT_FLAGS) };
      const regs = [optReg(abi.NAT_REG_ADDR_MIN), optReg(abi.NAT_REG_ADDR_MAX), optReg(abi.NAT_REG_PROTO_MIN), optReg(abi.NAT_REG_PROTO_MAX)];
      if (regs[0] !== undefined) insn.addrMin = regs[0];
      if (regs[1] !== undefined) insn.addrMax = regs[1];
      if (regs[2] !== undefined) insn.protoMin = regs[2];
      if (regs[3] !== undefined) insn.protoMax = regs[3];
      return insn;
    }
    case Op.Masq:
    case Op.Redir: {
      const insn: Insn = { op: op === Op.Masq ? 'masq' : 'redir', flags: u16(abi.MASQ_FLAGS) };
      const min = optReg(abi.MASQ_REG_PROTO_MIN);
      const max = optReg(abi.MASQ_REG_PROTO_MAX);
      if (min !== undefined) insn.protoMin = min;
      if (max !== undefined) insn.protoMax = max;
      return insn;
    }
    case Op.Notrack:
      return { op: 'notrack' };
    case Op.Queue: {
      const insn: Insn = { op: 'queue', num: u16(abi.QUEUE_NUM), total: u16(abi.QUEUE_TOTAL), flags: u8(abi.QUEUE_FLAGS) };
      const sreg = optReg(abi.QUEUE_SREG_QNUM);
      if (sreg !== undefined) insn.sregQnum = sreg;
      return insn;
    }
    case Op.Objref:
      return { op: 'objref', type: u8(abi.OBJREF_TYPE), name: refs.object(u32(abi.OBJREF_OBJ), where) };
    case Op.ObjrefMap:
      return { op: 'objref_map', sreg: reg(abi.OBJREF_MAP_SREG), set: refs.set(u32(abi.OBJREF_MAP_SET), where) };
    case Op.Exthdr:
      return {
        op: 'exthdr', exop: u8(abi.EXTHDR_OP), dreg: reg(abi.EXTHDR_DREG), type: u8(abi.EXTHDR_TYPE), offset: u16(abi.EXTHDR_OFFSET),
        len: u8(abi.EXTHDR_LEN), flags: u8(abi.EXTHDR_FLAGS),
      };
    case Op.ExthdrSet:
      return {
        op: 'exthdr_write', exop: u8(abi.EXTHDR_SET_OP), sreg: reg(abi.EXTHDR_SET_SREG), type: u8(abi.EXTHDR_SET_TYPE),
        offset: u16(abi.EXTHDR_SET_OFFSET), len: u8(abi.EXTHDR_SET_LEN),
      };
    case Op.Fib:
      return { op: 'fib', flags: u8(abi.FIB_FLAGS), result: u8(abi.FIB_RESULT), dreg: reg(abi.FIB_DREG) };
    case Op.Rt:
      return { op: 'rt', key: name(RT_KEY_NAMES, abi.RT_KEY, 'rt key'), dreg: reg(abi.RT_DREG) };
    case Op.Numgen:
      return { op: 'numgen', dreg: reg(abi.NUMGEN_DREG), type: u8(abi.NUMGEN_TYPE), mod: u32(abi.NUMGEN_MODULUS), offset: u32(abi.NUMGEN_OFFSET) };
    case Op.Hash:
      return {
        op: 'hash', dreg: reg(abi.HASH_DREG), type: u8(abi.HASH_TYPE), sreg: reg(abi.HASH_SREG), len: u8(abi.HASH_LEN),
        mod: u32(abi.HASH_MODULUS), seed: u32(abi.HASH_SEED), offset: u32(abi.HASH_OFFSET),
      };
    case Op.Socket:
      return { op: 'socket', key: name(SOCKET_KEY_NAMES, abi.SOCKET_KEY, 'socket key'), dreg: reg(abi.SOCKET_DREG), level: u8(abi.SOCKET_LEVEL) };
    case Op.Osf:
      return { op: 'osf', dreg: reg(abi.OSF_DREG), ttl: u8(abi.OSF_TTL), flags: u8(abi.OSF_FLAGS) };
    case Op.Xfrm:
      return { op: 'xfrm', key: name(XFRM_KEY_NAMES, abi.XFRM_KEY, 'xfrm key'), dreg: reg(abi.XFRM_DREG), dir: u8(abi.XFRM_DIR), spnum: u32(abi.XFRM_SPNUM) };
    case Op.Tproxy: {
      const insn: Insn = { op: 'tproxy', family: u8(abi.TPROXY_FAMILY) };
      const addr = optReg(abi.TPROXY_REG_ADDR);
      const port = optReg(abi.TPROXY_REG_PORT);
      if (addr !== undefined) insn.regAddr = addr;
      if (port !== undefined) insn.regPort = port;
      return insn;
    }
    case Op.Dup: {
      const insn: Insn = { op: 'dup' };
      const addr = optReg(abi.DUP_REG_ADDR);
      const dev = optReg(abi.DUP_REG_DEV);
      if (addr !== undefined) insn.regAddr = addr;
      if (dev !== undefined) insn.regDev = dev;
      return insn;
    }
    case Op.Fwd: {
      const insn: Insn = { op: 'fwd', regDev: reg(abi.FWD_REG_DEV) };
      const addr = optReg(abi.FWD_REG_ADDR);
      const family = opt8(abi.FWD_FAMILY);
      if (addr !== undefined) insn.regAddr = addr;
      if (family !== undefined) insn.family = family;
      return insn;
    }
    case Op.Synproxy:
      return { op: 'synproxy', mss: u16(abi.SYNPROXY_MSS), wscale: u8(abi.SYNPROXY_WSCALE), flags: u8(abi.SYNPROXY_FLAGS) };
    case Op.Connlimit:
      return { op: 'connlimit', count: u32(abi.CONNLIMIT_COUNT), flags: u8(abi.CONNLIMIT_FLAGS) };
    case Op.Last:
      return { op: 'last' };
    case Op.FlowOffload:
      return { op: 'flow_offload', name: refs.str(u32(abi.FLOW_OFFLOAD_NAME), where) };
  }
  throw bad(`unknown opcode 0x${(op as number).toString(16)}`);
}
