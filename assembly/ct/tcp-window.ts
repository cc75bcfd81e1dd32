// TCP window tracking for conntrack (kernel: tcp_in_window, tcp_options and
// tcp_sack in net/netfilter/nf_conntrack_proto_tcp.c; digest: conntrack.md
// §3.10): per side the highest sequence sent, the right edge the peer allows
// and the largest window, checked on every packet of an entry. Also the TCP
// header readers shared with the state machine in tcp.ts.

import {
  CtOption, CTE_TCP_FLAGS0, CTE_TCP_LAST_ACK, CTE_TCP_LAST_DIR, CTE_TCP_LAST_END, CTE_TCP_LAST_SEQ,
  CTE_TCP_LAST_WIN, CTE_TCP_RETRANS, CTE_TCP_SCALE0, CTE_TCP_SEEN0, CTE_TCP_SEEN1, TCP_TD_END,
  TCP_TD_MAXACK, TCP_TD_MAXEND, TCP_TD_MAXWIN, TcpDirFlags, TcpState,
} from '../abi';
import { be16 } from '../packet';
import { ctOption } from './entry';

/** Packet classes, the columns of the state table (kernel: TCP_*_SET of get_conntrack_index). */
export const TCP_SYN_SET: u32 = 0;
export const TCP_SYNACK_SET: u32 = 1;
export const TCP_FIN_SET: u32 = 2;
export const TCP_ACK_SET: u32 = 3;
export const TCP_RST_SET: u32 = 4;
export const TCP_NONE_SET: u32 = 5;

/** TCP header flag bits (byte 13). */
export const TH_FIN: u32 = 0x01;
export const TH_SYN: u32 = 0x02;
export const TH_RST: u32 = 0x04;
export const TH_ACK: u32 = 0x10;

/** tcpInWindow: in window, the side data updated (kernel: enum nf_ct_tcp_action NFCT_TCP_ACCEPT). */
export const WIN_ACCEPT = 0;
/** tcpInWindow: let through with the entry, nothing learnt or refreshed (NFCT_TCP_IGNORE). */
export const WIN_IGNORE = 1;
/** tcpInWindow: out of window, `ct state invalid` (NFCT_TCP_INVALID). */
export const WIN_INVALID = 2;

/** parseOptions: the header has option bytes (so parsing resets the side's scale and flags). */
const OPT_PRESENT: u32 = 0x10000;
/** Smallest window an ACK may lag behind by (kernel: MAXACKWINDOW's floor). */
const MAXACKWINDOW_MIN: u32 = 66000;
/** RFC 7323 cap on the window shift (kernel: TCP_MAX_WSCALE). */
const MAX_WSCALE: u32 = 14;

/** before(a, b) in sequence space: signed 32-bit difference. */
@inline export function before(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}
/** after(a, b) in sequence space. */
@inline export function after(a: u32, b: u32): bool {
  return <i32>(b - a) < 0;
}

/** Sequence number of the header at `th`. */
@inline export function thSeq(th: usize): u32 {
  return bswap<u32>(load<u32>(th, 4));
}
/** Acknowledgement number. */
@inline export function thAck(th: usize): u32 {
  return bswap<u32>(load<u32>(th, 8));
}
/** Flag byte (FIN..CWR). */
@inline export function thFlags(th: usize): u32 {
  return <u32>load<u8>(th, 13);
}
/** Raw (unscaled) window. */
@inline export function thWin(th: usize): u32 {
  return be16(th + 14);
}
/** Header length in bytes (data offset × 4). */
@inline export function thDoff(th: usize): u32 {
  return (<u32>load<u8>(th, 12) >> 4) << 2;
}

/** Mirrors segment_seq_plus_len: seq + payload bytes, + 1 for SYN, + 1 for FIN. */
export function segEnd(th: usize, len: u32): u32 {
  const f = thFlags(th);
  return thSeq(th) + (len - thDoff(th)) + (f & TH_SYN ? 1 : 0) + (f & TH_FIN ? 1 : 0);
}

/** Window block (TCP_TD_*) of direction `d`'s sender. */
@inline export function seen(ct: usize, d: u32): usize {
  return ct + (d ? CTE_TCP_SEEN1 : CTE_TCP_SEEN0);
}
/** TcpDirFlags of direction `d`. */
@inline export function dirFlags(ct: usize, d: u32): u32 {
  return <u32>load<u8>(ct + CTE_TCP_FLAGS0 + (<usize>d << 1));
}
/** Sets the TcpDirFlags of direction `d`. */
@inline export function setDirFlags(ct: usize, d: u32, v: u32): void {
  store<u8>(ct + CTE_TCP_FLAGS0 + (<usize>d << 1), <u8>v);
}
/** td_scale of direction `d`. */
@inline export function dirScale(ct: usize, d: u32): u32 {
  return <u32>load<u8>(ct + CTE_TCP_SCALE0 + (<usize>d << 1));
}
/** Sets td_scale of direction `d`. */
@inline export function setDirScale(ct: usize, d: u32, v: u32): void {
  store<u8>(ct + CTE_TCP_SCALE0 + (<usize>d << 1), <u8>v);
}

/**
 * Size of the TCP option at `p` (header ends at `end`): 1 for NOP, 0 at EOL
 * or a malformed or partial option (the walk stops there). Every step
 * advances, so a walk never loops nor reads past the header.
 */
@inline function optSize(p: usize, end: usize): usize {
  const kind = <u32>load<u8>(p);
  if (kind == 0) return 0;
  if (kind == 1) return 1;
  if (end - p < 2) return 0;
  const size = <usize>load<u8>(p, 1);
  return size < 2 || size > end - p ? 0 : size;
}

/**
 * Mirrors tcp_options: the SYN's window scale and SACK-permitted options, as
 * OPT_PRESENT | flags (TcpDirFlags WindowScale/SackPerm) | shift << 8; 0 when
 * the header has no option bytes.
 */
export function parseOptions(th: usize): u32 {
  let p = th + 20;
  const end = th + thDoff(th);
  if (p >= end) return 0;
  let r = OPT_PRESENT;
  while (p < end) {
    const size = optSize(p, end);
    if (!size) break;
    const kind = <u32>load<u8>(p);
    if (kind == 4 && size == 2) r |= TcpDirFlags.SackPerm;
    else if (kind == 3 && size == 3) {
      const s = min<u32>(<u32>load<u8>(p, 2), MAX_WSCALE);
      r = (r & ~0xff00) | TcpDirFlags.WindowScale | (s << 8);
    }
    p += size;
  }
  return r;
}

/** Stores parsed options as direction `d`'s td_scale and flags (BE_LIBERAL survives); no option bytes: unchanged. */
export function applyOptions(ct: usize, d: u32, opts: u32): void {
  if (!(opts & OPT_PRESENT)) return;
  setDirScale(ct, d, (opts >> 8) & 0xff);
  setDirFlags(ct, d, (dirFlags(ct, d) & TcpDirFlags.BeLiberal) | (opts & 0xff));
}

/** Mirrors tcp_sack: the highest right edge of the first SACK option's blocks, or `ack` if none is after it. */
function sackOf(th: usize, ack: u32): u32 {
  let p = th + 20;
  const end = th + thDoff(th);
  let sack = ack;
  while (p < end) {
    const size = optSize(p, end);
    if (!size) break;
    const kind = <u32>load<u8>(p);
    // kind 5: 2 bytes of kind/length, then 8-byte blocks (left edge, right edge).
    if (kind == 5 && size >= 10 && ((size - 2) & 7) == 0) {
      for (let i: usize = 2; i < size; i += 8) {
        const right = bswap<u32>(load<u32>(p + i + 4));
        if (after(right, sack)) sack = right;
      }
      return sack;
    }
    p += size;
  }
  return sack;
}

/** Mirrors tcp_init_sender: a SYN or SYN-ACK (re)starts its side's window data and options. */
function initSender(ct: usize, dir: u32, th: usize, end: u32, win: u32): void {
  const s = seen(ct, dir);
  store<u32>(s, end, TCP_TD_END);
  store<u32>(s, end, TCP_TD_MAXEND);
  store<u32>(s, win ? win : 1, TCP_TD_MAXWIN);
  applyOptions(ct, dir, parseOptions(th));
  // RFC 7323: scaling is on only if both SYNs carried the option.
  if (dir == 1 && !(dirFlags(ct, 0) & dirFlags(ct, 1) & TcpDirFlags.WindowScale)) {
    setDirScale(ct, 0, 0);
    setDirScale(ct, 1, 0);
  }
}

/**
 * Mirrors tcp_in_window: checks the segment of `th` (class `index`, `len`
 * segment bytes) against both sides' window data and updates them.
 * `state` is the entry's stored TCP state (before this packet).
 */
export function tcpInWindow(ct: usize, dir: u32, index: u32, th: usize, len: u32, state: u32): i32 {
  const snd = seen(ct, dir);
  const rcv = seen(ct, dir ^ 1);
  const f = thFlags(th);
  let seq = thSeq(th);
  let ack = thAck(th);
  const winRaw = thWin(th);
  let win = winRaw;
  let end = segEnd(th, len);
  let sack = dirFlags(ct, dir ^ 1) & TcpDirFlags.SackPerm ? sackOf(th, ack) : ack;

  if (load<u32>(snd, TCP_TD_MAXWIN) == 0) {
    if (f & TH_SYN) {
      initSender(ct, dir, th, end, win);
      // A SYN from the other side: simultaneous open, nothing to check yet.
      if (!(f & TH_ACK)) return WIN_ACCEPT;
    } else {
      // First packet from this side of a picked-up flow: take what it shows.
      store<u32>(snd, end, TCP_TD_END);
      const swin = win << dirScale(ct, dir);
      const maxwin = swin ? swin : 1;
      store<u32>(snd, maxwin, TCP_TD_MAXWIN);
      store<u32>(snd, end + maxwin, TCP_TD_MAXEND);
      if (load<u32>(rcv, TCP_TD_MAXWIN) == 0) {
        store<u32>(rcv, sack, TCP_TD_END);
        store<u32>(rcv, sack, TCP_TD_MAXEND);
      } else if (sack == load<u32>(rcv, TCP_TD_END) + 1) {
        // Answer to a keep-alive probe, which sits one below td_end.
        store<u32>(rcv, sack, TCP_TD_END);
      }
    }
  } else if ((f & TH_SYN) && after(end, load<u32>(snd, TCP_TD_END)) &&
             (state == TcpState.SynSent || state == TcpState.SynRecv)) {
    // RFC 793: a reinitialised peer may start over with a higher ISN.
    initSender(ct, dir, th, end, win);
    if (dir == 1 && !(f & TH_ACK)) return WIN_ACCEPT;
  }

  const rEnd = load<u32>(rcv, TCP_TD_END);
  if (!(f & TH_ACK) || ((f & TH_RST) && ack == 0)) {
    // No ACK (or a broken stack's RST|ACK with ack 0): treat as acking all.
    ack = rEnd;
    sack = rEnd;
  }
  if ((f & TH_RST) && seq == 0 && state == TcpState.SynSent) {
    seq = load<u32>(snd, TCP_TD_END);
    end = seq;
  }

  const sEnd = load<u32>(snd, TCP_TD_END);
  const sMaxend = load<u32>(snd, TCP_TD_MAXEND);
  const sMaxwin = load<u32>(snd, TCP_TD_MAXWIN);
  const rMaxwin = load<u32>(rcv, TCP_TD_MAXWIN);
  const liberal = (dirFlags(ct, dir) & TcpDirFlags.BeLiberal) != 0 || ctOption(CtOption.TcpBeLiberal);
  const maxAckWin = sMaxwin > MAXACKWINDOW_MIN ? sMaxwin : MAXACKWINDOW_MIN;
  const ackOk = after(sack, rEnd - maxAckWin - 1);
  const inRecvWin = rMaxwin == 0 || after(end, sEnd - rMaxwin - 1);

  if (!before(seq, sMaxend + 1)) {
    // Over the right edge. A small overshoot inside the receiver's largest
    // window is remembered (so its ACK is not "over upper bound") and ignored.
    if (rMaxwin != 0 && inRecvWin && ackOk && end - sMaxend + 1 <= rMaxwin && before(sack, rEnd + 1)) {
      store<u32>(snd, end, TCP_TD_END);
      setDirFlags(ct, dir, dirFlags(ct, dir) | TcpDirFlags.DataUnacknowledged);
      return liberal ? WIN_ACCEPT : WIN_IGNORE;
    }
    return liberal ? WIN_ACCEPT : WIN_INVALID;
  }
  // ACKs data the receiver never sent.
  if (!before(sack, rEnd + 1)) return liberal ? WIN_ACCEPT : WIN_INVALID;
  // Old retransmission, or an overly delayed ACK: let it pass, learn nothing.
  if (!inRecvWin || !ackOk) return liberal ? WIN_ACCEPT : WIN_IGNORE;

  if (!(f & TH_SYN)) win <<= dirScale(ct, dir);
  const swin = win + (sack - ack);
  if (sMaxwin < swin) store<u32>(snd, swin, TCP_TD_MAXWIN);
  if (after(end, sEnd)) {
    store<u32>(snd, end, TCP_TD_END);
    setDirFlags(ct, dir, dirFlags(ct, dir) | TcpDirFlags.DataUnacknowledged);
  }
  if (f & TH_ACK) {
    const fl = dirFlags(ct, dir);
    if (!(fl & TcpDirFlags.MaxackSet)) {
      store<u32>(snd, ack, TCP_TD_MAXACK);
      setDirFlags(ct, dir, fl | TcpDirFlags.MaxackSet);
    } else if (after(ack, load<u32>(snd, TCP_TD_MAXACK))) store<u32>(snd, ack, TCP_TD_MAXACK);
  }

  if (rMaxwin != 0 && after(end, sMaxend)) store<u32>(rcv, rMaxwin + (end - sMaxend), TCP_TD_MAXWIN);
  if (after(sack + win, load<u32>(rcv, TCP_TD_MAXEND) - 1)) {
    store<u32>(rcv, sack + win + (win == 0 ? 1 : 0), TCP_TD_MAXEND);
  }
  if (ack == rEnd) setDirFlags(ct, dir ^ 1, dirFlags(ct, dir ^ 1) & ~TcpDirFlags.DataUnacknowledged);

  if (index == TCP_ACK_SET) {
    // Retransmission count: identical consecutive ACK-class segments (§3.7 rule 1).
    if (<u32>load<u8>(ct, CTE_TCP_LAST_DIR) == dir && load<u32>(ct, CTE_TCP_LAST_SEQ) == seq &&
        load<u32>(ct, CTE_TCP_LAST_ACK) == ack && load<u32>(ct, CTE_TCP_LAST_END) == end &&
        <u32>load<u16>(ct, CTE_TCP_LAST_WIN) == winRaw) {
      store<u8>(ct, load<u8>(ct, CTE_TCP_RETRANS) + 1, CTE_TCP_RETRANS);
    } else {
      store<u8>(ct, <u8>dir, CTE_TCP_LAST_DIR);
      store<u32>(ct, seq, CTE_TCP_LAST_SEQ);
      store<u32>(ct, ack, CTE_TCP_LAST_ACK);
      store<u32>(ct, end, CTE_TCP_LAST_END);
      store<u16>(ct, <u16>winRaw, CTE_TCP_LAST_WIN);
      store<u8>(ct, 0, CTE_TCP_RETRANS);
    }
  }
  return WIN_ACCEPT;
}
