// The kernel's ruleset after loading a file, replayed from the compiler's
// outputs (kernel: net/netfilter/nf_tables_api.c; rule placement of
// nf_tables_newrule, handles from nf_tables_alloc_handle): tables, chains,
// rules in chain order, sets with their elements, objects and flowtables,
// each with the handle `nft -a list ruleset` shows.
// `add rule ip t c position 4 ...` → placed after the rule with handle 4.

import type { ChainDecl, Cmd, FlowtableDecl, ObjDecl, SetDecl } from '../ast.js';
import { elemKey, type SetDef, type SetElem } from '../linearize.js';
import type { VerdictData } from '../insn.js';
import type { CompileResult, CompiledRule, Output } from '../ruleset.js';
import { resolveHook } from '../chain.js';

/** A rule and its handle. */
export interface LRule {
  handle: number;
  rule: CompiledRule;
  /** Handles of the rule's anonymous sets (rule.anonSets, meters among them): the kernel numbers them before the rule. */
  anonHandles: number[];
}

/** A chain as listed: declaration, handle, rules in order. */
export interface LChain {
  name: string;
  handle: number;
  hook?: { type: string; hook: string; prio: number; devices: string[] };
  policy?: string;
  comment?: string;
  rules: LRule[];
}

/** A named set or map with its elements. */
export interface LSet {
  def: SetDef;
  /** The declaration (`typeof`, `counter`, `policy` are not in the compiled set). */
  decl?: SetDecl;
  handle: number;
  elements: SetElem[];
}

/** A table with everything in it, in creation order. */
export interface LTable {
  family: string;
  name: string;
  handle: number;
  flags: string[];
  comment?: string;
  chains: Map<string, LChain>;
  sets: Map<string, LSet>;
  objs: { decl: ObjDecl; handle: number }[];
  flowtables: { decl: FlowtableDecl; handle: number }[];
  /** The table's handle counter (chains, rules, sets and objects share it). */
  next: number;
  /** Every set of the table, anonymous ones included, in handle order. */
  setOrder: SetDef[];
}

/** Where the next compiled rule goes. */
type Placement = { chain: string; op: 'add' | 'insert' | 'replace'; handle?: number; index?: number; position?: number; cmd: Cmd } | undefined;

/** A rule command whose handle (or position) names no rule of its chain: the kernel refuses it (ENOENT). */
export interface ReplayProblem {
  cmd: Cmd & { k: 'rule' };
}

/**
 * Replays a compile result into the tables the kernel then holds, in listing
 * order. Rule commands naming a missing handle are skipped and, with
 * `problems`, reported there.
 */
export function replayRuleset(r: CompileResult, problems?: ReplayProblem[], out?: { tableHandle: number }): LTable[] {
  const rp = new Replayer(new Map(), 0, problems);
  for (const o of r.outputs) rp.feed(o);
  if (out) out.tableHandle = rp.tableHandle;
  return [...rp.tables.values()];
}

/** The named counters or quotas a `reset` command names. */
export function resetTargets(tables: Iterable<LTable>, c: Cmd & { k: 'reset' }): { table: LTable; obj: LTable['objs'][number] }[] {
  const out: { table: LTable; obj: LTable['objs'][number] }[] = [];
  for (const t of tables) {
    if ((c.family && t.family !== c.family) || (c.table !== undefined && t.name !== c.table)) continue;
    for (const o of t.objs) if (o.decl.type === c.type && (c.name === undefined || o.decl.name === c.name)) out.push({ table: t, obj: o });
  }
  return out;
}

/** Zeroed declarations by the one they zero: every replay of a history gets the same object (listings find live values by it). */
const zeroed = new WeakMap<ObjDecl, ObjDecl>();

/** A counter or quota declaration starting again from zero. */
function resetDecl(d: ObjDecl): ObjDecl {
  let z = zeroed.get(d);
  if (z) return z;
  const st = d.stmt;
  if (st?.k === 'counter') z = { ...d, stmt: { ...st, packets: 0n, bytes: 0n } };
  else if (st?.k === 'quota') z = { ...d, stmt: { ...st, used: 0n } };
  else return d;
  zeroed.set(d, z);
  zeroed.set(z, z);
  return z;
}

/**
 * The replay's state: tables by `family name`, the table handle counter and
 * the placement of the next rule. compiler/transaction.ts feeds a commit's
 * outputs to one made over the current tables.
 */
/** A table with nothing in it yet. */
export function newTable(family: string, name: string, handle: number): LTable {
  return { family, name, handle, flags: [], chains: new Map(), sets: new Map(), objs: [], flowtables: [], next: 1, setOrder: [] };
}

export class Replayer {
  private placement: Placement;
  private lastCmd: Cmd | undefined;
  /** Named objects made since the last transaction boundary (a `reset` reaches only the others). */
  private readonly added = new Set<LTable['objs'][number]>();

  constructor(readonly tables: Map<string, LTable>, public tableHandle: number, private readonly problems?: ReplayProblem[]) {}

  private table(family: string, name: string): LTable {
    const key = `${family} ${name}`;
    let t = this.tables.get(key);
    if (!t) {
      t = newTable(family, name, ++this.tableHandle);
      this.tables.set(key, t);
    }
    return t;
  }

  private chain(t: LTable, d: ChainDecl, family: string): LChain {
    let c = t.chains.get(d.name);
    if (!c) {
      c = { name: d.name, handle: t.next++, rules: [] };
      t.chains.set(d.name, c);
    }
    if (d.hook) c.hook = resolveHook(family, d.hook);
    if (d.policy) c.policy = d.policy;
    if (d.comment !== undefined) c.comment = d.comment;
    return c;
  }

  /** Applies one output of the compiler. */
  feed(o: Output): void {
    const tables = this.tables;
    const problems = this.problems;
    switch (o.k) {
      case 'cmd': {
        const c = o.cmd;
        this.lastCmd = c;
        this.placement = undefined;
        if (c.k === 'table') {
          if (c.op === 'add' || c.op === 'create') {
            const known = tables.has(`${c.family} ${c.name}`);
            const t = this.table(c.family, c.name);
            // The kernel updates an existing table's flags (none given: none); its comment stays.
            t.flags = c.flags ?? [];
            if (c.comment !== undefined && !known) t.comment = c.comment;
          } else if (c.op === 'delete' || c.op === 'destroy') tables.delete(`${c.family} ${c.name}`);
          else if (c.op === 'flush') for (const ch of tables.get(`${c.family} ${c.name}`)?.chains.values() ?? []) ch.rules = [];
        } else if (c.k === 'chain') {
          const t = tables.get(`${c.family} ${c.table}`);
          if (!t) break;
          if (c.op === 'add' || c.op === 'create') this.chain(t, c.chain, c.family);
          else if (c.op === 'delete' || c.op === 'destroy') t.chains.delete(c.chain.name);
          else if (c.op === 'rename' && c.newName !== undefined) renameChain(t, c.chain.name, c.newName);
          else if (c.op === 'flush') {
            const ch = t.chains.get(c.chain.name);
            if (ch) ch.rules = [];
          }
        } else if (c.k === 'rule') {
          if (c.op === 'delete') {
            const ch = tables.get(`${c.family} ${c.table}`)?.chains.get(c.chain);
            if (ch && !ch.rules.some((x) => x.handle === c.handle)) problems?.push({ cmd: c });
            if (ch) ch.rules = ch.rules.filter((x) => x.handle !== c.handle);
          } else this.placement = { chain: c.chain, op: c.op, handle: c.handle, index: c.index, position: c.position, cmd: c };
        } else if (c.k === 'set' && (c.op === 'delete' || c.op === 'destroy')) tables.get(`${c.family} ${c.table}`)?.sets.delete(c.set.name);
        else if (c.k === 'obj' && (c.op === 'delete' || c.op === 'destroy')) {
          const t = tables.get(`${c.family} ${c.table}`);
          if (t) t.objs = t.objs.filter((x) => x.decl.name !== c.obj.name || x.decl.type !== c.obj.type);
        }
        else if (c.k === 'reset') {
          // nft resets before it sends the batch: what the file itself adds keeps its values.
          for (const { obj } of resetTargets(tables.values(), c)) if (!this.added.has(obj)) obj.decl = resetDecl(obj.decl);
        } else if (c.k === 'flushRuleset') {
          for (const k of [...tables.keys()]) if (!c.family || k.startsWith(`${c.family} `)) tables.delete(k);
        } else if (c.k === 'handles') {
          if (!c.gap) this.added.clear();
          // Handles a rejected transaction took: the kernel's counters never go back.
          this.tableHandle += c.tables;
          for (const [k, n] of Object.entries(c.perTable)) {
            const t = tables.get(k);
            if (t) t.next += n;
          }
        }
        break;
      }
      case 'rule': {
        const rule = o.rule;
        const t = this.table(rule.family, rule.table);
        const anonHandles: number[] = [];
        for (const a of rule.anonSets) {
          t.setOrder.push(a);
          anonHandles.push(t.next++);
        }
        const ch = t.chains.get(rule.chain);
        if (!ch) break;
        const p = this.placement?.chain === rule.chain ? this.placement : undefined;
        // A replacement keeps the handle of the rule it replaces; a rule whose
        // reference is missing is refused before it gets a handle.
        const lr: LRule = { handle: p?.op === 'replace' ? p.handle! : t.next, rule, anonHandles };
        if (!place(ch, lr, p)) {
          if (p) problems?.push({ cmd: p.cmd as Cmd & { k: 'rule' } });
        } else if (p?.op !== 'replace') t.next++;
        break;
      }
      case 'set': {
        const t = this.table(o.set.family, o.set.table);
        const old = t.sets.get(o.set.name);
        const decl = this.lastCmd?.k === 'set' && this.lastCmd.set.name === o.set.name ? this.lastCmd.set : undefined;
        if (old) {
          old.def = o.set;
          old.elements = o.set.flags & 4 ? [...o.elements] : [...old.elements, ...o.elements];
          old.decl = decl ?? old.decl;
        } else {
          t.sets.set(o.set.name, { def: o.set, decl, handle: t.next++, elements: [...o.elements] });
          t.setOrder.push(o.set);
        }
        break;
      }
      case 'elements': {
        const s = tables.get(`${o.set.family} ${o.set.table}`)?.sets.get(o.set.name);
        // Interval sets: the declaration's output already holds every element of the file.
        if (s && !(o.set.flags & 4)) s.elements.push(...o.elements);
        break;
      }
      case 'delElements': {
        const s = tables.get(`${o.set.family} ${o.set.table}`)?.sets.get(o.set.name);
        if (!s || s.def !== o.set) break;
        const index = elementIndex(s);
        for (const e of o.elements) {
          const k = elemKey(e);
          for (const x of index.keys.get(k) ?? []) {
            const at = s.elements.lastIndexOf(x);
            if (at < 0) continue;
            s.elements.splice(at, 1);
            index.len--;
          }
          index.keys.delete(k);
        }
        break;
      }
      case 'flushSet': {
        const s = tables.get(`${o.set.family} ${o.set.table}`)?.sets.get(o.set.name);
        // Interval sets: the declaration's output already holds the final elements.
        if (s && s.def === o.set && !(o.set.flags & 4)) s.elements = [];
        break;
      }
      case 'obj': {
        const c = this.lastCmd;
        if (c?.k === 'obj') {
          const t = this.table(c.family, c.table);
          // `add` of an object the table has: the kernel keeps it (its handle and its values).
          if (t.objs.some((x) => x.decl.name === c.obj.name && x.decl.type === c.obj.type)) break;
          const o = { decl: c.obj, handle: t.next++ };
          t.objs.push(o);
          this.added.add(o);
        } else if (c?.k === 'flowtable') {
          const t = this.table(c.family, c.table);
          t.flowtables.push({ decl: c.ft, handle: t.next++ });
        }
        break;
      }
    }
  }
}

/** A set's elements by key, as far as `len` of `arr` (appends are indexed when next asked for; another array is indexed again). */
const elementIndexes = new WeakMap<LSet, { arr: SetElem[]; len: number; keys: Map<string, SetElem[]> }>();

/** The elements of `s` by key: a deletion finds its elements without a key for every element of the set. */
function elementIndex(s: LSet): { len: number; keys: Map<string, SetElem[]> } {
  let index = elementIndexes.get(s);
  if (!index || index.arr !== s.elements || index.len > s.elements.length) {
    index = { arr: s.elements, len: 0, keys: new Map() };
    elementIndexes.set(s, index);
  }
  for (; index.len < s.elements.length; index.len++) {
    const e = s.elements[index.len]!;
    const k = elemKey(e);
    const same = index.keys.get(k);
    if (same) same.push(e);
    else index.keys.set(k, [e]);
  }
  return index;
}

/**
 * `rename chain`: the chain keeps its place and handle; jumps and gotos to it
 * (rules, verdict maps, anonymous verdict maps) now name it by its new name,
 * as the kernel's rules point at the chain itself.
 */
function renameChain(t: LTable, from: string, to: string): void {
  const ch = t.chains.get(from);
  if (!ch || t.chains.has(to)) return;
  ch.name = to;
  t.chains = new Map([...t.chains].map(([k, v]) => (k === from ? [to, v] : [k, v])));
  const fix = (v: VerdictData | undefined) => {
    if (v?.chain === from) v.chain = to;
  };
  for (const c of t.chains.values()) {
    for (const lr of c.rules) {
      for (const i of lr.rule.insns) if (i.op === 'immediate_verdict') fix(i.v);
      for (const s of lr.rule.anonSets) for (const e of s.elements) fix(e.verdict);
    }
  }
  for (const s of t.sets.values()) for (const e of s.elements) fix(e.verdict);
}

/**
 * Puts a new rule where its command says (kernel: nf_tables_newrule; `handle N`
 * in add/insert means the same as `position N`). False when the command names
 * a handle the chain lacks: the kernel refuses it, the rule is not placed.
 */
function place(ch: LChain, lr: LRule, p: Placement): boolean {
  const rules = ch.rules;
  if (!p) {
    rules.push(lr);
    return true;
  }
  if (p.op === 'replace') {
    const at = rules.findIndex((x) => x.handle === p.handle);
    if (at >= 0) rules[at] = lr;
    return at >= 0;
  }
  const ref = p.position ?? p.handle;
  let at: number;
  if (ref !== undefined) {
    at = rules.findIndex((x) => x.handle === ref);
    if (at < 0) return false;
  } else if (p.index !== undefined) {
    // `index N` names the chain's Nth rule (from 0), which must exist.
    if (p.index >= rules.length) return false;
    at = p.index;
  } else at = p.op === 'insert' ? 0 : rules.length;
  if (at < 0) at = p.op === 'insert' ? 0 : rules.length;
  else if (p.op === 'add' && (ref !== undefined || p.index !== undefined)) at++;
  rules.splice(at, 0, lr);
  return true;
}
