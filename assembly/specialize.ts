// Load-time specialisation of verified rules, after the kernel's select_ops
// choices (CmpFast, PayloadFast are picked by the instruction checks): a
// scalar load followed by a CmpFast on its register becomes one fused record,
// and a verdict immediate gets its own opcode. Only the opcode byte and byte 1
// of the VM's code copy change; record sizes stay, so walks by size still work.
// `[ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 0x1600 ]` → PayloadCmpFast.

import { CMP_SREG, FastOp, IMMEDIATE_DREG, MetaKey, META_DREG, META_KEY, Op, PAYLOAD_DREG } from './abi';
import { lookupHashFastable } from './insn/lookup';
import { metaFusable } from './insn/meta';

/** Specialises the records of one verified rule, [p, e), of the ruleset whose set descriptors are at `sets`. Runs after every check that reads opcodes (jump depth). */
export function specializeRule(p: usize, e: usize, sets: usize): void {
  while (p < e) {
    const op = <i32>load<u8>(p);
    const size = <usize>load<u16>(p, 2);
    const q = p + size;
    if (q < e && load<u8>(q) == FastOp.CmpFast) {
      const reg = load<u8>(q, CMP_SREG);
      const total = size + <usize>load<u16>(q, 2);
      let fused = 0;
      if (op == FastOp.PayloadFast && load<u8>(p, PAYLOAD_DREG) == reg) fused = FastOp.PayloadCmpFast;
      else if (op == Op.Meta && load<u8>(p, META_DREG) == reg && metaFusable(load<u8>(p, META_KEY))) {
        fused = load<u8>(p, META_KEY) == MetaKey.L4proto ? FastOp.MetaL4protoCmpFast : FastOp.MetaCmpFast;
      }
      if (fused) {
        store<u8>(p, <u8>total, 1);
        store<u8>(p, <u8>fused);
        p += total;
        continue;
      }
    }
    if (op == Op.Immediate && load<u8>(p, IMMEDIATE_DREG) == 0) store<u8>(p, FastOp.ImmVerdict);
    else if (op == Op.Lookup && lookupHashFastable(p, sets)) store<u8>(p, FastOp.LookupHashFast);
    p = q;
  }
}
