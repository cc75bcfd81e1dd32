// Linear-memory regions of one VM instance (docs/vm.md §1), fixed at init():
// control block, register file, jump stack, host model, two ruleset slots
// (active and next: a commit flips between them), the image buffer, the
// batch area and the record area. Nothing here allocates after init().
// Evaluators on other threads that share the memory (docs/transactions.md,
// "Evaluator threads") get their own registers, jump stack, batch and
// record areas and scratch (workerBlock, workerAttach) and share the rest.

import {
  HOST_SIZE, NFT_JUMP_STACK_SIZE, NFT_REG32_NUM, RECORDS_CAPACITY, RECORDS_HEADER_SIZE, RECORD_SIZE, VM_CTL_SIZE,
  PKT_HOOK_MAX, VM_ACTIVE, VM_ERR_ARG1, VM_ERR_ARG2, VM_ERR_ARG3, VM_ERR_ELEM, VM_ERR_INDEX, VM_ERR_INSN, VM_ERR_KIND, VM_ERR_RULE, VM_ERR_WHERE, VM_GENERATION, VM_GEN_CURSOR,
  VM_HOST, VM_PRNG, VM_SHARED, VM_WORKER_EPOCHS, WORKERS_MAX,
} from './abi';
import { EntryFlags, RS_CHAINS, RS_OBJECTS, RS_RULES, RS_SETS, RS_STATE, RuleGen } from './layout';

/** Control block (VM_* offsets). */
export let ctl: usize = 0;
/** The register file: NFT_REG32_NUM words; the verdict code is word 0, its chain word 1. */
export let regs: usize = 0;
/** Jump stack: u32 chain index and u32 rule index per level. */
export let jstack: usize = 0;
/** Host model (IFACE_*, ADDR_*, ROUTE_*). */
export let host: usize = 0;
/** The two ruleset slots. */
export let slot0: usize = 0;
/** Second ruleset slot. */
export let slot1: usize = 0;
/** Bytes per ruleset slot. */
export let slotCap: usize = 0;
/** Image buffer the host writes an image into. */
export let image: usize = 0;
/** Bytes of the image buffer. */
export let imageCap: usize = 0;
/** Batch area. */
export let batch: usize = 0;
/** Bytes of the batch area. */
export let batchCap: usize = 0;
/** Record area. */
export let records: usize = 0;
/** Bytes of the record area. */
export let recordsCap: usize = 0;
/** This instance's scratch: the packet's rewritten hook list (PKT_HOOK_MAX bytes), then 16 bytes for reject-build.ts. */
export let hookCopy: usize = 0;
/** 16 bytes of scratch (reject-build.ts). */
export let scratch16: usize = 0;
/** This evaluator's slot in VM_WORKER_EPOCHS (0: the instance that init() laid the memory out for). */
let workerSlot: usize = 0;

function take(n: usize): usize {
  const p = heap.alloc((n + 15) & ~15);
  memory.fill(p, 0, n);
  return p;
}

/** Lays the regions out once; sizes in bytes. The instance's own evaluator regions are a block like a worker's. */
export function initRegions(rulesetBytes: usize, imageBytes: usize, batchBytes: usize, recordBytes: usize): void {
  ctl = take(VM_CTL_SIZE);
  host = take(HOST_SIZE);
  slotCap = (rulesetBytes + 15) & ~15;
  slot0 = take(slotCap);
  slot1 = take(slotCap);
  imageCap = imageBytes;
  image = take(imageBytes);
  useBlock(evaluatorBlock(batchBytes, recordBytes, NO_SLOT));
  store<u64>(ctl, 0x9e3779b97f4a7c15, VM_PRNG);
  store<u32>(ctl, <u32>host, VM_HOST);
}

const SCRATCH_SIZE: usize = (PKT_HOOK_MAX + 16 + 15) & ~15;

// An evaluator block: the regions one evaluator owns (evaluatorBlock).
const WB_REGS = 0;
const WB_JSTACK = 4;
const WB_BATCH = 8;
const WB_BATCH_CAP = 12;
const WB_RECORDS = 16;
const WB_RECORDS_CAP = 20;
const WB_SCRATCH = 24;
/** u32 index of its word in VM_WORKER_EPOCHS (NO_SLOT: the instance init() laid the memory out for). */
const WB_SLOT = 28;
const WB_SIZE: usize = 32;
const NO_SLOT: u32 = 0xffffffff;
let workersMade: u32 = 0;

/** Takes the regions of one evaluator (registers, jump stack, batch and record areas, scratch) and returns the block that describes them. */
function evaluatorBlock(batchBytes: usize, recordBytes: usize, slot: u32): usize {
  const rcap = recordBytes < <usize>RECORDS_HEADER_SIZE ? <usize>RECORDS_HEADER_SIZE : recordBytes;
  const b = take(WB_SIZE);
  store<u32>(b, <u32>take(NFT_REG32_NUM * 4), WB_REGS);
  store<u32>(b, <u32>take(NFT_JUMP_STACK_SIZE * 8), WB_JSTACK);
  store<u32>(b, <u32>take(batchBytes), WB_BATCH);
  store<u32>(b, <u32>batchBytes, WB_BATCH_CAP);
  const r = take(rcap);
  store<u32>(r, <u32>((rcap - RECORDS_HEADER_SIZE) / RECORD_SIZE), RECORDS_CAPACITY);
  store<u32>(b, <u32>r, WB_RECORDS);
  store<u32>(b, <u32>rcap, WB_RECORDS_CAP);
  store<u32>(b, <u32>take(SCRATCH_SIZE), WB_SCRATCH);
  store<u32>(b, slot, WB_SLOT);
  return b;
}

/** This instance evaluates in the regions of block `b`. */
function useBlock(b: usize): void {
  regs = <usize>load<u32>(b, WB_REGS);
  jstack = <usize>load<u32>(b, WB_JSTACK);
  batch = <usize>load<u32>(b, WB_BATCH);
  batchCap = <usize>load<u32>(b, WB_BATCH_CAP);
  records = <usize>load<u32>(b, WB_RECORDS);
  recordsCap = <usize>load<u32>(b, WB_RECORDS_CAP);
  hookCopy = <usize>load<u32>(b, WB_SCRATCH);
  scratch16 = hookCopy + PKT_HOOK_MAX;
  const slot = load<u32>(b, WB_SLOT);
  workerSlot = slot == NO_SLOT ? 0 : workerEpoch(b);
}

/**
 * Lays out the regions of one more evaluator sharing this memory and
 * returns its block, for workerAttach in its instance; 0 when WORKERS_MAX
 * are made or the memory is full.
 */
export function workerBlock(batchBytes: usize, recordBytes: usize): usize {
  if (workersMade >= <u32>WORKERS_MAX || !ctl) return 0;
  if (!growFor(<u64>WB_SIZE + NFT_REG32_NUM * 4 + NFT_JUMP_STACK_SIZE * 8 + batchBytes + recordBytes + RECORDS_HEADER_SIZE + SCRATCH_SIZE + 256)) return 0;
  return evaluatorBlock(batchBytes, recordBytes, workersMade++);
}

/** Address of the epoch word (in VM_WORKER_EPOCHS) of worker block `b`. */
export function workerEpoch(b: usize): usize {
  return ctl + VM_WORKER_EPOCHS + (<usize>load<u32>(b, WB_SLOT) << 2);
}

/** Makes this instance the evaluator of worker block `b` over the memory whose control block is at `control`; false if `b` is no worker block. */
export function workerAttach(control: usize, b: usize): bool {
  if (ctl || !control || !b || load<u32>(b, WB_SLOT) >= <u32>WORKERS_MAX) return false;
  ctl = control;
  host = <usize>load<u32>(ctl, VM_HOST);
  useBlock(b);
  return true;
}

/** Loads a word other threads write (atomic in the shared build: never merged with an earlier load). */
@inline export function loadShared(p: usize): u32 {
  if (ASC_FEATURE_THREADS) return atomic.load<u32>(p);
  return load<u32>(p);
}

/** Stores a word other threads read (atomic in the shared build: ordered after every earlier store). */
@inline export function storeShared(p: usize, v: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(p, v);
  else store<u32>(p, v);
}

/** True when evaluators on other threads share this memory (VM_SHARED). */
@inline export function sharedMemory(): bool {
  return load<u32>(ctl, VM_SHARED) != 0;
}

/** A batch begins on this evaluator: its epoch says which generation it may still read until batchEnd. */
export function batchBegin(): void {
  if (workerSlot) storeShared(workerSlot, loadShared(ctl + VM_GENERATION) + 1);
}

/** The batch is done: nothing of any generation is in use by this evaluator any more. */
export function batchEnd(): void {
  if (!workerSlot) return;
  storeShared(workerSlot, 0);
  // Wakes a committer waiting for the grace period (Engine.quiesce).
  if (ASC_FEATURE_THREADS) atomic.notify(workerSlot, 1);
}

/** A commit's switch of the active ruleset or the cursor: before it the generation counter goes odd, after it even again. */
export function generationStep(): void {
  storeShared(ctl + VM_GENERATION, load<u32>(ctl, VM_GENERATION) + 1);
}

/**
 * Grows memory once so that the next `bytes` of allocations fit: the stub
 * allocator grows by at least the memory's current size at each step it
 * needs, which would double a large table's footprint. False when it cannot.
 */
export function growFor(bytes: u64): bool {
  const top = <u64>heap.alloc(16) + 16;
  const need = top + bytes;
  const have = <u64>memory.size() << 16;
  if (need <= have) return true;
  if (need > 0xffff0000) return false;
  return memory.grow(<i32>((need - have + 0xffff) >> 16)) >= 0;
}

/** Active ruleset: its set descriptors (layout.ts SD_*). */
export let rtSets: usize = 0;
/** Active ruleset: its chain records. */
export let rtChains: usize = 0;
/** Active ruleset: its rule records. */
export let rtRules: usize = 0;
/** Active ruleset: its object records. */
export let rtObjects: usize = 0;
/** Active ruleset: its state slots. */
export let rtState: usize = 0;
/** Active ruleset header, 0 = none. */
export let rtRuleset: usize = 0;

/** RU_FFLAGS bit of rules this packet must not see (RuleGen, by the generation cursor). */
export let genSkip: u32 = RuleGen.Gen0Inactive;
/** Bits of a base chain's CH_GEN and CH_HOOK_OFF (read as one u16) that keep this packet off it. */
export let hookSkip: u32 = RuleGen.Gen0Inactive | (RuleGen.Gen0Inactive << 8);
/** Entry flag bit of set elements this packet must not see (EntryFlags). */
export let genSkipEntry: u32 = EntryFlags.Gen0Inactive;
/** The generation cursor (0 or 1) this packet sees: which of a chain's CH_POLICY bytes counts. */
export let genCursor: u32 = 0;
/** The VM_GENERATION whose active ruleset and cursor this instance holds. */
export let seenGeneration: u32 = 0xffffffff;

/** Takes the generation: once per packet, so a packet sees one generation from its first rule to its last. */
@inline export function readGeneration(): void {
  const g = loadShared(ctl + VM_GENERATION);
  if (g != seenGeneration) takeGeneration(g);
}

/** Reads the active ruleset and the cursor of one generation (a sequence lock against a commit on another thread). */
function takeGeneration(g: u32): void {
  while (true) {
    if (g & 1) {
      g = loadShared(ctl + VM_GENERATION);
      continue;
    }
    const rs = <usize>loadShared(ctl + VM_ACTIVE);
    const cur = loadShared(ctl + VM_GEN_CURSOR) & 1;
    const again = loadShared(ctl + VM_GENERATION);
    if (again != g) {
      g = again;
      continue;
    }
    // Always from the header: a later load into the same slot lays it out anew.
    if (rs) activate(rs, <usize>load<u32>(rs, RS_SETS), <usize>load<u32>(rs, RS_CHAINS), <usize>load<u32>(rs, RS_RULES), <usize>load<u32>(rs, RS_OBJECTS), <usize>load<u32>(rs, RS_STATE));
    else activate(0, 0, 0, 0, 0, 0);
    genCursor = cur;
    genSkip = <u32>RuleGen.Gen0Inactive << cur;
    hookSkip = genSkip | (genSkip << 8);
    genSkipEntry = <u32>EntryFlags.Gen0Inactive << cur;
    seenGeneration = g;
    return;
  }
}

/** Makes the ruleset at `rs` the active one (the commit's single switch). */
export function activate(rs: usize, sets: usize, chains: usize, rules: usize, objects: usize, state: usize): void {
  rtRuleset = rs;
  rtSets = sets;
  rtChains = chains;
  rtRules = rules;
  rtObjects = objects;
  rtState = state;
}

/** Records a load error (what and where) in the control block; returns `kind`. */
export function loadFail(kind: i32, a1: u32 = 0, a2: u32 = 0, a3: u32 = 0): i32 {
  store<u32>(ctl, kind, VM_ERR_KIND);
  store<u32>(ctl, a1, VM_ERR_ARG1);
  store<u32>(ctl, a2, VM_ERR_ARG2);
  store<u32>(ctl, a3, VM_ERR_ARG3);
  return kind;
}

/** Says where the next load error is: a LoadWhere, rule handle, insn, index, element. */
export function loadWhere(where: i32, rule: u32, insn: u32, index: u32, elem: u32): void {
  store<u32>(ctl, where, VM_ERR_WHERE);
  store<u32>(ctl, rule, VM_ERR_RULE);
  store<u32>(ctl, insn, VM_ERR_INSN);
  store<u32>(ctl, index, VM_ERR_INDEX);
  store<u32>(ctl, elem, VM_ERR_ELEM);
}

/** Next pseudo-random u32 (xorshift64*, seeded through VM_PRNG). */
@inline export function prandom(): u32 {
  let x = load<u64>(ctl, VM_PRNG);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  store<u64>(ctl, x, VM_PRNG);
  return <u32>((x * 0x2545f4914f6cdd1d) >> 32);
}

/** Stores `len` bytes from `src` into the register at word `w`, zeroing the tail of its last word (nft_data_copy). */
@inline export function regStore(w: usize, src: usize, len: usize): void {
  const dst = regs + (w << 2);
  if (len & 3) store<u32>(dst + (len & ~3), 0);
  memory.copy(dst, src, len);
}

/** Sets the verdict to NFT_BREAK. */
@inline export function setBreak(): void {
  store<i32>(regs, -2);
}
