// Address translation statements (nftables: `nat_stmt`, `masq_stmt`,
// `redir_stmt`, `tproxy_stmt` of src/parser_bison.y): snat, dnat,
// masquerade, redirect and tproxy with their address/port targets.
// Example: `dnat ip to ip saddr map { 10.0.0.1 : 192.168.0.1 . 8080 }`.

import type { Expr, Stmt } from '../ast.js';
import { tokSpan, type Token } from '../lexer.js';
import { parseExpr, parsePrimary } from './expression.js';
import type { Parser } from './index.js';

/** `snat|dnat [ip|ip6] [prefix|interval] to ADDR[:PORT] [FLAGS]`, `masquerade|redirect [to :PORT] [FLAGS]`. */
export function parseNat(p: Parser, t: Token): Stmt {
  p.next();
  const s: Stmt & { k: 'nat' } = { k: 'nat', type: t.text as 'snat', flags: [], span: tokSpan(t) };
  if ((p.is('ip') || p.is('ip6')) && (t.text === 'snat' || t.text === 'dnat')) {
    s.family = p.next().text as 'ip';
  }
  if (p.is('prefix') || p.is('interval')) {
    // `snat ip prefix to ip saddr map { ... }`
    if (p.eat('prefix')) s.prefixKw = true;
    else {
      p.next();
      s.interval = true;
    }
  } else if (p.is('addr') && p.peek().text === '.') {
    // `dnat ip addr . port to ... map`: the map data's shape says the same
    p.next();
    p.next();
    p.expect('port', "'port'");
  }
  if (t.text === 'snat' || t.text === 'dnat') {
    p.expect('to', "'to'");
    natTarget(p, s);
  } else if (p.eat('to')) {
    // masquerade/redirect: `to :port[-port]` (the colon is optional)
    p.eat(':');
    s.port = natPort(p);
  }
  while (p.t.kind === 'word' && ['random', 'fully-random', 'persistent', 'netmap'].includes(p.t.text)) {
    s.flags.push(p.next().text);
    while (p.eat(',')) s.flags.push(p.word().text);
  }
  s.span = p.spanFrom(t);
  return s;
}

/** `tproxy [ip|ip6] to [addr][:port]` */
export function parseTproxy(p: Parser, t: Token): Stmt {
  p.next();
  const s: Stmt & { k: 'tproxy' } = { k: 'tproxy', span: tokSpan(t) };
  if (p.is('ip') || p.is('ip6')) s.family = p.next().text as 'ip';
  p.expect('to', "'to'");
  natTarget(p, s);
  s.span = p.spanFrom(t);
  return s;
}

/** The target after `to`: `ADDR`, `ADDR:PORT`, `:PORT`, `[V6ADDR]:PORT`, ranges of either. */
function natTarget(p: Parser, s: { addr?: Expr; port?: Expr }): void {
  if (p.is(':')) {
    p.next();
    s.port = natPort(p);
    return;
  }
  if (p.is('[')) {
    // `[v6addr]:port` or `[v6addr]-[v6addr]:port`
    const start = p.t;
    const bracketed = () => {
      p.expect('[');
      const a = parsePrimary(p, false);
      p.expect(']');
      return a;
    };
    const lo = bracketed();
    s.addr = p.eat('-') ? { k: 'range', lo, hi: bracketed(), span: p.spanFrom(start) } : lo;
    if (p.eat(':')) s.port = natPort(p);
    return;
  }
  // address, address range, prefix, map, or an expression
  s.addr = natAddr(p);
  if (p.eat(':')) s.port = natPort(p);
}

/** A nat address: an expression, a range `A-B` or a prefix `A/N`. */
function natAddr(p: Parser): Expr {
  const start = p.t;
  let e = parseExpr(p, true);
  if (p.is('-')) {
    p.next();
    const hi = parsePrimary(p, false);
    e = { k: 'range', lo: e, hi, span: p.spanFrom(start) };
  } else if (p.is('/') && p.peek().kind === 'number') {
    p.next();
    e = { k: 'prefix', e, len: p.number(), span: p.spanFrom(start) };
  }
  return e;
}

/** A nat port or port range `P-Q`. */
function natPort(p: Parser): Expr {
  const start = p.t;
  const lo = parsePrimary(p, false);
  if (p.eat('-')) {
    const hi = parsePrimary(p, false);
    return { k: 'range', lo, hi, span: p.spanFrom(start) };
  }
  return lo;
}
