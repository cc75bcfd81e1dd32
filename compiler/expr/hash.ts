// The hash expression (kernel: net/netfilter/nft_hash.c; nftables:
// src/hash.c): jhash of an expression, or the packet's symmetric hash,
// modulo n. `jhash ip saddr mod 16` → payload load 4b @ network + 12 => reg 2;
// hash reg 1 = jhash(reg 2, 4, 0x0) % mod 16.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import { keyUnits, type LExpr, type RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** `jhash ... mod n` / `symhash mod n`: the hash value, a host-order 32-bit integer. */
export function hashExpr(rc: RuleCompiler, e: Expr & { k: 'hash' }): LExpr {
  const src = e.type === 'jhash' ? rc.lhs(e.src!) : undefined;
  return rc.scalar(datatype('integer_host'), 32, e.span, (d) => {
    if (!src) {
      rc.insns.push({ op: 'hash', dreg: netlinkReg(d), type: 1, sreg: 0, len: 0, mod: e.mod, seed: 0, offset: e.offset });
      return;
    }
    const units = keyUnits(src);
    const s = rc.regs.get(units);
    src.load(s);
    rc.regs.release(units);
    rc.insns.push({ op: 'hash', dreg: netlinkReg(d), type: 0, sreg: netlinkReg(s), len: src.len, mod: e.mod, seed: e.seed ?? 0, offset: e.offset });
  });
}
