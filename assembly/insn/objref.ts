// objref (kernel: net/netfilter/nft_objref.c): runs a named stateful object
// (its counter, quota or limit record in the code copy).
// `[ objref type 1 name cnt ]`.

import { LoadError, ObjectType, OBJREF_OBJ, OBJREF_TYPE, Op } from '../abi';
import { OB_SIZE, OB_STATE, OB_TABLE, OB_TYPE } from '../layout';
import { loadFail, rtObjects } from '../mem';
import { vNobjects, vObjects, vTable } from '../verify';
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
  if (type != ObjectType.Counter && type != ObjectType.Quota && type != ObjectType.Limit) return loadFail(LoadError.UnsupportedKey, Op.Objref, type);
  if (!load<u32>(o, OB_STATE)) return loadFail(LoadError.BadObject, k);
  return 0;
}

// Mirrors nft_objref_eval: obj->ops->eval on the object's state.
export function evalObjref(insn: usize): void {
  const o = rtObjects + <usize>load<u32>(insn, OBJREF_OBJ) * OB_SIZE;
  const state = <usize>load<u32>(o, OB_STATE);
  const type = <i32>load<u8>(o, OB_TYPE);
  if (type == ObjectType.Counter) evalCounter(state);
  else if (type == ObjectType.Quota) evalQuota(state);
  else evalLimit(state);
}
