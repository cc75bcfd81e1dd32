// Binary operations on a value (kernel: net/netfilter/nft_bitwise.c;
// nftables: src/evaluate.c expr_evaluate_binop): `&`, `|`, `^` become one
// mask-xor, `<<`/`>>` a shift; in an equality nft moves them to the constant.
// `meta mark & 0xff == 1` → meta load mark; bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00000000; cmp.

import type { Expr, RelOp } from '../ast.js';
import { datatype } from '../datatype.js';
import { isConst, type LExpr, type RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** `x & c`, `x | c`, `x ^ c`, `x << n`, `x >> n` as a value. */
export function binopExpr(rc: RuleCompiler, e: Expr & { k: 'binop' }): LExpr {
  const l = rc.lhs(e.l);
  if (!isConst(e.r)) rc.err(e.r.span, `Right hand side of binary operation (${e.op}) must be constant`);
  if (e.op === '<<' || e.op === '>>') {
    const n = rc.constNum(e.r, datatype('integer_host'));
    return {
      ...l, shift: 0, payload: undefined, parts: undefined,
      load(d) {
        l.load(d);
        rc.insns.push({ op: 'bitwise_shift', sreg: netlinkReg(d), dreg: netlinkReg(d), len: l.len, left: e.op === '<<', shift: Number(n) });
      },
    };
  }
  const v = rc.constBytes(l, e.r);
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
      const last = rc.insns[rc.insns.length - 1];
      if (last && last.op === 'bitwise' && l.payload && last.dreg === netlinkReg(d) && l.shift + l.bits !== l.len * 8) {
        rc.insns.pop();
      }
      // Chained constant ops (`mark and 0xff or 0x1000`) fold into one mask-xor.
      if (last && last.op === 'bitwise' && last.dreg === netlinkReg(d) && e.l.k === 'binop' && e.l.op !== '<<' && e.l.op !== '>>') {
        rc.insns.pop();
        const m = last.mask.map((b, i) => b & mask[i]!);
        const x = last.xor.map((b, i) => (b & mask[i]!) ^ xor[i]!);
        rc.insns.push({ op: 'bitwise', sreg: last.sreg, dreg: netlinkReg(d), len, mask: m, xor: x });
        return;
      }
      rc.insns.push({ op: 'bitwise', sreg: netlinkReg(d), dreg: netlinkReg(d), len, mask, xor });
    },
  };
}

/**
 * nft moves `^ c` and `<< n` of an equality to the constant side:
 * `meta mark ^ 0xff == 0` compares the mark with 0xff.
 */
export function foldBinop(rc: RuleCompiler, le: Expr, op: RelOp, r: Expr): { le: Expr; l: LExpr; r: Expr } | undefined {
  if (le.k !== 'binop' || (le.op !== '^' && le.op !== '<<') || r.k !== 'sym') return undefined;
  if (op !== 'implicit' && op !== '==' && op !== '!=') return undefined;
  const l = rc.lhs(le.l);
  const v = rc.value(l, r);
  let folded: bigint;
  if (le.op === '^') folded = v ^ rc.value(l, le.r);
  else {
    const n = rc.constNum(le.r, datatype('integer_host'));
    if (v & ((1n << n) - 1n)) rc.err(r.span, `Comparison is always false`);
    folded = v >> n;
  }
  return { le: le.l, l, r: { k: 'sym', text: '0x' + folded.toString(16), tok: 'number', span: r.span } };
}
