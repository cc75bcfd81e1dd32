// The nft ruleset parser (nftables: src/parser_bison.y, rewritten by hand as
// recursive descent). This class holds the token stream, error recovery,
// includes and variables; the grammar is functions of it in command.ts,
// block.ts, statement.ts, nat.ts, expression.ts and keywords.ts.
// Example: `table inet t { chain c { tcp dport 22 accept } }`.

import type { Cmd, Expr } from '../ast.js';
import { CompileError, Diagnostics, msg } from '../diagnostics.js';
import { Lexer, tokenize, tokSpan, type Token } from '../lexer.js';
import { suggest } from '../misspell.js';
import type { Source, Span } from '../source.js';
import { parseTime } from '../units.js';
import { parseTopCommand } from './command.js';
import { KEYWORDS } from './tables.js';

/** A file read for `include`: the name used in error locations, and its text. */
export interface IncludedFile {
  name: string;
  text: string;
}

/**
 * Reads an included file; returns undefined when it does not exist. For a
 * pattern with wildcards (`*`, `?`, `[`) it returns every regular file that
 * matches, in alphabetical order (possibly none).
 */
export type FileReader = (path: string, from: string) => IncludedFile | IncludedFile[] | undefined;

/** Whether an include path is a glob pattern (nftables: src/scanner.l include_glob). */
export function isIncludeGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

const STMT_END = new Set(['\n', ';', '}']);
const MAX_DEPTH = 200;
// How bison names punctuation tokens in nft's messages: named tokens, quoted
// character literals, the rest by their text (`unexpected -`).
const PUNCT_NAMES: Record<string, string> = { ',': 'comma', ':': 'colon', ';': 'semicolon', '~': 'junk' };
const QUOTED_PUNCT = ['{', '}', '(', ')', '[', ']', '=', '|', '$'];

/** The `define`d variables of one block, falling back to the enclosing one. */
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

/**
 * Parses one source (and its includes) into commands, collecting errors.
 * A syntax error abandons the rest of its line; parsing goes on after it.
 * The grammar files call each other recursively but import this class only
 * as a type, and run nothing at load time, so their import cycles are harmless.
 */
export class Parser {
  /**
   * A window of the token stream: toks[k] is token base + k. The lexer fills
   * it as parsing goes and the consumed part is dropped, so the tokens the
   * tree does not keep die young (a whole file's token list, kept to the
   * end, was most of the garbage collector's work on a 100,000-rule file).
   */
  private toks: Token[] = [];
  private base = 0;
  private readonly lexer: Lexer;
  /** Absolute index of the current token in the stream. */
  private pos = 0;
  private depth = 0;
  /** Table blocks open around the current token (0 at top level). */
  private blockDepth = 0;
  /** Include nesting of each included source. */
  private includeDepth = new Map<Source, number>();
  /** Variables visible at the current token. */
  scope = new Scope();
  /** The commands parsed so far, in source order. */
  readonly cmds: Cmd[] = [];

  constructor(
    src: Source,
    private diags: Diagnostics,
    private read?: FileReader,
  ) {
    this.lexer = new Lexer(src);
    this.fill(0);
  }

  /** Makes the window hold the token `ahead` tokens past the current one (or the stream's end); drops consumed tokens but the last. */
  private fill(ahead: number): void {
    const k = this.pos - this.base;
    if (k > 1024) {
      // Keep the token before the current one: spanFrom ends spans there.
      this.toks.splice(0, k - 1);
      this.base += k - 1;
    }
    this.lexer.scan(this.toks, this.pos - this.base + ahead + 256);
  }

  /** Parses the whole source. */
  parseFile(): Cmd[] {
    this.skipNewlines();
    while (this.t.kind !== 'eof') {
      const before = this.pos;
      this.guard(() => parseTopCommand(this));
      if (this.pos === before) this.pos++; // never loop on the same token
      this.skipNewlines();
    }
    return this.cmds;
  }

  // ---- tokens ----
  /** The current token. */
  get t(): Token {
    const k = this.pos - this.base;
    if (k >= this.toks.length) this.fill(0);
    return this.toks[this.pos - this.base]!;
  }
  /** The token `n` ahead of the current one (the last one is eof). */
  peek(n = 1): Token {
    if (this.pos - this.base + n >= this.toks.length) this.fill(n);
    return this.toks[Math.min(this.pos - this.base + n, this.toks.length - 1)]!;
  }
  /** Consumes and returns the current token (never moves past eof). */
  next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  /** Whether the current token is the word or punctuation `text`. */
  is(text: string): boolean {
    const t = this.t;
    return (t.kind === 'word' || t.kind === 'punct') && t.text === text;
  }
  /** Consumes the current token if it is `text`. */
  eat(text: string): boolean {
    if (this.is(text)) {
      this.pos++;
      return true;
    }
    return false;
  }
  /** How bison names a token in "unexpected X" messages. */
  describe(t: Token): string {
    if (t.kind === 'eof') return 'end of file';
    if (t.kind === 'newline') return 'newline';
    if (t.kind === 'string') return 'quoted string';
    if (t.kind === 'number') return 'number';
    if (t.kind === 'punct') return PUNCT_NAMES[t.text] ?? (QUOTED_PUNCT.includes(t.text) ? `'${t.text}'` : t.text);
    if (t.kind === 'bad') return `junk`;
    if (t.kind === 'word' && /^[a-z][a-z0-9-]*$/.test(t.text) && KEYWORDS.has(t.text)) return t.text;
    return 'string';
  }
  /** Throws nft's syntax error at `t`. */
  fail(t: Token, expecting?: string): never {
    throw new CompileError(tokSpan(t), `syntax error, unexpected ${this.describe(t)}` + (expecting ? `, expecting ${expecting}` : ''));
  }
  /** Consumes `text` or fails, naming `expecting`. */
  expect(text: string, expecting = text): Token {
    if (!this.is(text)) this.fail(this.t, expecting);
    return this.next();
  }
  /** Consumes a word or a quoted string. */
  word(expecting = 'string'): Token {
    const t = this.t;
    if (t.kind === 'word' || t.kind === 'string') return this.next();
    this.fail(t, expecting);
  }
  /** A name: a quoted string, a non-keyword word, or a variable holding one. */
  identifier(expecting = 'string'): string {
    const t = this.t;
    if (t.kind === 'string' || (t.kind === 'word' && !KEYWORDS.has(t.text))) return this.next().text;
    if (this.is('$')) {
      const v = this.variable();
      if (v.k === 'sym') return v.text;
    }
    this.fail(t, expecting);
  }
  /** Consumes a number token. */
  number(expecting = 'number'): number {
    const t = this.t;
    if (t.kind === 'number') {
      this.next();
      return Number(t.text);
    }
    this.fail(t, expecting);
  }
  /** Consumes a number token that may exceed 2^53 (counter and quota bytes). */
  bigint(): bigint {
    const t = this.t;
    if (t.kind === 'number') {
      this.next();
      return BigInt(t.text);
    }
    this.fail(t, 'number');
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
  /** `$name`: a copy of the variable's value, spanning its use. */
  variable(): Expr {
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
    return { ...v, span } as Expr;
  }
  /** The span from `start` to the last consumed token. */
  spanFrom(start: Token): Span {
    const last = this.toks[Math.max(0, this.pos - 1 - this.base)]!;
    // Tokens of an included file are spliced in; a span never crosses files.
    const end = last.src === start.src ? Math.max(start.end, last.end) : start.end;
    return { src: start.src, start: start.start, end };
  }

  // ---- lines and blocks ----
  /** Skips empty lines and semicolons. */
  skipNewlines(): void {
    while (this.t.kind === 'newline' || this.is(';')) this.pos++;
  }
  /** Whether the current token ends a statement line (newline, `;`, `}` or eof). */
  atStmtEnd(): boolean {
    const t = this.t;
    return t.kind === 'eof' || t.kind === 'newline' || (t.kind === 'punct' && STMT_END.has(t.text));
  }
  /** Consumes the end of a statement line, or fails. */
  endOfLine(): void {
    if (this.atStmtEnd()) {
      if (this.t.kind === 'newline' || this.is(';')) this.pos++;
      return;
    }
    this.fail(this.t, this.blockDepth ? 'newline or semicolon' : 'end of file or newline or semicolon');
  }
  /**
   * The end of a line of a chain, set, flowtable or ct object block: nft's
   * grammar wants a newline or `;` there, so `{ policy drop }` is an error
   * (`expecting` is the bison list; empty for none).
   */
  endOfItem(expecting = 'newline or semicolon'): void {
    if (this.is('}')) this.fail(this.t, expecting || undefined);
    this.endOfLine();
  }
  /** After a chain or set block inside a table: a `}` on the same line is an error. */
  endOfBlock(): void {
    if (this.is('}')) this.fail(this.t, 'newline or semicolon');
    this.endOfLine();
  }
  /** Parses `item` repeatedly up to a block's closing `}`, recovering per item; consumes the `}`. */
  block(item: () => void): void {
    this.skipNewlines();
    while (!this.is('}')) {
      if (this.t.kind === 'eof') this.fail(this.t);
      const before = this.pos;
      this.guard(item);
      if (this.pos === before) this.pos++;
      this.skipNewlines();
    }
    this.next();
  }
  /** Runs `f` inside a table block: its own variable scope, and lines end without eof. */
  inTable(f: () => void): void {
    const outer = this.scope;
    this.scope = new Scope(outer);
    this.blockDepth++;
    try {
      f();
    } finally {
      this.blockDepth--;
      this.scope = outer;
    }
  }
  /** Runs `f` one nesting level deeper; nesting beyond MAX_DEPTH is a syntax error. */
  nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) {
      this.depth = 0;
      throw new CompileError(tokSpan(this.t), 'syntax error, nesting too deep');
    }
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  // ---- errors ----
  /** After an error: skip to the end of the current line (or a closing brace). */
  recover(): void {
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
  /** Runs `f`; a syntax error is recorded and the rest of its line skipped. */
  guard<T>(f: () => T): T | undefined {
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

  // ---- includes ----
  /**
   * `include "file"`: like nft's scanner, splices the file's tokens in
   * place of the include line, so an include works wherever a line of its
   * content would (top level, table, chain or set body).
   */
  include(): void {
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
    // A pattern that matches nothing is no error; a plain name must exist.
    if (!got && !isIncludeGlob(s.text)) throw new CompileError(span, `File not found: ${s.text}`);
    const files = !got ? [] : Array.isArray(got) ? got : [got];
    const all: Token[] = [];
    for (const f of files) {
      const sub: Source = { name: f.name, text: f.text, includedFrom: span };
      this.includeDepth.set(sub, depth);
      const toks = tokenize(sub);
      toks.pop(); // eof
      // A newline keeps the included file's last line apart from what follows.
      toks.push({ kind: 'newline', text: '\n', start: sub.text.length, end: sub.text.length, src: sub });
      all.push(...toks);
    }
    this.toks.splice(this.pos - this.base, 0, ...all);
  }
}
