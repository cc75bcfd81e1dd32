// NAT and redirection statements printed back (nftables: src/statement.c
// nat_stmt_print, rewritten): `[ nat dnat ip addr_min reg 1 proto_min reg 2 ]`
// → `dnat to 10.0.0.2:8080` (`dnat ip to ...` in inet tables).

import type { Insn } from '../insn.js';
import type { DExpr } from './types.js';
import { exprText, vtsOf } from './print.js';
import { anonSetText, rangeText } from './set.js';
import { valueText, type ValueType } from './value.js';

/** NF_NAT_RANGE_NETMAP: the address range is a prefix mapped onto another. */
const NETMAP = 0x40;
const NAT_FLAGS: [number, string][] = [[0x4, 'random'], [0x10, 'fully-random'], [0x8, 'persistent']];

function flagsText(f: number): string {
  const n = NAT_FLAGS.filter(([b]) => f & b).map(([, s]) => s);
  return n.length ? ' ' + n.join(',') : '';
}

function operand(e: DExpr | undefined, vt: ValueType): string {
  if (!e) return '?';
  if (e.k === 'value') return valueText(vt, e.data.slice(0, Math.ceil(vt.bits / 8)));
  return exprText(e);
}

const PORT: ValueType = { type: 'inet_service', order: 'be', bits: 16 };

/** Register number → 32-bit word index (as in the delinearizer). */
function word(reg: number): number {
  return reg <= 4 ? reg * 4 : reg - 4;
}

/** An address or an address range: prefix-aligned ranges print as prefixes (`10.0.0.2/31`). */
function addrRange(vt: ValueType, lo: Uint8Array, hi: Uint8Array | undefined, bracket: boolean): string {
  const b = (x: string) => (bracket ? `[${x}]` : x);
  if (!hi) return b(valueText(vt, lo));
  const t = rangeText(vt, lo, hi, true);
  if (!bracket || !t.includes('-')) return b(t);
  return `${b(valueText(vt, lo))}-${b(valueText(vt, hi))}`;
}

/**
 * The data of a NAT map whose one lookup fills several operands (`addr . port`,
 * `addr-addr`, `prefix`): each element's data split at the operands' register words.
 */
function natMapData(i: Insn & { op: 'nat' }, vt: ValueType): (d: Uint8Array) => string {
  const base = word(i.addrMin!);
  const at = (r: number | undefined) => (r === undefined ? undefined : (word(r) - base) * 4);
  const aLen = vt.bits / 8;
  return (d) => {
    const slice = (o: number | undefined, n: number) => (o === undefined ? undefined : d.slice(o, o + n));
    const lo = d.slice(0, aLen);
    const hi = slice(at(i.addrMax), aLen);
    let t = addrRange(vt, lo, hi, false);
    const pmin = slice(at(i.protoMin), 2);
    if (pmin) {
      const pmax = slice(at(i.protoMax), 2);
      t += ` . ${valueText(PORT, pmin)}`;
      if (pmax && valueText(PORT, pmax) !== valueText(PORT, pmin)) t += `-${valueText(PORT, pmax)}`;
    }
    return t;
  };
}

/** `snat`/`dnat`/`masquerade`/`redirect` with their operands from `reg`. */
export function natText(i: Insn & { op: 'nat' | 'masq' | 'redir' }, family: string, reg: (n: number) => DExpr | undefined): string {
  let ports = '';
  const portsOf = () => {
    if (i.protoMin === undefined) return '';
    let p = ':' + operand(reg(i.protoMin), PORT);
    if (i.protoMax !== undefined && i.protoMax !== i.protoMin) {
      const hi = operand(reg(i.protoMax), PORT);
      if (hi !== p.slice(1)) p += '-' + hi;
    }
    return p;
  };
  if (i.op === 'masq' || i.op === 'redir') {
    ports = portsOf();
    const name = i.op === 'masq' ? 'masquerade' : 'redirect';
    return `${name}${ports ? ` to ${ports}` : ''}${flagsText(i.flags)}`;
  }
  const v6 = i.family === 'ip6';
  const vt: ValueType = v6 ? { type: 'ipv6_addr', order: 'be', bits: 128 } : { type: 'ipv4_addr', order: 'be', bits: 32 };
  let addr = '';
  let fam = family === 'inet' ? ` ${i.family}` : '';
  const a = i.addrMin !== undefined ? reg(i.addrMin) : undefined;
  if (a?.k === 'map' && (i.addrMax !== undefined || i.protoMin !== undefined)) {
    // One lookup yields every operand: nft prints the family and the data as `addr . port` or a range.
    fam = ` ${i.family}${i.flags & NETMAP ? ' prefix' : ''}`;
    const m = a.set.anonymous ? anonSetText(a.set, vtsOf(a.key), undefined, natMapData(i, vt)) : `@${a.set.name}`;
    return `${i.kind}${fam} to ${exprText(a.key)} map ${m}${flagsText(i.flags)}`;
  }
  ports = portsOf();
  if (a) {
    const b = i.addrMax !== undefined ? reg(i.addrMax) : undefined;
    const bracket = v6 && !!ports;
    if (a.k === 'value' && (b === undefined || b.k === 'value')) addr = addrRange(vt, a.data.slice(0, vt.bits / 8), b?.data.slice(0, vt.bits / 8), bracket);
    else addr = operand(a, vt) + (b ? `-${operand(b, vt)}` : '');
  }
  return `${i.kind}${fam} to ${addr}${ports}${flagsText(i.flags)}`;
}
