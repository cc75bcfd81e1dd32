// The socket expression (kernel: net/netfilter/nft_socket.c; nftables:
// src/socket.c): attributes of the local socket the packet belongs to.
// `socket transparent 1` → socket load transparent => reg 1; cmp eq reg 1 0x00000001.

import type { Expr } from '../ast.js';
import { datatype } from '../datatype.js';
import type { LExpr, RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';

/** nft keyword → [bits, datatype]. */
const SOCKET_KEYS: Record<string, [number, string]> = { transparent: [1, 'boolean'], mark: [32, 'mark'], wildcard: [1, 'boolean'], cgroupv2: [64, 'integer_host'] };

/** `socket mark`, `socket cgroupv2 level 1`: a socket attribute as a value. */
export function socketExpr(rc: RuleCompiler, e: Expr & { k: 'socket' }): LExpr {
  const k = SOCKET_KEYS[e.key];
  if (!k) rc.err(e.span, `syntax error, unexpected ${e.key}`);
  const l = rc.scalar(datatype(k[1]), k[0], e.span, (d) => rc.insns.push({ op: 'socket', key: e.key, dreg: netlinkReg(d), level: e.level ?? 0 }));
  if (k[0] < 8) l.len = 1;
  return l;
}
