// Transactions on a live Engine (Engine.apply, Engine.list): the next
// generation is checked by compiler/transaction.ts, its counters carried
// over from the running one, and loaded into the VM's inactive ruleset slot,
// which the VM switches to in one store (assembly/load.ts) — so a packet sees
// exactly the old or exactly the new ruleset. The kernel's counterpart is
// nf_tables_commit. `engine.apply('add rule inet f input tcp dport 80 accept')`.

import { BytecodeError, encodeBytecode, encodeElements, encodePatch, familyNumber, hookNumber, sameBytes } from '../compiler/bytecode.js';
import { CTE_USED_POLICY_MAX, ObjectType, SetFlags, Verdict } from '../assembly/abi.js';
import { printInsn, type Insn } from '../compiler/insn.js';
import { chainKey, LiveRuleset, objectKey, progObject, type Generation } from '../compiler/transaction.js';
import { OBJECT_TYPES } from '../compiler/objects.js';
import type { ListOptions } from '../compiler/list.js';
import type { ObjDecl } from '../compiler/ast.js';
import { progSet, type ProgObject, type ProgRule, type Program } from '../compiler/program.js';
import type { FileReader } from '../compiler/index.js';
import type { InPlaceStep, LiveState } from './engine.js';

export { TransactionError } from '../compiler/transaction.js';

/** What Transactions needs of the engine: its atomic image load and the live counters. */
export interface LoadTarget {
  /** The image it runs. */
  readonly image?: Uint8Array;
  load(image: Uint8Array): void;
  commitInPlace(steps: InPlaceStep[], program: () => Program): boolean;
  /** Whether an in-place commit may put a new chain at record `chain`. */
  chainFree(chain: number): boolean;
  /** Whether an in-place commit may put a new named object at record `object`. */
  objectFree(object: number): boolean;
  /** Whether an in-place commit may put a new table at record `table`. */
  tableFree(table: number): boolean;
  /** Whether an in-place commit may put `n` new sets at descriptors `first` on. */
  setFree(first: number, n: number): boolean;
  liveStates(): { rules: LiveState[][]; objects: (LiveState | undefined)[] };
  resetObjects(objects: number[]): void;
  /** After a load: conntrack entries' timeout policies follow their objects (`map[old index]` = new index + 1, 0: gone). */
  remapCtPolicies(map: Uint8Array): void;
}

/** The text an engine was loaded from, which a live ruleset starts with. */
export interface Seed {
  text: string;
  name: string;
  read?: FileReader;
}

/** A rule's identity across generations: table, handle and its instructions without their state. */
function ruleKey(family: string, table: string, handle: number, insns: Insn[]): string {
  const code = insns.filter((i) => i.op !== 'counter' && i.op !== 'quota' && i.op !== 'last').map(printInsn).join(';');
  return `${family} ${table} ${handle} ${code}`;
}

/** The live ruleset of one engine. */
export class Transactions {
  readonly live: LiveRuleset;
  /** The generation the engine runs (its program's rules are this generation's ruleRefs). */
  private loaded?: Generation;

  constructor(private readonly engine: LoadTarget, seed: Seed | undefined, opts: { read?: FileReader; interfaces?: ReadonlyMap<string, number> } = {}) {
    this.live = new LiveRuleset({ read: opts.read ?? seed?.read, interfaces: opts.interfaces });
    // The engine already runs the seed (loaded by Engine.load): only the state is rebuilt, not loaded again.
    if (!seed) return;
    this.live.apply(seed.text, seed.name);
    // The plain compile's image is most often this generation's byte for byte: then the
    // engine runs it already, counters and all, and commits can be made in place from the first.
    if (engine.image && sameBytes(engine.image, encodeBytecode(this.live.current.program))) {
      this.loaded = this.live.current;
      this.indexes = indexesOf(this.loaded.program);
    }
  }

  /**
   * Applies `text` as one transaction: checked, then loaded atomically.
   * Throws TransactionError (or EngineLoadError if the VM refuses the image)
   * and then leaves the running ruleset and the listing as they were.
   */
  apply(text: string, name = 'transaction.nft', listing: ListOptions = {}): Generation {
    // O(change) when the VM can make it in place (assembly/commit.ts), else the whole next generation.
    if (this.loaded && this.loaded === this.live.current && this.applyInPlace(text, name)) {
      // In place: no list or reset commands (they take the whole path), nothing printed.
      this.loaded.printed = '';
      return this.loaded;
    }
    let g: Generation;
    const running = this.loaded === this.live.current;
    try {
      // What list and reset commands print shows the VM's counter values of the running generation
      // (read only when the text, or a file it includes, may hold such a command).
      g = this.live.prepare(text, name, running && /\b(list|reset|include)\b/.test(text) ? this.liveListing(listing) : listing);
    } catch (e) {
      // nft resets before it sends the batch: a refused batch's resets happened (the live ruleset has them in its history).
      if (running && this.live.lastResets.size) {
        this.resetLoaded();
        this.loaded = this.live.current;
      }
      throw e;
    }
    this.carryState(g);
    const old = this.loaded;
    this.engine.load(encodeBytecode(g.program));
    if (old) this.engine.remapCtPolicies(policyMap(old, g));
    this.live.commit(g);
    this.loaded = this.live.current;
    this.indexes = indexesOf(this.loaded.program);
    return this.loaded;
  }

  /** Zeroes the running generation's named counters and quotas the last prepare reset. */
  private resetLoaded(): void {
    const g = this.loaded;
    const keys = this.live.lastResets;
    if (!g || !keys.size) return;
    const ks: number[] = [];
    g.program.objects.forEach((o, k) => {
      if (keys.has(objKey(g, o))) ks.push(k);
    });
    this.engine.resetObjects(ks);
  }

  /** The loaded image's chain, set and object indices by table (in-place commits keep them; new anonymous sets come after). */
  private indexes?: LoadedIndexes;

  private applyInPlace(text: string, name: string): boolean {
    const idx = this.indexes;
    if (!idx) return false;
    const plan = this.live.planInPlace(text, name);
    if (!plan) return false;
    let nsets = idx.nsets;
    /** Descriptors for `n` new sets: a run a dead set or rule left (once the VM says its grace period is over; the oldest first), else the next ones. */
    const takenSets = new Set<number>();
    const setRun = (n: number) => {
      let first = -1;
      let tried = 0;
      for (const f of idx.freeSets) {
        if (tried++ === 16) break;
        let clash = false;
        for (let k = f; k < f + n; k++) clash ||= takenSets.has(k) || k >= nsets;
        if (!clash && this.engine.setFree(f, n)) {
          first = f;
          break;
        }
      }
      if (first < 0) {
        first = nsets;
        nsets += n;
      }
      for (let k = first; k < first + n; k++) takenSets.add(k);
      return first;
    };
    // Anonymous sets of rules by chain and handle, as the transaction leaves them (copied per chain), and the descriptors it frees.
    const ruleSets = new Map<number, Map<number, SetRun[]>>();
    const rulesOf = (c: number) => ruleSets.get(c) ?? ruleSets.set(c, new Map(idx.ruleSets.get(c))).get(c)!;
    const freed: number[] = [];
    const free = (run: SetRun) => {
      if (run) for (let k = run[0]; k < run[0] + run[1]; k++) freed.push(k);
    };
    /** The rule with `handle` leaves chain `c`: the oldest of its runs (a replaced rule's, before its replacement's). */
    const ruleGone = (c: number, handle: number) => {
      const m = rulesOf(c);
      const [head, ...rest] = m.get(handle) ?? [];
      free(head ?? null);
      if (rest.some((r) => r)) m.set(handle, rest);
      else m.delete(handle);
    };
    const added = new Map<TableIndexes, Map<string, number | undefined>>();
    const chains = new Map<TableIndexes, Map<string, number | undefined>>();
    const objects = new Map<TableIndexes, Map<string, number | undefined>>();
    const order = { tables: [...idx.tableOrder], chains: [...idx.chainOrder], objects: [...idx.objectOrder] };
    // Tables the transaction adds and deletes, by `family name`.
    const newTables = new Map<string, TableIndexes>();
    const goneTables = new Set<string>();
    const taken = { tables: new Set<number>(), chains: new Set<number>(), objects: new Set<number>() };
    /** `find` with this transaction's additions and deletions `m` first. */
    const changed = (m: Map<string, number | undefined> | undefined, find: (n: string) => number, what: string) => m ? (n: string) => {
      if (!m.has(n)) return find(n);
      const k = m.get(n);
      if (k === undefined) throw new BytecodeError(`${what} ${n} was deleted`);
      return k;
    } : find;
    const refsOf = (t: TableIndexes): TableIndexes => ({
      ...t,
      set: changed(added.get(t), t.set, 'set'),
      chain: changed(chains.get(t), t.chain, 'chain'),
      object: changed(objects.get(t), t.object, 'object'),
    });
    const changesOf = (m: Map<TableIndexes, Map<string, number | undefined>>, t: TableIndexes) => m.get(t) ?? m.set(t, new Map()).get(t)!;
    /** A record for a new table, chain or object: one a deletion left (once the VM says its grace period is over), else the next one. */
    const record = (kind: 'tables' | 'chains' | 'objects', free: number[], ok: (k: number) => boolean, key: string) => {
      let k = free.find((f) => !taken[kind].has(f) && ok(f));
      if (k === undefined) for (k = order[kind].length; taken[kind].has(k); k++);
      taken[kind].add(k);
      order[kind][k] = key;
      return k;
    };
    let steps: InPlaceStep[];
    try {
      steps = plan.ops.map((op): InPlaceStep => {
        if (op.k === 'addTable') {
          const k = record('tables', idx.freeTables, (f) => this.engine.tableFree(f), `${op.family} ${op.name}`);
          newTables.set(`${op.family} ${op.name}`, tableIndexes(k));
          return { op: 'addTable', table: k, family: familyNumber(op.family) };
        }
        const key = `${op.table.family} ${op.table.name}`;
        const base = idx.tables.get(key) ?? newTables.get(key)!;
        const t = refsOf(base);
        if (op.k === 'tableDormant') return { op: 'tableDormant', table: t.index, dormant: op.dormant };
        if (op.k === 'delTable') {
          order.tables[t.index] = undefined;
          goneTables.add(key);
          return { op: 'delTable', table: t.index };
        }
        if (op.k === 'addChain') {
          const k = record('chains', idx.freeChains, (f) => this.engine.chainFree(f), chainKey(op.table, op.chain));
          changesOf(chains, base).set(op.chain, k);
          const hook = op.base && {
            hook: hookNumber(op.table.family, op.base.hook), prio: op.base.prio, policy: op.base.policy === 'drop' ? Verdict.Drop : Verdict.Accept, nat: op.base.type === 'nat',
            devices: new TextEncoder().encode(op.base.devices.join('\0')),
          };
          return { op: 'addChain', chain: k, table: t.index, handle: op.handle, ...(hook ? { base: hook } : {}) };
        }
        if (op.k === 'delChain') {
          const k = t.chain(op.chain);
          order.chains[k] = undefined;
          changesOf(chains, base).set(op.chain, undefined);
          return { op: 'delChain', chain: k };
        }
        if (op.k === 'addObject') {
          const k = record('objects', idx.freeObjects, (f) => this.engine.objectFree(f), objectKey(op.table, OBJECT_TYPES[op.obj.type] ?? 0, op.obj.name));
          changesOf(objects, base).set(op.obj.name, k);
          return { op: 'addObject', object: k, image: encodePatch(undefined, [], 0, t, [progObject(t.index, op.obj, op.handle)]) };
        }
        if (op.k === 'delObject') {
          const k = t.object(op.name);
          order.objects[k] = undefined;
          changesOf(objects, base).set(op.name, undefined);
          return { op: 'delObject', object: k };
        }
        if (op.k === 'delRule') {
          const c = t.chain(op.chain);
          ruleGone(c, op.handle);
          return { op: 'delRule', chain: c, handle: op.handle };
        }
        if (op.k === 'flushChain') {
          const c = t.chain(op.chain);
          const m = rulesOf(c);
          for (const runs of m.values()) runs.forEach(free);
          m.clear();
          return { op: 'flushChain', chain: c };
        }
        if (op.k === 'policy') return { op: 'policy', chain: t.chain(op.chain), verdict: op.policy === 'drop' ? Verdict.Drop : Verdict.Accept };
        if (op.k === 'flushSet') return { op: 'flushSet', set: t.set(op.set.name) };
        if (op.k === 'addSet') {
          const k = setRun(1);
          const image = encodePatch(undefined, [{ ...progSet(t.index, op.handle, op.set), elements: op.elements }], k, t);
          changesOf(added, base).set(op.set.name, k);
          return { op: 'addSets', image, first: k };
        }
        if (op.k === 'delSet') {
          const k = t.set(op.set);
          freed.push(k);
          changesOf(added, base).set(op.set, undefined);
          return { op: 'delSet', set: k };
        }
        if (op.k === 'setElements') {
          const s = op.table.sets.get(op.set.name)!;
          // Built at a spare descriptor, which the finish frees again.
          const scratch = setRun(1);
          freed.push(scratch);
          return { op: 'replaceSet', set: t.set(op.set.name), scratch, image: encodePatch(undefined, [{ ...progSet(t.index, s.handle, op.set), elements: s.elements }], scratch, t) };
        }
        if (op.k === 'addRule') {
          const anon = op.rule.anonSets.map((s, k) => ({ ...progSet(t.index, op.firstSet + k, s), elements: s.elements }));
          const first = anon.length ? setRun(anon.length) : 0;
          const c = t.chain(op.chain);
          const rule: ProgRule = { chain: c, handle: op.handle, anonSets: anon.map((_, k) => first + k), insns: op.rule.insns };
          if (op.rule.comment !== undefined) rule.comment = op.rule.comment;
          // `replace` adds its rule with the old one's handle, before the old one goes (ruleGone).
          const m = rulesOf(c);
          const runs: SetRun[] = [...(op.mode === 2 && op.ref === op.handle ? m.get(op.handle) ?? [null] : []), anon.length ? [first, anon.length] : null];
          if (runs.some((r) => r)) m.set(op.handle, runs);
          return { op: 'addRule', image: encodePatch(rule, anon, first, t), mode: op.mode, ref: op.ref };
        }
        const set = progSet(t.index, 0, op.set);
        return { op: op.k, set: t.set(op.set.name), count: op.elements.length, records: encodeElements(set, op.elements, t) };
      });
    } catch (e) {
      // What the encoder cannot represent takes the whole-load path, which reports it.
      plan.undo();
      if (e instanceof BytecodeError) return false;
      throw e;
    }
    const live = this.live;
    if (!this.engine.commitInPlace(steps, () => live.current.program)) {
      plan.undo();
      return false;
    }
    const tablesMoved = newTables.size > 0 || goneTables.size > 0;
    // The VM's order of what came or went (nothing: the generation keeps its order).
    const moved = { ...(tablesMoved ? { tables: order.tables } : {}), ...(chains.size ? { chains: order.chains } : {}), ...(objects.size ? { objects: order.objects } : {}) };
    plan.done(Object.keys(moved).length ? moved : undefined);
    for (const [k, t] of newTables) idx.tables.set(k, t);
    idx.nsets = nsets;
    for (const [t, m] of added) for (const [n, k] of m) k === undefined ? t.sets.delete(n) : t.sets.set(n, k);
    for (const [c, m] of ruleSets) m.size ? idx.ruleSets.set(c, m) : idx.ruleSets.delete(c);
    for (const k of takenSets) idx.freeSets.delete(k);
    for (const k of freed) idx.freeSets.add(k);
    const settle = (m: Map<TableIndexes, Map<string, number | undefined>>, kind: 'chains' | 'objects', free: number[]) => {
      for (const [t, names] of m) {
        for (const [n, k] of names) {
          if (k === undefined) {
            free.push(t[kind].get(n)!);
            t[kind].delete(n);
          } else t[kind].set(n, k);
        }
      }
      return m.size ? free.filter((k) => !taken[kind].has(k)) : free;
    };
    idx.freeChains = settle(chains, 'chains', idx.freeChains);
    idx.freeObjects = settle(objects, 'objects', idx.freeObjects);
    if (chains.size) idx.chainOrder = order.chains;
    if (objects.size) idx.objectOrder = order.objects;
    for (const k of goneTables) {
      idx.freeTables.push(idx.tables.get(k)!.index);
      idx.tables.delete(k);
    }
    if (tablesMoved) {
      idx.tableOrder = order.tables;
      idx.freeTables = idx.freeTables.filter((k) => !taken.tables.has(k));
    }
    return true;
  }

  /**
   * Counters and quotas of rules the transaction left alone keep their values
   * (the kernel keeps the rule; a replaced rule starts again from zero), and
   * so do named counters and quotas that still exist.
   */
  private carryState(g: Generation): void {
    const old = this.loaded;
    if (!old) return;
    const live = this.engine.liveStates();
    const byKey = new Map<string, LiveState[]>();
    old.ruleRefs.forEach((r, k) => byKey.set(ruleKey(r.table.family, r.table.name, r.rule.handle, r.rule.rule.insns), live.rules[k] ?? []));
    for (const r of g.ruleRefs) {
      const st = byKey.get(ruleKey(r.table.family, r.table.name, r.rule.handle, r.rule.rule.insns));
      if (st) writeStates(r.rule.rule.insns, st);
    }
    const objs = new Map<string, LiveState>();
    old.program.objects.forEach((o, k) => {
      const st = live.objects[k];
      if (st) objs.set(objKey(old, o), st);
    });
    for (const o of g.program.objects) {
      // Reset by this transaction: from zero, as the generation declares it.
      if (this.live.lastResets.has(objKey(g, o))) continue;
      const st = objs.get(objKey(g, o));
      if (st && o.state) writeStates([o.state], [st]);
    }
  }

  /** Named counters and quotas with the VM's values, for the listing. */
  private liveObjects(g: Generation): Map<ObjDecl, ObjDecl> {
    const out = new Map<ObjDecl, ObjDecl>();
    const states = this.engine.liveStates().objects;
    g.program.objects.forEach((o, k) => {
      const st = states[k];
      const t = g.tables[o.table];
      const decl = t?.objs.find((x) => x.decl.name === o.name && x.handle === o.handle)?.decl;
      if (!decl || !st) return;
      if (st.op === 'counter') out.set(decl, { ...decl, stmt: { k: 'counter', packets: st.packets, bytes: st.bytes, span: decl.stmt?.span ?? decl.span } });
      else if (st.op === 'quota' && decl.stmt?.k === 'quota') out.set(decl, { ...decl, stmt: { ...decl.stmt, used: st.consumed } });
    });
    return out;
  }

  /** Listing options with the VM's values: written into the running generation's rules, named objects mapped. */
  private liveListing(opts: ListOptions): ListOptions {
    const g = this.live.current;
    const states = this.engine.liveStates().rules;
    g.ruleRefs.forEach((r, k) => writeStates(r.rule.rule.insns, states[k] ?? []));
    return { ...opts, objects: this.liveObjects(g) };
  }

  /** `nft list ruleset [-a]` of the current generation, with the VM's counter values where the engine runs it. */
  list(opts: ListOptions = {}): string {
    const g = this.live.current;
    if (this.loaded === g) return this.live.list(this.liveListing(opts));
    return this.live.list(opts);
  }
}

/** Name → index resolution of one table of a loaded image. */
interface TableIndexes {
  index: number;
  /** Named sets by name (set() reads it). */
  sets: Map<string, number>;
  /** Chains by name (chain() reads it). */
  chains: Map<string, number>;
  /** Named objects by name (object() reads it). */
  objects: Map<string, number>;
  chain(name: string): number;
  set(name: string): number;
  object(name: string): number;
}

/** A rule's anonymous sets: the first descriptor and how many (null: none). */
type SetRun = [number, number] | null;

interface LoadedIndexes {
  tables: Map<string, TableIndexes>;
  /** Set descriptors the VM has used (new sets go after them, or into free ones). */
  nsets: number;
  /** Descriptors dead sets and rules left, oldest first: a new set takes one once the VM says it may (Engine.setFree). */
  freeSets: Set<number>;
  /** Anonymous sets of the VM's rules that have any, by chain index and handle (a rule being replaced and its replacement: two). */
  ruleSets: Map<number, Map<number, SetRun[]>>;
  /** The VM's chain records (Generation.order). */
  chainOrder: (string | undefined)[];
  /** Records whose chains in-place commits deleted: a new chain takes one once the VM says it may (Engine.chainFree). */
  freeChains: number[];
  /** The VM's table records (Generation.order), and those deleted tables left (Engine.tableFree). */
  tableOrder: (string | undefined)[];
  freeTables: number[];
  /** The VM's object records (Generation.order), and those deleted objects left (Engine.objectFree). */
  objectOrder: (string | undefined)[];
  freeObjects: number[];
}

/** Table `index` of the VM, with nothing in it yet. */
function tableIndexes(index: number): TableIndexes {
  const find = (m: Map<string, number>, what: string) => (name: string) => {
    const k = m.get(name);
    if (k === undefined) throw new BytecodeError(`no ${what} ${name} in the loaded image`);
    return k;
  };
  const sets = new Map<string, number>();
  const chains = new Map<string, number>();
  const objects = new Map<string, number>();
  return { index, sets, chains, objects, chain: find(chains, 'chain'), set: find(sets, 'set'), object: find(objects, 'object') };
}

function indexesOf(p: Program): LoadedIndexes {
  const all = p.tables.map((_, k) => tableIndexes(k));
  p.chains.forEach((c, k) => all[c.table]!.chains.set(c.name, k));
  p.sets.forEach((s, k) => {
    if (!(s.flags & SetFlags.Anonymous)) all[s.table]!.sets.set(s.name, k);
  });
  p.objects.forEach((o, k) => all[o.table]!.objects.set(o.name, k));
  const tables = new Map<string, TableIndexes>();
  p.tables.forEach((t, k) => tables.set(`${t.family} ${t.name}`, all[k]!));
  const tableOrder = p.tables.map((t) => `${t.family} ${t.name}`);
  const chainOrder = p.chains.map((c) => chainKey(p.tables[c.table]!, c.name));
  const objectOrder = p.objects.map((o) => objectKey(p.tables[o.table]!, o.type, o.name));
  const ruleSets = new Map<number, Map<number, SetRun[]>>();
  for (const r of p.rules) {
    // The VM records (RU_SETS) and frees only these (assembly/load.ts ruleSets).
    if (r.anonSets.length && r.anonSets.length < 256 && r.anonSets[0]! < 1 << 24) (ruleSets.get(r.chain) ?? ruleSets.set(r.chain, new Map()).get(r.chain)!).set(r.handle, [[r.anonSets[0]!, r.anonSets.length]]);
  }
  return { tables, nsets: p.sets.length, freeSets: new Set(), ruleSets, tableOrder, freeTables: [], chainOrder, freeChains: [], objectOrder, freeObjects: [] };
}

/**
 * Where the running generation's ct timeout objects are in the next one:
 * a conntrack entry names its policy by the object's index (+ 1, 7 bits),
 * and keeps the object across transactions as the kernel's entries keep
 * theirs; a deleted one's entries read the sysctls (nf_ct_untimeout).
 */
function policyMap(old: Generation, g: Generation): Uint8Array {
  const next = new Map<string, number>();
  g.program.objects.forEach((o, k) => {
    if (o.type === ObjectType.CtTimeout) next.set(objKey(g, o), k);
  });
  const map = new Uint8Array(Math.min(old.program.objects.length, CTE_USED_POLICY_MAX));
  map.forEach((_, k) => {
    const o = old.program.objects[k]!;
    const to = o.type === ObjectType.CtTimeout ? next.get(objKey(old, o)) : undefined;
    map[k] = to !== undefined && to < CTE_USED_POLICY_MAX ? to + 1 : 0;
  });
  return map;
}

/** A named object's identity across generations: table, type and name. */
function objKey(g: Generation, o: ProgObject): string {
  return objectKey(g.program.tables[o.table]!, o.type, o.name);
}

/** Writes live counter and quota values into a rule's instructions (in instruction order). */
function writeStates(insns: Insn[], states: LiveState[]): void {
  let s = 0;
  for (const i of insns) {
    if (i.op !== 'counter' && i.op !== 'quota' && i.op !== 'last') continue;
    const st = states[s++];
    if (i.op === 'counter' && st?.op === 'counter') {
      i.pkts = st.packets;
      i.bytes = st.bytes;
    } else if (i.op === 'quota' && st?.op === 'quota') i.consumed = st.consumed;
  }
}
