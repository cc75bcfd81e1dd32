// Linear-memory regions of one VM instance (docs/vm.md §1), fixed at init():
// control block, register file, jump stack, host model, two ruleset slots
// (active and next: a commit flips between them), the image buffer, the
// batch area and the record area. Nothing here allocates after init().

import {
  HOST_SIZE, NFT_JUMP_STACK_SIZE, NFT_REG32_NUM, RECORDS_CAPACITY, RECORDS_HEADER_SIZE, RECORD_SIZE, VM_CTL_SIZE,
  VM_ERR_ARG1, VM_ERR_ARG2, VM_ERR_ARG3, VM_ERR_ELEM, VM_ERR_INDEX, VM_ERR_INSN, VM_ERR_KIND, VM_ERR_RULE, VM_ERR_WHERE, VM_GEN_CURSOR, VM_PRNG,
} from './abi';
import { EntryFlags, RuleGen } from './layout';

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

function take(n: usize): usize {
  const p = heap.alloc((n + 15) & ~15);
  memory.fill(p, 0, n);
  return p;
}

/** Lays the regions out once; sizes in bytes. */
export function initRegions(rulesetBytes: usize, imageBytes: usize, batchBytes: usize, recordBytes: usize): void {
  ctl = take(VM_CTL_SIZE);
  regs = take(NFT_REG32_NUM * 4);
  jstack = take(NFT_JUMP_STACK_SIZE * 8);
  host = take(HOST_SIZE);
  slotCap = (rulesetBytes + 15) & ~15;
  slot0 = take(slotCap);
  slot1 = take(slotCap);
  imageCap = imageBytes;
  image = take(imageBytes);
  batchCap = batchBytes;
  batch = take(batchBytes);
  recordsCap = recordBytes < <usize>RECORDS_HEADER_SIZE ? <usize>RECORDS_HEADER_SIZE : recordBytes;
  records = take(recordsCap);
  store<u32>(records, <u32>((recordsCap - RECORDS_HEADER_SIZE) / RECORD_SIZE), RECORDS_CAPACITY);
  store<u64>(ctl, 0x9e3779b97f4a7c15, VM_PRNG);
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
/** Entry flag bit of set elements this packet must not see (EntryFlags). */
export let genSkipEntry: u32 = EntryFlags.Gen0Inactive;
/** Reads the generation cursor: once per packet, so a packet sees one generation from its first rule to its last. */
@inline export function readGenCursor(): void {
  const cur = load<u32>(ctl, VM_GEN_CURSOR) & 1;
  genSkip = <u32>RuleGen.Gen0Inactive << cur;
  genSkipEntry = <u32>EntryFlags.Gen0Inactive << cur;
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
