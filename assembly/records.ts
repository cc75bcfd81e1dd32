// The record area (docs/vm.md §4): trace events, log and reject records
// appended in packet order during a batch; the host reads them afterwards.
// Kernel counterparts: nft_trace_notify, nf_log_packet, nf_send_reset.

import { RECORDS_CAPACITY, RECORDS_COUNT, RECORDS_DATA, RECORDS_DROPPED, RECORDS_HEADER_SIZE, RECORD_SIZE, REC_A, REC_B, REC_CHAIN, REC_HOOK, REC_KIND, REC_NFPROTO, REC_PACKET, REC_RULE, REC_SUB } from './abi';
import { records } from './mem';
import { pHook, pIndex, pNfproto } from './packet';

/** Appends one record for the current packet (returns its address); counts it as dropped (returns 0) when the area is full. */
export function emitRecord(kind: u32, sub: u32, chain: u32, rule: u32, a: u32, b: u32): usize {
  const n = load<u32>(records, RECORDS_COUNT);
  // Reject replies fill the area from its end (RECORDS_DATA): records stop below them.
  if (n >= load<u32>(records, RECORDS_CAPACITY) || <u32>RECORDS_HEADER_SIZE + (n + 1) * <u32>RECORD_SIZE > load<u32>(records, RECORDS_DATA)) {
    store<u32>(records, load<u32>(records, RECORDS_DROPPED) + 1, RECORDS_DROPPED);
    return 0;
  }
  const r = records + RECORDS_HEADER_SIZE + <usize>n * RECORD_SIZE;
  store<u8>(r, <u8>kind, REC_KIND);
  store<u8>(r, <u8>sub, REC_SUB);
  store<u8>(r, <u8>pHook, REC_HOOK);
  store<u8>(r, <u8>pNfproto, REC_NFPROTO);
  store<u32>(r, pIndex, REC_PACKET);
  store<u32>(r, chain, REC_CHAIN);
  store<u32>(r, rule, REC_RULE);
  store<u32>(r, a, REC_A);
  store<u32>(r, b, REC_B);
  store<u32>(records, n + 1, RECORDS_COUNT);
  return r;
}

/** Chain and rule handle of the rule running (for log and reject records). */
export let curChain: u32 = 0;
/** Handle of the rule running. */
export let curRule: u32 = 0;

/** Sets the running rule. */
@inline export function setCurrent(chain: u32, rule: u32): void {
  curChain = chain;
  curRule = rule;
}

/** Reserves `need` bytes (a multiple of 4) below the data already stored at the area's end, leaving room for one more record; its record-area offset, 0 when it does not fit. */
export function reserveData(need: u32): u32 {
  const low = load<u32>(records, RECORDS_DATA);
  const recEnd = <u32>RECORDS_HEADER_SIZE + (load<u32>(records, RECORDS_COUNT) + 1) * <u32>RECORD_SIZE;
  if (low < need || low - need < recEnd) return 0;
  store<u32>(records, low - need, RECORDS_DATA);
  return low - need;
}
