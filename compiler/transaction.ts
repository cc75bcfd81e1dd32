// A live ruleset that takes nft files of commands as transactions, all or
// nothing, as `nft -f` does against a running kernel (kernel:
// nf_tables_api.c's batch, validate and commit/abort; nftables: src/libnftables.c).
// `add rule inet filter input tcp dport 22 accept` → the next generation, or
// `t.nft:1:21-26: Error: Could not process rule: No such file or directory`.
//
// The simplest correct shape, O(history) per commit: the state is the list of
// transactions accepted so far (parsed once); a new one is compiled after
// them, replayed into the kernel's tables with kernel-numbered handles
// (list/state.ts), checked (compiler and validate.ts checks, handles named by
// commands, deletions of objects in use, jump depth and loops) and only then
// offered as the next generation. The Engine loads that atomically.

import type { Cmd } from './ast.js';
import { Diagnostics, formatDiagnostic, msg, type Diagnostic } from './diagnostics.js';
import { compileSources, parseSource, type CompileOptions, type CompileResult, type CompiledRule } from './ruleset.js';
import type { FileReader } from './parser/index.js';
import type { Source, Span } from './source.js';
import { validateBatch } from './validate.js';
import { replayRuleset, type LRule, type LTable, type ReplayProblem } from './list/state.js';
import { listRuleset, type ListOptions } from './list.js';
import { OBJECT_TYPES, objectState, progSet, type Program, type ProgRule, type ProgSet } from './program.js';
import type { SetDef } from './linearize.js';
import { suggest } from './misspell.js';

/** The kernel's jump stack depth (NFT_JUMP_STACK_SIZE): a chain this many jumps from a base chain is refused. */
const JUMP_STACK = 16;

/** A transaction nft or the kernel refused; `message` is nft's error text (every error, `file:line:col` each). */
export class TransactionError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('').replace(/\n$/, ''));
    this.name = 'TransactionError';
  }
}

/** A checked next generation, not yet committed. */
export interface Generation {
  /** Every accepted transaction's commands, this one last. */
  parts: Cmd[][];
  result: CompileResult;
  tables: LTable[];
  /** The image to load; `rules[k]` is `ruleRefs[k]`. */
  program: Program;
  ruleRefs: { table: LTable; rule: LRule }[];
  /** The kernel's table handle counter after this generation. */
  tableHandle: number;
}

/** Handles a rejected batch consumed (the kernel allocates them as it goes and never gives them back). */
interface Consumed {
  tables: number;
  perTable: Record<string, number>;
}

/** Options of a live ruleset: the include reader and the host's interfaces (`iif "eth0"`). */
export interface LiveOptions extends CompileOptions {
  read?: FileReader;
}

/** A live ruleset: the current generation and the way to the next. */
export class LiveRuleset {
  private gen: Generation;
  private consumed: Consumed = { tables: 0, perTable: {} };

  constructor(private readonly opts: LiveOptions = {}) {
    this.gen = this.build([]).gen!;
  }

  /** The current generation. */
  get current(): Generation {
    return this.gen;
  }

  /** Checks `text` as one transaction on top of the current generation; throws TransactionError if nft or the kernel would refuse it. */
  prepare(text: string, name = 'transaction.nft'): Generation {
    const src: Source = { name, text };
    const diags = new Diagnostics();
    const cmds = parseSource(src, diags, this.opts.read);
    if (diags.count) throw new TransactionError(diags.list);
    const byHandle = this.resolveHandles(cmds);
    if (byHandle.length) throw new TransactionError(byHandle);
    // A boundary: the handles earlier refused batches consumed, and "what interval sets hold is committed".
    const boundary: Cmd = { k: 'handles', tables: this.consumed.tables, perTable: this.consumed.perTable, span: { src, start: 0, end: 0 } };
    const parts = [...this.gen.parts, [boundary, ...cmds]];
    const { gen, errors, sent } = this.build(parts, src);
    if (errors.length) {
      if (sent && gen) this.account(gen, errors);
      throw new TransactionError(errors);
    }
    return gen!;
  }

  /** Makes `g` (from prepare, on this generation) the current generation. */
  commit(g: Generation): void {
    this.gen = { ...g, parts: this.compact(g.parts) };
    this.consumed = { tables: 0, perTable: {} };
  }

  /**
   * The history after a `flush ruleset` (all families) is all that matters:
   * nothing before it survives but the table handle counter, which a
   * boundary carries. Files that start with `flush ruleset` (most do) thus
   * keep the history, and the cost of the next commit, small.
   */
  private compact(parts: Cmd[][]): Cmd[][] {
    const last = parts[parts.length - 1]!;
    let at = -1;
    last.forEach((c, i) => {
      if (c.k === 'flushRuleset' && !c.family) at = i;
    });
    if (at < 0 || parts.length === 1 && at === 0) return parts;
    const out = { tableHandle: 0 };
    replayRuleset(compileSources([...parts.slice(0, -1), last.slice(0, at + 1)], this.opts.read, this.opts), undefined, out);
    const boundary: Cmd = { k: 'handles', tables: out.tableHandle, perTable: {}, span: last[at]!.span };
    return [[boundary, ...last.slice(at + 1)]];
  }

  /** prepare + commit. */
  apply(text: string, name?: string): Generation {
    const g = this.prepare(text, name);
    this.commit(g);
    return g;
  }

  /** `nft list ruleset` of the current generation (`handles`: `-a`). */
  list(opts: ListOptions = {}): string {
    return listRuleset(this.gen.result, opts);
  }

  /**
   * Handles a refused batch took, charged to the next transaction (kernel:
   * table->hgenerator, nft_net->table_handle). `g` starts from what earlier
   * refused batches took (still pending); this batch's own share is added.
   */
  private account(g: Generation, errors: Diagnostic[]): void {
    // A batch refused for jump depth (EMLINK) used every handle twice, as if the kernel had
    // processed it twice (observed with nft 1.0.6 on Linux 6.18: rules and tables alike).
    const times = errors.some((e) => e.message === msg.kernel('Too many links')) ? 2 : 1;
    const before = new Map(this.gen.tables.map((t) => [`${t.family} ${t.name}`, t]));
    const pending = this.consumed;
    const perTable: Record<string, number> = {};
    for (const t of g.tables) {
      const k = `${t.family} ${t.name}`;
      const old = before.get(k);
      if (!old || old.handle !== t.handle) continue;
      const was = pending.perTable[k] ?? 0;
      const mine = t.next - old.next - was;
      if (was || mine > 0) perTable[k] = was + Math.max(0, mine) * times;
    }
    const mineTables = Math.max(0, g.tableHandle - this.gen.tableHandle - pending.tables);
    this.consumed = { tables: pending.tables + mineTables * times, perTable };
  }

  /**
   * `delete table ip handle 2`, `delete chain ip t handle 3`, `delete set ...
   * handle 4`: the object of the kernel's ruleset with that handle, named in
   * the command; ENOENT at the number if there is none.
   */
  private resolveHandles(cmds: Cmd[]): Diagnostic[] {
    const errors: Diagnostic[] = [];
    for (const c of cmds) {
      if ((c.k !== 'table' && c.k !== 'chain' && c.k !== 'set') || c.handle === undefined) continue;
      const h = c.handle;
      let name: string | undefined;
      if (c.k === 'table') name = this.gen.tables.find((t) => t.family === c.family && t.handle === h)?.name;
      else {
        const t = this.gen.tables.find((x) => x.family === c.family && x.name === c.table);
        if (c.k === 'chain') name = [...(t?.chains.values() ?? [])].find((x) => x.handle === h)?.name;
        else name = [...(t?.sets.values() ?? [])].find((x) => x.handle === h)?.def.name;
      }
      if (name === undefined) {
        errors.push(handleProblem({ cmd: c }));
        continue;
      }
      if (c.k === 'table') c.name = name;
      else if (c.k === 'chain') c.chain.name = name;
      else c.set.name = name;
    }
    return errors;
  }

  /** Compiles and checks the parts; errors are those of `src` (the new transaction). `sent`: the batch reached the kernel. */
  private build(parts: Cmd[][], src?: Source): { gen?: Generation; errors: Diagnostic[]; sent: boolean } {
    const result = compileSources(parts, this.opts.read, this.opts);
    const mine = (d: Diagnostic) => !src || d.span.src === src;
    // The history compiled cleanly before: any error now, wherever it points, is this transaction's.
    const errors = [...result.diagnostics];
    // nft sends nothing when it found an error itself; the kernel's refusals come back as "Could not process rule".
    const sent = errors.every((d) => d.message.startsWith('Could not process rule:'));
    if (errors.length && !sent) return { errors, sent };
    const kernel = new Diagnostics();
    if (!result.diagnostics.length) validateBatch(result.cmds, kernel, { ruleHandles: false });
    errors.push(...kernel.list.filter(mine));
    const problems: ReplayProblem[] = [];
    const out = { tableHandle: 0 };
    const tables = replayRuleset(result, problems, out);
    for (const p of problems) if (mine({ span: p.cmd.span, message: '' })) errors.push(handleProblem(p));
    const { program, ruleRefs } = programOfTables(tables, result);
    const gen: Generation = { parts, result, tables, program, ruleRefs, tableHandle: out.tableHandle };
    if (src && !errors.length) {
      errors.push(...inUse(tables, result, parts[parts.length - 1]!));
      if (!errors.length) errors.push(...jumpDepth(tables, result, src));
    }
    errors.sort((a, b) => a.span.start - b.span.start);
    if (src) for (let k = 0; k < errors.length; k++) errors[k] = enoentHint(errors[k]!, parts[parts.length - 1]!, cacheOf(this.gen.tables, tables));
    return { gen, errors, sent: true };
  }
}

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
function enoentHint(d: Diagnostic, cmds: Cmd[], tables: LTable[]): Diagnostic {
  if (d.message !== msg.kernel('No such file or directory')) return d;
  const c = cmds.find((x) => x.span.src === d.span.src && x.span.start <= d.span.start && d.span.end <= x.span.end && x.k !== 'handles');
  if (!c || c.k === 'flushRuleset' || c.k === 'other' || c.k === 'handles') return d;
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
function cacheOf(before: LTable[], attempted: LTable[]): LTable[] {
  const out = before.map((t) => {
    const a = attempted.find((x) => x.family === t.family && x.name === t.name && x.handle === t.handle);
    if (!a) return t;
    return { ...t, chains: new Map([...t.chains, ...[...a.chains].filter(([k]) => !t.chains.has(k))]), sets: new Map([...t.sets, ...[...a.sets].filter(([k]) => !t.sets.has(k))]) };
  });
  return out;
}

/** `delete rule ... handle 999`, `position 77`: the kernel's ENOENT at the number (at `position N` for positions). */
function handleProblem(p: { cmd: Cmd }): Diagnostic {
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

/** Named sets of a table with their current elements (a verdict map's jumps are in its elements). */
function tableSets(t: LTable): Map<string, SetDef> {
  return new Map([...t.sets.values()].map((s) => [s.def.name, { ...s.def, elements: s.elements }]));
}

/** `delete set` / `chain` / `quota` (objects) of something a rule still uses: EBUSY (kernel: the `use` counts of nft_delset, nft_delchain, nft_delobj). */
function inUse(tables: LTable[], result: CompileResult, cmds: Cmd[]): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const byKey = new Map(tables.map((t) => [`${t.family} ${t.name}`, t]));
  for (const c of cmds) {
    if (c.k === 'obj' && c.op === 'delete') {
      const t = byKey.get(`${c.family} ${c.table}`);
      const name = c.obj.name;
      if (!t || t.objs.some((o) => o.decl.name === name)) continue;
      const used = [...t.chains.values()].some((ch) => ch.rules.some((lr) => lr.rule.insns.some((i) => i.op === 'objref' && i.name === name)));
      if (used) errors.push({ span: nameIn(c, name), message: msg.kernel('Device or resource busy') });
      continue;
    }
    if ((c.k !== 'set' && c.k !== 'chain') || c.op !== 'delete') continue;
    const t = byKey.get(`${c.family} ${c.table}`);
    if (!t) continue;
    const name = c.k === 'set' ? c.set.name : c.chain.name;
    // Deleted and not declared again later in the same transaction.
    if (c.k === 'set' ? t.sets.has(name) : t.chains.has(name)) continue;
    const sets = tableSets(t);
    const used = [...t.chains.values()].some((ch) => ch.rules.some((lr) => {
      const refs = refsOf(lr.rule, sets);
      return (c.k === 'set' ? refs.sets : refs.chains).includes(name);
    })) || (c.k === 'chain' && [...sets.values()].some((s) => s.elements.some((e) => e.verdict?.chain === name)));
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
function jumpDepth(tables: LTable[], result: CompileResult, src: Source): Diagnostic[] {
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

/**
 * The VM image of replayed tables: chains, objects, named sets with their
 * current elements, and each chain's rules in the kernel's order, all with
 * the kernel's handles (so a verdict's rule handle is the one `-a` lists).
 */
export function programOfTables(tables: LTable[], result: CompileResult): { program: Program; ruleRefs: { table: LTable; rule: LRule }[] } {
  const p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };
  const ruleRefs: { table: LTable; rule: LRule }[] = [];
  for (const t of tables) {
    const ti = p.tables.length;
    p.tables.push({ family: t.family, name: t.name });
    const chainIndex = new Map<string, number>();
    for (const c of t.chains.values()) {
      chainIndex.set(c.name, p.chains.length);
      p.chains.push({
        table: ti, name: c.name, handle: c.handle,
        ...(c.hook ? { hook: { type: c.hook.type, hook: c.hook.hook, prio: c.hook.prio, devices: [...c.hook.devices] } } : {}),
        ...(c.policy !== undefined ? { policy: c.policy } : {}),
      });
    }
    for (const o of t.objs) {
      const state = objectState(o.decl);
      p.objects.push({ table: ti, name: o.decl.name, handle: o.handle, type: OBJECT_TYPES[o.decl.type] ?? 0, ...(state ? { state } : {}) });
    }
    for (const s of t.sets.values()) p.sets.push({ ...progSet(ti, s.handle, s.def), elements: [...s.elements] });
    // Sets a rule creates itself (meters, `add @s`) live only in the compiler's table.
    const ct = result.tables.get(`${t.family} ${t.name}`);
    for (const [name, def] of ct?.sets ?? []) {
      if (!t.sets.has(name) && !def.anonymous) p.sets.push({ ...progSet(ti, 0, def), elements: [...def.elements] });
    }
    for (const c of t.chains.values()) {
      for (const lr of c.rules) {
        const anonSets: number[] = [];
        lr.rule.anonSets.forEach((s, k) => {
          anonSets.push(p.sets.length);
          const set: ProgSet = { ...progSet(ti, lr.handle - lr.rule.anonSets.length + k, s), elements: s.elements };
          p.sets.push(set);
        });
        const rule: ProgRule = { chain: chainIndex.get(c.name)!, handle: lr.handle, anonSets, insns: lr.rule.insns };
        if (lr.rule.comment !== undefined) rule.comment = lr.rule.comment;
        p.rules.push(rule);
        ruleRefs.push({ table: t, rule: lr });
      }
    }
  }
  return { program: p, ruleRefs };
}
