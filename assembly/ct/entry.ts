// Conntrack state shared by the table and the protocol trackers (kernel:
// struct nf_conn and the per-netns sysctls): the control block, table time,
// timeouts and the per-packet event cache. Entries are CTE_SIZE-byte records
// in the pool (abi.ts CTE_*); a tracker gets an entry's address.

import { CtEventBits, CtStatus, CTC_FLAGS, CTC_MAX_RETRANS, CTC_TIMEOUTS, CTE_STATUS, CTE_TIMEOUT } from '../abi';

/** Address of the conntrack control block (CTC_*), 0 = conntrack not initialised. */
export let ctc: usize = 0;
/** Sets the control block address (ctInit). */
export function setCtc(p: usize): void {
  ctc = p;
}

/** Table time of the packet being tracked, ms since CTC_EPOCH. */
export let now: u32 = 0;
/** Sets the current table time. */
export function setNow(t: u32): void {
  now = t;
}

/** Timeout policy of the entry being tracked (timeout-policy.ts): u32 seconds for slots policyFirst.., 0 = the sysctls. */
let policy: usize = 0;
let policyFirst: i32 = 0;
let policyCount: u32 = 0;
/** A policy is in use (the previous entry had one). */
@inline export function policyActive(): bool {
  return policy != 0;
}
/** Makes `p` (u32 seconds for CtTimeout slots first..first+count-1; 0 = none) the policy timeoutMs reads. */
export function setPolicy(p: usize, first: i32, count: u32): void {
  policy = p;
  policyFirst = first;
  policyCount = count;
}

/** Timeout of slot `slot` (CtTimeout) in ms: the current entry's policy for the states it has (nf_ct_timeout_lookup), else the sysctl. */
@inline export function timeoutMs(slot: i32): u32 {
  if (policy && <u32>(slot - policyFirst) < policyCount) return load<u32>(policy + (<usize>(slot - policyFirst) << 2)) * 1000;
  return load<u32>(ctc + CTC_TIMEOUTS + (<usize>slot << 2)) * 1000;
}

/** CtOption bit `opt` is on. */
@inline export function ctOption(opt: u32): bool {
  return (load<u32>(ctc, CTC_FLAGS) & opt) != 0;
}

/** nf_conntrack_tcp_max_retrans. */
@inline export function maxRetrans(): u32 {
  return load<u32>(ctc, CTC_MAX_RETRANS);
}

@inline export function status(ct: usize): u32 {
  return <u32>load<u16>(ct, CTE_STATUS);
}
@inline export function setStatusBits(ct: usize, bits: u32): void {
  store<u16>(ct, <u16>(<u32>load<u16>(ct, CTE_STATUS) | bits), CTE_STATUS);
}

/** ms left before the entry expires (0 when expired; an unconfirmed entry holds its timeout relative, read as 0 like the kernel's). */
export function remainingMs(ct: usize): u32 {
  if (!(status(ct) & CtStatus.Confirmed)) return 0;
  const d = <i32>(load<u32>(ct, CTE_TIMEOUT) - now);
  return d > 0 ? <u32>d : 0;
}

/** nf_ct_refresh: timeout := now + ms (relative while unconfirmed); FIXED_TIMEOUT entries keep theirs. */
export function refresh(ct: usize, ms: u32): void {
  const st = status(ct);
  if (st & CtStatus.FixedTimeout) return;
  store<u32>(ct, st & CtStatus.Confirmed ? now + ms : ms, CTE_TIMEOUT);
}

/** Event cache of the packet's entry (nf_conntrack_event_cache): bit 0x100 = some event, plus CtEventBits. */
export let eventCache: u32 = 0;
/** Notes that the entry changed (reply seen, assured, state, mark): an UPDATE event; `protoinfo` when the TCP state changed. */
export function eventUpdate(protoinfo: bool): void {
  eventCache |= 0x100 | (protoinfo ? <u32>CtEventBits.Protoinfo : 0);
}
/** Notes a mark change (IPCT_MARK): an UPDATE event that shows the mark. */
export function eventMark(): void {
  eventCache |= 0x100 | <u32>CtEventBits.Mark;
}
/** Clears the cache (start of a packet, after delivery). */
export function eventClear(): void {
  eventCache = 0;
}
