// The reject statement (kernel: net/netfilter/nft_reject*.c; nftables:
// src/evaluate.c stmt_evaluate_reject): a TCP reset or an ICMP error whose
// type follows the network protocol in context. `reject with icmp
// port-unreachable` in an ip table → reject type 0 code 3.

import type { Stmt } from '../ast.js';
import { ICMP_CODES, ICMPV6_CODES, ICMPX_CODES } from '../datatype.js';
import { needNetwork, needTransport } from '../deps.js';
import type { RuleCompiler } from '../linearize.js';
import { protocols } from '../proto/index.js';
import { keywordSpan } from '../source.js';

/** Reject types (enum nft_reject_types). */
const REJECT_ICMP_UNREACH = 0;
const REJECT_TCP_RST = 1;
const REJECT_ICMPX_UNREACH = 2;

/** `reject`, `reject with tcp reset`, `reject with icmp|icmpv6|icmpx <code>`. */
export function rejectStmt(rc: RuleCompiler, s: Stmt & { k: 'reject' }): void {
  const fam = rc.family;
  const kw = keywordSpan(s.span, 'reject');
  if (s.with === 'tcp') {
    if (rc.th && rc.th !== 'tcp') rc.err(kw, `you cannot use tcp reset with this protocol`);
    rc.atRuleStart(() => needTransport(rc, protocols.tcp!, s.span));
    rc.insns.push({ op: 'reject', type: REJECT_TCP_RST, code: 0 });
    return;
  }
  const codeOf = (table: Record<string, number>, what: string, dflt: number) => {
    if (!s.code) return dflt;
    if (s.code.k !== 'sym') rc.err(s.code.span, `syntax error`);
    // numeric codes are taken modulo 256, as nft's u8 does
    if (/^\d+$/.test(s.code.text)) return Number(s.code.text) & 0xff;
    const v = table[s.code.text];
    if (v === undefined) rc.err(s.code.span, `Could not parse ${what}`);
    return v;
  };
  const net = fam === 'ip' || fam === 'ip6' ? fam : rc.nh;
  let type = REJECT_ICMP_UNREACH;
  let code: number;
  if (s.with === 'icmpx') {
    if (fam !== 'inet' && fam !== 'bridge' && fam !== 'netdev') rc.err(s.code?.span ?? kw, `abstracted ICMP unreachable not supported`);
    type = REJECT_ICMPX_UNREACH;
    code = codeOf(ICMPX_CODES, 'icmpx code', 1);
  } else if (s.with === 'icmp' || s.with === 'icmpv6') {
    const want = s.with === 'icmp' ? 'ip' : 'ip6';
    if (net && net !== want) rc.err(s.code?.span ?? kw, `conflicting protocols specified: ip vs ip6`);
    if (!net) rc.atRuleStart(() => needNetwork(rc, protocols[want]!, s.span));
    code = s.with === 'icmp' ? codeOf(ICMP_CODES, 'icmp code', 3) : codeOf(ICMPV6_CODES, 'icmpv6 code', 4);
  } else if (net === 'ip' || net === 'ip6') {
    // Bare `reject`: by the network protocol in context (never a TCP reset).
    code = net === 'ip' ? 3 : 4;
  } else {
    type = REJECT_ICMPX_UNREACH;
    code = 1;
  }
  rc.insns.push({ op: 'reject', type, code });
}
