// Table, chain, set and object blocks (nftables: `table_block`,
// `chain_block`, `set_block`, `counter_block` ... of src/parser_bison.y), and
// the base chain spec with its priority.
// Example: `table ip t { set s { type ipv4_addr; flags interval; } }`.

import type { ChainDecl, Cmd, Expr, FlowtableDecl, Hook, ObjDecl, SetDecl, TypeSpec } from '../ast.js';
import { tokSpan, type Token } from '../lexer.js';
import { familyAndName, parseDefine } from './command.js';
import { parsePrimary, parseSetLiteral } from './expression.js';
import type { Parser } from './index.js';
import { parseCounter, parseLimit, parseQuota, parseRule } from './statement.js';
import { NAMED_PRIO, SET_FLAGS, SET_FLAGS_EXPECTED } from './tables.js';

/** `table [family] name { ... }` (after the `table` word): the table command, then one per item. */
export function parseTableBlock(p: Parser, start: Token, op: 'add' | 'create'): void {
  const { family, name } = familyAndName(p);
  const tcmd: Cmd & { k: 'table' } = { k: 'table', op, family, name, span: p.spanFrom(start), block: true };
  p.cmds.push(tcmd);
  if (!p.eat('{')) {
    p.endOfLine();
    return;
  }
  try {
    p.inTable(() => p.block(() => tableItem(p, family, name, tcmd)));
  } finally {
    tcmd.body = p.cmds.length - p.cmds.indexOf(tcmd) - 1;
  }
  p.endOfLine();
}

/** One line of a table block: a chain, set, map or object block, `define`, `flags`, ... */
function tableItem(p: Parser, family: string, table: string, tcmd: Cmd & { k: 'table' }): void {
  if (p.is('include')) return p.include();
  const t = p.word();
  switch (t.text) {
    case 'chain': {
      const name = p.identifier();
      const chain: ChainDecl = { name, rules: [], span: p.spanFrom(t) };
      p.expect('{', "'{'");
      parseChainBody(p, chain, family, table, true);
      chain.span = p.spanFrom(t);
      p.endOfBlock();
      return;
    }
    case 'set':
    case 'map': {
      const name = p.identifier();
      const set: SetDecl = { name, map: t.text === 'map', flags: [], elems: [], stmts: [], span: p.spanFrom(t) };
      p.expect('{', "'{'");
      parseSetBody(p, set);
      p.cmds.push({ k: 'set', op: 'add', family, table, set, span: p.spanFrom(t) });
      p.endOfBlock();
      return;
    }
    case 'counter':
    case 'quota':
    case 'limit':
    case 'ct':
    case 'secmark':
    case 'synproxy': {
      let type: string = t.text;
      if (type === 'ct') type = 'ct ' + p.word().text;
      const name = p.identifier();
      const o = parseObjBody(p, type as ObjDecl['type'], name, t, p.eat('{'));
      p.cmds.push({ k: 'obj', op: 'add', family, table, obj: o, span: p.spanFrom(t) });
      p.endOfLine();
      return;
    }
    case 'define':
    case 'redefine':
      parseDefine(p);
      return;
    case 'flags': {
      tcmd.flags = [p.word().text];
      while (p.eat(',')) tcmd.flags.push(p.word().text);
      p.endOfItem();
      return;
    }
    case 'comment':
      tcmd.comment = p.next().text;
      p.endOfItem();
      return;
    case 'flowtable': {
      const ft = parseFlowtable(p, t, true);
      p.cmds.push({ k: 'flowtable', op: 'add', family, table, ft, span: p.spanFrom(t) });
      p.endOfBlock();
      return;
    }
    default:
      p.fail(t);
  }
}

/**
 * The lines of a chain block up to its `}`: base chain spec, policy and rules.
 * Inside a table block the chain and each rule become commands of their own;
 * in `add chain ... { }` the rules stay in the chain.
 */
export function parseChainBody(p: Parser, chain: ChainDecl, family: string, table: string, inBlock: boolean): void {
  if (inBlock) {
    p.cmds.push({ k: 'chain', op: 'add', family, table, chain, span: chain.span });
  }
  p.block(() => {
    const t = p.t;
    if (p.is('include')) p.include();
    else if (p.is('type') && p.peek().kind === 'word') {
      chain.hook = hookSpec(p);
      p.endOfItem();
    } else if (p.is('policy')) {
      const kw = p.next();
      const v = p.word("accept or drop or '$'");
      if (v.text !== 'accept' && v.text !== 'drop') p.fail(v, "accept or drop or '$'");
      chain.policy = v.text;
      chain.policySpan = p.spanFrom(kw);
      p.endOfItem();
    } else if (p.is('comment') && p.peek().kind === 'string') {
      p.next();
      chain.comment = p.next().text;
      p.endOfItem();
    } else if (p.is('devices') || p.is('flags')) {
      p.recover();
    } else {
      const r = parseRule(p, t);
      if (inBlock) p.cmds.push({ k: 'rule', op: 'add', family, table, chain: chain.name, rule: r, span: r.span });
      else chain.rules.push(r);
      p.endOfItem();
    }
  });
}

/**
 * A flowtable's name and `{ ... }` body (`{` required in a table block):
 * `hook ingress priority P`, `devices = { ... }`, `flags offload`, `counter`.
 */
export function parseFlowtable(p: Parser, start: Token, needBody: boolean): FlowtableDecl {
  const name = p.identifier();
  const ft: FlowtableDecl = { name, prio: 0, devices: [], flags: [], counter: false, span: p.spanFrom(start) };
  if (!needBody && !p.is('{')) return ft;
  p.expect('{', "'{'");
  p.block(() => {
    if (p.is('include')) return p.include();
    const kw = p.word();
    switch (kw.text) {
      case 'hook': {
        const h = p.word('hook name');
        ft.hook = h.text;
        ft.hookSpan = tokSpan(h);
        const pstart = p.expect('priority', "'priority'");
        const pr = priority(p);
        ft.prio = pr.prio;
        ft.prioName = pr.prioName;
        ft.prioSpan = p.spanFrom(pstart);
        break;
      }
      case 'devices':
        p.expect('=');
        ft.devices = deviceList(p);
        break;
      case 'flags':
        ft.flags.push(p.word().text);
        while (p.eat(',')) ft.flags.push(p.word().text);
        break;
      case 'counter':
        ft.counter = true;
        break;
      default:
        p.fail(kw);
    }
    p.endOfItem();
  });
  ft.span = p.spanFrom(start);
  return ft;
}

/** `{ a, b }` or `$var` after `devices =`. */
function deviceList(p: Parser): string[] {
  const devices: string[] = [];
  if (p.is('$')) {
    collectSyms(p.variable(), devices);
    return devices;
  }
  p.expect('{');
  do {
    p.skipNewlines();
    if (p.is('}')) break;
    devices.push(p.identifier());
    p.skipNewlines();
  } while (p.eat(','));
  p.expect('}');
  return devices;
}

/** `type filter hook input [device X|devices = {...}] priority P`. */
function hookSpec(p: Parser): Hook {
  const start = p.next(); // 'type'
  const typeTok = p.word('filter, nat or route');
  const type = typeTok.text;
  p.expect('hook', "'hook'");
  const hookTok = p.word('hook name');
  const hook = hookTok.text;
  const devices: string[] = [];
  if (p.eat('device')) devices.push(p.identifier());
  else if (p.eat('devices')) {
    p.expect('=');
    devices.push(...deviceList(p));
  }
  const pstart = p.expect('priority', "'priority'");
  const { prio, prioName, prioOffset } = priority(p);
  return {
    type, hook, devices, prio, prioName, prioOffset, prioSpan: p.spanFrom(pstart),
    typeSpan: tokSpan(typeTok), hookSpan: tokSpan(hookTok), span: p.spanFrom(start),
  };
}

/**
 * A base chain priority: a number, a variable, or a name with an optional
 * offset (`filter + 10`). A name's value depends on family and hook, and an
 * unknown name is an evaluation error (chain.ts resolveHook), as in nft.
 */
function priority(p: Parser): { prio: number; prioName?: string; prioOffset: number } {
  let sign = 1;
  if (p.eat('-')) sign = -1;
  const t = p.t;
  if (t.kind === 'number') {
    p.next();
    return { prio: sign * Number(t.text), prioOffset: 0 };
  }
  if (p.is('$')) {
    const v = p.variable();
    if (v.k === 'sym' && /^-?\d+$/.test(v.text)) return { prio: sign * Number(v.text), prioOffset: 0 };
    if (v.k === 'sym') return { prio: NAMED_PRIO[v.text] ?? 0, prioName: v.text, prioOffset: 0 };
    p.fail(t);
  }
  const name = p.word('priority').text;
  let prioOffset = 0;
  if (p.is('+') || p.is('-')) {
    const neg = p.next().text === '-';
    const n = p.number();
    prioOffset = neg ? -n : n;
  }
  return { prio: (NAMED_PRIO[name] ?? 0) + prioOffset, prioName: name, prioOffset };
}

/** The lines of a set or map block up to its `}`. */
export function parseSetBody(p: Parser, set: SetDecl): void {
  p.block(() => setItem(p, set));
}

/** One line of a set block: `type`, `typeof`, `flags`, `elements = { ... }`, ... */
function setItem(p: Parser, set: SetDecl): void {
  if (p.is('include')) return p.include();
  const t = p.word();
  switch (t.text) {
    case 'type': {
      set.keyType = typeSpec(p, false);
      if (set.map) {
        p.expect(':', "':'");
        set.dataType = typeSpec(p, false);
      }
      break;
    }
    case 'typeof': {
      set.keyType = typeSpec(p, true);
      if (set.map) {
        p.expect(':', "':'");
        // `typeof ... : verdict` names the verdict type, not an expression.
        set.dataType = p.is('verdict') ? typeSpec(p, false) : typeSpec(p, true);
      }
      break;
    }
    case 'flags':
      do {
        const f = p.word(SET_FLAGS_EXPECTED);
        if (!SET_FLAGS.includes(f.text)) p.fail(f, SET_FLAGS_EXPECTED);
        set.flags.push(f.text);
      } while (p.eat(','));
      break;
    case 'timeout':
      set.timeout = p.time();
      break;
    case 'gc-interval':
      set.gcInterval = p.time();
      break;
    case 'size':
      set.size = p.number();
      break;
    case 'policy':
      set.policy = p.word().text;
      break;
    case 'counter':
      set.counter = true;
      break;
    case 'auto-merge':
      set.autoMerge = true;
      break;
    case 'comment':
      set.comment = p.word().text;
      break;
    case 'elements': {
      p.expect('=', "'='");
      const e = p.is('$') ? p.variable() : parseSetLiteral(p, false);
      if (e.k === 'set') set.elems.push(...e.elems);
      else set.elems.push({ key: e, span: e.span });
      break;
    }
    default:
      p.fail(t);
  }
  // `elements = { ... } }` and `auto-merge }` may end the block on the same line.
  if (t.text === 'elements' || t.text === 'auto-merge') p.endOfLine();
  else p.endOfItem(t.text === 'type' || t.text === 'typeof' ? 'newline or semicolon or .' : t.text === 'flags' ? 'newline or semicolon or comma' : t.text === 'counter' ? '' : undefined);
}

/** A set's key or data type: `type ipv4_addr . inet_service` or `typeof ip saddr`. */
function typeSpec(p: Parser, isTypeof: boolean): TypeSpec {
  const start = p.t;
  if (isTypeof) {
    const exprs: Expr[] = [];
    do exprs.push(parsePrimary(p, true));
    while (p.eat('.'));
    return { k: 'typeof', exprs, span: p.spanFrom(start) };
  }
  const names: string[] = [];
  do names.push(p.word('type name').text);
  while (p.eat('.'));
  const ts: TypeSpec = { k: 'type', names, span: p.spanFrom(start) };
  if (p.eat('interval')) ts.interval = true;
  return ts;
}

/** The body of a named object (`counter c { packets 0 bytes 0 }`); unbraced, an empty one. */
export function parseObjBody(p: Parser, type: ObjDecl['type'], name: string, start: Token, braced: boolean): ObjDecl {
  const o: ObjDecl = { type, name, props: {}, span: p.spanFrom(start) };
  if (!braced) return o;
  p.skipNewlines();
  while (!p.is('}')) {
    if (p.t.kind === 'eof') p.fail(p.t);
    const t = p.t;
    if (type === 'counter' || type === 'quota' || type === 'limit') {
      if (p.is('comment')) {
        p.next();
        o.props.comment = p.word().text;
      } else if (type === 'counter') {
        o.stmt = parseCounter(p, t, true);
      } else if (type === 'quota') {
        o.stmt = parseQuota(p, t, true);
      } else {
        o.stmt = parseLimit(p, t, true);
      }
    } else {
      while (!p.atStmtEnd()) objProp(p, o);
      if (type.startsWith('ct ') && p.is('}')) p.fail(p.t, 'newline or semicolon');
    }
    p.endOfLine();
    p.skipNewlines();
  }
  p.next();
  o.span = p.spanFrom(start);
  return o;
}

/** One `key value` of a ct helper/timeout/expectation, synproxy or secmark body. */
function objProp(p: Parser, o: ObjDecl): void {
  if (o.type === 'secmark' && p.t.kind === 'string') {
    o.props.context = p.next().text;
    return;
  }
  const k = p.word();
  switch (k.text) {
    case 'timestamp':
    case 'sack-perm':
      o.props[k.text] = '';
      return;
    case 'timeout':
      o.props.timeout = String(p.time());
      return;
    case 'policy': {
      p.expect('=', "'='");
      p.expect('{', "'{'");
      o.policy = [];
      do {
        p.skipNewlines();
        const st = p.word();
        p.expect(':', "':'");
        o.policy.push({ state: st.text, value: p.number(), span: tokSpan(st) });
        p.skipNewlines();
      } while (p.eat(','));
      p.expect('}', "'}'");
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
      o.props[k.text] = p.next().text;
      return;
    default:
      p.fail(k);
  }
}

/** The names in a `devices = $var` value. */
function collectSyms(e: Expr, out: string[]): void {
  if (e.k === 'sym') out.push(e.text);
  else if (e.k === 'set') for (const el of e.elems) collectSyms(el.key, out);
  else if (e.k === 'list') for (const x of e.items) collectSyms(x, out);
}
