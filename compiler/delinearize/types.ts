// The delinearizer's expression and statement trees (nftables:
// src/netlink_delinearize.c builds the same from netlink expressions):
// what each register holds, and the statements of one rule before printing.
// `payload load 2b @ transport + 2; cmp eq 0x1600` → rel(payload(th,16,16), eq, 0x0016).

import type { SetDef } from '../linearize.js';
import type { ValueType } from './value.js';

/** A value in a register. */
export type DExpr =
  /** A packet load not yet named (resolved against the protocol context). */
  | { k: 'payload'; base: number; offset: number; len: number }
  /** A named field or key; `vt` says how constants compared to it print. */
  | { k: 'key'; text: string; vt: ValueType; base?: number; proto?: string; field?: string; offset?: number; len?: number; meta?: string; ct?: string; dir?: number; /** jhash source, printed in place of NUL in text. */ src?: DExpr; /** Sub-byte fields inside this load, named when a mask selects one. */ subs?: SubField[] }
  | { k: 'value'; data: Uint8Array }
  | { k: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; left: DExpr; right: Uint8Array; mask?: Uint8Array; xor?: Uint8Array }
  /** `byteorder hton`: the value is now big-endian; prints as its operand. */
  | { k: 'hton'; inner: DExpr }
  | { k: 'concat'; parts: DExpr[] }
  /** A lookup with a data register: `KEY map { ... }` / `KEY map @m`. */
  | { k: 'map'; key: DExpr; set: SetDef; vt: ValueType };

/** A sub-byte field of a wider load: bit `offset` (from the load start) and `len`. */
export interface SubField {
  text: string;
  vt: ValueType;
  offset: number;
  len: number;
}

/** The right-hand side of a relational. */
export type RExpr =
  | { k: 'value'; data: Uint8Array; wildcard?: boolean }
  | { k: 'range'; from: Uint8Array; to: Uint8Array }
  | { k: 'set'; set: SetDef }
  | { k: 'prefix'; data: Uint8Array; len: number }
  /** `tcp flags syn / fin,syn` and implicit flag lists, already printed. */
  | { k: 'text'; text: string };

/** Relational operators: the kernel's cmp ops plus nft's implicit and negated flag forms. */
export type RelOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'implicit' | 'neg';

/** One statement of a rule as nft lists it. */
export type DStmt =
  | { k: 'rel'; left: DExpr; op: RelOp; right: RExpr; dropped?: boolean }
  | { k: 'text'; text: string };

/** What the delinearizer knows about the rule's surroundings. */
export interface DCtx {
  family: string;
  /** Sets of the table (named) and of the rule (anonymous), by name. */
  sets: Map<string, SetDef>;
  /** Named sets declared with `counter` (their elements' counters are implied). */
  counterSets?: Set<string>;
  /** Sets nft fails to read back: lookups in them are not listed. */
  unlisted?: Set<SetDef>;
}
