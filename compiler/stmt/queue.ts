// The queue statement (kernel: net/netfilter/nft_queue.c; nftables:
// src/evaluate.c stmt_evaluate_queue): hands the packet to user space on a
// queue number, a range of them, or one taken from a register.
// `queue num 2-3 fanout` → queue num 2-3 fanout.

import type { Stmt } from '../ast.js';
import { datatype } from '../datatype.js';
import type { RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** NFT_QUEUE_FLAG_* by nft keyword. */
const QUEUE_FLAGS: Record<string, number> = { bypass: 1, fanout: 2 };

/** `queue [flags] [num n | num a-b | to expr]`. */
export function queueStmt(rc: RuleCompiler, s: Stmt & { k: 'queue' }): void {
  let flags = 0;
  for (const f of s.flags) flags |= QUEUE_FLAGS[f] ?? 0;
  let num = 0;
  let total = 1;
  const n = s.num;
  if (n && n.k !== 'sym' && !(n.k === 'range' && n.lo.k === 'sym' && n.hi.k === 'sym')) {
    // `queue to <expr>`: the queue number comes from a register.
    const d = rc.regs.get();
    rc.lhs(n).load(d);
    rc.regs.release();
    rc.insns.push({ op: 'queue', num: 0, total: 1, flags, sregQnum: netlinkReg(d) });
    return;
  }
  if (n) {
    const q = rc.scalar(datatype('integer'), 16, n.span);
    const span = s.numSpan ?? n.span;
    if (n.k === 'range') {
      num = Number(rc.value(q, n.lo));
      const hi = Number(rc.value(q, n.hi));
      if (hi < num) rc.err(span, `Range has zero or negative size`);
      total = hi - num + 1;
    } else {
      num = Number(rc.value(q, { ...n, span }));
      if (flags & QUEUE_FLAGS.fanout!) rc.err(span, `fanout requires a range to be specified`);
    }
  }
  rc.insns.push({ op: 'queue', num, total, flags });
}
