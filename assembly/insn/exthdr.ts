// exthdr (kernel: net/netfilter/nft_exthdr.c): bytes of an IPv6 extension
// header, a TCP option or an IPv4 option, or just whether it is present.
// `[ exthdr load tcpopt 2b @ 2 + 2 => reg 1 ]`, `[ exthdr load ipv6 1b @ 44 + 0 present => reg 1 ]`.
// Writes (nft_exthdr_tcp_set_eval): 2 or 4 bytes of a TCP option, with the
// TCP checksum updated incrementally. `[ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]`.

import { ExthdrFlags, ExthdrOp, EXTHDR_DREG, EXTHDR_FLAGS, EXTHDR_LEN, EXTHDR_OFFSET, EXTHDR_OP, EXTHDR_SET_LEN, EXTHDR_SET_OFFSET, EXTHDR_SET_OP, EXTHDR_SET_SREG, EXTHDR_SET_TYPE, EXTHDR_TYPE, LoadError, Op } from '../abi';
import { loadFail, regs, regStore, setBreak } from '../mem';
import { fhOffset, ipv6FindHdr, pData, pEnd, pFragoff, pL4, pNh, pProto, pThoff, pTprot } from '../packet';

/** Load-time checks: ipv6, tcpopt and ipv4 (rr, lsrr, ssrr, ra). */
export function checkExthdr(insn: usize): i32 {
  const op = <i32>load<u8>(insn, EXTHDR_OP);
  if (op > ExthdrOp.Ipv4) return loadFail(LoadError.UnsupportedKey, Op.Exthdr, op);
  if (<i32>load<u8>(insn, EXTHDR_FLAGS) > ExthdrFlags.Present) return loadFail(LoadError.BadOperand, Op.Exthdr, EXTHDR_FLAGS, load<u8>(insn, EXTHDR_FLAGS));
  if (load<u8>(insn, EXTHDR_LEN) == 0) return loadFail(LoadError.BadOperand, Op.Exthdr, EXTHDR_LEN, 0);
  if (op == ExthdrOp.Ipv4) {
    const t = <i32>load<u8>(insn, EXTHDR_TYPE);
    if (t != 7 && t != 131 && t != 137 && t != 148) return loadFail(LoadError.UnsupportedKey, Op.Exthdr, 0x100 | t);
  }
  return 0;
}

/** Copies len bytes at `p` into the destination, or BREAK when they are not all in the packet. */
@inline function copyOut(insn: usize, p: usize): void {
  const len = <usize>load<u8>(insn, EXTHDR_LEN);
  if (p + len > pEnd) {
    setBreak();
    return;
  }
  regStore(load<u8>(insn, EXTHDR_DREG), p, len);
}

/** TCP option kinds 0/1 and zero lengths advance by one (optlen()). */
@inline function optlen(o: usize, i: u32): u32 {
  const k = <i32>load<u8>(o + i);
  const l = <u32>load<u8>(o + i + 1);
  return k <= 1 || l == 0 ? 1 : l;
}

/** First IPv4 option of type `t` (the part of __ip_options_compile the lookup needs); offset from the network header, -1 if absent or malformed. */
function ipv4Option(t: u32): i32 {
  const nh = pData + pNh;
  if (nh + 20 > pEnd) return -1;
  const hl = <u32>(load<u8>(nh) & 15) << 2;
  if (hl <= 20 || nh + hl > pEnd) return -1;
  let found: i32 = -1;
  let i: u32 = 20;
  while (i < hl) {
    const k = <u32>load<u8>(nh + i);
    if (k == 0) break;
    if (k == 1) {
      i++;
      continue;
    }
    if (i + 1 >= hl) return -1;
    const l = <u32>load<u8>(nh + i + 1);
    if (l < 2 || i + l > hl) return -1;
    if (k == t && found < 0) found = <i32>i;
    i += l;
  }
  return found;
}

// Mirrors nft_exthdr_ipv6_eval, nft_exthdr_tcp_eval and nft_exthdr_ipv4_eval.
export function evalExthdr(insn: usize): void {
  const op = <i32>load<u8>(insn, EXTHDR_OP);
  const present = (load<u8>(insn, EXTHDR_FLAGS) & ExthdrFlags.Present) != 0;
  const d = regs + (<usize>load<u8>(insn, EXTHDR_DREG) << 2);
  const type = <i32>load<u8>(insn, EXTHDR_TYPE);
  const off = <usize>load<u16>(insn, EXTHDR_OFFSET);
  if (op == ExthdrOp.Ipv6) {
    const r = pProto == 0x86dd ? ipv6FindHdr(type) : -1;
    if (present) store<u32>(d, r >= 0 ? 1 : 0);
    else if (r < 0) setBreak();
    else copyOut(insn, pData + fhOffset + off);
    return;
  }
  if (op == ExthdrOp.Ipv4) {
    const r = pProto == 0x0800 ? ipv4Option(type) : -1;
    if (present) store<u32>(d, r >= 0 ? 1 : 0);
    else if (r < 0) setBreak();
    else copyOut(insn, pData + pNh + r + off);
    return;
  }
  // TCP options: only a whole, sane TCP header of a first fragment.
  const th = pData + pThoff;
  if (pL4 && pTprot == 6 && pFragoff == 0 && th + 20 <= pEnd) {
    const hl = <u32>(load<u8>(th, 12) >> 4) << 2;
    if (hl >= 20 && th + hl <= pEnd) {
      const len = <u32>load<u8>(insn, EXTHDR_LEN);
      for (let i: u32 = 20; i < hl - 1; i += optlen(th, i)) {
        if (<i32>load<u8>(th + i) != type) continue;
        const ol = optlen(th, i);
        if (i + ol > hl || len + <u32>off > ol) break;
        if (present) store<u32>(d, 1);
        else regStore(load<u8>(insn, EXTHDR_DREG), th + i + off, len);
        return;
      }
    }
  }
  if (present) store<u32>(d, 0);
  else setBreak();
}

/** Load-time checks of a write (nft_exthdr_tcp_set_init): TCP options only, 2 or 4 bytes. */
export function checkExthdrSet(insn: usize): i32 {
  const op = <i32>load<u8>(insn, EXTHDR_SET_OP);
  if (op != ExthdrOp.Tcpopt) return loadFail(LoadError.UnsupportedKey, Op.ExthdrSet, op);
  const len = <i32>load<u8>(insn, EXTHDR_SET_LEN);
  if (len != 2 && len != 4) return loadFail(LoadError.BadOperand, Op.ExthdrSet, EXTHDR_SET_LEN, len);
  return 0;
}

/** One's complement sum of the 16-bit big-endian words of a 2- or 4-byte value at p. */
@inline function words(p: usize, len: u32): u32 {
  let s: u32 = (<u32>load<u8>(p) << 8) | load<u8>(p, 1);
  if (len == 4) s += (<u32>load<u8>(p, 2) << 8) | load<u8>(p, 3);
  return s;
}

/** inet_proto_csum_replace2/4 on the TCP checksum at `c` (no CHECKSUM_PARTIAL in a replay): old bytes at o, new at n. */
function tcpCsumReplace(c: usize, o: usize, n: usize, len: u32): void {
  let s: u32 = ~((<u32>load<u8>(c) << 8) | load<u8>(c, 1)) & 0xffff;
  s += (len == 4 ? 0x1fffe : 0xffff) - words(o, len);
  s += words(n, len);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  const r = ~s & 0xffff;
  store<u8>(c, <u8>(r >> 8));
  store<u8>(c, <u8>r, 1);
}

// Mirrors nft_exthdr_tcp_set_eval: the first option of the type; an MSS is only ever lowered.
export function evalExthdrSet(insn: usize): void {
  const th = pData + pThoff;
  if (!pL4 || pTprot != 6 || pFragoff != 0 || th + 20 > pEnd) {
    setBreak();
    return;
  }
  const hl = <u32>(load<u8>(th, 12) >> 4) << 2;
  if (hl < 20 || th + hl > pEnd) {
    setBreak();
    return;
  }
  const type = <i32>load<u8>(insn, EXTHDR_SET_TYPE);
  const len = <u32>load<u8>(insn, EXTHDR_SET_LEN);
  const off = <u32>load<u16>(insn, EXTHDR_SET_OFFSET);
  const src = regs + (<usize>load<u8>(insn, EXTHDR_SET_SREG) << 2);
  for (let i: u32 = 20; i < hl - 1; i += optlen(th, i)) {
    if (<i32>load<u8>(th + i) != type) continue;
    const ol = optlen(th, i);
    if (i + ol > hl || len + off > ol) {
      setBreak();
      return;
    }
    const p = th + i + off;
    if (len == 2) {
      const o = (<u32>load<u8>(p) << 8) | load<u8>(p, 1);
      const nv = (<u32>load<u8>(src) << 8) | load<u8>(src, 1);
      // TCPOPT_MSS: an increase can stall the connection.
      if (type == 2 && o <= nv) return;
      if (o == nv) return;
    } else if (load<u32>(p) == load<u32>(src)) return;
    tcpCsumReplace(th + 16, p, src, len);
    memory.copy(p, src, len);
    return;
  }
}
