// Layouts and result codes of the reassembly module: the queue record (one
// per datagram being reassembled, the kernel's struct ipq / frag_queue), the
// page geometry, and what defrag() answers (nf_defrag_ipv4 / ipv6 hook verdicts).
// `ip frag-off & 0x3fff != 0` in a chain after -400 never matches: these explain why.

/** Queue record fields. */
export const Q_STATE = 0; // u8 1 = live
export const Q_FLAGS = 1; // u8 FRAG_FIRST_IN | FRAG_LAST_IN
export const Q_ECN = 2; // u8 OR of 1 << (tos & 3) over the fragments (IPFRAG_ECN_*)
export const Q_HASTAIL = 3; // u8 fragments_tail != NULL
export const Q_HNEXT = 4; // u32 next queue (index + 1) in the bucket
export const Q_PREV = 8; // u32 age list (creation order = expiry order), index + 1
export const Q_NEXT = 12;
export const Q_EXPIRES = 16; // u64 packet time (ns) of the queue's timer
export const Q_KEY = 24; // 48 bytes: user, id, saddr, daddr, iif, proto, v6
export const Q_USER = 24;
export const Q_ID = 28;
export const Q_SADDR = 32;
export const Q_DADDR = 48;
export const Q_IIF = 64;
export const Q_PROTO = 68; // u8
export const Q_V6 = 69; // u8
export const Q_LEN = 72; // q.len: end of the datagram's data as known so far
export const Q_MEAT = 76; // q.meat: data bytes queued
export const Q_TAIL = 80; // end of fragments_tail (the highest fragment)
export const Q_MAXSIZE = 84; // q.max_size
export const Q_MAXDF = 88; // ipq.max_df_size
export const Q_PEER = 92; // inet_peer (IPv4): index + 1, 0 none
export const Q_RID = 96; // ipq.rid
export const Q_MEM = 100; // truesize accounted for the queued fragments
export const Q_PREFIX = 104; // u16 bytes before the data in the head: link header + network headers
export const Q_NHOFF = 106; // u16 IPv6: offset of the next-header byte to fix, from the network header
export const Q_MACLEN = 108; // u16 offset of the network header in the prefix
export const Q_HASMAC = 110; // u8 the head had a MAC header
export const Q_FRAGNH = 111; // u8 IPv6: next header of the head's Fragment header
export const Q_MARK = 112; // the head's skb fields (skb_morph copies them onto the completing skb)
export const Q_PRIORITY = 116;
export const Q_SECMARK = 120;
export const Q_PKTTYPE = 124; // u8
export const Q_NFTRACE = 125; // u8
export const Q_FAM = 126; // u8 0 IPv4, 1 IPv6
export const Q_PAGES = 128; // u16 page numbers: DATA_PAGES for the data, then PREFIX_PAGES for the prefix
export const KEY_LEN = 48;

/** Bytes of data per page; units of 8 bytes per page. */
export const PAGE_DATA = 512;
/** Data offsets 0..131071: an IPv4 fragment may end past 65535 (the queue then fails as oversized, but its bits still decide). */
export const DATA_PAGES = 256;
/** The head's link + network headers, at most 4 KiB. */
export const PREFIX_PAGES = 8;
export const PREFIX_MAX = PREFIX_PAGES * PAGE_DATA;
export const Q_SIZE = Q_PAGES + (DATA_PAGES + PREFIX_PAGES) * 2;

export const FRAG_LAST_IN = 1;
export const FRAG_FIRST_IN = 2;

/** Results of insertCheck (IPFRAG_*). */
export const IPFRAG_OK = 0;
export const IPFRAG_DUP = 1;
export const IPFRAG_OVERLAP = 2;

/** Results of defrag() (see assembly/defrag.ts). */
export const DEFRAG_PASS = 0;
export const DEFRAG_STOLEN = 1;
export const DEFRAG_DONE = 2;
export const DEFRAG_DROP = 3;

/** Why the last defrag() call ended as it did (the kernel's drop reasons and MIB counters, roughly). */
export enum DefragReason {
  /** Not a fragment, defrag off, or a fragment the kernel lets through unassembled. */
  None = 0,
  /** Queued, waiting for the rest (NF_STOLEN). */
  Queued = 1,
  /** The datagram is complete (REASMOKS). */
  Done = 2,
  /** A duplicate of queued data: dropped, the queue kept (SKB_DROP_REASON_DUP_FRAG). */
  Duplicate = 3,
  /** Overlaps queued data: dropped with its whole queue (REASM_OVERLAPS). */
  Overlap = 4,
  /** Inconsistent length: a second last fragment with another end, data past the last fragment's end, or no data. */
  BadLength = 5,
  /** The datagram would exceed 65535 bytes. */
  TooBig = 6,
  /** Over the memory threshold, queue table or page pool full: dropped (-ENOMEM). */
  NoMemory = 7,
  /** Fragments with not-ECT and ECT/CE code points mixed (RFC 3168): the datagram is dropped. */
  Ecn = 8,
}

/** ip_frag_ecn_table: 0xff = drop, else the bits to OR into the head's ECN field. */
export function ecnOf(e: u32): u32 {
  if ((e & 1) && (e & 0xe)) return 0xff;
  return (e & 8) && (e & 6) ? 3 : 0;
}

