// Whole-file compilation: walks the commands of a ruleset file in order
// (nftables: src/rule.c's command expansion and src/mnl.c's batch), keeps
// tables, chains, sets and objects, compiles rules, and renders the
// `nft --debug=netlink` text. A `table` block expands to its chains, then
// its sets and objects, then its rules, as nft sends them.

import type { Cmd, RuleDecl, SetDecl } from './ast.js';
import { CompileError, Diagnostics, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { datatype, SET_TYPE_NAMES, withInterfaces, type Datatype } from './datatype.js';
import { dataWords, printInsn, verdictText, type Insn } from './insn.js';
import { elemData, elemKey, RuleCompiler, type ChainCtx, type SetDef, type SetElem, type TableCtx } from './linearize.js';
import { Parser, type FileReader } from './parser/index.js';
import { buildElements, ELEM_INTERVAL_END, unknownSetMessage } from './sets.js';
import type { Source, Span } from './source.js';
import { chainLine, flowtableLine, resolveHook } from './chain.js';
import { OBJECT_TYPES, objLine } from './objects.js';
import { typeofSpec } from './typeof.js';

/** Named sets declared with `counter`: each element carries a counter expression. */
const SET_COUNTER = new WeakMap<SetDef, true>();

/** A compiled rule: where it lives and its instructions. */
export interface CompiledRule {
  family: string;
  table: string;
  chain: string;
  insns: Insn[];
  anonSets: SetDef[];
  comment?: string;
  span: Span;
  position?: number;
}

/** One entry of the output, in order. */
export type Output =
  | { k: 'chain'; text: string }
  | { k: 'set'; set: SetDef; elements: SetElem[] }
  | { k: 'elements'; set: SetDef; elements: SetElem[] }
  | { k: 'obj'; text: string }
  | { k: 'rule'; rule: CompiledRule }
  /** `delete element`: the elements (as built) leave a set that is not an interval set. */
  | { k: 'delElements'; set: SetDef; elements: SetElem[] }
  /** `flush set`: every element leaves the set. */
  | { k: 'flushSet'; set: SetDef }
  /** The command whose outputs follow (for the listing's replay of the kernel's state; not printed). */
  | { k: 'cmd'; cmd: Cmd };

interface TableState extends TableCtx {
  /** Chains as rules are compiled for them (one context object per chain, not per rule). */
  chains: Map<string, ChainCtx>;
  flowtables?: Set<string>;
  chainDecl: Map<string, { hook?: { type: string; hook: string; prio: number; devices: string[] }; policy?: string }>;
}

/** Result of compiling one file. */
export interface CompileResult {
  outputs: Output[];
  diagnostics: Diagnostic[];
  tables: Map<string, TableState>;
  /** The parsed commands, for the kernel-level checks of compiler/validate.ts. */
  cmds: Cmd[];
  /**
   * Evaluates more commands after these, as if they came later in the same
   * files (compiler/transaction.ts's in-place commits): their outputs and
   * diagnostics are appended; returns the diagnostics they raised.
   */
  resume(cmds: Cmd[], opts?: CompileOptions): Diagnostic[];
  /** Every element interval set `s` holds now (its declaration's output holds them too), undefined for another set. */
  intervalElements(s: SetDef): SetElem[] | undefined;
}

/** Compiles a ruleset source: parse, evaluate, linearize. Never throws on bad input. */
export function compileRuleset(src: Source, read?: FileReader, opts: CompileOptions = {}): CompileResult {
  return withInterfaces(opts.interfaces, () => compile(src, read));
}

/** What the compiler may know about the host it compiles for. */
export interface CompileOptions {
  /** Interface names and their ifindex, for `iif "eth0"` (default: only `lo`, 1). */
  interfaces?: ReadonlyMap<string, number>;
}

function compile(src: Source, read?: FileReader): CompileResult {
  return compileParts([src], read);
}

/**
 * Compiles several files as if they were applied one after the other to an
 * empty kernel (compiler/transaction.ts keeps a live ruleset this way). Each
 * file is parsed on its own (its own `define`s); a part may also be a list of
 * commands parsed earlier, reused as they are.
 */
export function compileSources(parts: (Source | Cmd[])[], read?: FileReader, opts: CompileOptions = {}): CompileResult {
  return withInterfaces(opts.interfaces, () => compileParts(parts, read));
}

/** Parses one file into commands; syntax errors go to `diags`. */
export function parseSource(src: Source, diags: Diagnostics, read?: FileReader): Cmd[] {
  const parser = new Parser(src, diags, read);
  try {
    return parser.parseFile();
  } catch (e) {
    if (e instanceof RangeError) diags.error({ src, start: 0, end: 0 }, 'syntax error, nesting too deep');
    else throw e;
    return [];
  }
}

function compileParts(parts: (Source | Cmd[])[], read?: FileReader): CompileResult {
  const diags = new Diagnostics();
  const cmds: Cmd[] = [];
  for (const p of parts) cmds.push(...(Array.isArray(p) ? p : parseSource(p, diags, read)));
  const tables = new Map<string, TableState>();
  const outputs: Output[] = [];
  let ev = new Evaluator(tables, outputs, diags);
  // Syntax errors stop nft before evaluation.
  if (diags.blocking === 0) ev.run(cmds);
  const result: CompileResult = {
    outputs, diagnostics: diags.list, tables, cmds,
    resume(more, opts = {}) {
      const d = new Diagnostics();
      ev = new Evaluator(tables, outputs, d, ev);
      const next = ev;
      withInterfaces(opts.interfaces, () => next.run(more));
      cmds.push(...more);
      result.diagnostics.push(...d.list);
      return d.list;
    },
    intervalElements: (s) => ev.intervalElements(s),
  };
  return result;
}

/**
 * A table block's commands in the order nft sends them: chains, then objects,
 * then sets (object maps refer to objects), then flowtables, then rules; source
 * order within a group (a bucket per kind, not a sort: a table may hold 10,000 rules).
 */
export function blockGroups(body: Cmd[]): [Cmd[], Cmd[], Cmd[], Cmd[], Cmd[]] {
  const groups: [Cmd[], Cmd[], Cmd[], Cmd[], Cmd[]] = [[], [], [], [], []];
  for (const x of body) groups[x.k === 'chain' ? 0 : x.k === 'obj' ? 1 : x.k === 'set' ? 2 : x.k === 'flowtable' ? 3 : 4].push(x);
  return groups;
}

class Evaluator {
  constructor(private tables: Map<string, TableState>, private out: Output[], private diags: Diagnostics, from?: Evaluator) {
    // Resuming: the same knowledge of the sets (what they hold, what is committed).
    if (from) {
      this.intervalSets = from.intervalSets;
      this.committed = from.committed;
      this.committedSets = from.committedSets;
      this.held = from.held;
    }
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof CompileError) this.diags.error(e.span, e.message);
      else throw e;
    }
  }

  /** `family name` keys of `tables`, made once per pair: table() runs twice per rule and a fresh key string must be hashed each time. */
  private tableKeys = new Map<string, Map<string, string>>();

  private table(family: string, name: string, span: Span, create: boolean): TableState {
    let byName = this.tableKeys.get(family);
    if (!byName) this.tableKeys.set(family, (byName = new Map()));
    let key = byName.get(name);
    if (key === undefined) byName.set(name, (key = `${family} ${name}`));
    let t = this.tables.get(key);
    if (!t) {
      if (!create) throw new CompileError(span, `Could not process rule: No such file or directory`);
      t = { family, name, sets: new Map(), chains: new Map(), objects: new Map(), chainDecl: new Map() };
      this.tables.set(key, t);
    }
    return t;
  }

  run(cmds: Cmd[]): void {
    let i = 0;
    while (i < cmds.length) {
      const c = cmds[i]!;
      if (c.k === 'table' && c.block) {
        const j = i + 1 + (c.body ?? 0);
        const body = cmds.slice(i + 1, j);
        this.out.push({ k: 'cmd', cmd: c });
        this.guard(() => this.table(c.family, c.name, c.span, true));
        const groups = blockGroups(body);
        // Chains are declared before anything is compiled so rules can jump forward.
        for (const x of groups[0]!) if (x.k === 'chain') this.guard(() => (this.out.push({ k: 'cmd', cmd: x }), this.declareChain(x)));
        for (const g of groups.slice(1)) for (const x of g) this.guard(() => this.cmd(x));
        i = j;
        continue;
      }
      this.guard(() => this.cmd(c));
      i++;
    }
  }

  private declareChain(c: Cmd & { k: 'chain' }): void {
    const t = this.table(c.family, c.table, c.span, true);
    const ch = c.chain;
    let hook;
    if (ch.hook) hook = resolveHook(c.family, ch.hook);
    t.chains.set(ch.name, { name: ch.name, base: !!ch.hook || (t.chains.get(ch.name)?.base ?? false), hook: ch.hook?.hook, type: ch.hook?.type });
    t.chainDecl.set(ch.name, { hook, policy: ch.policy });
    this.out.push({ k: 'chain', text: chainLine(c.family, hook) });
  }

  private cmd(c: Cmd): void {
    this.out.push({ k: 'cmd', cmd: c });
    if ((c.k === 'obj' && c.op !== 'reset' && c.op !== 'list') || (c.k === 'table' && (c.op === 'delete' || c.op === 'destroy')) || c.k === 'flushRuleset') this.objectsChanging();
    switch (c.k) {
      case 'table':
        if (c.op === 'add' || c.op === 'create') this.table(c.family, c.name, c.span, true);
        else if (c.op === 'delete' || c.op === 'destroy') {
          // A missing table is the kernel's error (validate.ts), reported at its name.
          this.tables.delete(`${c.family} ${c.name}`);
        } else if (c.op === 'flush') {
          this.table(c.family, c.name, c.span, false);
        }
        return;
      case 'chain':
        if (c.op === 'add' || c.op === 'create') {
          this.declareChain(c);
          for (const r of c.chain.rules) this.guard(() => this.rule(c.family, c.table, c.chain.name, r));
        } else if (c.op === 'delete' || c.op === 'flush' || c.op === 'rename') {
          const t = this.table(c.family, c.table, c.span, false);
          if (!t.chains.has(c.chain.name)) throw new CompileError(wordSpan(c.span, c.chain.name), `Could not process rule: No such file or directory`);
          if (c.op === 'delete') t.chains.delete(c.chain.name);
          else if (c.op === 'rename') {
            const to = c.newName!;
            // The kernel refuses a name in use, at the whole command.
            if (t.chains.has(to)) throw new CompileError(c.span.src.text[c.span.end] === '\n' ? { ...c.span, end: c.span.end + 1 } : c.span, `Could not process rule: File exists`);
            t.chains = renameKey(t.chains, c.chain.name, to, (x) => ({ ...x, name: to }));
            t.chainDecl = renameKey(t.chainDecl, c.chain.name, to, (x) => x);
          }
        }
        return;
      case 'rule':
        if (c.op === 'delete') {
          this.table(c.family, c.table, c.span, false);
          return;
        }
        // The kernel refuses a rule for a missing chain at the chain's name.
        if (!this.table(c.family, c.table, wordSpan(c.span, c.table, 'table'), false).chains.has(c.chain)) throw new CompileError(wordSpan(c.span, c.chain), `Could not process rule: No such file or directory`);
        this.rule(c.family, c.table, c.chain, c.rule, c.position ?? c.index);
        return;
      case 'set':
        if (c.op === 'add' || c.op === 'create') this.set(c.family, c.table, c.set, c.span);
        else if (c.op !== 'list') {
          const t = this.table(c.family, c.table, c.span, false);
          const s = t.sets.get(c.set.name);
          if (!s) throw new CompileError(wordSpan(c.span, c.set.name), `Could not process rule: No such file or directory`);
          if (c.op === 'delete' || c.op === 'destroy') t.sets.delete(c.set.name);
          else if (c.op === 'flush') this.flushSet(s);
        }
        return;
      case 'element': {
        const t = this.table(c.family, c.table, c.span, false);
        const s = t.sets.get(c.set);
        // nft's own cache lookup, at the set's name.
        if (!s) throw new CompileError(wordSpan(c.span, c.set), unknownSetMessage(c.set, t));
        if (c.op === 'add' || c.op === 'create') this.addElements(t, s, c.elems, c.op === 'create');
        else this.deleteElements(t, s, c.elems, c.op === 'destroy');
        return;
      }
      case 'obj': {
        const t = this.table(c.family, c.table, c.span, c.op === 'add' || c.op === 'create');
        if (c.op === 'add' || c.op === 'create') {
          if (c.op === 'create' && t.objects.has(c.obj.name)) throw new CompileError(wordSpan(c.span, c.obj.name), `Could not process rule: File exists`);
          t.objects.set(c.obj.name, c.obj.type);
          this.out.push({ k: 'obj', text: objLine(c.obj) });
        } else if (c.op === 'delete' || c.op === 'destroy') {
          if (t.objects.get(c.obj.name) === c.obj.type) t.objects.delete(c.obj.name);
          else if (c.op === 'delete') throw new CompileError(wordSpan(c.span, c.obj.name), `Could not process rule: No such file or directory`);
        }
        return;
      }
      case 'flowtable':
        if (c.op === 'add' || c.op === 'create') {
          const t = this.table(c.family, c.table, c.span, false);
          this.out.push({ k: 'obj', text: flowtableLine(c.family, c.ft) });
          t.flowtables ??= new Set();
          t.flowtables.add(c.ft.name);
        }
        return;
      case 'flushRuleset':
        for (const [k, t] of [...this.tables]) if (!c.family || t.family === c.family) this.tables.delete(k);
        return;
      case 'reset': {
        if (c.table === undefined) return;
        // nft finds a missing table in its cache (its own error, at the name); the kernel a missing object.
        const t = this.tables.get(`${c.family} ${c.table}`);
        if (!t) throw new CompileError(nameSpan(c.span, c.table), 'No such file or directory');
        // The kernel's error marks the whole command and the end of its line.
        const existed = this.committedObjects ? this.committedObjects.has(`${c.family} ${c.table} ${c.type} ${c.name}`) : t.objects.get(c.name ?? '') === c.type;
        if (c.name !== undefined && !existed) throw new CompileError({ ...c.span, end: c.span.end + 1 }, 'Could not process rule: No such file or directory');
        return;
      }
      case 'handles':
        if (!c.gap) this.commitBoundary();
        return;
    }
  }

  private rule(family: string, table: string, chain: string, r: RuleDecl, position?: number): void {
    const t = this.table(family, table, r.span, false);
    const ch = t.chains.get(chain);
    if (!ch) throw new CompileError(r.span, `Could not process rule: No such file or directory`);
    const rc = new RuleCompiler(t, ch);
    rc.compile(r.stmts);
    this.out.push({ k: 'rule', rule: { family, table, chain, insns: rc.insns, anonSets: rc.anonSets, comment: r.comment, span: r.span, position } });
  }

  private set(family: string, table: string, d: SetDecl, span?: Span): void {
    const t = this.table(family, table, d.span, false);
    const def = this.setDef(t, d);
    const old = t.sets.get(d.name);
    if (old && this.committedSets.has(old)) {
      // A set an earlier transaction made: `add set` keeps it (and adds the declaration's
      // elements); a different type is the kernel's EEXIST, at the set's name.
      const same = old.keyType.name === def.keyType.name && old.keyBits === def.keyBits && old.dataType?.name === def.dataType?.name && (old.flags & 0x4c) === (def.flags & 0x4c);
      if (!same) throw new CompileError(span ? wordSpan(span, d.name) : d.span, `Could not process rule: File exists`);
      if (d.elems.length) this.addElements(t, old, d.elems);
      return;
    }
    if (d.counter) SET_COUNTER.set(def, true);
    t.sets.set(d.name, def);
    this.held.set(def, new Map());
    const els = !d.elems.length ? [] : def.flags & 4 ? this.elements(t, def, d.elems) : this.admit(t, def, d.elems, false).add;
    // A constant set is sent with its element count (netlink elements, interval
    // ends included) as size and no policy (nftables src/mnl.c mnl_nft_set_add).
    if (def.flags & 2) {
      def.size = d.elems.length ? els.length : undefined;
      def.policy = undefined;
    }
    const out: Output & { k: 'set' } = { k: 'set', set: def, elements: els };
    this.out.push(out);
    if (def.flags & 4) this.intervalSets.set(def, { out, all: [...d.elems], pending: [...d.elems] });
  }

  /**
   * Interval sets declared in this file, as nft keeps them in its cache while
   * evaluating the whole batch: the declaration is sent with every element the
   * file adds (elements are serialized after all commands are evaluated), and
   * the first `add element` also carries the declaration's own elements.
   */
  private intervalSets = new Map<SetDef, { out: Output & { k: 'set' }; all: SetDecl['elems']; pending: SetDecl['elems'] }>();

  intervalElements(s: SetDef): SetElem[] | undefined {
    return this.intervalSets.get(s)?.out.elements;
  }

  /** Elements of interval sets that earlier transactions committed (set at each `handles` boundary). */
  private committed = new Map<SetDef, Set<SetDecl['elems'][number]>>();

  /** Sets that existed at the last transaction boundary. */
  private committedSets = new Set<SetDef>();

  /** A transaction boundary: what the sets hold now is in the kernel. */
  commitBoundary(): void {
    for (const [s, iv] of this.intervalSets) this.committed.set(s, new Set(iv.all));
    this.committedSets = new Set([...this.tables.values()].flatMap((t) => [...t.sets.values()]));
    this.committedObjects = undefined;
  }

  /**
   * Named objects at the last boundary (`family table type name`): what the
   * kernel holds while nft runs the file's resets, before it sends the
   * batch. Taken when a command first changes objects after the boundary;
   * undefined: none has, they are the tables' own. Before any boundary
   * (a plain compile) there were none.
   */
  private committedObjects?: Set<string> = new Set();

  private objectsChanging(): void {
    this.committedObjects ??= new Set([...this.tables].flatMap(([k, t]) => [...t.objects].map(([name, type]) => `${k} ${type} ${name}`)));
  }

  /** The elements each set holds (not interval sets): key to what it maps to (elemData), for the kernel's element checks. */
  private held = new Map<SetDef, Map<string, string>>();

  private heldKeys(s: SetDef): Map<string, string> {
    let h = this.held.get(s);
    if (!h) {
      h = new Map();
      this.held.set(s, h);
      for (const o of this.out) if ((o.k === 'set' || o.k === 'elements') && o.set === s) for (const e of o.elements) h.set(elemKey(e), elemData(e));
    }
    return h;
  }

  /**
   * Elements joining plain set `s` as the kernel takes them (nf_tables_api.c
   * nft_add_set_elem): an object map's element must name an object of the
   * map's type (ENOENT); a key the set holds is nothing to do if it maps to
   * the same, EEXIST if to something else (or for `create`); a set with a
   * size takes no more (ENFILE; deleted elements made room). In a set with
   * timeouts the same element again takes its new timeout (`renew`: held
   * elements it replaces). Returns the elements to send; an error points at
   * the element.
   */
  private admit(t: TableState, s: SetDef, elems: SetDecl['elems'], create: boolean): { add: SetElem[]; renew: SetElem[] } {
    const els = this.elements(t, s, elems);
    const held = this.heldKeys(s);
    const sized = s.size !== undefined && !(s.flags & 2);
    const add: SetElem[] = [];
    const renew: SetElem[] = [];
    // Where each key went in `add`, for a timeout set's renewals (a big plain set needs no second map).
    const added = s.flags & 0x10 ? new Map<string, number>() : undefined;
    for (let k = 0; k < els.length; k++) {
      const e = els[k]!;
      const key = elemKey(e);
      const had = held.get(key);
      let errno: string | undefined;
      if (s.objMap && OBJECT_TYPES[t.objects.get(e.obj ?? '') ?? ''] !== s.objMap) errno = 'No such file or directory';
      else if (had !== undefined) errno = create || had !== elemData(e) ? 'File exists' : undefined;
      else if (sized && held.size >= s.size!) errno = 'Too many open files in system';
      if (errno) throw new CompileError(this.sourceOf(t, s, elems, k).key.span, `Could not process rule: ${errno}`);
      if (had !== undefined) {
        if (!added) continue;
        const at = added.get(key);
        if (at !== undefined) add[at] = e;
        else {
          renew.push(e);
          added.set(key, add.push(e) - 1);
        }
        continue;
      }
      held.set(key, elemData(e));
      added?.set(key, add.length);
      add.push(e);
    }
    return { add, renew };
  }

  /** The element of `elems` that made element `k` of their encoding (one may make several). */
  private sourceOf(t: TableState, s: SetDef, elems: SetDecl['elems'], k: number): SetDecl['elems'][number] {
    for (const el of elems) {
      k -= this.elements(t, s, [el]).length;
      if (k < 0) return el;
    }
    return elems[elems.length - 1]!;
  }

  private flushSet(s: SetDef): void {
    const iv = this.intervalSets.get(s);
    if (iv) {
      iv.all = [];
      iv.pending = [];
      iv.out.elements = [];
    }
    this.held.set(s, new Map());
    this.out.push({ k: 'flushSet', set: s });
  }

  /** `delete element` (kernel: nft_del_setelem; ENOENT for an element the set lacks, unless `destroy`). */
  private deleteElements(t: TableState, s: SetDef, elems: SetDecl['elems'], destroy: boolean): void {
    const iv = this.intervalSets.get(s);
    if (iv) {
      const built = iv.all.map((e) => JSON.stringify(this.elements(t, s, [e], true).map(elemKey)));
      for (const e of elems) {
        const k = JSON.stringify(this.elements(t, s, [e], true).map(elemKey));
        const at = built.indexOf(k);
        if (at < 0) {
          // nft holds an interval set's elements and checks itself.
          if (!destroy) throw new CompileError(e.key.span, `element does not exist`);
          continue;
        }
        built.splice(at, 1);
        iv.all.splice(at, 1);
      }
      iv.pending = iv.pending.filter((e) => iv.all.includes(e));
      iv.out.elements = iv.all.length ? this.elements(t, s, iv.all) : [];
      return;
    }
    const held = this.heldKeys(s);
    const gone: SetElem[] = [];
    for (const el of elems) {
      for (const e of this.elements(t, s, [el], true)) {
        if (!held.delete(elemKey(e))) {
          if (!destroy) throw new CompileError(el.key.span, `Could not process rule: No such file or directory`);
          continue;
        }
        gone.push(e);
      }
    }
    this.out.push({ k: 'delElements', set: s, elements: gone });
  }

  /** `interval overlaps with an existing one`: a new range that overlaps one the set holds (nft's check against the kernel's set). */
  private checkOverlap(t: TableState, s: SetDef, have: SetDecl['elems'], elems: SetDecl['elems']): void {
    if (s.autoMerge || s.flags & 0x80 || !have.length) return;
    const old = intervalRanges(this.elements(t, s, have));
    for (const e of elems) {
      for (const [lo, hi] of intervalRanges(this.elements(t, s, [e]))) {
        if (old.some(([a, b]) => lo < b && a < hi && !(a === lo && b === hi))) throw new CompileError(e.key.span, `interval overlaps with an existing one`);
      }
    }
  }

  private addElements(t: TableState, s: SetDef, elems: SetDecl['elems'], create = false): void {
    const iv = this.intervalSets.get(s);
    if (!iv) {
      const { add, renew } = this.admit(t, s, elems, create);
      if (renew.length) this.out.push({ k: 'delElements', set: s, elements: renew });
      this.out.push({ k: 'elements', set: s, elements: add });
      return;
    }
    // Only an earlier transaction's elements are the kernel's: within one file nft merges.
    if (this.committed.has(s)) this.checkOverlap(t, s, iv.all.filter((e) => this.committed.get(s)!.has(e)), elems);
    const batch = [...iv.pending, ...elems];
    iv.pending = [];
    iv.all.push(...elems);
    iv.out.elements = this.elements(t, s, iv.all);
    // An `add element` batch has no leading end element at zero.
    const els = this.elements(t, s, batch);
    if (els[0]?.flags === ELEM_INTERVAL_END) els.shift();
    this.out.push({ k: 'elements', set: s, elements: els });
  }

  private setDef(t: TableState, d: SetDecl): SetDef {
    if (!d.keyType) throw new CompileError(d.span, `set definition does not specify key`);
    const key = this.typeOf(t, d.keyType);
    let flags = 0;
    for (const f of d.flags) {
      const v = ({ constant: 2, interval: 4, timeout: 0x10, dynamic: 0x20 } as Record<string, number>)[f];
      if (v === undefined) throw new CompileError(d.span, `syntax error, unexpected string, expecting constant or interval or dynamic or timeout`);
      flags |= v;
    }
    if (d.timeout !== undefined) flags |= 0x10;
    if (d.map) flags |= 8;
    if (key.parts.length > 1 && flags & 4) flags |= 0x80;
    const def: SetDef = {
      name: d.name, table: t.name, family: t.family, flags, keyType: key.parts[0]!.type, keyBits: key.bits,
      keyParts: key.parts, elements: [], anonymous: false, size: d.size, timeout: d.timeout, gcInterval: d.gcInterval,
      policy: d.policy, comment: d.comment, autoMerge: d.autoMerge,
    };
    if (d.dataType) {
      const dt = this.typeOf(t, d.dataType);
      if (dt.parts[0]!.type.name === 'verdict') def.verdictMap = true;
      def.dataType = dt.parts[0]!.type;
      // A single value keeps its own width (`typeof ... : vlan id` data is 2 bytes, big-endian).
      def.dataBits = dt.parts.length > 1 ? dt.bits : dt.parts[0]!.bits;
      if (dt.parts.length > 1) def.dataParts = dt.parts;
      const obj = d.dataType.k === 'type' ? d.dataType.names[0]! : '';
      if (['counter', 'quota', 'limit'].includes(obj)) {
        def.flags = (def.flags & ~8) | 0x40;
        def.objMap = OBJECT_TYPES[obj];
      }
    }
    return def;
  }

  private typeOf(t: TableState, ts: SetDecl['keyType'] & object): { parts: { type: Datatype; bits: number }[]; bits: number } {
    if (ts.k === 'type') {
      const parts = ts.names.map((n) => {
        const st = SET_TYPE_NAMES[n];
        if (!st) throw new CompileError(ts.span, `unknown datatype ${n}`);
        return { type: datatype(st.type), bits: st.bits };
      });
      return { parts, bits: parts.reduce((a, p) => a + Math.ceil(p.bits / 32) * 32, 0) };
    }
    return typeofSpec(t, ts);
  }

  private elements(t: TableState, s: SetDef, elems: SetDecl['elems'], keysOnly = false): SetElem[] {
    if (keysOnly) elems = elems.map((e) => (e.data ? { ...e, data: undefined } : e));
    const rc = new RuleCompiler(t, { name: '', base: false });
    const parts = (s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }]).map((p) => {
      const len = Math.ceil(p.bits / 8);
      return { type: p.type, bits: p.bits, len, order: p.type.order, shift: 0, load() {}, hostNumeric: p.type.order === 'host' && !p.type.string, span: elems[0]!.span };
    });
    const data = s.dataType && !keysOnly ? { type: s.dataType, bits: s.dataBits ?? s.dataType.bits, verdict: !!s.verdictMap, obj: s.objMap, parts: s.dataParts } : undefined;
    const r = buildElements(rc, elems, parts, data, !!(s.flags & 4), s.autoMerge ? 'auto-merge' : 'named', { counter: !!SET_COUNTER.get(s) });
    return r.list;
  }
}

/**
 * The span of the object name in a command (`add rule ip t NAME ...`,
 * `add element ip t NAME { ... }`): the word after the family (if any) and
 * the table; with `which` = 'table', the table's. The command's span if it is not `word`.
 */
function wordSpan(span: Span, word: string, which: 'table' | 'name' = 'name'): Span {
  // Scanned in place, no slice or regex: Evaluator.cmd computes this for every rule command.
  const s = span.src.text;
  const starts: number[] = [];
  const ends: number[] = [];
  let p = span.start;
  while (starts.length < 6) {
    while (p < span.end && wordSep(s.charCodeAt(p))) p++;
    if (p >= span.end) break;
    starts.push(p);
    while (p < span.end && !wordSep(s.charCodeAt(p))) p++;
    ends.push(p);
  }
  let i = oneOf(s, starts, ends, 0, CMD_WORDS) ? 2 : 1;
  if (oneOf(s, starts, ends, i, FAMILY_WORDS)) i++;
  const k = which === 'table' ? i : i + 1;
  return isWord(s, starts, ends, k, word) ? { src: span.src, start: starts[k]!, end: starts[k]! + word.length } : span;
}

/** The first word of `span` after its verb and object that is `name` (a reset's table), or the span. */
function nameSpan(span: Span, name: string): Span {
  const words = [...span.src.text.slice(span.start, span.end).matchAll(/\S+/g)];
  const w = words.slice(2).find((m) => m[0] === name);
  return w ? { src: span.src, start: span.start + w.index!, end: span.start + w.index! + name.length } : span;
}

/** Whether word `k` of wordSpan's words is `w`. */
function isWord(s: string, starts: number[], ends: number[], k: number, w: string): boolean {
  return k < starts.length && ends[k]! - starts[k]! === w.length && s.startsWith(w, starts[k]!);
}

function oneOf(s: string, starts: number[], ends: number[], k: number, ws: readonly string[]): boolean {
  for (const w of ws) if (isWord(s, starts, ends, k, w)) return true;
  return false;
}

const CMD_WORDS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'rename'];
const FAMILY_WORDS = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** `{` or a character of the regex class `\s`: what separates wordSpan's words. */
function wordSep(c: number): boolean {
  if (c < 128) return c === 123 || c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `m` with key `from` renamed `to`, in the same place. */
export function renameKey<V>(m: Map<string, V>, from: string, to: string, f: (v: V) => V): Map<string, V> {
  return new Map([...m].map(([k, v]) => (k === from ? [to, f(v)] : [k, v])));
}

function hex(k: Uint8Array[]): string {
  return k.map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('')).join('');
}

/** [start, end) of every range of a built interval element list, as comparable hex strings ('~' past the top). */
function intervalRanges(list: SetElem[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.flags & ELEM_INTERVAL_END) continue;
    const end = list[i + 1];
    out.push([hex(e.key), end && end.flags & ELEM_INTERVAL_END ? hex(end.key) : '~']);
  }
  return out;
}

// ---------------------------------------------------------------------------
// rendering

/** Userdata bytes as libnftnl prints them: isprint() bytes raw, the rest as \\xNN. */
function udataBytes(b: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A comment TLV (type 0, length with the NUL, the text, NUL), escaped like udataBytes. */
function udataEscape(s: string): string {
  const b = new TextEncoder().encode(s);
  return udataBytes([0, b.length + 1, ...b, 0]);
}

function elementText(s: SetDef, e: SetElem): string {
  let t = `element ${e.key.map((k) => dataWords(k, '')).join(' ')} `;
  if (e.keyEnd) t += ` - ${e.keyEnd.map((k) => dataWords(k, '')).join(' ')} `;
  t += ' : ';
  if (e.verdict) t += `${verdictText(e.verdict)} `;
  else if (e.data) t += `${dataWords(e.data, '')} `;
  t += `${e.flags} [end]`;
  // Element userdata TLVs: comment (type 0), then flags (type 1, u32) marking an open interval.
  let ud = e.comment !== undefined ? udataEscape(e.comment) : '';
  if (e.open) ud += '\\x01\\x04\\x01\\x00\\x00\\x00';
  if (ud) t += `  userdata = { ${ud} }`;
  return t;
}

function setHeader(s: SetDef): string {
  let t = `${s.name} ${s.table} ${s.flags.toString(16)}`;
  if (s.timeout !== undefined) t += ` timeout ${s.timeout}ms`;
  if (s.gcInterval !== undefined) t += ` gc_interval ${s.gcInterval}ms`;
  if (s.policy === 'memory') t += ' policy 1';
  if (s.size) t += ` size ${s.size}`;
  return t;
}

function elementsBlock(s: SetDef, els: SetElem[]): string {
  if (!els.length) return s.emptyBatch ? `${s.name} ${s.table} 0\n` : '';
  return `${s.name} ${s.table} 0\n` + els.map((e) => '\t' + elementText(s, e)).join('') + '\n';
}

/** Renders outputs as `nft --debug=netlink` prints them. */
export function renderNetlink(outputs: Output[]): string {
  let o = '';
  for (const x of outputs) {
    switch (x.k) {
      case 'chain':
      case 'obj':
        o += x.text + '\n';
        break;
      case 'set':
        o += setHeader(x.set) + '\n' + elementsBlock(x.set, x.elements);
        break;
      case 'elements':
        o += elementsBlock(x.set, x.elements);
        break;
      case 'rule': {
        const r = x.rule;
        for (const s of r.anonSets) o += setHeader(s) + '\n' + elementsBlock(s, s.elements);
        o += `${r.family} ${r.table} ${r.chain}${r.position !== undefined ? ` ${r.position}` : ''}\n`;
        for (const i of r.insns) o += '  ' + printInsn(i) + '\n';
        if (r.comment !== undefined) o += `  userdata = { ${udataEscape(r.comment)} }\n`;
        else o += '\n';
        break;
      }
    }
  }
  return o;
}

/** Formats all diagnostics in nft's style. */
export function renderDiagnostics(ds: Diagnostic[]): string {
  return ds.map(formatDiagnostic).join('');
}

