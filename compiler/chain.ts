// Base-chain hooks and priorities (nftables: src/rule.c chain printing,
// src/evaluate.c priority resolution). `type filter hook input priority
// filter + 10` → hook input, prio 10.

import type { FlowtableDecl, Hook } from './ast.js';
import { CompileError, msg } from './diagnostics.js';

/** A resolved hook: numeric priority, devices. */
export interface ResolvedHook {
  type: string;
  hook: string;
  prio: number;
  devices: string[];
}

const BRIDGE_PRIO: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };
const HOOKS: Record<string, string[]> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  arp: ['input', 'output'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  netdev: ['ingress', 'egress'],
};

/** Hooks a standard priority name is valid for (all hooks when absent), per family group. */
const PRIO_HOOKS: Record<'inet' | 'bridge' | 'other', Record<string, string[] | undefined>> = {
  inet: { raw: undefined, mangle: undefined, filter: undefined, security: undefined, dstnat: ['prerouting'], srcnat: ['postrouting'] },
  bridge: { filter: undefined, dstnat: ['prerouting'], srcnat: ['postrouting'], out: ['output'] },
  other: { filter: undefined },
};

function prioNameValid(family: string, hook: string, name: string): boolean {
  const group = family === 'bridge' ? 'bridge' : family === 'arp' || family === 'netdev' ? 'other' : 'inet';
  const table = PRIO_HOOKS[group];
  if (!(name in table)) return false;
  const hooks = table[name];
  return !hooks || hooks.includes(hook);
}

/** Validates a hook spec for a family and resolves its priority. */
export function resolveHook(family: string, h: Hook): ResolvedHook {
  if (!['filter', 'nat', 'route'].includes(h.type)) throw new CompileError(h.typeSpan, msg.unknownChainType);
  if (!HOOKS[family]!.includes(h.hook)) {
    if (!['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'].includes(h.hook)) throw new CompileError(h.hookSpan, msg.unknownChainHook);
    throw new CompileError(h.hookSpan, msg.familyHook(family));
  }
  if (h.prioName !== undefined && !prioNameValid(family, h.hook, h.prioName)) throw new CompileError(h.prioSpan, msg.badPriority);
  if ((h.hook === 'ingress' || h.hook === 'egress') && h.devices.length === 0) throw new CompileError(h.span, msg.missingDevice);
  let prio = h.prio;
  if (family === 'bridge' && h.prioName) prio = BRIDGE_PRIO[h.prioName]! + h.prioOffset;
  return { type: h.type, hook: h.hook, prio, devices: h.devices };
}

/** The chain line nft prints before the chain's rules. */
export function chainLine(family: string, h?: ResolvedHook): string {
  if (!h) return `${family} (null) (null) use 0`;
  const hookName = (family === 'netdev' && h.hook === 'egress') || (family === 'inet' && h.hook === 'ingress') ? 'unknown' : h.hook;
  const s = `${family} (null) (null) use 0 type ${h.type} hook ${hookName} prio ${h.prio} packets 0 bytes 0`;
  return s + devicesText(h.devices);
}

/**
 * libnftnl's device part of a chain or flowtable line: a chain's single
 * device as ` dev lo `, else a list ` dev {  b  a  } ` (nft sends the devices
 * in reverse order).
 */
export function devicesText(devices: string[], list = false): string {
  if (!devices.length) return '';
  if (devices.length === 1 && !list) return ` dev ${devices[0]} `;
  return ` dev { ${[...devices].reverse().map((d) => ` ${d} `).join('')} } `;
}

/** Hook names as libnftnl prints a hook number for a family (nftnl_hooknum2str). */
function hookNumName(family: string, num: number): string {
  if (family === 'netdev') return num === 0 ? 'ingress' : 'unknown';
  if (family === 'arp') return ['input', 'output', 'forward'][num] ?? 'unknown';
  return ['prerouting', 'input', 'forward', 'output', 'postrouting'][num] ?? 'unknown';
}

/**
 * A flowtable's line (libnftnl flowtable snprintf): flags offload 1 and
 * counter 2; the hook is a netdev hook number (ingress 0) printed with the
 * table family's hook names. Priority names: only `filter` (0).
 */
export function flowtableLine(family: string, ft: FlowtableDecl): string {
  let num = 0;
  if (ft.hook !== undefined) {
    num = ({ ingress: 0, egress: 1 } as Record<string, number>)[ft.hook] ?? -1;
    if (num < 0) throw new CompileError(ft.span, `invalid hook ${ft.hook}`);
    if (ft.prioName !== undefined && ft.prioName !== 'filter') throw new CompileError(ft.prioSpan ?? ft.span, 'invalid priority expression value.');
  }
  let flags = 0;
  for (const f of ft.flags) {
    if (f !== 'offload') throw new CompileError(ft.span, `syntax error, unexpected string, expecting offload`);
    flags |= 1;
  }
  if (ft.counter) flags |= 2;
  return `flow table (null) (null) use 0 size 0 flags ${flags.toString(16)} hook ${hookNumName(family, num)} prio ${ft.prio} ` + devicesText(ft.devices, true);
}
