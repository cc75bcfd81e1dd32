// reject (kernel: net/netfilter/nft_reject_inet.c, nft_reject_ipv4/6.c):
// records the TCP reset or ICMP/ICMPv6 error the kernel would send, then
// drops. Building the reply bytes is the host's (not done yet).
// `[ reject type 0 code 3 ]`.

import { LoadError, Op, RecordKind, RejectType, REJECT_CODE, REJECT_TYPE, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { curChain, curRule, emitRecord } from '../records';

/** Load-time checks: known type; ICMPX codes 0..3. */
export function checkReject(insn: usize): i32 {
  const type = <i32>load<u8>(insn, REJECT_TYPE);
  if (type > RejectType.IcmpxUnreach) return loadFail(LoadError.BadOperand, Op.Reject, REJECT_TYPE, type);
  if (type == RejectType.IcmpxUnreach && <i32>load<u8>(insn, REJECT_CODE) > 3) return loadFail(LoadError.BadOperand, Op.Reject, REJECT_CODE, load<u8>(insn, REJECT_CODE));
  return 0;
}

// Mirrors nft_reject_inet_eval: send (here: record), verdict NF_DROP.
export function evalReject(insn: usize): void {
  emitRecord(RecordKind.Reject, load<u8>(insn, REJECT_TYPE), curChain, curRule, load<u8>(insn, REJECT_CODE), 0);
  store<i32>(regs, Verdict.Drop);
}
