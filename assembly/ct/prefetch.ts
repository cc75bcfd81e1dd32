// Memory-level parallelism for the conntrack table: wasm has no prefetch
// instruction, so before a group of packets runs, one tight loop finds each
// packet's buckets (both tuples) and reads the first entry of each chain.
// The loads of different packets do not depend on each other, so the CPU
// overlaps their cache misses; the packets then find their entries in cache.
// A hint only: a packet it misreads costs nothing but a wasted load.

import { BATCH_HEADER_SIZE, CTC_FAMILIES, CTE_NEXT0, CTE_ORIG, CT_TUPLE_SIZE, Family, PktFlags, PKT_DATA, PKT_FAMILY, PKT_FLAGS, PKT_LEN, PKT_SIZE } from '../abi';
import { batch, batchCap } from '../mem';
import { ctc } from './entry';
import { ctBuckets, entryAt, hashTuple } from './table';
import { getTuple, hasPorts } from './tuple';

/** Where the loads go, so the optimiser keeps them. */
let sink: u32 = 0;

/** Per packet of the group: its tuple (CT_TUPLE_SIZE), then the chain link reached so far. */
const SLOT: usize = CT_TUPLE_SIZE + 4;
const slots: usize = memory.data(<i32>(SLOT * 64));

/** The entry of `link` (0: none) is not the one holding tuple `t`: the next link of its chain, else 0. */
@inline function step(link: u32, t: usize): u32 {
  if (!link) return 0;
  const dir = (link - 1) & 1;
  const e = entryAt((link - 1) >> 1);
  const u = e + CTE_ORIG + <usize>dir * CT_TUPLE_SIZE;
  if (load<u64>(u) == load<u64>(t) && load<u64>(u, 16) == load<u64>(t, 16) && load<u32>(u, 32) == load<u32>(t, 32)) {
    // Found: its other lines too (timeout, status, TCP state).
    sink += load<u32>(e, 64) + load<u32>(e, 128) + load<u32>(e, 152);
    return 0;
  }
  return load<u32>(e + CTE_NEXT0 + (<usize>dir << 2));
}

/**
 * Warms the table for packets `from` … `to` - 1 of the batch (at most 64;
 * TCP/UDP over IPv4 or IPv6 of tracked families), a lookup in lock-step
 * over the group: every packet's bucket, then every chain's first entry,
 * then the second one where the first did not match — the loads of one
 * pass are independent of each other, so their misses overlap.
 */
export function ctPrefetch(from: u32, to: u32): void {
  const fams = load<u32>(ctc, CTC_FAMILIES);
  let n: usize = 0;
  for (let k = from; k < to; k++) {
    const desc = batch + BATCH_HEADER_SIZE + <usize>k * PKT_SIZE;
    const fam = <u32>load<u8>(desc, PKT_FAMILY);
    if (!(fams & (<u32>1 << fam))) continue;
    const off = <usize>load<u32>(desc, PKT_DATA);
    const len = <usize>load<u32>(desc, PKT_LEN);
    if (off > batchCap || len > batchCap - off) continue;
    let nh = batch + off;
    const end = nh + len;
    if (load<u8>(desc, PKT_FLAGS) & PktFlags.Ether) nh += 14;
    let th: usize;
    let proto: u32;
    let l3: u32;
    if (fam == Family.Ipv4) {
      if (nh + 20 > end || (bswap<u16>(load<u16>(nh, 6)) & 0x3fff) != 0) continue;
      th = nh + (<usize>(load<u8>(nh) & 15) << 2);
      proto = load<u8>(nh, 9);
      l3 = 2;
    } else {
      if (nh + 40 > end) continue;
      th = nh + 40;
      proto = load<u8>(nh, 6);
      l3 = 10;
    }
    const t = slots + n * SLOT;
    if (!hasPorts(proto) || !getTuple(t, nh, l3, th, proto, end)) continue;
    // Only the bucket's address here: the loads come in short loops below, many of them in flight at once.
    store<u32>(t + CT_TUPLE_SIZE, <u32>(ctBuckets + (<usize>hashTuple(t, l3, proto, 0) << 2)));
    if (++n == 64) break;
  }
  for (let i: usize = 0; i < n; i++) {
    const t = slots + i * SLOT;
    store<u32>(t + CT_TUPLE_SIZE, load<u32>(<usize>load<u32>(t + CT_TUPLE_SIZE)));
  }
  for (let pass = 0; pass < 2; pass++) {
    let acc: u32 = 0;
    for (let i: usize = 0; i < n; i++) {
      const link = load<u32>(slots + i * SLOT + CT_TUPLE_SIZE);
      if (link) acc += load<u32>(entryAt((link - 1) >> 1));
    }
    sink += acc;
    for (let i: usize = 0; i < n; i++) {
      const t = slots + i * SLOT;
      store<u32>(t + CT_TUPLE_SIZE, step(load<u32>(t + CT_TUPLE_SIZE), t));
    }
  }
}
