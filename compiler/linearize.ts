// The rule compiler's core (nftables: src/evaluate.c and
// src/netlink_linearize.c, rewritten): rule state, register allocation,
// constants, and the two dispatch switches that hand every expression and
// statement to its family file (expr/*.ts, stmt/*.ts). Example: `tcp dport 22`
// in an ip table → meta load l4proto; cmp eq 6; payload load 2b @ transport + 2; cmp eq 0x1600.

import type { Expr, Stmt } from './ast.js';
import { CompileError, msg } from './diagnostics.js';
import { bytesToNum, datatype, encodeNum, parseLiteral, type Datatype } from './datatype.js';
import type { Insn, VerdictData } from './insn.js';
import type { Proto } from './proto/index.js';
import { RegAlloc, netlinkReg } from './regs.js';
import type { Span } from './source.js';
import { mergePayloadMatches, type PayloadMatch, type Segment } from './expr/payload-merge.js';
import { payloadExpr, payloadSet, rawExpr } from './expr/payload.js';
import { metaExpr, metaSet } from './expr/meta.js';
import { ctExpr, ctSet } from './expr/ct.js';
import { exthdrExpr, exthdrSet } from './expr/exthdr.js';
import { concatExpr } from './expr/concat.js';
import { binopExpr } from './expr/binop.js';
import { fibExpr } from './expr/fib.js';
import { rtExpr } from './expr/rt.js';
import { hashExpr } from './expr/hash.js';
import { socketExpr } from './expr/socket.js';
import { ipsecExpr } from './expr/ipsec.js';
import { mapExpr, vmapStmt } from './expr/map.js';
import { match } from './expr/relational.js';
import { natStmt } from './stmt/nat.js';
import { rejectStmt } from './stmt/reject.js';
import { queueStmt } from './stmt/queue.js';
import { objrefStmt } from './stmt/objref.js';
import { dynsetStmt, meterStmt } from './stmt/dynset.js';
import { dupStmt, fwdStmt } from './stmt/dup-fwd.js';
import { tproxyStmt } from './stmt/tproxy.js';

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
  /** The object an object map's element names (NFTA_SET_ELEM_OBJREF). */
  obj?: string;
}

/** An element's identity: its key (and key end) bytes. */
export function elemKey(e: SetElem): string {
  return [...e.key, ...(e.keyEnd ?? [])].map((b) => b.join(',')).join('|');
}

/** What an element maps its key to (data bytes, verdict or object name; '' in a plain set). */
export function elemData(e: SetElem): string {
  if (e.obj !== undefined) return `obj ${e.obj}`;
  if (e.verdict) return `verdict ${e.verdict.verdict} ${e.verdict.chain ?? ''}`;
  return e.data ? `data ${e.data.join(',')}` : '';
}

/** What the rule compiler needs to know about the table around it. */
export interface TableCtx {
  family: string;
  name: string;
  sets: Map<string, SetDef>;
  chains: Map<string, { base: boolean; hook?: string; type?: string }>;
  objects: Map<string, string>;
}

/** The chain a rule is compiled for. */
export interface ChainCtx {
  name: string;
  hook?: string;
  type?: string;
  base: boolean;
}

/** A typed left-hand side, ready to be loaded into a register. */
export interface LExpr {
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
  /**
   * Concatenations: loads like `load`, converting each host-order integer
   * component to network order (`byteorder hton`), as nft does for an
   * interval set's key.
   */
  loadNet?(dreg: number): void;
  /** The meta or ct key, for statements that set it. */
  key?: { kind: 'meta' | 'ct'; name: string; dir?: number };
  /** True when nft inserts `byteorder` before ordering comparisons. */
  hostNumeric: boolean;
  /** Protocol context this expression establishes when compared for equality. */
  protoKey?: 'nfproto' | 'l4proto' | 'ipproto' | 'ethertype' | 'nexthdr';
  span: Span;
}

const NO_LOAD = (): void => {};

/**
 * Compiles one rule into instructions plus the anonymous sets it needs. The
 * family files (expr/*.ts, stmt/*.ts, deps.ts) read and update its state.
 */
export class RuleCompiler {
  /** The rule's instructions so far. */
  insns: Insn[] = [];
  /** Anonymous sets (and meters) the rule creates, in creation order. */
  anonSets: SetDef[] = [];
  /** Register allocation, as nft does it. */
  readonly regs = new RegAlloc();
  /** Network protocol the rule has established (`ip`, `ip6`, `arp`). */
  nh?: string;
  /** Transport protocol the rule has established (`tcp`, `udp` ...). */
  th?: string;
  /** The rule has established an Ethernet link layer (`meta iiftype ether` outside bridge tables). */
  llDep = false;
  /** The rule has matched a VLAN header, so the network protocol is the VLAN's type field. */
  llVlan = false;
  /** ICMP type the rule has matched, for fields that exist only in some messages. */
  icmpType?: number;
  /** Data type of a map in value position when nothing else says (set by the last `set` value). */
  pendingDataType?: Datatype;
  /** Data width belonging to `pendingDataType`. */
  pendingDataBits?: number;
  /** The payload match of the current statement, if it may merge with its neighbours. */
  pendingMatch?: PayloadMatch;
  // Statement boundaries for payload merging; dependencies are statements of their own.
  private segments: Segment[] = [];
  private segmentStart = 0;

  constructor(
    readonly table: TableCtx,
    readonly chain: ChainCtx,
  ) {}

  /** The table's family (`ip`, `inet`, `bridge` ...). */
  get family(): string {
    return this.table.family;
  }

  /** Aborts the rule with nft's error `message` at `span`. */
  err(span: Span, message: string): never {
    throw new CompileError(span, message);
  }

  /**
   * Checks that constant `e` has one component per type of `parts` (a
   * concatenation's). nft evaluates a concatenation's components against the
   * expected type's subtypes in order: against a single type the first
   * component gets the invalid type (and fails to parse); extra components
   * are "too many"; a short concatenation or a single value is a type error.
   */
  concatArity(e: Expr, parts: readonly { type: Datatype }[]): void {
    const es = e.k === 'concat' ? e.parts : [e];
    if (es.length === parts.length) return;
    if (e.k === 'concat' && parts.length === 1) this.err(firstSymbol(e).span, `Can't parse symbolic invalid expressions`);
    if (e.k === 'concat' && es.length > parts.length) this.err(e.span, `too many concatenation components`);
    const want = `concatenation of (${parts.map((p) => p.type.desc).join(', ')})`;
    if (e.k !== 'concat') this.err(e.span, `invalid data type, expected ${want}`);
    const got = `concatenation of (${parts.slice(0, es.length).map((p) => p.type.desc).join(', ')})`;
    this.err(e.span, `datatype mismatch, expected ${want}, expression has type ${got}`);
  }

  /** Compiles all statements, then merges adjacent payload matches as nft does. */
  compile(stmts: Stmt[]): void {
    for (const s of stmts) {
      this.stmt(s);
      this.closeSegment(s.k !== 'match');
    }
    this.insns = mergePayloadMatches(this.segments);
  }

  /** Ends the current merge segment (a statement or a dependency); `barrier` stops merging across it. */
  closeSegment(barrier: boolean): void {
    if (this.insns.length > this.segmentStart) {
      this.segments.push({ insns: this.insns.slice(this.segmentStart), barrier, pm: this.pendingMatch });
    }
    this.segmentStart = this.insns.length;
    this.pendingMatch = undefined;
  }

  /**
   * Runs `deps` (which emits dependency matches) and moves what it emitted to
   * the start of the rule, where nft puts a reject's dependency
   * (`log reject with tcp reset` must not log what it cannot reject).
   */
  atRuleStart(deps: () => void): void {
    this.closeSegment(false);
    const n = this.segments.length;
    deps();
    this.closeSegment(false);
    this.segments.unshift(...this.segments.splice(n));
  }

  // ------------------------------------------------------------------
  // dispatch

  /** Types an expression that produces a value at run time. */
  lhs(e: Expr): LExpr {
    switch (e.k) {
      case 'payload':
        return payloadExpr(this, e);
      case 'raw':
        return rawExpr(this, e);
      case 'meta':
        return metaExpr(this, e);
      case 'ct':
        return ctExpr(this, e);
      case 'concat':
        return concatExpr(this, e);
      case 'binop':
        return binopExpr(this, e);
      case 'exthdr':
        return exthdrExpr(this, e);
      case 'fib':
        return fibExpr(this, e);
      case 'rt':
        return rtExpr(this, e);
      case 'numgen':
        return this.scalar(datatype('integer_host'), 32, e.span, (d) =>
          this.insns.push({ op: 'numgen', dreg: netlinkReg(d), type: e.type === 'inc' ? 0 : 1, mod: e.mod, offset: e.offset }));
      case 'hash':
        return hashExpr(this, e);
      case 'socket':
        return socketExpr(this, e);
      case 'osf':
        return this.scalar(datatype('string'), 128, e.span, (d) => this.insns.push({ op: 'osf', dreg: netlinkReg(d), ttl: e.ttl === 'loose' ? 1 : e.ttl === 'skip' ? 2 : 0, flags: e.key === 'version' ? 1 : 0 }));
      case 'ipsec':
        return ipsecExpr(this, e);
      case 'map':
        return mapExpr(this, e);
      case 'sym':
        this.err(e.span, `syntax error, unexpected ${e.tok === 'number' ? 'number' : 'string'}`);
      default:
        this.err(e.span, `Expression is not supported here`);
    }
  }

  /** Compiles one statement. */
  stmt(s: Stmt): void {
    switch (s.k) {
      case 'match':
        return match(this, s.l, s.op, s.r, s.span);
      case 'verdict':
        this.insns.push({ op: 'immediate_verdict', v: { verdict: s.v.v, chain: s.v.chain } });
        return;
      case 'vmap':
        return vmapStmt(this, s.e);
      case 'counter':
        this.insns.push({ op: 'counter', pkts: s.packets ?? 0n, bytes: s.bytes ?? 0n });
        return;
      case 'limit':
        this.insns.push({ op: 'limit', rate: s.rate, unit: s.unit, burst: s.burst, bytes: s.bytes, flags: s.over ? 1 : 0 });
        return;
      case 'quota':
        this.insns.push({ op: 'quota', bytes: s.bytes, consumed: s.used, flags: s.over ? 1 : 0 });
        return;
      case 'log':
        this.insns.push({ op: 'log', prefix: s.prefix, group: s.group, snaplen: s.snaplen, qthreshold: s.qthreshold, level: s.level, flags: s.flags });
        return;
      case 'reject':
        return rejectStmt(this, s);
      case 'notrack':
        this.insns.push({ op: 'notrack' });
        return;
      case 'comment':
        return;
      case 'setstmt':
        return this.setStmt(s);
      case 'nat':
        return natStmt(this, s);
      case 'queue':
        return queueStmt(this, s);
      case 'objref':
        return objrefStmt(this, s);
      case 'dynset':
        return dynsetStmt(this, s);
      case 'meter':
        return meterStmt(this, s);
      case 'ctcount':
        this.insns.push({ op: 'connlimit', count: s.count, flags: s.over ? 1 : 0 });
        return;
      case 'last':
        this.insns.push({ op: 'last' });
        return;
      case 'dup':
        return dupStmt(this, s);
      case 'fwd':
        return fwdStmt(this, s);
      case 'flowoffload':
        this.insns.push({ op: 'flow_offload', name: s.name });
        return;
      case 'tproxy':
        return tproxyStmt(this, s);
      case 'synproxy':
        this.insns.push({ op: 'synproxy', mss: s.mss ?? 0, wscale: s.wscale ?? 0 });
        return;
      default: {
        const other: { span: Span } = s;
        this.err(other.span, `statement not supported`);
      }
    }
  }

  /** `meta mark set 1`, `ct mark set ...`, `ip ttl set 1`, `tcp option maxseg size set 1400`. */
  private setStmt(s: Stmt & { k: 'setstmt' }): void {
    const t = s.target;
    if (t.k === 'meta') return metaSet(this, t, s.value);
    if (t.k === 'ct') return ctSet(this, t, s.value);
    if (t.k === 'payload' || t.k === 'raw') return payloadSet(this, t, s.value, s.span);
    if (t.k === 'exthdr') return exthdrSet(this, t, s.value);
    this.err(t.span, `syntax error, unexpected set`);
  }

  // ------------------------------------------------------------------
  // values

  /** A scalar of `bits` bits loaded by `load`; without `load`, just the type of a constant. */
  scalar(type: Datatype, bits: number, span: Span, load: (d: number) => void = NO_LOAD): LExpr {
    const len = Math.ceil(bits / 8);
    return { type, bits, len, order: type.order, shift: 0, load, hostNumeric: type.order === 'host' && !type.string, span };
  }

  /** A numeric constant of `type` (shift counts and the like). */
  constNum(e: Expr, type: Datatype): bigint {
    if (e.k !== 'sym') this.err(e.span, `expected a constant`);
    const v = parseLiteral(type, e.text, e.tok);
    if (typeof v === 'string') this.err(e.span, v);
    if (!('num' in v)) this.err(e.span, `expected a number`);
    return v.num;
  }

  /** Parses a constant for `l` into register bytes (shifted for sub-byte fields). */
  constBytes(l: LExpr, e: Expr, lenOverride?: number): Uint8Array {
    const len = lenOverride ?? l.len;
    if (e.k === 'concat' && !l.parts) this.concatArity(e, [l]);
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
    const v = this.value(l, e);
    return encodeNum(l.shift ? v << BigInt(l.shift) : v, len, l.order);
  }

  /** The numeric value of a constant for `l`'s type (checking its width); lists and `|` are or-ed. */
  value(l: LExpr, e: Expr): bigint {
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
    if (e.k === 'concat' && !l.parts) this.concatArity(e, [l]);
    if (e.k !== 'sym') this.err(e.span, `Expression is not a constant`);
    const v = parseLiteral(l.type, e.text, e.tok);
    if (typeof v === 'string') this.err(e.span, v);
    if ('str' in v) return bytesToNum(v.str);
    const max = l.type.max ?? maxOfBits(l.bits);
    if (v.num > max) this.err(e.span, l.type.name === 'inet_service' ? msg.serviceRange : l.type.rangeError ?? msg.valueRange(v.num, max));
    return v.num;
  }

  /** Allocates a register, loads constant `data` into it and returns its netlink number. */
  immediate(data: Uint8Array): number {
    const r = netlinkReg(this.regs.get());
    this.insns.push({ op: 'immediate', dreg: r, data });
    return r;
  }

  /** Loads the value of a `set` statement (constant, expression or map) into `d`. */
  valueInto(d: number, l: LExpr, v: Expr): void {
    if (v.k === 'sym' || v.k === 'list' || (v.k === 'binop' && isConst(v))) {
      const data = this.constBytes({ ...l, shift: 0 }, v);
      this.insns.push({ op: 'immediate', dreg: netlinkReg(d), data });
      return;
    }
    if (v.k === 'map') {
      this.pendingDataType = l.type;
      this.pendingDataBits = l.bits;
      mapExpr(this, v, l.type, l.bits).load(d);
      return;
    }
    const src = this.lhs(v);
    this.checkValueType(l, src, v);
    src.load(d);
    // A host-order value written into a big-endian field is converted first.
    if (src.hostNumeric && l.order === 'be' && !l.type.string) this.hton(d, src);
  }

  /**
   * nft's check of a statement's value expression against its target: plain
   * integers fit anything, except header fields of another width; any other
   * type must be the target's (`meta mark set ip saddr` is refused).
   */
  checkValueType(l: LExpr, src: LExpr, v: Expr): void {
    const integer = src.type.name.startsWith('integer');
    if ((v.k === 'payload' || v.k === 'raw') && integer) {
      if (l.type.string || src.bits !== l.bits) this.err(v.span, `datatype mismatch: expected ${l.type.desc}, expression has type integer with length ${src.bits}`);
      return;
    }
    if (!integer && !src.parts && src.type.name !== l.type.name) this.err(v.span, `datatype mismatch: expected ${l.type.desc}, expression has type ${src.type.desc}`);
  }

  /** Loads a `set` statement's value for target `l` into a register it frees again; returns the register. */
  valueReg(l: LExpr, v: Expr): number {
    const d = this.regs.get();
    this.valueInto(d, l, v);
    this.regs.release();
    return netlinkReg(d);
  }

  /**
   * Converts a host-order value in unit `reg` to network order (`byteorder
   * hton`). A single byte needs no conversion, except as a concatenation
   * component (`force`), where nft converts it anyway (`hton(reg 9, 2, 1)`).
   */
  hton(reg: number, l: LExpr, force = false): void {
    if (l.len < 2 && !force) return;
    // nft's word size: 8 or 4 bytes when the width is a multiple of it, else 2.
    const bits = l.len * 8;
    const size = bits % 64 === 0 ? 8 : bits % 32 === 0 ? 4 : 2;
    this.insns.push({ op: 'byteorder', sreg: netlinkReg(reg), dreg: netlinkReg(reg), hton: true, len: l.len, size });
  }
}

const MAX_OF_BITS: bigint[] = [];

/** The largest value of `bits` bits (memoized: bigint arithmetic allocates, and every constant is checked). */
function maxOfBits(bits: number): bigint {
  return (MAX_OF_BITS[bits] ??= (1n << BigInt(bits)) - 1n);
}

/** Register units a lookup key takes: a concatenation its words, anything else a 128-bit register. */
export function keyUnits(key: LExpr): number {
  return key.parts ? Math.ceil(key.len / 4) : 4;
}

/** Whether `e` is a constant (a symbol, a list, or constant operators on them). */
export function isConst(e: Expr): boolean {
  if (e.k === 'sym') return true;
  if (e.k === 'binop') return isConst(e.l) && isConst(e.r);
  if (e.k === 'list') return e.items.every(isConst);
  return false;
}

function flattenOr(e: Expr): Expr[] {
  if (e.k === 'binop' && e.op === '|') return [...flattenOr(e.l), ...flattenOr(e.r)];
  return [e];
}

/** The first value of a constant: through concatenations, ranges, prefixes and parentheses' results. */
function firstSymbol(e: Expr): Expr {
  for (;;) {
    if (e.k === 'concat') e = e.parts[0]!;
    else if (e.k === 'range') e = e.lo;
    else if (e.k === 'prefix') e = e.e;
    else return e;
  }
}
