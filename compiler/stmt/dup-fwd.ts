// The dup and fwd statements (kernel: net/netfilter/nft_dup_netdev.c,
// nft_dup_ipv4/6.c, nft_fwd_netdev.c): a copy of the packet, or the packet
// itself, sent to an address and/or device given in registers.
// `dup to 10.0.0.1 device "lo"` → immediate reg 1 0x0100000a; immediate reg 2
// 0x00000001; dup sreg_addr 1 sreg_dev 2.

import type { Expr, Stmt } from '../ast.js';
import { datatype, encodeNum, ifindexOf } from '../datatype.js';
import { NFPROTO } from '../deps.js';
import type { RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** `dup to addr [device dev]`, or in netdev tables `dup to dev`. */
export function dupStmt(rc: RuleCompiler, s: Stmt & { k: 'dup' }): void {
  let ra: number | undefined;
  let rd: number | undefined;
  const fam = rc.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
  if (rc.family !== 'netdev') {
    ra = rc.regs.get();
    const l = rc.scalar(datatype(fam), fam === 'ipv6_addr' ? 128 : 32, s.to.span);
    if (s.to.k === 'sym') rc.insns.push({ op: 'immediate', dreg: netlinkReg(ra), data: rc.constBytes(l, s.to) });
    else rc.valueInto(ra, l, s.to);
    if (s.dev) {
      rd = rc.regs.get();
      devInto(rc, rd, s.dev);
    }
  } else {
    rd = rc.regs.get();
    devInto(rc, rd, s.to);
  }
  if (ra !== undefined) rc.regs.release();
  if (rd !== undefined) rc.regs.release();
  rc.insns.push({ op: 'dup', regAddr: ra !== undefined ? netlinkReg(ra) : undefined, regDev: rd !== undefined ? netlinkReg(rd) : undefined });
}

/** `fwd to dev` or `fwd ip to addr device dev`: the device register comes first. */
export function fwdStmt(rc: RuleCompiler, s: Stmt & { k: 'fwd' }): void {
  const rd = rc.regs.get();
  devInto(rc, rd, s.to);
  let regAddr: number | undefined;
  if (s.family) {
    const t = s.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
    const l = rc.scalar(datatype(t), t === 'ipv6_addr' ? 128 : 32, s.addr!.span);
    regAddr = rc.immediate(rc.constBytes(l, s.addr!));
    rc.regs.release();
  }
  rc.regs.release();
  rc.insns.push({ op: 'fwd', regDev: netlinkReg(rd), regAddr, family: s.family && NFPROTO[s.family] });
}

/** An interface index into unit `d`: a known interface name or a number as a constant, anything else as a value. */
function devInto(rc: RuleCompiler, d: number, e: Expr): void {
  const l = rc.scalar(datatype('iface_index'), 32, e.span);
  if (e.k === 'sym') {
    const known = ifindexOf(e.text);
    const idx = known !== undefined ? BigInt(known) : /^\d+$/.test(e.text) ? BigInt(e.text) : undefined;
    if (idx === undefined) rc.err(e.span, `Interface does not exist`);
    rc.insns.push({ op: 'immediate', dreg: netlinkReg(d), data: encodeNum(idx, 4, 'host') });
  } else rc.valueInto(d, l, e);
}
