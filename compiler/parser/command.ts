// Top-level commands of a ruleset file (nftables: the `line`, `base_cmd`,
// `add_cmd` ... rules of src/parser_bison.y): `define`, `include`, and
// verb + object commands, whose blocks are parsed in block.ts.
// Example: `add rule inet t c tcp dport 22 accept`.

import type { ChainDecl, Expr, ListWhat, ObjDecl, SetDecl } from '../ast.js';
import { CompileError, msg } from '../diagnostics.js';
import { tokSpan, type Token } from '../lexer.js';
import { parseChainBody, parseFlowtable, parseObjBody, parseSetBody, parseTableBlock } from './block.js';
import { parseRhsExpr, parseSetLiteral } from './expression.js';
import type { Parser } from './index.js';
import { parseRule } from './statement.js';
import { FAMILIES } from './tables.js';

/** One top-level line: a command, `define`, `include` or a table block. */
export function parseTopCommand(p: Parser): void {
  const t = p.t;
  if (t.kind !== 'word') p.fail(t);
  switch (t.text) {
    case 'table': {
      p.next();
      parseTableBlock(p, t, 'add');
      return;
    }
    case 'define':
    case 'redefine': {
      p.next();
      parseDefine(p, t.text === 'redefine');
      return;
    }
    case 'undefine': {
      p.next();
      p.scope.vars.delete(p.word().text);
      p.endOfLine();
      return;
    }
    case 'include':
      p.include();
      return;
    case 'flush':
      if (p.peek().text === 'ruleset') {
        p.next();
        p.next();
        const family = optionalFamily(p);
        p.cmds.push({ k: 'flushRuleset', family, span: p.spanFrom(t) });
        p.endOfLine();
        return;
      }
      p.next();
      command(p, t, 'flush');
      return;
    case 'add':
    case 'create':
    case 'insert':
    case 'replace':
    case 'delete':
    case 'destroy':
    case 'list':
    case 'reset':
      p.next();
      command(p, t, t.text as 'add');
      return;
    case 'rename':
      // Only chains are renamed: `rename chain [FAMILY] TABLE CHAIN NEWNAME`.
      p.next();
      if (p.t.text !== 'chain') p.fail(p.t);
      command(p, t, 'rename');
      return;
    case 'chain':
    case 'rule':
    case 'set':
    case 'map':
    case 'element':
    case 'counter':
    case 'quota':
    case 'limit':
    case 'flowtable':
      // Without a verb nft means `add`.
      command(p, t, 'add');
      return;
    default:
      p.fail(t);
  }
}

/** `define NAME = VALUE` (the `define` word already consumed); `redefine` may replace a name. */
export function parseDefine(p: Parser, redefine = false): void {
  const nameTok = p.word();
  const name = nameTok.text;
  if (!redefine && p.scope.vars.has(name)) throw new CompileError(tokSpan(nameTok), msg.redefinition(name));
  p.expect('=', "'='");
  // Only a define's value may be a negative number (`define prio = -5`).
  const minus = p.t;
  const e: Expr = p.is('-') && p.peek().kind === 'number'
    ? (p.next(), { k: 'sym', text: '-' + p.next().text, tok: 'number', span: p.spanFrom(minus) })
    : parseRhsExpr(p, true);
  p.scope.vars.set(name, e);
  p.endOfLine();
}

/** A family word (`ip`, `inet` ...), consumed if the current token is one. */
function optionalFamily(p: Parser): string | undefined {
  return p.t.kind === 'word' && FAMILIES.includes(p.t.text) ? p.next().text : undefined;
}

/** `[family] name` of a table (the family defaults to ip). */
export function familyAndName(p: Parser): { family: string; name: string } {
  // Family names are keywords: `table ip {` lacks the name, it is not table "ip".
  const family = optionalFamily(p) ?? 'ip';
  return { family, name: p.identifier('string') };
}

/**
 * `delete table ip handle 2`, `delete chain ip t handle 3`: `[family] [table] handle N`
 * of a delete/destroy, consumed if that is what follows (the kernel names the object).
 */
function handleForm(p: Parser, verb: string, withTable: boolean): { family: string; table: string; handle: number } | undefined {
  if (verb !== 'delete' && verb !== 'destroy') return undefined;
  const fam = p.t.kind === 'word' && FAMILIES.includes(p.t.text);
  const k = (fam ? 1 : 0) + (withTable ? 1 : 0);
  const at = (i: number) => (i === 0 ? p.t : p.peek(i));
  if (at(k).text !== 'handle' || at(k + 1).kind !== 'number') return undefined;
  const family = fam ? p.next().text : 'ip';
  const table = withTable ? p.identifier() : '';
  p.next();
  return { family, table, handle: p.number() };
}

/** `VERB OBJECT ...` (`add rule ...`, `delete table ...`), the verb already consumed. */
function command(p: Parser, verbTok: Token, verb: string): void {
  const obj = p.word('table, chain, rule, set, map, element or an object');
  if (verb === 'reset' && !RESET_OBJECTS.includes(obj.text)) p.fail(obj, 'counter or counters or quotas or quota');
  switch (obj.text) {
    case 'table': {
      if (verb === 'add' || verb === 'create') {
        parseTableBlock(p, verbTok, verb as 'add');
        return;
      }
      const hf = handleForm(p, verb, false);
      const { family, name } = hf ? { family: hf.family, name: '' } : familyAndName(p);
      p.cmds.push({ k: 'table', op: verb as 'delete', family, name, span: p.spanFrom(verbTok), block: false, ...(hf ? { handle: hf.handle } : {}) });
      p.endOfLine();
      return;
    }
    case 'chain': {
      const hf = handleForm(p, verb, true);
      if (hf) {
        const chain: ChainDecl = { name: '', rules: [], span: p.spanFrom(verbTok) };
        p.cmds.push({ k: 'chain', op: verb as 'delete', family: hf.family, table: hf.table, chain, handle: hf.handle, span: p.spanFrom(verbTok) });
        p.endOfLine();
        return;
      }
      const { family, name: table } = familyAndName(p);
      const name = p.identifier();
      const chain: ChainDecl = { name, rules: [], span: p.spanFrom(verbTok) };
      if (verb === 'rename') {
        const newName = p.identifier();
        p.cmds.push({ k: 'chain', op: 'rename', family, table, chain, newName, span: p.spanFrom(verbTok) });
        p.endOfLine();
        return;
      }
      if (p.eat('{')) parseChainBody(p, chain, family, table, false);
      p.cmds.push({ k: 'chain', op: verb as 'add', family, table, chain, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'rule': {
      const { family, name: table } = familyAndName(p);
      const chain = p.identifier();
      let handle: number | undefined;
      let index: number | undefined;
      let position: number | undefined;
      if (p.eat('handle')) handle = p.number();
      else if (p.eat('index')) index = p.number();
      else if (p.eat('position')) position = p.number();
      if (verb === 'delete') {
        p.cmds.push({ k: 'rule', op: 'delete', family, table, chain, rule: { stmts: [], span: p.spanFrom(verbTok) }, handle, span: p.spanFrom(verbTok) });
        p.endOfLine();
        return;
      }
      const r = parseRule(p, verbTok);
      if (verb === 'insert') r.insert = true;
      p.cmds.push({ k: 'rule', op: verb as 'add', family, table, chain, rule: r, handle, index, position, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'meter': {
      if (verb !== 'list') p.fail(obj);
      const { family, name: table } = familyAndName(p);
      const name = p.identifier();
      const set: SetDecl = { name, map: false, flags: [], elems: [], stmts: [], span: p.spanFrom(verbTok) };
      p.cmds.push({ k: 'set', op: 'list', family, table, set, meter: true, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'set':
    case 'map': {
      const hf = handleForm(p, verb, true);
      if (hf) {
        const set: SetDecl = { name: '', map: obj.text === 'map', flags: [], elems: [], stmts: [], span: p.spanFrom(verbTok) };
        p.cmds.push({ k: 'set', op: verb as 'delete', family: hf.family, table: hf.table, set, handle: hf.handle, span: p.spanFrom(verbTok) });
        p.endOfLine();
        return;
      }
      const { family, name: table } = familyAndName(p);
      const name = p.identifier();
      const set: SetDecl = { name, map: obj.text === 'map', flags: [], elems: [], stmts: [], span: p.spanFrom(verbTok) };
      if (p.eat('{')) parseSetBody(p, set);
      p.cmds.push({ k: 'set', op: verb as 'add', family, table, set, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'element': {
      const { family, name: table } = familyAndName(p);
      const set = p.identifier();
      const s = parseSetLiteral(p, true);
      p.cmds.push({ k: 'element', op: verb as 'add', family, table, set, elems: s.elems, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'counters':
    case 'quotas':
    case 'tables':
    case 'chains':
    case 'sets':
    case 'maps':
    case 'limits':
    case 'flowtables':
    case 'meters': {
      if (verb === 'list') {
        // A listing changes nothing; nft prints it (compiler/list-commands.ts).
        listScope(p, verbTok, obj.text as ListWhat);
        return;
      }
      if (verb !== 'reset') p.fail(obj);
      // RESET_OBJECTS let only these two plurals through.
      const type = obj.text === 'counters' ? 'counter' : 'quota';
      let scope: { family: string; name?: string };
      if (p.eat('table')) scope = familyAndName(p);
      else scope = { family: optionalFamily(p) ?? '' };
      p.cmds.push({ k: 'reset', type, family: scope.family, ...(scope.name !== undefined ? { table: scope.name } : {}), span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'counter':
    case 'quota':
      if (verb === 'reset') {
        const { family, name: table } = familyAndName(p);
        const name = p.identifier();
        p.cmds.push({ k: 'reset', type: obj.text, family, table, name, span: p.spanFrom(verbTok) });
        p.endOfLine();
        return;
      }
    // falls through
    case 'limit':
    case 'ct': {
      let type: string = obj.text;
      if (type === 'ct') {
        const kind = p.word();
        if (verb === 'list' && !['timeout', 'expectation', 'helper', 'helpers'].includes(kind.text)) p.fail(kind, 'timeout or expectation or helper or helpers');
        if (verb !== 'list' && !['timeout', 'expectation', 'helper'].includes(kind.text)) p.fail(kind, 'timeout or expectation or helper');
        if (kind.text === 'helpers' && verb === 'list') {
          p.expect('table');
          const { family, name: table } = familyAndName(p);
          p.cmds.push({ k: 'list', what: 'ct helpers', family, table, span: p.spanFrom(verbTok) });
          p.endOfLine();
          return;
        }
        type = 'ct ' + kind.text;
      }
      const { family, name: table } = familyAndName(p);
      const name = p.identifier();
      const o = parseObjBody(p, type as ObjDecl['type'], name, verbTok, p.eat('{'));
      p.cmds.push({ k: 'obj', op: verb as 'add', family, table, obj: o, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'flowtable': {
      const { family, name: table } = familyAndName(p);
      const ft = parseFlowtable(p, verbTok, verb === 'add' || verb === 'create');
      p.cmds.push({ k: 'flowtable', op: verb as 'add', family, table, ft, span: p.spanFrom(verbTok) });
      p.endOfLine();
      return;
    }
    case 'ruleset':
      // nft 1.0.6 lists and flushes a ruleset, nothing else: its grammar's error names what each verb takes.
      if (verb !== 'list') p.fail(obj, ({ add: 'string', destroy: 'string', insert: 'rule', replace: 'rule' } as Record<string, string>)[verb]);
      listScope(p, verbTok, 'ruleset');
      return;
    default:
      p.fail(obj);
  }
}

/** The objects `reset` takes (nft 1.0.6 resets nothing else). */
const RESET_OBJECTS = ['counter', 'counters', 'quotas', 'quota'];

/** The plural listings that take `table [FAMILY] TABLE` (the others only a family). */
const TABLE_SCOPED = ['counters', 'quotas', 'limits', 'sets'];

/**
 * `list counters [FAMILY]`, `list counters table [FAMILY] TABLE`, `list
 * ruleset [FAMILY]` (the object word already consumed).
 */
function listScope(p: Parser, verbTok: Token, what: ListWhat): void {
  const table = TABLE_SCOPED.includes(what) && p.eat('table');
  const family = optionalFamily(p) ?? (table ? 'ip' : '');
  p.cmds.push({ k: 'list', what, family, table: table ? p.identifier() : '', span: p.spanFrom(verbTok) });
  p.endOfLine();
}
