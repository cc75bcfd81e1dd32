// Instruction records (docs/bytecode.md §3): one spec row per compiler
// instruction says which opcode of assembly/abi.ts it becomes and where each
// operand goes; a generic encoder and decoder walk the rows.
// `[ meta load l4proto => reg 1 ]` ⇄ 07 00 08 00 04 10 00 00
// (Op.Meta, size 8, dreg = word 4, key = MetaKey.L4proto).

import * as abi from '../assembly/abi.js';
import { NONE32, NONE8, Op, OPS, Tail } from '../assembly/abi.js';
import { align4, BytecodeError, type Reader, type Writer } from './bytecode-io.js';
import { smallBytes } from './datatype.js';
import type { Insn, VerdictData } from './insn.js';

/** A symbolic operand stored as a number (key names, nat kinds, families). */
class Names {
  private readonly codes: Map<string, number>;
  private readonly names: Map<number, string>;
  constructor(byName: Readonly<Record<string, number>>, readonly what: string) {
    this.codes = new Map(Object.entries(byName));
    this.names = new Map(Object.entries(byName).map(([k, v]) => [v, k]));
  }
  static list(names: string[], what: string): Names {
    return new Names(Object.fromEntries(names.map((n, i) => [n, i])), what);
  }
  code(name: string): number | undefined {
    return this.codes.get(name);
  }
  name(code: number): string | undefined {
    return this.names.get(code);
  }
}

/** Kernel helper names by CtHelper (NFTA_CT_HELPER_NAME). */
const CT_HELPERS = new Names({ ftp: abi.CtHelper.Ftp, tftp: abi.CtHelper.Tftp, irc: abi.CtHelper.Irc, sip: abi.CtHelper.Sip, sane: abi.CtHelper.Sane, amanda: abi.CtHelper.Amanda, pptp: abi.CtHelper.Pptp, snmp_trap: abi.CtHelper.SnmpTrap, 'netbios-ns': abi.CtHelper.NetbiosNs, 'Q.931': abi.CtHelper.H323 }, 'ct helper');

/** A boolean operand stored as one of two codes. */
class Bool {
  constructor(readonly yes: number, readonly no: number) {}
}

/**
 * How an operand is stored: `reg` a register as its word index (`reg?`:
 * NONE8 when absent), plain integers, `ms` a number in a u64, string/set/
 * object references by index, a verdict (code + chain), nested records.
 */
type Kind = 'reg' | 'reg?' | 'u8' | 'u8?' | 'u16' | 'u32' | 'u64' | 'ms' | 'str' | 'set' | 'obj' | 'verdict' | 'exprs' | Names | Bool;

/** The Insn variant of one op. */
type I<K extends Insn['op']> = Extract<Insn, { op: K }>;

/** One instruction's record: opcode, operand fields, inline data, fixed bytes. */
interface Spec<K extends Insn['op']> {
  op: Op;
  /** Insn property, offset in the record, storage, presence bit in the byte at `hasAt`. */
  fields: [keyof I<K> & string, number, Kind, number?][];
  /** Byte-array properties stored after the fixed part, their length at OPS[op].lenAt. */
  data?: (keyof I<K> & string)[];
  /** Insn property that must equal the data length. */
  lenField?: keyof I<K> & string;
  /** Constant bytes: [offset, value]. */
  consts?: [number, number][];
  /** Bytes appended to the fixed part (an operand of an OPS tail rule). */
  extra?: number;
  /** Offset of the byte holding the presence bits of optional fields. */
  hasAt?: number;
}

/** Meta key names as libnftnl prints them, indexed by abi.MetaKey. */
export const META_KEY_NAMES = [
  'len', 'protocol', 'priority', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid',
  'skgid', 'nftrace', 'rtclassid', 'secmark', 'nfproto', 'l4proto', 'bri_iifname', 'bri_oifname', 'pkttype',
  'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'prandom', 'secpath', 'iifkind', 'oifkind', 'bri_iifpvid',
  'bri_iifvproto', 'time', 'day', 'hour', 'sdif', 'sdifname', 'broute',
];
/** ct key names as the compiler spells them, indexed by abi.CtKey. */
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
export const VERDICTS = new Names({
  drop: abi.Verdict.Drop, accept: abi.Verdict.Accept, queue: abi.Verdict.Queue, continue: abi.Verdict.Continue,
  break: abi.Verdict.Break, jump: abi.Verdict.Jump, goto: abi.Verdict.Goto, return: abi.Verdict.Return,
}, 'verdict');

const META = Names.list(META_KEY_NAMES, 'meta key');
const CT = Names.list(CT_KEY_NAMES, 'ct key');
const BOOL = new Bool(1, 0);

/** Every compiler instruction but `raw` (printer-only text), by its op. */
const SPECS: { readonly [K in Exclude<Insn['op'], 'raw'>]: Spec<K> } = {
  payload: { op: Op.Payload, fields: [['dreg', abi.PAYLOAD_DREG, 'reg'], ['base', abi.PAYLOAD_BASE, 'u8'], ['len', abi.PAYLOAD_LEN, 'u8'], ['offset', abi.PAYLOAD_OFFSET, 'u32']] },
  payload_write: {
    op: Op.PayloadSet,
    fields: [
      ['sreg', abi.PAYLOAD_SET_SREG, 'reg'], ['base', abi.PAYLOAD_SET_BASE, 'u8'], ['len', abi.PAYLOAD_SET_LEN, 'u8'],
      ['csumType', abi.PAYLOAD_SET_CSUM_TYPE, 'u8'], ['offset', abi.PAYLOAD_SET_OFFSET, 'u32'],
      ['csumOff', abi.PAYLOAD_SET_CSUM_OFFSET, 'u8'], ['csumFlags', abi.PAYLOAD_SET_CSUM_FLAGS, 'u8'],
    ],
  },
  cmp: { op: Op.Cmp, fields: [['sreg', abi.CMP_SREG, 'reg'], ['cmp', abi.CMP_OP, 'u8']], data: ['data'] },
  range: { op: Op.Range, fields: [['sreg', abi.RANGE_SREG, 'reg'], ['neq', abi.RANGE_OP, new Bool(abi.RangeOp.Neq, abi.RangeOp.Eq)]], data: ['from', 'to'] },
  bitwise: {
    op: Op.Bitwise, fields: [['sreg', abi.BITWISE_SREG, 'reg'], ['dreg', abi.BITWISE_DREG, 'reg']],
    data: ['mask', 'xor'], lenField: 'len', consts: [[abi.BITWISE_OP, abi.BitwiseOp.MaskXor]],
  },
  bitwise_shift: {
    op: Op.Bitwise, extra: 4,
    fields: [
      ['sreg', abi.BITWISE_SREG, 'reg'], ['dreg', abi.BITWISE_DREG, 'reg'], ['len', abi.BITWISE_LEN, 'u8'],
      ['left', abi.BITWISE_OP, new Bool(abi.BitwiseOp.Lshift, abi.BitwiseOp.Rshift)], ['shift', abi.BITWISE_DATA, 'u32'],
    ],
  },
  byteorder: {
    op: Op.Byteorder,
    fields: [
      ['sreg', abi.BYTEORDER_SREG, 'reg'], ['dreg', abi.BYTEORDER_DREG, 'reg'], ['hton', abi.BYTEORDER_OP, new Bool(abi.ByteorderOp.Hton, abi.ByteorderOp.Ntoh)],
      ['len', abi.BYTEORDER_LEN, 'u8'], ['size', abi.BYTEORDER_SIZE, 'u8'],
    ],
  },
  meta: { op: Op.Meta, fields: [['dreg', abi.META_DREG, 'reg'], ['key', abi.META_KEY, META]] },
  meta_set: { op: Op.MetaSet, fields: [['sreg', abi.META_SET_SREG, 'reg'], ['key', abi.META_SET_KEY, META]] },
  ct: { op: Op.Ct, fields: [['dreg', abi.CT_DREG, 'reg'], ['key', abi.CT_KEY, CT], ['dir', abi.CT_DIR, 'u8?']] },
  ct_set: { op: Op.CtSet, fields: [['sreg', abi.CT_SET_SREG, 'reg'], ['key', abi.CT_SET_KEY, CT], ['dir', abi.CT_SET_DIR, 'u8?']] },
  immediate: { op: Op.Immediate, fields: [['dreg', abi.IMMEDIATE_DREG, 'reg']], data: ['data'] },
  // dreg stays word 0: that is what marks a verdict record.
  immediate_verdict: { op: Op.Immediate, fields: [['v', abi.IMMEDIATE_VERDICT_CODE, 'verdict']], consts: [[abi.IMMEDIATE_LEN, 8]], extra: 8 },
  lookup: { op: Op.Lookup, fields: [['sreg', abi.LOOKUP_SREG, 'reg'], ['dreg', abi.LOOKUP_DREG, 'reg?'], ['inv', abi.LOOKUP_FLAGS, new Bool(abi.LookupFlags.Inv, 0)], ['set', abi.LOOKUP_SET, 'set']] },
  dynset: {
    op: Op.Dynset,
    fields: [
      ['sregKey', abi.DYNSET_SREG_KEY, 'reg'], ['sregData', abi.DYNSET_SREG_DATA, 'reg?'], ['setOp', abi.DYNSET_OP, 'u8'],
      ['set', abi.DYNSET_SET, 'set'], ['timeout', abi.DYNSET_TIMEOUT, 'ms'], ['exprs', abi.DYNSET_EXPR_COUNT, 'exprs'],
    ],
  },
  counter: { op: Op.Counter, fields: [['pkts', abi.COUNTER_PKTS, 'u64'], ['bytes', abi.COUNTER_BYTES, 'u64']] },
  limit: {
    op: Op.Limit,
    fields: [
      ['bytes', abi.LIMIT_TYPE, new Bool(abi.LimitType.Bytes, abi.LimitType.Pkts)], ['flags', abi.LIMIT_FLAGS, 'u8'],
      ['rate', abi.LIMIT_RATE, 'u64'], ['burst', abi.LIMIT_BURST, 'u64'], ['unit', abi.LIMIT_UNIT, 'u32'],
    ],
  },
  quota: { op: Op.Quota, fields: [['flags', abi.QUOTA_FLAGS, 'u8'], ['bytes', abi.QUOTA_BYTES, 'u64'], ['consumed', abi.QUOTA_CONSUMED, 'u64']] },
  log: {
    op: Op.Log, hasAt: abi.LOG_HAS,
    fields: [
      ['flags', abi.LOG_FLAGS, 'u8'], ['prefix', abi.LOG_PREFIX, 'str', abi.LogHas.Prefix], ['group', abi.LOG_GROUP, 'u16', abi.LogHas.Group],
      ['snaplen', abi.LOG_SNAPLEN, 'u32', abi.LogHas.Snaplen], ['qthreshold', abi.LOG_QTHRESHOLD, 'u16', abi.LogHas.Qthreshold],
      ['level', abi.LOG_LEVEL, 'u8', abi.LogHas.Level],
    ],
  },
  reject: { op: Op.Reject, fields: [['type', abi.REJECT_TYPE, 'u8'], ['code', abi.REJECT_CODE, 'u8']] },
  nat: {
    op: Op.Nat,
    fields: [
      ['kind', abi.NAT_TYPE, new Names({ snat: abi.NatType.Snat, dnat: abi.NatType.Dnat }, 'nat type')],
      ['family', abi.NAT_FAMILY, new Names({ ip: abi.Family.Ipv4, ip6: abi.Family.Ipv6, inet: abi.Family.Inet }, 'nat family')],
      ['flags', abi.NAT_FLAGS, 'u16'], ['addrMin', abi.NAT_REG_ADDR_MIN, 'reg?'], ['addrMax', abi.NAT_REG_ADDR_MAX, 'reg?'],
      ['protoMin', abi.NAT_REG_PROTO_MIN, 'reg?'], ['protoMax', abi.NAT_REG_PROTO_MAX, 'reg?'],
    ],
  },
  masq: { op: Op.Masq, fields: [['protoMin', abi.MASQ_REG_PROTO_MIN, 'reg?'], ['protoMax', abi.MASQ_REG_PROTO_MAX, 'reg?'], ['flags', abi.MASQ_FLAGS, 'u16']] },
  redir: { op: Op.Redir, fields: [['protoMin', abi.REDIR_REG_PROTO_MIN, 'reg?'], ['protoMax', abi.REDIR_REG_PROTO_MAX, 'reg?'], ['flags', abi.REDIR_FLAGS, 'u16']] },
  notrack: { op: Op.Notrack, fields: [] },
  queue: { op: Op.Queue, fields: [['sregQnum', abi.QUEUE_SREG_QNUM, 'reg?'], ['flags', abi.QUEUE_FLAGS, 'u8'], ['total', abi.QUEUE_TOTAL, 'u16'], ['num', abi.QUEUE_NUM, 'u16']] },
  objref: { op: Op.Objref, fields: [['type', abi.OBJREF_TYPE, 'u8'], ['name', abi.OBJREF_OBJ, 'obj']] },
  objref_map: { op: Op.ObjrefMap, fields: [['sreg', abi.OBJREF_MAP_SREG, 'reg'], ['set', abi.OBJREF_MAP_SET, 'set']] },
  exthdr: {
    op: Op.Exthdr,
    fields: [
      ['dreg', abi.EXTHDR_DREG, 'reg'], ['exop', abi.EXTHDR_OP, 'u8'], ['type', abi.EXTHDR_TYPE, 'u8'], ['len', abi.EXTHDR_LEN, 'u8'],
      ['offset', abi.EXTHDR_OFFSET, 'u16'], ['flags', abi.EXTHDR_FLAGS, 'u8'],
    ],
  },
  exthdr_write: {
    op: Op.ExthdrSet,
    fields: [
      ['sreg', abi.EXTHDR_SET_SREG, 'reg'], ['exop', abi.EXTHDR_SET_OP, 'u8'], ['type', abi.EXTHDR_SET_TYPE, 'u8'],
      ['len', abi.EXTHDR_SET_LEN, 'u8'], ['offset', abi.EXTHDR_SET_OFFSET, 'u16'],
    ],
  },
  fib: { op: Op.Fib, fields: [['dreg', abi.FIB_DREG, 'reg'], ['result', abi.FIB_RESULT, 'u8'], ['flags', abi.FIB_FLAGS, 'u8']] },
  rt: { op: Op.Rt, fields: [['dreg', abi.RT_DREG, 'reg'], ['key', abi.RT_KEY, Names.list(RT_KEY_NAMES, 'rt key')]] },
  numgen: { op: Op.Numgen, fields: [['dreg', abi.NUMGEN_DREG, 'reg'], ['type', abi.NUMGEN_TYPE, 'u8'], ['mod', abi.NUMGEN_MODULUS, 'u32'], ['offset', abi.NUMGEN_OFFSET, 'u32']] },
  hash: {
    op: Op.Hash,
    fields: [
      ['dreg', abi.HASH_DREG, 'reg'], ['sreg', abi.HASH_SREG, 'reg'], ['len', abi.HASH_LEN, 'u8'], ['type', abi.HASH_TYPE, 'u8'],
      ['mod', abi.HASH_MODULUS, 'u32'], ['seed', abi.HASH_SEED, 'u32'], ['offset', abi.HASH_OFFSET, 'u32'],
    ],
  },
  socket: { op: Op.Socket, fields: [['dreg', abi.SOCKET_DREG, 'reg'], ['key', abi.SOCKET_KEY, Names.list(SOCKET_KEY_NAMES, 'socket key')], ['level', abi.SOCKET_LEVEL, 'u8']] },
  osf: { op: Op.Osf, fields: [['dreg', abi.OSF_DREG, 'reg'], ['ttl', abi.OSF_TTL, 'u8'], ['flags', abi.OSF_FLAGS, 'u8']] },
  xfrm: { op: Op.Xfrm, fields: [['dreg', abi.XFRM_DREG, 'reg'], ['key', abi.XFRM_KEY, Names.list(XFRM_KEY_NAMES, 'xfrm key')], ['dir', abi.XFRM_DIR, 'u8'], ['spnum', abi.XFRM_SPNUM, 'u32']] },
  tproxy: { op: Op.Tproxy, fields: [['family', abi.TPROXY_FAMILY, 'u8'], ['regAddr', abi.TPROXY_REG_ADDR, 'reg?'], ['regPort', abi.TPROXY_REG_PORT, 'reg?']] },
  dup: { op: Op.Dup, fields: [['regAddr', abi.DUP_REG_ADDR, 'reg?'], ['regDev', abi.DUP_REG_DEV, 'reg?']] },
  fwd: { op: Op.Fwd, fields: [['regDev', abi.FWD_REG_DEV, 'reg'], ['regAddr', abi.FWD_REG_ADDR, 'reg?'], ['family', abi.FWD_FAMILY, 'u8?']] },
  // The compiler does not track synproxy flags yet; SYNPROXY_FLAGS stays 0.
  synproxy: { op: Op.Synproxy, fields: [['wscale', abi.SYNPROXY_WSCALE, 'u8'], ['mss', abi.SYNPROXY_MSS, 'u16']] },
  connlimit: { op: Op.Connlimit, fields: [['flags', abi.CONNLIMIT_FLAGS, 'u8'], ['count', abi.CONNLIMIT_COUNT, 'u32']] },
  last: { op: Op.Last, fields: [] },
  flow_offload: { op: Op.FlowOffload, fields: [['name', abi.FLOW_OFFLOAD_NAME, 'str']] },
  ct_timeout: { op: Op.CtTimeoutObj, fields: [['l3proto', abi.CT_TIMEOUT_OBJ_L3PROTO, 'u8'], ['l4proto', abi.CT_TIMEOUT_OBJ_L4PROTO, 'u8']], data: ['timeouts'] },
  ct_helper: {
    op: Op.CtHelperObj,
    fields: [['l3proto', abi.CT_HELPER_OBJ_L3PROTO, 'u8'], ['l4proto', abi.CT_HELPER_OBJ_L4PROTO, 'u8'], ['helper', abi.CT_HELPER_OBJ_HELPER, CT_HELPERS]],
  },
};

type InsnOp = keyof typeof SPECS;
type AnySpec = Spec<InsnOp> & { fields: [string, number, Kind, number?][]; data?: string[]; lenField?: string };
const spec = (op: InsnOp) => SPECS[op] as unknown as AnySpec;

/** The opcode of each compiler instruction; `raw` (printer-only text) has none. */
export const INSN_OPCODE: { readonly [K in Insn['op']]: Op | undefined } = {
  ...(Object.fromEntries(Object.entries(SPECS).map(([k, s]) => [k, s.op])) as Record<InsnOp, Op>),
  raw: undefined,
};

/** The instruction a record decodes to; two opcodes carry two instructions each. */
function insnOp(r: Reader, pos: number): InsnOp {
  const op = r.u8(pos) as Op;
  if (op === Op.Bitwise) return r.u8(pos + abi.BITWISE_OP) === abi.BitwiseOp.MaskXor ? 'bitwise' : 'bitwise_shift';
  if (op === Op.Immediate) return r.u8(pos + abi.IMMEDIATE_DREG) === 0 ? 'immediate_verdict' : 'immediate';
  return OP_INSN[op]!;
}
const OP_INSN: Partial<Record<Op, InsnOp>> = Object.fromEntries(Object.entries(SPECS).map(([k, s]) => [s.op, k]));

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

/** Netlink register number → word index (nft_parse_register). */
function word(reg: unknown): number {
  const w = typeof reg === 'number' ? abi.NFT_REG_TO_WORD[reg] : undefined;
  if (w === undefined || w < 0) throw new BytecodeError(`register ${String(reg)} out of range`);
  return w;
}

/** Encodes a verdict as code (i32) and chain index (u32, NONE32 without a chain). */
export function encodeVerdict(w: Writer, pos: number, v: VerdictData, refs: EncodeRefs): void {
  const code = VERDICTS.code(v.verdict);
  if (code === undefined) throw new BytecodeError(`unknown verdict '${v.verdict}'`);
  w.i32(pos, code);
  w.u32(pos + 4, v.chain === undefined ? NONE32 : refs.chain(v.chain));
}

/** Decodes a verdict written by encodeVerdict. */
export function decodeVerdict(r: Reader, pos: number, refs: DecodeRefs, where: () => string): VerdictData {
  const code = r.i32(pos);
  const verdict = VERDICTS.name(code);
  if (verdict === undefined) throw new BytecodeError(`unknown verdict code ${code} at ${where()}`);
  const chain = r.u32(pos + 4);
  if (chain !== NONE32) return { verdict, chain: refs.chain(chain, where) };
  if (code === abi.Verdict.Jump || code === abi.Verdict.Goto) throw new BytecodeError(`${verdict} without a chain at ${where()}`);
  return { verdict };
}

function put(w: Writer, pos: number, kind: Kind, v: unknown, refs: EncodeRefs, name: string): void {
  if (kind instanceof Names) {
    const code = kind.code(v as string);
    if (code === undefined) throw new BytecodeError(`unknown ${kind.what} '${String(v)}'`);
    return w.u8(pos, code);
  }
  if (kind instanceof Bool) return w.u8(pos, v ? kind.yes : kind.no);
  switch (kind) {
    case 'reg':
      return w.u8(pos, word(v));
    case 'reg?':
      return w.u8(pos, v === undefined ? NONE8 : word(v));
    case 'u8':
      return w.u8(pos, v as number, name);
    case 'u8?':
      if (v === NONE8) throw new BytecodeError(`${name} 255 is reserved for 'absent'`);
      return w.u8(pos, v === undefined ? NONE8 : (v as number), name);
    case 'u16':
      return w.u16(pos, v as number, name);
    case 'u32':
      return w.u32(pos, v as number, name);
    case 'u64':
    case 'ms':
      return w.u64(pos, v as bigint | number, name);
    case 'str':
      return w.u32(pos, refs.str(v as string));
    case 'set':
      return w.u32(pos, refs.set(v as string));
    case 'obj':
      return w.u32(pos, refs.object(v as string));
    case 'verdict':
      return encodeVerdict(w, pos, v as VerdictData, refs);
    case 'exprs': {
      const exprs = v as Insn[];
      w.u8(pos, exprs.length, 'expression count');
      exprs.forEach((e, j) => {
        if (e.op === 'dynset') throw new BytecodeError(`expr ${j}: dynset inside dynset`);
        try {
          encodeInsn(w, e, refs);
        } catch (err) {
          throw err instanceof BytecodeError ? new BytecodeError(`expr ${j}: ${err.message}`) : err;
        }
      });
    }
  }
}

/** Appends the record of one instruction; throws a BytecodeError naming the bad operand. */
export function encodeInsn(w: Writer, i: Insn, refs: EncodeRefs): void {
  if (i.op === 'raw') throw new BytecodeError(`'${i.text}' is printer text, not an instruction`);
  if (i.op === 'immediate' && word(i.dreg) === 0) throw new BytecodeError(`data immediate into the verdict register`);
  const s = spec(i.op);
  const info = OPS[s.op]!;
  const p = w.reserve(info.size + (s.extra ?? 0));
  const vals = i as unknown as Record<string, unknown>;
  w.u8(p + abi.REC_OP, s.op);
  // Indexed loops, no destructuring: this runs for every instruction of an image.
  const consts = s.consts;
  if (consts) for (let k = 0; k < consts.length; k++) w.u8(p + consts[k]![0], consts[k]![1]);
  let has = 0;
  const fields = s.fields;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    const name = f[0];
    const at = f[1];
    const kind = f[2];
    const bit = f[3];
    const v = vals[name];
    if (bit !== undefined) {
      if (v === undefined) continue;
      has |= bit;
    }
    put(w, p + at, kind, v, refs, name);
  }
  if (s.hasAt !== undefined) w.u8(p + s.hasAt, has);
  if (s.data) {
    const len = (vals[s.data[0]!] as Uint8Array).length;
    if (s.lenField !== undefined && vals[s.lenField] !== len) throw new BytecodeError(`${i.op} ${s.lenField} ${String(vals[s.lenField])} with ${len} data bytes`);
    w.u8(p + info.lenAt, len, 'data length');
    for (let k = 0; k < s.data.length; k++) {
      const f = s.data[k]!;
      const b = vals[f] as Uint8Array;
      if (b.length !== len) throw new BytecodeError(`${i.op} ${f} of ${b.length} bytes, expected ${len}`);
      w.bytes(b);
    }
  }
  w.u16(p + abi.REC_SIZE, w.len - p, 'record size');
}

/** Checks the record at `pos` (header, opcode, size against the opcode table, bounds) and returns its size. */
export function recordSize(r: Reader, pos: number, end: number, where: () => string): number {
  if (pos + abi.REC_HEADER_SIZE > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const op = r.u8(pos + abi.REC_OP);
  const size = r.u16(pos + abi.REC_SIZE);
  if (op === 0 || op >= abi.OP_COUNT) throw new BytecodeError(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at ${where()}`);
  if (pos + size > end) throw new BytecodeError(`truncated record at offset ${pos} (${where()})`);
  const info = OPS[op]!;
  if (r.u8(pos + 1) !== 0 || size % 4 !== 0 || size < info.size) throw new BytecodeError(`bad ${info.expr} record header at offset ${pos} (${where()})`);
  const len = info.lenAt ? r.u8(pos + info.lenAt) : 0;
  let want = info.size;
  if (info.tail === Tail.Data) want += align4(len);
  else if (info.tail === Tail.Data2) want += 2 * align4(len);
  else if (info.tail === Tail.Bitwise) want += r.u8(pos + abi.BITWISE_OP) === abi.BitwiseOp.MaskXor ? 2 * align4(len) : 4;
  else if (info.tail === Tail.Nested) want = size; // checked while walking the nested records
  if (size !== want) throw new BytecodeError(`${info.expr} record at offset ${pos} is ${size} bytes, its operands need ${want} (${where()})`);
  return size;
}

/**
 * A copy of `len` data-operand bytes (cmp data, bitwise masks ...) at `q`, a
 * view of a shared buffer (smallBytes): an ArrayBuffer per operand was a
 * quarter of a decoded image's heap.
 */
function sharedCopy(r: Reader, q: number, len: number): Uint8Array {
  const out = smallBytes(len);
  for (let i = 0; i < len; i++) out[i] = r.buf[q + i]!;
  return out;
}

function badAt(what: string, where: () => string): BytecodeError {
  return new BytecodeError(`${what} at ${where()}`);
}

/** Decodes the record at `pos`, already checked by recordSize. */
export function decodeInsn(r: Reader, pos: number, size: number, refs: DecodeRefs, where: () => string, nested = false, shared = false): Insn {
  const name = insnOp(r, pos);
  const s = spec(name);
  // `{}` has room for four properties in the object itself; `{ op }` has one, the rest in a separate array.
  const insn: Record<string, unknown> = {};
  insn.op = name;
  // Indexed loops, no destructuring: this runs for every instruction of an image (600,000 for 100,000 rules).
  const consts = s.consts;
  if (consts) {
    for (let k = 0; k < consts.length; k++) {
      const [at, v] = consts[k]!;
      if (r.u8(pos + at) !== v) throw badAt(`byte ${at} of ${name} is ${r.u8(pos + at)}, expected ${v}`, where);
    }
  }
  const has = s.hasAt !== undefined ? r.u8(pos + s.hasAt) : 0;
  const fields = s.fields;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    const field = f[0];
    const at = f[1];
    const kind = f[2];
    const bit = f[3];
    if (bit !== undefined && !(has & bit)) continue;
    const q = pos + at;
    let v: unknown;
    if (kind instanceof Names) {
      v = kind.name(r.u8(q));
      if (v === undefined) throw badAt(`unknown ${kind.what} ${r.u8(q)}`, where);
    } else if (kind instanceof Bool) {
      const b = r.u8(q);
      if (b !== kind.yes && b !== kind.no) throw badAt(`bad ${name} ${field} ${b}`, where);
      v = b === kind.yes;
    } else if (kind === 'reg' || (kind === 'reg?' && r.u8(q) !== NONE8)) {
      const n = abi.NFT_WORD_TO_REG[r.u8(q)];
      if (n === undefined || n < 0) throw badAt(`register word ${r.u8(q)} out of range`, where);
      v = n;
    } else if (kind === 'u8' || (kind === 'u8?' && r.u8(q) !== NONE8)) v = r.u8(q);
    else if (kind === 'u16') v = r.u16(q);
    else if (kind === 'u32') v = r.u32(q);
    else if (kind === 'u64') v = r.u64(q);
    else if (kind === 'ms') v = r.u64n(q);
    else if (kind === 'str') v = refs.str(r.u32(q), where);
    else if (kind === 'set') v = refs.set(r.u32(q), where);
    else if (kind === 'obj') v = refs.object(r.u32(q), where);
    else if (kind === 'verdict') v = decodeVerdict(r, q, refs, where);
    else if (kind === 'exprs') v = decodeNested(r, pos, size, r.u8(q), refs, where, nested);
    if (v !== undefined) insn[field] = v;
  }
  if (s.data) {
    const len = r.u8(pos + OPS[s.op]!.lenAt);
    let q = pos + OPS[s.op]!.size;
    for (let k = 0; k < s.data.length; k++) {
      insn[s.data[k]!] = shared ? sharedCopy(r, q, len) : r.bytes(q, len);
      q += align4(len);
    }
    if (s.lenField !== undefined) insn[s.lenField] = len;
  }
  return insn as unknown as Insn;
}

/** The `count` records nested after the fixed part of the record at `pos` (dynset expressions). */
function decodeNested(r: Reader, pos: number, size: number, count: number, refs: DecodeRefs, where: () => string, nested: boolean): Insn[] {
  if (nested) throw new BytecodeError(`dynset inside dynset at ${where()}`);
  const out: Insn[] = [];
  const end = pos + size;
  let q = pos + OPS[r.u8(pos)]!.size;
  for (let j = 0; j < count; j++) {
    const sub = () => `expr ${j} of ${where()}`;
    const n = recordSize(r, q, end, sub);
    out.push(decodeInsn(r, q, n, refs, sub, true));
    q += n;
  }
  if (q !== end) throw new BytecodeError(`${end - q} stray bytes after the nested expressions at ${where()}`);
  return out;
}
