// The conntrack hash table (kernel: net/netfilter/nf_conntrack_core.c):
// a bucket array of u32 links and a pool of CTE_SIZE-byte entries, both
// sized once by ctInit. A link is entry index × 2 + direction + 1 (0 ends a
// chain), so zeroed memory is an empty table. Both tuples of a confirmed
// entry are chained; a lookup walks one bucket and reaps expired entries it
// meets; a small incremental sweep per packet reaps the rest (the kernel's
// gc worker), never a full scan on the packet path.

import {
  CtEventType, CtOption, CtStatus, CTC_BUCKETS, CTC_COUNT, CTC_EXT, CTC_FLAGS, CTC_MAX, CTC_MAX_RETRANS, CTC_NBUCKETS,
  CTC_POOL, CTC_SEED, CTC_SIZE, CTC_STAT_EARLY_DROP, CTC_STAT_INSERT, CTC_TIMEOUTS, CTE_L3, CTE_NEXT0, CTE_ORIG, CTE_PROTO, CTE_SIZE,
  CTE_STATUS, CTE_TIMEOUT, CTE_USED, CTE_ZONE, CTX_SIZE, CT_TUPLE_SIZE,
} from '../abi';
import { ctc, now, setCtc, status } from './entry';
import { emitEvent, setEventBases } from './events';
import { prandom } from '../mem';

/** Bucket array, bucket count, entry pool, capacity, extension array (0 none). */
export let ctBuckets: usize = 0;
export let ctNBuckets: u32 = 0;
export let ctPool: usize = 0;
export let ctMax: u32 = 0;
export let ctExt: usize = 0;
/** Entries ever handed out from the pool's untouched tail; then the free list. */
let highWater: u32 = 0;
let freeHead: u32 = 0;
/** Next bucket the incremental sweep looks at. */
let sweepAt: u32 = 0;

/** Kernel defaults (seconds) for the CtTimeout slots. */
const DEFAULT_TIMEOUTS: StaticArray<u32> = [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300, 30, 120, 30, 30, 600];

/** Memory for `n` bytes, zeroed (fresh pages are). */
function grab(n: usize): usize {
  const p = heap.alloc((n + 15) & ~15);
  memory.fill(p, 0, n);
  return p;
}

/**
 * Lays the table out: nf_conntrack_init_start's sizing when hashsize/max are
 * 0 (262144 buckets, max = buckets; max = 8 × an explicit hashsize). Returns
 * 0, or -1 when it does not fit in memory.
 */
/** Bytes tableInit lays out for these sizes (0 = the kernel's sizing). */
export function tableBytes(hashsize: u32, max: u32, ext: bool): u64 {
  const buckets: u32 = hashsize ? hashsize : 262144;
  const cap: u32 = max ? max : hashsize ? hashsize * 8 : buckets;
  return <u64>CTC_SIZE + <u64>buckets * 4 + <u64>cap * CTE_SIZE + (ext ? <u64>cap * CTX_SIZE : 0) + 64;
}

export function tableInit(hashsize: u32, max: u32, ext: bool): i32 {
  if (ctc) return 0;
  const buckets: u32 = hashsize ? hashsize : 262144;
  const cap: u32 = max ? max : hashsize ? hashsize * 8 : buckets;
  const need = tableBytes(hashsize, max, ext);
  if (need > 0xf0000000 - (<u64>memory.size() << 16)) return -1;
  const c = grab(CTC_SIZE);
  setCtc(c);
  ctNBuckets = buckets;
  ctMax = cap;
  // Buckets and pool: untouched pages are zero, which is an empty table; heap.alloc may reuse nothing here (init time).
  ctBuckets = heap.alloc(<usize>buckets * 4 + 16);
  memory.fill(ctBuckets, 0, <usize>buckets * 4);
  ctPool = heap.alloc(<usize>cap * CTE_SIZE + 16);
  ctExt = ext ? grab(<usize>cap * CTX_SIZE) : 0;
  setEventBases(ctPool, ctExt);
  store<u32>(c, <u32>ctBuckets, CTC_BUCKETS);
  store<u32>(c, buckets, CTC_NBUCKETS);
  store<u32>(c, <u32>ctPool, CTC_POOL);
  store<u32>(c, cap, CTC_MAX);
  store<u32>(c, <u32>ctExt, CTC_EXT);
  store<u32>(c, CtOption.TcpLoose | CtOption.Checksum | (ext ? CtOption.Acct : 0), CTC_FLAGS);
  store<u32>(c, 3, CTC_MAX_RETRANS);
  store<u64>(c, (<u64>prandom() << 32) | prandom(), CTC_SEED);
  hashKeys();
  for (let i = 0; i < DEFAULT_TIMEOUTS.length; i++) store<u32>(c + CTC_TIMEOUTS + (<usize>i << 2), DEFAULT_TIMEOUTS[i]);
  return 0;
}

@inline export function entryAt(idx: u32): usize {
  return ctPool + <usize>idx * CTE_SIZE;
}
/** Entries the pool has handed out so far (every entry in use is below it). */
@inline export function entriesUsed(): u32 {
  return highWater;
}
@inline export function entryIndex(ct: usize): u32 {
  return <u32>((ct - ctPool) / CTE_SIZE);
}

// A keyed multilinear hash: every 32-bit word of the tuple times its own
// secret 64-bit key, summed mod 2^64, high half kept (vector multiply-shift:
// without the keys, chosen tuples cannot be steered into one bucket; the
// kernel keys SipHash for the same reason). Keys come from CTC_SEED.
const keys: usize = memory.data(8 * 12);

/** Derives the hash keys from CTC_SEED (splitmix64). */
export function hashKeys(): void {
  let x = load<u64>(ctc, CTC_SEED);
  for (let i: usize = 0; i < 12; i++) {
    x += 0x9e3779b97f4a7c15;
    let z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    store<u64>(keys + (i << 3), z ^ (z >> 31));
  }
}

@inline function term(w: u32, k: usize): u64 {
  return <u64>w * load<u64>(keys + (k << 3));
}

/** Bucket of tuple `t` (CT_TUPLE_SIZE bytes) of L3 `l3`, protocol `proto`, zone `zone`. */
export function hashTuple(t: usize, l3: u32, proto: u32, zone: u32): u32 {
  let h: u64 = load<u64>(keys) + term(load<u32>(t, 32), 1) + term((zone << 16) | (proto << 8) | l3, 2);
  if (l3 == 2) {
    h += term(load<u32>(t), 3) + term(load<u32>(t, 16), 4);
  } else {
    for (let i: usize = 0; i < 8; i++) h += term(load<u32>(t + (i << 2)), 3 + i);
  }
  return <u32>(((h >> 32) * <u64>ctNBuckets) >> 32);
}

/** Tuple `t` equals direction `dir`'s tuple of entry `ct`. */
@inline function tupleEq(ct: usize, dir: u32, t: usize): bool {
  const u = ct + CTE_ORIG + <usize>dir * CT_TUPLE_SIZE;
  return load<u64>(u) == load<u64>(t) && load<u64>(u, 8) == load<u64>(t, 8) && load<u64>(u, 16) == load<u64>(t, 16)
    && load<u64>(u, 24) == load<u64>(t, 24) && load<u32>(u, 32) == load<u32>(t, 32);
}

@inline function expired(ct: usize): bool {
  return <i32>(load<u32>(ct, CTE_TIMEOUT) - now) <= 0;
}

/** Link found by the last lookup (entry index × 2 + dir + 1), 0 none. */
export let foundLink: u32 = 0;
/** Address of the bucket of the last lookup's tuple (where a new entry's ORIGINAL tuple goes). */
export let lookupBucket: usize = 0;

/** Finds the confirmed entry with tuple `t`; its address (0 none), direction in foundLink & 1 ^ 1. Reaps expired entries met. */
export function lookup(t: usize, l3: u32, proto: u32, zone: u32): usize {
  const b = ctBuckets + (<usize>hashTuple(t, l3, proto, zone) << 2);
  lookupBucket = b;
  let prev = b;
  let link = load<u32>(b);
  while (link) {
    const idx = (link - 1) >> 1;
    const dir = (link - 1) & 1;
    const ct = entryAt(idx);
    const at = ct + CTE_NEXT0 + (<usize>dir << 2);
    if (load<u8>(ct, CTE_PROTO) == proto && load<u8>(ct, CTE_L3) == l3 && <u32>load<u16>(ct, CTE_ZONE) == zone && tupleEq(ct, dir, t)) {
      if (!expired(ct)) {
        foundLink = link;
        return ct;
      }
      // Killing unchains both tuples: start the bucket over.
      if (killLinked(ct, dir, prev, false)) {
        prev = b;
        link = load<u32>(b);
        continue;
      }
    }
    prev = at;
    link = load<u32>(at);
  }
  foundLink = 0;
  return 0;
}

/** Bucket address of direction `dir`'s tuple of entry `ct`. */
@inline function bucketOf(ct: usize, dir: u32): usize {
  return ctBuckets + (<usize>hashTuple(ct + CTE_ORIG + <usize>dir * CT_TUPLE_SIZE, load<u8>(ct, CTE_L3), load<u8>(ct, CTE_PROTO), load<u16>(ct, CTE_ZONE)) << 2);
}

/** Chains direction `dir` of entry `ct` into bucket `b`. */
function link(ct: usize, dir: u32, b: usize): void {
  store<u32>(ct + CTE_NEXT0 + (<usize>dir << 2), load<u32>(b));
  store<u32>(b, entryIndex(ct) * 2 + dir + 1);
}

/** Unchains direction `dir` of entry `ct`. */
function unlink(ct: usize, dir: u32): void {
  const me = entryIndex(ct) * 2 + dir + 1;
  let p = bucketOf(ct, dir);
  while (true) {
    const l = load<u32>(p);
    if (!l) return;
    const e = entryAt((l - 1) >> 1);
    const at = e + CTE_NEXT0 + (<usize>((l - 1) & 1) << 2);
    if (l == me) {
      store<u32>(p, load<u32>(at));
      return;
    }
    p = at;
  }
}

/** A free entry, zeroed and marked used; 0 when the pool is exhausted. The caller counts it. */
function take(): usize {
  let ct: usize = 0;
  if (freeHead) {
    ct = entryAt(freeHead - 1);
    freeHead = load<u32>(ct, CTE_NEXT0);
  } else if (highWater < ctMax) {
    ct = entryAt(highWater++);
  } else return 0;
  memory.fill(ct, 0, CTE_SIZE);
  if (ctExt) memory.fill(ctExt + <usize>entryIndex(ct) * CTX_SIZE, 0, CTX_SIZE);
  store<u8>(ct, 1, CTE_USED);
  return ct;
}

/** Returns entry `ct` to the pool (count included). */
export function release(ct: usize): void {
  store<u8>(ct, 0, CTE_USED);
  store<u16>(ct, 0, CTE_STATUS);
  store<u32>(ct, freeHead, CTE_NEXT0);
  freeHead = entryIndex(ct) + 1;
  store<u32>(ctc, load<u32>(ctc, CTC_COUNT) - 1, CTC_COUNT);
}

/**
 * Removes a confirmed entry from the table (nf_ct_delete): DESTROY event,
 * unchained; `keep` leaves its memory to the packet that still holds it
 * (freed when that packet is done), otherwise it is released now.
 */
export function kill(ct: usize, killed: bool, keep: bool = false): bool {
  const st = status(ct);
  if (!(st & CtStatus.Confirmed) || st & CtStatus.Dying) return false;
  store<u16>(ct, <u16>(st | CtStatus.Dying), CTE_STATUS);
  emitEvent(ct, CtEventType.Destroy, killed ? 0x2 : 0);
  unlink(ct, 0);
  unlink(ct, 1);
  if (!keep) release(ct);
  return true;
}

/** kill() for an entry met in a chain walk: its `dir` link is the one stored at `prev`, unchained there without hashing again. */
function killLinked(ct: usize, dir: u32, prev: usize, killed: bool): bool {
  const st = status(ct);
  if (!(st & CtStatus.Confirmed) || st & CtStatus.Dying) return false;
  store<u16>(ct, <u16>(st | CtStatus.Dying), CTE_STATUS);
  emitEvent(ct, CtEventType.Destroy, killed ? 0x2 : 0);
  store<u32>(prev, load<u32>(ct + CTE_NEXT0 + (<usize>dir << 2)));
  unlink(ct, dir ^ 1);
  release(ct);
  return true;
}

/** Early drop (early_drop): deletes the non-ASSURED confirmed entries of the first of 8 buckets from `bucket` that has some. */
function earlyDrop(bucket: u32): bool {
  for (let i: u32 = 0; i < 8; i++) {
    const b = ctBuckets + (<usize>((bucket + i) % ctNBuckets) << 2);
    let prev = b;
    let link = load<u32>(b);
    let n: u32 = 0;
    while (link) {
      const ct = entryAt((link - 1) >> 1);
      const dir = (link - 1) & 1;
      if ((expired(ct) || !(status(ct) & CtStatus.Assured)) && killLinked(ct, dir, prev, !expired(ct))) {
        n++;
        prev = b;
        link = load<u32>(b);
        continue;
      }
      prev = ct + CTE_NEXT0 + (<usize>dir << 2);
      link = load<u32>(prev);
    }
    if (n) {
      store<u32>(ctc, load<u32>(ctc, CTC_STAT_EARLY_DROP) + n, CTC_STAT_EARLY_DROP);
      return true;
    }
  }
  return false;
}

/**
 * A new unconfirmed entry for tuple `t` (__nf_conntrack_alloc): counted at
 * once; when the count would pass nf_conntrack_max, early drop first; 0 when
 * nothing could go (the caller drops the packet).
 */
export function alloc(t: usize, l3: u32, proto: u32, zone: u32): usize {
  const count = load<u32>(ctc, CTC_COUNT);
  if (count + 1 > ctMax && !earlyDrop(<u32>((lookupBucket - ctBuckets) >> 2))) return 0;
  const ct = take();
  if (!ct) return 0;
  store<u32>(ctc, load<u32>(ctc, CTC_COUNT) + 1, CTC_COUNT);
  store<u8>(ct, <u8>l3, CTE_L3);
  store<u8>(ct, <u8>proto, CTE_PROTO);
  store<u16>(ct, <u16>zone, CTE_ZONE);
  memory.copy(ct + CTE_ORIG, t, CT_TUPLE_SIZE);
  return ct;
}

/** Confirms entry `ct` (__nf_conntrack_confirm): both tuples chained, timeout made absolute, NEW event. */
export function confirm(ct: usize, origBucket: usize): void {
  store<u32>(ct, load<u32>(ct, CTE_TIMEOUT) + now, CTE_TIMEOUT);
  store<u16>(ct, <u16>(status(ct) | CtStatus.Confirmed), CTE_STATUS);
  link(ct, 0, origBucket);
  link(ct, 1, bucketOf(ct, 1));
  store<u32>(ctc, load<u32>(ctc, CTC_STAT_INSERT) + 1, CTC_STAT_INSERT);
  emitEvent(ct, CtEventType.New, 0);
}

/** Reaps expired entries in the next `n` buckets (the gc worker, spread over packets). */
export function sweep(n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const b = ctBuckets + (<usize>sweepAt << 2);
    let prev = b;
    let link = load<u32>(b);
    while (link) {
      const ct = entryAt((link - 1) >> 1);
      const dir = (link - 1) & 1;
      if (expired(ct) && killLinked(ct, dir, prev, false)) {
        prev = b;
        link = load<u32>(b);
        continue;
      }
      prev = ct + CTE_NEXT0 + (<usize>dir << 2);
      link = load<u32>(prev);
    }
    if (++sweepAt >= ctNBuckets) sweepAt = 0;
  }
}

/** Reaps every expired entry (listing time, not the packet path); the number reaped. */
export function reapAll(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < highWater; i++) {
    const ct = entryAt(i);
    if (load<u8>(ct, CTE_USED) && status(ct) & CtStatus.Confirmed && !(status(ct) & CtStatus.Dying) && expired(ct)) {
      kill(ct, false);
      n++;
    }
  }
  return n;
}
