// Conntrack expectations (kernel: net/netfilter/nf_conntrack_expect.c): a
// helper announces a connection to come (ftp: the data connection a PASV
// reply or PORT command names); its first packet finds the expectation before
// a normal entry is made, becomes EXPECTED (ctinfo RELATED) and the
// expectation goes. A fixed table of EXPECT_MAX records (abi.ts EXP_*).

import {
  CtStatus, CTE_MARK, CTE_USED, CTE_ZONE, EXPECT_MAX, EXP_DPORT, EXP_DST, EXP_L3, EXP_MASTER, EXP_PROTO, EXP_SIZE, EXP_SRC, EXP_TIMEOUT,
  EXP_ZONE, TUP_DPORT, TUP_DST, TUP_SRC,
} from '../abi';
import { now, setStatusBits, status } from './entry';
import { ctMax, entryAt, entryIndex } from './table';

/** Address of the expectation table, 0 before expectInit. */
let expTable: usize = 0;
/** Live expectations (a lookup scans only while there are some). */
let expCount: u32 = 0;

/** Allocates the table (ctInit). */
export function expectInit(): void {
  if (expTable) return;
  expTable = heap.alloc(<usize>EXPECT_MAX * EXP_SIZE);
  memory.fill(expTable, 0, <usize>EXPECT_MAX * EXP_SIZE);
}

@inline function expAt(i: u32): usize {
  return expTable + <usize>i * EXP_SIZE;
}

function drop(e: usize): void {
  store<u32>(e, 0, EXP_MASTER);
  expCount--;
}

/** The master of `e` if it is still the confirmed, live helper entry that made it (an entry slot may be reused), else 0. */
function masterOf(e: usize): usize {
  const m = load<u32>(e, EXP_MASTER) - 1;
  if (m >= ctMax) return 0;
  const ct = entryAt(m);
  const st = status(ct);
  if (!(load<u8>(ct, CTE_USED) & 1) || (st & (CtStatus.Confirmed | CtStatus.Dying | CtStatus.Helper)) != (CtStatus.Confirmed | CtStatus.Helper)) return 0;
  return ct;
}

/** An expectation of `master` ends once it expired or its master went. */
@inline function stale(e: usize): bool {
  return <i32>(load<u32>(e, EXP_TIMEOUT) - now) <= 0 || !masterOf(e);
}

/**
 * nf_ct_expect_related for a helper allowing one expectation per master (ftp's
 * max_expected 1): the master's older expectation is replaced. `src`, `dst`:
 * addresses (16 bytes), `dport` network order. False when the table is full.
 */
export function expectAdd(master: usize, l3: u32, proto: u32, src: usize, dst: usize, dport: u16, ms: u32): bool {
  if (!expTable) return false;
  const mi = entryIndex(master) + 1;
  let free: usize = 0;
  for (let i: u32 = 0; i < <u32>EXPECT_MAX; i++) {
    const e = expAt(i);
    if (load<u32>(e, EXP_MASTER) && (load<u32>(e, EXP_MASTER) == mi || stale(e))) drop(e);
    if (!free && !load<u32>(e, EXP_MASTER)) free = e;
  }
  if (!free) return false;
  store<u32>(free, mi, EXP_MASTER);
  store<u32>(free, now + ms, EXP_TIMEOUT);
  memory.copy(free + EXP_SRC, src, 16);
  memory.copy(free + EXP_DST, dst, 16);
  store<u16>(free, dport, EXP_DPORT);
  store<u8>(free, <u8>l3, EXP_L3);
  store<u8>(free, <u8>proto, EXP_PROTO);
  store<u16>(free, load<u16>(master, CTE_ZONE), EXP_ZONE);
  expCount++;
  return true;
}

/**
 * nf_ct_find_expectation for new entry `ct` with ORIGINAL tuple `t`: the
 * expectation whose addresses, protocol and destination port match (any
 * source port) and whose master is confirmed goes; `ct` becomes EXPECTED and
 * takes the master's mark. True when one matched.
 */
export function expectTake(ct: usize, t: usize, l3: u32, proto: u32, zone: u32): bool {
  if (!expCount) return false;
  const alen: usize = l3 == 2 ? 4 : 16;
  for (let i: u32 = 0; i < <u32>EXPECT_MAX; i++) {
    const e = expAt(i);
    if (!load<u32>(e, EXP_MASTER)) continue;
    if (stale(e)) {
      drop(e);
      continue;
    }
    if (<u32>load<u8>(e, EXP_L3) != l3 || <u32>load<u8>(e, EXP_PROTO) != proto || <u32>load<u16>(e, EXP_ZONE) != zone) continue;
    if (load<u16>(e, EXP_DPORT) != load<u16>(t, TUP_DPORT)) continue;
    if (memory.compare(e + EXP_SRC, t + TUP_SRC, alen) != 0 || memory.compare(e + EXP_DST, t + TUP_DST, alen) != 0) continue;
    const master = masterOf(e);
    drop(e);
    setStatusBits(ct, CtStatus.Expected);
    store<u32>(ct, load<u32>(master, CTE_MARK), CTE_MARK);
    return true;
  }
  return false;
}

/** Live expectations (tests, statistics). */
export function expectCount(): u32 {
  return expCount;
}
