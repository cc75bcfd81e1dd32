// The kernel's answer to the batch: `nft -c` sends every command to the
// kernel (which checks it, then aborts instead of committing), so refusals
// at object-add time are errors of `nft -c` too (nftables: the kernel's
// nf_tables_api.c checks, reported by src/mnl.c as "Could not process
// rule: <errno text>" at the offending attribute's location).
// Example: `jump out` where `out` is a base chain → Operation not supported.
// Loops, jump depth and hook restrictions of expressions are checked only at
// commit, which `-c` never reaches, so they are not checked here.

import type { Cmd, Elem, Expr, Stmt } from './ast.js';
import { Diagnostics, msg } from './diagnostics.js';
import { tokenize, type Token } from './lexer.js';
import type { Source, Span } from './source.js';
import { blockGroups } from './ruleset.js';
import { resolveHook } from './chain.js';

/** Kernel errno texts as strerror(3) words them. */
const ENOENT = 'No such file or directory';
const EEXIST = 'File exists';
const ERANGE = 'Numerical result out of range';
const EOPNOTSUPP = 'Operation not supported';
const ENFILE = 'Too many open files in system';
const EINVAL = 'Invalid argument';
const EBUSY = 'Device or resource busy';

/** NFT_NAME_MAXLEN - 1: longest table/chain/set/object name in bytes. */
const NAME_MAX = 255;

/** Chain types the kernel registers, per family. */
const CHAIN_TYPES: Record<string, string[]> = {
  ip: ['filter', 'nat', 'route'],
  ip6: ['filter', 'nat', 'route'],
  inet: ['filter', 'nat', 'route'],
  arp: ['filter'],
  bridge: ['filter'],
  netdev: ['filter'],
};

interface KChain {
  base: boolean;
  rules: number[];
  /** `type hook priority` of a base chain. */
  hook?: string;
  /** Made by an earlier transaction (compiler/transaction.ts boundaries). */
  committed?: boolean;
}
interface KSet {
  constant: boolean;
  timeout: boolean;
  /** Made by an earlier transaction. */
  committed?: boolean;
}
interface KTable {
  chains: Map<string, KChain>;
  sets: Map<string, KSet>;
  objects: Set<string>;
  flowtables: Set<string>;
  /** The table's handle generator: chains, sets, objects and rules share it. */
  handle: number;
}

/** Options of validateBatch. */
export interface ValidateOptions {
  /**
   * Check the handles rule commands name (`position N`, `replace ... handle N`).
   * compiler/transaction.ts turns this off: it checks them against the
   * replayed kernel state, whose handles count anonymous sets too.
   */
  ruleHandles?: boolean;
}

/** Checks the commands of a file the way the kernel checks nft's batch; reports into `diags`. */
export function validateBatch(cmds: Cmd[], diags: Diagnostics, opts: ValidateOptions = {}): void {
  new Kernel(diags, opts.ruleHandles ?? true).run(cmds);
}

class Kernel {
  private tables = new Map<string, KTable>();
  private toks = new Map<Source, Token[]>();
  /** Where each chain name was declared, even if the kernel refused the chain: its rules point there (span, name; resolved only for an error). */
  private chainNames = new Map<string, [Span, string]>();
  constructor(private diags: Diagnostics, private ruleHandles = true) {}

  private refuse(span: Span, errno: string): void {
    this.diags.error(span, msg.kernel(errno));
  }

  /** Tokens inside `span` (re-scanned from its source once, then found by binary search: a file may hold 100,000 rules). */
  private tokens(span: Span): Token[] {
    let all = this.toks.get(span.src);
    if (!all) this.toks.set(span.src, (all = tokenize(span.src)));
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]!.start < span.start) lo = mid + 1;
      else hi = mid;
    }
    const out: Token[] = [];
    for (let i = lo; i < all.length && all[i]!.start < span.end; i++) {
      const t = all[i]!;
      if (t.end <= span.end && t.kind !== 'newline' && t.kind !== 'eof') out.push(t);
    }
    return out;
  }

  /** The span of the last token spelling `name` in `span` before any `{` (the whole span if none). */
  private nameSpan(span: Span, name: string, first = false): Span {
    let found: Token | undefined;
    for (const t of this.tokens(span)) {
      if (t.kind === 'punct' && t.text === '{') break;
      if (t.text === name && t.kind !== 'punct') {
        found = t;
        if (first) break;
      }
    }
    return found ? { src: span.src, start: found.start, end: found.end } : span;
  }

  /** The span of `keyword VALUE` in `span`. */
  private keywordSpan(span: Span, keyword: string): Span {
    const ts = this.tokens(span);
    const i = ts.findIndex((t) => t.kind === 'word' && t.text === keyword);
    if (i < 0) return span;
    const last = ts[Math.min(i + 1, ts.length - 1)]!;
    return { src: span.src, start: ts[i]!.start, end: last.end };
  }

  run(cmds: Cmd[]): void {
    // A table block is sent as the table, then its commands grouped by kind.
    let i = 0;
    while (i < cmds.length) {
      const c = cmds[i]!;
      if (c.k === 'table' && c.block) {
        const j = i + 1 + (c.body ?? 0);
        this.cmd(c);
        for (const group of blockGroups(cmds.slice(i + 1, j))) for (const x of group) this.cmd(x);
        i = j;
        continue;
      }
      this.cmd(c);
      i++;
    }
  }

  private cmd(c: Cmd): void {
    switch (c.k) {
      case 'table':
        return this.table(c);
      case 'chain':
        return this.chain(c);
      case 'set':
        return this.set(c);
      case 'element': {
        const t = this.tables.get(`${c.family} ${c.table}`);
        const s = t?.sets.get(c.set);
        if (!t || !s) return;
        if (c.op === 'add' || c.op === 'create') this.elements(t, s, c.elems, false, c.span);
        return;
      }
      case 'obj': {
        const t = this.tables.get(`${c.family} ${c.table}`);
        if (!t) return;
        if (c.op === 'add' || c.op === 'create') {
          if (byteLength(c.obj.name) > NAME_MAX) return this.refuse(this.nameSpan(c.obj.span, c.obj.name), ERANGE);
          t.objects.add(`${c.obj.type} ${c.obj.name}`);
          t.handle++;
        } else if (c.op === 'delete' || c.op === 'destroy') t.objects.delete(`${c.obj.type} ${c.obj.name}`);
        return;
      }
      case 'flowtable': {
        const t = this.tables.get(`${c.family} ${c.table}`);
        if (!t) return;
        const at = () => this.nameSpan(c.ft.span, c.ft.name);
        if (c.op === 'add' || c.op === 'create') {
          if (byteLength(c.ft.name) > NAME_MAX) return this.refuse(at(), ERANGE);
          if (t.flowtables.has(c.ft.name) && c.op === 'create') return this.refuse(at(), EEXIST);
          t.flowtables.add(c.ft.name);
          t.handle++;
        } else if (c.op === 'delete' || c.op === 'destroy') {
          if (!t.flowtables.delete(c.ft.name) && c.op === 'delete') return this.refuse(at(), ENOENT);
        }
        return;
      }
      case 'rule':
        return this.rule(c);
      case 'flushRuleset':
        for (const k of [...this.tables.keys()]) if (!c.family || k.startsWith(`${c.family} `)) this.tables.delete(k);
        return;
      case 'handles':
        if (c.gap) return;
        // A transaction boundary: what exists now is in the kernel.
        for (const t of this.tables.values()) {
          for (const ch of t.chains.values()) ch.committed = true;
          for (const s of t.sets.values()) s.committed = true;
        }
        return;
    }
  }

  private table(c: Cmd & { k: 'table' }): void {
    const key = `${c.family} ${c.name}`;
    const at = () => this.nameSpan(c.span, c.name);
    const t = this.tables.get(key);
    switch (c.op) {
      case 'add':
      case 'create':
        if (byteLength(c.name) > NAME_MAX) return this.refuse(at(), ERANGE);
        if (t && c.op === 'create') return this.refuse(at(), EEXIST);
        if (!t) this.tables.set(key, { chains: new Map(), sets: new Map(), objects: new Set(), flowtables: new Set(), handle: 0 });
        return;
      case 'delete':
        if (!t) return this.refuse(at(), ENOENT);
        this.tables.delete(key);
        return;
      case 'destroy':
        this.tables.delete(key);
        return;
      case 'flush':
        if (!t) return this.refuse(at(), ENOENT);
        for (const ch of t.chains.values()) ch.rules = [];
        return;
      case 'list':
        return;
    }
  }

  private chain(c: Cmd & { k: 'chain' }): void {
    const t = this.tables.get(`${c.family} ${c.table}`);
    if (!t) return;
    const ch = c.chain;
    const at = () => this.nameSpan(ch.span, ch.name);
    if (c.op === 'add' || c.op === 'create') this.chainNames.set(`${c.family} ${c.table} ${ch.name}`, [ch.span, ch.name]);
    const existing = t.chains.get(ch.name);
    if (c.op === 'delete' || c.op === 'destroy') {
      t.chains.delete(ch.name);
      return;
    }
    if (c.op === 'rename') {
      if (existing && c.newName !== undefined && !t.chains.has(c.newName)) {
        t.chains.delete(ch.name);
        t.chains.set(c.newName, existing);
      }
      return;
    }
    if (c.op === 'flush') {
      if (existing) existing.rules = [];
      return;
    }
    if (c.op !== 'add' && c.op !== 'create') return;
    if (byteLength(ch.name) > NAME_MAX) return this.refuse(at(), ERANGE);
    if (existing && c.op === 'create') return this.refuse(at(), EEXIST);
    const h = ch.hook;
    if (h) {
      if (!CHAIN_TYPES[c.family]?.includes(h.type)) return this.refuse(h.typeSpan, ENOENT);
      if (h.type === 'nat' && h.hook === 'forward') return this.refuse(at(), EOPNOTSUPP);
      if (h.type === 'route' && h.hook !== 'output') return this.refuse(at(), EOPNOTSUPP);
    } else if (ch.policy !== undefined && !existing?.base) {
      return this.refuse(ch.policySpan ?? at(), EOPNOTSUPP);
    }
    const hook = h ? `${h.type} ${resolveHook(c.family, h).hook} ${resolveHook(c.family, h).prio}` : undefined;
    // A committed chain's type, hook and priority cannot change (kernel: nf_tables_updchain).
    if (existing?.committed && hook !== undefined && existing.hook !== hook) return this.refuse(lineSpan(c.span), EOPNOTSUPP);
    if (!existing) {
      t.chains.set(ch.name, { base: !!h, rules: [], ...(hook !== undefined ? { hook } : {}) });
      t.handle++;
    }
    for (const r of ch.rules) this.addRule(t, `${c.family} ${c.table}`, ch.name, r.stmts, ch.span);
  }

  private set(c: Cmd & { k: 'set' }): void {
    const t = this.tables.get(`${c.family} ${c.table}`);
    if (!t) return;
    const d = c.set;
    if (c.op === 'delete' || c.op === 'destroy') {
      t.sets.delete(d.name);
      return;
    }
    if (c.op !== 'add' && c.op !== 'create') return;
    const at = () => this.nameSpan(d.span, d.name);
    if (byteLength(d.name) > NAME_MAX) return this.refuse(at(), ERANGE);
    let s = t.sets.get(d.name);
    if (s && c.op === 'create') return this.refuse(at(), EEXIST);
    if (!s) {
      s = { constant: d.flags.includes('constant'), timeout: d.flags.includes('timeout') || d.timeout !== undefined };
      t.sets.set(d.name, s);
      t.handle++;
    }
    // A constant set takes its elements with the set itself, never later.
    this.elements(t, s, d.elems, true);
  }

  private elements(t: KTable, s: KSet, elems: Elem[], withSet: boolean, cmdSpan?: Span): void {
    for (const el of flatElems(elems)) {
      const key = el.key.span;
      // A constant set an earlier transaction made is busy (the whole command); one made in this batch is full.
      if (s.constant && !withSet && s.committed && cmdSpan) return this.refuse(lineSpan(cmdSpan), EBUSY);
      if (s.constant && !withSet) return this.refuse(key, ENFILE);
      if ((el.timeout !== undefined || el.expires !== undefined) && !s.timeout) return this.refuse(key, EINVAL);
      if (el.data?.k === 'verdict' && el.data.chain !== undefined && !this.jumpOk(t, el.data.chain, () => key)) return;
    }
  }

  /** Checks a jump/goto target; reports and returns false if the kernel refuses it (`at`: the error's span, found only then). */
  private jumpOk(t: KTable, chain: string, at: () => Span): boolean {
    const target = t.chains.get(chain);
    if (!target) this.refuse(at(), byteLength(chain) > NAME_MAX ? ERANGE : ENOENT);
    else if (target.base) this.refuse(at(), EOPNOTSUPP);
    return !!target && !target.base;
  }

  private rule(c: Cmd & { k: 'rule' }): void {
    const t = this.tables.get(`${c.family} ${c.table}`);
    if (!t || c.op === 'delete') return;
    const ch = t.chains.get(c.chain);
    const ref = c.position ?? c.handle;
    if (this.ruleHandles && ch && ref !== undefined && !ch.rules.includes(ref)) {
      return this.refuse(this.keywordSpan(c.span, c.position !== undefined ? 'position' : 'handle'), ENOENT);
    }
    this.addRule(t, `${c.family} ${c.table}`, c.chain, c.rule.stmts, c.span);
  }

  private addRule(t: KTable, tableKey: string, chain: string, stmts: Stmt[], cmdSpan: Span): void {
    const ch = t.chains.get(chain);
    if (!ch) {
      const decl = this.chainNames.get(`${tableKey} ${chain}`);
      const at = decl ? this.nameSpan(decl[0], decl[1]) : this.nameSpan(cmdSpan, chain);
      return this.refuse(at, byteLength(chain) > NAME_MAX ? ERANGE : ENOENT);
    }
    for (const s of stmts) if (!this.stmt(t, s)) return;
    ch.rules.push(++t.handle);
  }

  /** Checks one statement's references; false once the kernel has refused the rule. */
  private stmt(t: KTable, s: Stmt): boolean {
    switch (s.k) {
      case 'verdict':
        if (s.v.chain === undefined) return true;
        return this.jumpOk(t, s.v.chain, () => this.nameSpan(s.v.span, s.v.chain!));
      case 'vmap':
        return this.anonVerdicts(t, s.e.map);
      case 'match':
        return this.anonVerdicts(t, s.r);
      case 'objref':
        if (s.name === undefined) return this.anonObjects(t, s.type, s.map);
        if (t.objects.has(`${s.type} ${s.name}`)) return true;
        this.refuse(this.nameSpan(s.span, s.name), ENOENT);
        return false;
      case 'flowoffload':
        if (t.flowtables.has(s.name)) return true;
        this.refuse(s.span, ENOENT);
        return false;
      case 'dynset': {
        const set = t.sets.get(s.set);
        if (set && s.timeout !== undefined && !set.timeout) {
          this.refuse(s.span, EOPNOTSUPP);
          return false;
        }
        return true;
      }
      default:
        return true;
    }
  }

  /** The objects an anonymous object map names are looked up as its elements are added. */
  private anonObjects(t: KTable, type: string, map: Expr | undefined): boolean {
    if (map?.k !== 'map' || map.map.k !== 'set') return true;
    for (const el of flatElems(map.map.elems)) {
      if (el.data?.k === 'sym' && !t.objects.has(`${type} ${el.data.text}`)) {
        this.refuse(el.key.span, ENOENT);
        return false;
      }
    }
    return true;
  }

  /** Jumps inside an anonymous verdict map are checked as its elements are added. */
  private anonVerdicts(t: KTable, e: Expr): boolean {
    if (e.k !== 'set') return true;
    for (const el of flatElems(e.elems)) {
      if (el.data?.k === 'verdict' && el.data.chain !== undefined && !this.jumpOk(t, el.data.chain, () => el.key.span)) return false;
    }
    return true;
  }
}

/** A command's span with the newline after it, as nft's location of a whole command line reaches. */
function lineSpan(span: Span): Span {
  return span.src.text[span.end] === '\n' ? { ...span, end: span.end + 1 } : span;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Elements with nested set literals (`{ $list, 1 }`) flattened. */
function flatElems(elems: Elem[]): Elem[] {
  const out: Elem[] = [];
  for (const el of elems) {
    if (el.key.k === 'set' && !el.data) out.push(...flatElems(el.key.elems));
    else out.push(el);
  }
  return out;
}
