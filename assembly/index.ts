// The WebAssembly entry points of nftvm (docs/vm.md): init() lays out the
// memory regions once, load() verifies and commits a bytecode image,
// evaluate() runs a batch. The host reads and writes the regions through
// the addresses below; every layout number is in abi.ts.
// `abiVersion() === (BC_VERSION_MAJOR << 16) | BC_VERSION_MINOR`.

import { BC_VERSION_MAJOR, BC_VERSION_MINOR, LoadError, VM_SHARED } from './abi';
import { evaluateBatch } from './batch';
import { loadImage, loadInit } from './load';
import { commitInit, txAbort, txFinish } from './commit';
import { setFastPath } from './fast';
import { ctc, setNow } from './ct/entry';
import { expectInit } from './ct/expect';
import { reapAll, tableBytes, tableInit } from './ct/table';
import { tableTime } from './ct/track';
import { remapPolicies } from './ct/timeout-policy';
import { defragInit } from './defrag';
import { CTC_NOW } from './abi';
import { batch, batchCap, ctl, growFor, host, image, imageCap, initRegions, loadFail, loadWhere, records, recordsCap, workerAttach, workerBlock, workerEpoch } from './mem';

/** The bytecode format this module executes: major << 16 | minor. */
export function abiVersion(): i32 {
  return (BC_VERSION_MAJOR << 16) | BC_VERSION_MINOR;
}

/** Lays out the regions (bytes per ruleset slot, image buffer, batch area, record area); once per instance. */
export function init(rulesetBytes: u32, imageBytes: u32, batchBytes: u32, recordBytes: u32): void {
  if (ctl) return;
  initRegions(rulesetBytes, imageBytes, batchBytes, recordBytes);
  loadInit();
  commitInit();
}

/**
 * Evaluators on other threads will share this memory (1) or not (0, the
 * default): commits then leave in place everything a packet may be reading
 * (commit.ts) and the loader refuses state that packets update (verify.ts).
 */
export function setShared(on: u32): void {
  store<u32>(ctl, on ? 1 : 0, VM_SHARED);
}

/** Regions for one more evaluator on another thread (mem.ts workerBlock): the block address for workerAttach there, 0 if no more fit. */
export function newWorker(batchBytes: u32, recordBytes: u32): usize {
  return workerBlock(<usize>batchBytes, <usize>recordBytes);
}

/** Address of worker block `block`'s epoch word in the control block (VM_WORKER_EPOCHS): 0 between its batches. */
export function workerEpochAddr(block: usize): usize {
  return workerEpoch(block);
}

/** In an instance on another thread over the same memory, instead of init(): evaluate() then runs on worker block `block`'s regions. 1 on success. */
export function attach(control: usize, block: usize): u32 {
  return workerAttach(control, block) ? 1 : 0;
}

/** Verifies and commits the image of `len` bytes at `ptr` (normally imageAddr()); LoadError. */
export function load(ptr: usize, len: u32): i32 {
  // A committed in-place transaction is finished, an open one dropped: the load replaces both.
  txFinish();
  txAbort();
  if (ptr != image) {
    loadWhere(0, 0, 0, 0, 0);
    if (<u64>ptr + len > <u64>memory.size() << 16 || <usize>len > imageCap) return loadFail(LoadError.Truncated, len);
    memory.copy(image, ptr, len);
  }
  return loadImage(len);
}

/** Runs the batch in the batch area; packets evaluated, -1 for a malformed batch header. */
export function evaluate(): i32 {
  return evaluateBatch();
}

/** Address of the control block (VM_*). */
export function ctlAddr(): usize { return ctl; }
/** Address of the image buffer. */
export function imageAddr(): usize { return image; }
/** Bytes of the image buffer. */
export function imageSize(): usize { return imageCap; }
/** Address of the batch area. */
export function batchAddr(): usize { return batch; }
/** Bytes of the batch area. */
export function batchSize(): usize { return batchCap; }
/** Address of the record area. */
export function recordsAddr(): usize { return records; }
/** Bytes of the record area. */
export function recordsSize(): usize { return recordsCap; }
/** Address of the host model (IFACE_*, ADDR_*, ROUTE_*). */
export function hostAddr(): usize { return host; }

/** Rule summaries (fast.ts) on (1, the default) or off for the next loads; the differential tests compare both. */
export function fastPath(on: u32): void {
  setFastPath(on != 0);
}

/**
 * Lays out the conntrack table once, right after init(): `hashsize` buckets
 * and room for `max` entries (0 = the kernel's sizing), `ext` = per-entry
 * counters and labels. 0, or -1 when it does not fit in memory.
 */
export function ctInit(hashsize: u32, max: u32, ext: u32): i32 {
  // One exact growth for the table, reassembly and expectations (16 MiB covers the last two).
  if (!growFor(tableBytes(hashsize, max, ext != 0) + (16 << 20))) return -1;
  const r = tableInit(hashsize, max, ext != 0);
  // Reassembly in front of conntrack: 8 MiB = the kernel's 4 MiB high threshold for each of IPv4 and IPv6.
  if (r == 0) defragInit(8 << 20);
  if (r == 0) expectInit();
  return r;
}

/** Address of the conntrack control block (CTC_*), 0 before ctInit. */
export function ctAddr(): usize { return ctc; }

/** Advances table time to packet time `t` (ns since the epoch) and reaps every expired entry (DESTROY events when the last batch asked for events); the number reaped. */
export function ctAdvance(t: u64): u32 {
  if (!ctc) return 0;
  const now = tableTime(t);
  setNow(now);
  store<u32>(ctc, now, CTC_NOW);
  return reapAll();
}

/** After a whole load: conntrack entries' timeout policies follow their objects (the first `n` bytes of the image buffer: new index + 1 per old index, 0 = gone). */
export function ctRemapPolicies(n: u32): void {
  if (ctc && <usize>n <= imageCap) remapPolicies(image, n);
}

// In-place commits (commit.ts): begin, changes into the next generation, then commit or abort.
export { txBegin, txAddRule, txAddSets, txDelSet, txReplaceSet, txTableDormant, setFree, txAddChain, txAddBaseChain, txDelChain, chainFree, txAddObject, txDelObject, objectFree, txAddTable, txDelTable, tableFree, txDelRule, txFlushChain, txPolicy, txAddElements, txDelElements, txFlushSet, txCommit, txFinish, txAbort } from './commit';
