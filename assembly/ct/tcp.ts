// TCP connection tracking (kernel: net/netfilter/nf_conntrack_proto_tcp.c;
// digest: conntrack.md §3): header check, first packet, the state table with
// ignore/resync, simultaneous open, RST validation, the timeout choice and
// ASSURED. Window tracking is in tcp-window.ts. With `ct state invalid drop`,
// what this refuses (bad flags, out-of-window segments, stray RSTs) is dropped.

import {
  CtOption, CtStatus, CtTimeout, CTE_STATE, CTE_TCP_LAST_ACK, CTE_TCP_LAST_DIR, CTE_TCP_LAST_END,
  CTE_TCP_LAST_FLAGS, CTE_TCP_LAST_INDEX, CTE_TCP_LAST_SEQ, CTE_TCP_LAST_WIN, CTE_TCP_LAST_WSCALE,
  CTE_TCP_RETRANS, CTE_TCP_SEEN0, TCP_TD_END, TCP_TD_MAXACK, TCP_TD_MAXEND, TCP_TD_MAXWIN, TcpDirFlags, TcpState,
} from '../abi';
import { ctOption, eventUpdate, maxRetrans, refresh, remainingMs, setStatusBits, status, timeoutMs } from './entry';
import {
  applyOptions, before, dirFlags, parseOptions, seen, segEnd, setDirFlags, setDirScale, tcpInWindow, thAck,
  thDoff, thFlags, thSeq, thWin, TCP_ACK_SET, TCP_FIN_SET, TCP_NONE_SET, TCP_RST_SET, TCP_SYNACK_SET, TCP_SYN_SET,
  TH_ACK, TH_FIN, TH_RST, TH_SYN, WIN_IGNORE, WIN_INVALID,
} from './tcp-window';

/** tcpPacket: accepted with its entry (state/timeout updated, or ignored: unchanged). */
export const TCP_ACCEPT = 0;
/** tcpPacket: refused, the packet gets no entry (`ct state invalid`). */
export const TCP_INVALID = 1;
/** tcpPacket: accepted with the entry, which the core then deletes (RST while no reply was seen, §3.5 step 9). */
export const TCP_DESTROY = 2;
/** tcpPacket: a SYN re-opening a TIME_WAIT/CLOSE entry (§3.8): delete it and track the packet as new. */
export const TCP_REOPEN = 3;

/** Pseudo-states of the table: invalid (sIV, TCP_CONNTRACK_MAX) and ignore (sIG). */
const S_IV: u32 = 10;
const S_IG: u32 = 11;
/** last_flags bits beyond TcpDirFlags (kernel: IP_CT_EXP_CHALLENGE_ACK, IP_CT_TCP_SIMULTANEOUS_OPEN). */
const EXP_CHALLENGE_ACK: u32 = 0x40;
const SIMULTANEOUS_OPEN: u32 = 0x80;
/** Flags left after ignoring PSH, ECE and CWR (FIN SYN RST ACK URG). */
const FLAG_MASK: u32 = 0x37;
/** Bit n set: flag byte n (after FLAG_MASK) is allowed (kernel: tcp_valid_flags). */
const VALID_FLAGS: u64 =
  (<u64>1 << 0x02) | (<u64>1 << 0x22) | (<u64>1 << 0x12) | // SYN, SYN|URG, SYN|ACK
  (<u64>1 << 0x04) | (<u64>1 << 0x14) | // RST, RST|ACK
  (<u64>1 << 0x11) | (<u64>1 << 0x31) | // FIN|ACK, FIN|ACK|URG
  (<u64>1 << 0x10) | (<u64>1 << 0x30); // ACK, ACK|URG

// Next state by [dir][class][state] (kernel: tcp_conntracks; digest §3.5).
// States in a row: NO SS SR ES FW CW LA TW CL S2.
const TABLE: usize = memory.data<u8>([
  // ORIGINAL
  1, 1, 11, 11, 11, 11, 11, 1, 1, 9, // syn
  10, 10, 2, 10, 10, 10, 10, 10, 10, 2, // synack
  10, 10, 4, 4, 6, 6, 6, 7, 8, 10, // fin
  3, 10, 3, 3, 5, 5, 7, 7, 8, 10, // ack
  10, 8, 8, 8, 8, 8, 8, 8, 8, 8, // rst
  10, 10, 10, 10, 10, 10, 10, 10, 10, 10, // none
  // REPLY
  10, 9, 10, 10, 10, 10, 10, 1, 10, 9, // syn
  10, 2, 11, 11, 11, 11, 11, 11, 11, 2, // synack
  10, 10, 4, 4, 6, 6, 6, 7, 8, 10, // fin
  10, 11, 2, 3, 5, 5, 7, 7, 8, 11, // ack
  10, 8, 8, 8, 8, 8, 8, 8, 8, 8, // rst
  10, 10, 10, 10, 10, 10, 10, 10, 10, 10, // none
]);

/** Mirrors get_conntrack_index: the packet's class (first match: RST, SYN-ACK, SYN, FIN, ACK). */
@inline function tcpIndex(th: usize): u32 {
  const f = thFlags(th);
  if (f & TH_RST) return TCP_RST_SET;
  if (f & TH_SYN) return f & TH_ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (f & TH_FIN) return TCP_FIN_SET;
  return f & TH_ACK ? TCP_ACK_SET : TCP_NONE_SET;
}

/** Timeout slot of a TCP state (CtTimeout: SYN_SENT..SYN_SENT2 are states 1..9). */
@inline function stateTimeoutMs(s: u32): u32 {
  return timeoutMs(s ? <i32>s - 1 : CtTimeout.TcpSynSent);
}

/** §3.3, mirrors tcp_error's checks: header readable, 5 ≤ data offset ≤ segment, allowed flag combination. */
export function tcpHeaderOk(th: usize, len: u32): bool {
  if (len < 20) return false;
  const doff = thDoff(th);
  if (doff < 20 || doff > len) return false;
  return ((VALID_FLAGS >> <u64>(thFlags(th) & FLAG_MASK)) & 1) != 0;
}

/** §3.4, mirrors tcp_new: a SYN opens SYN_SENT, an ACK is picked up as ESTABLISHED when loose; else false (invalid new). */
export function tcpNew(ct: usize, th: usize, len: u32): bool {
  const index = tcpIndex(th);
  if (index != TCP_SYN_SET && (index != TCP_ACK_SET || !ctOption(CtOption.TcpLoose))) return false;
  memory.fill(ct + CTE_TCP_SEEN0, 0, CTE_TCP_LAST_END + 4 - CTE_TCP_SEEN0);
  const s = seen(ct, 0);
  const end = segEnd(th, len);
  const win = thWin(th);
  const maxwin = win ? win : 1;
  store<u32>(s, end, TCP_TD_END);
  store<u32>(s, maxwin, TCP_TD_MAXWIN);
  if (index == TCP_SYN_SET) {
    store<u32>(s, end, TCP_TD_MAXEND);
    applyOptions(ct, 0, parseOptions(th));
    store<u8>(ct, TcpState.SynSent, CTE_STATE);
  } else {
    // Mid-stream: the history (and the window scale) is lost, so no window checks.
    store<u32>(s, end + maxwin, TCP_TD_MAXEND);
    setDirFlags(ct, 0, TcpDirFlags.SackPerm | TcpDirFlags.BeLiberal);
    setDirFlags(ct, 1, TcpDirFlags.SackPerm | TcpDirFlags.BeLiberal);
    store<u8>(ct, TcpState.Established, CTE_STATE);
  }
  // No class yet: tcpPacket reads this as "first packet" and starts from NONE.
  store<u8>(ct, <u8>TCP_NONE_SET, CTE_TCP_LAST_INDEX);
  return true;
}

/** §3.5 step 2 (ignored packet): remembers it so a later SYN-ACK can resynchronise; the entry stays as it is. */
function rememberIgnored(ct: usize, dir: u32, index: u32, th: usize, len: u32, old: u32): void {
  store<u8>(ct, <u8>index, CTE_TCP_LAST_INDEX);
  store<u8>(ct, <u8>dir, CTE_TCP_LAST_DIR);
  store<u32>(ct, thSeq(th), CTE_TCP_LAST_SEQ);
  store<u32>(ct, segEnd(th, len), CTE_TCP_LAST_END);
  store<u16>(ct, <u16>thWin(th), CTE_TCP_LAST_WIN);
  if (index == TCP_SYN_SET && dir == 0) {
    // Client and server may be in sync while we are not: keep the SYN's options.
    const o = parseOptions(th);
    let lf: u32 = 0;
    let ls: u32 = 0;
    if (o & TcpDirFlags.WindowScale) {
      lf = TcpDirFlags.WindowScale;
      ls = (o >> 8) & 0xff;
    }
    lf |= o & TcpDirFlags.SackPerm;
    // RFC 5961: the peer may answer with a challenge ACK, not an ACK of its FIN.
    if (old == TcpState.LastAck) lf |= EXP_CHALLENGE_ACK;
    store<u8>(ct, <u8>lf, CTE_TCP_LAST_FLAGS);
    store<u8>(ct, <u8>ls, CTE_TCP_LAST_WSCALE);
  }
  // A challenge ACK to our SYN: an RST from the client may answer it (§3.9.3).
  if (old == TcpState.SynSent && index == TCP_ACK_SET && dir == 1) store<u32>(ct, thAck(th), CTE_TCP_LAST_ACK);
}

/** §3.5 step 2 resync: a SYN-ACK acked the SYN we ignored; rebuild the SYN's side from last_* and restart this side. */
function resync(ct: usize, dir: u32): void {
  const ld = <u32>load<u8>(ct, CTE_TCP_LAST_DIR);
  const s = seen(ct, ld);
  const lastEnd = load<u32>(ct, CTE_TCP_LAST_END);
  const lastWin = <u32>load<u16>(ct, CTE_TCP_LAST_WIN);
  store<u32>(s, lastEnd, TCP_TD_END);
  store<u32>(s, lastEnd, TCP_TD_MAXEND);
  store<u32>(s, lastWin ? lastWin : 1, TCP_TD_MAXWIN);
  setDirScale(ct, ld, <u32>load<u8>(ct, CTE_TCP_LAST_WSCALE));
  const lf = <u32>load<u8>(ct, CTE_TCP_LAST_FLAGS) & ~EXP_CHALLENGE_ACK;
  store<u8>(ct, <u8>lf, CTE_TCP_LAST_FLAGS);
  setDirFlags(ct, ld, lf);
  // Mirrors nf_ct_tcp_state_reset: this side starts over at its SYN-ACK.
  const r = seen(ct, dir);
  store<u32>(r, 0, TCP_TD_END);
  store<u32>(r, 0, TCP_TD_MAXEND);
  store<u32>(r, 0, TCP_TD_MAXWIN);
  store<u32>(r, 0, TCP_TD_MAXACK);
  setDirScale(ct, dir, 0);
  setDirFlags(ct, dir, dirFlags(ct, dir) & TcpDirFlags.BeLiberal);
}

/**
 * §3.9: validates an RST whose table state is CLOSE. Returns -1 (invalid
 * RST), or bit 1 = accept without the window check, bit 2 = keep the old
 * state (an RST near but not at the expected sequence: room for a challenge ACK).
 */
function rstCheck(ct: usize, dir: u32, th: usize, old: u32, st: u32): i32 {
  // Closing: the tuple may be reused already and the window data is stale.
  if (old >= <u32>TcpState.FinWait && old <= <u32>TcpState.Close) return 1;
  const lastIndex = <u32>load<u8>(ct, CTE_TCP_LAST_INDEX);
  const lastDir = <u32>load<u8>(ct, CTE_TCP_LAST_DIR);
  const lastEnd = load<u32>(ct, CTE_TCP_LAST_END);
  const seq = thSeq(th);
  let r = 0;
  // td_maxack is stale if we let a SYN through since.
  if ((dirFlags(ct, dir ^ 1) & TcpDirFlags.MaxackSet) && lastIndex != TCP_SYN_SET) {
    const maxack = load<u32>(seen(ct, dir ^ 1), TCP_TD_MAXACK);
    const estab = old == TcpState.Established && (st & CtStatus.Assured) != 0;
    if (seq == 0 && !estab) return 0;
    if (before(seq, maxack) && !ctOption(CtOption.TcpIgnoreInvalidRst)) return -1;
    if (!estab || seq == maxack) return 0;
    // The RST right after this side's last data segment ("RST train").
    if (lastIndex == TCP_ACK_SET && lastDir == dir && seq == lastEnd) return 0;
    r = 2;
  }
  // An RST answering a SYN or ACK we let through unchecked: its ACK must match.
  const toSyn = (st & CtStatus.SeenReply) != 0 && lastIndex == TCP_SYN_SET;
  const toAck = (st & CtStatus.Assured) == 0 && lastIndex == TCP_ACK_SET;
  if ((toSyn || toAck) && thAck(th) == lastEnd) return r | 1;
  // An RST from the client answering the server's challenge ACK to its SYN.
  if (old == TcpState.SynSent && lastIndex == TCP_ACK_SET && lastDir == 1 && seq == load<u32>(ct, CTE_TCP_LAST_ACK)) {
    return r | 1;
  }
  return r;
}

/** §3.9.4, mirrors nf_tcp_handle_invalid: an out-of-window FIN/RST answering the peer's FIN/RST caps an ASSURED entry at 300 s. */
function shrinkOnInvalid(ct: usize, dir: u32, index: u32): void {
  const st = status(ct);
  if (!(st & CtStatus.Assured) || (st & CtStatus.FixedTimeout)) return;
  if (index != TCP_FIN_SET && index != TCP_RST_SET) return;
  const li = <u32>load<u8>(ct, CTE_TCP_LAST_INDEX);
  if (<u32>load<u8>(ct, CTE_TCP_LAST_DIR) != dir && (li == TCP_FIN_SET || li == TCP_RST_SET)) {
    const left = remainingMs(ct);
    if (left < 120000) return;
    const unack = timeoutMs(CtTimeout.TcpUnack);
    if (left > unack) refresh(ct, unack);
  } else {
    store<u8>(ct, <u8>index, CTE_TCP_LAST_INDEX);
    store<u8>(ct, <u8>dir, CTE_TCP_LAST_DIR);
  }
}

/** §3.7: the timeout for an accepted packet of class `index` entering `next`. */
function chooseTimeout(ct: usize, index: u32, next: u32): u32 {
  const t = stateTimeoutMs(next);
  const retrans = timeoutMs(CtTimeout.TcpRetrans);
  if (<u32>load<u8>(ct, CTE_TCP_RETRANS) >= maxRetrans() && t > retrans) return retrans;
  if (index == TCP_RST_SET) return timeoutMs(CtTimeout.TcpClose);
  const unack = timeoutMs(CtTimeout.TcpUnack);
  if (((dirFlags(ct, 0) | dirFlags(ct, 1)) & TcpDirFlags.DataUnacknowledged) && t > unack) return unack;
  if (load<u16>(ct, CTE_TCP_LAST_WIN) == 0 && t > retrans) return retrans;
  return t;
}

/** §3.5–§3.10, mirrors nf_conntrack_tcp_packet: tracks one packet of `ct` in direction `dir`; TCP_* result. */
export function tcpPacket(ct: usize, dir: u32, th: usize, len: u32): i32 {
  const index = tcpIndex(th);
  const lastIndex = <u32>load<u8>(ct, CTE_TCP_LAST_INDEX);
  const lastDir = <u32>load<u8>(ct, CTE_TCP_LAST_DIR);
  const st = status(ct);
  // The first packet moves the entry out of NONE, whatever tcpNew stored.
  const stored = lastIndex == TCP_NONE_SET ? <u32>TcpState.None : <u32>load<u8>(ct, CTE_STATE);
  let old = stored;
  let next = <u32>load<u8>(TABLE + dir * 60 + index * 10 + old);
  let windowCheck = true;

  if (next == TcpState.SynSent && old >= <u32>TcpState.TimeWait) {
    // §3.8: a SYN re-opens a closed connection if it was closed by a FIN or by our RST.
    if (((dirFlags(ct, 0) | dirFlags(ct, 1)) & TcpDirFlags.CloseInit) || (lastDir == dir && lastIndex == TCP_RST_SET)) {
      return TCP_REOPEN;
    }
    next = S_IG;
  }
  if (next == S_IG) {
    if (index == TCP_SYNACK_SET && lastIndex == TCP_SYN_SET && lastDir != dir &&
        thAck(th) == load<u32>(ct, CTE_TCP_LAST_END)) {
      resync(ct, dir);
      old = TcpState.SynSent;
      next = TcpState.SynRecv;
    } else {
      rememberIgnored(ct, dir, index, th, len, old);
      return TCP_ACCEPT;
    }
  } else if (next == S_IV) {
    return TCP_INVALID;
  } else if (next == TcpState.TimeWait) {
    const lf = <u32>load<u8>(ct, CTE_TCP_LAST_FLAGS);
    if (old == TcpState.LastAck && index == TCP_ACK_SET && lastDir != dir && lastIndex == TCP_SYN_SET &&
        (lf & EXP_CHALLENGE_ACK)) {
      // RFC 5961 challenge ACK to the ignored SYN: it does not ack our FIN.
      store<u8>(ct, <u8>(lf & ~EXP_CHALLENGE_ACK), CTE_TCP_LAST_FLAGS);
      return TCP_ACCEPT;
    }
  } else if (next == TcpState.SynSent2) {
    store<u8>(ct, load<u8>(ct, CTE_TCP_LAST_FLAGS) | <u8>SIMULTANEOUS_OPEN, CTE_TCP_LAST_FLAGS);
  } else if (next == TcpState.SynRecv) {
    // The table can't tell a simultaneous open's final ACK from a handshake's second step.
    if (dir == 1 && index == TCP_ACK_SET && (<u32>load<u8>(ct, CTE_TCP_LAST_FLAGS) & SIMULTANEOUS_OPEN)) {
      next = TcpState.Established;
    }
  } else if (next == TcpState.Close && index == TCP_RST_SET) {
    const r = rstCheck(ct, dir, th, old, st);
    if (r < 0) return TCP_INVALID;
    if (r & 2) next = old;
    windowCheck = (r & 1) == 0;
  }

  if (windowCheck) {
    const w = tcpInWindow(ct, dir, index, th, len, stored);
    if (w == WIN_IGNORE) return TCP_ACCEPT;
    if (w == WIN_INVALID) {
      shrinkOnInvalid(ct, dir, index);
      return TCP_INVALID;
    }
  }

  store<u8>(ct, <u8>index, CTE_TCP_LAST_INDEX);
  store<u8>(ct, <u8>dir, CTE_TCP_LAST_DIR);
  store<u8>(ct, <u8>next, CTE_STATE);
  if (old != next && next == TcpState.FinWait) setDirFlags(ct, dir, dirFlags(ct, dir) | TcpDirFlags.CloseInit);
  let timeout = chooseTimeout(ct, index, next);
  if (old != next) eventUpdate(true);

  if (!(st & CtStatus.SeenReply)) {
    // Only an RST came back: there never was a connection.
    if (index == TCP_RST_SET) return TCP_DESTROY;
    // A retransmitted SYN must not keep a stale entry (and its NAT) alive.
    if (index == TCP_SYN_SET && old == TcpState.SynSent) return TCP_ACCEPT;
    // A picked-up flow stays short-lived until the other side answers.
    const unack = timeoutMs(CtTimeout.TcpUnack);
    if (next == TcpState.Established && timeout > unack) timeout = unack;
  } else if (!(st & CtStatus.Assured) && (old == TcpState.SynRecv || old == TcpState.Established) &&
             next == TcpState.Established) {
    setStatusBits(ct, CtStatus.Assured);
    eventUpdate(false);
  }
  refresh(ct, timeout);
  return TCP_ACCEPT;
}
