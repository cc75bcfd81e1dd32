// Sets and maps at run time (kernel: nft_set_hash.c, nft_set_rbtree.c,
// nft_set_pipapo.c): open-addressing hash tables for exact keys (plain and
// concatenated, maps, verdict maps), sorted start/end arrays with binary
// search for single-field intervals, and per-field range scans for
// concatenated intervals. `tcp dport { 22, 80 }` is a Hash set of 2-byte keys.

import { ctl, genSkipEntry, storeShared } from '../mem';
import { VM_SET_EPOCH } from '../abi';
import { EntryFlags, SD_BUCKETS, SD_CAPACITY, SD_COUNT, SD_DATA_AT, SD_EFLAGS_AT, SD_ENTRIES, SD_ESTRIDE, SD_EXPIRES_AT, SD_FIELD_LEN, SD_KEYEND_AT, SD_KIND, SD_KLEN, SD_LIVE, SD_MASK, SD_NFIELDS, SD_SIZE, SetKind } from '../layout';

/** Address of set descriptor `k` in the array at `sets`. */
@inline export function setAddr(sets: usize, k: u32): usize {
  return sets + <usize>k * SD_SIZE;
}

/** Hash of `len` key bytes (whole words, the last one masked). */
@inline function keyHash(k: usize, len: u32): u32 {
  if (len <= 4) {
    // One word (ports, protocols, IPv4 addresses): a multiplicative mix of the masked word.
    let x = load<u32>(k) & ((<u32>0xffffffff) >> ((4 - len) << 3));
    x = (x ^ (x >> 16)) * 0x7feb352d;
    x = (x ^ (x >> 15)) * 0x846ca68b;
    return x ^ (x >> 16);
  }
  let h: u32 = 0x811c9dc5 ^ len;
  let i: u32 = 0;
  for (; i + 4 <= len; i += 4) {
    h = (h ^ load<u32>(k + i)) * 0x01000193;
    h ^= h >> 15;
  }
  if (i < len) {
    const mask = (<u32>0xffffffff) >> ((4 - (len - i)) << 3);
    h = (h ^ (load<u32>(k + i) & mask)) * 0x01000193;
  }
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  return h;
}

/** The entry flags word of `e`. */
@inline export function entryFlags(sd: usize, e: usize): u32 {
  return load<u32>(e + load<u16>(sd, SD_EFLAGS_AT));
}

/** An element expiry relative to the ruleset's first packet (a timeout in the image), in the low bits. */
export const EXPIRES_RELATIVE: u64 = 0x8000000000000000;
/** Packet time of the first packet the loaded ruleset saw (0: none yet); relative expiries count from it. In the control block: every evaluator sharing the memory counts from the same packet. */
@inline export function setEpoch(): u64 {
  return load<u64>(ctl, VM_SET_EPOCH);
}
/** Starts the loaded ruleset's clock at packet time `t` if it has not started. */
@inline export function setEpochAt(t: u64): void {
  if (!load<u64>(ctl, VM_SET_EPOCH)) store<u64>(ctl, t ? t : 1, VM_SET_EPOCH);
}
/** A new ruleset: its clock starts with its first packet. */
export function setEpochReset(): void {
  store<u64>(ctl, 0, VM_SET_EPOCH);
}

/** True when `e` holds an element that has not expired at `now`. */
@inline export function entryLive(sd: usize, e: usize, now: u64): bool {
  // Live, and in the generation this packet sees.
  if ((entryFlags(sd, e) & (EntryFlags.Live | genSkipEntry)) != EntryFlags.Live) return false;
  let exp = load<u64>(e + load<u16>(sd, SD_EXPIRES_AT));
  if (!exp) return true;
  if (exp & EXPIRES_RELATIVE) exp = setEpoch() + (exp & ~EXPIRES_RELATIVE);
  return now < exp;
}

/** Key bytes equal (1..64 bytes: words, the tail masked). */
@inline function keyEqual(a: usize, b: usize, len: u32): bool {
  if (len <= 4) return ((load<u32>(a) ^ load<u32>(b)) & ((<u32>0xffffffff) >> ((4 - len) << 3))) == 0;
  return memory.compare(a, b, len) == 0;
}

/** memcmp order of `len`-byte keys, with the common widths as big-endian words. */
@inline function keyCompare(a: usize, b: usize, len: usize): i32 {
  if (len == 4) {
    const x = bswap<u32>(load<u32>(a));
    const y = bswap<u32>(load<u32>(b));
    return <i32>(x > y) - <i32>(x < y);
  }
  if (len == 16) {
    let x = bswap<u64>(load<u64>(a));
    let y = bswap<u64>(load<u64>(b));
    if (x == y) {
      x = bswap<u64>(load<u64>(a, 8));
      y = bswap<u64>(load<u64>(b, 8));
    }
    return <i32>(x > y) - <i32>(x < y);
  }
  return memory.compare(a, b, len);
}

/** Finds the hash entry for key `k`: its bucket address (the entry's or the first free one on the probe path). */
@inline function hashProbe(sd: usize, k: usize, insert: bool): usize {
  const klen = <u32>load<u8>(sd, SD_KLEN);
  const mask = load<u32>(sd, SD_MASK);
  const buckets = <usize>load<u32>(sd, SD_BUCKETS);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  let i = keyHash(k, klen) & mask;
  let free: usize = 0;
  // At most mask+1 probes: the table is never full (buckets ≥ 2 × capacity).
  for (let n: u32 = 0; n <= mask; n++) {
    const b = buckets + (<usize>i << 2);
    const v = load<u32>(b);
    if (v == 0) return insert && free ? free : b;
    if (v == 0xffffffff) {
      if (!free) free = b;
    } else {
      const e = entries + <usize>(v - 1) * stride;
      if (keyEqual(e, k, klen)) return b;
    }
    i = (i + 1) & mask;
  }
  return free;
}

/** Looks `k` up in a Hash set; the matching live entry's address, else 0. */
@inline export function hashLookup(sd: usize, k: usize, now: u64): usize {
  const b = hashProbe(sd, k, false);
  const v = b ? load<u32>(b) : 0;
  if (v == 0 || v == 0xffffffff) return 0;
  const e = <usize>load<u32>(sd, SD_ENTRIES) + <usize>(v - 1) * load<u16>(sd, SD_ESTRIDE);
  return entryLive(sd, e, now) ? e : 0;
}

/** Looks `k` up; the matching live entry's address, else 0 (the catch-all is the caller's business). */
export function setLookup(sd: usize, k: usize, now: u64): usize {
  const kind = <i32>load<u8>(sd, SD_KIND);
  let e: usize = 0;
  if (kind == SetKind.Hash) {
    const b = hashProbe(sd, k, false);
    const v = b ? load<u32>(b) : 0;
    if (v != 0 && v != 0xffffffff) {
      e = <usize>load<u32>(sd, SD_ENTRIES) + <usize>(v - 1) * load<u16>(sd, SD_ESTRIDE);
      if (!entryLive(sd, e, now)) e = 0;
    }
  } else if (kind == SetKind.Interval) {
    e = intervalLookup(sd, k, now);
  } else {
    e = rangesLookup(sd, k, now);
  }
  return e;
}

/** Greatest element ≤ k (memcmp order) must start an interval. */
function intervalLookup(sd: usize, k: usize, now: u64): usize {
  const klen = <usize>load<u8>(sd, SD_KLEN);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  let n = <usize>load<u32>(sd, SD_COUNT);
  if (!n) return 0;
  // The last entry ≤ k, branch-free: the answer stays in [base, base + n); only the loop count branches (the same for every key).
  let base: usize = 0;
  if (klen == 4) {
    const x = bswap<u32>(load<u32>(k));
    if (n <= 16) {
      // Few entries: count the keys ≤ k (independent compares, no dependent loads).
      let c: usize = 0;
      for (let i: usize = 0; i < n; i++) c += <usize>(bswap<u32>(load<u32>(entries + i * stride)) <= x);
      if (!c) return 0;
      const e = entries + (c - 1) * stride;
      if (entryFlags(sd, e) & EntryFlags.IntervalEnd) return 0;
      return entryLive(sd, e, now) ? e : 0;
    }
    while (n > 1) {
      const half = n >> 1;
      base = select(base + half, base, bswap<u32>(load<u32>(entries + (base + half) * stride)) <= x);
      n -= half;
    }
    if (bswap<u32>(load<u32>(entries + base * stride)) > x) return 0;
  } else {
    while (n > 1) {
      const half = n >> 1;
      base = select(base + half, base, keyCompare(entries + (base + half) * stride, k, klen) <= 0);
      n -= half;
    }
    if (keyCompare(entries + base * stride, k, klen) > 0) return 0;
  }
  const e = entries + base * stride;
  if (entryFlags(sd, e) & EntryFlags.IntervalEnd) return 0;
  return entryLive(sd, e, now) ? e : 0;
}

/** Concatenated intervals: every field within [key, key end]. */
function rangesLookup(sd: usize, k: usize, now: u64): usize {
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  const n = load<u32>(sd, SD_COUNT);
  const nf = <i32>load<u8>(sd, SD_NFIELDS);
  const endAt = <usize>load<u16>(sd, SD_KEYEND_AT);
  for (let j: u32 = 0; j < n; j++) {
    const e = entries + <usize>j * stride;
    let off: usize = 0;
    let ok = true;
    for (let f = 0; f < nf; f++) {
      const len = <usize>load<u8>(sd + f, SD_FIELD_LEN);
      if (memory.compare(k + off, e + off, len) < 0 || memory.compare(k + off, e + endAt + off, len) > 0) {
        ok = false;
        break;
      }
      off += (len + 3) & ~3;
    }
    if (ok && entryLive(sd, e, now)) return e;
  }
  return 0;
}

/** The entry for key `k` in a hash set, inserting an empty one if absent; 0 when full. `created` says which. */
export let setCreated: bool = false;
/** Finds or inserts `k` (hash sets only); expired entries are reused as new. */
export function setInsert(sd: usize, k: usize, now: u64): usize {
  setCreated = false;
  const b = hashProbe(sd, k, true);
  if (!b) return 0;
  const v = load<u32>(b);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  if (v != 0 && v != 0xffffffff) {
    const e = entries + <usize>(v - 1) * stride;
    if (entryLive(sd, e, now)) return e;
    entryClear(sd, e, k);
    setCreated = true;
    return e;
  }
  const count = load<u32>(sd, SD_COUNT);
  if (count >= load<u32>(sd, SD_CAPACITY)) return 0;
  store<u32>(sd, count + 1, SD_COUNT);
  store<u32>(b, count + 1);
  const e = entries + <usize>count * stride;
  entryClear(sd, e, k);
  store<u32>(sd, load<u32>(sd, SD_LIVE) + 1, SD_LIVE);
  setCreated = true;
  return e;
}

function entryClear(sd: usize, e: usize, k: usize): void {
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  memory.fill(e, 0, stride);
  memory.copy(e, k, load<u8>(sd, SD_KLEN));
  store<u32>(e + load<u16>(sd, SD_EFLAGS_AT), EntryFlags.Live);
}

/** Removes `k` from a hash set (dynset delete); no-op if absent. */
export function setDelete(sd: usize, k: usize): void {
  const b = hashProbe(sd, k, false);
  if (!b) return;
  const v = load<u32>(b);
  if (v == 0 || v == 0xffffffff) return;
  const e = <usize>load<u32>(sd, SD_ENTRIES) + <usize>(v - 1) * load<u16>(sd, SD_ESTRIDE);
  store<u32>(e + load<u16>(sd, SD_EFLAGS_AT), 0);
  store<u32>(b, 0xffffffff);
}

/** The entry holding key `k` in a Hash set, whatever its flags; 0 if none. */
export function hashFind(sd: usize, k: usize): usize {
  const b = hashProbe(sd, k, false);
  const v = b ? load<u32>(b) : 0;
  if (v == 0 || v == 0xffffffff) return 0;
  return <usize>load<u32>(sd, SD_ENTRIES) + <usize>(v - 1) * load<u16>(sd, SD_ESTRIDE);
}

/** Takes entry `e` out of its Hash set's buckets (a tombstone in its place). */
export function hashUnlink(sd: usize, e: usize): void {
  const b = hashProbe(sd, e, false);
  const idx = <u32>((e - <usize>load<u32>(sd, SD_ENTRIES)) / load<u16>(sd, SD_ESTRIDE));
  if (b && load<u32>(b) == idx + 1) store<u32>(b, 0xffffffff);
}

/** Address of an entry's data. */
@inline export function entryData(sd: usize, e: usize): usize {
  return e + load<u16>(sd, SD_DATA_AT);
}

/** Adds a built element to a Hash set during load; false if the key is already there. */
export function hashAdd(sd: usize, e: usize): bool {
  const b = hashProbe(sd, e, true);
  const v = load<u32>(b);
  if (v != 0 && v != 0xffffffff) return false;
  const idx = <u32>((e - <usize>load<u32>(sd, SD_ENTRIES)) / load<u16>(sd, SD_ESTRIDE));
  // The entry is whole before its bucket shows it to another thread's evaluator.
  storeShared(b, idx + 1);
  return true;
}

/** Sorts the first SD_COUNT entries by key (heapsort, in place, `tmp` = one entry of scratch). */
export function sortEntries(sd: usize, tmp: usize): void {
  const n = <i32>load<u32>(sd, SD_COUNT);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(sd, entries, stride, i, n, tmp);
  for (let end = n - 1; end > 0; end--) {
    swapEntries(entries, stride, 0, end, tmp);
    siftDown(sd, entries, stride, 0, end, tmp);
  }
}

/** Entry order: key bytes, then end elements before start elements. */
function entryCmp(sd: usize, a: usize, b: usize): i32 {
  const c = memory.compare(a, b, load<u8>(sd, SD_KLEN));
  if (c != 0) return c;
  const fa = entryFlags(sd, a) & EntryFlags.IntervalEnd;
  const fb = entryFlags(sd, b) & EntryFlags.IntervalEnd;
  return <i32>fb - <i32>fa;
}

function siftDown(sd: usize, entries: usize, stride: usize, i: i32, n: i32, tmp: usize): void {
  while (true) {
    const l = 2 * i + 1;
    if (l >= n) return;
    let m = l;
    if (l + 1 < n && entryCmp(sd, entries + <usize>(l + 1) * stride, entries + <usize>l * stride) > 0) m = l + 1;
    if (entryCmp(sd, entries + <usize>m * stride, entries + <usize>i * stride) <= 0) return;
    swapEntries(entries, stride, i, m, tmp);
    i = m;
  }
}

function swapEntries(entries: usize, stride: usize, i: i32, j: i32, tmp: usize): void {
  const a = entries + <usize>i * stride;
  const b = entries + <usize>j * stride;
  memory.copy(tmp, a, stride);
  memory.copy(a, b, stride);
  memory.copy(b, tmp, stride);
}
