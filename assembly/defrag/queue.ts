// Fragment queues of the reassembly module (kernel: net/ipv4/inet_fragment.c,
// one fqdir per family): a fixed table of queue records found by a seeded
// hash of the key, a pool of 512-byte pages holding each datagram's bytes at
// their final offsets, and per page two bitmaps of 8-byte units (covered, a
// run starts here) that decide inet_frag_queue_insert's OK / DUP / OVERLAP.
// Sized once by defragInit; nothing is allocated per packet. Whatever the
// rules (`ct state new udp dport 7000 counter`), their datagram is built here.

import { prandom } from '../mem';

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
const PAGE_UNITS = 64;
const PG_COVERED = 512;
const PG_RUNSTART = 520;
const PG_SIZE = 528;
/** Data offsets 0..131071: an IPv4 fragment may end past 65535 (the queue then fails as oversized, but its bits still decide). */
export const DATA_PAGES = 256;
/** The head's link + network headers, at most 4 KiB. */
export const PREFIX_PAGES = 8;
export const PREFIX_MAX = PREFIX_PAGES * PAGE_DATA;
const Q_SIZE = Q_PAGES + (DATA_PAGES + PREFIX_PAGES) * 2;

export const FRAG_LAST_IN = 1;
export const FRAG_FIRST_IN = 2;

/** sizeof(struct ipq) / struct frag_queue, as the kernel accounts a queue. */
const QSIZE: u32 = 200;

/** Results of insertCheck (IPFRAG_*). */
export const IPFRAG_OK = 0;
export const IPFRAG_DUP = 1;
export const IPFRAG_OVERLAP = 2;

let qtab: usize = 0;
let nq: u32 = 0;
let qfree: u32 = 0;
let qhigh: u32 = 0;
let buckets: usize = 0;
let bmask: u32 = 0;
let seed: u64 = 0;
let pages: usize = 0;
let npages: u32 = 0;
let pfree: u32 = 0;
let phigh: u32 = 0;
let peers: usize = 0;
let pmask: u32 = 0;
/** Age list heads/tails and accounted memory per family (fqdir). */
const ageHead = new StaticArray<u32>(2);
const ageTail = new StaticArray<u32>(2);
const memUsed = new StaticArray<u32>(2);
/** fqdir->high_thresh and fqdir->timeout (ns) per family. */
const highThresh = new StaticArray<u32>(2);
const timeoutNs = new StaticArray<u64>(2);
/** Output buffer: the reassembled datagram (link header + up to 65535 bytes of IP). */
export let outBuf: usize = 0;
export const OUT_CAP: u32 = 65536 + 128;
/** Scratch key for lookups (KEY_LEN bytes). */
export let keyBuf: usize = 0;

function take(n: usize): usize {
  const p = heap.alloc((n + 15) & ~15);
  memory.fill(p, 0, n);
  return p;
}

@inline function pow2(n: u32): u32 {
  let b: u32 = 16;
  while (b < n) b <<= 1;
  return b;
}

/** True once defragInit ran. */
@inline export function defragReady(): bool {
  return qtab != 0;
}

/**
 * Lays the area out: `bytes` is both families' fragment memory (each gets
 * half as its high threshold, as the kernel's 4 MiB ipfrag_high_thresh and
 * nf_conntrack_frag6_high_thresh each); pages and queue records are sized so
 * that the threshold, not the pool, is what runs out first.
 */
export function queueInit(bytes: u32): void {
  if (qtab) return;
  if (bytes < 65536) bytes = 65536;
  if (bytes > 0x1000000) bytes = 0x1000000;
  const n = bytes / 1024 + 64;
  let np = (bytes / 512) * 5 / 4 + 256;
  if (np > 65535) np = 65535;
  // Leaves reassembly off rather than trapping when linear memory cannot grow this far.
  const need = <u64>n * Q_SIZE + <u64>np * PG_SIZE + <u64>pow2(n) * 20 + OUT_CAP + 4096;
  if (need > 0xf0000000 - (<u64>memory.size() << 16)) return;
  highThresh[0] = bytes >> 1;
  highThresh[1] = bytes >> 1;
  nq = n;
  // Fresh pages from the stub runtime are zero: an all-zero record is a free queue with no pages.
  qtab = heap.alloc(<usize>nq * Q_SIZE);
  const nb = pow2(nq);
  bmask = nb - 1;
  buckets = take(<usize>nb * 4);
  pmask = nb - 1;
  peers = take(<usize>nb * 16);
  npages = np;
  pages = heap.alloc(<usize>npages * PG_SIZE);
  outBuf = take(OUT_CAP);
  keyBuf = take(KEY_LEN);
  seed = (<u64>prandom() << 32) | prandom();
  timeoutNs[0] = 30_000_000_000; // IP_FRAG_TIME
  timeoutNs[1] = 60_000_000_000; // IPV6_FRAG_TIMEOUT
}

/** ipfrag_time / nf_conntrack_frag6_timeout of family `fam` (0 IPv4, 1 IPv6), seconds; for queues created from now on. */
export function setFragTimeout(fam: i32, seconds: u32): void {
  timeoutNs[fam & 1] = <u64>seconds * 1_000_000_000;
}

/** ipfrag_high_thresh / nf_conntrack_frag6_high_thresh of family `fam` (bytes; the page pool of defragInit still bounds it). */
export function setHighThresh(fam: i32, bytes: u32): void {
  highThresh[fam & 1] = bytes;
}

/** Queue record of index + 1 `i`. */
@inline export function qAt(i: u32): usize {
  return qtab + <usize>(i - 1) * Q_SIZE;
}

@inline function qIndex(q: usize): u32 {
  return <u32>((q - qtab) / Q_SIZE) + 1;
}

@inline function pageAt(n: u32): usize {
  return pages + <usize>(n - 1) * PG_SIZE;
}

@inline function mix(h: u64, w: u64): u64 {
  h ^= w;
  h *= 0x9e3779b97f4a7c15;
  return h ^ (h >> 29);
}

/** Bucket of the key at `k` (KEY_LEN bytes). */
function bucketOf(k: usize): usize {
  let h = seed;
  for (let i = 0; i < KEY_LEN; i += 8) h = mix(h, load<u64>(k + i));
  h = mix(h, seed);
  return buckets + (<usize>(<u32>(h ^ (h >> 32)) & bmask) << 2);
}

@inline function keyEq(q: usize): bool {
  const a = q + Q_KEY;
  const b = keyBuf;
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) && load<u64>(a, 16) == load<u64>(b, 16)
    && load<u64>(a, 24) == load<u64>(b, 24) && load<u64>(a, 32) == load<u64>(b, 32) && load<u64>(a, 40) == load<u64>(b, 40);
}

@inline function expired(q: usize, now: u64): bool {
  return <i64>(now - load<u64>(q, Q_EXPIRES)) >= 0;
}

/** Accounted memory of family `fam` is over its high threshold (inet_frag_find refuses then). */
@inline export function overLimit(fam: i32): bool {
  return memUsed[fam] > highThresh[fam];
}

/** Adds truesize `n` to the queue and its family. */
@inline export function account(q: usize, n: u32): void {
  store<u32>(q, load<u32>(q, Q_MEM) + n, Q_MEM);
  const fam = <i32>load<u8>(q, Q_FAM);
  memUsed[fam] = memUsed[fam] + n;
}

/** Bytes the kernel would charge for a received frame of `len` bytes (skb truesize: kmalloc'd data + shared info, plus the sk_buff). */
export function truesizeOf(len: u32): u32 {
  let n: u32 = 512;
  while (n < len + 64 + 320) n <<= 1;
  return n + 256;
}

/** Frees the queue's pages. */
function freePages(q: usize, from: i32, to: i32): void {
  for (let i = from; i < to; i++) {
    const n = <u32>load<u16>(q + Q_PAGES + (<usize>i << 1));
    if (!n) continue;
    store<u32>(pageAt(n), pfree);
    pfree = n;
    store<u16>(q + Q_PAGES + (<usize>i << 1), 0);
  }
}

/** Page `i` of the queue, allocated (bitmaps cleared) if absent; 0 when the pool is empty. */
function pageOf(q: usize, i: i32): usize {
  const slot = q + Q_PAGES + (<usize>i << 1);
  let n = <u32>load<u16>(slot);
  if (!n) {
    if (pfree) {
      n = pfree;
      pfree = load<u32>(pageAt(n));
    } else if (phigh < npages) {
      n = ++phigh;
    } else return 0;
    const p = pageAt(n);
    store<u64>(p, 0, PG_COVERED);
    store<u64>(p, 0, PG_RUNSTART);
    store<u16>(slot, <u16>n);
  }
  return pageAt(n);
}

/** Drops every queued fragment (inet_frag_queue_flush / ip_frag_reinit): pages, flags, lengths, tail. */
export function flushQueue(q: usize): void {
  freePages(q, 0, DATA_PAGES + PREFIX_PAGES);
  const fam = <i32>load<u8>(q, Q_FAM);
  memUsed[fam] = memUsed[fam] - load<u32>(q, Q_MEM);
  store<u32>(q, 0, Q_MEM);
  store<u8>(q, 0, Q_FLAGS);
  store<u8>(q, 0, Q_ECN);
  store<u8>(q, 0, Q_HASTAIL);
  store<u32>(q, 0, Q_LEN);
  store<u32>(q, 0, Q_MEAT);
  store<u32>(q, 0, Q_TAIL);
}

/** inet_frag_kill + destroy: unlinks the queue from its bucket and age list and frees everything it holds. */
export function killQueue(q: usize): void {
  if (!load<u8>(q, Q_STATE)) return;
  const idx = qIndex(q);
  const fam = <i32>load<u8>(q, Q_FAM);
  // Bucket chain.
  let link = bucketOf(q + Q_KEY);
  while (load<u32>(link) != idx) link = qAt(load<u32>(link)) + Q_HNEXT;
  store<u32>(link, load<u32>(q, Q_HNEXT));
  // Age list.
  const prev = load<u32>(q, Q_PREV);
  const next = load<u32>(q, Q_NEXT);
  if (prev) store<u32>(qAt(prev), next, Q_NEXT);
  else ageHead[fam] = next;
  if (next) store<u32>(qAt(next), prev, Q_PREV);
  else ageTail[fam] = prev;
  flushQueue(q);
  memUsed[fam] = memUsed[fam] - QSIZE;
  const peer = load<u32>(q, Q_PEER);
  if (peer) {
    const pp = peers + (<usize>(peer - 1) << 4);
    store<u32>(pp, load<u32>(pp, 8) - 1, 8);
  }
  store<u8>(q, 0, Q_STATE);
  store<u32>(q, qfree, Q_HNEXT);
  qfree = idx;
}

/** Reaps expired queues of family `fam` from the old end of its age list: at most `max`, all when max < 0. */
export function reapExpired(fam: i32, now: u64, max: i32): void {
  while (max != 0) {
    const h = ageHead[fam];
    if (!h) return;
    const q = qAt(h);
    if (!expired(q, now)) return;
    killQueue(q);
    max--;
  }
}

/**
 * inet_frag_find for the key in keyBuf (family `fam`): the live queue, or a
 * new one (timer = now + the family's timeout). 0 when the family is over its
 * threshold or the table is full.
 */
export let queueIsNew = false;
export function findQueue(fam: i32, now: u64): usize {
  queueIsNew = false;
  // Timers the kernel would have fired by now, a few per packet; all of them before refusing for memory.
  reapExpired(fam, now, 4);
  if (overLimit(fam)) {
    reapExpired(fam, now, -1);
    if (overLimit(fam)) return 0;
  }
  const b = bucketOf(keyBuf);
  let i = load<u32>(b);
  while (i) {
    const q = qAt(i);
    const next = load<u32>(q, Q_HNEXT);
    if (keyEq(q)) {
      if (!expired(q, now)) return q;
      killQueue(q);
      break;
    }
    i = next;
  }
  // Create.
  let idx = qfree;
  if (idx) qfree = load<u32>(qAt(idx), Q_HNEXT);
  else if (qhigh < nq) idx = ++qhigh;
  else return 0;
  const q = qAt(idx);
  memory.fill(q, 0, Q_PAGES);
  memory.copy(q + Q_KEY, keyBuf, KEY_LEN);
  store<u8>(q, 1, Q_STATE);
  store<u8>(q, <u8>fam, Q_FAM);
  store<u64>(q, now + timeoutNs[fam], Q_EXPIRES);
  const bb = bucketOf(keyBuf);
  store<u32>(q, load<u32>(bb), Q_HNEXT);
  store<u32>(bb, idx);
  const t = ageTail[fam];
  store<u32>(q, t, Q_PREV);
  if (t) store<u32>(qAt(t), idx, Q_NEXT);
  else ageHead[fam] = idx;
  ageTail[fam] = idx;
  memUsed[fam] = memUsed[fam] + QSIZE;
  queueIsNew = true;
  return q;
}

/** Restarts the queue's timer (ip_frag_reinit's mod_timer): it moves to the young end of its age list. */
export function restartTimer(q: usize, now: u64): void {
  const idx = qIndex(q);
  const fam = <i32>load<u8>(q, Q_FAM);
  store<u64>(q, now + timeoutNs[fam], Q_EXPIRES);
  if (ageTail[fam] == idx) return;
  const prev = load<u32>(q, Q_PREV);
  const next = load<u32>(q, Q_NEXT);
  if (prev) store<u32>(qAt(prev), next, Q_NEXT);
  else ageHead[fam] = next;
  store<u32>(qAt(next), prev, Q_PREV);
  const t = ageTail[fam];
  store<u32>(qAt(t), idx, Q_NEXT);
  store<u32>(q, t, Q_PREV);
  store<u32>(q, 0, Q_NEXT);
  ageTail[fam] = idx;
}

/**
 * inet_peer of IPv4 source `saddr` (raw u32) for ip_frag_too_far: index + 1,
 * referenced by the new queue; 0 when no slot is found within 16 probes
 * (the check is then skipped, as the kernel does without a peer). A slot no
 * live queue references may be taken over: only differences of its counter matter.
 */
export function peerFor(saddr: u32): u32 {
  let h = <u32>(mix(seed, <u64>saddr) >> 32) & pmask;
  let spare: u32 = 0;
  for (let k = 0; k < 16; k++) {
    const pp = peers + (<usize>h << 4);
    if (load<u8>(pp, 12)) {
      if (load<u32>(pp) == saddr) {
        store<u32>(pp, load<u32>(pp, 8) + 1, 8);
        return h + 1;
      }
      if (!spare && load<u32>(pp, 8) == 0) spare = h + 1;
    } else {
      if (!spare) spare = h + 1;
      break;
    }
    h = (h + 1) & pmask;
  }
  if (!spare) return 0;
  const pp = peers + (<usize>(spare - 1) << 4);
  store<u32>(pp, saddr);
  store<u32>(pp, 0, 4);
  store<u32>(pp, 1, 8);
  store<u8>(pp, 1, 12);
  return spare;
}

/** atomic_inc_return(&peer->rid). */
export function peerNextRid(peer: u32): u32 {
  const pp = peers + (<usize>(peer - 1) << 4);
  const r = load<u32>(pp, 4) + 1;
  store<u32>(pp, r, 4);
  return r;
}

/** Bits [lo, hi) of a 64-bit word. */
@inline function bits(lo: u32, hi: u32): u64 {
  return hi - lo == 64 ? <u64>-1 : ((<u64>1 << <u64>(hi - lo)) - 1) << <u64>lo;
}

/** Set by insertCheck: the fragment continues the last run (fragrun_append_to_last), no new run starts. */
export let insertAppends = false;

/**
 * inet_frag_queue_insert's decision for data [offset, end): a fragment that
 * ends past the tail (the highest fragment) is OK, or an OVERLAP when it
 * starts before the tail's end; one inside the queue is a DUP when it lies
 * within one run of adjacent fragments, an OVERLAP when it touches queued
 * data otherwise, and OK (a run of its own) when it touches none.
 */
export function insertCheck(q: usize, offset: u32, end: u32): i32 {
  insertAppends = false;
  if (!load<u8>(q, Q_HASTAIL)) return IPFRAG_OK;
  const tail = load<u32>(q, Q_TAIL);
  if (tail < end) {
    if (offset < tail) return IPFRAG_OVERLAP;
    insertAppends = offset == tail;
    return IPFRAG_OK;
  }
  const u0 = offset >> 3;
  const u1 = (end + 7) >> 3;
  let any = false;
  let all = true;
  let inner = false;
  let u = u0;
  while (u < u1) {
    const lo = u & (PAGE_UNITS - 1);
    const hi = min<u32>(PAGE_UNITS, lo + (u1 - u));
    const n = <u32>load<u16>(q + Q_PAGES + (<usize>(u >> 6) << 1));
    if (n) {
      const p = pageAt(n);
      const m = bits(lo, hi);
      const cov = load<u64>(p, PG_COVERED) & m;
      if (cov) any = true;
      if (cov != m) all = false;
      const im = u == u0 ? m & ~(<u64>1 << <u64>lo) : m;
      if (load<u64>(p, PG_RUNSTART) & im) inner = true;
    } else all = false;
    u += hi - lo;
  }
  if (!any) return IPFRAG_OK;
  return all && !inner ? IPFRAG_DUP : IPFRAG_OVERLAP;
}

/**
 * Queues data [offset, end) copied from `src`: pages, covered bits, a run
 * start unless it continues the last run; the tail moves when it ends past
 * it. False when the page pool is empty (nothing recorded then).
 */
export function insertData(q: usize, offset: u32, end: u32, src: usize): bool {
  // Pages first, so a failure leaves no half-recorded fragment.
  for (let i = <i32>(offset >> 9); i <= <i32>((end - 1) >> 9); i++) if (!pageOf(q, i)) return false;
  const u0 = offset >> 3;
  const u1 = (end + 7) >> 3;
  let u = u0;
  while (u < u1) {
    const lo = u & (PAGE_UNITS - 1);
    const hi = min<u32>(PAGE_UNITS, lo + (u1 - u));
    const p = pageOf(q, <i32>(u >> 6));
    store<u64>(p, load<u64>(p, PG_COVERED) | bits(lo, hi), PG_COVERED);
    if (u == u0 && !insertAppends) store<u64>(p, load<u64>(p, PG_RUNSTART) | (<u64>1 << <u64>lo), PG_RUNSTART);
    u += hi - lo;
  }
  let o = offset;
  while (o < end) {
    const room = PAGE_DATA - (o & (PAGE_DATA - 1));
    const n = min<u32>(room, end - o);
    memory.copy(pageOf(q, <i32>(o >> 9)) + (o & (PAGE_DATA - 1)), src + (o - offset), n);
    o += n;
  }
  if (!load<u8>(q, Q_HASTAIL) || end > load<u32>(q, Q_TAIL)) {
    store<u8>(q, 1, Q_HASTAIL);
    store<u32>(q, end, Q_TAIL);
  }
  return true;
}

/** Stores the head's prefix (`len` bytes from `src`); false when it does not fit (over PREFIX_MAX or no pages). */
export function storePrefix(q: usize, src: usize, len: u32): bool {
  if (len > <u32>PREFIX_MAX) return false;
  for (let i: u32 = 0; i * PAGE_DATA < len; i++) if (!pageOf(q, DATA_PAGES + <i32>i)) return false;
  for (let o: u32 = 0; o < len; o += PAGE_DATA) {
    memory.copy(pageOf(q, DATA_PAGES + <i32>(o >> 9)), src + o, min<u32>(PAGE_DATA, len - o));
  }
  store<u16>(q, <u16>len, Q_PREFIX);
  return true;
}

/** Copies the head's prefix and then data [0, len) to `dst` (the queue is complete: every page is there). */
export function copyOut(q: usize, dst: usize, len: u32): void {
  const plen = <u32>load<u16>(q, Q_PREFIX);
  for (let o: u32 = 0; o < plen; o += PAGE_DATA) {
    memory.copy(dst + o, pageOf(q, DATA_PAGES + <i32>(o >> 9)), min<u32>(PAGE_DATA, plen - o));
  }
  dst += plen;
  for (let o: u32 = 0; o < len; o += PAGE_DATA) {
    memory.copy(dst + o, pageOf(q, <i32>(o >> 9)), min<u32>(PAGE_DATA, len - o));
  }
}

/** Live queues of family `fam` (statistics, tests). */
export function queueCount(fam: i32): u32 {
  let n: u32 = 0;
  let i = ageHead[fam];
  while (i) {
    n++;
    i = load<u32>(qAt(i), Q_NEXT);
  }
  return n;
}

/** Accounted fragment memory of family `fam`. */
export function memOf(fam: i32): u32 {
  return memUsed[fam];
}

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
