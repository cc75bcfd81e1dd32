// reject (kernel: net/netfilter/nft_reject_inet.c, nft_reject_ipv4/6.c):
// builds the TCP reset or ICMP/ICMPv6 error the kernel would send
// (reject-build.ts) into the record area, records it, then drops.
// `[ reject type 0 code 3 ]`.

import { Family, LoadError, Op, RecordKind, RejectSkip, RejectType, REC_B, REJECT_CODE, REJECT_TYPE, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pNfproto, pProto } from '../packet';
import { buildRst4, buildRst6, buildUnreach4, buildUnreach6 } from '../reject-build';
import { curChain, curRule, emitRecord } from '../records';

/** Load-time checks: known type; ICMPX codes 0..3. */
export function checkReject(insn: usize): i32 {
  const type = <i32>load<u8>(insn, REJECT_TYPE);
  if (type > RejectType.IcmpxUnreach) return loadFail(LoadError.BadOperand, Op.Reject, REJECT_TYPE, type);
  if (type == RejectType.IcmpxUnreach && <i32>load<u8>(insn, REJECT_CODE) > 3) return loadFail(LoadError.BadOperand, Op.Reject, REJECT_CODE, load<u8>(insn, REJECT_CODE));
  return 0;
}

/** nft_reject_icmp_code / nft_reject_icmpv6_code: icmpx no-route, port, host, admin → the family's code. */
function icmpxCode(code: u32, v6: bool): u32 {
  if (v6) return code == 0 ? 0 : code == 1 ? 4 : code == 2 ? 3 : 1;
  return code == 0 ? 0 : code == 1 ? 3 : code == 2 ? 1 : 13;
}

// Mirrors nft_reject_inet_eval: send (here: build the reply and record it), verdict NF_DROP.
export function evalReject(insn: usize): void {
  const type = <u32>load<u8>(insn, REJECT_TYPE);
  const code = <u32>load<u8>(insn, REJECT_CODE);
  const fam = pNfproto == Family.Ipv4 || pNfproto == Family.Ipv6 ? pNfproto : pProto == 0x0800 ? Family.Ipv4 : pProto == 0x86dd ? Family.Ipv6 : 0;
  // The bridge and netdev families build the reply themselves (nf_reject_skb_v4/v6_*) instead of the stack's paths.
  const l2 = pNfproto == Family.Bridge || pNfproto == Family.Netdev;
  let out: u32 = RejectSkip.Malformed;
  if (fam == Family.Ipv4) {
    out = type == RejectType.TcpRst ? buildRst4(l2) : buildUnreach4(type == RejectType.IcmpxUnreach ? icmpxCode(code, false) : code, l2);
  } else if (fam == Family.Ipv6) {
    out = type == RejectType.TcpRst ? buildRst6(l2) : buildUnreach6(type == RejectType.IcmpxUnreach ? icmpxCode(code, true) : code, l2);
  }
  const r = emitRecord(RecordKind.Reject, type, curChain, curRule, code, 0);
  if (r) store<u32>(r, out, REC_B);
  store<i32>(regs, Verdict.Drop);
}
