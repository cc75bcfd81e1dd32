// Recursive-descent parser for nft ruleset files (nftables:
// src/parser_bison.y, rewritten by hand). Errors are collected; after a
// syntax error the parser skips to the end of the statement line and goes on.
// Example: `table inet t { chain c { tcp dport 22 accept } }`.

import type { Cmd, ChainDecl, Elem, Expr, Hook, ObjDecl, RelOp, RuleDecl, SetDecl, Stmt, TypeSpec } from './ast.js';
import { CompileError, Diagnostics, msg } from './diagnostics.js';
import { tokenize, tokSpan, type Token } from './lexer.js';
import { suggest } from './misspell.js';
import type { Source, Span } from './source.js';
import { join } from './source.js';
import { protocols } from './proto/index.js';
import { META_KEYS, META_BARE } from './expr/meta-keys.js';
import { parseTime, parseBytesUnit, parseRateUnit } from './units.js';

/** Reads an included file; returns undefined when it does not exist. */
export type FileReader = (path: string, from: string) => { name: string; text: string } | undefined;

const FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];
const VERDICTS = ['accept', 'drop', 'continue', 'return', 'jump', 'goto'];
const STMT_END = new Set(['\n', ';', '}']);
const MAX_DEPTH = 200;
// How bison names punctuation tokens in nft's messages: named tokens, quoted
// character literals, the rest by their text (`unexpected -`).
const PUNCT_NAMES: Record<string, string> = { ',': 'comma', ':': 'colon', ';': 'semicolon', '~': 'junk' };
const QUOTED_PUNCT = ['{', '}', '(', ')', '[', ']', '=', '|', '$'];
const SET_FLAGS = ['constant', 'interval', 'dynamic', 'timeout'];
const SET_FLAGS_EXPECTED = 'constant or interval or dynamic or timeout';

class Scope {
  vars = new Map<string, Expr>();
  constructor(public parent?: Scope) {}
  get(name: string): Expr | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  /** Every visible name, innermost scope first. */
  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }
}

/** Parses one source (and its includes) into commands, collecting errors. */
export class Parser {
  private toks: Token[] = [];
  private pos = 0;
  private depth = 0;
  /** Table blocks open around the current token (0 at top level). */
  private blockDepth = 0;
  private scope: Scope;
  readonly cmds: Cmd[] = [];
  /** Include nesting of each included source. */
  private includeDepth = new Map<Source, number>();

  constructor(
    src: Source,
    private diags: Diagnostics,
    private read?: FileReader,
  ) {
    this.scope = new Scope();
    this.toks = tokenize(src);
  }

  // ---- token helpers ----
  private get t(): Token {
    return this.toks[this.pos]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.pos + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private is(text: string): boolean {
    const t = this.t;
    return (t.kind === 'word' || t.kind === 'punct') && t.text === text;
  }
  private eat(text: string): boolean {
    if (this.is(text)) {
      this.pos++;
      return true;
    }
    return false;
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of file';
    if (t.kind === 'newline') return 'newline';
    if (t.kind === 'string') return 'quoted string';
    if (t.kind === 'number') return 'number';
    if (t.kind === 'punct') return PUNCT_NAMES[t.text] ?? (QUOTED_PUNCT.includes(t.text) ? `'${t.text}'` : t.text);
    if (t.kind === 'bad') return `junk`;
    if (t.kind === 'word' && /^[a-z][a-z0-9-]*$/.test(t.text) && KEYWORDS.has(t.text)) return t.text;
    return 'string';
  }
  fail(t: Token, expecting?: string): never {
    throw new CompileError(tokSpan(t), `syntax error, unexpected ${this.describe(t)}` + (expecting ? `, expecting ${expecting}` : ''));
  }
  private expect(text: string, expecting = text): Token {
    if (!this.is(text)) this.fail(this.t, expecting);
    return this.next();
  }
  private word(expecting = 'string'): Token {
    const t = this.t;
    if (t.kind === 'word' || t.kind === 'string') return this.next();
    this.fail(t, expecting);
  }
  private identifier(expecting = 'string'): string {
    const t = this.t;
    if (t.kind === 'string' || (t.kind === 'word' && !KEYWORDS.has(t.text))) return this.next().text;
    if (this.is('$')) {
      const v = this.variable();
      if (v.k === 'sym') return v.text;
    }
    this.fail(t, expecting);
  }
  private number(expecting = 'number'): number {
    const t = this.t;
    if (t.kind === 'number') {
      this.next();
      return Number(t.text);
    }
    this.fail(t, expecting);
  }
  private bigint(): bigint {
    const t = this.t;
    if (t.kind === 'number') {
      this.next();
      return BigInt(t.text);
    }
    this.fail(t, 'number');
  }
  private skipNewlines(): void {
    while (this.t.kind === 'newline' || this.is(';')) this.pos++;
  }
  private atStmtEnd(): boolean {
    const t = this.t;
    return t.kind === 'eof' || t.kind === 'newline' || (t.kind === 'punct' && STMT_END.has(t.text));
  }
  private endOfLine(): void {
    if (this.atStmtEnd()) {
      if (this.t.kind === 'newline' || this.is(';')) this.pos++;
      return;
    }
    this.fail(this.t, this.blockDepth ? 'newline or semicolon' : 'end of file or newline or semicolon');
  }
  /** After a chain or set block inside a table: a `}` on the same line is an error. */
  private endOfBlock(): void {
    if (this.is('}')) this.fail(this.t, 'newline or semicolon');
    this.endOfLine();
  }
  /** After an error: skip to the end of the current line (or a closing brace). */
  private recover(): void {
    let depth = 0;
    while (this.t.kind !== 'eof') {
      if (this.is('{')) depth++;
      else if (this.is('}')) {
        if (depth === 0) return;
        depth--;
      } else if ((this.t.kind === 'newline' || this.is(';')) && depth === 0) {
        this.pos++;
        return;
      }
      this.pos++;
    }
  }
  private guard<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (e instanceof CompileError) {
        this.diags.error(e.span, e.message, e.keepEvaluating);
        this.recover();
        return undefined;
      }
      throw e;
    }
  }
  private spanFrom(start: Token): Span {
    const last = this.toks[Math.max(0, this.pos - 1)]!;
    // Tokens of an included file are spliced in; a span never crosses files.
    const end = last.src === start.src ? Math.max(start.end, last.end) : start.end;
    return { src: start.src, start: start.start, end };
  }
  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth = 0;
      throw new CompileError(tokSpan(this.t), 'syntax error, nesting too deep');
    }
  }

  // ---- top level ----
  /** Parses the whole source. */
  parseFile(): Cmd[] {
    this.skipNewlines();
    while (this.t.kind !== 'eof') {
      const before = this.pos;
      this.guard(() => this.topCommand());
      if (this.pos === before) this.pos++; // never loop on the same token
      this.skipNewlines();
    }
    return this.cmds;
  }

  private topCommand(): void {
    const t = this.t;
    if (t.kind !== 'word') {
      if (this.is('}')) this.fail(t);
      this.fail(t);
    }
    switch (t.text) {
      case 'table': {
        this.next();
        this.tableBlock(t, 'add');
        return;
      }
      case 'define':
      case 'redefine': {
        this.next();
        this.define(t.text === 'redefine');
        return;
      }
      case 'undefine': {
        this.next();
        this.scope.vars.delete(this.word().text);
        this.endOfLine();
        return;
      }
      case 'include':
        this.include();
        return;
      case 'flush':
        if (this.peek().text === 'ruleset') {
          this.next();
          this.next();
          let family: string | undefined;
          if (this.t.kind === 'word' && FAMILIES.includes(this.t.text)) family = this.next().text;
          this.cmds.push({ k: 'flushRuleset', family, span: this.spanFrom(t) });
          this.endOfLine();
          return;
        }
        this.next();
        this.command(t, 'flush');
        return;
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
      case 'delete':
      case 'destroy':
      case 'list':
      case 'reset':
        this.next();
        this.command(t, t.text as 'add');
        return;
      case 'chain':
      case 'rule':
      case 'set':
      case 'map':
      case 'element':
      case 'counter':
      case 'quota':
      case 'limit':
        // Without a verb nft means `add`.
        this.command(t, 'add');
        return;
      default:
        this.fail(t);
    }
  }

  private define(redefine = false): void {
    const nameTok = this.word();
    const name = nameTok.text;
    if (!redefine && this.scope.vars.has(name)) throw new CompileError(tokSpan(nameTok), msg.redefinition(name));
    this.expect('=', "'='");
    // Only a define's value may be a negative number (`define prio = -5`).
    const minus = this.t;
    const e: Expr = this.is('-') && this.peek().kind === 'number'
      ? (this.next(), { k: 'sym', text: '-' + this.next().text, tok: 'number', span: this.spanFrom(minus) })
      : this.rhsExpr(true);
    this.scope.vars.set(name, e);
    this.endOfLine();
  }

  /**
   * `include "file"`: like nft's scanner, splices the file's tokens in
   * place of the include line, so an include works wherever a line of its
   * content would (top level, table, chain or set body).
   */
  private include(): void {
    const inc = this.expect('include');
    const s = this.t;
    if (s.kind !== 'string') this.fail(s, 'quoted string');
    this.next();
    this.endOfLine();
    const span = this.spanFrom(inc);
    if (!this.read) throw new CompileError(span, `include is not supported here`);
    const depth = (this.includeDepth.get(inc.src) ?? 0) + 1;
    if (depth > 16) throw new CompileError(span, `Include nested too deeply, max 16 levels`);
    const got = this.read(s.text, inc.src.name);
    if (!got) throw new CompileError(span, `File not found: ${s.text}`);
    const sub: Source = { name: got.name, text: got.text };
    this.includeDepth.set(sub, depth);
    const toks = tokenize(sub);
    toks.pop(); // eof
    // A newline keeps the included file's last line apart from what follows.
    toks.push({ kind: 'newline', text: '\n', start: sub.text.length, end: sub.text.length, src: sub });
    this.toks.splice(this.pos, 0, ...toks);
  }

  private familyAndName(): { family: string; name: string } {
    let family = 'ip';
    // Family names are keywords: `table ip {` lacks the name, it is not table "ip".
    if (this.t.kind === 'word' && FAMILIES.includes(this.t.text)) family = this.next().text;
    return { family, name: this.identifier('string') };
  }

  private command(verbTok: Token, verb: string): void {
    const obj = this.word('table, chain, rule, set, map, element or an object');
    switch (obj.text) {
      case 'table': {
        if (verb === 'add' || verb === 'create') {
          this.tableBlock(verbTok, verb as 'add');
          return;
        }
        const { family, name } = this.familyAndName();
        this.cmds.push({ k: 'table', op: verb as 'delete', family, name, span: this.spanFrom(verbTok), block: false });
        this.endOfLine();
        return;
      }
      case 'chain': {
        const { family, name: table } = this.familyAndName();
        const name = this.identifier();
        const chain: ChainDecl = { name, rules: [], span: this.spanFrom(verbTok) };
        if (this.eat('{')) this.chainBody(chain, family, table, false);
        this.cmds.push({ k: 'chain', op: verb as 'add', family, table, chain, span: this.spanFrom(verbTok) });
        this.endOfLine();
        return;
      }
      case 'rule': {
        const { family, name: table } = this.familyAndName();
        const chain = this.identifier();
        let handle: number | undefined;
        let index: number | undefined;
        let position: number | undefined;
        if (this.eat('handle')) handle = this.number();
        else if (this.eat('index')) index = this.number();
        else if (this.eat('position')) position = this.number();
        if (verb === 'delete') {
          this.cmds.push({ k: 'rule', op: 'delete', family, table, chain, rule: { stmts: [], span: this.spanFrom(verbTok) }, handle, span: this.spanFrom(verbTok) });
          this.endOfLine();
          return;
        }
        const r = this.rule(verbTok);
        if (verb === 'insert') r.insert = true;
        this.cmds.push({ k: 'rule', op: verb as 'add', family, table, chain, rule: r, handle, index, position, span: this.spanFrom(verbTok) });
        this.endOfLine();
        return;
      }
      case 'set':
      case 'map': {
        const { family, name: table } = this.familyAndName();
        const name = this.identifier();
        const set: SetDecl = { name, map: obj.text === 'map', flags: [], elems: [], stmts: [], span: this.spanFrom(verbTok) };
        if (this.eat('{')) this.setBody(set);
        this.cmds.push({ k: 'set', op: verb as 'add', family, table, set, span: this.spanFrom(verbTok) });
        this.endOfLine();
        return;
      }
      case 'element': {
        const { family, name: table } = this.familyAndName();
        const set = this.identifier();
        const s = this.setLiteral(true);
        this.cmds.push({ k: 'element', op: verb as 'add', family, table, set, elems: s.elems, span: this.spanFrom(verbTok) });
        this.endOfLine();
        return;
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'ct': {
        let type: string = obj.text;
        if (type === 'ct') type = 'ct ' + this.word().text;
        const { family, name: table } = this.familyAndName();
        const name = this.identifier();
        const o = this.objBody(type as ObjDecl['type'], name, verbTok, this.eat('{'));
        this.cmds.push({ k: 'obj', op: verb as 'add', family, table, obj: o, span: this.spanFrom(verbTok) });
        this.endOfLine();
        return;
      }
      case 'ruleset':
        this.cmds.push({ k: 'other', text: `${verb} ruleset`, span: this.spanFrom(verbTok) });
        this.recover();
        return;
      default:
        this.fail(obj);
    }
  }

  private tableBlock(start: Token, op: 'add' | 'create'): void {
    const { family, name } = this.familyAndName();
    const tcmd: Cmd & { k: 'table' } = { k: 'table', op, family, name, span: this.spanFrom(start), block: true };
    this.cmds.push(tcmd);
    if (!this.eat('{')) {
      this.endOfLine();
      return;
    }
    const outer = this.scope;
    this.scope = new Scope(outer);
    this.blockDepth++;
    try {
      this.skipNewlines();
      while (!this.is('}')) {
        if (this.t.kind === 'eof') this.fail(this.t);
        const before = this.pos;
        this.guard(() => this.tableItem(family, name, tcmd));
        if (this.pos === before) this.pos++;
        this.skipNewlines();
      }
      this.next();
    } finally {
      this.blockDepth--;
      this.scope = outer;
      tcmd.body = this.cmds.length - this.cmds.indexOf(tcmd) - 1;
    }
    this.endOfLine();
  }

  private tableItem(family: string, table: string, tcmd: Cmd & { k: 'table' }): void {
    if (this.is('include')) return this.include();
    const t = this.word();
    switch (t.text) {
      case 'chain': {
        const name = this.identifier();
        const chain: ChainDecl = { name, rules: [], span: this.spanFrom(t) };
        this.expect('{', "'{'");
        this.chainBody(chain, family, table, true);
        chain.span = this.spanFrom(t);
        this.endOfBlock();
        return;
      }
      case 'set':
      case 'map': {
        const name = this.identifier();
        const set: SetDecl = { name, map: t.text === 'map', flags: [], elems: [], stmts: [], span: this.spanFrom(t) };
        this.expect('{', "'{'");
        this.setBody(set);
        set.span = { ...set.span, end: set.span.end };
        this.cmds.push({ k: 'set', op: 'add', family, table, set, span: this.spanFrom(t) });
        this.endOfBlock();
        return;
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'ct':
      case 'secmark':
      case 'synproxy': {
        let type: string = t.text;
        if (type === 'ct') type = 'ct ' + this.word().text;
        const name = this.identifier();
        const o = this.objBody(type as ObjDecl['type'], name, t, this.eat('{'));
        this.cmds.push({ k: 'obj', op: 'add', family, table, obj: o, span: this.spanFrom(t) });
        this.endOfLine();
        return;
      }
      case 'define':
      case 'redefine':
        this.define();
        return;
      case 'flags': {
        tcmd.flags = [this.word().text];
        while (this.eat(',')) tcmd.flags.push(this.word().text);
        this.endOfLine();
        return;
      }
      case 'comment':
        this.next();
        this.endOfLine();
        return;
      case 'flowtable': {
        this.identifier();
        this.expect('{');
        while (!this.is('}') && this.t.kind !== 'eof') this.next();
        this.expect('}');
        this.endOfLine();
        return;
      }
      default:
        this.fail(t);
    }
  }

  private chainBody(chain: ChainDecl, family: string, table: string, inBlock: boolean): void {
    if (inBlock) {
      this.cmds.push({ k: 'chain', op: 'add', family, table, chain, span: chain.span });
    }
    this.skipNewlines();
    while (!this.is('}')) {
      if (this.t.kind === 'eof') this.fail(this.t);
      const before = this.pos;
      this.guard(() => {
        const t = this.t;
        if (this.is('include')) this.include();
        else if (this.is('type') && this.peek().kind === 'word') {
          chain.hook = this.hookSpec();
          this.endOfLine();
        } else if (this.is('policy')) {
          const kw = this.next();
          const p = this.word("accept or drop or '$'");
          if (p.text !== 'accept' && p.text !== 'drop') this.fail(p, "accept or drop or '$'");
          chain.policy = p.text;
          chain.policySpan = this.spanFrom(kw);
          this.endOfLine();
        } else if (this.is('comment') && this.peek().kind === 'string') {
          this.next();
          this.next();
          this.endOfLine();
        } else if (this.is('devices') || this.is('flags')) {
          this.recover();
        } else {
          const r = this.rule(t);
          if (inBlock) this.cmds.push({ k: 'rule', op: 'add', family, table, chain: chain.name, rule: r, span: r.span });
          else chain.rules.push(r);
          this.endOfLine();
        }
      });
      if (this.pos === before) this.pos++;
      this.skipNewlines();
    }
    this.next();
  }

  private hookSpec(): Hook {
    const start = this.next(); // 'type'
    const typeTok = this.word('filter, nat or route');
    const type = typeTok.text;
    this.expect('hook', "'hook'");
    const hookTok = this.word('hook name');
    const hook = hookTok.text;
    const devices: string[] = [];
    if (this.eat('device')) devices.push(this.identifier());
    else if (this.eat('devices')) {
      this.expect('=');
      if (this.is('$')) {
        const v = this.variable();
        collectSyms(v, devices);
      } else {
        this.expect('{');
        do {
          this.skipNewlines();
          if (this.is('}')) break;
          devices.push(this.identifier());
          this.skipNewlines();
        } while (this.eat(','));
        this.expect('}');
      }
    }
    const pstart = this.expect('priority', "'priority'");
    this.prioName = undefined;
    this.prioOffset = 0;
    const prio = this.priority();
    return {
      type, hook, devices, prio, prioName: this.prioName, prioOffset: this.prioOffset, prioSpan: this.spanFrom(pstart),
      typeSpan: tokSpan(typeTok), hookSpan: tokSpan(hookTok), span: this.spanFrom(start),
    };
  }

  private priority(): number {
    let sign = 1;
    if (this.eat('-')) sign = -1;
    const t = this.t;
    if (t.kind === 'number') {
      this.next();
      return sign * Number(t.text);
    }
    if (this.is('$')) {
      const v = this.variable();
      if (v.k === 'sym' && /^-?\d+$/.test(v.text)) return sign * Number(v.text);
      if (v.k === 'sym') return this.namedPriority(v.text, t);
      this.fail(t);
    }
    const name = this.word('priority').text;
    let base = this.namedPriority(name, t);
    if (this.is('+') || this.is('-')) {
      const neg = this.next().text === '-';
      const n = this.number();
      base += neg ? -n : n;
      this.prioOffset = neg ? -n : n;
    }
    return base;
  }

  private namedPriority(name: string, t: Token): number {
    // The numeric value depends on family and hook, and unknown names are an
    // evaluation error (chain.ts resolveHook), as in nft.
    void t;
    this.prioName = name;
    return NAMED_PRIO[name] ?? 0;
  }
  private prioName?: string;
  private prioOffset = 0;

  private setBody(set: SetDecl): void {
    this.skipNewlines();
    while (!this.is('}')) {
      if (this.t.kind === 'eof') this.fail(this.t);
      const before = this.pos;
      this.guard(() => this.setItem(set));
      if (this.pos === before) this.pos++;
      this.skipNewlines();
    }
    this.next();
  }

  private setItem(set: SetDecl): void {
    if (this.is('include')) return this.include();
    const t = this.word();
    switch (t.text) {
      case 'type': {
        set.keyType = this.typeSpec(false);
        if (set.map) {
          this.expect(':', "':'");
          set.dataType = this.typeSpec(false);
        }
        break;
      }
      case 'typeof': {
        set.keyType = this.typeSpec(true);
        if (set.map) {
          this.expect(':', "':'");
          // `typeof ... : verdict` names the verdict type, not an expression.
          set.dataType = this.is('verdict') ? this.typeSpec(false) : this.typeSpec(true);
        }
        break;
      }
      case 'flags':
        do {
          const f = this.word(SET_FLAGS_EXPECTED);
          if (!SET_FLAGS.includes(f.text)) this.fail(f, SET_FLAGS_EXPECTED);
          set.flags.push(f.text);
        } while (this.eat(','));
        break;
      case 'timeout':
        set.timeout = this.time();
        break;
      case 'gc-interval':
        set.gcInterval = this.time();
        break;
      case 'size':
        set.size = this.number();
        break;
      case 'policy':
        set.policy = this.word().text;
        break;
      case 'counter':
        set.counter = true;
        break;
      case 'auto-merge':
        set.autoMerge = true;
        break;
      case 'comment':
        set.comment = this.word().text;
        break;
      case 'elements': {
        this.expect('=', "'='");
        const e = this.is('$') ? this.variable() : this.setLiteral(false);
        if (e.k === 'set') set.elems.push(...e.elems);
        else set.elems.push({ key: e, span: e.span });
        break;
      }
      default:
        this.fail(t);
    }
    this.endOfLine();
  }

  private typeSpec(isTypeof: boolean): TypeSpec {
    const start = this.t;
    if (isTypeof) {
      const exprs: Expr[] = [];
      do exprs.push(this.primary(true));
      while (this.eat('.'));
      return { k: 'typeof', exprs, span: this.spanFrom(start) };
    }
    const names: string[] = [];
    do names.push(this.word('type name').text);
    while (this.eat('.'));
    const ts: TypeSpec = { k: 'type', names, span: this.spanFrom(start) };
    if (this.eat('interval')) ts.interval = true;
    return ts;
  }

  private objBody(type: ObjDecl['type'], name: string, start: Token, braced: boolean): ObjDecl {
    const o: ObjDecl = { type, name, props: {}, span: this.spanFrom(start) };
    if (!braced) return o;
    this.skipNewlines();
    while (!this.is('}')) {
      if (this.t.kind === 'eof') this.fail(this.t);
      const t = this.t;
      if (type === 'counter' || type === 'quota' || type === 'limit') {
        if (this.is('comment')) {
          this.next();
          this.word();
        } else if (type === 'counter') {
          o.stmt = this.counterStmt(t, true);
        } else if (type === 'quota') {
          o.stmt = this.quotaStmt(t, true);
        } else {
          o.stmt = this.limitStmt(t, true);
        }
      } else {
        while (!this.atStmtEnd()) this.objProp(o);
      }
      this.endOfLine();
      this.skipNewlines();
    }
    this.next();
    o.span = this.spanFrom(start);
    return o;
  }

  /** One `key value` of a ct helper/timeout/expectation, synproxy or secmark body. */
  private objProp(o: ObjDecl): void {
    if (o.type === 'secmark' && this.t.kind === 'string') {
      o.props.context = this.next().text;
      return;
    }
    const k = this.word();
    switch (k.text) {
      case 'timestamp':
      case 'sack-perm':
        o.props[k.text] = '';
        return;
      case 'timeout':
        o.props.timeout = String(this.time());
        return;
      case 'policy': {
        this.expect('=', "'='");
        this.expect('{', "'{'");
        o.policy = [];
        do {
          this.skipNewlines();
          const st = this.word();
          this.expect(':', "':'");
          o.policy.push({ state: st.text, value: this.number(), span: tokSpan(st) });
          this.skipNewlines();
        } while (this.eat(','));
        this.expect('}', "'}'");
        return;
      }
      case 'type':
      case 'protocol':
      case 'l3proto':
      case 'dport':
      case 'size':
      case 'mss':
      case 'wscale':
      case 'comment':
        o.props[k.text] = this.next().text;
        return;
      default:
        this.fail(k);
    }
  }

  // ---- rules and statements ----
  /** A rule: statements up to the end of the line. */
  rule(start: Token): RuleDecl {
    const stmts: Stmt[] = [];
    let comment: string | undefined;
    while (!this.atStmtEnd()) {
      if (this.is('comment')) {
        this.next();
        comment = this.word('quoted string').text;
        continue;
      }
      stmts.push(this.statement());
    }
    if (stmts.length === 0) this.fail(this.t);
    return { stmts, comment, span: this.spanFrom(start) };
  }

  /** One statement. */
  statement(): Stmt {
    const t = this.t;
    if (t.kind === 'word') {
      switch (t.text) {
        case 'accept':
        case 'drop':
        case 'continue':
        case 'return': {
          this.next();
          return { k: 'verdict', v: { k: 'verdict', v: t.text, span: tokSpan(t) }, span: tokSpan(t) };
        }
        case 'jump':
        case 'goto': {
          this.next();
          const c = this.identifier('chain name');
          const span = this.spanFrom(t);
          return { k: 'verdict', v: { k: 'verdict', v: t.text, chain: c, span }, span };
        }
        case 'counter':
          return this.counterStmt(t, false);
        case 'limit':
          return this.limitStmt(t, false);
        case 'quota':
          return this.quotaStmt(t, false);
        case 'log':
          return this.logStmt(t);
        case 'reject':
          return this.rejectStmt(t);
        case 'notrack':
          this.next();
          return { k: 'notrack', span: tokSpan(t) };
        case 'snat':
        case 'dnat':
        case 'masquerade':
        case 'redirect':
          return this.natStmt(t);
        case 'queue':
          return this.queueStmt(t);
        case 'tproxy':
          return this.tproxyStmt(t);
        case 'synproxy':
          return this.synproxyStmt(t);
        case 'add':
        case 'update':
        case 'delete':
          if (this.peek().text === '@') return this.dynsetStmt(t);
          break;
        case 'meter':
          return this.meterStmt(t);
        case 'dup':
          return this.dupStmt(t);
        case 'fwd':
          return this.fwdStmt(t);
        case 'last':
          this.next();
          if (this.eat('used')) {
            this.word();
          }
          return { k: 'last', span: tokSpan(t) };
        case 'flow':
          this.next();
          this.word();
          this.expect('@');
          return { k: 'flowoffload', name: this.identifier(), span: this.spanFrom(t) };
      }
    }
    const lhs = this.expr(true);
    if (lhs.k === 'map' && lhs.vmap) return { k: 'vmap', e: lhs, span: lhs.span };
    if (this.is('set')) {
      this.next();
      let v = this.expr(true);
      // flag lists: `ct event set new,related`
      if (this.is(',')) {
        const items = [v];
        while (this.eat(',')) items.push(this.expr(true));
        v = { k: 'list', items, span: join(v.span, items[items.length - 1]!.span) };
      }
      // `ct helper set "ftp"` assigns a named object.
      if (lhs.k === 'ct' && !lhs.dir && CT_OBJECTS.has(lhs.key)) {
        const type = `ct ${lhs.key}`;
        const span = join(lhs.span, v.span);
        return v.k === 'sym' ? { k: 'objref', type, name: v.text, span } : { k: 'objref', type, map: v, span };
      }
      // `meta secmark set "name"` (even a number names the object); an expression copies a value.
      if (lhs.k === 'meta' && lhs.key === 'secmark' && (v.k === 'sym' || v.k === 'map')) {
        const span = join(lhs.span, v.span);
        return v.k === 'sym' ? { k: 'objref', type: 'secmark', name: v.text, span } : { k: 'objref', type: 'secmark', map: v, span };
      }
      return { k: 'setstmt', target: lhs, value: v, span: join(lhs.span, v.span) };
    }
    if (lhs.k === 'ct' && lhs.key === 'count') {
      let over = false;
      if (this.eat('over')) over = true;
      const n = this.number();
      return { k: 'ctcount', count: n, over, span: this.spanFrom(t) };
    }
    let op: RelOp = 'implicit';
    const o = this.t;
    if (o.kind === 'punct' && ['==', '!=', '<', '>', '<=', '>='].includes(o.text)) {
      op = o.text as RelOp;
      this.next();
    } else if (o.kind === 'word' && WORD_OPS[o.text]) {
      op = WORD_OPS[o.text]!;
      this.next();
    }
    if (this.atStmtEnd()) this.fail(this.t);
    const rhs = this.rhsExpr(false);
    return { k: 'match', l: lhs, op, r: rhs, span: join(lhs.span, rhs.span) };
  }

  private counterStmt(t: Token, inObj: boolean): Stmt {
    if (!inObj) this.next();
    if (!inObj && this.eat('name')) {
      const e = this.expr(true);
      if (e.k === 'sym') return { k: 'objref', type: 'counter', name: e.text, span: this.spanFrom(t) };
      return { k: 'objref', type: 'counter', map: e, span: this.spanFrom(t) };
    }
    let packets: bigint | undefined;
    let bytes: bigint | undefined;
    for (;;) {
      if (this.eat('packets')) packets = this.bigint();
      else if (this.eat('bytes')) bytes = this.bigint();
      else break;
    }
    return { k: 'counter', packets, bytes, span: this.spanFrom(t) };
  }

  private limitStmt(t: Token, inObj: boolean): Stmt {
    if (!inObj) this.next();
    if (!inObj && this.eat('name')) {
      const e = this.expr(true);
      if (e.k === 'sym') return { k: 'objref', type: 'limit', name: e.text, span: this.spanFrom(t) };
      return { k: 'objref', type: 'limit', map: e, span: this.spanFrom(t) };
    }
    this.expect('rate', "'rate'");
    let over = false;
    if (this.eat('over')) over = true;
    else if (this.eat('until')) over = false;
    const rateTok = this.t;
    const rate = this.bigint();
    // `10/second`, `10 mbytes/second`
    let bytes = false;
    let mult = 1n;
    let badUnit = false;
    if (this.t.kind === 'word' && !this.is('/')) {
      const u = parseBytesUnit(this.t.text);
      if (u === undefined && !/bytes$/.test(this.t.text)) this.fail(this.t, "'/'");
      this.next();
      bytes = true;
      mult = u ?? 1n;
      badUnit = u === undefined;
    }
    this.expect('/', "'/'");
    const ut = this.word('time unit');
    const unit = parseRateUnit(ut.text);
    if (unit === undefined) this.fail(ut);
    if (badUnit) throw new CompileError(this.spanFrom(rateTok), msg.rateFormat);
    let burst = bytes ? 0n : 5n;
    let burstGiven = false;
    if (this.eat('burst')) {
      const burstTok = this.t;
      burst = this.bigint();
      burstGiven = true;
      if (this.t.kind === 'word') {
        const bu = parseBytesUnit(this.t.text);
        if (bu !== undefined) {
          this.next();
          burst *= bu;
        } else if (this.is('packets')) this.next();
        else if (/bytes$/.test(this.t.text)) {
          this.next();
          throw new CompileError(this.spanFrom(burstTok), msg.rateFormat);
        }
      }
    }
    return { k: 'limit', rate: rate * mult, unit, burst, bytes, over, burstGiven, span: this.spanFrom(t) };
  }

  private quotaStmt(t: Token, inObj: boolean): Stmt {
    if (!inObj) this.next();
    if (!inObj && this.eat('name')) {
      const e = this.expr(true);
      if (e.k === 'sym') return { k: 'objref', type: 'quota', name: e.text, span: this.spanFrom(t) };
      return { k: 'objref', type: 'quota', map: e, span: this.spanFrom(t) };
    }
    let over = false;
    if (this.eat('over')) over = true;
    else this.eat('until');
    const n = this.bigint();
    const u = parseBytesUnit(this.word('bytes unit').text);
    if (u === undefined) throw new CompileError(this.spanFrom(t), msg.rateFormat);
    let used = 0n;
    const usedTok = this.t;
    if (this.eat('used')) {
      const m = this.bigint();
      const uu = parseBytesUnit(this.word('bytes unit').text);
      if (uu === undefined) throw new CompileError(this.spanFrom(usedTok), msg.rateFormat);
      used = m * uu;
    }
    return { k: 'quota', bytes: n * u, used, over, span: this.spanFrom(t) };
  }

  private logStmt(t: Token): Stmt {
    this.next();
    const s: Stmt & { k: 'log' } = { k: 'log', flags: 0, span: tokSpan(t) };
    for (;;) {
      if (this.eat('prefix')) {
        const p = this.t;
        if (p.kind === 'string' || p.kind === 'word') s.prefix = this.next().text;
        else if (this.is('$')) {
          const v = this.variable();
          s.prefix = v.k === 'sym' ? v.text : '';
        } else this.fail(p, 'string or quoted string or string with a trailing asterisk');
      } else if (this.eat('level')) {
        const l = this.word('log level');
        const v = LOG_LEVELS.indexOf(l.text);
        if (v < 0) throw new CompileError(tokSpan(l), `invalid log level`);
        s.level = v;
      } else if (this.eat('group')) s.group = this.number();
      else if (this.eat('snaplen')) s.snaplen = this.number();
      else if (this.eat('queue-threshold')) s.qthreshold = this.number();
      else if (this.eat('flags')) {
        do {
          const f = this.word('log flag');
          if (f.text === 'tcp' || f.text === 'ip') {
            const what = this.word();
            const parts = [what.text];
            while (this.is(',') && (this.peek().text === 'options' || this.peek().text === 'sequence')) {
              this.next();
              parts.push(this.next().text);
            }
            for (const p of parts) {
              if (f.text === 'tcp' && p === 'sequence') s.flags |= 1;
              else if (f.text === 'tcp' && p === 'options') s.flags |= 2;
              else if (f.text === 'ip' && p === 'options') s.flags |= 4;
              else this.fail(what);
            }
          } else if (f.text === 'skuid') s.flags |= 8;
          else if (f.text === 'ether') s.flags |= 0x20;
          else if (f.text === 'all') s.flags |= 0x2f;
          else this.fail(f);
        } while (this.eat(','));
      } else break;
    }
    s.span = this.spanFrom(t);
    return s;
  }

  private rejectStmt(t: Token): Stmt {
    this.next();
    const s: Stmt & { k: 'reject' } = { k: 'reject', span: tokSpan(t) };
    if (this.eat('with')) {
      const w = this.word('icmp, icmpv6, icmpx or tcp');
      if (w.text === 'tcp') {
        this.expect('reset', "'reset'");
        s.with = 'tcp';
      } else if (w.text === 'icmp' || w.text === 'icmpv6' || w.text === 'icmpx' || w.text === 'icmp6') {
        s.with = w.text === 'icmp6' ? 'icmpv6' : (w.text as 'icmp');
        this.eat('type');
        s.code = this.primary(false);
      } else this.fail(w);
    }
    s.span = this.spanFrom(t);
    return s;
  }

  private natStmt(t: Token): Stmt {
    this.next();
    const s: Stmt & { k: 'nat' } = { k: 'nat', type: t.text as 'snat', flags: [], span: tokSpan(t) };
    if ((this.is('ip') || this.is('ip6')) && (t.text === 'snat' || t.text === 'dnat')) {
      s.family = this.next().text as 'ip';
    }
    if (this.is('prefix') || this.is('interval')) {
      // `snat ip prefix to ip saddr map { ... }`
      if (this.eat('prefix')) s.prefixKw = true;
      else {
        this.next();
        s.interval = true;
      }
    } else if (this.is('addr') && this.peek().text === '.') {
      // `dnat ip addr . port to ... map`: the map data's shape says the same
      this.next();
      this.next();
      this.expect('port', "'port'");
    }
    if (t.text === 'snat' || t.text === 'dnat') {
      this.expect('to', "'to'");
      this.natTarget(s);
    } else if (this.eat('to')) {
      // masquerade/redirect: `to :port[-port]` (the colon is optional)
      this.eat(':');
      s.port = this.natPort();
    }
    for (;;) {
      if (this.t.kind === 'word' && ['random', 'fully-random', 'persistent', 'netmap'].includes(this.t.text)) {
        s.flags.push(this.next().text);
        while (this.eat(',')) s.flags.push(this.word().text);
      } else break;
    }
    s.span = this.spanFrom(t);
    return s;
  }

  /** `tproxy [ip|ip6] to [addr][:port]` */
  private tproxyStmt(t: Token): Stmt {
    this.next();
    const s: Stmt & { k: 'tproxy' } = { k: 'tproxy', span: tokSpan(t) };
    if (this.is('ip') || this.is('ip6')) s.family = this.next().text as 'ip';
    this.expect('to', "'to'");
    this.natTarget(s);
    s.span = this.spanFrom(t);
    return s;
  }

  /** `synproxy [mss N] [wscale N] [timestamp] [sack-perm]` or `synproxy name X`. */
  private synproxyStmt(t: Token): Stmt {
    this.next();
    if (this.eat('name')) {
      const e = this.expr(true);
      if (e.k === 'sym') return { k: 'objref', type: 'synproxy', name: e.text, span: this.spanFrom(t) };
      return { k: 'objref', type: 'synproxy', map: e, span: this.spanFrom(t) };
    }
    const s: Stmt & { k: 'synproxy' } = { k: 'synproxy', flags: [], span: tokSpan(t) };
    for (;;) {
      if (this.eat('mss')) s.mss = this.number();
      else if (this.eat('wscale')) s.wscale = this.number();
      else if (this.is('timestamp') || this.is('sack-perm')) s.flags.push(this.next().text);
      else break;
    }
    s.span = this.spanFrom(t);
    return s;
  }

  private natTarget(s: { addr?: Expr; port?: Expr }): void {
    if (this.is(':')) {
      this.next();
      s.port = this.natPort();
      return;
    }
    if (this.is('[')) {
      // `[v6addr]:port` or `[v6addr]-[v6addr]:port`
      const start = this.t;
      const bracketed = () => {
        this.expect('[');
        const a = this.primary(false);
        this.expect(']');
        return a;
      };
      const lo = bracketed();
      s.addr = this.eat('-') ? { k: 'range', lo, hi: bracketed(), span: this.spanFrom(start) } : lo;
      if (this.eat(':')) s.port = this.natPort();
      return;
    }
    // address, address range, prefix, map, or an expression
    let addr = this.natAddr();
    s.addr = addr;
    if (this.eat(':')) s.port = this.natPort();
    void addr;
  }

  private natAddr(): Expr {
    const start = this.t;
    let e = this.expr(true);
    if (this.is('-')) {
      this.next();
      const hi = this.primary(false);
      e = { k: 'range', lo: e, hi, span: this.spanFrom(start) };
    } else if (this.is('/') && this.peek().kind === 'number') {
      this.next();
      e = { k: 'prefix', e, len: this.number(), span: this.spanFrom(start) };
    }
    return e;
  }

  private natPort(): Expr {
    const start = this.t;
    const lo = this.primary(false, true);
    if (this.eat('-')) {
      const hi = this.primary(false, true);
      return { k: 'range', lo, hi, span: this.spanFrom(start) };
    }
    return lo;
  }

  private queueStmt(t: Token): Stmt {
    this.next();
    const s: Stmt & { k: 'queue' } = { k: 'queue', flags: [], span: tokSpan(t) };
    for (;;) {
      if (this.is('num')) {
        const kw = this.next();
        const start = this.t;
        if (this.t.kind === 'number') {
          const lo = this.primary(false);
          if (this.eat('-')) {
            const hi = this.primary(false);
            s.num = { k: 'range', lo, hi, span: this.spanFrom(start) };
          } else s.num = lo;
        } else s.num = this.expr(true);
        // nft points at `num N` in the old syntax, at N after `flags ...`
        s.numSpan = s.flags.length ? s.num.span : this.spanFrom(kw);
      } else if (this.eat('flags') || this.t.kind === 'word' && (this.is('bypass') || this.is('fanout'))) {
        do s.flags.push(this.word().text);
        while (this.eat(','));
      } else if (this.eat('to')) {
        s.num = this.expr(true);
      } else break;
    }
    s.span = this.spanFrom(t);
    return s;
  }

  private dynsetStmt(t: Token): Stmt {
    this.next();
    this.expect('@');
    const set = this.identifier('set name');
    this.expect('{', "'{'");
    const key = this.expr(true);
    let timeout: number | undefined;
    const stmts: Stmt[] = [];
    let data: Expr | undefined;
    for (;;) {
      if (this.eat('timeout')) timeout = this.time();
      else if (this.eat(':')) data = this.expr(true);
      else if (this.is('}')) break;
      else if (this.eat('expires')) this.time();
      else stmts.push(this.statement());
    }
    this.expect('}', "'}'");
    return { k: 'dynset', op: t.text as 'add', set, key, data, timeout, stmts, span: this.spanFrom(t) };
  }

  private meterStmt(t: Token): Stmt {
    this.next();
    const name = this.identifier();
    let size: number | undefined;
    if (this.eat('size')) size = this.number();
    this.expect('{', "'{'");
    const key = this.expr(true);
    let timeout: number | undefined;
    if (this.eat('timeout')) timeout = this.time();
    const stmts: Stmt[] = [];
    while (!this.is('}')) {
      if (this.atStmtEnd()) this.fail(this.t, "'}'");
      stmts.push(this.statement());
    }
    this.next();
    return { k: 'meter', name, size, key, timeout, stmts, span: this.spanFrom(t) };
  }

  private dupStmt(t: Token): Stmt {
    this.next();
    this.expect('to');
    const to = this.expr(true, true);
    let dev: Expr | undefined;
    if (this.eat('device')) dev = this.expr(true, true);
    return { k: 'dup', to, dev, span: this.spanFrom(t) };
  }

  private fwdStmt(t: Token): Stmt {
    this.next();
    let family: 'ip' | 'ip6' | undefined;
    if (this.is('ip') || this.is('ip6')) family = this.next().text as 'ip';
    this.expect('to');
    const to = this.expr(true, true);
    let addr: Expr | undefined;
    if (this.eat('device')) addr = this.expr(true, true);
    return family ? { k: 'fwd', to: addr!, family, addr: to, span: this.spanFrom(t) } : { k: 'fwd', to, span: this.spanFrom(t) };
  }

  /** A time value such as `30s`, `1h30m`, `2d`, `500ms`, or a bare number of seconds. */
  time(): number {
    const t = this.t;
    if (t.kind === 'number' || t.kind === 'word') {
      const ms = parseTime(t.text);
      if (ms === undefined) throw new CompileError(tokSpan(t), `Wrong time format`);
      this.next();
      return ms;
    }
    this.fail(t, 'time');
  }

  // ---- expressions ----
  /** Left-hand side (or any) expression: concatenations of binops of primaries, then `map`/`vmap`. */
  expr(allowKeywords: boolean, noConcatRange = false): Expr {
    this.enter();
    try {
      const start = this.t;
      let e = this.binop(allowKeywords);
      if (this.is('.') && !noConcatRange) {
        const parts = [e];
        while (this.eat('.')) parts.push(this.binop(allowKeywords));
        e = { k: 'concat', parts, span: this.spanFrom(start) };
      }
      if (this.is('map') || this.is('vmap')) {
        const vmap = this.next().text === 'vmap';
        const m = this.is('@') ? this.setRef() : this.is('$') ? this.variable() : this.setLiteral(false);
        e = { k: 'map', key: e, map: m, vmap, span: this.spanFrom(start) };
      }
      return e;
    } finally {
      this.depth--;
    }
  }

  private binop(allowKeywords: boolean): Expr {
    return this.binLevel(0, allowKeywords);
  }

  private binLevel(level: number, allowKeywords: boolean): Expr {
    const ops = BIN_LEVELS[level];
    if (!ops) return this.primary(allowKeywords);
    const start = this.t;
    let l = this.binLevel(level + 1, allowKeywords);
    for (;;) {
      const t = this.t;
      let op: string | undefined;
      if (t.kind === 'punct' && ops.includes(t.text)) op = t.text;
      else if (t.kind === 'word' && WORD_BINOPS[t.text] && ops.includes(WORD_BINOPS[t.text]!)) op = WORD_BINOPS[t.text];
      if (!op) break;
      this.next();
      const r = this.binLevel(level + 1, allowKeywords);
      l = { k: 'binop', op: op as '&', l, r, span: this.spanFrom(start) };
    }
    return l;
  }

  /** The right-hand side of a relational or a define: a value, list, range, prefix, set. */
  rhsExpr(allowKeywords: boolean): Expr {
    this.enter();
    try {
      const start = this.t;
      const first = this.rhsConcat(allowKeywords);
      if (this.is(',')) {
        const items = [first];
        while (this.eat(',')) items.push(this.rhsConcat(allowKeywords));
        return { k: 'list', items, span: this.spanFrom(start) };
      }
      return first;
    } finally {
      this.depth--;
    }
  }

  private rhsConcat(allowKeywords: boolean): Expr {
    const start = this.t;
    let e = this.rhsValue(allowKeywords);
    if (this.is('.')) {
      const parts = [e];
      while (this.eat('.')) parts.push(this.rhsValue(allowKeywords));
      e = { k: 'concat', parts, span: this.spanFrom(start) };
    }
    if (this.is('map') || this.is('vmap')) {
      const vmap = this.next().text === 'vmap';
      const m = this.is('@') ? this.setRef() : this.setLiteral(false);
      e = { k: 'map', key: e, map: m, vmap, span: this.spanFrom(start) };
    }
    return e;
  }

  /** A value with optional range or prefix: `1-5`, `10.0.0.0/8`, `a | b`. */
  private rhsValue(allowKeywords: boolean): Expr {
    const start = this.t;
    let e = this.binop(allowKeywords);
    if (this.is('-')) {
      this.next();
      const hi = this.binop(allowKeywords);
      e = { k: 'range', lo: e, hi, span: this.spanFrom(start) };
    } else if (this.is('/') && this.peek().kind === 'word' && this.peek().text !== '$') {
      // `tcp flags syn / fin,syn,rst,ack`: value under a mask
      this.next();
      const items: Expr[] = [this.binop(false)];
      while (this.eat(',')) items.push(this.binop(false));
      const mask: Expr = items.length === 1 ? items[0]! : { k: 'list', items, span: this.spanFrom(start) };
      e = { k: 'flagmask', value: e, mask, span: this.spanFrom(start) };
    } else if (this.is('/')) {
      this.next();
      const nt = this.t;
      let len: number;
      if (nt.kind === 'number') len = this.number();
      else if (this.is('$')) {
        const v = this.variable();
        if (v.k !== 'sym' || !/^\d+$/.test(v.text)) this.fail(nt, 'number');
        len = Number(v.text);
      } else this.fail(nt, 'number');
      e = { k: 'prefix', e, len, span: this.spanFrom(start) };
    }
    return e;
  }

  /** A primary expression. With `allowKeywords`, words like `ip`, `meta` start expressions. */
  primary(allowKeywords: boolean, noColonIp6 = false): Expr {
    const t = this.t;
    void noColonIp6;
    switch (t.kind) {
      case 'number':
      case 'ip4':
      case 'ip6':
      case 'mac':
      case 'string':
        this.next();
        return { k: 'sym', text: t.text, tok: t.kind, span: tokSpan(t) };
      case 'punct':
        if (t.text === '{') return this.setLiteral(false);
        if (t.text === '@') {
          if (this.peek().kind === 'word' && ['ll', 'nh', 'th', 'ih'].includes(this.peek().text) && this.peek(2).text === ',') return this.rawPayload();
          return this.setRef();
        }
        if (t.text === '$') return this.variable();
        if (t.text === '(') {
          this.next();
          this.enter();
          try {
            const e = allowKeywords ? this.expr(true) : this.rhsExpr(false);
            this.expect(')', "')'");
            return e;
          } finally {
            this.depth--;
          }
        }
        if (t.text === '!' ) {
          this.next();
          const e = this.primary(allowKeywords);
          return { k: 'neg', e, span: this.spanFrom(t) };
        }
        this.fail(t);
      case 'word': {
        if (allowKeywords) {
          const e = this.keywordExpr();
          if (e) return e;
        }
        if (VERDICTS.includes(t.text)) {
          this.next();
          if (t.text === 'jump' || t.text === 'goto') {
            const c = this.identifier('chain name');
            return { k: 'verdict', v: t.text, chain: c, span: this.spanFrom(t) };
          }
          return { k: 'verdict', v: t.text, span: tokSpan(t) };
        }
        this.next();
        return { k: 'sym', text: t.text, tok: 'word', span: tokSpan(t) };
      }
      default:
        this.fail(t);
    }
  }

  private variable(): Expr {
    const d = this.expect('$');
    const n = this.t;
    if (n.kind !== 'word') this.fail(n, 'string');
    this.next();
    const span = this.spanFrom(d);
    const v = this.scope.get(n.text);
    if (!v) {
      const near = suggest(n.text, this.scope.names(), (x) => x);
      throw new CompileError(tokSpan(n), msg.undefinedVar(n.text) + (near ? `; did you mean identifier \u2018${near}\u2019?` : ''), true);
    }
    return relocate(v, span);
  }

  private setRef(): Expr {
    const a = this.expect('@');
    const n = this.identifier('set name');
    return { k: 'setref', name: n, span: this.spanFrom(a) };
  }

  private rawPayload(): Expr {
    const a = this.expect('@');
    const base = this.next().text as 'll';
    this.expect(',');
    const offset = this.number();
    this.expect(',');
    const len = this.number();
    return { k: 'raw', base, offset, len, span: this.spanFrom(a) };
  }

  /** `{ a, b : c, 1-5 timeout 1s, ... }` */
  setLiteral(allowKeywords: boolean): Expr & { k: 'set' } {
    const open = this.expect('{', "'{'");
    this.enter();
    try {
      const elems: Elem[] = [];
      this.skipNewlines();
      // A set literal holds at least one element.
      if (this.is('}')) this.fail(this.t);
      while (!this.is('}')) {
        if (this.t.kind === 'eof') this.fail(this.t, "'}'");
        const es = this.t;
        const key = this.elemKey(allowKeywords);
        const el: Elem = { key, span: key.span };
        for (;;) {
          if (this.eat('timeout')) el.timeout = this.time();
          else if (this.eat('expires')) el.expires = this.time();
          else if (this.eat('comment')) el.comment = this.word('quoted string').text;
          else if (this.is('counter') || this.is('limit') || this.is('quota')) {
            el.stmts ??= [];
            el.stmts.push(this.statement());
          } else break;
        }
        if (this.eat(':')) {
          el.data = this.elemData();
        }
        el.span = this.spanFrom(es);
        if (key.k === 'set' && !el.data) elems.push(...key.elems);
        else elems.push(el);
        this.skipNewlines();
        if (!this.eat(',')) {
          this.skipNewlines();
          if (!this.is('}')) this.fail(this.t, "comma or '}'");
        }
        this.skipNewlines();
      }
      this.next();
      return { k: 'set', elems, span: this.spanFrom(open) };
    } finally {
      this.depth--;
    }
  }

  private elemKey(allowKeywords: boolean): Expr {
    const start = this.t;
    let e = this.rhsValue(allowKeywords);
    if (this.is('.')) {
      const parts = [e];
      while (this.eat('.')) parts.push(this.rhsValue(allowKeywords));
      e = { k: 'concat', parts, span: this.spanFrom(start) };
    }
    return e;
  }

  private elemData(): Expr {
    const t = this.t;
    if (t.kind === 'word' && VERDICTS.includes(t.text)) {
      this.next();
      if (t.text === 'jump' || t.text === 'goto') {
        const c = this.identifier('chain name');
        return { k: 'verdict', v: t.text, chain: c, span: this.spanFrom(t) };
      }
      return { k: 'verdict', v: t.text, span: tokSpan(t) };
    }
    return this.elemKey(false);
  }

  /** Keyword-introduced expressions (`ip saddr`, `meta mark`, `ct state`, ...), or undefined. */
  private keywordExpr(): Expr | undefined {
    const t = this.t;
    const w = t.text;
    const nx = this.peek();
    // protocol header fields
    if (protocols[w] && nx.kind === 'word') {
      if (w === 'ip' && nx.text === 'option') return this.ipOption();
      if (w === 'tcp' && nx.text === 'option') return this.tcpOption();
      const proto = protocols[w]!;
      let fname = nx.text;
      if (w === 'arp' && (fname === 'saddr' || fname === 'daddr')) {
        const nn = this.peek(2);
        if (nn.kind === 'word' && (nn.text === 'ip' || nn.text === 'ether')) {
          this.next();
          this.next();
          this.next();
          return { k: 'payload', proto: w, field: `${fname} ${nn.text}`, span: this.spanFrom(t) };
        }
      }
      if (proto.fields.some((f) => f.name === fname)) {
        this.next();
        this.next();
        return { k: 'payload', proto: w, field: fname, span: this.spanFrom(t) };
      }
      if (w === 'sctp' && fname === 'chunk') return this.sctpChunk();
      if (w === 'icmpv6' && fname === 'nd') { /* fallthrough to error */ }
      // `ip` followed by a non-field word is a symbol (e.g. `meta nfproto ip`) only on RHS.
      this.next();
      throw new CompileError(tokSpan(nx), `syntax error, unexpected ${this.describe(nx)}`);
    }
    // `rt classid` is the routing expression, `rt nexthdr` the IPv6 routing header.
    if (EXTHDRS[w] && nx.kind === 'word' && !(w === 'rt' && RT_KEYS.has(nx.text))) return this.exthdr();
    if (w === 'exthdr') {
      this.next();
      return this.exthdr(t);
    }
    if (w === 'meta') {
      this.next();
      const k = this.word('meta key');
      const key = META_ALIASES[k.text] ?? k.text;
      if (!META_KEYS[key]) throw new CompileError(tokSpan(k), `syntax error, unexpected ${this.describe(k)}`);
      return { k: 'meta', key, span: this.spanFrom(t) };
    }
    // `ipsec in reqid 1` is the xfrm expression; a bare `ipsec` is `meta secpath`.
    if (META_BARE.has(w) && !(w === 'ipsec' && (nx.text === 'in' || nx.text === 'out'))) {
      this.next();
      return { k: 'meta', key: META_ALIASES[w] ?? w, span: tokSpan(t) };
    }
    if (w === 'ct') return this.ctExpr();
    if (w === 'fib') return this.fibExpr();
    if (w === 'rt') return this.rtExpr();
    if (w === 'numgen') return this.numgenExpr();
    if (w === 'jhash' || w === 'symhash') return this.hashExpr();
    if (w === 'socket') {
      this.next();
      const k = this.word('socket key');
      let level: number | undefined;
      if (k.text === 'cgroupv2') {
        this.expect('level');
        level = this.number();
      }
      return { k: 'socket', key: k.text, level, span: this.spanFrom(t) };
    }
    if (w === 'osf') {
      this.next();
      let ttl: string | undefined;
      if (this.eat('ttl')) ttl = this.word().text;
      const key = this.word('name or version').text;
      return { k: 'osf', ttl, key, span: this.spanFrom(t) };
    }
    if (w === 'ipsec') {
      this.next();
      const dir = this.word('in or out').text as 'in';
      let spnum = 0;
      if (this.eat('spnum')) spnum = this.number();
      let l3: 'ip' | 'ip6' | undefined;
      if (this.is('ip') || this.is('ip6')) l3 = this.next().text as 'ip';
      // addresses need the family: `ipsec in ip saddr`
      const keys = l3 ? ['saddr', 'daddr'] : ['spi', 'reqid'];
      if (!keys.includes(this.t.text)) this.fail(this.t, l3 ? 'saddr or daddr' : 'ip or ip6 or spi or reqid');
      const key = this.word().text;
      return { k: 'ipsec', dir, spnum, key, l3, span: this.spanFrom(t) };
    }
    return undefined;
  }

  private ipOption(): Expr {
    const t = this.next();
    this.next(); // option
    const hdr = this.word('ip option name').text;
    let field = 'exists';
    if (this.t.kind === 'word' && ['type', 'length', 'value', 'ptr', 'addr'].includes(this.t.text)) field = this.next().text;
    return { k: 'exthdr', op: 'ipv4', hdr, field, span: this.spanFrom(t) };
  }

  private tcpOption(): Expr {
    const t = this.next();
    this.next(); // option
    if (this.eat('@')) {
      // `tcp option @kind,offset,length` (offset and length in bits)
      const kind = String(this.number());
      this.expect(',', "','");
      const offset = this.number();
      this.expect(',', "','");
      const len = this.number();
      return { k: 'exthdr', op: 'tcpopt', hdr: kind, field: 'raw', raw: { offset, len }, span: this.spanFrom(t) };
    }
    const hdr = this.t.kind === 'number' ? this.next().text : this.word('tcp option name').text;
    let field = 'exists';
    if (this.t.kind === 'word' && TCPOPT_FIELDS.has(this.t.text)) field = this.next().text;
    return { k: 'exthdr', op: 'tcpopt', hdr, field, span: this.spanFrom(t) };
  }

  private sctpChunk(): Expr {
    const t = this.next();
    this.next(); // chunk
    const hdr = this.word('chunk type').text;
    let field = 'exists';
    if (this.t.kind === 'word' && !this.atStmtEnd() && SCTP_CHUNK_FIELDS.has(this.t.text)) field = this.next().text;
    return { k: 'exthdr', op: 'sctp', hdr, field, span: this.spanFrom(t) };
  }

  private exthdr(start?: Token): Expr {
    const t = start ?? this.t;
    const hdr = this.word('extension header').text;
    let field = 'exists';
    if (this.t.kind === 'word' && EXTHDRS[hdr]?.includes(this.t.text)) field = this.next().text;
    else if (!this.is('exists') && !this.is('missing') && this.t.kind === 'word' && !EXTHDRS[hdr]) this.fail(this.t);
    // `rt0 addr[2]`, `srh sid[1]`: the n-th address of the header
    let index: number | undefined;
    if (this.eat('[')) {
      index = this.number();
      this.expect(']', "']'");
    }
    return { k: 'exthdr', op: 'ipv6', hdr, field, index, span: this.spanFrom(t) };
  }

  private ctExpr(): Expr {
    const t = this.next();
    let dir: 'original' | 'reply' | undefined;
    if (this.is('original') || this.is('reply')) dir = this.next().text as 'original';
    let l3: 'ip' | 'ip6' | undefined;
    if ((this.is('ip') || this.is('ip6')) && dir) l3 = this.next().text as 'ip';
    const k = this.word('ct key');
    let key = k.text;
    if (key === 'l3proto') key = 'l3proto';
    if (!CT_KEYS.has(key)) throw new CompileError(tokSpan(k), `syntax error, unexpected ${this.describe(k)}`);
    return { k: 'ct', key, dir, l3, span: this.spanFrom(t) };
  }

  private fibExpr(): Expr {
    const t = this.next();
    const flags: string[] = [];
    do flags.push(this.word('saddr, daddr, mark, iif or oif').text);
    while (this.eat('.'));
    const result = this.word('oif, oifname or type').text;
    return { k: 'fib', flags, result, span: this.spanFrom(t) };
  }

  private rtExpr(): Expr {
    const t = this.next();
    let l3: 'ip' | 'ip6' | undefined;
    if (this.is('ip') || this.is('ip6')) l3 = this.next().text as 'ip';
    const key = this.word('rt key').text;
    return { k: 'rt', key, l3, span: this.spanFrom(t) };
  }

  private numgenExpr(): Expr {
    const t = this.next();
    const ty = this.word('inc or random');
    if (ty.text !== 'inc' && ty.text !== 'random') this.fail(ty, 'inc or random');
    this.expect('mod', "'mod'");
    const mod = this.number();
    let offset = 0;
    if (this.eat('offset')) offset = this.number();
    return { k: 'numgen', type: ty.text, mod, offset, span: this.spanFrom(t) };
  }

  private hashExpr(): Expr {
    const t = this.next();
    let src: Expr | undefined;
    if (t.text === 'jhash') src = this.expr(true);
    this.expect('mod', "'mod'");
    const mod = this.number();
    let seed: number | undefined;
    let offset = 0;
    for (;;) {
      if (this.eat('seed')) seed = this.number();
      else if (this.eat('offset')) offset = this.number();
      else break;
    }
    return { k: 'hash', type: t.text as 'jhash', src, mod, seed, offset, span: this.spanFrom(t) };
  }
}

/** Gives a substituted variable value the span of its use. */
function relocate(e: Expr, span: Span): Expr {
  return { ...e, span } as Expr;
}

function collectSyms(e: Expr, out: string[]): void {
  if (e.k === 'sym') out.push(e.text);
  else if (e.k === 'set') for (const el of e.elems) collectSyms(el.key, out);
  else if (e.k === 'list') for (const x of e.items) collectSyms(x, out);
}

const BIN_LEVELS = [['|'], ['^'], ['&'], ['<<', '>>']];
const WORD_BINOPS: Record<string, string> = { and: '&', or: '|', xor: '^', lshift: '<<', rshift: '>>' };
const WORD_OPS: Record<string, RelOp> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

/** Named base-chain priorities (ip/ip6/inet/arp/netdev values; bridge differs, see evaluate). */
export const NAMED_PRIO: Record<string, number> = {
  raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100, out: 100,
};

const META_ALIASES: Record<string, string> = { length: 'len', ibriport: 'ibrname', obriport: 'obrname', ipsec: 'secpath' };

const CT_OBJECTS = new Set(['helper', 'timeout', 'expectation']);
const CT_KEYS = new Set([
  'state', 'direction', 'status', 'mark', 'expiration', 'helper', 'l3proto', 'saddr', 'daddr', 'protocol',
  'proto-src', 'proto-dst', 'label', 'bytes', 'packets', 'avgpkt', 'zone', 'event', 'secmark', 'id', 'count',
  'timeout', 'expectation',
]);

/** IPv6 extension headers and their fields (`frag more-fragments`). */
export const EXTHDRS: Record<string, string[]> = {
  hbh: ['nexthdr', 'hdrlength'],
  rt: ['nexthdr', 'hdrlength', 'type', 'seg-left'],
  rt0: ['addr'],
  rt2: ['addr'],
  srh: ['last-entry', 'flags', 'tag', 'sid'],
  frag: ['nexthdr', 'reserved', 'frag-off', 'reserved2', 'more-fragments', 'id'],
  dst: ['nexthdr', 'hdrlength'],
  mh: ['nexthdr', 'hdrlength', 'type', 'reserved', 'checksum'],
};

const RT_KEYS = new Set(['classid', 'nexthop', 'mtu', 'ipsec', 'ip', 'ip6']);
const TCPOPT_FIELDS = new Set(['kind', 'length', 'size', 'count', 'left', 'right', 'tsval', 'tsecr', 'value', 'subtype']);
const SCTP_CHUNK_FIELDS = new Set(['type', 'flags', 'length', 'tsn', 'stream', 'ssn', 'ppid', 'init-tag', 'a-rwnd', 'num-outbound-streams', 'num-inbound-streams', 'initial-tsn', 'cum-tsn-ack', 'num-gap-ack-blocks', 'num-dup-tsns', 'lowest-tsn', 'seqno', 'new-cum-tsn']);

/** Words bison reports by name in "unexpected X" messages. */
// Words nft 1.0.6's scanner always returns as keywords (so never as a name);
// found by trying each word as a chain name.
const KEYWORDS = new Set([
  'accept', 'add', 'ah', 'all', 'arp', 'auto-merge', 'bridge', 'cgroup', 'chain', 'comment', 'comp', 'constant',
  'continue', 'counter', 'cpu', 'create', 'ct', 'day', 'dccp', 'define', 'delete', 'device', 'devices', 'dnat', 'drop',
  'dst', 'dup', 'dynamic', 'ecn', 'element', 'elements', 'eq', 'esp', 'ether', 'exists', 'expires', 'exthdr', 'fib',
  'flags', 'flow', 'flowtable', 'flush', 'fwd', 'gc-interval', 'goto', 'gt', 'handle', 'hook', 'hour', 'ibriport',
  'ibrname', 'icmp', 'icmpv6', 'igmp', 'iif', 'iifgroup', 'iifname', 'iiftype', 'include', 'index', 'inet', 'insert',
  'interval', 'ip', 'ip6', 'ipsec', 'jhash', 'jump', 'limit', 'list', 'log', 'lt', 'map', 'mark', 'masquerade', 'meta',
  'meter', 'missing', 'netdev', 'nftrace', 'notrack', 'numgen', 'obriport', 'obrname', 'oif', 'oifgroup', 'oifname',
  'oiftype', 'osf', 'pkttype', 'policy', 'position', 'priority', 'queue', 'quota', 'random', 'redefine', 'redirect',
  'reject', 'replace', 'reqid', 'reset', 'return', 'rt', 'rtclassid', 'rule', 'ruleset', 'saddr', 'daddr', 'spi', 'sctp', 'secmark', 'set', 'size',
  'skgid', 'skuid', 'snat', 'socket', 'symhash', 'synproxy', 'table', 'tcp', 'th', 'time', 'timeout', 'tproxy', 'type',
  'typeof', 'udp', 'udplite', 'undefine', 'update', 'vlan', 'vmap',
]);
