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
}

/** Handles a command took from its table's counter (a command this file drops makes no table). */
interface Took {
  table?: string;
  next: number;
}

/** A rule's life, with the `replace` that made what it is now. */
type RuleLife = Life & { replaced?: Cmd };

/** What goes only if everything it requires goes: a command or a life. */
type Node = Cmd | Life;

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

/** Chains (jumps, gotos, verdict maps), sets (lookups, maps, dynsets) and objects (objrefs, object maps) a rule or elements name. */
function refsOf(insns: CompiledRule['insns'], elements: SetElem[]): { chains: string[]; sets: string[]; objs: string[] } {
  const out = { chains: [] as string[], sets: [] as string[], objs: [] as string[] };
  for (const i of insns) {
    if (i.op === 'immediate_verdict' && i.v.chain !== undefined) out.chains.push(i.v.chain);
    else if (i.op === 'lookup' || i.op === 'dynset' || i.op === 'objref_map') out.sets.push(i.set);
    else if (i.op === 'objref') out.objs.push(i.name);
  }
  for (const e of elements) {
    if (e.verdict?.chain !== undefined) out.chains.push(e.verdict.chain);
    if (e.obj !== undefined) out.objs.push(e.obj);
  }
  return out;
}

/**
 * `parts` without the commands whose effect later commands undid, or
 * undefined when there are none. `outputs` are the compiler's outputs of
 * exactly these parts (they name each command, then what it made).
 */
export function pruneHistory(parts: Cmd[][], outputs: Output[]): Cmd[][] | undefined {
  const inBlock = new Set<Cmd>();
  const all = new Set(parts.flat());
  // Outputs of another history (commit's compaction shortened the parts): nothing to go by.
  if (outputs.some((o) => o.k === 'cmd' && !all.has(o.cmd))) return undefined;
  for (const p of parts) {
    p.forEach((c, i) => {
      if (c.k === 'table' && c.block) for (let j = 1; j <= (c.body ?? 0); j++) inBlock.add(p[i + j]!);
    });
  }
  /** Chain, set and object commands made where their table did not exist yet. */
  const newTable = new Set<Cmd>();
  const candidate = (c: Cmd | undefined): c is Cmd => !!c && droppableKind(c) && !inBlock.has(c) && !newTable.has(c);

  // What goes only if what it requires goes: `users` are the edges back, from what is required to what requires it.
  const users = new Map<Node, Node[]>();
  const lifeList: Life[] = [];
  const require = (from: Node, to: Node) => {
    let u = users.get(to);
    if (!u) users.set(to, (u = []));
    u.push(from);
  };
  const newLife = (kept = false): RuleLife => {
    const l = { kept, ended: false };
    lifeList.push(l);
    return l;
  };
  /** A life this file cannot follow from its start: it stays. */
  const keptLife = () => newLife(true);
  /** `c` is one of the life's own commands: each goes only with the other. */
  const join = (life: Life, c: Cmd | undefined) => {
    if (!candidate(c)) {
      life.kept = true;
      return;
    }
    require(life, c);
    require(c, life);
  };
  /** `c` concerned the life: the life goes only with it (`c` may go on its own). */
  const need = (life: Life, c: Cmd | undefined) => {
    if (!candidate(c)) life.kept = true;
    // (A kept life never goes: nothing to take away when `c` cannot go.)
    else if (!life.kept) require(life, c);
  };
  const end = (life: Life, c: Cmd | undefined) => {
    join(life, c);
    life.ended = true;
  };
  /** Replacements made pointless by a later replacement or removal (whatever else happens to their rule). */
  const superseded = new Set<Cmd>();
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
    if (placed) unseen.delete(c);
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
    if (l.replaced) superseded.add(l.replaced);
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
  /** Commands that name `refs` (in table `t`): what they name goes only with them. */
  const refer = (t: string, c: Cmd | undefined, refs: ReturnType<typeof refsOf>) => {
    for (const n of refs.chains) need(named(chains, `${t} ${n}`), c);
    for (const n of refs.sets) need(named(sets, `${t} ${n}`), c);
    for (const n of refs.objs) need(named(objs, `${t} ${n}`), c);
  };

  const rp = new Replayer(new Map(), 0);
  const took = new Map<Cmd, Took>();
  let cmd: Cmd | undefined;
  let before: Took = { next: 0 };
  /** A command whose outputs this file does not follow: it stays, unless it goes with the set it concerned. */
  const opaque = new Set<Cmd>();
  /** Element commands and set flushes no output has yet shown the effect of (an interval set's have none): likewise. */
  const unseen = new Set<Cmd>();
  /** Element commands and set flushes with the set they concerned (tied to it once it is known whether they are followed). */
  const ofSet: [Cmd, Life][] = [];
  /** Commands that go with a chain, set or object (its own commands): only with it. */
  const bound = new Set<Cmd>();
  const tableKey = (c: Cmd) => ('table' in c && typeof c.table === 'string' ? `${c.family} ${c.table}` : undefined);
  const counters = (c: Cmd | undefined): Took => {
    const table = c && tableKey(c);
    return { table, next: (table && rp.tables.get(table)?.next) || 0 };
  };
  const close = () => {
    if (!cmd) return;
    const after = counters(cmd);
    took.set(cmd, { table: after.table, next: after.next - before.next });
  };
  /** `c` is one of the own commands of the life `m` has under `key`. */
  const own = (m: Map<string, Life>, key: string, c: Cmd) => {
    join(named(m, key), c);
    bound.add(c);
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
    if (c) opaque.add(c);
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
        opaque.delete(c);
      } else iv.held.push(...texts.map((text) => ({ text })));
      iv.pending = false;
    }
  };

  for (const o of outputs) {
    if (o.k === 'cmd') {
      close();
      const c = o.cmd;
      cmd = c;
      before = counters(c);
      const t = tableKey(c);
      const tab = t ? rp.tables.get(t) : undefined;
      if ((c.k === 'chain' || c.k === 'set' || c.k === 'obj') && !tab) newTable.add(c);
      if (c.k === 'element' || (c.k === 'set' && c.op === 'flush')) unseen.add(c);
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
        } else if (c.op === 'flush') ofSet.push([c, named(sets, key)]);
        else need(named(sets, key), c);
      } else if (c.k === 'element') {
        const key = `${t} ${c.set}`;
        ofSet.push([c, named(sets, key)]);
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
      const t = `${r.family} ${r.table}`;
      const next = rp.tables.get(t)?.next ?? 1;
      rp.feed(o);
      refer(t, c, refsOf(r.insns, r.anonSets.flatMap((s) => s.elements)));
      if (c?.k === 'rule' && c.op === 'replace') {
        const l = ruleLife(t, c.handle!);
        if (l.replaced) superseded.add(l.replaced);
        l.replaced = c;
      } else {
        const l = newLife();
        // Rules of an `add chain ... { ... }` go only with that command.
        join(l, c?.k === 'rule' || c?.k === 'chain' ? c : undefined);
        rules.set(`${t} ${next + r.anonSets.length}`, l);
      }
      continue;
    }
    if (o.k === 'elements' || o.k === 'delElements' || o.k === 'flushSet' || o.k === 'set') {
      const s = o.set;
      const t = `${s.family} ${s.table}`;
      if (o.k === 'elements' || o.k === 'set') refer(t, c, refsOf([], o.elements));
      // Another kind of command (`add set` of an existing set adds its elements) stays, or goes with its set;
      // the elements it touched go only with it.
      const foreign = o.k !== 'set' && c?.k !== (o.k === 'flushSet' ? 'set' : 'element');
      if (foreign && c) opaque.add(c);
      else if (o.k !== 'set') unseen.delete(c!);
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
    } else if (!(o.k === 'chain' && c?.k === 'chain') && !(o.k === 'obj' && c?.k === 'obj') && c) opaque.add(c);
    rp.feed(o);
  }
  close();

  const followed = (c: Cmd) => !opaque.has(c) && !unseen.has(c);
  // An element command or set flush this file follows may go on its own; one it does not, only with its set.
  for (const [c, l] of ofSet) {
    if (followed(c)) need(l, c);
    else {
      join(l, c);
      bound.add(c);
    }
  }

  // What may go: superseded replacements, and every command and life all of whose requirements may go
  // (the largest such sets: take away what cannot go, then what requires it, until nothing changes).
  const goes = new Set<Node>();
  // (A replacement goes only when superseded: it belongs to no life.)
  for (const c of took.keys()) {
    if (!candidate(c) || !(followed(c) || bound.has(c))) continue;
    if (c.k === 'rule' && c.op === 'replace' ? superseded.has(c) : true) goes.add(c);
  }
  for (const l of lifeList) if (l.ended && !l.kept) goes.add(l);
  const work: Node[] = [...users.keys()].filter((x) => !goes.has(x));
  while (work.length) {
    const x = work.pop()!;
    for (const u of users.get(x) ?? []) {
      if (!goes.has(u)) continue;
      goes.delete(u);
      work.push(u);
    }
  }
  if (![...took.keys()].some((c) => goes.has(c))) return undefined;

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
    const boundary: Handles = { ...b, perTable: { ...b.perTable } };
    if (carry) add(boundary, carry);
    const kept: Cmd[] = [boundary];
    for (const c of p.slice(1)) {
      if (!goes.has(c)) {
        kept.push(c);
        continue;
      }
      const h = took.get(c)!;
      if (!h.table || !h.next) continue;
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
