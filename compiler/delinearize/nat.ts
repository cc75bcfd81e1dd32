// NAT and redirection statements printed back (nftables: src/statement.c
// nat_stmt_print, rewritten): `[ nat dnat ip addr_min reg 1 proto_min reg 2 ]`
// → `dnat to 10.0.0.2:8080` (`dnat ip to ...` in inet tables).

import type { Insn } from '../insn.js';
import type { DExpr } from './types.js';
import { exprText } from './print.js';
import { valueText, type ValueType } from './value.js';

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

/** `snat`/`dnat`/`masquerade`/`redirect` with their operands from `reg`. */
export function natText(i: Insn & { op: 'nat' | 'masq' | 'redir' }, family: string, reg: (n: number) => DExpr | undefined): string {
  let ports = '';
  if (i.protoMin !== undefined) {
    ports = ':' + operand(reg(i.protoMin), PORT);
    if (i.protoMax !== undefined && i.protoMax !== i.protoMin) {
      const hi = operand(reg(i.protoMax), PORT);
      if (hi !== ports.slice(1)) ports += '-' + hi;
    }
  }
  if (i.op === 'masq' || i.op === 'redir') {
    const name = i.op === 'masq' ? 'masquerade' : 'redirect';
    return `${name}${ports ? ` to ${ports}` : ''}${flagsText(i.flags)}`;
  }
  const v6 = i.family === 'ip6';
  const vt: ValueType = v6 ? { type: 'ipv6_addr', order: 'be', bits: 128 } : { type: 'ipv4_addr', order: 'be', bits: 32 };
  let addr = '';
  if (i.addrMin !== undefined) {
    const a = reg(i.addrMin);
    addr = operand(a, vt);
    if (i.addrMax !== undefined) {
      const b = operand(reg(i.addrMax), vt);
      if (b !== addr) addr += '-' + b;
    }
    if (v6 && ports && a?.k === 'value') addr = `[${addr}]`;
    // A map to `address . port` yields both operands from one lookup.
    if (a?.k === 'map' && i.protoMin !== undefined) ports = '';
  }
  const fam = family === 'inet' ? ` ${i.family}` : '';
  return `${i.kind}${fam} to ${addr}${ports}${flagsText(i.flags)}`;
}
