// Fragment queues of the reassembly module (kernel: net/ipv4/inet_fragment.c,
// one fqdir per family): a fixed table of queue records found by a seeded
// hash of the key, timers in packet time (age lists), per-family memory
// accounting, IPv4 inet_peer counters; the data lives in pages.ts. Sized once
// by defragInit, nothing allocated per packet: `ct state new` sees datagrams.

import { prandom } from '../mem';
import { packetReset, parseLink, pDesc, pIndex, setMark, setNftrace, setPkttype, setPriority, setSecmark } from '../packet';
import { freePages, pagesInit, PG_SIZE } from './pages';
import {
  DATA_PAGES, KEY_LEN, PREFIX_PAGES, Q_ECN, Q_EXPIRES, Q_FAM, Q_FLAGS, Q_HASMAC, Q_HASTAIL, Q_HNEXT, Q_KEY, Q_LEN, Q_MARK, Q_MEAT, Q_MEM,
  Q_NEXT, Q_NFTRACE, Q_PAGES, Q_PEER, Q_PKTTYPE, Q_PREV, Q_PRIORITY, Q_SECMARK, Q_SIZE, Q_STATE, Q_TAIL,
} from './record';

/** sizeof(struct ipq) / struct frag_queue, as the kernel accounts a queue. */
const QSIZE: u32 = 200;

let qtab: usize = 0;
let nq: u32 = 0;
let qfree: u32 = 0;
let qhigh: u32 = 0;
let buckets: usize = 0;
let bmask: u32 = 0;
let seed: u64 = 0;
let peers: usize = 0;
let pmask: u32 = 0;
/** Age list heads/tails and accounted memory per family (fqdir). */
/** Made by queueInit, not at start (as load.ts's tables). */
let ageHead = changetype<StaticArray<u32>>(0);
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
  ageHead = new StaticArray<u32>(2);
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
  pagesInit(np);
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

/**
 * skb_morph: the datagram of `bytes` bytes in outBuf becomes the packet,
 * with the head fragment's header fields (mark, priority, secmark, pkttype,
 * nf_trace) kept in queue `q`, which is freed; its link layer parsed for
 * family `family` (2 or 10). The caller redoes the pktinfo.
 */
export function morphInto(q: usize, bytes: usize, family: i32): void {
  const hasMac = load<u8>(q, Q_HASMAC) != 0;
  const mark = load<u32>(q, Q_MARK);
  const prio = load<u32>(q, Q_PRIORITY);
  const secmark = load<u32>(q, Q_SECMARK);
  const pkttype = <u32>load<u8>(q, Q_PKTTYPE);
  const trace = load<u8>(q, Q_NFTRACE) != 0;
  killQueue(q);
  packetReset(outBuf, bytes, pDesc, pIndex);
  parseLink(hasMac, family);
  setMark(mark);
  setPriority(prio);
  setSecmark(secmark);
  setPkttype(pkttype);
  setNftrace(trace);
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
