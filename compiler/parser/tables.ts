// Constant tables of the parser: nft's keywords, operators, named
// priorities and the words that introduce or qualify expressions (nftables:
// the token list of src/scanner.l, src/parser_bison.y, src/exthdr.c).
// Example: `ct helper` is a ct key, `frag more-fragments` an exthdr field.

import type { RelOp } from '../ast.js';

/** Address families a table may have (`table inet t`). */
export const FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** Verdict words (`accept`, `jump other`). */
export const VERDICTS = ['accept', 'drop', 'continue', 'return', 'jump', 'goto'];

/** Set flags accepted by `flags ...` in a set block. */
export const SET_FLAGS = ['constant', 'interval', 'dynamic', 'timeout'];
/** The `expecting ...` text for a bad set flag. */
export const SET_FLAGS_EXPECTED = 'constant or interval or dynamic or timeout';

/** Binary operator precedence levels, loosest first (`a | b & c`). */
export const BIN_LEVELS = [['|'], ['^'], ['&'], ['<<', '>>']];
/** Word spellings of the binary operators (`mark and 0xff`). */
export const WORD_BINOPS: Record<string, string> = { and: '&', or: '|', xor: '^', lshift: '<<', rshift: '>>' };
/** Word spellings of the relational operators (`tcp dport ne 22`). */
export const WORD_OPS: Record<string, RelOp> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };

/** syslog levels of `log level`, by value. */
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

/** Named base-chain priorities (ip/ip6/inet/arp/netdev values; bridge differs, see evaluate). */
export const NAMED_PRIO: Record<string, number> = {
  raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100, out: 100,
};

/** Old meta key names and bare words that name a meta key (`meta length` is `meta len`). */
export const META_ALIASES: Record<string, string> = { length: 'len', ibriport: 'ibrname', obriport: 'obrname', ipsec: 'secpath' };

/** ct keys that name a ct object when assigned (`ct helper set "ftp"`). */
export const CT_OBJECTS = new Set(['helper', 'timeout', 'expectation']);
/** The keys `ct [original|reply] KEY` accepts. */
export const CT_KEYS = new Set([
  'state', 'direction', 'status', 'mark', 'expiration', 'helper', 'l3proto', 'saddr', 'daddr', 'protocol',
  'proto-src', 'proto-dst', 'label', 'bytes', 'packets', 'avgpkt', 'zone', 'event', 'secmark', 'id', 'count',
  'timeout', 'expectation',
]);

/** IPv6 extension headers and their fields (`frag more-fragments`). */
export const EXTHDRS: Record<string, string[]> = {
  hbh: ['nexthdr', 'hdrlength'],
  rt: ['nexthdr', 'hdrlength', 'type', 'seg-left'],
  rt0: ['addr'],
  rt2: ['addr'],
  srh: ['last-entry', 'flags', 'tag', 'sid'],
  frag: ['nexthdr', 'reserved', 'frag-off', 'reserved2', 'more-fragments', 'id'],
  dst: ['nexthdr', 'hdrlength'],
  mh: ['nexthdr', 'hdrlength', 'type', 'reserved', 'checksum'],
};

/** Words after `rt` that make it the routing expression, not the IPv6 routing header (`rt classid`). */
export const RT_KEYS = new Set(['classid', 'nexthop', 'mtu', 'ipsec', 'ip', 'ip6']);
/** Fields of `tcp option NAME FIELD`. */
export const TCPOPT_FIELDS = new Set(['kind', 'length', 'size', 'count', 'left', 'right', 'tsval', 'tsecr', 'value', 'subtype']);
/** Fields of `sctp chunk NAME FIELD`. */
export const SCTP_CHUNK_FIELDS = new Set([
  'type', 'flags', 'length', 'tsn', 'stream', 'ssn', 'ppid', 'init-tag', 'a-rwnd', 'num-outbound-streams',
  'num-inbound-streams', 'initial-tsn', 'cum-tsn-ack', 'num-gap-ack-blocks', 'num-dup-tsns', 'lowest-tsn', 'seqno',
  'new-cum-tsn',
]);

/**
 * Words nft 1.0.6's scanner always returns as keywords (so never as a name,
 * and bison reports them by name in "unexpected X"); found by trying each
 * word as a chain name.
 */
export const KEYWORDS = new Set([
  'accept', 'add', 'ah', 'all', 'arp', 'auto-merge', 'bridge', 'cgroup', 'chain', 'comment', 'comp', 'constant',
  'continue', 'counter', 'cpu', 'create', 'ct', 'day', 'dccp', 'define', 'delete', 'device', 'devices', 'dnat', 'drop',
  'dst', 'dup', 'dynamic', 'ecn', 'element', 'elements', 'eq', 'esp', 'ether', 'exists', 'expires', 'exthdr', 'fib',
  'flags', 'flow', 'flowtable', 'flush', 'fwd', 'gc-interval', 'goto', 'gt', 'handle', 'hook', 'hour', 'ibriport',
  'ibrname', 'icmp', 'icmpv6', 'igmp', 'iif', 'iifgroup', 'iifname', 'iiftype', 'include', 'index', 'inet', 'insert',
  'interval', 'ip', 'ip6', 'ipsec', 'jhash', 'jump', 'limit', 'list', 'log', 'lt', 'map', 'mark', 'masquerade', 'meta',
  'meter', 'missing', 'netdev', 'nftrace', 'notrack', 'numgen', 'obriport', 'obrname', 'oif', 'oifgroup', 'oifname',
  'oiftype', 'osf', 'pkttype', 'policy', 'position', 'priority', 'queue', 'quota', 'random', 'redefine', 'redirect',
  'reject', 'replace', 'reqid', 'reset', 'return', 'rt', 'rtclassid', 'rule', 'ruleset', 'saddr', 'daddr', 'spi', 'sctp',
  'secmark', 'set', 'size', 'skgid', 'skuid', 'snat', 'socket', 'symhash', 'synproxy', 'table', 'tcp', 'th', 'time',
  'timeout', 'tproxy', 'type', 'typeof', 'udp', 'udplite', 'undefine', 'update', 'vlan', 'vmap',
]);
