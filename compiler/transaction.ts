// A live ruleset that takes nft files of commands as transactions, all or
// nothing, as `nft -f` does against a running kernel (kernel:
// nf_tables_api.c's batch, validate and commit/abort; nftables: src/libnftables.c).
// `add rule inet filter input tcp dport 22 accept` → the next generation, or
// `t.nft:1:21-26: Error: Could not process rule: No such file or directory`.
//
// The simplest correct shape, O(history) per commit: the state is the list of
// transactions accepted so far (parsed once, pruned of what later ones undid:
// history.ts); a new one is compiled after
// them, replayed into the kernel's tables with kernel-numbered handles
// (list/state.ts), checked (compiler and validate.ts checks, handles named by
// commands; deletions of objects in use, jump depth and loops in
// transaction-checks.ts) and only then offered as the next generation. The
// Engine loads that atomically.

import type { Cmd, Elem, ObjDecl } from './ast.js';
import { Diagnostics, formatDiagnostic, msg, type Diagnostic } from './diagnostics.js';
import { compileSources, parseSource, type CompileOptions, type CompileResult, type CompiledRule, type Output } from './ruleset.js';
import type { FileReader } from './parser/index.js';
import type { Source } from './source.js';
import { validateBatch } from './validate.js';
import { newTable, Replayer, replayRuleset, resetTargets, type LChain, type LRule, type LTable, type ReplayProblem } from './list/state.js';
import type { SetDef, SetElem } from './linearize.js';
import { listRuleset, type ListOptions } from './list.js';
import { OBJECT_TYPES } from './objects.js';
import { objectState, progSet, type Program, type ProgObject, type ProgRule, type ProgSet, type ProgTable } from './program.js';
import { resolveHook } from './chain.js';
import { cacheOf, enoentHint, handleProblem, inUse, jumpDepth } from './transaction-checks.js';
import { pruneHistory } from './history.js';
import { listCommands, printsSomething } from './list-commands.js';
import { encodeBytecode, sameBytes } from './bytecode.js';

/** A chain's identity in VmOrder.chains: table and name. */
export function chainKey(t: { family: string; name: string }, chain: string): string {
  return `${t.family} ${t.name} ${chain}`;
}

/** A named object's identity across generations: table, type (as in the image) and name. */
export function objectKey(t: { family: string; name: string }, type: number, name: string): string {
  return `${t.family} ${t.name} ${type} ${name}`;
}

/** A transaction nft or the kernel refused; `message` is nft's error text (every error, `file:line:col` each). */
export class TransactionError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    /** What the file's `list` and `reset` commands printed before the kernel refused the batch (compiler/list-commands.ts). */
    readonly printed = '',
  ) {
    super(diagnostics.map(formatDiagnostic).join('').replace(/\n$/, ''));
    this.name = 'TransactionError';
  }
}

/** A checked next generation, not yet committed. */
export class Generation {
  private image?: { program: Program; ruleRefs: { table: LTable; rule: LRule }[] };

  constructor(
    /** Every accepted transaction's commands, this one last. */
    public parts: Cmd[][],
    public result: CompileResult,
    public tables: LTable[],
    /** The kernel's table handle counter after this generation. */
    public tableHandle: number,
  ) {}

  /** The VM's chain and object records after in-place commits added or deleted some; unset: a whole load's order. */
  order?: VmOrder;

  /** The image to load; `rules[k]` is `ruleRefs[k]` (made when first asked for, again after an in-place commit). */
  get program(): Program {
    return (this.image ??= programOfTables(this.tables, this.result, this.order)).program;
  }

  get ruleRefs(): { table: LTable; rule: LRule }[] {
    return (this.image ??= programOfTables(this.tables, this.result, this.order)).ruleRefs;
  }

  /** An in-place commit changed the tables. */
  changed(): void {
    this.image = undefined;
  }

  /** Takes the state of `g`, the same generation built from a shorter history (LiveRuleset.prune). */
  rebase(g: Generation): void {
    this.parts = g.parts;
    this.result = g.result;
    this.tables = g.tables;
    this.tableHandle = g.tableHandle;
    this.image = g.image;
  }

  /** What the transaction's `list` and `reset` commands print, as nft prints it (compiler/list-commands.ts). */
  printed = '';
}

/**
 * The VM's chain and named object records after in-place commits added or
 * deleted some (chainKey / objectKey each, undefined: a free record): the
 * program lists them in this order, so that its indices are the VM's.
 * Unset: the order a whole load gives them (programOfTables).
 */
export interface VmOrder {
  /** `family name` each */
  tables?: readonly (string | undefined)[];
  chains?: readonly (string | undefined)[];
  objects?: readonly (string | undefined)[];
}

/** A change the VM makes in place (assembly/commit.ts), in the kernel's tables' terms. */
export type InPlaceOp =
  /** `mode` 0 at the end, 1 at the start, 2 after the rule with handle `ref`, 3 before it */
  | { k: 'addRule'; table: LTable; chain: string; rule: CompiledRule; handle: number; mode: 0 | 1 | 2 | 3; ref: number; /** handle of its first anonymous set */ firstSet: number }
  | { k: 'delRule'; table: LTable; chain: string; handle: number }
  /** a new chain (`base`: a filter chain's hook, priority and policy) */
  | { k: 'addChain'; table: LTable; chain: string; handle: number; base?: { type: string; hook: string; prio: number; policy: 'accept' | 'drop'; devices: string[] } }
  /** a regular chain whose rules a flushChain op before it removed */
  | { k: 'delChain'; table: LTable; chain: string }
  | { k: 'flushChain'; table: LTable; chain: string }
  | { k: 'policy'; table: LTable; chain: string; policy: 'accept' | 'drop' }
  | { k: 'addElements' | 'delElements'; table: LTable; set: SetDef; elements: SetElem[] }
  | { k: 'flushSet'; table: LTable; set: SetDef }
  | { k: 'addSet'; table: LTable; set: SetDef; elements: SetElem[]; handle: number }
  /** a named set no rule looks up any more */
  | { k: 'delSet'; table: LTable; set: string }
  /** an interval set's elements changed: the VM takes all of them, as the transaction leaves them (the table's set holds them) */
  | { k: 'setElements'; table: LTable; set: SetDef }
  /** a new counter, quota or limit */
  | { k: 'addObject'; table: LTable; obj: ObjDecl; handle: number }
  /** an object nothing names any more */
  | { k: 'delObject'; table: LTable; type: string; name: string }
  /** a new table (ops after it name it as `table`, once replayed) */
  | { k: 'addTable'; family: string; name: string }
  /** a table whose chains and objects ops before it deleted */
  | { k: 'delTable'; table: LTable }
  /** a table that goes dormant, or wakes */
  | { k: 'tableDormant'; table: LTable; dormant: boolean };

/**
 * A transaction checked and applied to the compiler's state, to be made in
 * place: `done` once the VM has it (with its records' order when chains or
 * objects came or went: Generation.order), else `undo`.
 */
export interface InPlace {
  ops: InPlaceOp[];
  done(order?: VmOrder): void;
  undo(): void;
}

/** Handles a rejected batch consumed (the kernel allocates them as it goes and never gives them back). */
interface Consumed {
  tables: number;
  perTable: Record<string, number>;
}

/** Options of a live ruleset: the include reader and the host's interfaces (`iif "eth0"`). */
export interface LiveOptions extends CompileOptions {
  read?: FileReader;
  /** Compiler outputs the history may reach before it is first pruned (default PRUNE_AFTER; then twice what is left; 0: after every commit). */
  pruneAfter?: number;
}

/**
 * The history's compiler outputs before its first pruning: a pruning costs
 * about a compile of what is left, so not too often (about 5,000 in-place
 * commits of one command, some 6 MB of history).
 */
const PRUNE_AFTER = 16384;

/** A live ruleset: the current generation and the way to the next. */
export class LiveRuleset {
  private gen: Generation;
  private consumed: Consumed = { tables: 0, perTable: {} };
  /** The history's size (compiler outputs) at which prune() runs next. */
  private pruneAt: number;
  /** Prunings made, and those refused because the shorter history built something else. */
  readonly prunes = { made: 0, refused: 0 };

  constructor(private readonly opts: LiveOptions = {}) {
    this.gen = this.build([]).gen!;
    this.pruneAt = opts.pruneAfter ?? PRUNE_AFTER;
  }

  /** The current generation. */
  get current(): Generation {
    return this.gen;
  }

  /** Checks `text` as one transaction on top of the current generation; throws TransactionError if nft or the kernel would refuse it. */
  prepare(text: string, name = 'transaction.nft', listing: ListOptions = {}): Generation {
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
    this.lastResets = new Set();
    // nft prints listings while it builds the batch, before the kernel answers (compiler/list-commands.ts).
    const shown = printsSomething(cmds) ? listCommands(cmds, this.gen.tables, this.gen.result, gen?.result.outputs, listing) : undefined;
    if (shown?.errors.length) {
      // nft's own errors: it sends nothing.
      const own = errors.filter((e) => !e.message.startsWith('Could not process rule:'));
      throw new TransactionError([...shown.errors, ...own].sort((a, b) => a.span.start - b.span.start));
    }
    const printedBefore = (stop?: Cmd) => (shown?.printed ?? []).filter((p) => !stop || p.cmd.span.start < stop.span.start).map((p) => p.text).join('');
    if (errors.length) {
      // A reset the kernel refused stops nft before it sends the batch: that error alone.
      const resets = cmds.filter((c) => c.k === 'reset');
      const failed = errors.filter((e) => resets.some((c) => c.span.src === e.span.src && c.span.start === e.span.start && e.span.end >= c.span.end));
      const stop = resets.find((c) => failed.some((e) => e.span.start === c.span.start));
      if (failed.length) throw new TransactionError(failed, sent ? printedBefore(stop) : '');
      if (sent && gen) {
        this.account(gen, errors);
        this.resetNow(resets as (Cmd & { k: 'reset' })[], src);
      }
      throw new TransactionError(errors, sent ? printedBefore() : '');
    }
    this.lastResets = this.resetKeys(cmds);
    gen!.printed = printedBefore();
    return gen!;
  }

  /**
   * Named counters and quotas the last prepare reset (`family table type
   * name`, type as in the image): nft resets them before it sends the
   * batch, so even when the kernel refuses it. The engine zeroes them.
   */
  lastResets: ReadonlySet<string> = new Set();

  private resetKeys(cmds: Cmd[]): Set<string> {
    const keys = new Set<string>();
    for (const c of cmds) {
      if (c.k === 'reset') for (const { table: t, obj } of resetTargets(this.gen.tables, c)) keys.add(objectKey(t, OBJECT_TYPES[obj.decl.type] ?? 0, obj.decl.name));
    }
    return keys;
  }

  /** The resets of a batch the kernel refused: made on the current generation, and kept in its history. */
  private resetNow(resets: (Cmd & { k: 'reset' })[], src: Source): void {
    if (!resets.length) return;
    this.lastResets = this.resetKeys(resets);
    this.gen = this.build([...this.gen.parts, [{ k: 'handles', tables: 0, perTable: {}, span: { src, start: 0, end: 0 } }, ...resets]]).gen!;
  }

  /** Makes `g` (from prepare, on this generation) the current generation. */
  commit(g: Generation): void {
    g.parts = this.compact(g.parts);
    this.gen = g;
    this.consumed = { tables: 0, perTable: {} };
    this.prune();
  }

  /**
   * Keeps the history from growing without bound while commits come in place
   * (each adds its commands): once it doubled since the last time, the
   * commands later ones undid go (compiler/history.ts). The shorter history
   * is built and used only if it gives the same generation: the same image
   * and handle counters. O(history), at most once per doubling.
   */
  private prune(): void {
    const g = this.gen;
    const size = g.result.outputs.length;
    if (size < this.pruneAt) return;
    const parts = pruneHistory(g.parts, g.result.outputs);
    const built = parts && this.build(parts);
    // The VM's chain and object order is not the history's: both in it.
    if (built?.gen) built.gen.order = g.order;
    if (built?.gen && !built.errors.length && sameGeneration(g, built.gen)) {
      g.rebase(built.gen);
      this.prunes.made++;
    } else if (parts) this.prunes.refused++;
    const min = this.opts.pruneAfter ?? PRUNE_AFTER;
    this.pruneAt = min && Math.max(min, 2 * g.result.outputs.length);
  }

  /**
   * `text` as a transaction the VM can make in place, O(change): rules
   * added, inserted, replaced or deleted (no dynamic sets), chains and
   * tables flushed, base chains' policies, elements of plain hash sets
   * (added, deleted, flushed), named sets, regular and filter base chains,
   * counters, quotas and limits added or deleted (inPlaceCmd says which).
   * The new commands are evaluated after the current generation's (the
   * compiler's state carries on) and replayed into its tables. Anything
   * else, or anything nft or the kernel would refuse, returns undefined
   * with nothing changed: prepare() then does it the whole way and finds
   * the error.
   */
  planInPlace(text: string, name = 'transaction.nft'): InPlace | undefined {
    const src: Source = { name, text };
    const diags = new Diagnostics();
    const cmds = parseSource(src, diags, this.opts.read);
    const tables = new Map(this.gen.tables.map((t) => [`${t.family} ${t.name}`, t] as [string, LTable]));
    // Commands in a table the file adds are checked against an empty one.
    const checked = new Map(tables);
    for (const c of cmds) {
      if (c.k === 'table' && (c.op === 'add' || c.op === 'create') && !checked.has(`${c.family} ${c.name}`)) checked.set(`${c.family} ${c.name}`, newTable(c.family, c.name, 0));
    }
    if (diags.count || !cmds.length || !cmds.every((c) => inPlaceCmd(c, checked, tables)) || !namedOnce(cmds)) return undefined;
    const boundary: Cmd = { k: 'handles', tables: this.consumed.tables, perTable: this.consumed.perTable, span: { src, start: 0, end: 0 } };
    const result = this.gen.result;
    const from = result.outputs.length;
    // Sets the compiler makes (meters, `add @s`) need a whole load; named sets the file declares do not.
    const setsBefore = new Map([...result.tables].map(([k, t]) => [k, new Set(t.sets.keys())]));
    const declared = new Set(cmds.flatMap((c) => (c.k === 'set' ? [`${c.family} ${c.table} ${c.set.name}`] : [])));
    const madeSets = () => [...result.tables].some(([k, t]) => [...t.sets.keys()].some((n) => !setsBefore.get(k)?.has(n) && !declared.has(`${k} ${n}`)));
    const undo = () => {
      // The compiler's and the replay's state moved on: both again from the history, into the same
      // generation (the engine goes on running it, and making the next commits in place).
      this.gen.rebase(this.build(this.gen.parts).gen!);
    };
    const errors = result.resume([boundary, ...cmds], this.opts);
    if (errors.length || madeSets()) {
      undo();
      return undefined;
    }
    const problems: ReplayProblem[] = [];
    const rp = new Replayer(tables, this.gen.tableHandle, problems);
    const ops: InPlaceOp[] = [];
    let placing: Placing | undefined;
    for (const o of result.outputs.slice(from)) {
      const op = inPlaceOp(o, tables, placing);
      if (op === false) {
        undo();
        return undefined;
      }
      if (op) ops.push(...(Array.isArray(op) ? op : [op]));
      // Rules of an `add chain ... { ... }` block are appended to it.
      if (o.k === 'cmd') placing = o.cmd.k === 'rule' ? o.cmd : o.cmd.k === 'chain' ? { chain: o.cmd.chain.name, op: 'add' } : undefined;
      rp.feed(o);
      if (problems.length) {
        undo();
        return undefined;
      }
    }
    // A set a rule still uses is the kernel's EBUSY, which the whole load reports.
    if (inUse([...tables.values()], result, cmds).length) {
      undo();
      return undefined;
    }
    // An interval set's elements are its declaration's, which the compiler keeps whole (the replay takes them from there only at a
    // whole load): one op per set, where it first changes, with every element the transaction leaves it (a set it deletes later needs none).
    const replaced = new Set<SetDef>();
    const kept = ops.filter((op) => {
      if (op.k !== 'setElements') return true;
      const s = op.table.sets.get(op.set.name);
      if (s?.def !== op.set || replaced.has(op.set)) return false;
      replaced.add(op.set);
      s.elements = [...(result.intervalElements(op.set) ?? [])];
      return true;
    });
    return {
      ops: kept,
      done: (order) => {
        this.gen.parts.push([boundary, ...cmds]);
        // Tables the replay added or deleted, and the kernel's table handle counter.
        this.gen.tables = [...tables.values()];
        this.gen.tableHandle = rp.tableHandle;
        if (order) this.gen.order = { ...this.gen.order, ...order };
        this.gen.changed();
        this.consumed = { tables: 0, perTable: {} };
        this.prune();
      },
      undo,
    };
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
  apply(text: string, name?: string, listing?: ListOptions): Generation {
    const g = this.prepare(text, name, listing);
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
    const gen = new Generation(parts, result, tables, out.tableHandle);
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
 * Whether `b` holds what `a` holds: the handle counters and the image (every
 * rule with its handle and instructions, set, element and object; the
 * listings are the tests' to compare: they cost twice as much). The images
 * are compared as values, which costs a third of encoding both (the bytes
 * are compared only when the values differ). The values
 * of `a`'s rule counters and quotas are copied into `b` first: an engine
 * writes what its VM counted into the rules it lists (src/transaction.ts),
 * while `b`'s start from what the commands declared.
 */
function sameGeneration(a: Generation, b: Generation): boolean {
  if (a.tableHandle !== b.tableHandle || a.tables.length !== b.tables.length) return false;
  if (a.tables.some((t, k) => t.next !== b.tables[k]!.next || t.handle !== b.tables[k]!.handle)) return false;
  const ra = a.ruleRefs;
  const rb = b.ruleRefs;
  if (ra.length !== rb.length) return false;
  ra.forEach((r, k) => {
    const to = rb[k]!.rule.rule.insns;
    r.rule.rule.insns.forEach((i, n) => {
      const j = to[n];
      if (i.op === 'counter' && j?.op === 'counter') [j.pkts, j.bytes] = [i.pkts, i.bytes];
      else if (i.op === 'quota' && j?.op === 'quota') j.consumed = i.consumed;
    });
  });
  return sameValue(a.program, b.program) || sameBytes(encodeBytecode(a.program), encodeBytecode(b.program));
}

/**
 * Whether two values hold the same data: primitives, arrays, byte arrays and
 * plain objects, member by member (encodeBytecode reads nothing else, so
 * programs that are the same value encode to the same bytes). False for
 * anything else (a Map): the caller then compares the bytes.
 */
function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (!sameValue(x[k], y[k])) return false;
    return true;
  }
  if (x instanceof Uint8Array) {
    if (!(y instanceof Uint8Array) || x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype || Object.getPrototypeOf(y) !== proto) return false;
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  let n = 0;
  for (const k in xo) {
    if (!(k in yo) || !sameValue(xo[k], yo[k])) return false;
    n++;
  }
  for (const _ in yo) n--;
  return n === 0;
}

/** Statements an in-place commit cannot make: meters (sets the rule makes), flowtables. */
const NOT_IN_PLACE = new Set(['flowoffload', 'meter']);

/** Named objects an in-place commit adds and deletes (a ct timeout's deletion frees the conntrack entries that used its policy: commit.ts). */
const IN_PLACE_OBJECTS = new Set(['counter', 'quota', 'limit', 'ct helper', 'ct timeout']);

type LObject = LTable['objs'][number];

/** Where the rule of a command goes (a rule command, or an `add chain` block's rules). */
type Placing = Pick<Cmd & { k: 'rule' }, 'op' | 'chain'> & Partial<Pick<Cmd & { k: 'rule' }, 'handle' | 'position' | 'index'>>;

const ruleInPlace = (stmts: { k: string }[]) => stmts.every((st) => !NOT_IN_PLACE.has(st.k));

/**
 * A command an in-place commit may hold (the rest of the checks come with
 * its outputs); `tables`: the running ones with empty ones for those the
 * file adds, `running`: the running ones.
 */
function inPlaceCmd(c: Cmd, tables: Map<string, LTable>, running: Map<string, LTable>): boolean {
  if (c.k === 'table') {
    const t = running.get(`${c.family} ${c.name}`);
    // `flush table`: every chain's rules (not its sets: the kernel's NFT_MSG_DELRULE without a chain).
    if (c.op === 'flush') return !!t;
    // A new table without flags, or `add` of one that is there: with no flags but `dormant` either way (its base chains go off their hooks, or back on: commit.ts txTableDormant).
    const dormantOnly = (f: string[] | undefined) => !f?.some((x) => x !== 'dormant');
    if (c.op === 'add' || c.op === 'create') return (t ? dormantOnly(c.flags) && dormantOnly(t.flags) : !c.flags?.length) && c.handle === undefined && c.name.length <= 64;
    // A table deleted with all it holds, as long as each of its chains and objects could go in place.
    if (c.op === 'delete' || c.op === 'destroy') {
      if (c.handle !== undefined) return false;
      if (!t) return c.op === 'destroy';
      return !t.flags.some((f) => f !== 'dormant') && !t.flowtables.length && t.objs.every((o) => IN_PLACE_OBJECTS.has(o.decl.type));
    }
    return false;
  }
  const t = 'table' in c && typeof c.table === 'string' ? tables.get(`${c.family} ${c.table}`) : undefined;
  if (!t) return false;
  if (c.k === 'rule') {
    if (c.op === 'delete' || c.op === 'replace') return c.handle !== undefined && (c.op === 'delete' || ruleInPlace(c.rule.stmts));
    return ruleInPlace(c.rule.stmts);
  }
  // Named counters, quotas and limits: nothing reaches a new one before a rule or map element names it,
  // and one goes only once nothing does (inUse, after the replay). validate.ts's refusal (a long name) takes the whole load.
  if (c.k === 'obj') return IN_PLACE_OBJECTS.has(c.obj.type) && c.obj.name.length <= 64 && c.op !== 'reset' && c.op !== 'list';
  if (c.k === 'chain') {
    const ch = t.chains.get(c.chain.name);
    const d = c.chain;
    // A new regular chain: no packet reaches it before a jump does. A new base chain (on its devices
    // too): packets skip it until the commit (commit.ts txAddBaseChain). validate.ts's refusals (a long
    // name, a regular chain's policy, a type the family or hook lacks) take the whole load.
    if (!ch && (c.op === 'add' || c.op === 'create')) {
      const h = d.hook;
      const typed = !!h && (h.type === 'filter' || (['ip', 'ip6', 'inet'].includes(c.family) && (h.type === 'nat' ? h.hook !== 'forward' : h.type === 'route' && h.hook === 'output')));
      const base = !h || typed;
      return base && (d.policy === undefined || !!d.hook) && d.name.length <= 64 && d.rules.every((r) => !r.insert && ruleInPlace(r.stmts));
    }
    // A chain deleted by name (whether anything still jumps to it: inUse, after the replay); `destroy` of none is nothing.
    if (c.op === 'delete' || c.op === 'destroy') return c.handle === undefined && (!!ch || c.op === 'destroy');
    if (!ch || (c.op !== 'add' && c.op !== 'flush')) return false;
    if (c.op === 'flush') return true;
    // An existing chain: its policy, comment and rules may change in place, not its hook (validate.ts has those errors).
    const sameHook = d.hook ? !!ch.hook && JSON.stringify(resolveHook(c.family, d.hook)) === JSON.stringify(ch.hook) : d.policy === undefined;
    return sameHook && d.rules.every((r) => !r.insert && ruleInPlace(r.stmts));
  }
  // A new named set or map: nothing reaches it before a rule does. The kernel's refusals of one
  // (a long name, more elements than its size, timeouts without the flag) take the whole load.
  // A size is the VM's room too (the compiler counts the elements against it, as the kernel does).
  // A deleted set no rule uses (inUse, after the replay) is out of every packet's reach already.
  if (c.k === 'set' && (c.op === 'delete' || c.op === 'destroy')) return c.handle === undefined && t.sets.has(c.set.name);
  if (c.k === 'set' && (c.op === 'add' || c.op === 'create')) {
    const d = c.set;
    return !t.sets.has(d.name) && d.name.length <= 64 && !timed(d.elems);
  }
  const s = c.k === 'element' ? t.sets.get(c.set) : c.k === 'set' && c.op === 'flush' ? t.sets.get(c.set.name) : undefined;
  // Constant sets take no elements.
  if (!s || s.def.flags & 2) return false;
  // An interval set's next contents are built whole (commit.ts txReplaceSet): not a verdict map's (their jumps are checked element by element), nor with timeouts.
  if (s.def.flags & 4) return !s.def.verdictMap && !(s.def.flags & 0x10) && (c.k !== 'element' || !timed(c.elems));
  return c.k !== 'element' || !timed(c.elems) || !!(s.def.flags & 0x10);
}

/**
 * Each table, chain, set and object named by at most one command of its kind
 * (a flush aside): `create` after `add`, or one deleted and added again, is
 * for the whole load's checks (validate.ts) and replay.
 */
function namedOnce(cmds: Cmd[]): boolean {
  const seen = new Set<string>();
  for (const c of cmds) {
    // A table's block holds its chains: the table command itself counts only when it is not one.
    if ((c.k !== 'chain' && c.k !== 'obj' && c.k !== 'table' && c.k !== 'set') || c.op === 'flush') continue;
    const k = c.k === 'table' ? `table ${c.family} ${c.name}` : c.k === 'chain' ? `chain ${c.family} ${c.table} ${c.chain.name}` : c.k === 'set' ? `set ${c.family} ${c.table} ${c.set.name}` : `${c.obj.type} ${c.family} ${c.table} ${c.obj.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
  }
  return true;
}

/** Elements with a timeout or expiry (or nested ones, which may have them). */
const timed = (elems: Elem[]) => elems.some((e) => e.timeout !== undefined || e.expires !== undefined || e.key.k === 'set');

/** The in-place change an output makes (undefined: none; false: one the VM cannot make in place). */
function inPlaceOp(o: Output, tables: Map<string, LTable>, placing: Placing | undefined): InPlaceOp | InPlaceOp[] | undefined | false {
  if (o.k === 'cmd') {
    const c = o.cmd;
    if (c.k === 'rule' && c.op === 'delete') return { k: 'delRule', table: tables.get(`${c.family} ${c.table}`)!, chain: c.chain, handle: c.handle! };
    if (c.k === 'table') {
      // Replayed after this: a new table is not in `tables` yet.
      const t = tables.get(`${c.family} ${c.name}`);
      // `add` of a table that is there takes the command's flags (none given: none).
      const dormant = !!c.flags?.includes('dormant');
      if (c.op === 'add' || c.op === 'create') return !t ? { k: 'addTable', family: c.family, name: c.name } : t.flags.includes('dormant') !== dormant ? { k: 'tableDormant', table: t, dormant } : undefined;
      if (!t) return undefined;
      const flushes = [...t.chains.keys()].map((chain): InPlaceOp => ({ k: 'flushChain', table: t, chain }));
      if (c.op === 'flush') return flushes;
      // Deleted: every rule out, then every chain, set and object, then the table.
      return [
        ...flushes, ...[...t.chains.keys()].map((chain): InPlaceOp => ({ k: 'delChain', table: t, chain })),
        ...[...t.sets.keys()].map((set): InPlaceOp => ({ k: 'delSet', table: t, set })),
        ...t.objs.map((o): InPlaceOp => ({ k: 'delObject', table: t, type: o.decl.type, name: o.decl.name })), { k: 'delTable', table: t },
      ];
    }
    if (c.k === 'obj') {
      // Replayed after this: a new object takes handle t.next; `add` of one the table has keeps it.
      const t = tables.get(`${c.family} ${c.table}`)!;
      const has = t.objs.some((o) => o.decl.name === c.obj.name && o.decl.type === c.obj.type);
      if (c.op === 'add' || c.op === 'create') return has ? undefined : { k: 'addObject', table: t, obj: c.obj, handle: t.next };
      return has ? { k: 'delObject', table: t, type: c.obj.type, name: c.obj.name } : undefined;
    }
    if (c.k === 'set' && (c.op === 'delete' || c.op === 'destroy')) {
      const t = tables.get(`${c.family} ${c.table}`)!;
      return t.sets.has(c.set.name) ? { k: 'delSet', table: t, set: c.set.name } : undefined;
    }
    // An interval set's deleted elements come as no output of their own (the compiler keeps the set whole).
    if (c.k === 'element' && (c.op === 'delete' || c.op === 'destroy')) {
      const t = tables.get(`${c.family} ${c.table}`)!;
      const def = t.sets.get(c.set)?.def;
      return def && def.flags & 4 ? { k: 'setElements', table: t, set: def } : undefined;
    }
    if (c.k !== 'chain') return undefined;
    const t = tables.get(`${c.family} ${c.table}`)!;
    const name = c.chain.name;
    if (c.op === 'flush') return { k: 'flushChain', table: t, chain: name };
    // Replayed after this: the table does not hold a new chain yet, nor its handle (t.next).
    if (c.op === 'delete' || c.op === 'destroy') return t.chains.has(name) ? [{ k: 'flushChain', table: t, chain: name }, { k: 'delChain', table: t, chain: name }] : undefined;
    if (!t.chains.has(name)) {
      const h = c.chain.hook && resolveHook(c.family, c.chain.hook);
      return { k: 'addChain', table: t, chain: name, handle: t.next, ...(h ? { base: { type: h.type, hook: h.hook, prio: h.prio, policy: c.chain.policy ?? 'accept', devices: [...h.devices] } } : {}) };
    }
    return c.chain.policy ? { k: 'policy', table: t, chain: c.chain.name, policy: c.chain.policy } : undefined;
  }
  if (o.k === 'rule') {
    const r = o.rule;
    const t = tables.get(`${r.family} ${r.table}`);
    const ch = t?.chains.get(r.chain);
    if (!t || !ch || !placing || placing.chain !== r.chain) return false;
    // A rule that adds to a set: in place but for element expressions (their area is a whole load's); a set it makes (a meter) takes a whole load too (planInPlace).
    if (r.insns.some((i) => i.op === 'dynset' && i.exprs.length)) return false;
    if (placing.op === 'replace') {
      // In after the old rule, with its handle; then the old one out (commit.ts findRule tells them apart).
      const h = placing.handle!;
      return [
        { k: 'addRule', table: t, chain: r.chain, rule: r, handle: h, mode: 2, ref: h, firstSet: t.next },
        { k: 'delRule', table: t, chain: r.chain, handle: h },
      ];
    }
    const insert = placing.op === 'insert';
    let ref = placing.position ?? placing.handle;
    if (ref === undefined && placing.index !== undefined) ref = ch.rules[placing.index]?.handle ?? -1;
    if (ref === -1) return false;
    const mode = ref === undefined ? (insert ? 1 : 0) : insert ? 3 : 2;
    return { k: 'addRule', table: t, chain: r.chain, rule: r, handle: t.next + r.anonSets.length, mode, ref: ref ?? 0, firstSet: t.next };
  }
  if (o.k === 'elements' || o.k === 'delElements' || o.k === 'flushSet') {
    const t = tables.get(`${o.set.family} ${o.set.table}`);
    if (!t || t.sets.get(o.set.name)?.def !== o.set) return false;
    if (o.set.flags & 4) return { k: 'setElements', table: t, set: o.set };
    if (o.k === 'flushSet') return { k: 'flushSet', table: t, set: o.set };
    return { k: o.k === 'elements' ? 'addElements' : 'delElements', table: t, set: o.set, elements: o.elements };
  }
  if (o.k === 'set') {
    const t = tables.get(`${o.set.family} ${o.set.table}`);
    return !!t && !t.sets.has(o.set.name) && { k: 'addSet', table: t, set: o.set, elements: o.elements, handle: t.next };
  }
  // `chain` is the text of an `add chain` inPlaceCmd let through, `obj` of an object command.
  return undefined;
}

/** A table as the VM image lists it. */
function progTable(t: LTable): ProgTable {
  return { family: t.family, name: t.name, ...(t.flags.includes('dormant') ? { dormant: true as const } : {}) };
}

/** A named object as the VM image lists it (its state record: the counter, quota or limit it starts with). */
export function progObject(table: number, decl: ObjDecl, handle: number): ProgObject {
  const state = objectState(decl);
  return { table, name: decl.name, handle, type: OBJECT_TYPES[decl.type] ?? 0, ...(state ? { state } : {}) };
}

/**
 * The VM image of replayed tables: chains, objects, named sets with their
 * current elements, and each chain's rules in the kernel's order, all with
 * the kernel's handles (so a verdict's rule handle is the one `-a` lists).
 * Chains and objects come table by table, or in `order` (Generation.order:
 * the VM's records after in-place commits, a free one as a chain or object
 * named ''; with a chain order the anonymous sets come after every named one).
 */
export function programOfTables(tables: LTable[], result: CompileResult, vmOrder?: VmOrder): { program: Program; ruleRefs: { table: LTable; rule: LRule }[] } {
  const order = vmOrder?.chains;
  const p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };
  // Each table's index: the VM's (a free record as a table named ''), else the tables' order.
  const tableIndex = new Map<LTable, number>();
  if (vmOrder?.tables) {
    const byKey = new Map(tables.map((t) => [`${t.family} ${t.name}`, t]));
    for (const k of vmOrder.tables) {
      const t = k === undefined ? undefined : byKey.get(k);
      if (t) tableIndex.set(t, p.tables.length);
      p.tables.push(t ? progTable(t) : { family: 'ip', name: '' });
    }
  }
  for (const t of tables) {
    if (tableIndex.has(t)) continue;
    tableIndex.set(t, p.tables.length);
    p.tables.push(progTable(t));
  }
  const ruleRefs: { table: LTable; rule: LRule }[] = [];
  const chainIndex = new Map<LChain, number>();
  const placed: { ti: number; t: LTable; c: LChain }[] = [];
  const addChain = (ti: number, t: LTable, c: LChain) => {
    chainIndex.set(c, p.chains.length);
    placed.push({ ti, t, c });
    p.chains.push({
      table: ti, name: c.name, handle: c.handle,
      ...(c.hook ? { hook: { type: c.hook.type, hook: c.hook.hook, prio: c.hook.prio, devices: [...c.hook.devices] } } : {}),
      ...(c.policy !== undefined ? { policy: c.policy } : {}),
    });
  };
  const addRules = ({ ti, t, c }: { ti: number; t: LTable; c: LChain }) => {
    for (const lr of c.rules) {
      const anonSets: number[] = [];
      lr.rule.anonSets.forEach((s, k) => {
        anonSets.push(p.sets.length);
        const set: ProgSet = { ...progSet(ti, lr.handle - lr.rule.anonSets.length + k, s), elements: s.elements };
        p.sets.push(set);
      });
      const rule: ProgRule = { chain: chainIndex.get(c)!, handle: lr.handle, anonSets, insns: lr.rule.insns };
      if (lr.rule.comment !== undefined) rule.comment = lr.rule.comment;
      p.rules.push(rule);
      ruleRefs.push({ table: t, rule: lr });
    }
  };
  if (order && tables.length) {
    const byKey = new Map<string, { ti: number; t: LTable; c: LChain }>();
    tables.forEach((t) => t.chains.forEach((c) => byKey.set(chainKey(t, c.name), { ti: tableIndex.get(t)!, t, c })));
    for (const k of order) {
      const at = k === undefined ? undefined : byKey.get(k);
      if (at) addChain(at.ti, at.t, at.c);
      else p.chains.push({ table: 0, name: '', handle: 0 });
    }
  }
  const objectsPlaced = new Set<LObject>();
  const addObject = (ti: number, o: LObject) => {
    objectsPlaced.add(o);
    p.objects.push(progObject(ti, o.decl, o.handle));
  };
  if (vmOrder?.objects) {
    const byKey = new Map<string, { ti: number; o: LObject }>();
    tables.forEach((t) => t.objs.forEach((o) => byKey.set(objectKey(t, OBJECT_TYPES[o.decl.type] ?? 0, o.decl.name), { ti: tableIndex.get(t)!, o })));
    for (const k of vmOrder.objects) {
      const at = k === undefined ? undefined : byKey.get(k);
      if (at) addObject(at.ti, at.o);
      else p.objects.push({ table: 0, name: '', handle: 0, type: 0 });
    }
  }
  tables.forEach((t) => {
    const ti = tableIndex.get(t)!;
    const from = placed.length;
    for (const c of t.chains.values()) if (!chainIndex.has(c)) addChain(ti, t, c);
    for (const o of t.objs) if (!objectsPlaced.has(o)) addObject(ti, o);
    for (const s of t.sets.values()) p.sets.push({ ...progSet(ti, s.handle, s.def), elements: [...s.elements] });
    // Sets a rule creates itself (meters, `add @s`) live only in the compiler's table.
    const ct = result.tables.get(`${t.family} ${t.name}`);
    for (const [name, def] of ct?.sets ?? []) {
      if (!t.sets.has(name) && !def.anonymous) p.sets.push({ ...progSet(ti, 0, def), elements: [...def.elements] });
    }
    if (!order) placed.slice(from).forEach(addRules);
  });
  if (order) placed.forEach(addRules);
  return { program: p, ruleRefs };
}
