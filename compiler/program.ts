// A compiled ruleset as the VM loads it (the kernel's tables, chains, sets,
// objects and rule blobs after a commit), with every cross-reference an
// index; compiler/bytecode.ts encodes it. programOf() takes the final state
// of compileRuleset(): `table ip t { chain c { tcp dport 22 accept } }` →
// one table, one chain (handle 1), one rule (handle 2) of four instructions.

import * as abi from '../assembly/abi.js';
import type { ObjDecl } from './ast.js';
import type { Insn } from './insn.js';
import { elemKey, type SetDef, type SetElem } from './linearize.js';
import { family, OBJECT_TYPES, proto, timeoutValues } from './objects.js';
import type { CompileResult } from './ruleset.js';

/** A table. */
export interface ProgTable {
  family: string;
  name: string;
  /** `flags dormant`: its base chains are off their hooks */
  dormant?: true;
}

/** A chain; base chains carry their hook. */
export interface ProgChain {
  table: number;
  name: string;
  handle: number;
  hook?: { type: string; hook: string; prio: number; devices: string[] };
  policy?: string;
}

/** A set or map (named, anonymous or a meter) with its elements. */
export interface ProgSet {
  table: number;
  name: string;
  handle: number;
  /** NFT_SET_* flags as sent to the kernel. */
  flags: number;
  anonymous: boolean;
  /** One entry per concatenated field: datatype name and length in bytes (unpadded). */
  key: { type: string; len: number }[];
  /** Data of a map (`type` joins concatenated data types with ` . `; `verdict` for verdict maps). */
  data?: { type: string; len: number };
  /** NFT_OBJECT_* type of an object map. */
  objType?: number;
  timeout?: number;
  gcInterval?: number;
  size?: number;
  policy?: string;
  comment?: string;
  elements: SetElem[];
}

/** A named stateful object; `state` is its counter, quota or limit expression, or its ct timeout policy / ct helper. */
export interface ProgObject {
  table: number;
  name: string;
  handle: number;
  /** NFT_OBJECT_* */
  type: number;
  state?: Insn;
}

/** A rule: its chain, handle, the anonymous sets it owns, its instructions. */
export interface ProgRule {
  chain: number;
  handle: number;
  position?: number;
  comment?: string;
  /** Indices of the rule's anonymous sets, consecutive. */
  anonSets: number[];
  insns: Insn[];
}

/** A whole ruleset image. */
export interface Program {
  tables: ProgTable[];
  chains: ProgChain[];
  sets: ProgSet[];
  objects: ProgObject[];
  rules: ProgRule[];
}

type TableState = CompileResult['tables'] extends Map<string, infer T> ? T : never;

/** A set or map of the image, without its elements. */
export function progSet(table: number, handle: number, s: SetDef): ProgSet {
  const parts = s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }];
  const set: ProgSet = {
    table, name: s.name, handle, flags: s.flags, anonymous: s.anonymous,
    key: parts.map((p) => ({ type: p.type.name, len: Math.ceil(p.bits / 8) })), elements: [],
  };
  if (s.objMap !== undefined) set.objType = s.objMap;
  else if (s.dataType) {
    const type = s.dataParts ? s.dataParts.map((p) => p.type.name).join(' . ') : s.dataType.name;
    set.data = { type, len: Math.ceil((s.dataBits ?? s.dataType.bits) / 8) };
  }
  if (s.timeout !== undefined) set.timeout = s.timeout;
  if (s.gcInterval !== undefined) set.gcInterval = s.gcInterval;
  if (s.size !== undefined) set.size = s.size;
  if (s.policy !== undefined) set.policy = s.policy;
  if (s.comment !== undefined) set.comment = s.comment;
  return set;
}

/** The state expression of a counter, quota or limit object, as the statement would compile. */
export function objectState(o: ObjDecl | undefined): Insn | undefined {
  const s = o?.stmt;
  if (o?.type === 'counter') return { op: 'counter', pkts: s?.k === 'counter' ? (s.packets ?? 0n) : 0n, bytes: s?.k === 'counter' ? (s.bytes ?? 0n) : 0n };
  if (s?.k === 'quota') return { op: 'quota', bytes: s.bytes, consumed: s.used, flags: s.over ? abi.QuotaFlags.Inv : 0 };
  if (s?.k === 'limit') return { op: 'limit', rate: s.rate, unit: s.unit, burst: s.burst, bytes: s.bytes, flags: s.over ? abi.LimitFlags.Inv : 0 };
  if (o?.type === 'ct timeout') {
    const secs = timeoutValues(o);
    const timeouts = new Uint8Array(secs.length * 4);
    secs.forEach((v, i) => new DataView(timeouts.buffer).setUint32(i * 4, v, true));
    return { op: 'ct_timeout', l3proto: family(o) ?? 0, l4proto: proto(o), timeouts };
  }
  if (o?.type === 'ct helper') return { op: 'ct_helper', l3proto: family(o) ?? 0, l4proto: proto(o), helper: o.props.type ?? '' };
  return undefined;
}

/**
 * The final state of a compile result: the tables that still exist, their
 * chains, objects, named sets with all their elements, and rules with their
 * anonymous sets. Handles count per table in the order nft sends a table
 * block: chains, objects, sets, then each rule after its anonymous sets.
 */
export function programOf(result: CompileResult): Program {
  const p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };
  const tables = new Map<string, { index: number; state: TableState; handle: number; chains: Map<string, number> }>();
  const decls = new Map<string, ObjDecl>();
  // A table's flags are those of the last command that adds it (the kernel updates them; none given: none).
  const flags = new Map<string, string[]>();
  for (const c of result.cmds) {
    if (c.k === 'obj' && (c.op === 'add' || c.op === 'create')) decls.set(`${c.family} ${c.table} ${c.obj.name}`, c.obj);
    if (c.k === 'table' && (c.op === 'add' || c.op === 'create')) flags.set(`${c.family} ${c.name}`, c.flags ?? []);
  }
  for (const [key, t] of result.tables) {
    const info = { index: p.tables.length, state: t, handle: 0, chains: new Map<string, number>() };
    tables.set(key, info);
    p.tables.push({ family: t.family, name: t.name, ...(flags.get(key)?.includes('dormant') ? { dormant: true as const } : {}) });
    for (const name of t.chains.keys()) {
      const decl = t.chainDecl.get(name);
      const c: ProgChain = { table: info.index, name, handle: ++info.handle };
      if (decl?.hook) c.hook = { type: decl.hook.type, hook: decl.hook.hook, prio: decl.hook.prio, devices: [...decl.hook.devices] };
      if (decl?.policy !== undefined) c.policy = decl.policy;
      info.chains.set(name, p.chains.length);
      p.chains.push(c);
    }
    for (const [name, type] of t.objects) {
      const o: ProgObject = { table: info.index, name, handle: ++info.handle, type: OBJECT_TYPES[type] ?? 0 };
      const state = objectState(decls.get(`${key} ${name}`));
      if (state) o.state = state;
      p.objects.push(o);
    }
  }
  const named = new Map<SetDef, { set: ProgSet; keys: Set<string> }>();
  for (const o of result.outputs) {
    if (o.k !== 'set' && o.k !== 'elements') continue;
    const t = tables.get(`${o.set.family} ${o.set.table}`);
    // A set deleted or redefined later is not part of the final state.
    if (!t || t.state.sets.get(o.set.name) !== o.set) continue;
    let s = named.get(o.set);
    if (!s) {
      s = { set: progSet(t.index, ++t.handle, o.set), keys: new Set() };
      named.set(o.set, s);
      p.sets.push(s.set);
    }
    // The declaration of an interval set already holds every element the file adds,
    // merged as nft does (ruleset.ts); later batches repeat parts of it.
    if (o.set.flags & abi.SetFlags.Interval) {
      if (o.k === 'set') s.set.elements.push(...o.elements);
      continue;
    }
    for (const e of o.elements) {
      const k = elemKey(e);
      if (s.keys.has(k)) continue; // adding an existing element changes nothing
      s.keys.add(k);
      s.set.elements.push(e);
    }
  }
  for (const o of result.outputs) {
    if (o.k !== 'rule') continue;
    const r = o.rule;
    const t = tables.get(`${r.family} ${r.table}`);
    const chain = t?.chains.get(r.chain);
    if (!t || chain === undefined) continue;
    const anonSets: number[] = [];
    for (const s of r.anonSets) {
      anonSets.push(p.sets.length);
      p.sets.push({ ...progSet(t.index, ++t.handle, s), elements: s.elements });
    }
    const rule: ProgRule = { chain, handle: ++t.handle, anonSets, insns: r.insns };
    if (r.position !== undefined) rule.position = r.position;
    if (r.comment !== undefined) rule.comment = r.comment;
    p.rules.push(rule);
  }
  return p;
}
