// lookup (kernel: net/netfilter/nft_lookup.c): key from a register looked up
// in a set; maps copy the element's data (a verdict map into the verdict).
// `[ lookup reg 1 set __set%d ]`, `[ lookup reg 1 set __map%d dreg 0 ]`.

import { LoadError, LookupFlags, LOOKUP_DREG, LOOKUP_FLAGS, LOOKUP_SET, LOOKUP_SREG, NONE8, Op, SetData, SetFlags } from '../abi';
import { SD_CATCHALL, SD_DATA_KIND, SD_DLEN, SD_EXPRS, SD_FLAGS, SD_KIND, SD_KLEN, SD_XSTRIDE, SetKind } from '../layout';
import { loadFail, regs, regStore, rtSets, setBreak } from '../mem';
import { pTstamp } from '../packet';
import { entryData, hashLookup, setAddr, setLookup } from '../set/set';
import { checkSetRef, vSets } from '../verify';
import { elemExprsAt, elemExprsRun } from './dynset';

/** Load-time checks (nft_lookup_init): the set, the flags, map data only from maps. */
export function checkLookup(insn: usize): i32 {
  const k = load<u32>(insn, LOOKUP_SET);
  const err = checkSetRef(k);
  if (err) return err;
  const sd = setAddr(vSets, k);
  const flags = <i32>load<u8>(insn, LOOKUP_FLAGS);
  const dreg = <i32>load<u8>(insn, LOOKUP_DREG);
  if (flags > LookupFlags.Inv) return loadFail(LoadError.BadOperand, Op.Lookup, LOOKUP_FLAGS, flags);
  if (dreg != NONE8) {
    if (load<u8>(sd, SD_DATA_KIND) == SetData.None || flags & LookupFlags.Inv) return loadFail(LoadError.BadOperand, Op.Lookup, LOOKUP_DREG, dreg);
  } else if (load<u32>(sd, SD_FLAGS) & SetFlags.Anonymous && load<u8>(sd, SD_DATA_KIND) != SetData.None) {
    return loadFail(LoadError.BadOperand, Op.Lookup, LOOKUP_DREG, dreg);
  }
  return 0;
}

// Mirrors nft_lookup_eval: found XOR inv, else the catch-all, else BREAK; maps copy the data.
export function evalLookup(insn: usize): void {
  const sd = setAddr(rtSets, load<u32>(insn, LOOKUP_SET));
  let e = setLookup(sd, regs + (<usize>load<u8>(insn, LOOKUP_SREG) << 2), pTstamp);
  const inv = (load<u8>(insn, LOOKUP_FLAGS) & LookupFlags.Inv) != 0;
  if ((e != 0) == inv) {
    e = <usize>load<u32>(sd, SD_CATCHALL);
    if (!e) {
      setBreak();
      return;
    }
  } else if (inv) return;
  const dreg = <i32>load<u8>(insn, LOOKUP_DREG);
  if (dreg == 0) store<u64>(regs, load<u64>(entryData(sd, e)));
  else if (dreg != NONE8) regStore(dreg, entryData(sd, e), load<u8>(sd, SD_DLEN));
  // nft_set_elem_update_expr: the element's counters, quotas, limits.
  if (load<u32>(sd, SD_EXPRS)) {
    const x = elemExprsAt(sd, e);
    elemExprsRun(x, x + <usize>load<u32>(sd, SD_XSTRIDE));
  }
}

/** Whether a lookup record can run as LookupHashFast: a plain membership test in a hash set of short keys. */
export function lookupHashFastable(insn: usize, sets: usize): bool {
  const sd = setAddr(sets, load<u32>(insn, LOOKUP_SET));
  return load<u8>(insn, LOOKUP_DREG) == NONE8 && load<u8>(insn, LOOKUP_FLAGS) == 0 && load<u8>(sd, SD_KIND) == SetKind.Hash &&
    load<u8>(sd, SD_KLEN) <= 4 && load<u32>(sd, SD_CATCHALL) == 0 && load<u32>(sd, SD_EXPRS) == 0;
}

// nft_lookup_eval of a LookupHashFast record: found or NFT_BREAK (false).
@inline export function evalLookupHashFast(insn: usize): bool {
  const sd = setAddr(rtSets, load<u32>(insn, LOOKUP_SET));
  return hashLookup(sd, regs + (<usize>load<u8>(insn, LOOKUP_SREG) << 2), pTstamp) != 0;
}
