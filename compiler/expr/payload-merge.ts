// Merging of adjacent payload matches (nftables: rule_postprocess, observed
// behaviour): `tcp sport 1 tcp dport 2` loads 4 bytes once and compares
// them with 0x02000100 instead of two 2-byte load+cmp pairs.

import type { Insn } from '../insn.js';

/** A `payload load; cmp eq|neq` of whole bytes against a constant. */
export interface PayloadMatch {
  base: number;
  offset: number; // bytes
  len: number; // bytes
  neq: boolean;
  data: Uint8Array;
  /** The field selects the next header (ether type, ip protocol ...). */
  protocol: boolean;
}

/** The instructions of one statement of a rule, as nft sees statements. */
export interface Segment {
  insns: Insn[];
  /** Not a relational statement (counter, verdict, set ...): ends a merge run. */
  barrier: boolean;
  pm?: PayloadMatch;
  dropped?: boolean;
}

/**
 * Whether `b` may be appended to `a`: adjacent in the same header, at most
 * one 16-byte register, and not splitting what the kernel's fast path (loads
 * of up to 4 bytes above the link layer) would handle better separately.
 */
function canMerge(a: PayloadMatch, b: PayloadMatch): boolean {
  if (a.base !== b.base || a.offset + a.len !== b.offset || a.neq !== b.neq) return false;
  const total = a.len + b.len;
  if (total > 16) return false;
  return total <= 4 || a.base === 0 || a.len > 4 || b.len > 4;
}

function render(pm: PayloadMatch): Insn[] {
  return [
    { op: 'payload', dreg: 1, base: pm.base, offset: pm.offset, len: pm.len },
    { op: 'cmp', cmp: pm.neq ? 1 : 0, sreg: 1, data: pm.data },
  ];
}

/** Whether `a` sorts strictly before `b` by header position. */
function before(a: PayloadMatch, b: PayloadMatch): boolean {
  return a.base < b.base || (a.base === b.base && a.offset < b.offset);
}

/** Merges one run of payload matches, ordered by header position. */
function mergeRun(run: Segment[]): void {
  // A stable insertion sort: runs are a few matches long, and Array.prototype.sort's
  // work arrays were a tenth of all allocation when compiling 100,000 rules.
  const sorted = run.slice();
  for (let i = 1; i < sorted.length; i++) {
    const x = sorted[i]!;
    let j = i;
    for (; j > 0 && before(x.pm!, sorted[j - 1]!.pm!); j--) sorted[j] = sorted[j - 1]!;
    sorted[j] = x;
  }
  let last = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) {
    const cur = sorted[i]!;
    const a = last.pm!;
    const b = cur.pm!;
    if (!canMerge(a, b)) {
      last = cur;
      continue;
    }
    const data = new Uint8Array(a.len + b.len);
    data.set(a.data.subarray(0, a.len));
    data.set(b.data.subarray(0, b.len), a.len);
    const joined: PayloadMatch = { base: a.base, offset: a.offset, len: a.len + b.len, neq: a.neq, data, protocol: false };
    // The merged match takes the place of a protocol field's statement, so
    // it still precedes the matches that depend on that protocol.
    let keep = last;
    let drop = cur;
    if (b.protocol) {
      keep = cur;
      drop = last;
      joined.protocol = true;
    }
    keep.pm = joined;
    keep.insns = render(joined);
    drop.dropped = true;
    last = keep;
  }
}

/** The rule's instructions after merging runs of adjacent payload matches. */
export function mergePayloadMatches(segs: Segment[]): Insn[] {
  let run: Segment[] = [];
  for (const s of segs) {
    if (s.barrier) {
      // nft keeps a lone candidate across the barrier; it may still merge later.
      if (run.length > 1) {
        mergeRun(run);
        run = [];
      }
      continue;
    }
    if (s.pm) run.push(s);
  }
  if (run.length > 1) mergeRun(run);
  // A plain loop: filter+flatMap is several times slower and this runs for every rule.
  // The array is made at its final size: the rule keeps it, and push's growth leaves spare slots.
  let n = 0;
  for (const s of segs) if (!s.dropped) n += s.insns.length;
  const out = new Array<Insn>(n);
  n = 0;
  for (const s of segs) if (!s.dropped) for (const i of s.insns) out[n++] = i;
  return out;
}
