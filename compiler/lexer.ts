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

const PUNCT2 = ['==', '!=', '<=', '>=', '<<', '>>'];
const PUNCT1 = '{}()[],;:./-=!<>&|^@$*+~';

const RE_IP6 = /^(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){0,7}(?:[0-9a-fA-F]{1,4})?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?|(?:[0-9a-fA-F]{1,4}:){6}\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})/;
const RE_MAC = /^[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}(?![0-9a-fA-F:])/;
// `1:10`, `ffff:ffff` (tc classids) are one word, as in nft's scanner.
const RE_PAIR = /^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(?![\w:.])/;
const RE_CLASSID = /^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(?![\w:.])/;
const RE_IP4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])/;
const RE_HEX = /^0[xX][0-9a-fA-F]+(?![\w])/;
const RE_NUM = /^\d+(?![A-Za-z_\d])/;
const RE_WORD_AT = /[A-Za-z_\d][A-Za-z0-9_\-.]*\*?/y;

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

/** Splits a whole source into tokens (never throws; bad characters become `bad` tokens). */
export function tokenize(src: Source): Token[] {
  const out: Token[] = [];
  const s = src.text;
  let i = 0;
  const n = s.length;
  const tok = (kind: TokKind, text: string, start: number, end: number, quoted = false) =>
    out.push({ kind, text, start, end, src, quoted });
  while (i < n) {
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
    const rest = s.length - i > 256 ? s.slice(i, i + 256) : s.slice(i);
    // Addresses before numbers and words: 10.0.0.1, fe80::1, 00:11:22:33:44:55.
    if (/[0-9a-fA-F:]/.test(rest[0]!)) {
      let m = RE_MAC.exec(rest);
      if (m) { tok('mac', m[0], i, i + m[0].length); i += m[0].length; continue; }
      m = RE_IP6.exec(rest);
      if (m && m[0].includes(':') && !/^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}$/.test(m[0]) && m[0] !== ':') {
        const after = rest[m[0].length];
        if (after === undefined || !/[\w]/.test(after)) {
          tok('ip6', m[0], i, i + m[0].length); i += m[0].length; continue;
        }
      }
      m = RE_PAIR.exec(rest);
      if (m) { tok('word', m[0], i, i + m[0].length); i += m[0].length; continue; }
      // `1:10`, `abcd:1234` (classids) are one word, as in nft's scanner.
      m = RE_CLASSID.exec(rest);
      if (m) { tok('word', m[0], i, i + m[0].length); i += m[0].length; continue; }
      m = RE_IP4.exec(rest);
      if (m) { tok('ip4', m[0], i, i + m[0].length); i += m[0].length; continue; }
      m = RE_HEX.exec(rest) ?? RE_NUM.exec(rest);
      if (m) {
        // nft's scanner: a leading 0 means octal; `08` is no number but a string.
        const v = numberValue(m[0]);
        tok(v === undefined ? 'word' : 'number', v === undefined ? m[0] : v.toString(), i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    }
    // Words may be longer than `rest` (a 300-byte chain name is the kernel's error, not ours).
    RE_WORD_AT.lastIndex = i;
    const m = RE_WORD_AT.exec(s);
    if (m) {
      let w = m[0];
      // A word never ends in '-' or '.' (`1-2` is handled above, `a.` is an error anyway).
      while (w.length > 1 && /[-.]$/.test(w)) w = w.slice(0, -1);
      tok('word', w, i, i + w.length);
      i += w.length;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (PUNCT2.includes(two)) { tok('punct', two, i, i + 2); i += 2; continue; }
    if (PUNCT1.includes(s[i]!)) { tok('punct', s[i]!, i, i + 1); i++; continue; }
    // Anything else: one bad character (UTF-8 aware via code points).
    const cp = s.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    tok('bad', s.slice(i, i + len), i, i + len);
    i += len;
  }
  tok('eof', '', n, n);
  return out;
}

/** The span of a token. */
export function tokSpan(t: Token): Span {
  return { src: t.src, start: t.start, end: t.end };
}
