// Evaluation and linearization of one rule (nftables: src/evaluate.c and
// src/netlink_linearize.c, rewritten): types the statements, inserts
// protocol dependencies, allocates registers and emits the kernel
// expressions. Example: `tcp dport 22` in an ip table →
//   meta load l4proto; cmp eq 6; payload load 2b @ transport + 2; cmp eq 0x1600.

import type { Elem, Expr, RelOp, Stmt } from './ast.js';
import { CompileError, msg } from './diagnostics.js';
import {
  bytesToNum, datatype, encodeNum, parseLiteral, SET_TYPE_NAMES, type Datatype, type Value,
  ICMP_CODES, ICMPV6_CODES, ICMPX_CODES,
} from './datatype.js';
import type { Insn, VerdictData } from './insn.js';
import { Base, findField, protocols, type Proto } from './proto/index.js';
import { META_KEYS } from './expr/meta-keys.js';
import { CT_KEYS } from './expr/ct-keys.js';
import { exthdrField } from './expr/exthdr.js';
import { mergePayloadMatches, type PayloadMatch, type Segment } from './expr/payload-merge.js';
import { RegAlloc, netlinkReg } from './regs.js';
import type { Span } from './source.js';

/** A set as nft sends it (anonymous or named). */
export interface SetDef {
  name: string;
  table: string;
  family: string;
  flags: number;
  keyType: Datatype;
  keyBits: number;
  keyParts?: { type: Datatype; bits: number }[];
  dataType?: Datatype;
  dataBits?: number;
  dataParts?: { type: Datatype; bits: number }[];
  verdictMap?: boolean;
  objMap?: number;
  elements: SetElem[];
  size?: number;
  timeout?: number;
  gcInterval?: number;
  anonymous: boolean;
  /** The element batch header is printed even without elements (meters). */
  emptyBatch?: boolean;
  stmts?: Insn[];
  policy?: string;
  comment?: string;
  declElems?: number;
  autoMerge?: boolean;
}

/** One element as sent: key bytes, optional key end, data, flags. */
export interface SetElem {
  key: Uint8Array[]; // one entry per (4-byte padded) component
  keyEnd?: Uint8Array[];
  data?: Uint8Array;
  verdict?: VerdictData;
  flags: number;
  timeout?: number;
  expires?: number;
  comment?: string;
  /** Start of an interval that reaches the top of the key space (no end element). */
  open?: boolean;
  exprs?: Insn[];
}

/** What the rule compiler needs to know about the table around it. */
export interface TableCtx {
  family: string;
  name: string;
  sets: Map<string, SetDef>;
  chains: Map<string, { base: boolean; hook?: string; type?: string }>;
  objects: Map<string, string>;
}

/** A typed left-hand side, ready to be loaded into a register. */
interface LExpr {
  type: Datatype;
  /** Width of the value in bits (as the user sees it). */
  bits: number;
  /** Bytes the value occupies in the register. */
  len: number;
  order: 'be' | 'host';
  /** Constants are shifted left by this many bits (sub-byte fields). */
  shift: number;
  /** Emits dependencies and the load into `dreg` (an allocation unit). */
  load(dreg: number): void;
  /** Payload field info, for shortened prefix loads and payload writes. */
  payload?: { base: number; bitOffset: number; bitLen: number; proto: Proto };
  /** Components of a concatenation. */
  parts?: LExpr[];
  /** The meta or ct key, for statements that set it. */
  key?: { kind: 'meta' | 'ct'; name: string; dir?: number };
  /** True when nft inserts `byteorder` before ordering comparisons. */
  hostNumeric: boolean;
  /** Protocol context this expression establishes when compared for equality. */
  protoKey?: 'nfproto' | 'l4proto' | 'ipproto' | 'ethertype' | 'nexthdr';
  span: Span;
}

const CMP = { '==': 0, '!=': 1, '<': 2, '<=': 3, '>': 4, '>=': 5 } as const;
const NFPROTO: Record<string, number> = { ip: 2, ip6: 10 };

/** Compiles one rule into instructions plus the anonymous sets it needs. */
export class RuleCompiler {
  insns: Insn[] = [];
  anonSets: SetDef[] = [];
  private regs = new RegAlloc();
  private nh?: string;
  private th?: string;
  private llVlan = false;
  private verdictSeen = false;

  constructor(
    private table: TableCtx,
    private chain: { name: string; hook?: string; type?: string; base: boolean },
  ) {}

  private get family(): string {
    return this.table.family;
  }

  private err(span: Span, message: string): never {
    throw new CompileError(span, message);
  }

  /** Compiles all statements, then merges adjacent payload matches as nft does. */
  compile(stmts: Stmt[]): void {
    for (const s of stmts) {
      this.stmt(s);
      this.closeSegment(s.k !== 'match');
    }
    this.insns = mergePayloadMatches(this.segments);
  }

  // Statement boundaries for payload merging; dependencies are statements of their own.
  private segments: Segment[] = [];
  private segmentStart = 0;
  private pendingMatch?: PayloadMatch;

  private closeSegment(barrier: boolean): void {
    if (this.insns.length > this.segmentStart) {
      this.segments.push({ insns: this.insns.slice(this.segmentStart), barrier, pm: this.pendingMatch });
    }
    this.segmentStart = this.insns.length;
    this.pendingMatch = undefined;
  }

  // ------------------------------------------------------------------
  // dependencies: nft inserts them as statements of their own before the
  // statement that needs them, so they always use reg 1 and come before
  // any load of that statement.
  private depMatch(load: Insn, data: Uint8Array): void {
    this.closeSegment(false);
    this.insns.push(load, { op: 'cmp', cmp: 0, sreg: 1, data });
    if (load.op === 'payload') {
      // ether type / vlan type: a protocol field that may merge with neighbours
      this.pendingMatch = { base: load.base, offset: load.offset, len: load.len, neq: false, data, protocol: true };
    }
    this.closeSegment(false);
  }

  private needNetwork(proto: Proto, span: Span): void {
    const fam = this.family;
    if (proto.name === 'arp') {
      if (fam === 'arp') return;
      // Only ip/ip6 use `meta protocol` in bridge tables; arp is matched in the Ethernet header.
      if (fam === 'bridge' || fam === 'netdev') return this.needEthertype('arp', 0x0806, span, fam === 'bridge');
      this.err(span, `conflicting protocols specified: ${fam} vs. arp`);
    }
    if (this.nh === proto.name) return;
    if (this.nh && this.nh !== proto.name) this.err(span, `conflicting protocols specified: ${this.nh} vs. ${proto.name}`);
    if (fam === 'ip' || fam === 'ip6') {
      if (fam !== proto.name) this.err(span, `conflicting protocols specified: ${fam === 'ip' ? 'ip' : 'ip6'} vs. ${proto.name}`);
      this.nh = proto.name;
      return;
    }
    if (fam === 'inet' && this.llDep) return this.needEthertype(proto.name, proto.protoKey!, span);
    if (fam === 'inet') {
      this.depMatch({ op: 'meta', key: 'nfproto', dreg: 1 }, new Uint8Array([NFPROTO[proto.name]!]));
      this.nh = proto.name;
      return;
    }
    if (fam === 'bridge' || fam === 'netdev') return this.needEthertype(proto.name, proto.protoKey!, span);
    this.err(span, `conflicting protocols specified: ${fam} vs. ${proto.name}`);
  }

  /**
   * The network protocol below a bridge/netdev field: `meta protocol`, or the
   * Ethernet/VLAN type field once the rule has established an Ethernet header.
   */
  private needEthertype(name: string, etype: number, _span: Span, viaLink = false): void {
    if (this.nh === name) return;
    const load: Insn = this.llVlan ? { op: 'payload', dreg: 1, base: 0, offset: 16, len: 2 }
      : this.llDep || viaLink ? { op: 'payload', dreg: 1, base: 0, offset: 12, len: 2 } : { op: 'meta', key: 'protocol', dreg: 1 };
    this.depMatch(load, encodeNum(BigInt(etype), 2, 'be'));
    this.nh = name;
  }

  private needTransport(proto: Proto, span: Span): void {
    if (proto.name === 'th') return;
    if (this.th === proto.name) return;
    if (this.th && this.th !== proto.name) this.err(span, `conflicting protocols specified: ${this.th} vs. ${proto.name}`);
    const l3 = proto.name === 'icmp' || proto.name === 'igmp' ? protocols.ip! : proto.name === 'icmpv6' ? protocols.ip6! : undefined;
    // nft does not check that an ip6 context suits `icmp`.
    if (l3) this.impliedNetwork(l3, span);
    if (this.family === 'arp') this.err(span, `conflicting protocols specified: arp vs. ${proto.name}`);
    this.depMatch({ op: 'meta', key: 'l4proto', dreg: 1 }, new Uint8Array([proto.protoKey!]));
    this.th = proto.name;
  }

  /**
   * The network protocol an ICMP header or an IP option implies, matched only
   * where the table and the rule leave it open.
   */
  private impliedNetwork(l3: Proto, span: Span): void {
    if (this.nh || (this.family !== 'inet' && this.family !== 'bridge' && this.family !== 'netdev')) return;
    // A bridge's Ethernet header is known, so the implied protocol is matched there.
    if (this.family === 'bridge') this.needEthertype(l3.name, l3.protoKey!, span, true);
    else this.needNetwork(l3, span);
  }

  /** Link-layer fields: outside bridge tables the device must be Ethernet (`meta iiftype ether`). */
  private needLink(proto: Proto, span: Span): void {
    if (this.family === 'ip' || this.family === 'ip6' || this.family === 'inet' || this.family === 'netdev') {
      if (!this.llDep) this.depMatch({ op: 'meta', key: 'iiftype', dreg: 1 }, encodeNum(1n, 2, 'host'));
      this.llDep = true;
    } else if (this.family !== 'bridge') {
      this.err(span, `conflicting protocols specified`);
    }
    if (proto.name === 'vlan' && !this.llVlan) {
      this.depMatch({ op: 'payload', dreg: 1, base: 0, offset: 12, len: 2 }, encodeNum(0x8100n, 2, 'be'));
      this.llVlan = true;
    }
  }
  private llDep = false;

  // ------------------------------------------------------------------
  // left-hand sides
  /** Types an expression that produces a value at run time. */
  lhs(e: Expr): LExpr {
    switch (e.k) {
      case 'payload':
        return this.payloadExpr(e.proto, e.field, e.span);
      case 'raw':
        return this.rawExpr(e);
      case 'meta':
        return this.metaExpr(e.key, e.span);
      case 'ct':
        return this.ctExpr(e);
      case 'concat':
        return this.concatExpr(e.parts, e.span);
      case 'binop':
        return this.binopExpr(e);
      case 'exthdr':
        return this.exthdrExpr(e);
      case 'fib':
        return this.fibExpr(e);
      case 'rt':
        return this.rtExpr(e);
      case 'numgen':
        return this.simple(datatype('integer_host'), 32, e.span, (d) =>
          this.insns.push({ op: 'numgen', dreg: netlinkReg(d), type: e.type === 'inc' ? 0 : 1, mod: e.mod, offset: e.offset }));
      case 'hash':
        return this.hashExpr(e);
      case 'socket':
        return this.socketExpr(e);
      case 'osf':
        return this.simple(datatype('string'), 128, e.span, (d) => this.insns.push({ op: 'osf', dreg: netlinkReg(d), ttl: e.ttl === 'loose' ? 1 : e.ttl === 'skip' ? 2 : 0, flags: e.key === 'version' ? 1 : 0 }));
      case 'ipsec':
        return this.ipsecExpr(e);
      case 'map':
        return this.mapExpr(e);
      case 'sym':
        this.err(e.span, `syntax error, unexpected ${e.tok === 'number' ? 'number' : 'string'}`);
      default:
        this.err(e.span, `Expression is not supported here`);
    }
  }

  private simple(type: Datatype, bits: number, span: Span, load: (d: number) => void, order = type.order): LExpr {
    const len = Math.ceil(bits / 8);
    return { type, bits, len, order, shift: 0, load, hostNumeric: order === 'host' && !type.string, span };
  }

  private payloadExpr(protoName: string, fieldName: string, span: Span): LExpr {
    const proto = protocols[protoName]!;
    const field = findField(protoName, fieldName);
    if (!field) this.err(span, `unknown field ${fieldName}`);
    this.payloadDep(proto, span);
    const l = this.fieldLoad(proto, field.offset, field.len, datatype(field.type === 'integer' ? 'integer' : field.type), span);
    l.protoKey = field.selects;
    if (field.icmpTypes) this.needIcmpType(proto, field.icmpTypes, span);
    return l;
  }

  /** `icmp id` exists only in echo messages: match the type unless the rule already did. */
  private needIcmpType(proto: Proto, types: number[], span: Span): void {
    if (this.icmpType !== undefined) {
      if (!types.includes(this.icmpType)) this.err(span, `incompatible icmp match: rule has ${this.icmpType}, need ${types[0]}`);
      return;
    }
    const load: Insn = { op: 'payload', dreg: 1, base: Base.Transport, offset: 0, len: 1 };
    if (types.length === 1) {
      this.closeSegment(false);
      this.insns.push(load, { op: 'cmp', cmp: 0, sreg: 1, data: new Uint8Array([types[0]!]) });
      this.pendingMatch = { base: Base.Transport, offset: 0, len: 1, neq: false, data: new Uint8Array([types[0]!]), protocol: false };
      this.closeSegment(false);
      this.icmpType = types[0];
      return;
    }
    const keyType = datatype(proto.name === 'icmp' ? 'icmp_type' : 'icmpv6_type');
    const set: SetDef = {
      name: '__set%d', table: this.table.name, family: this.family, flags: 0x3, keyType, keyBits: 8,
      keyParts: [{ type: keyType, bits: 8 }], elements: types.map((t) => ({ key: [pad4(new Uint8Array([t]))], flags: 0 })),
      size: types.length, anonymous: true,
    };
    this.anonSets.push(set);
    this.closeSegment(false);
    this.insns.push(load, { op: 'lookup', sreg: 1, set: set.name, inv: false });
    this.closeSegment(false);
  }
  private icmpType?: number;

  /** A header field: the covering bytes are loaded, a sub-byte field masked. */
  private fieldLoad(proto: Proto, bitOffset: number, bitLen: number, type: Datatype, span: Span): LExpr {
    const base = proto.base as number;
    return {
      ...this.bitField(bitOffset, bitLen, type, span, (d, offset, len) => this.insns.push({ op: 'payload', dreg: netlinkReg(d), base, offset, len })),
      payload: { base, bitOffset, bitLen, proto },
    };
  }

  /**
   * A big-endian field `bitLen` bits long at `bitOffset`: `load` fetches the
   * whole bytes covering it, then a bitwise mask isolates it. Constants are
   * shifted into place instead of shifting the register.
   */
  private bitField(bitOffset: number, bitLen: number, type: Datatype, span: Span, load: (d: number, offset: number, len: number) => void): LExpr {
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
        if (mask) this.insns.push({ op: 'bitwise', sreg: netlinkReg(d), dreg: netlinkReg(d), len, mask, xor: new Uint8Array(len) });
      },
    };
  }

  private payloadDep(proto: Proto, span: Span): void {
    if (proto.base === Base.LL) this.needLink(proto, span);
    else if (proto.base === Base.Network) this.needNetwork(proto, span);
    else if (proto.base === Base.Transport) this.needTransport(proto, span);
  }

  /** `@nh,96,32`: a field by base, bit offset and bit length, without dependencies. */
  private rawExpr(e: Expr & { k: 'raw' }): LExpr {
    const base = { ll: Base.LL, nh: Base.Network, th: Base.Transport, ih: Base.Inner }[e.base];
    return this.fieldLoad({ name: '@' + e.base, base, fields: [] }, e.offset, e.len, datatype('integer'), e.span);
  }

  private metaExpr(key: string, span: Span): LExpr {
    const m = META_KEYS[key];
    if (!m) this.err(span, `unknown meta key ${key}`);
    const type = datatype(m.type);
    const l = this.simple(type, m.bits, span, (d) => this.insns.push({ op: 'meta', key: m.print, dreg: netlinkReg(d) }));
    l.key = { kind: 'meta', name: m.print };
    if (key === 'nfproto') l.protoKey = 'nfproto';
    if (key === 'l4proto') l.protoKey = 'l4proto';
    if (key === 'protocol') l.protoKey = 'ethertype';
    if (m.bits < 8) l.len = 1;
    return l;
  }

  private ctExpr(e: Expr & { k: 'ct' }): LExpr {
    const info = CT_KEYS[e.key];
    if (!info) this.err(e.span, `unknown ct key ${e.key}`);
    let dir = e.dir === undefined ? undefined : e.dir === 'original' ? 0 : 1;
    let print = info.print;
    let type = datatype(info.type);
    let bits = info.bits;
    if (info.addr) {
      // ct saddr/daddr: address family from the table or an explicit ip/ip6.
      if (dir === undefined) this.err(e.span, `missing direction for ct ${e.key}`);
      const fam = e.l3 ?? (this.family === 'ip' || this.family === 'ip6' ? this.family : this.nh === 'ip' || this.nh === 'ip6' ? this.nh : undefined);
      if (!e.l3 && fam) {
        type = datatype(fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr');
        bits = fam === 'ip' ? 32 : 128;
      } else if (e.l3) {
        type = datatype(e.l3 === 'ip' ? 'ipv4_addr' : 'ipv6_addr');
        bits = e.l3 === 'ip' ? 32 : 128;
        print = `${print}_${e.l3 === 'ip' ? 'ip' : 'ip6'}`;
      } else {
        this.err(e.span, `cannot determine ip protocol version, use "ip ${e.key}" or "ip6 ${e.key}" instead`);
      }
    } else if (info.needDir && dir === undefined) {
      this.err(e.span, `missing direction for ct ${e.key}`);
    }
    // Port values need a known transport protocol (`ct protocol tcp`, `meta l4proto tcp` ...).
    if (info.needDir && !this.th) type = datatype('invalid');
    const l = this.simple(type, bits, e.span, (d) => this.insns.push({ op: 'ct', key: print, dreg: netlinkReg(d), dir }));
    l.key = { kind: 'ct', name: print, dir };
    if (e.key === 'protocol') l.protoKey = 'l4proto';
    if (e.key === 'l3proto') l.protoKey = 'nfproto';
    if (bits < 8) l.len = 1;
    return l;
  }

  private concatExpr(parts: Expr[], span: Span): LExpr {
    const ls = parts.map((p) => this.lhs(p));
    const lens = ls.map((l) => Math.ceil(l.len / 4) * 4);
    const total = lens.reduce((a, b) => a + b, 0);
    const self = this;
    return {
      type: datatype('integer'), bits: total * 8, len: total, order: 'be', shift: 0, hostNumeric: false, span,
      parts: ls,
      load(d) {
        let u = d;
        for (let i = 0; i < ls.length; i++) {
          ls[i]!.load(u);
          u += lens[i]! / 4;
        }
        void self;
      },
    };
  }

  private binopExpr(e: Expr & { k: 'binop' }): LExpr {
    const l = this.lhs(e.l);
    const self = this;
    if (e.op === '<<' || e.op === '>>') {
      const n = this.constNum(e.r, datatype('integer_host'));
      return {
        ...l, shift: 0, payload: undefined, parts: undefined,
        load(d) {
          l.load(d);
          self.insns.push({ op: 'bitwise_shift', sreg: netlinkReg(d), dreg: netlinkReg(d), len: l.len, left: e.op === '<<', shift: Number(n) });
        },
      };
    }
    const v = this.constBytes(l, e.r);
    const len = l.len;
    let mask: Uint8Array;
    let xor: Uint8Array;
    if (e.op === '&') {
      mask = v;
      xor = new Uint8Array(len);
    } else if (e.op === '|') {
      mask = v.map((b) => ~b & 0xff);
      xor = v;
    } else {
      mask = new Uint8Array(len).fill(0xff);
      xor = v;
    }
    return {
      ...l, payload: undefined, parts: undefined,
      load(d) {
        l.load(d);
        // A sub-byte field's own mask folds into this one.
        const last = self.insns[self.insns.length - 1];
        if (last && last.op === 'bitwise' && l.payload && last.dreg === netlinkReg(d) && l.shift + l.bits !== l.len * 8) {
          self.insns.pop();
        }
        // Chained constant ops (`mark and 0xff or 0x1000`) fold into one mask-xor.
        if (last && last.op === 'bitwise' && last.dreg === netlinkReg(d) && e.l.k === 'binop' && e.l.op !== '<<' && e.l.op !== '>>') {
          self.insns.pop();
          const m = last.mask.map((b, i) => b & mask[i]!);
          const x = last.xor.map((b, i) => (b & mask[i]!) ^ xor[i]!);
          self.insns.push({ op: 'bitwise', sreg: last.sreg, dreg: netlinkReg(d), len, mask: m, xor: x });
          return;
        }
        self.insns.push({ op: 'bitwise', sreg: netlinkReg(d), dreg: netlinkReg(d), len, mask, xor });
      },
    };
  }

  private exthdrExpr(e: Expr & { k: 'exthdr' }): LExpr {
    const f = exthdrField(e.op, e.hdr, e.field, e.index, e.raw);
    if (!f) this.err(e.span, `unknown ${e.op} header field ${e.hdr} ${e.field}`);
    const exop = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 }[e.op];
    if (e.op === 'ipv4' || e.op === 'ipv6') {
      const l3 = e.op === 'ipv4' ? protocols.ip! : protocols.ip6!;
      const other = this.family === 'ip' || this.family === 'ip6' ? this.family : this.nh;
      if (other && other !== l3.name && other !== 'arp') this.err(e.span, `cannot use exthdr with ${other}`);
      this.impliedNetwork(l3, e.span);
    }
    if (f.exists) {
      return this.simple(datatype('boolean'), 1, e.span, (d) =>
        this.insns.push({ op: 'exthdr', exop, dreg: netlinkReg(d), type: f.type, offset: 0, len: 1, flags: 1 }));
    }
    return this.bitField(f.offset, f.len, datatype(f.dtype), e.span, (d, offset, len) =>
      this.insns.push({ op: 'exthdr', exop, dreg: netlinkReg(d), type: f.type, offset, len, flags: 0 }));
  }

  /** `fib ... oif` as a value, or with `present` its existence (`fib saddr oif missing`). */
  private fibExpr(e: Expr & { k: 'fib' }, present = false): LExpr {
    const FLAGS: Record<string, number> = { saddr: 1, daddr: 2, mark: 4, iif: 8, oif: 0x10 };
    let flags = 0;
    for (const f of e.flags) {
      const v = FLAGS[f];
      if (v === undefined) this.err(e.span, `syntax error, unexpected ${f}`);
      flags |= v;
    }
    const res = { oif: 1, oifname: 2, type: 3 }[e.result];
    if (!res) this.err(e.span, `syntax error, unexpected ${e.result}`);
    const load = (d: number) => this.insns.push({ op: 'fib', flags: present ? flags | 0x20 : flags, result: res, dreg: netlinkReg(d) });
    if (present) {
      const l = this.simple(datatype('boolean'), 1, e.span, load);
      l.len = 1;
      return l;
    }
    const type = res === 1 ? datatype('iface_index') : res === 2 ? datatype('ifname') : datatype('fib_addrtype');
    return this.simple(type, res === 2 ? 128 : 32, e.span, load);
  }

  private rtExpr(e: Expr & { k: 'rt' }): LExpr {
    const keys: Record<string, [string, number, string]> = {
      classid: ['classid', 32, 'realm'], nexthop: ['nexthop4', 32, 'ipv4_addr'], mtu: ['tcpmss', 16, 'integer_host'], ipsec: ['ipsec', 1, 'boolean'],
    };
    let k = keys[e.key];
    if (!k) this.err(e.span, `syntax error, unexpected ${e.key}`);
    if (e.key === 'nexthop') {
      const fam = e.l3 ?? (this.family === 'ip6' ? 'ip6' : 'ip');
      if (!e.l3 && this.family === 'inet') this.err(e.span, `must specify either ip or ip6 for rt nexthop`);
      if (fam === 'ip6') k = ['nexthop6', 128, 'ipv6_addr'];
    }
    const [print, bits, type] = k;
    const l = this.simple(datatype(type), bits, e.span, (d) => this.insns.push({ op: 'rt', key: print, dreg: netlinkReg(d) }));
    if (bits < 8) l.len = 1;
    return l;
  }

  private hashExpr(e: Expr & { k: 'hash' }): LExpr {
    const self = this;
    const src = e.type === 'jhash' ? this.lhs(e.src!) : undefined;
    return this.simple(datatype('integer_host'), 32, e.span, (d) => {
      if (!src) {
        self.insns.push({ op: 'hash', dreg: netlinkReg(d), type: 1, sreg: 0, len: 0, mod: e.mod, seed: 0, offset: e.offset });
        return;
      }
      const units = src.parts ? Math.ceil(src.len / 4) : 4;
      const s = self.regs.get(units);
      src.load(s);
      self.regs.release(units);
      self.insns.push({ op: 'hash', dreg: netlinkReg(d), type: 0, sreg: netlinkReg(s), len: src.len, mod: e.mod, seed: e.seed ?? 0, offset: e.offset });
    });
  }

  private socketExpr(e: Expr & { k: 'socket' }): LExpr {
    const keys: Record<string, [number, string]> = { transparent: [1, 'boolean'], mark: [32, 'mark'], wildcard: [1, 'boolean'], cgroupv2: [64, 'integer_host'] };
    const k = keys[e.key];
    if (!k) this.err(e.span, `syntax error, unexpected ${e.key}`);
    const l = this.simple(datatype(k[1]), k[0], e.span, (d) => this.insns.push({ op: 'socket', key: e.key, dreg: netlinkReg(d), level: e.level ?? 0 }));
    if (k[0] < 8) l.len = 1;
    return l;
  }

  private ipsecExpr(e: Expr & { k: 'ipsec' }): LExpr {
    const keys: Record<string, [number, string]> = { reqid: [32, 'integer_host'], spi: [32, 'integer_be'], saddr: [32, 'ipv4_addr'], daddr: [32, 'ipv4_addr'] };
    let k = keys[e.key];
    if (!k) this.err(e.span, `syntax error, unexpected ${e.key}`);
    let key = e.key;
    // Addresses are the kernel keys saddr4/daddr4 or saddr6/daddr6.
    if (e.key === 'saddr' || e.key === 'daddr') {
      if (e.l3 === 'ip6') k = [128, 'ipv6_addr'];
      key += e.l3 === 'ip6' ? '6' : '4';
    }
    return this.simple(datatype(k[1]), k[0], e.span, (d) => this.insns.push({ op: 'xfrm', key, dreg: netlinkReg(d), dir: e.dir === 'in' ? 0 : 1, spnum: e.spnum }));
  }

  /** `expr map { ... }` as a value (data map lookup). */
  private mapExpr(e: Expr & { k: 'map' }, dataType?: Datatype, dataBits?: number, dataParts?: MapData['parts']): LExpr {
    const key = this.lhs(e.key);
    const self = this;
    const dt = dataType ?? this.pendingDataType;
    if (!dt) this.err(e.span, `map data type unknown here`);
    const bits = dataBits ?? this.pendingDataBits ?? dt.bits;
    return {
      type: dt, bits, len: Math.ceil(bits / 8), order: dt.order, shift: 0, hostNumeric: false, span: e.span,
      load(d) {
        // nft loads the key into the destination register, whatever its size.
        key.load(d);
        const set = self.setFor(e.map, key, { type: dt, bits, verdict: false, parts: dataParts }, e.span);
        if (key.hostNumeric && set.flags & 4) self.hton(d, key);
        self.insns.push({ op: 'lookup', sreg: netlinkReg(d), set: set.name, dreg: netlinkReg(d), inv: false });
      },
    };
  }
  private pendingDataType?: Datatype;
  private pendingDataBits?: number;

  // ------------------------------------------------------------------
  // constants
  private constNum(e: Expr, type: Datatype): bigint {
    if (e.k !== 'sym') this.err(e.span, `expected a constant`);
    const v = parseLiteral(type, e.text, e.tok);
    if (typeof v === 'string') this.err(e.span, v);
    if (!('num' in v)) this.err(e.span, `expected a number`);
    return v.num;
  }

  /** Parses a constant for `l` into register bytes (shifted for sub-byte fields). */
  private constBytes(l: LExpr, e: Expr, lenOverride?: number): Uint8Array {
    const len = lenOverride ?? l.len;
    if (e.k === 'list' || (e.k === 'binop' && e.op === '|')) {
      let acc = 0n;
      const items = e.k === 'list' ? e.items : flattenOr(e);
      for (const it of items) acc |= this.value(l, it);
      return encodeNum(acc << BigInt(l.shift), len, l.order);
    }
    if (e.k === 'binop') {
      const a = this.value(l, e.l);
      const b = this.value(l, e.r);
      const r = e.op === '&' ? a & b : e.op === '^' ? a ^ b : e.op === '<<' ? a << b : a >> b;
      return encodeNum(r << BigInt(l.shift), len, l.order);
    }
    if (e.k === 'sym' && l.type.string) {
      const v = parseLiteral(l.type, e.text, e.tok);
      if (typeof v === 'string') this.err(e.span, v);
      if ('str' in v) {
        const out = new Uint8Array(len);
        if (v.str.length > len) this.err(e.span, msg.stringTooLong(len));
        out.set(v.str);
        return out;
      }
      return encodeNum(v.num, len, l.order);
    }
    return encodeNum(this.value(l, e) << BigInt(l.shift), len, l.order);
  }

  /** The numeric value of a constant for `l`'s type (checking its width). */
  private value(l: LExpr, e: Expr): bigint {
    if (e.k === 'list' || (e.k === 'binop' && e.op === '|')) {
      let acc = 0n;
      for (const it of e.k === 'list' ? e.items : flattenOr(e)) acc |= this.value(l, it);
      return acc;
    }
    if (e.k === 'binop') {
      const a = this.value(l, e.l);
      const b = this.value(l, e.r);
      return e.op === '&' ? a & b : e.op === '^' ? a ^ b : e.op === '<<' ? a << b : a >> b;
    }
    if (e.k !== 'sym') this.err(e.span, `Expression is not a constant`);
    const v = parseLiteral(l.type, e.text, e.tok);
    if (typeof v === 'string') this.err(e.span, v);
    if ('str' in v) return bytesToNum(v.str);
    const max = l.type.max ?? (1n << BigInt(l.bits)) - 1n;
    if (v.num > max) this.err(e.span, l.type.name === 'inet_service' ? msg.serviceRange : l.type.rangeError ?? msg.valueRange(v.num, max));
    return v.num;
  }

  // ------------------------------------------------------------------
  // statements
  private stmt(s: Stmt): void {
    switch (s.k) {
      case 'match':
        return this.match(s.l, s.op, s.r, s.span);
      case 'verdict':
        return this.verdict(s.v);
      case 'vmap':
        return this.vmap(s.e);
      case 'counter':
        this.insns.push({ op: 'counter', pkts: s.packets ?? 0n, bytes: s.bytes ?? 0n });
        return;
      case 'limit':
        this.insns.push(limitInsn(s));
        return;
      case 'quota':
        this.insns.push({ op: 'quota', bytes: s.bytes, consumed: s.used, flags: s.over ? 1 : 0 });
        return;
      case 'log':
        this.insns.push({ op: 'log', prefix: s.prefix, group: s.group, snaplen: s.snaplen, qthreshold: s.qthreshold, level: s.level, flags: s.flags });
        return;
      case 'reject':
        return this.reject(s);
      case 'notrack':
        this.insns.push({ op: 'notrack' });
        return;
      case 'comment':
        return;
      case 'setstmt':
        return this.setStmt(s);
      case 'nat':
        return this.nat(s);
      case 'queue':
        return this.queue(s);
      case 'objref':
        return this.objref(s);
      case 'dynset':
        return this.dynset(s);
      case 'meter':
        return this.meter(s);
      case 'ctcount':
        this.insns.push({ op: 'connlimit', count: s.count, flags: s.over ? 1 : 0 });
        return;
      case 'last':
        this.insns.push({ op: 'last' });
        return;
      case 'dup':
        return this.dup(s);
      case 'fwd':
        return this.fwd(s);
      case 'flowoffload':
        this.insns.push({ op: 'flow_offload', name: s.name });
        return;
      case 'tproxy':
        return this.tproxy(s);
      case 'synproxy':
        this.insns.push({ op: 'synproxy', mss: s.mss ?? 0, wscale: s.wscale ?? 0 });
        return;
      default: {
        const other: { span: Span } = s;
        this.err(other.span, `statement not supported`);
      }
    }
  }

  private verdict(v: Expr & { k: 'verdict' }): void {
    this.insns.push({ op: 'immediate_verdict', v: { verdict: v.v, chain: v.chain } });
    this.verdictSeen = true;
  }

  private hton(reg: number, l: LExpr): void {
    const size = l.len >= 8 ? 8 : l.len >= 4 ? 4 : l.len;
    if (size < 2) return;
    this.insns.push({ op: 'byteorder', sreg: netlinkReg(reg), dreg: netlinkReg(reg), hton: true, len: l.len, size });
  }

  /** A relational expression. */
  match(le: Expr, op: RelOp, r: Expr, span: Span): void {
    // nft turns a one-element anonymous set into the element itself (not for concatenations).
    if (r.k === 'set' && r.elems.length === 1 && le.k !== 'concat' && r.elems[0]!.key.k !== 'list') return this.match(le, op, r.elems[0]!.key, span);
    const exists = r.k === 'sym' && r.tok === 'word' && (r.text === 'exists' || r.text === 'missing');
    const folded = this.foldBinop(le, op, r);
    if (folded) [le, r] = [folded.le, folded.r];
    const l = folded?.l ?? (le.k === 'fib' && exists ? this.fibExpr(le, true) : this.lhs(le));
    if (r.k === 'neg' || (r.k === 'list' && r.items[0]?.k === 'neg')) return this.negatedFlags(l, r, span);
    // Sets and set references.
    if (r.k === 'set' || r.k === 'setref' || (r.k === 'list' && !l.type.bitmask && !l.parts)) {
      const setE: Expr = r.k === 'list' ? { k: 'set', elems: r.items.map((x) => ({ key: x, span: x.span })), span: r.span } : r;
      if (op !== 'implicit' && op !== '==' && op !== '!=') this.err(span, `Relational expression size mismatch`);
      const units = l.parts ? Math.ceil(l.len / 4) : 4;
      const d = this.regs.get(units);
      l.load(d);
      const set = this.setFor(setE, l, undefined, r.span);
      if (l.hostNumeric && set.flags & 4) this.hton(d, l);
      this.regs.release(units);
      this.insns.push({ op: 'lookup', sreg: netlinkReg(d), set: set.name, inv: op === '!=' });
      return;
    }
    if (l.parts) {
      // concatenation compared with a concatenated constant
      if (r.k !== 'concat') this.err(r.span, `Use concatenations with sets and maps, not singleton values`);
      const units = Math.ceil(l.len / 4);
      const d = this.regs.get(units);
      l.load(d);
      this.regs.release(units);
      const data = this.concatKey(l, r);
      this.insns.push({ op: 'cmp', cmp: op === '!=' ? 1 : 0, sreg: netlinkReg(d), data: flat(data) });
      return;
    }
    const d = this.regs.get();
    const R = netlinkReg(d);
    // Prefix
    if (r.k === 'prefix') {
      const full = this.value(l, r.e);
      const plen = r.len;
      if (plen > l.bits) this.err(r.span, msg.prefixLength(plen, l.bits));
      if (l.type.string) this.err(r.span, `prefix not allowed on strings`);
      const neq = op === '!=';
      if (!l.shift && plen % 8 === 0 && l.bits % 8 === 0 && plen > 0 && l.order === 'be') {
        // Whole bytes: compare just the prefix bytes; a payload field loads only those.
        const bytes = plen / 8;
        const p = l.payload;
        if (p) this.insns.push({ op: 'payload', dreg: R, base: p.base, offset: p.bitOffset / 8, len: bytes });
        else l.load(d);
        const v = encodeNum(full >> BigInt(l.bits - plen), bytes, 'be');
        this.insns.push({ op: 'cmp', cmp: neq ? 1 : 0, sreg: R, data: v });
      } else {
        l.load(d);
        const maskV = plen === 0 ? 0n : (((1n << BigInt(plen)) - 1n) << BigInt(l.bits - plen));
        const last = this.insns[this.insns.length - 1];
        if (l.shift || l.bits % 8) {
          if (last?.op === 'bitwise') this.insns.pop();
        }
        const mask = encodeNum(maskV << BigInt(l.shift), l.len, l.order);
        this.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask, xor: new Uint8Array(l.len) });
        this.insns.push({ op: 'cmp', cmp: neq ? 1 : 0, sreg: R, data: encodeNum((full & maskV) << BigInt(l.shift), l.len, l.order) });
      }
      this.regs.release();
      return;
    }
    l.load(d);
    this.regs.release();
    if (r.k === 'range') {
      const lo = this.value(l, r.lo) << BigInt(l.shift);
      const hi = this.value(l, r.hi) << BigInt(l.shift);
      if (lo > hi) this.err(r.span, `Range has zero or negative size`);
      if (l.hostNumeric) this.hton(d, l);
      const enc = (v: bigint) => encodeNum(v, l.len, 'be');
      if (op === '!=') this.insns.push({ op: 'range', neq: true, sreg: R, from: enc(lo), to: enc(hi) });
      else {
        this.insns.push({ op: 'cmp', cmp: CMP['>='], sreg: R, data: enc(lo) });
        this.insns.push({ op: 'cmp', cmp: CMP['<='], sreg: R, data: enc(hi) });
      }
      return;
    }
    if (r.k === 'flagmask') {
      const v = this.value(l, r.value);
      const m = this.value(l, r.mask);
      this.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask: encodeNum(m, l.len, l.order), xor: new Uint8Array(l.len) });
      this.insns.push({ op: 'cmp', cmp: op === '!=' ? 1 : 0, sreg: R, data: encodeNum(v, l.len, l.order) });
      return;
    }
    if (op === 'implicit' && l.type.bitmask && le.k !== 'binop') {
      const v = this.constBytes(l, r);
      this.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask: v, xor: new Uint8Array(l.len) });
      this.insns.push({ op: 'cmp', cmp: 1, sreg: R, data: new Uint8Array(l.len) });
      return;
    }
    const data = this.wildcardPrefix(l, r) ?? this.constBytes(l, r);
    const cop = op === 'implicit' ? 0 : CMP[op];
    if (cop >= 2 && l.hostNumeric) {
      this.hton(d, l);
      this.insns.push({ op: 'cmp', cmp: cop, sreg: R, data: data.slice().reverse() });
    } else {
      this.insns.push({ op: 'cmp', cmp: cop, sreg: R, data });
    }
    const p = l.payload;
    if ((le.k === 'payload' || le.k === 'raw') && p && cop <= 1 && r.k === 'sym' && p.bitOffset % 8 === 0 && p.bitLen % 8 === 0) {
      this.pendingMatch = { base: p.base, offset: p.bitOffset / 8, len: l.len, neq: cop === 1, data, protocol: l.protoKey !== undefined };
    }
    if (cop === 0) this.noteProto(l, r);
  }

  /**
   * nft moves `^ c` and `<< n` of an equality to the constant side:
   * `meta mark ^ 0xff == 0` compares the mark with 0xff.
   */
  private foldBinop(le: Expr, op: RelOp, r: Expr): { le: Expr; l: LExpr; r: Expr } | undefined {
    if (le.k !== 'binop' || (le.op !== '^' && le.op !== '<<') || r.k !== 'sym') return undefined;
    if (op !== 'implicit' && op !== '==' && op !== '!=') return undefined;
    const l = this.lhs(le.l);
    const v = this.value(l, r);
    let folded: bigint;
    if (le.op === '^') folded = v ^ this.value(l, le.r);
    else {
      const n = this.constNum(le.r, datatype('integer_host'));
      if (v & ((1n << n) - 1n)) this.err(r.span, `Comparison is always false`);
      folded = v >> n;
    }
    return { le: le.l, l, r: { k: 'sym', text: '0x' + folded.toString(16), tok: 'number', span: r.span } };
  }

  /** `tcp flags ! syn,ack`: none of the flags is set. */
  private negatedFlags(l: LExpr, r: Expr, span: Span): void {
    if (!l.type.bitmask) this.err(span, `negation can only be used with singleton bitmask values`);
    const items = r.k === 'neg' ? [r.e] : r.k === 'list' ? r.items.map((x) => (x.k === 'neg' ? x.e : x)) : [r];
    const mask = this.constBytes(l, { k: 'list', items, span: r.span });
    const d = this.regs.get();
    l.load(d);
    this.regs.release();
    const R = netlinkReg(d);
    this.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: l.len, mask, xor: new Uint8Array(l.len) });
    this.insns.push({ op: 'cmp', cmp: 0, sreg: R, data: new Uint8Array(l.len) });
  }

  /** `iifname "eth*"` compares only the bytes before the `*`. */
  private wildcardPrefix(l: LExpr, r: Expr): Uint8Array | undefined {
    if (!l.type.string || r.k !== 'sym') return undefined;
    const v = parseLiteral(l.type, r.text, r.tok);
    if (typeof v === 'string' || !('str' in v) || !v.wildcard) return undefined;
    return v.str;
  }

  /** An equality on a protocol key establishes that protocol for later fields. */
  private noteProto(l: LExpr, r: Expr): void {
    const p = l.payload;
    const icmpType = p && (p.proto.name === 'icmp' || p.proto.name === 'icmpv6') && p.bitOffset === 0 && p.bitLen === 8;
    if ((!l.protoKey && !icmpType) || r.k !== 'sym') return;
    let v: bigint;
    try {
      v = this.value(l, r);
    } catch {
      return;
    }
    const n = Number(v);
    if (icmpType) this.icmpType = n;
    if (l.protoKey === 'nfproto') this.nh = n === 2 ? 'ip' : n === 10 ? 'ip6' : this.nh;
    else if (l.protoKey === 'l4proto' || l.protoKey === 'ipproto' || l.protoKey === 'nexthdr') {
      const p = Object.values(protocols).find((x) => x.base === Base.Transport && x.protoKey === n && x.name !== 'th');
      if (p) this.th = p.name;
      if (l.protoKey === 'ipproto') this.nh ??= 'ip';
    } else if (l.protoKey === 'ethertype' && (this.family === 'bridge' || this.family === 'netdev' || l.payload)) {
      // inet tables take the network protocol from `ether type`, not from `meta protocol`
      this.nh = n === 0x0800 ? 'ip' : n === 0x86dd ? 'ip6' : n === 0x0806 ? 'arp' : n === 0x8100 ? this.nh : this.nh;
      if (n === 0x8100 || n === 0x88a8) this.llVlan = true;
    }
  }

  private vmap(e: Expr & { k: 'map' }): void {
    const key = this.lhs(e.key);
    const units = key.parts ? Math.ceil(key.len / 4) : 4;
    const d = this.regs.get(units);
    key.load(d);
    const set = this.setFor(e.map, key, { type: datatype('verdict'), bits: 32, verdict: true }, e.span);
    if (key.hostNumeric && set.flags & 4) this.hton(d, key);
    this.regs.release(units);
    this.insns.push({ op: 'lookup', sreg: netlinkReg(d), set: set.name, dreg: 0, inv: false });
    this.verdictSeen = true;
  }

  // ------------------------------------------------------------------
  // sets
  private anonCount = 0;

  /** Resolves `{...}` / `@name` for a lookup keyed by `key`. */
  setFor(e: Expr, key: LExpr, data: MapData | undefined, span: Span): SetDef {
    if (e.k === 'setref') {
      const s = this.table.sets.get(e.name);
      if (!s) this.err(e.span, unknownSetMessage(e.name, this.table));
      if (data && !(s.flags & (data.obj ? 0x40 : 0x8))) this.err(e.span, `Expression is not a map`);
      checkSetKey(this, s, key, e.span);
      return s;
    }
    if (e.k !== 'set') this.err(e.span, `Expected a set`);
    const parts = key.parts ?? [key];
    const def: SetDef = {
      name: data?.obj ? '__objmap%d' : data ? '__map%d' : '__set%d', table: this.table.name, family: this.family, flags: 0x3,
      keyType: key.type, keyBits: key.bits, keyParts: parts.map((p) => ({ type: p.type, bits: p.bits })),
      dataType: data?.type, dataBits: data?.bits, verdictMap: data?.verdict, objMap: data?.obj, elements: [], anonymous: true,
    };
    if (data) def.flags |= data.obj ? 0x40 : 0x8;
    const elems = buildElements(this, e.elems, parts, data);
    if (elems.interval) def.flags |= 0x4;
    if (elems.interval && parts.length > 1) def.flags |= 0x80;
    def.elements = elems.list;
    def.size = elems.size;
    this.anonSets.push(def);
    this.anonCount++;
    return def;
  }

  /** Key bytes per component for a concatenated constant. */
  concatKey(l: LExpr, r: Expr): Uint8Array[] {
    const parts = l.parts!;
    const rs = r.k === 'concat' ? r.parts : [r];
    if (rs.length !== parts.length) this.err(r.span, `datatype mismatch, expected concatenation of (${parts.length}) types`);
    return parts.map((p, i) => pad4(this.constBytes(p, rs[i]!)));
  }

  /** Bytes of one set-element key component (helper for sets.ts). */
  elemValue(l: LExpr, e: Expr): bigint {
    return this.value(l, e);
  }
  /** Raw register bytes of a constant (helper for sets.ts). */
  elemBytes(l: LExpr, e: Expr): Uint8Array {
    return this.constBytes(l, e);
  }
  /** Data bytes of a map element. */
  dataBytes(type: Datatype, bits: number, e: Expr, parts?: MapData['parts']): Uint8Array {
    const es = e.k === 'concat' ? e.parts : [e];
    const ps = parts ?? [{ type, bits }];
    if (es.length !== ps.length) this.err(e.span, `datatype mismatch, expected concatenation of (${ps.length}) types`);
    const bounds = ps.map((p, i) => this.dataBounds(this.simple(p.type, p.bits, es[i]!.span, () => {}), es[i]!));
    if (!parts && e.k !== 'range' && e.k !== 'prefix') return bounds[0]![0];
    // Range data (nat maps) holds all low components, then all high ones.
    const lo = bounds.map((b) => pad4(b[0]));
    const interval = es.some((x) => x.k === 'range' || x.k === 'prefix');
    return flat(interval ? [...lo, ...bounds.map((b) => pad4(b[1]))] : lo);
  }

  private dataBounds(l: LExpr, e: Expr): [Uint8Array, Uint8Array] {
    if (e.k === 'range') return [this.constBytes(l, e.lo), this.constBytes(l, e.hi)];
    if (e.k === 'prefix') {
      const host = BigInt(l.bits - e.len);
      const lo = (this.value(l, e.e) >> host) << host;
      return [encodeNum(lo, l.len, l.order), encodeNum(lo | ((1n << host) - 1n), l.len, l.order)];
    }
    const b = this.constBytes(l, e);
    return [b, b];
  }
  fail(span: Span, m: string): never {
    this.err(span, m);
  }

  // ------------------------------------------------------------------
  private reject(s: Stmt & { k: 'reject' }): void {
    const fam = this.family;
    const kw = keywordSpan(s.span, 'reject');
    if (s.with === 'tcp') {
      if (this.th && this.th !== 'tcp') this.err(kw, `you cannot use tcp reset with this protocol`);
      this.needTransport(protocols.tcp!, s.span);
      this.insns.push({ op: 'reject', type: 1, code: 0 });
      this.verdictSeen = true;
      return;
    }
    const codeOf = (table: Record<string, number>, what: string, dflt: number) => {
      if (!s.code) return dflt;
      if (s.code.k !== 'sym') this.err(s.code.span, `syntax error`);
      // numeric codes are taken modulo 256, as nft's u8 does
      if (/^\d+$/.test(s.code.text)) return Number(s.code.text) & 0xff;
      const v = table[s.code.text];
      if (v === undefined) this.err(s.code.span, `Could not parse ${what}`);
      return v;
    };
    const net = fam === 'ip' || fam === 'ip6' ? fam : this.nh;
    let type = 0;
    let code: number;
    if (s.with === 'icmpx') {
      if (fam !== 'inet' && fam !== 'bridge' && fam !== 'netdev') this.err(s.code?.span ?? kw, `abstracted ICMP unreachable not supported`);
      type = 2;
      code = codeOf(ICMPX_CODES, 'icmpx code', 1);
    } else if (s.with === 'icmp' || s.with === 'icmpv6') {
      const want = s.with === 'icmp' ? 'ip' : 'ip6';
      if (net && net !== want) this.err(s.code?.span ?? kw, `conflicting protocols specified: ip vs ip6`);
      if (!net) this.needNetwork(protocols[want]!, s.span);
      code = s.with === 'icmp' ? codeOf(ICMP_CODES, 'icmp code', 3) : codeOf(ICMPV6_CODES, 'icmpv6 code', 4);
    } else if (net === 'ip' || net === 'ip6') {
      // Bare `reject`: by the network protocol in context (never a TCP reset).
      code = net === 'ip' ? 3 : 4;
    } else {
      type = 2;
      code = 1;
    }
    this.insns.push({ op: 'reject', type, code });
    this.verdictSeen = true;
  }

  private setStmt(s: Stmt & { k: 'setstmt' }): void {
    const t = s.target;
    if (t.k === 'meta' || t.k === 'ct') {
      const l = this.lhs(t);
      const d = this.regs.get();
      this.valueInto(d, l, s.value);
      this.regs.release();
      if (t.k === 'meta') this.insns.push({ op: 'meta_set', key: l.key!.name, sreg: netlinkReg(d) });
      else this.insns.push({ op: 'ct_set', key: l.key!.name, sreg: netlinkReg(d), dir: l.key!.dir });
      return;
    }
    if (t.k === 'payload' || t.k === 'raw') return this.payloadSet(t, s.value, s.span);
    if (t.k === 'exthdr') {
      const f = exthdrField(t.op, t.hdr, t.field);
      if (!f) this.err(t.span, `unknown field`);
      const l = this.lhs(t);
      const d = this.regs.get();
      this.valueInto(d, l, s.value);
      this.regs.release();
      this.insns.push({ op: 'exthdr_write', exop: { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 }[t.op], sreg: netlinkReg(d), type: f.type, offset: Math.floor(f.offset / 8), len: Math.ceil(f.len / 8) });
      return;
    }
    this.err(t.span, `syntax error, unexpected set`);
  }

  /** Loads the value of a `set` statement (constant, expression or map) into `d`. */
  private valueInto(d: number, l: LExpr, v: Expr): void {
    if (v.k === 'sym' || v.k === 'list' || (v.k === 'binop' && isConst(v))) {
      const data = this.constBytes({ ...l, shift: 0 }, v);
      this.insns.push({ op: 'immediate', dreg: netlinkReg(d), data });
      return;
    }
    if (v.k === 'map') {
      this.pendingDataType = l.type;
      this.pendingDataBits = l.bits;
      const m = this.mapExpr(v, l.type, l.bits);
      m.load(d);
      return;
    }
    const src = this.lhs(v);
    src.load(d);
    // A host-order value written into a big-endian field is converted first.
    if (src.hostNumeric && l.order === 'be' && !l.type.string) this.hton(d, src);
  }

  private payloadSet(t: Expr & { k: 'payload' | 'raw' }, v: Expr, span: Span): void {
    const l = this.lhs(t);
    const p = l.payload!;
    const proto = p.proto;
    const csumType = proto.csum === undefined ? 0 : proto.csumType ?? 1;
    const d = this.regs.get();
    const R = netlinkReg(d);
    let offset = Math.floor(p.bitOffset / 8);
    let len = l.len;
    // Raw payload writes (`@th,16,16 set 5`) have no protocol dependency.
    if (t.k === 'payload') this.payloadDep(proto, span);
    // Sub-byte fields are merged into their bytes; INET checksums need whole, aligned 16-bit words.
    const inet = csumType === 1;
    const subByte = l.shift !== 0 || l.bits % 8 !== 0;
    if (subByte || (inet && (offset % 2 !== 0 || len % 2 !== 0))) {
      // The read-modify-write xors the new value in, so it must be a constant.
      if (!isConst(v)) this.err(t.span, `Right hand side of binary operation (^) must be constant`);
      const start = inet ? offset & ~1 : offset;
      const end = inet ? (offset + len + 1) & ~1 : offset + len;
      const wlen = end - start;
      const fieldShift = end * 8 - p.bitOffset - p.bitLen;
      const fmask = ((1n << BigInt(p.bitLen)) - 1n) << BigInt(fieldShift);
      const allOnes = (1n << BigInt(wlen * 8)) - 1n;
      this.insns.push({ op: 'payload', dreg: R, base: p.base, offset: start, len: wlen });
      const val = this.value(l, v) << BigInt(fieldShift);
      this.insns.push({ op: 'bitwise', sreg: R, dreg: R, len: wlen, mask: encodeNum(allOnes & ~fmask, wlen, 'be'), xor: encodeNum(val, wlen, 'be') });
      offset = start;
      len = wlen;
    } else if (v.k === 'sym' || v.k === 'list') {
      this.insns.push({ op: 'immediate', dreg: R, data: this.constBytes(l, v) });
    } else {
      this.valueInto(d, l, v);
    }
    this.regs.release();
    // Fields in the TCP/UDP pseudo-header also need the L4 checksum fixed.
    const pseudo = PSEUDO_HEADER_FIELDS[proto.name]?.includes(p.bitOffset) ? 1 : 0;
    this.insns.push({ op: 'payload_write', sreg: R, base: p.base, offset, len, csumType, csumOff: csumType ? proto.csum! : 0, csumFlags: pseudo });
  }

  private nat(s: Stmt & { k: 'nat' }): void {
    const fam = this.family;
    const kw = keywordSpan(s.span, s.type);
    // The address family: the table's, or in inet the statement's or the matched protocol's.
    const ctx = fam === 'inet' ? this.nh : fam === 'ip6' ? 'ip6' : 'ip';
    if (s.family && ctx && ctx !== s.family) {
      this.err(kw, `conflicting protocols specified: ${ctx} vs. ${s.family}. You must specify ip or ip6 family in nat statement`);
    }
    const nfam = s.family ?? (ctx === 'ip' || ctx === 'ip6' ? ctx : 'inet');
    if (s.addr && nfam === 'inet') this.err(kw, `ip or ip6 must be specified with address for inet tables.`);
    let flags = 0;
    for (const f of s.flags) flags |= NAT_FLAGS[f] ?? 0;
    if (s.prefixKw) flags |= NAT_FLAGS.netmap!;
    let pmin: number | undefined;
    let pmax: number | undefined;
    if (s.type === 'masquerade' || s.type === 'redirect') {
      if (s.port) {
        [pmin, pmax] = this.natPorts(s.port);
        flags |= NAT_PROTO_SPECIFIED;
      }
      this.insns.push({ op: s.type === 'masquerade' ? 'masq' : 'redir', protoMin: pmin, protoMax: pmax, flags });
      this.verdictSeen = true;
      return;
    }
    const addrType = datatype(nfam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr');
    const abits = nfam === 'ip6' ? 128 : 32;
    let amin: number | undefined;
    let amax: number | undefined;
    const imm = (data: Uint8Array) => {
      const r = netlinkReg(this.regs.get());
      this.insns.push({ op: 'immediate', dreg: r, data });
      return r;
    };
    const a = s.addr;
    if (a?.k === 'map') {
      // The map's data is an address, or address . port; ranges of either give the max registers.
      const shape = this.natMapShape(a);
      const d = this.regs.get();
      this.mapExpr(a, addrType, abits, shape.port ? [{ type: addrType, bits: abits }, { type: datatype('inet_service'), bits: 16 }] : undefined).load(d);
      if (shape.port) this.needL4ForPorts(a.span);
      // nft numbers the parts in steps of the address size (so an ip6 port lands 16 bytes on).
      let slot = 0;
      const next = () => netlinkReg(d + (abits / 32) * slot++);
      amin = next();
      if (shape.port) pmin = next();
      if (shape.interval) {
        amax = next();
        if (shape.port) pmax = next();
      }
    } else if (a) {
      const al = this.simple(addrType, abits, a.span, () => {});
      if (a.k === 'range') {
        amin = imm(this.constBytes(al, a.lo));
        amax = imm(this.constBytes(al, a.hi));
      } else if (a.k === 'prefix') {
        const v = this.value(al, a.e);
        const hostBits = BigInt(abits - a.len);
        const lo = (v >> hostBits) << hostBits;
        amin = imm(encodeNum(lo, abits / 8, 'be'));
        amax = imm(encodeNum(lo | ((1n << hostBits) - 1n), abits / 8, 'be'));
      } else if (a.k === 'sym') {
        amin = imm(this.constBytes(al, a));
      } else {
        const d = this.regs.get();
        this.lhs(a).load(d);
        amin = netlinkReg(d);
      }
    }
    if (s.port) {
      [pmin, pmax] = this.natPorts(s.port);
      flags |= NAT_PROTO_SPECIFIED;
    }
    this.insns.push({ op: 'nat', kind: s.type as 'snat', family: nfam, addrMin: amin, addrMax: amax, protoMin: pmin, protoMax: pmax, flags });
    this.verdictSeen = true;
  }

  private needL4ForPorts(span: Span): void {
    if (!this.th) this.err(span, `transport protocol mapping is only valid after transport protocol match`);
  }

  /** Whether a nat map's data carries a port (`addr . port`) and ranges (`a-b`, prefixes). */
  private natMapShape(m: Expr & { k: 'map' }): { port: boolean; interval: boolean } {
    if (m.map.k === 'setref') {
      const set = this.table.sets.get(m.map.name);
      return { port: (set?.dataParts?.length ?? 1) > 1, interval: false };
    }
    const datas = m.map.k === 'set' ? m.map.elems.flatMap((el) => (el.data ? [el.data] : [])) : [];
    const parts = (e: Expr) => (e.k === 'concat' ? e.parts : [e]);
    return {
      port: datas.some((e) => parts(e).length > 1),
      interval: datas.some((e) => parts(e).some((x) => x.k === 'range' || x.k === 'prefix')),
    };
  }

  private natPorts(p: Expr): [number, number | undefined] {
    this.needL4ForPorts(p.span);
    const pl = this.simple(datatype('inet_service'), 16, p.span, () => {});
    if (p.k === 'range') {
      const a = this.regs.get();
      this.insns.push({ op: 'immediate', dreg: netlinkReg(a), data: this.constBytes(pl, p.lo) });
      const b = this.regs.get();
      this.insns.push({ op: 'immediate', dreg: netlinkReg(b), data: this.constBytes(pl, p.hi) });
      return [netlinkReg(a), netlinkReg(b)];
    }
    const a = this.regs.get();
    if (p.k === 'sym') this.insns.push({ op: 'immediate', dreg: netlinkReg(a), data: this.constBytes(pl, p) });
    else this.lhs(p).load(a);
    return [netlinkReg(a), undefined];
  }

  private queue(s: Stmt & { k: 'queue' }): void {
    let flags = 0;
    for (const f of s.flags) flags |= f === 'bypass' ? 1 : f === 'fanout' ? 2 : 0;
    let num = 0;
    let total = 1;
    const n = s.num;
    if (n && n.k !== 'sym' && !(n.k === 'range' && n.lo.k === 'sym' && n.hi.k === 'sym')) {
      // `queue to <expr>`: the queue number comes from a register.
      const d = this.regs.get();
      this.lhs(n).load(d);
      this.regs.release();
      this.insns.push({ op: 'queue', num: 0, total: 1, flags, sregQnum: netlinkReg(d) });
      this.verdictSeen = true;
      return;
    }
    if (n) {
      const q = this.simple(datatype('integer'), 16, n.span, () => {});
      const span = s.numSpan ?? n.span;
      if (n.k === 'range') {
        num = Number(this.value(q, n.lo));
        const hi = Number(this.value(q, n.hi));
        if (hi < num) this.err(span, `Range has zero or negative size`);
        total = hi - num + 1;
      } else {
        num = Number(this.value(q, { ...n, span }));
        if (flags & 2) this.err(span, `fanout requires a range to be specified`);
      }
    }
    this.insns.push({ op: 'queue', num, total, flags });
    this.verdictSeen = true;
  }

  private objref(s: Stmt & { k: 'objref' }): void {
    const types: Record<string, number> = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, 'ct timeout': 7, secmark: 8, 'ct expectation': 9, synproxy: 10 };
    if (s.name !== undefined) {
      this.insns.push({ op: 'objref', type: types[s.type]!, name: s.name });
      return;
    }
    const m = s.map as Expr & { k: 'map' };
    const key = this.lhs(m.key);
    const d = this.regs.get();
    key.load(d);
    const set = this.setFor(m.map, key, { type: datatype('string'), bits: 128, verdict: false, obj: types[s.type] }, m.span);
    this.regs.release();
    this.insns.push({ op: 'objref_map', sreg: netlinkReg(d), set: set.name });
  }

  private dynset(s: Stmt & { k: 'dynset' }): void {
    const set = this.table.sets.get(s.set);
    if (!set) this.err(s.span, unknownSetMessage(s.set, this.table));
    // A set that rules update is dynamic (NFT_SET_EVAL).
    set.flags |= 0x20;
    const key = this.lhs(s.key);
    const units = key.parts ? Math.ceil(key.len / 4) : 4;
    const d = this.regs.get(units);
    key.load(d);
    let dd: number | undefined;
    if (s.data) {
      dd = this.regs.get();
      const dl = this.simple(set.dataType ?? datatype('integer_host'), set.dataBits ?? 32, s.data.span, () => {});
      this.valueInto(dd, dl, s.data);
      this.regs.release();
    }
    this.regs.release(units);
    const exprs: Insn[] = [];
    for (const st of s.stmts) {
      const sub = new RuleCompiler(this.table, this.chain);
      sub.stmt(st);
      exprs.push(...sub.insns);
    }
    this.insns.push({ op: 'dynset', setOp: { add: 0, update: 1, delete: 2 }[s.op], sregKey: netlinkReg(d), sregData: dd !== undefined ? netlinkReg(dd) : undefined, set: s.set, timeout: s.timeout ?? 0, exprs });
  }

  private meter(s: Stmt & { k: 'meter' }): void {
    const key = this.lhs(s.key);
    const parts = key.parts ?? [key];
    // A meter is an anonymous dynamic set (timeout 0x10 when its elements expire).
    const def: SetDef = {
      name: s.name, table: this.table.name, family: this.family, flags: s.timeout !== undefined ? 0x31 : 0x21, keyType: key.type, keyBits: key.bits,
      keyParts: parts.map((p) => ({ type: p.type, bits: p.bits })), elements: [], anonymous: true, size: s.size,
      emptyBatch: true,
    };
    this.anonSets.push(def);
    this.table.sets.set(s.name, def);
    const units = key.parts ? Math.ceil(key.len / 4) : 4;
    const d = this.regs.get(units);
    key.load(d);
    this.regs.release(units);
    const exprs: Insn[] = [];
    for (const st of s.stmts) {
      const sub = new RuleCompiler(this.table, this.chain);
      sub.stmt(st);
      exprs.push(...sub.insns);
    }
    this.insns.push({ op: 'dynset', setOp: s.timeout !== undefined ? 1 : 0, sregKey: netlinkReg(d), set: s.name, timeout: s.timeout ?? 0, exprs });
  }

  private dup(s: Stmt & { k: 'dup' }): void {
    let ra: number | undefined;
    let rd: number | undefined;
    const fam = this.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
    if (this.family !== 'netdev') {
      ra = this.regs.get();
      const l = this.simple(datatype(fam), fam === 'ipv6_addr' ? 128 : 32, s.to.span, () => {});
      if (s.to.k === 'sym') this.insns.push({ op: 'immediate', dreg: netlinkReg(ra), data: this.constBytes(l, s.to) });
      else this.valueInto(ra, l, s.to);
      if (s.dev) {
        rd = this.regs.get();
        this.devInto(rd, s.dev);
      }
    } else {
      rd = this.regs.get();
      this.devInto(rd, s.to);
    }
    if (ra !== undefined) this.regs.release();
    if (rd !== undefined) this.regs.release();
    this.insns.push({ op: 'dup', regAddr: ra !== undefined ? netlinkReg(ra) : undefined, regDev: rd !== undefined ? netlinkReg(rd) : undefined });
  }

  private devInto(d: number, e: Expr): void {
    const l = this.simple(datatype('iface_index'), 32, e.span, () => {});
    if (e.k === 'sym') {
      const idx = e.text === 'lo' ? 1n : /^\d+$/.test(e.text) ? BigInt(e.text) : undefined;
      if (idx === undefined) this.err(e.span, `Interface does not exist`);
      this.insns.push({ op: 'immediate', dreg: netlinkReg(d), data: encodeNum(idx, 4, 'host') });
    } else this.valueInto(d, l, e);
  }

  /** `tproxy [ip|ip6] to addr:port`: the family is the table's, or the statement's in inet. */
  private tproxy(s: Stmt & { k: 'tproxy' }): void {
    if (!this.th) this.err(s.span, `Transparent proxy support requires transport protocol match`);
    const fam = this.family === 'inet' ? s.family : this.family === 'ip6' ? 'ip6' : 'ip';
    const ctx = this.family === 'inet' ? this.nh : fam;
    if (s.family && ctx && ctx !== s.family) {
      this.err(s.span, `conflicting protocols specified: ${ctx} vs. ${s.family}. You must specify ip or ip6 family in tproxy statement`);
    }
    if (s.addr && !fam) this.err(s.span, `ip or ip6 must be specified with address for inet tables.`);
    let regAddr: number | undefined;
    if (s.addr) {
      const bits = fam === 'ip6' ? 128 : 32;
      const l = this.simple(datatype(fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr'), bits, s.addr.span, () => {});
      regAddr = netlinkReg(this.regs.get());
      this.insns.push({ op: 'immediate', dreg: regAddr, data: this.constBytes(l, s.addr) });
    }
    let regPort: number | undefined;
    if (s.port) {
      const l = this.simple(datatype('inet_service'), 16, s.port.span, () => {});
      regPort = netlinkReg(this.regs.get());
      this.insns.push({ op: 'immediate', dreg: regPort, data: this.constBytes(l, s.port) });
    }
    if (regAddr !== undefined) this.regs.release();
    if (regPort !== undefined) this.regs.release();
    this.insns.push({ op: 'tproxy', family: fam ? NFPROTO[fam]! : 0, regAddr, regPort });
  }

  /** `fwd to dev` or `fwd ip to addr device dev`: the device register comes first. */
  private fwd(s: Stmt & { k: 'fwd' }): void {
    const rd = this.regs.get();
    this.devInto(rd, s.to);
    let ra: number | undefined;
    if (s.family) {
      ra = this.regs.get();
      const t = s.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
      const l = this.simple(datatype(t), t === 'ipv6_addr' ? 128 : 32, s.addr!.span, () => {});
      this.insns.push({ op: 'immediate', dreg: netlinkReg(ra), data: this.constBytes(l, s.addr!) });
      this.regs.release();
    }
    this.regs.release();
    this.insns.push({ op: 'fwd', regDev: netlinkReg(rd), regAddr: ra && netlinkReg(ra), family: s.family && NFPROTO[s.family] });
    this.verdictSeen = true;
  }
}

/** Pads a component to whole 32-bit words as registers hold it. */
export function pad4(b: Uint8Array): Uint8Array {
  const n = Math.ceil(b.length / 4) * 4;
  if (n === b.length) return b;
  const o = new Uint8Array(n);
  o.set(b);
  return o;
}

function flat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, b) => a + b.length, 0);
  const o = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    o.set(p, i);
    i += p.length;
  }
  return o;
}

/** Big-endian mask of `bitLen` bits starting `bitOff` bits into a `len`-byte load. */
function maskBits(len: number, bitOff: number, bitLen: number): Uint8Array {
  const total = BigInt(len * 8);
  const m = ((1n << BigInt(bitLen)) - 1n) << (total - BigInt(bitOff) - BigInt(bitLen));
  return encodeNum(m, len, 'be');
}

function flattenOr(e: Expr): Expr[] {
  if (e.k === 'binop' && e.op === '|') return [...flattenOr(e.l), ...flattenOr(e.r)];
  return [e];
}

function isConst(e: Expr): boolean {
  if (e.k === 'sym') return true;
  if (e.k === 'binop') return isConst(e.l) && isConst(e.r);
  if (e.k === 'list') return e.items.every(isConst);
  return false;
}

/** Bit offsets of the fields the L4 pseudo-header covers: length, protocol, addresses. */
const PSEUDO_HEADER_FIELDS: Record<string, number[]> = { ip: [16, 72, 96, 128], ip6: [32, 48, 64, 192] };

const NAT_FLAGS: Record<string, number> = { random: 0x4, persistent: 0x8, 'fully-random': 0x10, netmap: 0x40 };
const NAT_PROTO_SPECIFIED = 0x2;

/** The span of the keyword a statement starts with (nft points some errors there). */
function keywordSpan(span: Span, word: string): Span {
  return { src: span.src, start: span.start, end: span.start + word.length };
}

function limitInsn(s: Stmt & { k: 'limit' }): Insn {
  return { op: 'limit', rate: s.rate, unit: s.unit, burst: s.burst, bytes: s.bytes, flags: s.over ? 1 : 0 };
}

import { buildElements, checkSetKey, unknownSetMessage, type MapData } from './sets.js';
export type { LExpr };
void SET_TYPE_NAMES;
void ({} as Value);
void ({} as Elem);
