// The history a live ruleset keeps (compiler/transaction.ts: the accepted
// transactions, replayed to build each whole load) without what no longer
// matters: a rule, an element (of interval sets too), a regular chain, a set
// or map, a named object added and later removed, with what only concerned
// it; a replacement replaced again. Each command dropped leaves the handles it
// took behind (a `handles` gap), so every handle after it stays the kernel's.
// `add chain ip t c; add rule ip t c accept; delete chain ip t c` → one gap of 2.
// The caller checks the result against the full history before using it.

import type { Cmd, Elem } from './ast.js';
import { elemKey, type SetDef, type SetElem } from './linearize.js';
import type { CompiledRule, Output } from './ruleset.js';
import { Replayer } from './list/state.js';

/**
 * Something made and later removed (a rule by handle, an element by key, a
 * chain, set or object by name) from the command that made it to the one
 * that removed it. It may go once it ended, nothing kept it, and every
 * command it requires goes.
 */
interface Life {
  /** Something that must stay made or removed it (a table block, a base chain), or a kept command refers to it. */
  kept: boolean;
  ended: boolean;
  /** Its number among the lives. */
  id: number;
}

/** Handles a command took from its table's counter (a command this file drops makes no table). */
interface Took {
  table: string;
  next: number;
}

/** A rule's life, with the `replace` that made what it is now (its command's number). */
type RuleLife = Life & { replaced?: number };

/**
 * What this file learnt of a command (flags by the command's number: its
 * place among the commands the outputs name).
 */
const CANDIDATE = 1;
/** A command whose outputs this file does not follow. */
const OPAQUE = 2;
/** An element command or set flush no output has yet shown the effect of. */
const UNSEEN = 4;
/** A command that goes with a chain, set or object (its own commands): only with it. */
const BOUND = 8;
/** A replacement made pointless by a later replacement or removal. */
const SUPERSEDED = 16;
/** A `replace rule` command. */
const REPLACE = 32;

/** Commands this file can drop: rule and element commands, and chain, set and object commands that make, remove, rename or flush. */
function droppableKind(c: Cmd): boolean {
  if (c.k === 'rule' || c.k === 'element') return true;
  if (c.k === 'chain' || c.k === 'set' || c.k === 'obj') return c.op !== 'list' && c.op !== 'reset';
  return false;
}

/** The text of an element's key (`10.1.0.0/16`), or undefined when it may mean something else elsewhere (`$net`). */
function keyText(e: Elem): string | undefined {
  const text = e.key.span.src.text.slice(e.key.span.start, e.key.span.end).trim();
  return text && !text.includes('$') ? text : undefined;
}

/**
 * How an interval set's element texts become ranges: IPv4 addresses, prefixes and ranges by their
 * numbers (`10.1.0.0/16` is `10.1.0.0-10.1.255.255`); other keys by what `add element` of the text
 * alone output.
 */
function rangesOf(s: SetDef): Map<string, string> | 'ipv4' {
  return s.keyType.name === 'ipv4_addr' && (s.keyParts?.length ?? 1) === 1 ? 'ipv4' : new Map();
}

/** `10.1.0.0/16`, `10.1.0.0-10.1.255.255` or `10.1.0.1` as `first-last`; undefined for anything else (host bits in a prefix too). */
function ipv4Range(text: string): string | undefined {
  const num = (a: string) => {
    // (Octets with leading zeros may be read as octal: left alone.)
    const b = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(a)?.slice(1).map(Number);
    return b && b.every((x) => x < 256) ? b.reduce((n, x) => n * 256 + x, 0) : undefined;
  };
  const [a, b] = text.split(/\s*-\s*/);
  const [addr, len] = a!.split('/');
  const lo = num(addr!);
  if (lo === undefined || (b !== undefined && len !== undefined)) return undefined;
  if (b !== undefined) {
    const hi = num(b);
    return hi !== undefined && lo <= hi ? `${lo}-${hi}` : undefined;
  }
  if (len === undefined) return `${lo}-${lo}`;
  const size = /^(0|[1-9]\d?)$/.test(len) && +len <= 32 ? 2 ** (32 - +len) : 0;
  return size && lo % size === 0 ? `${lo}-${lo + size - 1}` : undefined;
}

/** What a rule or element names: a chain (jumps, gotos, verdict maps), a set (lookups, maps, dynsets) or an object (objrefs, object maps). */
type RefKind = 'chain' | 'set' | 'obj';

/** Calls `f` with each chain, set and object the instructions or the elements name. */
function eachRef(insns: CompiledRule['insns'], elements: SetElem[], f: (kind: RefKind, name: string) => void): void {
  for (const i of insns) {
    if (i.op === 'immediate_verdict' && i.v.chain !== undefined) f('chain', i.v.chain);
    else if (i.op === 'lookup' || i.op === 'dynset' || i.op === 'objref_map') f('set', i.set);
    else if (i.op === 'objref') f('obj', i.name);
  }
  for (const e of elements) {
    if (e.verdict?.chain !== undefined) f('chain', e.verdict.chain);
    if (e.obj !== undefined) f('obj', e.obj);
  }
}

/**
 * Whether every command the outputs name is one of the parts' (the compiler
 * goes through the parts in order, so a walk of both is enough: a small part
 * is searched, a large one looked up).
 */
function ofParts(parts: Cmd[][], outputs: Output[]): boolean {
  let k = 0;
  let big: Set<Cmd> | undefined;
  const holds = (c: Cmd) => {
    const p = parts[k]!;
    if (p.length <= 16) return p.includes(c);
    big ??= new Set(p);
    return big.has(c);
  };
  for (const o of outputs) {
    if (o.k !== 'cmd') continue;
    while (k < parts.length && !holds(o.cmd)) {
      k++;
      big = undefined;
    }
    if (k === parts.length) return false;
  }
  return true;
}

/**
 * `parts` without the commands whose effect later commands undid, or
 * undefined when there are none. `outputs` are the compiler's outputs of
 * exactly these parts (they name each command, then what it made).
 */
export function pruneHistory(parts: Cmd[][], outputs: Output[]): Cmd[][] | undefined {
  const inBlock = new Set<Cmd>();
  let droppable = false;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c.k === 'table' && c.block) for (let j = 1; j <= (c.body ?? 0); j++) inBlock.add(p[i + j]!);
      else if (!droppable && droppableKind(c) && !inBlock.has(c)) droppable = true;
    }
  }
  // Nothing but what stays (a ruleset just loaded, in table blocks): nothing to go by either.
  if (!droppable) return undefined;
  // Outputs of another history (commit's compaction shortened the parts): nothing to go by.
  if (!ofParts(parts, outputs)) return undefined;
  /** The commands the outputs name, in order (a command's number is its place here), and what is known of each. */
  const seen: Cmd[] = [];
  const flags: number[] = [];
  let cmd: Cmd | undefined;
  /** The current command's number. */
  let cur = -1;
  /** The number of `c`, which is always the command whose outputs are being read. */
  const at = (c: Cmd | undefined) => {
    if (c === undefined) return undefined;
    if (c !== cmd) throw new Error('pruneHistory: a command other than the current one');
    return cur;
  };
  /** A command (by number) this file can drop: droppable, not in a table block nor made where its table did not exist yet. */
  const candidate = (i: number | undefined): i is number => i !== undefined && (flags[i]! & CANDIDATE) !== 0;
  const mark = (c: Cmd | undefined, flag: number, on = true) => {
    const i = at(c);
    if (i !== undefined) flags[i] = on ? flags[i]! | flag : flags[i]! & ~flag;
  };

  // What goes only if what it requires goes, as numbered nodes: command i is 2i, life j is 2j + 1.
  // `joins` are pairs that go only together, `needs` pairs (x, y) where x goes only if y goes.
  const joins: number[] = [];
  const needs: number[] = [];
  const lifeList: Life[] = [];
  const newLife = (kept = false): RuleLife => {
    const l = { kept, ended: false, id: lifeList.length };
    lifeList.push(l);
    return l;
  };
  /** A life this file cannot follow from its start: it stays. */
  const keptLife = () => newLife(true);
  /** Command `i` is one of the life's own commands: each goes only with the other. */
  const joinAt = (life: Life, i: number | undefined) => {
    if (!candidate(i)) life.kept = true;
    else joins.push(2 * life.id + 1, 2 * i);
  };
  const join = (life: Life, c: Cmd | undefined) => joinAt(life, at(c));
  /** Command `i` concerned the life: the life goes only with it (`c` may go on its own). */
  const needAt = (life: Life, i: number | undefined) => {
    if (!candidate(i)) life.kept = true;
    // (A kept life never goes: nothing to take away when `c` cannot go.)
    else if (!life.kept) needs.push(2 * life.id + 1, 2 * i);
  };
  const need = (life: Life, c: Cmd | undefined) => needAt(life, at(c));
  const end = (life: Life, c: Cmd | undefined) => {
    join(life, c);
    life.ended = true;
  };
  const rules = new Map<string, RuleLife>();
  /** Element lives by table, set and element key. */
  const elements = new Map<string, Map<string, Map<string, Life>>>();
  /** Chains, sets and objects by `family table name`. */
  const chains = new Map<string, Life>();
  const sets = new Map<string, Life>();
  const objs = new Map<string, Life>();
  /**
   * Interval sets' elements in the compiler's order (an `add` appends; a `delete` takes the first of the
   * same range): each with its key's text and, when one `add element` of it alone made it, its life;
   * `ranges` are what the texts seen added alone became (an element's range is its output). Undefined:
   * lost track (`add set` of an existing set, a deletion this file cannot place) until a flush.
   */
  const intervals = new Map<string, { held: { text?: string; life?: Life }[]; ranges: Map<string, string> | 'ipv4'; pending: boolean } | undefined>();
  /** The interval set under `key` is followed no more: what it holds stays. */
  const lose = (key: string) => {
    for (const h of intervals.get(key)?.held ?? []) if (h.life) h.life.kept = true;
    intervals.set(key, undefined);
  };
  /** `c` deletes elements of the interval set under `key`: each takes the first held one of its range. */
  const deleteInterval = (key: string, c: Cmd & { k: 'element' }) => {
    const iv = intervals.get(key);
    const rangeOf = (text: string | undefined) => (text === undefined || !iv ? undefined : iv.ranges === 'ipv4' ? ipv4Range(text) : iv.ranges.get(text));
    const placed = !!iv && c.elems.every((e) => {
      const range = rangeOf(keyText(e));
      if (range === undefined) return false;
      const at = iv.held.findIndex((h) => {
        const r = rangeOf(h.text);
        return r === range || r === undefined;
      });
      // `destroy` of what the set does not hold changes nothing; it stays.
      if (at < 0 && c.op === 'destroy') end(keptLife(), c);
      if (at < 0) return c.op === 'destroy';
      if (rangeOf(iv.held[at]!.text) === undefined) return false;
      // One that a command of more elements made stays, and so does the deletion.
      end(iv.held.splice(at, 1)[0]!.life ?? keptLife(), c);
      return true;
    });
    if (placed) mark(c, UNSEEN, false);
    else lose(key);
  };
  /** Interval sets removed with the set or table: what they held ends with it. */
  const dropIntervals = (gone: (k: string) => boolean) => {
    for (const [k, iv] of [...intervals]) {
      if (!gone(k)) continue;
      for (const h of iv?.held ?? []) if (h.life) h.life.ended = true;
      intervals.delete(k);
    }
  };
  /** Set commands that made their set. */
  const made = new Set<Cmd>();
  /** Chains `destroy chain` removed: the compiler knows their names until a table removal or `delete chain`. */
  const destroyed = new Set<string>();
  /** The life of what `key` names now; a fresh kept one when this file did not see it made. */
  const named = (m: Map<string, Life>, key: string) => m.get(key) ?? keptLife();
  const ruleLife = (t: string, h: number) => {
    let l = rules.get(`${t} ${h}`);
    // A rule made where this file cannot follow it: kept.
    if (!l) rules.set(`${t} ${h}`, (l = keptLife()));
    return l;
  };
  /** A rule removed: by `c` (which then goes only with it), or by something that removed more (`c` undefined). */
  const endRule = (key: string, c?: Cmd) => {
    const l = rules.get(key) ?? keptLife();
    if (l.replaced !== undefined) flags[l.replaced]! |= SUPERSEDED;
    if (c) end(l, c);
    else l.ended = true;
    rules.delete(key);
  };
  const setLives = (t: string, s: string) => {
    let byTable = elements.get(t);
    if (!byTable) elements.set(t, (byTable = new Map()));
    let m = byTable.get(s);
    if (!m) byTable.set(s, (m = new Map()));
    return m;
  };
  const endSet = (t: string, s: string, c?: Cmd) => {
    for (const l of elements.get(t)?.get(s)?.values() ?? []) {
      if (c) end(l, c);
      else l.ended = true;
    }
    elements.get(t)?.delete(s);
  };
  /** Commands that name chains, sets or objects (in table `t`) with their instructions or elements: what they name goes only with them. */
  const refer = (t: string, c: Cmd | undefined, insns: CompiledRule['insns'], elements: SetElem[]) => {
    eachRef(insns, elements, (kind, n) => need(named(kind === 'chain' ? chains : kind === 'set' ? sets : objs, `${t} ${n}`), c));
  };

  const rp = new Replayer(new Map(), 0);
  /** Handles the commands took (those that took none are not in it). */
  const took = new Map<Cmd, Took>();
  /** The current command's table (`family name`) and its handle counter before it. */
  let cmdTable: string | undefined;
  let before = 0;
  // A command whose outputs this file does not follow (OPAQUE) stays, unless it goes with the set it concerned;
  // so do element commands and set flushes no output has yet shown the effect of (UNSEEN: an interval set's have none).
  /** Element commands and set flushes (by number) with the set they concerned (tied to it once it is known whether they are followed). */
  const ofSetCmd: number[] = [];
  const ofSetLife: Life[] = [];
  /** `family table` keys, made once per pair. */
  const tableKeys = new Map<string, Map<string, string>>();
  const keyOf = (family: string, table: string) => {
    let byName = tableKeys.get(family);
    if (!byName) tableKeys.set(family, (byName = new Map()));
    let key = byName.get(table);
    if (key === undefined) byName.set(table, (key = `${family} ${table}`));
    return key;
  };
  const tableKey = (c: Cmd) => ('table' in c && typeof c.table === 'string' ? keyOf(c.family, c.table) : undefined);
  const counter = (table: string | undefined) => (table && rp.tables.get(table)?.next) || 0;
  const close = () => {
    if (!cmd) return;
    const next = counter(cmdTable) - before;
    if (cmdTable && next) took.set(cmd, { table: cmdTable, next });
  };
  /** `c` is one of the own commands of the life `m` has under `key`. */
  const own = (m: Map<string, Life>, key: string, c: Cmd) => {
    join(named(m, key), c);
    mark(c, BOUND);
  };
  /** What leaves with a table or a family's ruleset (`gone` says which tables) ends without the command that removed it. */
  const removeTables = (gone: (k: string) => boolean, whole: boolean) => {
    for (const k of [...rules.keys()]) if (gone(k.slice(0, k.lastIndexOf(' ')))) endRule(k);
    if (!whole) return;
    for (const [k, byTable] of elements) if (gone(k)) for (const s of [...byTable.keys()]) endSet(k, s);
    const inGone = (k: string) => gone(k.split(' ', 2).join(' '));
    for (const m of [chains, sets, objs]) {
      for (const [k, l] of [...m]) {
        if (!inGone(k)) continue;
        l.ended = true;
        m.delete(k);
      }
    }
    for (const k of [...destroyed]) if (inGone(k)) destroyed.delete(k);
    dropIntervals(inGone);
  };

  /**
   * An interval set's output. The compiler merges and splits ranges, so only an `add element` of one
   * element is followed (its output is the range), until a delete of the same key text takes it;
   * a declaration's elements, flushes and the rest stay.
   */
  const interval = (o: Output & { set: SetDef }, c: Cmd | undefined, foreign: boolean) => {
    const t = `${o.set.family} ${o.set.table}`;
    const key = `${t} ${o.set.name}`;
    mark(c, OPAQUE);
    for (const l of elements.get(t)?.get(o.set.name)?.values() ?? []) l.kept = true;
    const iv = intervals.get(key);
    if (o.k === 'flushSet' && !foreign) {
      lose(key);
      intervals.set(key, { held: [], ranges: iv?.ranges ?? rangesOf(o.set), pending: false });
    } else if (o.k === 'set') {
      if (c?.k !== 'set' || !made.has(c)) lose(key);
      else intervals.set(key, { held: c.set.elems.map((e) => ({ text: keyText(e) })), ranges: rangesOf(o.set), pending: c.set.elems.length > 0 });
    } else if (o.k === 'elements' && iv && c?.k === 'set' && c.op !== 'flush') {
      // `add set` of a set an earlier transaction made adds the declaration's elements, as an `add element` would.
      iv.held.push(...c.set.elems.map((e) => ({ text: keyText(e) })));
      iv.pending = false;
    } else if (o.k !== 'elements' || foreign || !iv || c?.k !== 'element') lose(key);
    else {
      const texts = c.elems.map(keyText);
      // (The first `add` after a declaration also carries the declaration's elements.)
      if (c.elems.length === 1 && texts[0] !== undefined && !iv.pending) {
        const life = newLife();
        join(life, c);
        iv.held.push({ text: texts[0], life });
        if (iv.ranges !== 'ipv4') iv.ranges.set(texts[0], o.elements.map(elemKey).join(' '));
        mark(c, OPAQUE, false);
      } else iv.held.push(...texts.map((text) => ({ text })));
      iv.pending = false;
    }
  };

  for (const o of outputs) {
    if (o.k === 'cmd') {
      close();
      const c = o.cmd;
      cmd = c;
      cur = seen.length;
      seen.push(c);
      const t = tableKey(c);
      cmdTable = t;
      before = counter(t);
      const tab = t ? rp.tables.get(t) : undefined;
      // Chain, set and object commands made where their table did not exist yet stay.
      const newTable = (c.k === 'chain' || c.k === 'set' || c.k === 'obj') && !tab;
      let f = droppableKind(c) && !inBlock.has(c) && !newTable ? CANDIDATE : 0;
      if (c.k === 'element' || (c.k === 'set' && c.op === 'flush')) f |= UNSEEN;
      if (c.k === 'rule' && c.op === 'replace') f |= REPLACE;
      flags.push(f);
      if (c.k === 'rule') {
        need(named(chains, `${t} ${c.chain}`), c);
        if (c.op === 'delete') endRule(`${t} ${c.handle}`, c);
        else {
          // A rule placed by another one's handle needs that one; by index, every rule before it.
          const ref = c.position ?? c.handle;
          if (ref !== undefined && c.op !== 'replace') need(ruleLife(t!, ref), c);
          if (c.index !== undefined) for (const r of tab?.chains.get(c.chain)?.rules ?? []) need(ruleLife(t!, r.handle), c);
        }
      } else if (c.k === 'chain') {
        const key = `${t} ${c.chain.name}`;
        if (c.op === 'add' || c.op === 'create') {
          // A chain made here; `add chain` of an existing one changes it, and goes only with it. Base chains stay.
          // One made where a destroyed chain was stays: the compiler still knew the name, and its removal is what forgot it.
          if (!tab?.chains.has(c.chain.name)) chains.set(key, newLife(destroyed.delete(key)));
          own(chains, key, c);
          if (c.chain.hook) named(chains, key).kept = true;
        } else if (c.op === 'delete' || c.op === 'destroy' || c.op === 'rename') {
          const l = named(chains, key);
          own(chains, key, c);
          chains.delete(key);
          // A renamed chain stays: the replay renames the jumps of rules made before, so their names
          // no longer say which chain they meant. The compiler keeps a destroyed chain's name: a
          // history without it would compile differently.
          if (c.op !== 'delete') l.kept = true;
          if (c.op === 'destroy') destroyed.add(key);
          else destroyed.delete(key);
          if (c.op === 'rename') chains.set(`${t} ${c.newName}`, l);
          else {
            l.ended = true;
            for (const r of tab?.chains.get(c.chain.name)?.rules ?? []) endRule(`${t} ${r.handle}`);
          }
        } else {
          need(named(chains, key), c);
          if (c.op === 'flush') for (const r of tab?.chains.get(c.chain.name)?.rules ?? []) endRule(`${t} ${r.handle}`, c);
        }
      } else if (c.k === 'set') {
        const key = `${t} ${c.set.name}`;
        if (c.op === 'add' || c.op === 'create') {
          if (!tab?.sets.has(c.set.name)) {
            sets.set(key, newLife());
            made.add(c);
          }
          own(sets, key, c);
        } else if (c.op === 'delete' || c.op === 'destroy') {
          const l = named(sets, key);
          own(sets, key, c);
          l.ended = true;
          sets.delete(key);
          endSet(t!, c.set.name);
          dropIntervals((k) => k === key);
        } else if (c.op === 'flush') {
          ofSetCmd.push(cur);
          ofSetLife.push(named(sets, key));
        }
        else need(named(sets, key), c);
      } else if (c.k === 'element') {
        const key = `${t} ${c.set}`;
        ofSetCmd.push(cur);
        ofSetLife.push(named(sets, key));
        // An interval set's deletion has no output.
        if ((c.op === 'delete' || c.op === 'destroy') && (tab?.sets.get(c.set)?.def.flags ?? 0) & 4) deleteInterval(key, c);
      }
      else if (c.k === 'obj') {
        const key = `${t} ${c.obj.name}`;
        const same = (x: { decl: { name: string } }) => x.decl.name === c.obj.name;
        if (c.op === 'add' || c.op === 'create') {
          if (!tab?.objs.some(same)) objs.set(key, newLife());
          own(objs, key, c);
        } else if (c.op === 'delete' || c.op === 'destroy') {
          const l = named(objs, key);
          own(objs, key, c);
          // Gone once no object of any type has the name.
          if (!tab?.objs.some((x) => same(x) && x.decl.type !== c.obj.type)) {
            l.ended = true;
            objs.delete(key);
          }
        } else need(named(objs, key), c);
      } else if (c.k === 'reset') {
        if (c.table !== undefined && c.name !== undefined) need(named(objs, `${c.family} ${c.table} ${c.name}`), c);
      } else if ((c.k === 'table' && (c.op === 'delete' || c.op === 'destroy' || c.op === 'flush')) || c.k === 'flushRuleset') {
        const gone = (k: string) => (c.k === 'table' ? k === `${c.family} ${c.name}` : !c.family || k.startsWith(`${c.family} `));
        removeTables(gone, c.k !== 'table' || c.op !== 'flush');
      }
      rp.feed(o);
      continue;
    }
    const c = cmd;
    if (o.k === 'rule') {
      const r = o.rule;
      const t = keyOf(r.family, r.table);
      const next = rp.tables.get(t)?.next ?? 1;
      rp.feed(o);
      refer(t, c, r.insns, []);
      for (const s of r.anonSets) refer(t, c, [], s.elements);
      if (c?.k === 'rule' && c.op === 'replace') {
        const l = ruleLife(t, c.handle!);
        if (l.replaced !== undefined) flags[l.replaced]! |= SUPERSEDED;
        l.replaced = cur;
      } else {
        // Rules of an `add chain ... { ... }` go only with that command. A rule no command of which
        // can go has no life here: a rule without one is kept (ruleLife, endRule).
        const by = at(c?.k === 'rule' || c?.k === 'chain' ? c : undefined);
        if (candidate(by)) {
          const l = newLife();
          joinAt(l, by);
          rules.set(`${t} ${next + r.anonSets.length}`, l);
        }
      }
      continue;
    }
    if (o.k === 'elements' || o.k === 'delElements' || o.k === 'flushSet' || o.k === 'set') {
      const s = o.set;
      const t = keyOf(s.family, s.table);
      if (o.k === 'elements' || o.k === 'set') refer(t, c, [], o.elements);
      // Another kind of command (`add set` of an existing set adds its elements) stays, or goes with its set;
      // the elements it touched go only with it.
      const foreign = o.k !== 'set' && c?.k !== (o.k === 'flushSet' ? 'set' : 'element');
      if (foreign) mark(c, OPAQUE);
      else if (o.k !== 'set') mark(c, UNSEEN, false);
      if (s.flags & 4) interval(o, c, foreign);
      else if (o.k === 'flushSet') endSet(t, s.name, c);
      else if (o.k === 'delElements') {
        const m = setLives(t, s.name);
        for (const e of o.elements) {
          const k = elemKey(e);
          end(m.get(k) ?? keptLife(), c);
          m.delete(k);
        }
      } else {
        const m = setLives(t, s.name);
        for (const e of o.elements) {
          const k = elemKey(e);
          let l = m.get(k);
          if (!l) m.set(k, (l = newLife()));
          // A declaration's elements go only with it.
          join(l, o.k === 'elements' || c?.k === 'set' ? c : undefined);
        }
      }
    } else if (!(o.k === 'chain' && c?.k === 'chain') && !(o.k === 'obj' && c?.k === 'obj')) mark(c, OPAQUE);
    rp.feed(o);
  }
  close();

  const followed = (i: number) => (flags[i]! & (OPAQUE | UNSEEN)) === 0;
  // An element command or set flush this file follows may go on its own; one it does not, only with its set.
  for (let k = 0; k < ofSetCmd.length; k++) {
    const i = ofSetCmd[k]!;
    const l = ofSetLife[k]!;
    if (followed(i)) needAt(l, i);
    else {
      joinAt(l, i);
      flags[i]! |= BOUND;
    }
  }

  // What may go: superseded replacements, and every command and life all of whose requirements may go
  // (the largest such sets: take away what cannot go, then what requires it, until nothing changes).
  // What goes only together is one node (the root of its union-find tree).
  const n = 2 * Math.max(seen.length, lifeList.length);
  const parent = new Int32Array(n);
  for (let x = 0; x < n; x++) parent[x] = x;
  const root = (x: number) => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const up = parent[x]!;
      parent[x] = r;
      x = up;
    }
    return r;
  };
  for (let k = 0; k < joins.length; k += 2) {
    const a = root(joins[k]!);
    const b = root(joins[k + 1]!);
    if (a !== b) parent[a] = b;
  }
  const goes = new Uint8Array(n).fill(1);
  // (A replacement goes only when superseded: it belongs to no life.)
  for (let i = 0; i < seen.length; i++) {
    const f = flags[i]!;
    const may = (f & CANDIDATE) !== 0 && (followed(i) || (f & BOUND) !== 0) && ((f & REPLACE) === 0 || (f & SUPERSEDED) !== 0);
    if (!may) goes[root(2 * i)] = 0;
  }
  for (let j = 0; j < lifeList.length; j++) {
    const l = lifeList[j]!;
    if (!l.ended || l.kept) goes[root(2 * j + 1)] = 0;
  }
  for (let x = 2 * seen.length; x < n; x += 2) goes[root(x)] = 0;
  for (let x = 2 * lifeList.length + 1; x < n; x += 2) goes[root(x)] = 0;
  // `users` of y: the x of each need (x, y), by root, as one array (`from` indexes it by y).
  const from = new Int32Array(n + 1);
  for (let k = 0; k < needs.length; k += 2) from[root(needs[k + 1]!) + 1]!++;
  for (let x = 0; x < n; x++) from[x + 1]! += from[x]!;
  const users = new Int32Array(needs.length / 2);
  const fill = from.slice(0, n);
  for (let k = 0; k < needs.length; k += 2) users[fill[root(needs[k + 1]!)]!++] = root(needs[k]!);
  const work: number[] = [];
  for (let x = 0; x < n; x++) if (parent[x] === x && !goes[x] && from[x + 1]! > from[x]!) work.push(x);
  while (work.length) {
    const x = work.pop()!;
    for (let k = from[x]!; k < from[x + 1]!; k++) {
      const u = users[k]!;
      if (!goes[u]) continue;
      goes[u] = 0;
      work.push(u);
    }
  }
  const gone = new Set<Cmd>();
  for (let i = 0; i < seen.length; i++) if (goes[root(2 * i)]) gone.add(seen[i]!);
  if (!gone.size) return undefined;

  // The parts again: a gap for the handles of what went. A part left with only its boundary and gaps
  // joins the next part's boundary (nothing happens between the two).
  type Handles = Cmd & { k: 'handles' };
  const add = (into: Handles, x: Handles) => {
    into.tables += x.tables;
    for (const [k, n] of Object.entries(x.perTable)) into.perTable[k] = (into.perTable[k] ?? 0) + n;
  };
  const out: Cmd[][] = [];
  let carry: Handles | undefined;
  for (const [i, p] of parts.entries()) {
    const b = p[0];
    if (b?.k !== 'handles' || b.gap) return undefined;
    // (Only a carry changes a boundary; the parts stay as they were.)
    const boundary: Handles = carry ? { ...b, perTable: { ...b.perTable } } : b;
    if (carry) add(boundary, carry);
    const kept: Cmd[] = [boundary];
    for (let j = 1; j < p.length; j++) {
      const c = p[j]!;
      if (!gone.has(c)) {
        // (A gap of an earlier pruning may grow: a copy, so that `parts` stay as they were.)
        kept.push(c.k === 'handles' && c.gap ? { ...c, perTable: { ...c.perTable } } : c);
        continue;
      }
      const h = took.get(c);
      if (!h) continue;
      const gap: Handles = { k: 'handles', gap: true, tables: 0, perTable: { [h.table]: h.next }, span: c.span };
      const last = kept[kept.length - 1]!;
      if (last.k === 'handles' && last.gap) add(last, gap);
      else kept.push(gap);
    }
    carry = undefined;
    if (i < parts.length - 1 && kept.every((c) => c.k === 'handles')) {
      carry = { k: 'handles', tables: 0, perTable: {}, span: b.span };
      for (const c of kept) add(carry, c as Handles);
      continue;
    }
    out.push(kept);
  }
  return out;
}
