// Expressions (nftables: `expr`, `rhs_expr`, `primary_expr`, `set_expr` ...
// of src/parser_bison.y): binops, concatenations, maps, lists, ranges,
// prefixes, flag masks, set literals and primaries; keyword-introduced
// expressions are in keywords.ts. Example: `ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 }`.

import type { Elem, Expr } from '../ast.js';
import { tokSpan, type Token } from '../lexer.js';
import type { Parser } from './index.js';
import { parseKeywordExpr } from './keywords.js';
import { parseStatement } from './statement.js';
import { BIN_LEVELS, VERDICTS, WORD_BINOPS } from './tables.js';

/**
 * A left-hand side (or any) expression: concatenations of binops of
 * primaries, then `map`/`vmap`. `noConcatRange` stops before a `.`.
 */
export function parseExpr(p: Parser, allowKeywords: boolean, noConcatRange = false): Expr {
  return p.nested(() => {
    const start = p.t;
    let e = binop(p, allowKeywords);
    if (p.is('.') && !noConcatRange) {
      const parts = [e];
      while (p.eat('.')) parts.push(binop(p, allowKeywords));
      e = { k: 'concat', parts, span: p.spanFrom(start) };
    }
    if (p.is('map') || p.is('vmap')) {
      const vmap = p.next().text === 'vmap';
      const m = p.is('@') ? parseSetRef(p) : p.is('$') ? p.variable() : parseSetLiteral(p, false, vmap);
      e = { k: 'map', key: e, map: m, vmap, span: p.spanFrom(start) };
    }
    return e;
  });
}

/** Binary operators over primaries, by precedence (`meta mark & 0xff | 0x1`). */
function binop(p: Parser, allowKeywords: boolean): Expr {
  return binLevel(p, 0, allowKeywords);
}

/** The binops of precedence `level` and tighter. */
function binLevel(p: Parser, level: number, allowKeywords: boolean): Expr {
  const ops = BIN_LEVELS[level];
  if (!ops) return parsePrimary(p, allowKeywords);
  const start = p.t;
  let l = binLevel(p, level + 1, allowKeywords);
  for (;;) {
    const t = p.t;
    let op: string | undefined;
    if (t.kind === 'punct' && ops.includes(t.text)) op = t.text;
    else if (t.kind === 'word' && WORD_BINOPS[t.text] && ops.includes(WORD_BINOPS[t.text]!)) op = WORD_BINOPS[t.text];
    if (!op) break;
    p.next();
    const r = binLevel(p, level + 1, allowKeywords);
    l = { k: 'binop', op: op as '&', l, r, span: p.spanFrom(start) };
  }
  return l;
}

/**
 * The right-hand side of a relational or a define: a value, list, range,
 * prefix, set. Only a relational's (`relational`) takes a flag mask
 * (`syn / fin,syn`); elsewhere `/` wants a prefix length, as in nft's grammar.
 */
export function parseRhsExpr(p: Parser, allowKeywords: boolean, relational = false): Expr {
  return p.nested(() => {
    const start = p.t;
    const first = rhsConcat(p, allowKeywords, relational);
    if (p.is(',')) {
      const items = [first];
      while (p.eat(',')) items.push(rhsConcat(p, allowKeywords, relational));
      return { k: 'list', items, span: p.spanFrom(start) };
    }
    return first;
  });
}

/** A concatenation of values, optionally looked up in a map (`1.2.3.4 . 80 map @m`). */
function rhsConcat(p: Parser, allowKeywords: boolean, relational: boolean): Expr {
  const start = p.t;
  let e = concatValue(p, allowKeywords, relational);
  if (p.is('map') || p.is('vmap')) {
    const vmap = p.next().text === 'vmap';
    const m = p.is('@') ? parseSetRef(p) : parseSetLiteral(p, false, vmap);
    e = { k: 'map', key: e, map: m, vmap, span: p.spanFrom(start) };
  }
  return e;
}

/** A value with optional range or prefix: `1-5`, `10.0.0.0/8`, `a | b`. */
function rhsValue(p: Parser, allowKeywords: boolean, relational = false): Expr {
  const start = p.t;
  let e = binop(p, allowKeywords);
  // `1m-2m` is one word to the lexer; nft reads a range of two times.
  const tr = e.k === 'sym' && e.tok === 'word' ? /^((?:\d+(?:ms|[dhms]))+)-((?:\d+(?:ms|[dhms]))+)$/.exec(e.text) : null;
  if (tr && e.k === 'sym') {
    const cut = e.span.start + tr[1]!.length;
    e = {
      k: 'range',
      lo: { k: 'sym', text: tr[1]!, tok: 'word', span: { ...e.span, end: cut } },
      hi: { k: 'sym', text: tr[2]!, tok: 'word', span: { ...e.span, start: cut + 1 } },
      span: e.span,
    };
  } else if (p.is('-')) {
    p.next();
    const hi = binop(p, allowKeywords);
    e = { k: 'range', lo: e, hi, span: p.spanFrom(start) };
  } else if (relational && p.is('/') && p.peek().kind === 'word') {
    // `tcp flags syn / fin,syn,rst,ack`: value under a mask
    p.next();
    const items: Expr[] = [binop(p, false)];
    while (p.eat(',')) items.push(binop(p, false));
    const mask: Expr = items.length === 1 ? items[0]! : { k: 'list', items, span: p.spanFrom(start) };
    e = { k: 'flagmask', value: e, mask, span: p.spanFrom(start) };
  } else if (p.is('/')) {
    p.next();
    const nt = p.t;
    let len: number;
    if (nt.kind === 'number') len = p.number();
    else if (p.is('$')) {
      const v = p.variable();
      if (v.k !== 'sym' || !/^\d+$/.test(v.text)) p.fail(nt, 'number');
      len = Number(v.text);
    } else p.fail(nt, 'number');
    e = { k: 'prefix', e, len, span: p.spanFrom(start) };
  }
  return e;
}

/** A primary expression. With `allowKeywords`, words like `ip`, `meta` start expressions. */
export function parsePrimary(p: Parser, allowKeywords: boolean): Expr {
  const t = p.t;
  switch (t.kind) {
    case 'number':
    case 'ip4':
    case 'ip6':
    case 'mac':
    case 'string':
      p.next();
      return { k: 'sym', text: t.text, tok: t.kind, span: tokSpan(t) };
    case 'punct':
      if (t.text === '{') return parseSetLiteral(p, false);
      if (t.text === '@') {
        if (p.peek().kind === 'word' && ['ll', 'nh', 'th', 'ih'].includes(p.peek().text) && p.peek(2).text === ',') return rawPayload(p);
        return parseSetRef(p);
      }
      if (t.text === '$') return p.variable();
      if (t.text === '(') {
        p.next();
        return p.nested(() => {
          const e = allowKeywords ? parseExpr(p, true) : parseRhsExpr(p, false);
          p.expect(')', "')'");
          return e;
        });
      }
      if (t.text === '!') {
        p.next();
        const e = parsePrimary(p, allowKeywords);
        return { k: 'neg', e, span: p.spanFrom(t) };
      }
      p.fail(t);
    case 'word': {
      if (allowKeywords) {
        const e = parseKeywordExpr(p);
        if (e) return e;
      }
      if (VERDICTS.includes(t.text)) return parseVerdict(p, t);
      p.next();
      return { k: 'sym', text: t.text, tok: 'word', span: tokSpan(t) };
    }
    default:
      p.fail(t);
  }
}

/** `@name`: a named set or map. */
export function parseSetRef(p: Parser): Expr {
  const a = p.expect('@');
  const n = p.identifier('set name');
  return { k: 'setref', name: n, span: p.spanFrom(a) };
}

/** `@base,offset,length`: raw payload bits (`@th,16,16`). */
function rawPayload(p: Parser): Expr {
  const a = p.expect('@');
  const base = p.next().text as 'll';
  p.expect(',');
  const offset = p.number();
  p.expect(',');
  const len = p.number();
  return { k: 'raw', base, offset, len, span: p.spanFrom(a) };
}

/**
 * `{ a, b : c, 1-5 timeout 1s, ... }`. With `verdicts` (the literal of a
 * `vmap`), element data must be a verdict: nft's grammar takes nothing else there.
 */
export function parseSetLiteral(p: Parser, allowKeywords: boolean, verdicts = false): Expr & { k: 'set' } {
  const open = p.expect('{', "'{'");
  return p.nested((): Expr & { k: 'set' } => {
    const elems: Elem[] = [];
    p.skipNewlines();
    // A set literal holds at least one element.
    if (p.is('}')) p.fail(p.t);
    while (!p.is('}')) {
      if (p.t.kind === 'eof') p.fail(p.t, "'}'");
      const es = p.t;
      const key = concatValue(p, allowKeywords);
      const el: Elem = { key, span: key.span };
      // nft 1.0.6 (set_elem_expr): the statements (counter, limit, no quota)
      // first, then the options; `timeout 1s counter` is a syntax error.
      while (p.is('counter') || p.is('limit')) {
        el.stmts ??= [];
        el.stmts.push(parseStatement(p));
      }
      for (;;) {
        if (p.eat('timeout')) el.timeout = p.time();
        else if (p.eat('expires')) el.expires = p.time();
        else if (p.eat('comment')) el.comment = p.word('quoted string').text;
        else break;
      }
      if (p.eat(':')) el.data = verdicts ? verdictData(p) : elemData(p);
      el.span = p.spanFrom(es);
      if (key.k === 'set' && !el.data) elems.push(...key.elems);
      else elems.push(el);
      p.skipNewlines();
      if (!p.eat(',')) {
        p.skipNewlines();
        if (!p.is('}')) p.fail(p.t, "comma or '}'");
      }
      p.skipNewlines();
    }
    p.next();
    return { k: 'set', elems, span: p.spanFrom(open) };
  });
}

/** Values joined by `.` (`10.0.0.1 . 22`): a set element's key, and data. */
function concatValue(p: Parser, allowKeywords: boolean, relational = false): Expr {
  const start = p.t;
  let e = rhsValue(p, allowKeywords, relational);
  if (p.is('.')) {
    const parts = [e];
    while (p.eat('.')) parts.push(rhsValue(p, allowKeywords, relational));
    e = { k: 'concat', parts, span: p.spanFrom(start) };
  }
  return e;
}

/** The data after `:` of a set element: a verdict or values. */
function elemData(p: Parser): Expr {
  const t = p.t;
  if (t.kind === 'word' && VERDICTS.includes(t.text)) return parseVerdict(p, t);
  return concatValue(p, false);
}

/** The data of a verdict-map literal's element: a verdict only (`jump` to a word or `$var`). */
function verdictData(p: Parser): Expr {
  const t = p.t;
  if (t.kind !== 'word' || !VERDICTS.includes(t.text)) p.fail(t);
  if ((t.text === 'jump' || t.text === 'goto') && p.peek().kind === 'string') p.fail(p.peek(), "string or '$'");
  return parseVerdict(p, t, "string or '$'");
}

/** A verdict (`accept`, `jump other`), at its first word `t`; `expecting` names what may follow a jump. */
export function parseVerdict(p: Parser, t: Token, expecting = 'chain name'): Expr & { k: 'verdict' } {
  p.next();
  if (t.text === 'jump' || t.text === 'goto') {
    const c = p.identifier(expecting);
    return { k: 'verdict', v: t.text, chain: c, span: p.spanFrom(t) };
  }
  return { k: 'verdict', v: t.text, span: tokSpan(t) };
}
