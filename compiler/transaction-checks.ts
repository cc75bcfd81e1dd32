// The kernel's refusals a transaction can meet beyond the compiler's and
// validate.ts's checks, judged on the replayed next generation (kernel:
// nf_tables_api.c use counts, nft_chain_validate; nftables: src/cmd.c's
// ENOENT hints). `add rule ip t b jump a` closing a loop → `Too many links`.

import type { Cmd } from './ast.js';
import { msg, type Diagnostic } from './diagnostics.js';
import type { CompileResult, CompiledRule } from './ruleset.js';
import type { Source, Span } from './source.js';
import type { LChain, LRule, LTable } from './list/state.js';
import type { SetDef } from './linearize.js';
import { OBJECT_TYPES } from './objects.js';
import { suggest } from './misspell.js';

/** The kernel's jump stack depth (NFT_JUMP_STACK_SIZE): a chain this many jumps from a base chain is refused. */
const JUMP_STACK = 16;

/**
 * The kernel's ENOENT as nft reports it (nftables: src/cmd.c nft_cmd_enoent,
 * rewritten from what nft 1.0.6 was seen to print): a similarly named table,
 * chain or set of nft's cache (`tables`: the kernel's ruleset with this
 * transaction's additions) if there is one:
 * - a missing table: the closest table name (the same name in another family counts);
 * - a rule or chain command whose chain is missing: the closest chain name;
 * - any other refusal of a rule (a missing jump target, object or handle): the chain
 *   named closest to the rule's own chain, unless that is the rule's chain itself
 *   (a one-letter name never matches itself: a rule of chain `a` gets `in` suggested,
 *   one of chain `c` jumping to a `later` the batch adds only after it gets `later`);
 * - a missing set: the closest set or map name.
 */
export function enoentHint(d: Diagnostic, cmds: Cmd[], tables: LTable[]): Diagnostic {
  if (d.message !== msg.kernel('No such file or directory')) return d;
  const c = cmds.find((x) => x.span.src === d.span.src && x.span.start <= d.span.start && d.span.end <= x.span.end && x.k !== 'handles');
  if (!c || c.k === 'flushRuleset' || c.k === 'handles' || c.k === 'reset') return d;
  const tableName = c.k === 'table' ? c.name : c.table;
  const hint = (text: string) => ({ span: d.span, message: `No such file or directory; did you mean ${text}?` });
  const chainHint = (x: { t: LTable; ch: { name: string } }) => hint(`chain \u2018${x.ch.name}\u2019 in table ${x.t.family} \u2018${x.t.name}\u2019`);
  const tableHint = () => {
    const t = suggest(tableName, tables.filter((x) => x.family !== c.family || x.name !== tableName), (x) => x.name);
    return t && hint(`table \u2018${t.name}\u2019 in family ${t.family}`);
  };
  const table = tables.find((t) => t.family === c.family && t.name === tableName);
  if (c.k === 'table' || !table) return tableHint() ?? d;
  const chains = tables.flatMap((t) => [...t.chains.values()].map((ch) => ({ t, ch })));
  if (c.k === 'chain' || c.k === 'rule') {
    const name = c.k === 'chain' ? c.chain.name : c.chain;
    if (c.k === 'chain' || !table.chains.has(name)) {
      const best = suggest(name, chains.filter((x) => x.t !== table || x.ch.name !== name), (x) => x.ch.name);
      return best ? chainHint(best) : d;
    }
    const best = suggest(name, chains, (x) => x.ch.name);
    return best && !(best.t === table && best.ch.name === name) ? chainHint(best) : d;
  }
  if (c.k === 'set') {
    if (table.sets.has(c.set.name)) return d;
    const all = tables.flatMap((t) => [...t.sets.values()].filter((s) => !s.def.anonymous).map((s) => ({ t, s })));
    const best = suggest(c.set.name, all, (x) => x.s.def.name);
    const kind = (x: { s: { def: SetDef } }) => (x.s.def.flags & 0x48 ? 'map' : 'set');
    return best ? hint(`${kind(best)} \u2018${best.s.def.name}\u2019 in table ${best.t.family} \u2018${best.t.name}\u2019`) : d;
  }
  return d;
}

/**
 * nft's cache after a refused batch: the kernel's tables with the chains and
 * sets the batch added (nft keeps what it sent), in the kernel's order.
 */
export function cacheOf(before: LTable[], attempted: LTable[]): LTable[] {
  const out = before.map((t) => {
    const a = attempted.find((x) => x.family === t.family && x.name === t.name && x.handle === t.handle);
    if (!a) return t;
    return { ...t, chains: new Map([...t.chains, ...[...a.chains].filter(([k]) => !t.chains.has(k))]), sets: new Map([...t.sets, ...[...a.sets].filter(([k]) => !t.sets.has(k))]) };
  });
  return out;
}

/** `delete rule ... handle 999`, `position 77`: the kernel's ENOENT at the number (at `position N` for positions). */
export function handleProblem(p: { cmd: Cmd }): Diagnostic {
  const c = p.cmd;
  const text = c.span.src.text.slice(c.span.start, c.span.end);
  const m = /\b(handle|position|index)(\s+)(\d+)/.exec(text);
  let span: Span = c.span;
  if (m) {
    const at = c.span.start + m.index;
    span = m[1] !== 'handle' ? { src: c.span.src, start: at, end: at + m[0].length } : { src: c.span.src, start: at + m[1]!.length + m[2]!.length, end: at + m[0].length };
  }
  return { span, message: msg.kernel('No such file or directory') };
}

/** The span of the last `name` word in a command (`delete set ip t bl` → `bl`). */
function nameIn(c: Cmd, name: string): Span {
  const text = c.span.src.text.slice(c.span.start, c.span.end);
  const re = new RegExp(`(^|[\\s"])(${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?=$|[\\s";{])`, 'g');
  let at = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) at = m.index + m[1]!.length;
  return at < 0 ? c.span : { src: c.span.src, start: c.span.start + at, end: c.span.start + at + name.length };
}

/** What a rule refers to: sets (lookups, maps, dynsets) and chains (jumps, gotos, verdict maps). */
function refsOf(r: CompiledRule, sets: Map<string, SetDef>): { sets: string[]; chains: string[] } {
  const out = { sets: [] as string[], chains: [] as string[] };
  const verdicts = (s: SetDef | undefined) => {
    for (const e of s?.elements ?? []) if (e.verdict?.chain) out.chains.push(e.verdict.chain);
  };
  for (const i of r.insns) {
    if (i.op === 'immediate_verdict' && i.v.chain) out.chains.push(i.v.chain);
    else if (i.op === 'lookup' || i.op === 'dynset' || i.op === 'objref_map') {
      out.sets.push(i.set);
      const anon = r.anonSets.find((s) => s.name === i.set);
      if (i.op === 'lookup' && i.dreg === 0) verdicts(anon ?? sets.get(i.set));
    }
  }
  return out;
}

/** What a chain's rules name themselves (sets; chains by jumps, gotos and anonymous verdict maps; objects as `type name`), and the rules that was for. */
const ownRefsOf = new WeakMap<LChain, { rules: LRule[]; sets: Set<string>; chains: Set<string>; objects: Set<string> }>();

/**
 * ownRefsOf of chain `ch`, made again only when its rules changed: a
 * deletion in place checks every chain of the table, and most of them
 * (100,000 rules, say) stay as they were from one commit to the next.
 */
function ownRefs(ch: LChain): { sets: Set<string>; chains: Set<string>; objects: Set<string> } {
  const had = ownRefsOf.get(ch);
  if (had && sameRules(had.rules, ch.rules)) return had;
  const out = { rules: [...ch.rules], sets: new Set<string>(), chains: new Set<string>(), objects: new Set<string>() };
  const named = new Map<string, SetDef>();
  for (const lr of ch.rules) {
    const refs = refsOf(lr.rule, named);
    for (const x of refs.sets) out.sets.add(x);
    for (const x of refs.chains) out.chains.add(x);
    for (const i of lr.rule.insns) if (i.op === 'objref') out.objects.add(`${i.type} ${i.name}`);
    for (const s of lr.rule.anonSets) if (s.objMap) for (const e of s.elements) if (e.obj !== undefined) out.objects.add(`${s.objMap} ${e.obj}`);
  }
  ownRefsOf.set(ch, out);
  return out;
}

function sameRules(a: LRule[], b: LRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Named sets of a table with their current elements (a verdict map's jumps are in its elements). */
function tableSets(t: LTable): Map<string, SetDef> {
  return new Map([...t.sets.values()].map((s) => [s.def.name, { ...s.def, elements: s.elements }]));
}

/** `delete set` / `chain` / `quota` (objects) of something a rule still uses: EBUSY (kernel: the `use` counts of nft_delset, nft_delchain, nft_delobj). */
export function inUse(tables: LTable[], result: CompileResult, cmds: Cmd[]): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const byKey = new Map(tables.map((t) => [`${t.family} ${t.name}`, t]));
  for (const c of cmds) {
    if (c.k === 'obj' && c.op === 'delete') {
      const t = byKey.get(`${c.family} ${c.table}`);
      const name = c.obj.name;
      if (!t || t.objs.some((o) => o.decl.name === name)) continue;
      // Named by a rule, or by an element of an object map (a rule's own, or a named one).
      const type = OBJECT_TYPES[c.obj.type];
      const used = [...t.chains.values()].some((ch) => ownRefs(ch).objects.has(`${type} ${name}`)) ||
        [...t.sets.values()].some((s) => s.def.objMap === type && s.elements.some((e) => e.obj === name));
      if (used) errors.push({ span: nameIn(c, name), message: msg.kernel('Device or resource busy') });
      continue;
    }
    // `destroy` of one that is there is a deletion (kernel: nf_tables_delchain and nf_tables_delset for both messages).
    if ((c.k !== 'set' && c.k !== 'chain') || (c.op !== 'delete' && c.op !== 'destroy')) continue;
    const t = byKey.get(`${c.family} ${c.table}`);
    if (!t) continue;
    const name = c.k === 'set' ? c.set.name : c.chain.name;
    // Deleted and not declared again later in the same transaction.
    if (c.k === 'set' ? t.sets.has(name) : t.chains.has(name)) continue;
    // A chain is also used by a named verdict map's elements, whether or not a rule looks the map up.
    const used = [...t.chains.values()].some((ch) => ownRefs(ch)[c.k === 'set' ? 'sets' : 'chains'].has(name)) ||
      (c.k === 'chain' && [...t.sets.values()].some((s) => s.def.verdictMap && s.elements.some((e) => e.verdict?.chain === name)));
    if (used) errors.push({ span: nameIn(c, name), message: msg.kernel('Device or resource busy') });
  }
  void result;
  return errors;
}

/**
 * Jump depth and loops (kernel: nft_chain_validate from every base chain at
 * rule insertion, EMLINK once a chain sits JUMP_STACK jumps deep; a loop is
 * infinitely deep). The refused command is the first of this transaction
 * whose rules make the graph too deep, as the kernel checks rule by rule.
 */
export function jumpDepth(tables: LTable[], result: CompileResult, src: Source): Diagnostic[] {
  // The command each rule came from (for its span): the 'cmd' output before it.
  const cmdOf = new Map<CompiledRule, { cmd?: Cmd; index: number }>();
  let last: Cmd | undefined;
  result.outputs.forEach((o, index) => {
    if (o.k === 'cmd') last = o.cmd;
    else if (o.k === 'rule') cmdOf.set(o.rule, { cmd: last, index });
  });
  for (const t of tables) {
    const sets = tableSets(t);
    const edges: { from: string; to: string; order: number; rule: CompiledRule }[] = [];
    for (const ch of t.chains.values()) {
      for (const lr of ch.rules) {
        const order = cmdOf.get(lr.rule)?.index ?? -1;
        for (const to of refsOf(lr.rule, sets).chains) edges.push({ from: ch.name, to, order, rule: lr.rule });
      }
    }
    if (!edges.length) continue;
    const bases = [...t.chains.values()].filter((c) => c.hook).map((c) => c.name);
    const tooDeep = (upto: number) => deepest(bases, edges.filter((e) => e.order <= upto)) >= JUMP_STACK;
    if (!tooDeep(Infinity)) continue;
    const mine = edges.filter((e) => e.rule.span.src === src).sort((a, b) => a.order - b.order);
    const culprit = mine.find((e) => tooDeep(e.order));
    let span: Span | undefined;
    if (culprit) {
      const c = cmdOf.get(culprit.rule)?.cmd;
      span = c?.k === 'rule' ? c.span : culprit.rule.span;
    } else {
      // Made deep by new elements of a verdict map (or a chain's new declaration): point at the first such command.
      const c = result.cmds.find((x) => x.span.src === src && x.k === 'element') ?? result.cmds.find((x) => x.span.src === src && x.k !== 'handles');
      span = c?.span;
    }
    // nft's location of a command line reaches over its newline.
    if (span && span.src.text[span.end] === '\n') span = { ...span, end: span.end + 1 };
    if (span) return [{ span, message: msg.kernel('Too many links') }];
  }
  return [];
}

/** The longest chain of jumps from any of `bases` (JUMP_STACK when a loop is reachable). */
function deepest(bases: string[], edges: { from: string; to: string }[]): number {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const memo = new Map<string, number>();
  const onPath = new Set<string>();
  const height = (c: string): number => {
    const m = memo.get(c);
    if (m !== undefined) return m;
    if (onPath.has(c)) return JUMP_STACK;
    onPath.add(c);
    let h = 0;
    for (const to of out.get(c) ?? []) {
      h = Math.max(h, 1 + height(to));
      if (h >= JUMP_STACK) break;
    }
    onPath.delete(c);
    memo.set(c, Math.min(h, JUMP_STACK));
    return Math.min(h, JUMP_STACK);
  };
  return Math.max(0, ...bases.map(height));
}
