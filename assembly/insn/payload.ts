// payload load and write (kernel: net/netfilter/nft_payload.c). Reads and
// writes packet bytes at link, network or transport header + offset; BREAK
// past the end, without L4 information, or on non-first fragments (except
// the fast path's quirk). `[ payload load 2b @ transport header + 2 => reg 1 ]`.

import { CmpOp, CMP_DATA, CMP_LEN, CMP_OP, FastOp, Op, PayloadBase, PayloadCsum, PayloadCsumFlags, PAYLOAD_BASE, PAYLOAD_DREG, PAYLOAD_LEN, PAYLOAD_OFFSET, PAYLOAD_SET_BASE, PAYLOAD_SET_CSUM_FLAGS, PAYLOAD_SET_CSUM_OFFSET, PAYLOAD_SET_CSUM_TYPE, PAYLOAD_SET_LEN, PAYLOAD_SET_OFFSET, PAYLOAD_SET_SREG, LoadError } from '../abi';
import { loadFail, regs, regStore, setBreak } from '../mem';
import { fastMask } from './cmp';
import { be16, csumFold, pData, pEnd, pFragoff, pL4, pMac, pNh, pThoff, pTprot } from '../packet';

/** Address where header `base` starts, 0 when the packet has none (or fragoff matters and is set). */
@inline function baseAddr(base: u32, fragCheck: bool): usize {
  if (base == PayloadBase.Network) return pData + pNh;
  if (base == PayloadBase.Transport) {
    if (!pL4 || (fragCheck && pFragoff != 0)) return 0;
    return pData + pThoff;
  }
  // Link layer: needs a MAC header of non-zero length.
  if (pMac < 0 || pNh == pMac) return 0;
  return pData + pMac;
}

/** Load-time checks of a payload load; picks the fast path as nft_payload_select_ops does. */
export function checkPayload(insn: usize): i32 {
  const base = <i32>load<u8>(insn, PAYLOAD_BASE);
  const len = <i32>load<u8>(insn, PAYLOAD_LEN);
  const off = load<u32>(insn, PAYLOAD_OFFSET);
  if (base > PayloadBase.Transport) return loadFail(LoadError.UnsupportedKey, Op.Payload, base);
  if (off > 0xffff) return loadFail(LoadError.BadOperand, Op.Payload, PAYLOAD_OFFSET, off);
  if (base != PayloadBase.LL && (len == 1 || len == 2 || len == 4) && off % len == 0) store<u8>(insn, FastOp.PayloadFast);
  return 0;
}

// Mirrors nft_payload_eval: copy len bytes (last word zeroed first) or BREAK.
@inline export function evalPayload(insn: usize): void {
  const start = baseAddr(load<u8>(insn, PAYLOAD_BASE), true);
  const len = <usize>load<u8>(insn, PAYLOAD_LEN);
  const p = start + load<u32>(insn, PAYLOAD_OFFSET);
  if (start == 0 || p + len > pEnd) {
    setBreak();
    return;
  }
  regStore(load<u8>(insn, PAYLOAD_DREG), p, len);
}

// Mirrors nft_payload_fast_eval: no fragment check (a non-first fragment's payload is read as the header); false = NFT_BREAK.
@inline export function evalPayloadFast(insn: usize): bool {
  const start = baseAddr(load<u8>(insn, PAYLOAD_BASE), false);
  const len = <i32>load<u8>(insn, PAYLOAD_LEN);
  const p = start + load<u32>(insn, PAYLOAD_OFFSET);
  if (start == 0 || p + len > pEnd) return false;
  const d = regs + (<usize>load<u8>(insn, PAYLOAD_DREG) << 2);
  if (len == 2) store<u32>(d, load<u16>(p));
  else if (len == 4) store<u32>(d, load<u32>(p));
  else store<u32>(d, load<u8>(p));
  return true;
}

// PayloadFast then CmpFast on its register (the records are adjacent; byte 1 holds their total size); false = NFT_BREAK.
// `nh` / `th` are the header addresses of the packet (th 0 without L4 information), `end` its end: doChain keeps them in locals.
@inline export function evalPayloadCmpFast(insn: usize, nh: usize, th: usize, end: usize): bool {
  const start = load<u8>(insn, PAYLOAD_BASE) == PayloadBase.Transport ? th : nh;
  const len = <usize>load<u8>(insn, PAYLOAD_LEN);
  const p = start + load<u32>(insn, PAYLOAD_OFFSET);
  if (start == 0 || p + len > end) return false;
  // A word read and masked: packet bytes are never the last bytes of memory (the record area follows the batch area).
  const v = load<u32>(p) & fastMask(<u32>len);
  store<u32>(regs + (<usize>load<u8>(insn, PAYLOAD_DREG) << 2), v);
  const c = insn + PAYLOAD_RECORD;
  return ((v & fastMask(load<u8>(c, CMP_LEN))) == load<u32>(c, CMP_DATA)) != (load<u8>(c, CMP_OP) != CmpOp.Eq);
}

/** Bytes of a payload load record. */
const PAYLOAD_RECORD: usize = 12;

/** Load-time checks of a payload write. */
export function checkPayloadSet(insn: usize): i32 {
  const base = <i32>load<u8>(insn, PAYLOAD_SET_BASE);
  const off = load<u32>(insn, PAYLOAD_SET_OFFSET);
  const ct = <i32>load<u8>(insn, PAYLOAD_SET_CSUM_TYPE);
  if (base > PayloadBase.Transport) return loadFail(LoadError.UnsupportedKey, Op.PayloadSet, base);
  if (off > 0xffff) return loadFail(LoadError.BadOperand, Op.PayloadSet, PAYLOAD_SET_OFFSET, off);
  if (ct == PayloadCsum.Sctp) return loadFail(LoadError.UnsupportedKey, Op.PayloadSet, ct);
  if (ct > PayloadCsum.Sctp) return loadFail(LoadError.BadOperand, Op.PayloadSet, PAYLOAD_SET_CSUM_TYPE, ct);
  if (<i32>load<u8>(insn, PAYLOAD_SET_CSUM_FLAGS) > PayloadCsumFlags.L4Pseudohdr) return loadFail(LoadError.BadOperand, Op.PayloadSet, PAYLOAD_SET_CSUM_FLAGS, load<u8>(insn, PAYLOAD_SET_CSUM_FLAGS));
  return 0;
}

/** csum_sub/csum_add on folded 16-bit sums. */
@inline function fold(s: u32): u32 {
  s = (s & 0xffff) + (s >> 16);
  return (s & 0xffff) + (s >> 16);
}

/** nft_csum_replace: RFC 1624 update of the big-endian sum at `p` from fsum to tsum. */
function csumReplace(p: usize, fsum: u32, tsum: u32): void {
  let s = ~be16(p) & 0xffff;
  s = fold(s + (~fsum & 0xffff));
  s = fold(s + tsum);
  let r = ~s & 0xffff;
  if (r == 0) r = 0xffff; // CSUM_MANGLED_0
  store<u8>(p, <u8>(r >> 8));
  store<u8>(p, <u8>r, 1);
}

// Mirrors nft_payload_set_eval: checksum fix-ups from the old and new bytes, then the store.
export function evalPayloadSet(insn: usize): void {
  const base = <i32>load<u8>(insn, PAYLOAD_SET_BASE);
  const start = baseAddr(base, true);
  const len = <usize>load<u8>(insn, PAYLOAD_SET_LEN);
  const p = start + load<u32>(insn, PAYLOAD_SET_OFFSET);
  if (start == 0 || p + len > pEnd) {
    setBreak();
    return;
  }
  const src = regs + (<usize>load<u8>(insn, PAYLOAD_SET_SREG) << 2);
  const ctype = <i32>load<u8>(insn, PAYLOAD_SET_CSUM_TYPE);
  const cflags = <i32>load<u8>(insn, PAYLOAD_SET_CSUM_FLAGS);
  if (ctype == PayloadCsum.Inet || cflags) {
    const fsum = csumFold(p, len);
    const tsum = csumFold(src, len);
    if (ctype == PayloadCsum.Inet) {
      const c = start + load<u8>(insn, PAYLOAD_SET_CSUM_OFFSET);
      if (c + 2 > pEnd) {
        setBreak();
        return;
      }
      csumReplace(c, fsum, tsum);
    }
    if (cflags & PayloadCsumFlags.L4Pseudohdr && pL4 && pFragoff == 0) {
      // nft_payload_l4csum_update: TCP always, UDP only when its checksum is in use.
      const th = pData + pThoff;
      if (pTprot == 6 && th + 18 <= pEnd) csumReplace(th + 16, fsum, tsum);
      else if (pTprot == 17 && th + 8 <= pEnd && be16(th + 6) != 0) csumReplace(th + 6, fsum, tsum);
    }
  }
  memory.copy(p, src, len);
}
