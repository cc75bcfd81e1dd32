// objref (kernel: net/netfilter/nft_objref.c): runs a named stateful object
// (its counter, quota or limit record in the code copy; a ct timeout policy or
// ct helper for the packet's new entry), or the object an object map gives
// for a key. `[ objref type 1 name cnt ]`, `[ objref sreg 1 set m ]`.

import { CTE_USED_POLICY_MAX, LoadError, ObjectType, OBJREF_MAP_SET, OBJREF_MAP_SREG, OBJREF_OBJ, OBJREF_TYPE, Op } from '../abi';
import { EntryFlags, OB_SIZE, OB_STATE, OB_TABLE, OB_TYPE, SD_CATCHALL, SD_COUNT, SD_EFLAGS_AT, SD_ENTRIES, SD_ESTRIDE, SD_OBJ_TYPE } from '../layout';
import { loadFail, regs, rtObjects, rtSets, setBreak } from '../mem';
import { evalCtHelperObj } from '../ct/helper-ftp';
import { checkPolicyIndex, evalCtTimeoutObj } from '../ct/timeout-policy';
import { pCt } from '../ct/track';
import { pTprot, pTstamp } from '../packet';
import { entryData, setAddr, setLookup } from '../set/set';
import { checkSetRef, vNobjects, vObjects, vSets, vTable } from '../verify';
import { evalCounter } from './counter';
import { evalLimit } from './limit';
import { evalQuota } from './quota';

/** Load-time checks: an object of this table and type that the VM runs. */
export function checkObjref(insn: usize): i32 {
  const k = load<u32>(insn, OBJREF_OBJ);
  if (k >= vNobjects) return loadFail(LoadError.BadObject, k);
  const o = vObjects + <usize>k * OB_SIZE;
  if (load<u32>(o, OB_TABLE) != vTable) return loadFail(LoadError.OtherTable, k, 3);
  const type = <i32>load<u8>(insn, OBJREF_TYPE);
  if (type != load<u8>(o, OB_TYPE)) return loadFail(LoadError.BadOperand, Op.Objref, OBJREF_TYPE, type);
  if (type != ObjectType.Counter && type != ObjectType.Quota && type != ObjectType.Limit && type != ObjectType.CtTimeout && type != ObjectType.CtHelper) {
    return loadFail(LoadError.UnsupportedKey, Op.Objref, type);
  }
  if (!load<u32>(o, OB_STATE)) return loadFail(LoadError.BadObject, k);
  return type == ObjectType.CtTimeout ? checkPolicyIndex(k) : 0;
}

/** An object map element's object: of the set's table and type (the verifier's), with a state the VM runs (a ct timeout's index fits CTE_USED). */
export function objOk(k: u32, type: u32): bool {
  if (k >= vNobjects) return false;
  const o = vObjects + <usize>k * OB_SIZE;
  if (type == ObjectType.CtTimeout && k + 1 > <u32>CTE_USED_POLICY_MAX) return false;
  return load<u32>(o, OB_TABLE) == vTable && <u32>load<u8>(o, OB_TYPE) == type && load<u32>(o, OB_STATE) != 0;
}

/** Load-time checks (nft_objref_map_init): an object map of this table whose elements name counters, quotas, limits, ct timeouts or ct helpers. */
export function checkObjrefMap(insn: usize): i32 {
  const k = load<u32>(insn, OBJREF_MAP_SET);
  const err = checkSetRef(k);
  if (err) return err;
  const sd = setAddr(vSets, k);
  const type = <u32>load<u8>(sd, SD_OBJ_TYPE);
  if (!type) return loadFail(LoadError.BadOperand, Op.ObjrefMap, OBJREF_MAP_SET, k);
  if (type != ObjectType.Counter && type != ObjectType.Quota && type != ObjectType.Limit && type != ObjectType.CtTimeout && type != ObjectType.CtHelper) {
    return loadFail(LoadError.UnsupportedKey, Op.ObjrefMap, type);
  }
  const entries = <usize>load<u32>(sd, SD_ENTRIES);
  const stride = <usize>load<u16>(sd, SD_ESTRIDE);
  const n = load<u32>(sd, SD_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries + <usize>i * stride;
    if (!(load<u32>(e + load<u16>(sd, SD_EFLAGS_AT)) & EntryFlags.Live) || load<u32>(e + load<u16>(sd, SD_EFLAGS_AT)) & EntryFlags.IntervalEnd) continue;
    if (!objOk(load<u32>(entryData(sd, e)), type)) return loadFail(LoadError.BadObject, load<u32>(entryData(sd, e)));
  }
  const c = <usize>load<u32>(sd, SD_CATCHALL);
  if (c && !objOk(load<u32>(entryData(sd, c)), type)) return loadFail(LoadError.BadObject, load<u32>(entryData(sd, c)));
  return 0;
}

// Mirrors nft_objref_map_eval: the key's element (or the catch-all) names the object, else BREAK.
export function evalObjrefMap(insn: usize): void {
  const sd = setAddr(rtSets, load<u32>(insn, OBJREF_MAP_SET));
  let e = setLookup(sd, regs + (<usize>load<u8>(insn, OBJREF_MAP_SREG) << 2), pTstamp);
  if (!e) e = <usize>load<u32>(sd, SD_CATCHALL);
  if (!e) {
    setBreak();
    return;
  }
  runObject(load<u32>(entryData(sd, e)));
}

/** obj->ops->eval on object `k`'s state. */
function runObject(k: u32): void {
  const o = rtObjects + <usize>k * OB_SIZE;
  const state = <usize>load<u32>(o, OB_STATE);
  const type = <i32>load<u8>(o, OB_TYPE);
  if (type == ObjectType.Counter) evalCounter(state);
  else if (type == ObjectType.Quota) evalQuota(state);
  else if (type == ObjectType.Limit) evalLimit(state);
  else if (type == ObjectType.CtTimeout) evalCtTimeoutObj(pCt, k, state, <u32>pTprot);
  else evalCtHelperObj(pCt, state);
}

// Mirrors nft_objref_eval: obj->ops->eval on the object's state.
export function evalObjref(insn: usize): void {
  runObject(load<u32>(insn, OBJREF_OBJ));
}
