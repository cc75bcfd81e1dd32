// The nft language scanner (nftables: src/scanner.l, rewritten). Produces
// words, numbers, addresses, strings and punctuation; newlines are tokens
// because they end statements. Example: `ip saddr 10.0.0.0/8 accept`.

import type { Source, Span } from './source.js';

/** Token kinds. `word` covers keywords and symbols alike (`accept`, `echo-request`). */
export type TokKind =
  | 'word' | 'number' | 'string' | 'ip4' | 'ip6' | 'mac' | 'punct' | 'newline' | 'eof' | 'bad';

/** One token; `text` is the source text (strings without quotes). */
export interface Token {
  kind: TokKind;
  text: string;
  start: number;
  end: number;
  src: Source;
  quoted?: boolean;
}

// Scanning works on the whole text with sticky regexes (`lastIndex`) and
// character codes, never on slices of it: a lexer runs once per source byte,
// so a substring or an unanchored regex per token dominates compile time.
const RE_IP6 = /(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){0,7}(?:[0-9a-fA-F]{1,4})?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?|(?:[0-9a-fA-F]{1,4}:){6}\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})/y;
const RE_MAC = /[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}(?![0-9a-fA-F])/y;
// `1:10`, `ffff:ffff` (tc classids) are one word, as in nft's scanner; also
// before another `:` (longest match: `00:11:22` scans as `00:11`, `:`, `22`).
const RE_PAIR = /[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(?![\w.])/y;
const RE_IP4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])/y;
const RE_HEX = /0[xX][0-9a-fA-F]+(?!\w)/y;
const RE_NUM = /\d+(?![A-Za-z_\d])/y;

/** Character classes of the scanner, one bit each, indexed by char code (ASCII only). */
const DIGIT = 1;
const HEX = 2; // 0-9 a-f A-F
const WORD_START = 4; // A-Z a-z _ 0-9
const WORD = 8; // WORD_START - .
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let k = 0;
  if (/\d/.test(ch)) k |= DIGIT;
  if (/[0-9a-fA-F]/.test(ch)) k |= HEX;
  if (/[A-Za-z_\d]/.test(ch)) k |= WORD_START | WORD;
  if (ch === '-' || ch === '.') k |= WORD;
  CLASS[c] = k;
}
const is = (c: number, cls: number): boolean => c < 128 && (CLASS[c]! & cls) !== 0;

/** Whether chars `a`, `b` form a two-character operator: `==` `!=` `<=` `>=` `<<` `>>`. */
const isPunct2 = (a: number, b: number): boolean =>
  (b === 61 && (a === 61 || a === 33 || a === 60 || a === 62)) || (a === b && (a === 60 || a === 62));
const PUNCT1 = '{}()[],;:./-=!<>&|^@$*+~';

/**
 * The value of a number as nft's scanner reads it (src/scanner.l): `0x`/`0X`
 * hex, a leading `0` octal (`010` is 8), else decimal. Undefined for a bad
 * octal number (`08`, `019`), which nft scans as a string.
 */
export function numberValue(text: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]*$/.test(text)) return BigInt('0o' + (text.slice(1) || '0'));
  if (/^[1-9]\d*$/.test(text)) return BigInt(text);
  return undefined;
}

/** The text of a number token: its decimal value, or undefined for a bad octal number (a word then). */
function numberText(text: string): string | undefined {
  // Plain decimal (the common case) is its own value.
  if (text.charCodeAt(0) !== 48) return text;
  return numberValue(text)?.toString();
}

/** Runs sticky `re` at `i` of `s`; the match's length, or 0. */
function matchAt(re: RegExp, s: string, i: number): number {
  re.lastIndex = i;
  return re.test(s) ? re.lastIndex - i : 0;
}

/**
 * Whether an address or number may start at `i` (char `c`): every such token
 * starts with a digit or ':', or with 1-4 hex digits followed by ':'. This
 * keeps words like `accept` or `dport` away from the address regexes.
 */
function mayBeAddress(s: string, i: number, c: number): boolean {
  if (is(c, DIGIT) || c === 58) return true;
  if (!is(c, HEX)) return false;
  let j = i + 1;
  while (j < i + 5 && is(s.charCodeAt(j), HEX)) j++;
  return s.charCodeAt(j) === 58;
}

/** Splits a whole source into tokens (never throws; bad characters become `bad` tokens). */
export function tokenize(src: Source): Token[] {
  const out: Token[] = [];
  new Lexer(src).scan(out, Infinity);
  return out;
}

/**
 * Scans a source a piece at a time (the parser's way: tokens it does not keep
 * in the tree die young instead of living as long as the whole file's token
 * list). The tokens are tokenize()'s, in the same order, eof last.
 */
export class Lexer {
  private i = 0;
  /** One string per distinct word: the tree keeps words (`saddr`, `drop`) of every rule, and a slice each was a copy each. */
  private readonly words = new Map<string, string>();
  /** The eof token has been produced. */
  private done = false;
  constructor(private readonly src: Source) {}

  /** Appends tokens to `out` until it holds `max` or the source ends (then eof too). */
  scan(out: Token[], max: number): void {
    if (this.done) return;
    const src = this.src;
    const s = src.text;
    let i = this.i;
    const n = s.length;
    const tok = (kind: TokKind, text: string, start: number, end: number, quoted = false) =>
      out.push({ kind, text, start, end, src, quoted });
    while (i < n && out.length < max) {
      const c = s.charCodeAt(i);
      if (c === 10) { tok('newline', '\n', i, i + 1); i++; continue; }
      if (c === 32 || c === 9 || c === 13) { i++; continue; }
      if (c === 35) { // '#' comment to end of line
        while (i < n && s.charCodeAt(i) !== 10) i++;
        continue;
      }
      if (c === 92 && s.charCodeAt(i + 1) === 10) { i += 2; continue; } // line continuation
      if (c === 34) { // "string"
        let j = i + 1;
        while (j < n && s.charCodeAt(j) !== 34 && s.charCodeAt(j) !== 10) j++;
        // Unterminated: like nft's scanner, the quote alone is junk and scanning goes on.
        if (j >= n || s.charCodeAt(j) !== 34) { tok('bad', '"', i, i + 1); i++; continue; }
        tok('string', s.slice(i + 1, j), i, j + 1, true);
        i = j + 1;
        continue;
      }
      if (is(c, DIGIT)) {
        // Fast path: digits followed by none of [A-Za-z_0-9.:] can only be a decimal
        // or octal number; anything else goes through the address regexes below.
        let j = i + 1;
        while (is(s.charCodeAt(j), DIGIT)) j++;
        const f = s.charCodeAt(j);
        if (!is(f, WORD_START) && f !== 46 && f !== 58) {
          const m = s.slice(i, j);
          const v = numberText(m);
          tok(v === undefined ? 'word' : 'number', v ?? m, i, j);
          i = j;
          continue;
        }
      }
      // Addresses before numbers and words: 10.0.0.1, fe80::1, 00:11:22:33:44:55.
      if (mayBeAddress(s, i, c)) {
        // Longest match between a MAC and an IPv6 address (`0:1:2:3:4:5:6:7` is IPv6).
        const macLen = matchAt(RE_MAC, s, i);
        let len = matchAt(RE_IP6, s, i);
        if (len > macLen) {
          const m = s.slice(i, i + len);
          if (m.includes(':') && !/^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}$/.test(m) && m !== ':' && !is(s.charCodeAt(i + len), WORD_START)) {
            tok('ip6', m, i, i + len); i += len; continue;
          }
        }
        if (macLen) { tok('mac', s.slice(i, i + macLen), i, i + macLen); i += macLen; continue; }
        len = matchAt(RE_PAIR, s, i);
        if (len) { tok('word', s.slice(i, i + len), i, i + len); i += len; continue; }
        len = matchAt(RE_IP4, s, i);
        if (len) { tok('ip4', s.slice(i, i + len), i, i + len); i += len; continue; }
        len = matchAt(RE_HEX, s, i) || matchAt(RE_NUM, s, i);
        if (len) {
          // nft's scanner: a leading 0 means octal; `08` is no number but a string.
          const m = s.slice(i, i + len);
          const v = numberText(m);
          tok(v === undefined ? 'word' : 'number', v ?? m, i, i + len);
          i += len;
          continue;
        }
      }
      if (is(c, WORD_START)) {
        let j = i + 1;
        while (j < n && is(s.charCodeAt(j), WORD)) j++;
        if (s.charCodeAt(j) === 42) j++; // a trailing '*' (interface wildcards)
        // A word never ends in '-' or '.' (`1-2` is handled above, `a.` is an error anyway).
        else while (j > i + 1 && (s.charCodeAt(j - 1) === 45 || s.charCodeAt(j - 1) === 46)) j--;
        const w = s.slice(i, j);
        let word = this.words.get(w);
        if (word === undefined) this.words.set(w, (word = w));
        tok('word', word, i, j);
        i = j;
        continue;
      }
      if (isPunct2(c, s.charCodeAt(i + 1))) { tok('punct', s.slice(i, i + 2), i, i + 2); i += 2; continue; }
      if (PUNCT1.includes(s[i]!)) { tok('punct', s[i]!, i, i + 1); i++; continue; }
      // Anything else: one bad character (UTF-8 aware via code points).
      const cp = s.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      tok('bad', s.slice(i, i + len), i, i + len);
      i += len;
    }
    this.i = i;
    if (i >= n) {
      tok('eof', '', n, n);
      this.done = true;
    }
  }
}

/**
 * The span of a token: the token itself (it has `src`, `start` and `end`;
 * spans are never modified), which saves an object per AST leaf.
 */
export function tokSpan(t: Token): Span {
  return t;
}
