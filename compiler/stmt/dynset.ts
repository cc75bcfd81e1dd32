// Set updates from the packet path (kernel: net/netfilter/nft_dynset.c;
// nftables: src/evaluate.c stmt_evaluate_set, stmt_evaluate_meter): `add`,
// `update`, `delete @set`, and meters (anonymous dynamic sets), with
// per-element statements. `add @s { ip saddr }` → payload load 4b @ network
// + 12 => reg 1; dynset add reg_key 1 set s.

import type { Stmt } from '../ast.js';
import { datatype } from '../datatype.js';
import type { Insn } from '../insn.js';
import { keyUnits, RuleCompiler, type SetDef } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { unknownSetMessage } from '../sets.js';
import { unshifted } from '../expr/payload.js';

/** `add|update|delete @set { key [: data] [stmts] }`. */
export function dynsetStmt(rc: RuleCompiler, s: Stmt & { k: 'dynset' }): void {
  const set = rc.table.sets.get(s.set);
  if (!set) rc.err(s.span, unknownSetMessage(s.set, rc.table));
  // A set that rules update is dynamic (NFT_SET_EVAL).
  set.flags |= 0x20;
  // Set elements are plain values: a sub-byte key is shifted down in its register.
  const key = unshifted(rc, rc.lhs(s.key));
  const units = keyUnits(key);
  const d = rc.regs.get(units);
  key.load(d);
  let dd: number | undefined;
  if (s.data) {
    dd = rc.regs.get();
    const dl = rc.scalar(set.dataType ?? datatype('integer_host'), set.dataBits ?? 32, s.data.span);
    rc.valueInto(dd, dl, s.data);
    rc.regs.release();
  }
  rc.regs.release(units);
  const exprs = elementStmts(rc, s.stmts);
  rc.insns.push({ op: 'dynset', setOp: { add: 0, update: 1, delete: 2 }[s.op], sregKey: netlinkReg(d), sregData: dd !== undefined ? netlinkReg(dd) : undefined, set: s.set, timeout: s.timeout ?? 0, exprs });
}

/** `meter name { key [stmts] }`: an anonymous dynamic set, updated like `add`/`update`. */
export function meterStmt(rc: RuleCompiler, s: Stmt & { k: 'meter' }): void {
  const key = unshifted(rc, rc.lhs(s.key));
  const parts = key.parts ?? [key];
  // A meter is an anonymous dynamic set (timeout 0x10 when its elements expire).
  const def: SetDef = {
    name: s.name, table: rc.table.name, family: rc.family, flags: s.timeout !== undefined ? 0x31 : 0x21, keyType: key.type, keyBits: key.bits,
    keyParts: parts.map((p) => ({ type: p.type, bits: p.bits })), elements: [], anonymous: true, size: s.size,
    emptyBatch: true,
  };
  rc.anonSets.push(def);
  rc.table.sets.set(s.name, def);
  const units = keyUnits(key);
  const d = rc.regs.get(units);
  key.load(d);
  rc.regs.release(units);
  const exprs = elementStmts(rc, s.stmts);
  rc.insns.push({ op: 'dynset', setOp: s.timeout !== undefined ? 1 : 0, sregKey: netlinkReg(d), set: s.name, timeout: s.timeout ?? 0, exprs });
}

/** The statements attached to each element (`counter`, `limit ...`), each compiled on its own. */
export function elementStmts(rc: RuleCompiler, stmts: Stmt[]): Insn[] {
  const exprs: Insn[] = [];
  for (const st of stmts) {
    const sub = new RuleCompiler(rc.table, rc.chain);
    sub.stmt(st);
    exprs.push(...sub.insns);
  }
  return exprs;
}
