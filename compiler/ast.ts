// The syntax tree the parser builds (nftables: src/parser_bison.y's
// expression and statement nodes, reshaped). Untyped: symbols stay text
// until evaluation knows the type of the other side.

import type { Span } from './source.js';
import type { TokKind } from './lexer.js';

/** An expression as written. */
export type Expr =
  | { k: 'sym'; text: string; tok: TokKind; span: Span }
  | { k: 'payload'; proto: string; field: string; span: Span; inner?: boolean }
  | { k: 'raw'; base: 'll' | 'nh' | 'th' | 'ih'; offset: number; len: number; span: Span }
  | { k: 'meta'; key: string; span: Span }
  | { k: 'ct'; key: string; dir?: 'original' | 'reply'; l3?: 'ip' | 'ip6'; span: Span }
  | { k: 'exthdr'; op: 'ipv6' | 'tcpopt' | 'ipv4' | 'sctp' | 'dccp'; hdr: string; field: string; index?: number; raw?: { offset: number; len: number }; span: Span }
  | { k: 'fib'; flags: string[]; result: string; span: Span }
  | { k: 'rt'; key: string; l3?: 'ip' | 'ip6'; span: Span }
  | { k: 'numgen'; type: 'inc' | 'random'; mod: number; offset: number; span: Span }
  | { k: 'hash'; type: 'jhash' | 'symhash'; src?: Expr; mod: number; seed?: number; offset: number; span: Span }
  | { k: 'socket'; key: string; level?: number; span: Span }
  | { k: 'osf'; ttl?: string; key: string; span: Span }
  | { k: 'ipsec'; dir: 'in' | 'out'; spnum: number; key: string; l3?: 'ip' | 'ip6'; span: Span }
  | { k: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; l: Expr; r: Expr; span: Span }
  | { k: 'concat'; parts: Expr[]; span: Span }
  | { k: 'prefix'; e: Expr; len: number; span: Span }
  | { k: 'range'; lo: Expr; hi: Expr; span: Span }
  | { k: 'list'; items: Expr[]; span: Span }
  | { k: 'set'; elems: Elem[]; span: Span }
  | { k: 'setref'; name: string; span: Span }
  | { k: 'map'; key: Expr; map: Expr; vmap: boolean; span: Span }
  | { k: 'verdict'; v: string; chain?: string; span: Span }
  | { k: 'neg'; e: Expr; span: Span }
  | { k: 'flagmask'; value: Expr; mask: Expr; span: Span };

/** A set element: key, optional data and per-element options. */
export interface Elem {
  key: Expr;
  data?: Expr;
  timeout?: number;
  expires?: number;
  comment?: string;
  stmts?: Stmt[];
  span: Span;
}

/** Relational operators as written (`implicit` when none is). */
export type RelOp = 'implicit' | '==' | '!=' | '<' | '>' | '<=' | '>=';

/** One statement of a rule. */
export type Stmt =
  | { k: 'match'; l: Expr; op: RelOp; r: Expr; span: Span }
  | { k: 'verdict'; v: Expr & { k: 'verdict' }; span: Span }
  | { k: 'vmap'; e: Expr & { k: 'map' }; span: Span }
  | { k: 'counter'; packets?: bigint; bytes?: bigint; span: Span }
  | { k: 'limit'; rate: bigint; unit: number; burst: bigint; bytes: boolean; over: boolean; burstGiven: boolean; span: Span }
  | { k: 'quota'; bytes: bigint; used: bigint; over: boolean; span: Span }
  | { k: 'log'; prefix?: string; level?: number; group?: number; snaplen?: number; qthreshold?: number; flags: number; span: Span }
  | { k: 'reject'; with?: 'icmp' | 'icmpv6' | 'icmpx' | 'tcp'; code?: Expr; span: Span }
  | { k: 'nat'; type: 'snat' | 'dnat' | 'masquerade' | 'redirect'; family?: 'ip' | 'ip6'; addr?: Expr; port?: Expr; flags: string[]; prefixKw?: boolean; interval?: boolean; span: Span }
  | { k: 'setstmt'; target: Expr; value: Expr; span: Span }
  | { k: 'notrack'; span: Span }
  | { k: 'comment'; text: string; span: Span }
  | { k: 'dynset'; op: 'add' | 'update' | 'delete'; set: string; key: Expr; data?: Expr; timeout?: number; stmts: Stmt[]; span: Span }
  | { k: 'meter'; name: string; size?: number; key: Expr; timeout?: number; stmts: Stmt[]; span: Span }
  | { k: 'objref'; type: string; name?: string; map?: Expr; span: Span }
  | { k: 'queue'; num?: Expr; numSpan?: Span; flags: string[]; span: Span }
  | { k: 'dup'; to: Expr; dev?: Expr; span: Span }
  | { k: 'fwd'; to: Expr; family?: 'ip' | 'ip6'; addr?: Expr; span: Span }
  | { k: 'tproxy'; family?: 'ip' | 'ip6'; addr?: Expr; port?: Expr; span: Span }
  | { k: 'synproxy'; mss?: number; wscale?: number; flags: string[]; name?: string; span: Span }
  | { k: 'ctcount'; count: number; over: boolean; span: Span }
  | { k: 'last'; span: Span }
  | { k: 'flowoffload'; name: string; span: Span };

/** A base chain's hook specification. */
export interface Hook {
  type: string;
  hook: string;
  devices: string[];
  prio: number;
  /** The named priority (`filter`), if one was used; bridge maps names differently. */
  prioName?: string;
  prioOffset: number;
  /** From the `priority` keyword to the end of its value. */
  prioSpan: Span;
  typeSpan: Span;
  hookSpan: Span;
  span: Span;
}

/** A chain body as declared in a table block or an `add chain` command. */
export interface ChainDecl {
  name: string;
  hook?: Hook;
  policy?: 'accept' | 'drop';
  /** `policy drop`, for the kernel's refusal on a regular chain. */
  policySpan?: Span;
  comment?: string;
  rules: RuleDecl[];
  span: Span;
}

/** A rule with where it goes. */
export interface RuleDecl {
  stmts: Stmt[];
  insert?: boolean;
  comment?: string;
  span: Span;
}

/** A named set or map declaration. */
export interface SetDecl {
  name: string;
  map: boolean;
  keyType?: TypeSpec;
  dataType?: TypeSpec;
  flags: string[];
  timeout?: number;
  gcInterval?: number;
  size?: number;
  policy?: string;
  counter?: boolean;
  autoMerge?: boolean;
  elems: Elem[];
  stmts: Stmt[];
  comment?: string;
  span: Span;
}

/** `type a . b` or `typeof expr . expr` (data of a map likewise). */
export type TypeSpec =
  | { k: 'type'; names: string[]; span: Span; interval?: boolean }
  | { k: 'typeof'; exprs: Expr[]; span: Span };

/** A named stateful object. */
export interface ObjDecl {
  type: 'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'secmark' | 'synproxy';
  name: string;
  stmt?: Stmt;
  props: Record<string, string>;
  /** `policy = { established : 120, ... }` of a ct timeout. */
  policy?: { state: string; value: number; span: Span }[];
  span: Span;
}

/** A flowtable: `flowtable f { hook ingress priority 0; devices = { lo }; flags offload; counter }`. */
export interface FlowtableDecl {
  name: string;
  hook?: string;
  hookSpan?: Span;
  prio: number;
  prioName?: string;
  prioSpan?: Span;
  devices: string[];
  flags: string[];
  counter: boolean;
  span: Span;
}

/** What a `list` command of many things lists (`list counters` → 'counters'). */
export type ListWhat = 'ruleset' | 'tables' | 'chains' | 'sets' | 'maps' | 'counters' | 'quotas' | 'limits' | 'ct helpers' | 'flowtables' | 'meters';

/** One command of a file, in order (a `table` block expands to several). */
export type Cmd =
  | { k: 'table'; op: 'add' | 'create' | 'delete' | 'destroy' | 'flush' | 'list'; family: string; name: string; flags?: string[]; comment?: string; span: Span; block: boolean; /** Number of following commands that came from the block's body. */ body?: number; /** `delete table ip handle 2`: named by handle (name ''). */ handle?: number }
  | { k: 'chain'; op: 'add' | 'create' | 'delete' | 'destroy' | 'flush' | 'list' | 'rename'; family: string; table: string; chain: ChainDecl; span: Span; /** `rename chain`: the new name. */ newName?: string; /** `delete chain ip t handle 2`: named by handle (name ''). */ handle?: number }
  | { k: 'rule'; op: 'add' | 'insert' | 'replace' | 'delete'; family: string; table: string; chain: string; rule: RuleDecl; handle?: number; index?: number; position?: number; span: Span }
  | { k: 'set'; op: 'add' | 'create' | 'delete' | 'destroy' | 'flush' | 'list'; family: string; table: string; set: SetDecl; span: Span; /** `delete set ip t handle 3`: named by handle (name ''). */ handle?: number; /** `list meter F T NAME`: the set a rule's meter made. */ meter?: true }
  | { k: 'element'; op: 'add' | 'create' | 'delete' | 'destroy'; family: string; table: string; set: string; elems: Elem[]; span: Span }
  | { k: 'obj'; op: 'add' | 'create' | 'delete' | 'destroy' | 'reset' | 'list'; family: string; table: string; obj: ObjDecl; span: Span }
  | { k: 'flowtable'; op: 'add' | 'create' | 'delete' | 'destroy' | 'list'; family: string; table: string; ft: FlowtableDecl; span: Span }
  | { k: 'flushRuleset'; family?: string; span: Span }
  /**
   * `reset counters [FAMILY]`, `reset counters table [FAMILY] TABLE`,
   * `reset counter [FAMILY] TABLE NAME` (and quotas): named counters and
   * quotas start again from zero. Without a name: the plural form.
   */
  | { k: 'reset'; type: 'counter' | 'quota'; family: string; table?: string; name?: string; span: Span }
  /**
   * `list ruleset [FAMILY]`, `list counters [FAMILY]`, `list counters table
   * [FAMILY] TABLE`, `list ct helpers table [FAMILY] TABLE` ...: family ''
   * lists every family, table '' every table (strings, not optional: code
   * reading the table of any command that has one takes this one too).
   */
  | { k: 'list'; what: ListWhat; family: string; table: string; span: Span }
  /** `VERB ruleset` other than list and flush: nothing to do. */
  /**
   * Not nft syntax: handles a rejected transaction consumed (the kernel never
   * gives them back). compiler/transaction.ts inserts it between transactions.
   * `gap`: not a boundary, the handles of commands compiler/history.ts dropped.
   */
  | { k: 'handles'; tables: number; perTable: Record<string, number>; span: Span; gap?: true };
