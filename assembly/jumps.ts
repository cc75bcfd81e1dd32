// The jump graph of a ruleset (kernel: nft_chain_validate, nf_tables_check_loops):
// a whole load walks it from every base chain — no cycle, no path of 16
// jumps or more (EMLINK) — and leaves in each chain's CH_LEVEL the longest
// path from a base chain to it. An in-place commit of a rule that jumps
// (commit.ts) then walks only what its targets reach: the target's height
// plus the chain's level must stay under the limit, and the chain must not
// be reachable from a target. Levels only grow between whole loads (a
// deleted jump leaves them high), so an in-place check may refuse what the
// whole load, which computes them again, accepts — never the reverse.
// `jump tcp_in` in `input` (level 0) to a chain 3 jumps deep: 0 + 1 + 3 < 16.

import { FastOp, IMMEDIATE_DREG, IMMEDIATE_VERDICT_CHAIN, IMMEDIATE_VERDICT_CODE, LOOKUP_DREG, LOOKUP_SET, NFT_JUMP_STACK_SIZE, Op, Verdict } from './abi';
import { CH_COUNT, CH_FIRST, CH_LEVEL, CH_SIZE, CH_WORK, EntryFlags, RU_CODE, RU_END, RU_FFLAGS, RU_SIZE, SD_CATCHALL, SD_COUNT, SD_DATA_AT, SD_EFLAGS_AT, SD_ENTRIES, SD_ESTRIDE, SD_LEVEL } from './layout';
import { setAddr } from './set/set';

let gChains: usize = 0;
let gRules: usize = 0;
let gSets: usize = 0;
/** RU_FFLAGS bits of rules the walk skips (0 at a load; the next generation's "not in" bit in a commit). */
let gSkip: u8 = 0;
/** Entry flag bit of elements the walk skips, with the same meaning; 0: every entry counts. */
let gSkipEntry: u32 = 0;
/** The walk raises levels (raise) instead of measuring heights (height). */
let gRaising = false;
/** A set whose lookup the walk must not reach (elementJumpOk: a loop back through it), and whether it did. */
let gWatch: usize = 0;
let gWatchHit = false;

/** Starts a walk of the ruleset whose chain, rule and set arrays are given: every chain unvisited. */
export function jumpWalkBegin(chains: usize, nchains: u32, rules: usize, sets: usize, skip: u8, skipEntry: u32): void {
  gChains = chains;
  gRules = rules;
  gSets = sets;
  gSkip = skip;
  gSkipEntry = skipEntry;
  for (let c: u32 = 0; c < nchains; c++) store<u32>(chains + <usize>c * CH_SIZE, 0, CH_WORK);
}

/** One edge to chain `c`, `depth` jumps below a base chain: its height, or (raising) 0 once its level is raised; -1 stops. */
@inline function step(c: u32, depth: u32): i32 {
  return gRaising ? raise(c, depth) : height(c, depth);
}

/** The edges of a set's entries that jump or goto (a verdict map): the highest step + 1; -1 stops. */
function setBelow(sd: usize, depth: u32): i32 {
  if (sd == gWatch) gWatchHit = true;
  // The deepest lookup of the set: where an element added later jumps from.
  if (gRaising && <u32>load<u8>(sd, SD_LEVEL) < depth + 1) store<u8>(sd, <u8>(depth + 1), SD_LEVEL);
  let h: i32 = 0;
  const n = load<u32>(sd, SD_COUNT);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const dataAt = <usize>load<u16>(sd, SD_DATA_AT);
  const flagsAt = <usize>load<u16>(sd, SD_EFLAGS_AT);
  for (let j: u32 = 0; j <= n; j++) {
    const e = j == n ? <usize>load<u32>(sd, SD_CATCHALL) : entries + <usize>j * stride;
    if (!e) continue;
    // In a commit, deleted and retired entries lead nowhere.
    if (gSkipEntry && (load<u32>(e + flagsAt) & (EntryFlags.Live | gSkipEntry)) != EntryFlags.Live) continue;
    const code = load<i32>(e + dataAt);
    if (code != Verdict.Jump && code != Verdict.Goto) continue;
    const x = step(load<u32>(e + dataAt, 4), depth + 1);
    if (x < 0) return -1;
    if (x + 1 > h) h = x + 1;
  }
  return h;
}

/** The edges of the instructions from `p` to `end` (jump/goto immediates and verdict-map lookups): the highest step + 1; -1 stops. */
export function codeBelow(p: usize, end: usize, depth: u32): i32 {
  let h: i32 = 0;
  while (p < end) {
    const op = <i32>load<u8>(p);
    // A loaded rule's verdict immediates are specialized (specialize.ts); a new rule's are not yet.
    if (op == FastOp.ImmVerdict || (op == Op.Immediate && load<u8>(p, IMMEDIATE_DREG) == 0)) {
      const code = load<i32>(p, IMMEDIATE_VERDICT_CODE);
      if (code == Verdict.Jump || code == Verdict.Goto) {
        const x = step(load<u32>(p, IMMEDIATE_VERDICT_CHAIN), depth + 1);
        if (x < 0) return -1;
        if (x + 1 > h) h = x + 1;
      }
    } else if (op == Op.Lookup && load<u8>(p, LOOKUP_DREG) == 0) {
      const x = setBelow(setAddr(gSets, load<u32>(p, LOOKUP_SET)), depth);
      if (x < 0) return -1;
      if (x > h) h = x;
    }
    p += load<u16>(p, 2);
  }
  return h;
}

/** The edges of chain `c`'s rules the walk sees. */
function chainBelow(c: u32, depth: u32): i32 {
  const ch = gChains + <usize>c * CH_SIZE;
  let h: i32 = 0;
  const first = load<u32>(ch, CH_FIRST);
  const count = load<u32>(ch, CH_COUNT);
  for (let r = first; r < first + count; r++) {
    const rule = gRules + <usize>r * RU_SIZE;
    if (load<u8>(rule, RU_FFLAGS) & gSkip) continue;
    const x = codeBelow(<usize>load<u32>(rule, RU_CODE), <usize>load<u32>(rule, RU_END), depth);
    if (x < 0) return -1;
    if (x > h) h = x;
  }
  return h;
}

/** Longest chain of jumps/gotos below chain `c`, `depth` jumps below a base chain (nft_chain_validate's walk); -1 on a cycle or past the stack. */
export function height(c: u32, depth: u32): i32 {
  if (depth > <u32>NFT_JUMP_STACK_SIZE) return -1;
  const ch = gChains + <usize>c * CH_SIZE;
  const w = load<u32>(ch, CH_WORK);
  if (w == 1) return -1;
  if (w >= 2) return <i32>w - 2;
  store<u32>(ch, 1, CH_WORK);
  const h = chainBelow(c, depth);
  if (h < 0) return -1;
  store<u32>(ch, <u32>h + 2, CH_WORK);
  return h;
}

/** The walk reached chain `c` (height ran on it since jumpWalkBegin). */
export function visited(c: u32): bool {
  return load<u32>(gChains + <usize>c * CH_SIZE, CH_WORK) != 0;
}

/** Chain `c`'s level: the longest path from a base chain to it (0 when none leads there). */
export function level(c: u32): u32 {
  const l = <u32>load<u8>(gChains + <usize>c * CH_SIZE, CH_LEVEL);
  return l ? l - 1 : 0;
}

/** Raises chain `c`'s level to at least `depth`, and its descendants' with it; -1 past the stack (a cycle). */
function raise(c: u32, depth: u32): i32 {
  if (depth > <u32>NFT_JUMP_STACK_SIZE) return -1;
  const ch = gChains + <usize>c * CH_SIZE;
  // Stored + 1: 0 is "not reached", so a base chain at level 0 is walked once.
  if (<u32>load<u8>(ch, CH_LEVEL) >= depth + 1) return 0;
  store<u8>(ch, <u8>(depth + 1), CH_LEVEL);
  return chainBelow(c, depth) < 0 ? -1 : 0;
}

/** Raises the levels below instructions `p`..`end` of a rule in a chain at level `depth` (after its checks passed). */
export function raiseBelow(p: usize, end: usize, depth: u32): void {
  gRaising = true;
  codeBelow(p, end, depth);
  gRaising = false;
}

/** Sets the levels of a freshly loaded, validated ruleset (every chain at 0 first). */
export function raiseFromBase(c: u32): void {
  gRaising = true;
  raise(c, 0);
  gRaising = false;
}

/**
 * Whether an element of verdict map `sd` may jump to chain `c` (an in-place
 * commit, after jumpWalkBegin): from the deepest chain that looks the map
 * up, `c` and what it reaches stay under the limit, and nothing it reaches
 * looks the map up again (a loop). Raises `c`'s level then.
 */
export function elementJumpOk(sd: usize, c: u32): bool {
  const l = <u32>load<u8>(sd, SD_LEVEL);
  const depth = l ? l - 1 : 0;
  gWatch = sd;
  gWatchHit = false;
  const h = height(c, depth + 1);
  gWatch = 0;
  if (h < 0 || gWatchHit || depth + <u32>h + 1 >= <u32>NFT_JUMP_STACK_SIZE) return false;
  gRaising = true;
  raise(c, depth + 1);
  gRaising = false;
  return true;
}
