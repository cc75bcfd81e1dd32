// The history a live ruleset keeps (compiler/transaction.ts: the accepted
// transactions, replayed to build each whole load) without what no longer
// matters: a rule added and later deleted, an element added and later
// deleted, a replacement replaced again. Each command dropped leaves the
// handles it took behind (a `handles` gap), so every handle after it stays
// the kernel's. `add rule ... ; delete rule ... handle 7` → one gap of 1.
// The caller checks the result against the full history before using it.

import type { Cmd } from './ast.js';
import { elemKey } from './linearize.js';
import type { Output } from './ruleset.js';
import { Replayer } from './list/state.js';

/** A rule (by handle) or an element (by key) from the command that made it to the one that removed it. */
interface Life {
  /** The commands it is made, replaced and removed by. */
  cmds: Cmd[];
  /** Something that must stay made or removed it (a table block, a set declaration, `delete chain`), or a kept command refers to it. */
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

/** A life this file cannot follow from its start: it stays. */
const keptLife = (): RuleLife => ({ cmds: [], kept: true, ended: false });

/** Commands this file can drop: rule and element commands outside table blocks, chain and set flushes. */
function droppableKind(c: Cmd): boolean {
  if (c.k === 'rule' || c.k === 'element') return true;
  return (c.k === 'chain' || c.k === 'set') && c.op === 'flush';
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
  const candidate = (c: Cmd | undefined): c is Cmd => !!c && droppableKind(c) && !inBlock.has(c);

  const lives = new Map<Cmd, Life[]>();
  const join = (life: Life, c: Cmd | undefined) => {
    if (!candidate(c)) {
      life.kept = true;
      return;
    }
    life.cmds.push(c);
    let l = lives.get(c);
    if (!l) lives.set(c, (l = []));
    l.push(life);
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
  const ruleLife = (t: string, h: number) => {
    let l = rules.get(`${t} ${h}`);
    // A rule made where this file cannot follow it: kept.
    if (!l) rules.set(`${t} ${h}`, (l = keptLife()));
    return l;
  };
  const endRule = (key: string, c: Cmd | undefined) => {
    const l = rules.get(key) ?? keptLife();
    if (l.replaced) superseded.add(l.replaced);
    end(l, c);
    rules.delete(key);
  };
  const setLives = (t: string, s: string) => {
    let byTable = elements.get(t);
    if (!byTable) elements.set(t, (byTable = new Map()));
    let m = byTable.get(s);
    if (!m) byTable.set(s, (m = new Map()));
    return m;
  };
  const endSet = (t: string, s: string, c: Cmd | undefined) => {
    for (const l of elements.get(t)?.get(s)?.values() ?? []) end(l, c);
    elements.get(t)?.delete(s);
  };

  const rp = new Replayer(new Map(), 0);
  const took = new Map<Cmd, Took>();
  let cmd: Cmd | undefined;
  let before: Took = { next: 0 };
  /** A command whose outputs this file does not follow: it stays. */
  const opaque = new Set<Cmd>();
  /** Element commands and set flushes no output has yet shown the effect of (an interval set's have none): they stay. */
  const unseen = new Set<Cmd>();
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

  for (const o of outputs) {
    if (o.k === 'cmd') {
      close();
      const c = o.cmd;
      cmd = c;
      before = counters(c);
      const t = tableKey(c);
      if (c.k === 'element' || (c.k === 'set' && c.op === 'flush')) unseen.add(c);
      if (c.k === 'rule') {
        if (c.op === 'delete') endRule(`${t} ${c.handle}`, c);
        else {
          // A rule placed by another one's handle keeps that one; by index, every rule before it.
          const ref = c.position ?? c.handle;
          if (ref !== undefined && c.op !== 'replace') ruleLife(t!, ref).kept = true;
          if (c.index !== undefined) for (const r of rp.tables.get(t!)?.chains.get(c.chain)?.rules ?? []) ruleLife(t!, r.handle).kept = true;
        }
      } else if (c.k === 'chain' && (c.op === 'flush' || c.op === 'delete' || c.op === 'destroy')) {
        for (const r of rp.tables.get(t!)?.chains.get(c.chain.name)?.rules ?? []) endRule(`${t} ${r.handle}`, c);
      } else if (c.k === 'set' && (c.op === 'delete' || c.op === 'destroy')) endSet(t!, c.set.name, c);
      else if ((c.k === 'table' && (c.op === 'delete' || c.op === 'destroy' || c.op === 'flush')) || c.k === 'flushRuleset') {
        // What a whole table or ruleset loses was removed by a command that stays.
        const gone = (k: string) => (c.k === 'table' ? k === `${c.family} ${c.name}` : !c.family || k.startsWith(`${c.family} `));
        for (const k of [...rules.keys()]) if (gone(k.slice(0, k.lastIndexOf(' ')))) endRule(k, undefined);
        if (c.k !== 'table' || c.op !== 'flush') {
          for (const [k, sets] of elements) if (gone(k)) for (const s of [...sets.keys()]) endSet(k, s, undefined);
        }
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
      if (c?.k === 'rule' && c.op === 'replace') {
        const l = ruleLife(t, c.handle!);
        if (l.replaced) superseded.add(l.replaced);
        l.replaced = c;
      } else {
        const l: RuleLife = { cmds: [], kept: false, ended: false };
        join(l, c?.k === 'rule' ? c : undefined);
        rules.set(`${t} ${next + r.anonSets.length}`, l);
      }
      continue;
    }
    if (o.k === 'elements' || o.k === 'delElements' || o.k === 'flushSet' || o.k === 'set') {
      const s = o.set;
      const t = `${s.family} ${s.table}`;
      // Interval sets merge and split what their commands name: kept whole.
      if (s.flags & 4 || (o.k !== 'set' && c?.k !== (o.k === 'flushSet' ? 'set' : 'element'))) {
        if (c) opaque.add(c);
        if (s.flags & 4) for (const l of elements.get(t)?.get(s.name)?.values() ?? []) l.kept = true;
      } else if (o.k === 'flushSet') {
        unseen.delete(c!);
        endSet(t, s.name, c);
      }
      else if (o.k === 'delElements') {
        unseen.delete(c!);
        const m = setLives(t, s.name);
        for (const e of o.elements) {
          const k = elemKey(e);
          end(m.get(k) ?? keptLife(), c);
          m.delete(k);
        }
      } else {
        if (o.k === 'elements') unseen.delete(c!);
        const m = setLives(t, s.name);
        for (const e of o.elements) {
          const k = elemKey(e);
          let l = m.get(k);
          if (!l) m.set(k, (l = { cmds: [], kept: false, ended: false }));
          join(l, o.k === 'elements' ? c : undefined);
        }
      }
    } else if (c) opaque.add(c);
    rp.feed(o);
  }
  close();

  // What may go: superseded replacements, and every command all of whose lives may go; a life may go
  // when it ended and all its commands may go (the largest such sets: take away what cannot go until nothing changes).
  const goes = new Set<Cmd>();
  // (A replacement goes only when superseded: it belongs to no life.)
  const followed = (c: Cmd) => !opaque.has(c) && !unseen.has(c);
  for (const c of took.keys()) if (candidate(c) && followed(c) && !(c.k === 'rule' && c.op === 'replace')) goes.add(c);
  const lifeGoes = (l: Life) => l.ended && !l.kept && l.cmds.every((c) => goes.has(c));
  const work = [...goes];
  while (work.length) {
    const c = work.pop()!;
    if (!goes.has(c)) continue;
    if ((lives.get(c) ?? []).every(lifeGoes)) continue;
    goes.delete(c);
    for (const l of lives.get(c) ?? []) for (const d of l.cmds) if (goes.has(d)) work.push(d);
  }
  for (const c of superseded) if (followed(c)) goes.add(c);
  if (!goes.size) return undefined;

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
