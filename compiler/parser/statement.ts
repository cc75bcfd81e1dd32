// Rules and statements (nftables: `rule`, `stmt` and the `*_stmt` rules of
// src/parser_bison.y): verdicts, counter, limit, quota, log, reject, queue,
// dynset, meter, dup, fwd, synproxy, `EXPR set VALUE` and matches; nat and
// tproxy are in nat.ts. Example: `ip saddr 10.0.0.0/8 counter log prefix "in: " drop`.

import type { Expr, RelOp, RuleDecl, Stmt } from '../ast.js';
import { CompileError, msg } from '../diagnostics.js';
import { tokSpan, type Token } from '../lexer.js';
import { join } from '../source.js';
import { parseBytesUnit, parseRateUnit } from '../units.js';
import { parseExpr, parsePrimary, parseRhsExpr, parseVerdict } from './expression.js';
import type { Parser } from './index.js';
import { parseNat, parseTproxy } from './nat.js';
import { CT_OBJECTS, LOG_LEVELS, WORD_OPS } from './tables.js';

/** Tokens that can start no statement (after one, nft expects the rule's end). */
const NOT_STMT_START = new Set(['~', ')', ']', '[', '=', ':', '*', '+', '!', '==', '!=', '<', '>', '<=', '>=']);

/** A rule: statements (and a comment) up to the end of the line. */
export function parseRule(p: Parser, start: Token): RuleDecl {
  const stmts: Stmt[] = [];
  let comment: string | undefined;
  while (!p.atStmtEnd()) {
    if (p.is('comment')) {
      p.next();
      comment = p.word('quoted string').text;
      continue;
    }
    // A token that neither starts a statement nor continues the last one: after
    // a statement nft's grammar wants only the end of the rule there.
    if (stmts.length > 0 && (p.t.kind === 'bad' || (p.t.kind === 'punct' && NOT_STMT_START.has(p.t.text)))) {
      p.fail(p.t, 'newline or semicolon');
    }
    stmts.push(parseStatement(p));
  }
  if (stmts.length === 0) p.fail(p.t);
  // A copy at the final size: the tree keeps it, and push's growth left 16 slots for a few statements.
  return { stmts: stmts.slice(), comment, span: p.spanFrom(start) };
}

/** One statement: a keyword statement, a verdict, `EXPR set VALUE` or a match `EXPR [op] VALUE`. */
export function parseStatement(p: Parser): Stmt {
  const t = p.t;
  if (t.kind === 'word') {
    switch (t.text) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
      case 'jump':
      case 'goto': {
        const v = parseVerdict(p, t, "'{'");
        return { k: 'verdict', v, span: v.span };
      }
      case 'counter':
        return parseCounter(p, t, false);
      case 'limit':
        return parseLimit(p, t, false);
      case 'quota':
        return parseQuota(p, t, false);
      case 'log':
        return logStmt(p, t);
      case 'reject':
        return rejectStmt(p, t);
      case 'notrack':
        p.next();
        return { k: 'notrack', span: tokSpan(t) };
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect':
        return parseNat(p, t);
      case 'queue':
        return queueStmt(p, t);
      case 'tproxy':
        return parseTproxy(p, t);
      case 'synproxy':
        return synproxyStmt(p, t);
      case 'add':
      case 'update':
      case 'delete':
        if (p.peek().text === '@') return dynsetStmt(p, t);
        break;
      case 'meter':
        return meterStmt(p, t);
      case 'dup':
        return dupStmt(p, t);
      case 'fwd':
        return fwdStmt(p, t);
      case 'last':
        p.next();
        if (p.eat('used')) p.word();
        return { k: 'last', span: tokSpan(t) };
      case 'flow':
        p.next();
        p.word();
        p.expect('@');
        return { k: 'flowoffload', name: p.identifier(), span: p.spanFrom(t) };
    }
  }
  return exprStmt(p, t);
}

/** A statement led by an expression: `EXPR set VALUE`, `ct count [over] N`, or a match `EXPR [op] VALUE`. */
function exprStmt(p: Parser, t: Token): Stmt {
  const lhs = parseExpr(p, true);
  if (lhs.k === 'map' && lhs.vmap) return { k: 'vmap', e: lhs, span: lhs.span };
  if (p.is('set')) {
    p.next();
    let v = parseExpr(p, true);
    // flag lists: `ct event set new,related`
    if (p.is(',')) {
      const items = [v];
      while (p.eat(',')) items.push(parseExpr(p, true));
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
    const over = p.eat('over');
    const n = p.number();
    return { k: 'ctcount', count: n, over, span: p.spanFrom(t) };
  }
  let op: RelOp = 'implicit';
  const o = p.t;
  if (o.kind === 'punct' && ['==', '!=', '<', '>', '<=', '>='].includes(o.text)) {
    op = o.text as RelOp;
    p.next();
  } else if (o.kind === 'word' && WORD_OPS[o.text]) {
    op = WORD_OPS[o.text]!;
    p.next();
  }
  if (p.atStmtEnd()) p.fail(p.t);
  const rhs = parseRhsExpr(p, false, true);
  return { k: 'match', l: lhs, op, r: rhs, span: join(lhs.span, rhs.span) };
}

/** `counter ...` as a statement, or (`inObj`) the body of a named counter. */
export function parseCounter(p: Parser, t: Token, inObj: boolean): Stmt {
  if (!inObj) p.next();
  if (!inObj && p.eat('name')) return objRef(p, 'counter', t);
  let packets: bigint | undefined;
  let bytes: bigint | undefined;
  for (;;) {
    if (p.eat('packets')) packets = p.bigint();
    else if (p.eat('bytes')) bytes = p.bigint();
    else break;
  }
  return { k: 'counter', packets, bytes, span: p.spanFrom(t) };
}

/** `limit ...` as a statement, or (`inObj`) the body of a named limit. */
export function parseLimit(p: Parser, t: Token, inObj: boolean): Stmt {
  if (!inObj) p.next();
  if (!inObj && p.eat('name')) return objRef(p, 'limit', t);
  p.expect('rate', "'rate'");
  const over = p.eat('over');
  if (!over) p.eat('until');
  const rateTok = p.t;
  const rate = p.bigint();
  // `10/second`, `10 mbytes/second`
  let bytes = false;
  let mult = 1n;
  let badUnit = false;
  if (p.t.kind === 'word' && !p.is('/')) {
    const u = parseBytesUnit(p.t.text);
    if (u === undefined && !/bytes$/.test(p.t.text)) p.fail(p.t, "'/'");
    p.next();
    bytes = true;
    mult = u ?? 1n;
    badUnit = u === undefined;
  }
  p.expect('/', "'/'");
  const ut = p.word('time unit');
  const unit = parseRateUnit(ut.text);
  if (unit === undefined) p.fail(ut);
  if (badUnit) throw new CompileError(p.spanFrom(rateTok), msg.rateFormat);
  let burst = bytes ? 0n : 5n;
  let burstGiven = false;
  if (p.eat('burst')) {
    const burstTok = p.t;
    burst = p.bigint();
    burstGiven = true;
    if (p.t.kind === 'word') {
      const bu = parseBytesUnit(p.t.text);
      if (bu !== undefined) {
        p.next();
        burst *= bu;
      } else if (p.is('packets')) p.next();
      else if (/bytes$/.test(p.t.text)) {
        p.next();
        throw new CompileError(p.spanFrom(burstTok), msg.rateFormat);
      }
    }
  }
  return { k: 'limit', rate: rate * mult, unit, burst, bytes, over, burstGiven, span: p.spanFrom(t) };
}

/** `quota ...` as a statement, or (`inObj`) the body of a named quota. */
export function parseQuota(p: Parser, t: Token, inObj: boolean): Stmt {
  if (!inObj) p.next();
  if (!inObj && p.eat('name')) return objRef(p, 'quota', t);
  const over = p.eat('over');
  if (!over) p.eat('until');
  const n = p.bigint();
  const u = parseBytesUnit(p.word('bytes unit').text);
  if (u === undefined) throw new CompileError(p.spanFrom(t), msg.rateFormat);
  let used = 0n;
  const usedTok = p.t;
  if (p.eat('used')) {
    const m = p.bigint();
    const uu = parseBytesUnit(p.word('bytes unit').text);
    if (uu === undefined) throw new CompileError(p.spanFrom(usedTok), msg.rateFormat);
    used = m * uu;
  }
  return { k: 'quota', bytes: n * u, used, over, span: p.spanFrom(t) };
}

/** `log [prefix P] [level L] [group N] [snaplen N] [queue-threshold N] [flags F, ...]`. */
function logStmt(p: Parser, t: Token): Stmt {
  p.next();
  const s: Stmt & { k: 'log' } = { k: 'log', flags: 0, span: tokSpan(t) };
  for (;;) {
    if (p.eat('prefix')) {
      const pt = p.t;
      if (pt.kind === 'string' || pt.kind === 'word') s.prefix = p.next().text;
      else if (p.is('$')) {
        const v = p.variable();
        s.prefix = v.k === 'sym' ? v.text : '';
      } else p.fail(pt, 'string or quoted string or string with a trailing asterisk');
    } else if (p.eat('level')) {
      const l = p.word('log level');
      const v = LOG_LEVELS.indexOf(l.text);
      if (v < 0) throw new CompileError(tokSpan(l), `invalid log level`);
      s.level = v;
    } else if (p.eat('group')) s.group = p.number();
    else if (p.eat('snaplen')) s.snaplen = p.number();
    else if (p.eat('queue-threshold')) s.qthreshold = p.number();
    else if (p.eat('flags')) {
      do {
        const f = p.word('log flag');
        if (f.text === 'tcp' || f.text === 'ip') {
          const what = p.word();
          const parts = [what.text];
          while (p.is(',') && (p.peek().text === 'options' || p.peek().text === 'sequence')) {
            p.next();
            parts.push(p.next().text);
          }
          for (const part of parts) {
            if (f.text === 'tcp' && part === 'sequence') s.flags |= 1;
            else if (f.text === 'tcp' && part === 'options') s.flags |= 2;
            else if (f.text === 'ip' && part === 'options') s.flags |= 4;
            else p.fail(what);
          }
        } else if (f.text === 'skuid') s.flags |= 8;
        else if (f.text === 'ether') s.flags |= 0x20;
        else if (f.text === 'all') s.flags |= 0x2f;
        else p.fail(f);
      } while (p.eat(','));
    } else break;
  }
  s.span = p.spanFrom(t);
  return s;
}

/** `reject [with icmp|icmpv6|icmpx [type] CODE | with tcp reset]`. */
function rejectStmt(p: Parser, t: Token): Stmt {
  p.next();
  const s: Stmt & { k: 'reject' } = { k: 'reject', span: tokSpan(t) };
  if (p.eat('with')) {
    const w = p.word('icmp, icmpv6, icmpx or tcp');
    if (w.text === 'tcp') {
      p.expect('reset', "'reset'");
      s.with = 'tcp';
    } else if (w.text === 'icmp' || w.text === 'icmpv6' || w.text === 'icmpx' || w.text === 'icmp6') {
      s.with = w.text === 'icmp6' ? 'icmpv6' : (w.text as 'icmp');
      p.eat('type');
      s.code = parsePrimary(p, false);
    } else p.fail(w);
  }
  s.span = p.spanFrom(t);
  return s;
}

/** `synproxy [mss N] [wscale N] [timestamp] [sack-perm]` or `synproxy name X`. */
function synproxyStmt(p: Parser, t: Token): Stmt {
  p.next();
  if (p.eat('name')) return objRef(p, 'synproxy', t);
  const s: Stmt & { k: 'synproxy' } = { k: 'synproxy', flags: [], span: tokSpan(t) };
  for (;;) {
    if (p.eat('mss')) s.mss = p.number();
    else if (p.eat('wscale')) s.wscale = p.number();
    else if (p.is('timestamp') || p.is('sack-perm')) s.flags.push(p.next().text);
    else break;
  }
  s.span = p.spanFrom(t);
  return s;
}

/** `queue [num N[-M]] [flags bypass,fanout]`, or `queue flags ... to EXPR`. */
function queueStmt(p: Parser, t: Token): Stmt {
  p.next();
  const s: Stmt & { k: 'queue' } = { k: 'queue', flags: [], span: tokSpan(t) };
  for (;;) {
    if (p.is('num')) {
      const kw = p.next();
      const start = p.t;
      if (p.t.kind === 'number') {
        const lo = parsePrimary(p, false);
        if (p.eat('-')) {
          const hi = parsePrimary(p, false);
          s.num = { k: 'range', lo, hi, span: p.spanFrom(start) };
        } else s.num = lo;
      } else s.num = parseExpr(p, true);
      // nft points at `num N` in the old syntax, at N after `flags ...`
      s.numSpan = s.flags.length ? s.num.span : p.spanFrom(kw);
    } else if (p.eat('flags') || p.t.kind === 'word' && (p.is('bypass') || p.is('fanout'))) {
      do s.flags.push(p.word().text);
      while (p.eat(','));
    } else if (p.eat('to')) {
      s.num = parseExpr(p, true);
    } else break;
  }
  s.span = p.spanFrom(t);
  return s;
}

/** `add|update|delete @set { KEY [timeout T] [: DATA] [stmt ...] }`. */
function dynsetStmt(p: Parser, t: Token): Stmt {
  p.next();
  p.expect('@');
  const set = p.identifier('set name');
  p.expect('{', "'{'");
  const key = parseExpr(p, true);
  let timeout: number | undefined;
  const stmts: Stmt[] = [];
  let data: Expr | undefined;
  for (;;) {
    if (p.eat('timeout')) timeout = p.time();
    else if (p.eat(':')) data = parseExpr(p, true);
    else if (p.is('}')) break;
    else if (p.eat('expires')) p.time();
    else stmts.push(parseStatement(p));
  }
  p.expect('}', "'}'");
  return { k: 'dynset', op: t.text as 'add', set, key, data, timeout, stmts, span: p.spanFrom(t) };
}

/** `meter NAME [size N] { KEY [timeout T] stmt ... }`. */
function meterStmt(p: Parser, t: Token): Stmt {
  p.next();
  const name = p.identifier();
  let size: number | undefined;
  if (p.eat('size')) size = p.number();
  p.expect('{', "'{'");
  const key = parseExpr(p, true);
  let timeout: number | undefined;
  if (p.eat('timeout')) timeout = p.time();
  // A meter does something with what it keys: nft's grammar wants a statement.
  if (p.is('}')) p.fail(p.t);
  const stmts: Stmt[] = [];
  while (!p.is('}')) {
    if (p.atStmtEnd()) p.fail(p.t, "'}'");
    stmts.push(parseStatement(p));
  }
  p.next();
  return { k: 'meter', name, size, key, timeout, stmts, span: p.spanFrom(t) };
}

/** `dup to ADDR [device DEV]`. */
function dupStmt(p: Parser, t: Token): Stmt {
  p.next();
  p.expect('to');
  const to = parseExpr(p, true, true);
  let dev: Expr | undefined;
  if (p.eat('device')) dev = parseExpr(p, true, true);
  return { k: 'dup', to, dev, span: p.spanFrom(t) };
}

/** `fwd to DEV`, or `fwd ip|ip6 to ADDR device DEV`. */
function fwdStmt(p: Parser, t: Token): Stmt {
  p.next();
  let family: 'ip' | 'ip6' | undefined;
  if (p.is('ip') || p.is('ip6')) family = p.next().text as 'ip';
  p.expect('to');
  const to = parseExpr(p, true, true);
  let addr: Expr | undefined;
  if (p.eat('device')) addr = parseExpr(p, true, true);
  return family ? { k: 'fwd', to: addr!, family, addr: to, span: p.spanFrom(t) } : { k: 'fwd', to, span: p.spanFrom(t) };
}

/** `TYPE name X`: a reference to a named object, by name or through a map. */
function objRef(p: Parser, type: string, t: Token): Stmt {
  const at = p.t;
  const e = parseExpr(p, true);
  if (e.k === 'sym') return { k: 'objref', type, name: e.text, span: p.spanFrom(t) };
  // A name or a map lookup; anything else (`limit name accept`) is nft's syntax error at it.
  if (e.k !== 'map') throw new CompileError(tokSpan(at), msg.syntax(at.text));
  return { k: 'objref', type, map: e, span: p.spanFrom(t) };
}
