// The SCTP tracker (kernel: net/netfilter/nf_conntrack_proto_sctp.c): the
// association's state from the chunks of each packet, the verification tag
// each side must carry, ASSURED at COOKIE-ACK. A client's INIT makes a new
// entry CLOSED (10 s); the INIT-ACK answering it COOKIE_WAIT (3 s); its
// COOKIE-ECHO COOKIE_ECHOED (3 s); the COOKIE-ACK ESTABLISHED (210 s,
// ASSURED); SHUTDOWN, SHUTDOWN-ACK and SHUTDOWN-COMPLETE close it again
// (SHUTDOWN_SENT, SHUTDOWN_ACK_SENT 3 s, CLOSED 10 s). A packet whose tag is
// not the one its side announced is invalid, and so is an INIT with a tag.
// Chunk walks stop at the end of the packet and step at least 4 bytes.

import { CtOption, CtStatus, CTE_SCTP_FLAGS, CTE_SCTP_VTAG0, CTE_STATE, InetHook, SctpFlags, SctpState } from '../abi';
import { pHook, pIif, pMac } from '../packet';
import { ctOption, eventUpdate, refresh, setStatusBits, status } from './entry';

// Chunk types (SCTP_CID_*, RFC 9260 §3.2).
const DATA: u32 = 0;
const INIT: u32 = 1;
const INIT_ACK: u32 = 2;
const HEARTBEAT: u32 = 4;
const HEARTBEAT_ACK: u32 = 5;
const ABORT: u32 = 6;
const SHUTDOWN: u32 = 7;
const SHUTDOWN_ACK: u32 = 8;
const ERROR: u32 = 9;
const COOKIE_ECHO: u32 = 10;
const COOKIE_ACK: u32 = 11;
const SHUTDOWN_COMPLETE: u32 = 14;
/** SCTP_CHUNK_FLAG_T: the tag is the sender's own (reflected), not the peer's. */
const FLAG_T: u32 = 1;

/** The chunk types that change the state, in the order of the columns below; -1 for the others (DATA, SACK, …: no change). */
function chunkClass(type: u32): i32 {
  switch (type) {
    case INIT: return 0;
    case INIT_ACK: return 1;
    case ABORT: return 2;
    case SHUTDOWN: return 3;
    case SHUTDOWN_ACK: return 4;
    case ERROR: return 5;
    case COOKIE_ECHO: return 6;
    case COOKIE_ACK: return 7;
    case SHUTDOWN_COMPLETE: return 8;
    case HEARTBEAT: return 9;
    case HEARTBEAT_ACK: return 10;
  }
  return -1;
}

// State letters for the table: NO CL CW CE ES SS SR SA HS, IV = invalid.
const NO: u8 = <u8>SctpState.None;
const CL: u8 = <u8>SctpState.Closed;
const CW: u8 = <u8>SctpState.CookieWait;
const CE: u8 = <u8>SctpState.CookieEchoed;
const ES: u8 = <u8>SctpState.Established;
const SS: u8 = <u8>SctpState.ShutdownSent;
const SR: u8 = <u8>SctpState.ShutdownRecd;
const SA: u8 = <u8>SctpState.ShutdownAckSent;
const HS: u8 = <u8>SctpState.HeartbeatSent;
const IV: u8 = <u8>SctpState.Invalid;

/**
 * Next state (the kernel's sctp_conntracks, read by sctp_new_state), laid
 * out by direction, then current state (a row each), then chunk class:
 *   INIT INIT_ACK ABORT SHUTDOWN SHUTDOWN_ACK ERROR COOKIE_ECHO COOKIE_ACK SHUTDOWN_COMPLETE HEARTBEAT HEARTBEAT_ACK
 */
const NEXT: usize = memory.data<u8>([
  // ORIGINAL
  CL, CL, CL, CL, SA, CL, CL, CL, CL, HS, CL, // NONE
  CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, // CLOSED
  CW, CW, CL, CW, CW, CW, CE, CW, CW, CW, CW, // COOKIE_WAIT
  CE, CE, CL, CE, CE, CE, CE, ES, CE, CE, CE, // COOKIE_ECHOED
  ES, ES, CL, SS, ES, ES, ES, ES, ES, ES, ES, // ESTABLISHED
  CL, SS, CL, SS, SA, SS, SS, SS, SS, SS, SS, // SHUTDOWN_SENT
  CL, SR, CL, SR, SA, SR, SR, SR, SR, SR, SR, // SHUTDOWN_RECD
  SA, SA, CL, SA, SA, SA, SA, SA, CL, SA, SA, // SHUTDOWN_ACK_SENT
  CW, CL, CL, CL, SA, CL, CL, CL, CL, HS, HS, // HEARTBEAT_SENT
  // REPLY
  IV, IV, IV, IV, IV, IV, IV, IV, IV, IV, IV, // NONE
  CL, CW, CL, CL, CL, CL, CL, CL, CL, CL, CL, // CLOSED
  CW, CW, CL, CW, CW, CW, CE, CW, CW, CW, CW, // COOKIE_WAIT
  CE, CE, CL, CE, CE, CL, CE, ES, CE, CE, CE, // COOKIE_ECHOED
  ES, ES, CL, SR, ES, ES, ES, ES, ES, ES, ES, // ESTABLISHED
  SS, SS, CL, SS, SA, SS, SS, SS, SS, SS, SS, // SHUTDOWN_SENT
  SR, SR, CL, SR, SA, SR, SR, SR, SR, SR, SR, // SHUTDOWN_RECD
  SA, SA, CL, SA, SA, SA, SA, SA, CL, SA, SA, // SHUTDOWN_ACK_SENT
  IV, IV, IV, IV, IV, IV, IV, IV, IV, HS, ES, // HEARTBEAT_SENT
]);

/** sctp_new_state: the state after a chunk of `type` from direction `dir` in state `cur`. */
function nextState(dir: u32, cur: u32, type: u32): u32 {
  const c = chunkClass(type);
  if (c < 0) return cur;
  return load<u8>(NEXT + (<usize>dir * 9 + <usize>cur) * 11 + <usize>c);
}

/** Default timeouts in seconds by state (sctp_timeouts; NONE counts as CLOSED, as nf_conntrack_sctp_init_net sets it). Not settable here. */
const TIMEOUTS: usize = memory.data<u32>([10, 10, 3, 3, 210, 3, 3, 3, 30]);

/** Chunk types seen by the last walk (bit = type, types below 32; the kernel keeps all 256). */
let chunkMap: u32 = 0;

/**
 * do_basic_checks over the chunks at th+12 .. end: at least one chunk, none
 * of length 0, COOKIE-ECHO / COOKIE-ACK only first, nothing after an INIT,
 * INIT-ACK or SHUTDOWN-COMPLETE. Fills chunkMap.
 */
function basicChecks(th: usize, end: usize): bool {
  chunkMap = 0;
  let count: u32 = 0;
  let single = false;
  for (let p = th + 12; p + 4 <= end; p += chunkStep(p)) {
    const type = <u32>load<u8>(p);
    if (type == INIT || type == INIT_ACK || type == SHUTDOWN_COMPLETE) single = true;
    if (((type == COOKIE_ACK || type == COOKIE_ECHO || single) && count != 0) || chunkLength(p) == 0) return false;
    if (type < 32) chunkMap |= 1 << type;
    count++;
  }
  return count != 0;
}

@inline function chunkLength(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p, 2));
}
/** Bytes from one chunk to the next: its length padded to 4, at least 4 (a zero length never gets past basicChecks). */
@inline function chunkStep(p: usize): usize {
  const n = (chunkLength(p) + 3) & ~3;
  return n ? <usize>n : 4;
}
@inline function seen(type: u32): bool {
  return (chunkMap & (1 << type)) != 0;
}

@inline function vtagAt(ct: usize, dir: u32): usize {
  return ct + CTE_SCTP_VTAG0 + (<usize>dir << 2);
}
@inline function flags(ct: usize): u32 {
  return load<u8>(ct, CTE_SCTP_FLAGS);
}
@inline function setFlags(ct: usize, f: u32): void {
  store<u8>(ct, <u8>f, CTE_SCTP_FLAGS);
}
@inline function initBit(dir: u32): u32 {
  return dir ? SctpFlags.Init1 : SctpFlags.Init0;
}

/** The INIT / INIT-ACK chunk at `p` carries its initiate tag at p+4; false when its 16-byte header is cut off. */
@inline function initHdrOk(p: usize, end: usize): bool {
  return p + 4 + 16 <= end;
}

/**
 * sctp_new: a new entry's first packet. Each chunk must be one that may
 * start an association from the ORIGINAL side; the tags the sides will use
 * are noted (an INIT's own tag must be 0, its initiate tag is the reply's).
 */
function sctpNew(ct: usize, th: usize, end: usize): bool {
  const vtag = load<u32>(th, 4);
  for (let p = th + 12; p + 4 <= end; p += chunkStep(p)) {
    const type = <u32>load<u8>(p);
    const ns = nextState(0, SctpState.None, type);
    if (ns == SctpState.None || ns == SctpState.Invalid) return false;
    if (type == INIT) {
      if (vtag != 0 || !initHdrOk(p, end)) return false;
      store<u32>(vtagAt(ct, 1), load<u32>(p, 4));
    } else if (type == HEARTBEAT) store<u32>(vtagAt(ct, 0), vtag);
    // Out of the blue: the answer (SHUTDOWN-COMPLETE or ABORT) reflects this tag.
    else store<u32>(vtagAt(ct, 1), vtag);
    store<u8>(ct, SctpState.None, CTE_STATE);
  }
  return true;
}

/**
 * nf_conntrack_sctp_packet for the packet with the SCTP header at `th`
 * (12 bytes checked by sctpHeaderOk) from direction `dir`: false = invalid
 * (a new entry is discarded by the caller; the state changes of the chunks
 * before the offending one stay, as in the kernel).
 */
export function sctpPacket(ct: usize, dir: u32, th: usize, end: usize): bool {
  if (!basicChecks(th, end)) return false;
  const confirmed = (status(ct) & CtStatus.Confirmed) != 0;
  if (!confirmed) {
    // An out-of-the-blue ABORT, SHUTDOWN-COMPLETE or COOKIE-ACK starts nothing (RFC 9260 §8.4).
    if (seen(ABORT) || seen(SHUTDOWN_COMPLETE) || seen(COOKIE_ACK)) return false;
    if (!sctpNew(ct, th, end)) return false;
  }
  const vtag = load<u32>(th, 4);
  const own = vtagAt(ct, dir);
  const peer = vtagAt(ct, dir ^ 1);
  // §8.5: the tag must be this side's, except for the chunks with their own rules below.
  if (!seen(INIT) && !seen(SHUTDOWN_COMPLETE) && !seen(COOKIE_ECHO) && !seen(ABORT) && !seen(SHUTDOWN_ACK) && !seen(HEARTBEAT) && !seen(HEARTBEAT_ACK) && vtag != load<u32>(own)) return false;

  let ns: u32 = SctpState.None;
  let ignore = false;
  for (let p = th + 12; p + 4 <= end; p += chunkStep(p)) {
    const type = <u32>load<u8>(p);
    const t = (<u32>load<u8>(p, 1) & FLAG_T) != 0;
    if (type == INIT) {
      // §8.5.1 (A)
      if (vtag != 0) return false;
    } else if (type == ABORT || type == SHUTDOWN_COMPLETE) {
      // §8.5.1 (B), (C): the own tag, or the peer's when reflected.
      if (vtag != load<u32>(t ? peer : own)) return false;
    } else if (type == COOKIE_ECHO) {
      // §8.5.1 (D): the tag of the INIT-ACK.
      if (vtag != load<u32>(own)) return false;
    } else if (type == COOKIE_ACK) {
      setFlags(ct, flags(ct) & ~(SctpFlags.Init0 | SctpFlags.Init1));
    } else if (type == HEARTBEAT) {
      const f = flags(ct);
      if (load<u32>(own) == 0) store<u32>(own, vtag);
      else if (vtag != load<u32>(own)) {
        // A heartbeat on another tag (a restarted peer?): let it through unrecorded, once, until its ACK tells.
        if (seen(DATA) || ignore) return false;
        setFlags(ct, (f | SctpFlags.HeartbeatVtagFailed) & ~SctpFlags.LastDirReply | (dir ? SctpFlags.LastDirReply : 0));
        ignore = true;
        continue;
      } else if (f & SctpFlags.HeartbeatVtagFailed) setFlags(ct, f & ~SctpFlags.HeartbeatVtagFailed);
    } else if (type == HEARTBEAT_ACK) {
      const f = flags(ct);
      if (load<u32>(own) == 0) store<u32>(own, vtag);
      else if (vtag != load<u32>(own)) {
        if (seen(DATA) || ignore) return false;
        // Only as the answer, from the other side, to a heartbeat that failed the tag check: both tags start over.
        if (!(f & SctpFlags.HeartbeatVtagFailed) || ((f & SctpFlags.LastDirReply) != 0) == (dir != 0)) return false;
        setFlags(ct, f & ~SctpFlags.HeartbeatVtagFailed);
        store<u32>(own, vtag);
        store<u32>(peer, 0);
      } else if (f & SctpFlags.HeartbeatVtagFailed) setFlags(ct, f & ~SctpFlags.HeartbeatVtagFailed);
    }

    const old = <u32>load<u8>(ct, CTE_STATE);
    ns = nextState(dir, old, type);
    if (ns == SctpState.Invalid) return false;

    if (type == INIT) {
      if (!initHdrOk(p, end)) return false;
      let f = flags(ct);
      if (f & initBit(dir) && f & initBit(dir ^ 1)) f &= ~initBit(dir ^ 1);
      setFlags(ct, f | initBit(dir));
      store<u32>(peer, load<u32>(p, 4));
      // A retransmitted INIT on a closed entry does not keep it alive.
      if (ns == SctpState.Closed && old == SctpState.Closed && confirmed) ignore = true;
    } else if (type == INIT_ACK) {
      if (!initHdrOk(p, end)) return false;
      const tag = load<u32>(p, 4);
      const v = load<u32>(peer);
      const f = flags(ct);
      if (!(f & initBit(dir ^ 1)) && v && v != tag) return false;
      // INIT collision: both sides sent an INIT; the INIT-ACK must carry the tag already known.
      if (f & initBit(dir) && f & initBit(dir ^ 1) && v != tag) return false;
      store<u32>(peer, tag);
    }

    store<u8>(ct, <u8>ns, CTE_STATE);
    if (old != ns) {
      eventUpdate(true);
      if (ns == SctpState.Established && !(status(ct) & CtStatus.Assured)) setStatusBits(ct, CtStatus.Assured);
    }
  }
  // Accepted without refreshing the timeout.
  if (ignore) return true;
  refresh(ct, load<u32>(TIMEOUTS + (<usize>ns << 2)) * 1000);
  return true;
}

/**
 * sctp_error: the 12-byte common header is there, and at PREROUTING with
 * nf_conntrack_checksum the CRC32c over the packet matches (a packet
 * without a device or MAC header, the replay's stand-in for a checksum
 * already trusted, is not checked).
 */
export function sctpHeaderOk(th: usize, end: usize): bool {
  if (th + 12 > end) return false;
  if (pHook != InetHook.Prerouting || !ctOption(CtOption.Checksum) || (pIif == 0 && pMac < 0)) return true;
  return crc32c(th, end) == load<u32>(th, 8);
}

/** Reflected CRC32c (Castagnoli) table, filled on first use. */
const CRC_TABLE: usize = memory.data(1024);
let crcReady = false;

/** The SCTP checksum of the packet [th, end) with its checksum field read as 0, as the wire holds it (little-endian u32 load). */
function crc32c(th: usize, end: usize): u32 {
  if (!crcReady) {
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      store<u32>(CRC_TABLE + (<usize>i << 2), c);
    }
    crcReady = true;
  }
  let c: u32 = 0xffffffff;
  for (let p = th; p < end; p++) {
    const b: u32 = p >= th + 8 && p < th + 12 ? 0 : <u32>load<u8>(p);
    c = load<u32>(CRC_TABLE + (<usize>((c ^ b) & 0xff) << 2)) ^ (c >>> 8);
  }
  return ~c;
}
