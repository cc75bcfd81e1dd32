// Pages of the reassembly module: a pool of 512-byte pages, each with two
// bitmaps of its 8-byte units (queued; a run of adjacent fragments starts
// here), holding a datagram's data at its final offsets and the head's
// headers; they decide inet_frag_queue_insert's OK / DUP / OVERLAP (kernel:
// net/ipv4/inet_fragment.c). A 3-fragment `udp dport 7000` datagram uses 1 page.

import { DATA_PAGES, IPFRAG_DUP, IPFRAG_OK, IPFRAG_OVERLAP, PAGE_DATA, PREFIX_MAX, PREFIX_PAGES, Q_HASTAIL, Q_PAGES, Q_PREFIX, Q_TAIL } from './record';

const PAGE_UNITS = 64;
const PG_COVERED = 512;
const PG_RUNSTART = 520;
/** Bytes of a page: data, then the two bitmaps. */
export const PG_SIZE = 528;

let pages: usize = 0;
let npages: u32 = 0;
let pfree: u32 = 0;
let phigh: u32 = 0;

/** Lays out `n` pages (fresh memory: nothing to clear). */
export function pagesInit(n: u32): void {
  npages = n;
  pages = heap.alloc(<usize>n * PG_SIZE);
}

/** Address of page `n` (1-based). */
@inline function pageAt(n: u32): usize {
  return pages + <usize>(n - 1) * PG_SIZE;
}

/** Frees the queue's pages. */
export function freePages(q: usize, from: i32, to: i32): void {
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

