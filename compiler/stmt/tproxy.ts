// The tproxy statement (kernel: net/netfilter/nft_tproxy.c; nftables:
// src/evaluate.c stmt_evaluate_tproxy): redirects to a local socket, the
// address and port in registers. `tproxy ip to 127.0.0.1:8080` in inet →
// immediate reg 1 0x0100007f; immediate reg 2 0x0000901f; tproxy ip addr reg 1 port reg 2.

import type { Stmt } from '../ast.js';
import { datatype } from '../datatype.js';
import { NFPROTO } from '../deps.js';
import type { RuleCompiler } from '../linearize.js';

/** `tproxy [ip|ip6] to addr:port`: the family is the table's, or the statement's in inet. */
export function tproxyStmt(rc: RuleCompiler, s: Stmt & { k: 'tproxy' }): void {
  if (!rc.th) rc.err(s.span, `Transparent proxy support requires transport protocol match`);
  const fam = rc.family === 'inet' ? s.family : rc.family === 'ip6' ? 'ip6' : 'ip';
  const ctx = rc.family === 'inet' ? rc.nh : fam;
  if (s.family && ctx && ctx !== s.family) {
    rc.err(s.span, `conflicting protocols specified: ${ctx} vs. ${s.family}. You must specify ip or ip6 family in tproxy statement`);
  }
  if (s.addr && !fam) rc.err(s.span, `ip or ip6 must be specified with address for inet tables.`);
  let regAddr: number | undefined;
  if (s.addr) {
    const l = rc.scalar(datatype(fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr'), fam === 'ip6' ? 128 : 32, s.addr.span);
    regAddr = rc.immediate(rc.constBytes(l, s.addr));
  }
  let regPort: number | undefined;
  if (s.port) {
    const l = rc.scalar(datatype('inet_service'), 16, s.port.span);
    regPort = rc.immediate(rc.constBytes(l, s.port));
  }
  if (regAddr !== undefined) rc.regs.release();
  if (regPort !== undefined) rc.regs.release();
  rc.insns.push({ op: 'tproxy', family: fam ? NFPROTO[fam]! : 0, regAddr, regPort });
}
