// IPv4 reassembly for conntrack (kernel: nf_defrag_ipv4.c ipv4_conntrack_defrag,
// net/ipv4/ip_fragment.c ip_defrag / ip_frag_queue / ip_frag_reasm): a
// fragment (MF or an offset) is queued by (saddr, daddr, id, protocol, user =
// prerouting or output + ct zone); the one completing the datagram leaves as
// the whole datagram with the offset-0 fragment's headers. After it,
// `ip frag-off & 0x3fff != 0` at raw matches nothing and `udp dport 7000` the datagram.

import {
  be16, csumFold, pData, pEnd, pFrameEnd, pHook, pktinfoIpv4, pMac, pMark, pNftrace, pNh, pPkttype, pPriority, pSecmark, pTstamp,
} from '../packet';
import { pCtZone } from '../ct/track';
import { copyOut, insertCheck, insertData, storePrefix } from './pages';
import {
  account, morphInto, findQueue, flushQueue, keyBuf, killQueue, outBuf, peerFor, peerNextRid, queueIsNew, restartTimer, truesizeOf,
} from './queue';
import {
  DEFRAG_DONE, DEFRAG_PASS, DEFRAG_STOLEN, DefragReason, ecnOf, FRAG_FIRST_IN, FRAG_LAST_IN, IPFRAG_DUP, IPFRAG_OK, KEY_LEN, Q_ECN,
  Q_FLAGS, Q_HASMAC, Q_HASTAIL, Q_LEN, Q_MACLEN, Q_MARK, Q_MAXDF, Q_MAXSIZE, Q_MEAT, Q_NFTRACE, Q_PEER, Q_PKTTYPE, Q_PREFIX, Q_PRIORITY,
  Q_RID, Q_SECMARK,
} from './record';

/** ipfrag_max_dist (net.ipv4.ipfrag_max_dist, default 64). */
let maxDist: u32 = 64;

/** Sets net.ipv4.ipfrag_max_dist (0 turns the check off). */
export function setMaxDist(n: u32): void {
  maxDist = n;
}

/** Why the last IPv4 call ended as it did. */
export let reason4: i32 = DefragReason.None;

/** ip_frag_too_far: more than ipfrag_max_dist fragments from this source since this queue's last one. */
function tooFar(q: usize): bool {
  const peer = load<u32>(q, Q_PEER);
  if (!peer || !maxDist) return false;
  const start = load<u32>(q, Q_RID);
  const end = peerNextRid(peer);
  store<u32>(q, end, Q_RID);
  return load<u8>(q, Q_HASTAIL) != 0 && end - start > maxDist;
}

/** ip_frag_queue's discard_qp: the fragment and its queue go. */
@inline function discard(q: usize, why: i32): i32 {
  killQueue(q);
  reason4 = why;
  return DEFRAG_STOLEN;
}

/** ipv4_conntrack_defrag + ip_defrag for the current packet (network header at pNh, a valid IPv4 header). */
export function defrag4(): i32 {
  reason4 = DefragReason.None;
  const nh = pData + <usize>pNh;
  if (nh + 20 > pEnd) return DEFRAG_PASS;
  const fo = be16(nh + 6);
  if ((fo & 0x3fff) == 0) return DEFRAG_PASS;
  const ihl = (<u32>load<u8>(nh) & 15) << 2;
  const skbLen = <u32>(pEnd - nh);
  // Only a locally generated packet can be this odd (the receive path checked and trimmed it).
  if (ihl < 20 || ihl > skbLen || skbLen > 65535) return DEFRAG_PASS;
  const now = pTstamp;
  // frag_v4_compare_key: saddr, daddr, user, vif (no l3mdev: 0), id, protocol.
  memory.fill(keyBuf, 0, KEY_LEN);
  store<u32>(keyBuf, (pHook == 3 ? 0x10000 : 0) | (pCtZone & 0xffff), 0);
  store<u16>(keyBuf, load<u16>(nh, 4), 4);
  store<u32>(keyBuf, load<u32>(nh, 12), 8);
  store<u32>(keyBuf, load<u32>(nh, 16), 24);
  store<u8>(keyBuf, load<u8>(nh, 9), 44);
  const q = findQueue(0, now);
  if (!q) {
    reason4 = DefragReason.NoMemory;
    return DEFRAG_STOLEN;
  }
  if (queueIsNew && maxDist) store<u32>(q, peerFor(load<u32>(nh, 12)), Q_PEER);

  if (tooFar(q)) {
    // ip_frag_reinit: everything queued goes, the timer restarts, this fragment starts the queue afresh.
    flushQueue(q);
    restartTimer(q, now);
  }
  const tos = <u32>load<u8>(nh, 1);
  let offset = (fo & 0x1fff) << 3;
  const mf = (fo & 0x2000) != 0;
  let end = offset + skbLen - ihl;
  let len = load<u32>(q, Q_LEN);
  const flags = <u32>load<u8>(q, Q_FLAGS);
  if (!mf) {
    if (end < len || ((flags & FRAG_LAST_IN) && end != len)) return discard(q, DefragReason.BadLength);
    store<u8>(q, <u8>(flags | FRAG_LAST_IN), Q_FLAGS);
    store<u32>(q, end, Q_LEN);
  } else {
    end &= ~7;
    if (end > len) {
      if (flags & FRAG_LAST_IN) return discard(q, DefragReason.BadLength);
      store<u32>(q, end, Q_LEN);
    }
  }
  if (end == offset) return discard(q, DefragReason.BadLength);
  const r = insertCheck(q, offset, end);
  if (r != IPFRAG_OK) {
    if (r == IPFRAG_DUP) {
      reason4 = DefragReason.Duplicate;
      return DEFRAG_STOLEN;
    }
    return discard(q, DefragReason.Overlap);
  }
  if (!insertData(q, offset, end, nh + ihl)) {
    reason4 = DefragReason.NoMemory;
    return DEFRAG_STOLEN;
  }
  if (offset == 0) {
    const mac = <u32>pNh;
    if (!storePrefix(q, pData, mac + ihl)) return discard(q, DefragReason.NoMemory);
    store<u16>(q, <u16>mac, Q_MACLEN);
    store<u8>(q, pMac >= 0 ? 1 : 0, Q_HASMAC);
    store<u32>(q, pMark, Q_MARK);
    store<u32>(q, pPriority, Q_PRIORITY);
    store<u32>(q, pSecmark, Q_SECMARK);
    store<u8>(q, <u8>pPkttype, Q_PKTTYPE);
    store<u8>(q, pNftrace ? 1 : 0, Q_NFTRACE);
    store<u8>(q, load<u8>(q, Q_FLAGS) | FRAG_FIRST_IN, Q_FLAGS);
  }
  store<u32>(q, load<u32>(q, Q_MEAT) + (end - offset), Q_MEAT);
  store<u8>(q, <u8>(<u32>load<u8>(q, Q_ECN) | (<u32>1 << (tos & 3))), Q_ECN);
  account(q, truesizeOf(<u32>(pFrameEnd - pData)));
  const fragsize = end - offset + ihl;
  if (fragsize > load<u32>(q, Q_MAXSIZE)) store<u32>(q, fragsize, Q_MAXSIZE);
  if ((fo & 0x4000) && fragsize > load<u32>(q, Q_MAXDF)) store<u32>(q, fragsize, Q_MAXDF);
  len = load<u32>(q, Q_LEN);
  if (load<u8>(q, Q_FLAGS) == (FRAG_FIRST_IN | FRAG_LAST_IN) && load<u32>(q, Q_MEAT) == len) return reasm4(q, len);
  reason4 = DefragReason.Queued;
  return DEFRAG_STOLEN;
}

/** ip_frag_reasm: the datagram into the output buffer; the packet becomes it. */
function reasm4(q: usize, len: u32): i32 {
  const ecn = ecnOf(load<u8>(q, Q_ECN));
  const plen = <u32>load<u16>(q, Q_PREFIX);
  const mac = <u32>load<u16>(q, Q_MACLEN);
  const ihl = plen - mac;
  if (ecn == 0xff) return discard(q, DefragReason.Ecn);
  if (ihl + len > 65535) return discard(q, DefragReason.TooBig);
  copyOut(q, outBuf, len);
  const ip = outBuf + mac;
  store<u16>(ip, bswap<u16>(<u16>(ihl + len)), 2);
  store<u8>(ip, load<u8>(ip, 1) | <u8>ecn, 1);
  // DF only when the largest fragment carried DF (IPSKB_FRAG_PMTU).
  store<u16>(ip, load<u32>(q, Q_MAXDF) == load<u32>(q, Q_MAXSIZE) ? bswap<u16>(0x4000) : 0, 6);
  store<u16>(ip, 0, 10);
  store<u16>(ip, bswap<u16>(<u16>(~csumFold(ip, ihl) & 0xffff)), 10);
  // skb_morph: the completing skb takes the head's data and header fields (mark, priority, nf_trace, ...).
  morphInto(q, mac + ihl + len, 2);
  pktinfoIpv4(false);
  reason4 = DefragReason.Done;
  return DEFRAG_DONE;
}
