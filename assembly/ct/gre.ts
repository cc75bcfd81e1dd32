// The GRE tracker (kernel: net/netfilter/nf_conntrack_proto_gre.c). Plain
// GRE (version 0) has no keys in the tuple (srckey=0x0 dstkey=0x0), so one
// entry per address pair, as with the generic tracker; PPTP's enhanced GRE
// (version 1, protocol PPP) puts the call id in dstkey, one entry per call:
// `10.99.1.2 → 10.99.1.1 call id 0x1111` is `srckey=0x0 dstkey=0x1111`, its
// reply `srckey=0x1111 dstkey=0x0`. The source key would come from the PPTP
// helper's keymap, which the VM does not run: it stays 0. 30 s until a reply
// is seen, then 180 s and ASSURED from the next packet on (no 2-second rule).

import { CtStatus, TUP_DPORT } from '../abi';
import { eventUpdate, refresh, setStatusBits, status } from './entry';

/** GRE_CT_UNREPLIED and GRE_CT_REPLIED (gre_timeouts), ms. Not settable here. */
const UNREPLIED_MS: u32 = 30_000;
const REPLIED_MS: u32 = 180_000;
/** The version bits of the GRE flags (GRE_VERSION) and PPTP's version (GRE_VERSION_1). */
const VERSION_MASK: u32 = 7;
const VERSION_PPTP: u32 = 1;
/** GRE_PROTO_PPP: the protocol of PPTP's GRE. */
const PROTO_PPP: u32 = 0x880b;

/**
 * gre_pkt_to_tuple: the keys of the GRE header at `th` into tuple `t`
 * (whose keys are 0). Only a version-1 header of 8 bytes or more sets one
 * (dstkey = its call id); false for version 1 carrying anything but PPP.
 */
export function greTuple(t: usize, th: usize, end: usize): bool {
  if (th + 4 > end || (<u32>load<u8>(th, 1) & VERSION_MASK) != VERSION_PPTP || th + 8 > end) return true;
  if (<u32>bswap<u16>(load<u16>(th, 2)) != PROTO_PPP) return false;
  store<u16>(t, load<u16>(th, 6), TUP_DPORT);
  return true;
}

/** nf_conntrack_gre_packet: 30 s until the reply is seen; after that each packet refreshes 180 s and makes the entry ASSURED. */
export function grePacket(ct: usize): void {
  const st = status(ct);
  if (!(st & CtStatus.SeenReply)) {
    refresh(ct, UNREPLIED_MS);
    return;
  }
  refresh(ct, REPLIED_MS);
  if (!(st & CtStatus.Assured)) {
    setStatusBits(ct, CtStatus.Assured);
    eventUpdate(false);
  }
}
