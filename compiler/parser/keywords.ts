// Keyword-introduced expressions (nftables: `primary_expr` alternatives of
// src/parser_bison.y): payload fields, meta, ct, fib, rt, numgen, hashes,
// IPv6 extension headers, ip/tcp options, sctp chunks, socket, osf and ipsec.
// Example: `ct original ip saddr`, `tcp option maxseg size`, `frag more-fragments`.

import type { Expr } from '../ast.js';
import { CompileError } from '../diagnostics.js';
import { META_BARE, META_KEYS } from '../expr/meta-keys.js';
import { tokSpan, type Token } from '../lexer.js';
import { findField, protocols } from '../proto/index.js';
import { parseExpr } from './expression.js';
import type { Parser } from './index.js';
import { CT_KEYS, EXTHDRS, META_ALIASES, RT_KEYS, SCTP_CHUNK_FIELDS, TCPOPT_FIELDS } from './tables.js';

/** A keyword-introduced expression (`ip saddr`, `meta mark`, `ct state`, ...), or undefined. */
export function parseKeywordExpr(p: Parser): Expr | undefined {
  const t = p.t;
  const w = t.text;
  const nx = p.peek();
  if (protocols[w] && nx.kind === 'word') return payload(p);
  // `rt classid` is the routing expression, `rt nexthdr` the IPv6 routing header.
  if (EXTHDRS[w] && nx.kind === 'word' && !(w === 'rt' && RT_KEYS.has(nx.text))) return exthdr(p);
  if (w === 'exthdr') {
    p.next();
    return exthdr(p, t);
  }
  if (w === 'meta') {
    p.next();
    const k = p.word('meta key');
    const key = META_ALIASES[k.text] ?? k.text;
    if (!META_KEYS[key]) throw new CompileError(tokSpan(k), `syntax error, unexpected ${p.describe(k)}`);
    return { k: 'meta', key, span: p.spanFrom(t) };
  }
  // `ipsec in reqid 1` is the xfrm expression; a bare `ipsec` is `meta secpath`.
  if (META_BARE.has(w) && !(w === 'ipsec' && (nx.text === 'in' || nx.text === 'out'))) {
    p.next();
    return { k: 'meta', key: META_ALIASES[w] ?? w, span: tokSpan(t) };
  }
  switch (w) {
    case 'ct':
      return ctExpr(p);
    case 'fib':
      return fibExpr(p);
    case 'rt':
      return rtExpr(p);
    case 'numgen':
      return numgenExpr(p);
    case 'jhash':
    case 'symhash':
      return hashExpr(p);
    case 'socket':
      return socketExpr(p);
    case 'osf':
      return osfExpr(p);
    case 'ipsec':
      return ipsecExpr(p);
  }
  return undefined;
}

/** A protocol header field `PROTO FIELD` (`tcp dport`, `arp saddr ip`), or its ip/tcp options, sctp chunks. */
function payload(p: Parser): Expr {
  const t = p.t;
  const w = t.text;
  const nx = p.peek();
  if (w === 'ip' && nx.text === 'option') return ipOption(p);
  if (w === 'tcp' && nx.text === 'option') return tcpOption(p);
  const fname = nx.text;
  if (w === 'arp' && (fname === 'saddr' || fname === 'daddr')) {
    const nn = p.peek(2);
    if (nn.kind === 'word' && (nn.text === 'ip' || nn.text === 'ether')) {
      p.next();
      p.next();
      p.next();
      return { k: 'payload', proto: w, field: `${fname} ${nn.text}`, span: p.spanFrom(t) };
    }
  }
  if (findField(w, fname)) {
    p.next();
    p.next();
    return { k: 'payload', proto: w, field: fname, span: p.spanFrom(t) };
  }
  if (w === 'sctp' && fname === 'chunk') return sctpChunk(p);
  // `ip` followed by a non-field word is a symbol (e.g. `meta nfproto ip`) only on RHS.
  p.next();
  throw new CompileError(tokSpan(nx), `syntax error, unexpected ${p.describe(nx)}`);
}

/** `ip option NAME [FIELD]` (`ip option rr ptr`). */
function ipOption(p: Parser): Expr {
  const t = p.next();
  p.next(); // option
  const hdr = p.word('ip option name').text;
  let field = 'exists';
  if (p.t.kind === 'word' && ['type', 'length', 'value', 'ptr', 'addr'].includes(p.t.text)) field = p.next().text;
  return { k: 'exthdr', op: 'ipv4', hdr, field, span: p.spanFrom(t) };
}

/** `tcp option NAME|NUMBER [FIELD]`, or raw `tcp option @kind,offset,length`. */
function tcpOption(p: Parser): Expr {
  const t = p.next();
  p.next(); // option
  if (p.eat('@')) {
    // `tcp option @kind,offset,length` (offset and length in bits)
    const kind = String(p.number());
    p.expect(',', "','");
    const offset = p.number();
    p.expect(',', "','");
    const len = p.number();
    return { k: 'exthdr', op: 'tcpopt', hdr: kind, field: 'raw', raw: { offset, len }, span: p.spanFrom(t) };
  }
  const hdr = p.t.kind === 'number' ? p.next().text : p.word('tcp option name').text;
  let field = 'exists';
  if (p.t.kind === 'word' && TCPOPT_FIELDS.has(p.t.text)) field = p.next().text;
  return { k: 'exthdr', op: 'tcpopt', hdr, field, span: p.spanFrom(t) };
}

/** `sctp chunk NAME [FIELD]` (`sctp chunk data tsn`). */
function sctpChunk(p: Parser): Expr {
  const t = p.next();
  p.next(); // chunk
  const hdr = p.word('chunk type').text;
  let field = 'exists';
  if (p.t.kind === 'word' && !p.atStmtEnd() && SCTP_CHUNK_FIELDS.has(p.t.text)) field = p.next().text;
  return { k: 'exthdr', op: 'sctp', hdr, field, span: p.spanFrom(t) };
}

/** An IPv6 extension header field `HDR [FIELD] [[N]]`; `start` is a preceding `exthdr` word. */
function exthdr(p: Parser, start?: Token): Expr {
  const t = start ?? p.t;
  const hdr = p.word('extension header').text;
  let field = 'exists';
  if (p.t.kind === 'word' && EXTHDRS[hdr]?.includes(p.t.text)) field = p.next().text;
  else if (!p.is('exists') && !p.is('missing') && p.t.kind === 'word' && !EXTHDRS[hdr]) p.fail(p.t);
  // `rt0 addr[2]`, `srh sid[1]`: the n-th address of the header
  let index: number | undefined;
  if (p.eat('[')) {
    index = p.number();
    p.expect(']', "']'");
  }
  return { k: 'exthdr', op: 'ipv6', hdr, field, index, span: p.spanFrom(t) };
}

/** `ct [original|reply [ip|ip6]] KEY`. */
function ctExpr(p: Parser): Expr {
  const t = p.next();
  let dir: 'original' | 'reply' | undefined;
  if (p.is('original') || p.is('reply')) dir = p.next().text as 'original';
  let l3: 'ip' | 'ip6' | undefined;
  if ((p.is('ip') || p.is('ip6')) && dir) l3 = p.next().text as 'ip';
  const k = p.word('ct key');
  const key = k.text;
  if (!CT_KEYS.has(key)) throw new CompileError(tokSpan(k), `syntax error, unexpected ${p.describe(k)}`);
  return { k: 'ct', key, dir, l3, span: p.spanFrom(t) };
}

/** `fib FLAG[.FLAG...] RESULT` (`fib daddr . iif type`). */
function fibExpr(p: Parser): Expr {
  const t = p.next();
  const flags: string[] = [];
  do flags.push(p.word('saddr, daddr, mark, iif or oif').text);
  while (p.eat('.'));
  const result = p.word('oif, oifname or type').text;
  return { k: 'fib', flags, result, span: p.spanFrom(t) };
}

/** `rt [ip|ip6] KEY` (`rt classid`). */
function rtExpr(p: Parser): Expr {
  const t = p.next();
  let l3: 'ip' | 'ip6' | undefined;
  if (p.is('ip') || p.is('ip6')) l3 = p.next().text as 'ip';
  const key = p.word('rt key').text;
  return { k: 'rt', key, l3, span: p.spanFrom(t) };
}

/** `numgen inc|random mod N [offset M]`. */
function numgenExpr(p: Parser): Expr {
  const t = p.next();
  const ty = p.word('inc or random');
  if (ty.text !== 'inc' && ty.text !== 'random') p.fail(ty, 'inc or random');
  p.expect('mod', "'mod'");
  const mod = p.number();
  let offset = 0;
  if (p.eat('offset')) offset = p.number();
  return { k: 'numgen', type: ty.text, mod, offset, span: p.spanFrom(t) };
}

/** `jhash EXPR mod N [seed S] [offset M]`, `symhash mod N [offset M]`. */
function hashExpr(p: Parser): Expr {
  const t = p.next();
  let src: Expr | undefined;
  if (t.text === 'jhash') src = parseExpr(p, true);
  p.expect('mod', "'mod'");
  const mod = p.number();
  let seed: number | undefined;
  let offset = 0;
  for (;;) {
    if (p.eat('seed')) seed = p.number();
    else if (p.eat('offset')) offset = p.number();
    else break;
  }
  return { k: 'hash', type: t.text as 'jhash', src, mod, seed, offset, span: p.spanFrom(t) };
}

/** `socket KEY` (`socket cgroupv2 level N`). */
function socketExpr(p: Parser): Expr {
  const t = p.next();
  const k = p.word('socket key');
  let level: number | undefined;
  if (k.text === 'cgroupv2') {
    p.expect('level');
    level = p.number();
  }
  return { k: 'socket', key: k.text, level, span: p.spanFrom(t) };
}

/** `osf [ttl loose|skip] name|version`. */
function osfExpr(p: Parser): Expr {
  const t = p.next();
  let ttl: string | undefined;
  if (p.eat('ttl')) ttl = p.word().text;
  const key = p.word('name or version').text;
  return { k: 'osf', ttl, key, span: p.spanFrom(t) };
}

/** `ipsec in|out [spnum N] spi|reqid`, `ipsec in|out [spnum N] ip|ip6 saddr|daddr`. */
function ipsecExpr(p: Parser): Expr {
  const t = p.next();
  const dir = p.word('in or out').text as 'in';
  let spnum = 0;
  if (p.eat('spnum')) spnum = p.number();
  let l3: 'ip' | 'ip6' | undefined;
  if (p.is('ip') || p.is('ip6')) l3 = p.next().text as 'ip';
  // addresses need the family: `ipsec in ip saddr`
  const keys = l3 ? ['saddr', 'daddr'] : ['spi', 'reqid'];
  if (!keys.includes(p.t.text)) p.fail(p.t, l3 ? 'saddr or daddr' : 'ip or ip6 or spi or reqid');
  const key = p.word().text;
  return { k: 'ipsec', dir, spnum, key, l3, span: p.spanFrom(t) };
}
