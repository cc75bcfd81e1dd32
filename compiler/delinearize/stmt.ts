// Statements without operands printed back (nftables: src/statement.c
// print callbacks): counter, limit, quota, log, reject, queue, verdicts,
// notrack, connlimit, synproxy. `[ limit rate 10/second burst 5 ... ]` → `limit rate 10/second`.

import type { Insn } from '../insn.js';

const UNITS: Record<number, string> = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' };
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

/** Bytes with nft's unit: `10 mbytes`, `512 kbytes`, `100 bytes`. */
export function byteUnits(n: bigint): string {
  if (n >= 1024n * 1024n && n % (1024n * 1024n) === 0n) return `${n / (1024n * 1024n)} mbytes`;
  if (n >= 1024n && n % 1024n === 0n) return `${n / 1024n} kbytes`;
  return `${n} bytes`;
}

/** `limit rate ...` of a limit instruction (also inside meters and set elements). */
export function limitText(i: Insn & { op: 'limit' }): string {
  const over = i.flags & 1 ? 'over ' : '';
  const unit = UNITS[i.unit] ?? 'second';
  if (i.bytes) {
    const [n, u] = byteUnits(i.rate).split(' ');
    let s = `limit rate ${over}${n} ${u}/${unit}`;
    if (i.burst) s += ` burst ${byteUnits(i.burst)}`;
    return s;
  }
  let s = `limit rate ${over}${i.rate}/${unit}`;
  if (i.burst !== 5n) s += ` burst ${i.burst} packets`;
  return s;
}

function logFlags(f: number): string {
  if ((f & 0x2f) === 0x2f) return ' flags all';
  let s = '';
  const tcp: string[] = [];
  if (f & 1) tcp.push('sequence');
  if (f & 2) tcp.push('options');
  if (tcp.length) s += ` flags tcp ${tcp.join(',')}`;
  if (f & 4) s += ' flags ip options';
  if (f & 8) s += ' flags skuid';
  if (f & 0x20) s += ' flags ether';
  return s;
}

const REJECT_ICMP: Record<number, string> = {
  0: 'net-unreachable', 1: 'host-unreachable', 2: 'prot-unreachable', 3: 'port-unreachable', 9: 'net-prohibited',
  10: 'host-prohibited', 13: 'admin-prohibited', 4: 'frag-needed',
};
const REJECT_ICMPV6: Record<number, string> = {
  0: 'no-route', 1: 'admin-prohibited', 3: 'addr-unreachable', 4: 'port-unreachable', 5: 'policy-fail', 6: 'reject-route',
};
const REJECT_ICMPX: Record<number, string> = { 0: 'no-route', 1: 'port-unreachable', 2: 'host-unreachable', 3: 'admin-prohibited' };

/** `reject ...`; the table family decides which ICMP flavour is the default. */
export function rejectText(i: Insn & { op: 'reject' }, family: string, l3?: string): string {
  if (i.type === 1) return 'reject with tcp reset';
  if (i.type === 2) return i.code === 1 ? 'reject' : `reject with icmpx ${REJECT_ICMPX[i.code] ?? i.code}`;
  const v6 = family === 'ip6' || (family === 'inet' && l3 === 'ip6');
  if (v6) return i.code === 4 && family === 'ip6' ? 'reject' : `reject with icmpv6 ${REJECT_ICMPV6[i.code] ?? i.code}`;
  return i.code === 3 && family !== 'inet' && family !== 'bridge' ? 'reject' : `reject with icmp ${REJECT_ICMP[i.code] ?? i.code}`;
}

/** Statements that need no registers; undefined for the others. */
export function simpleStmt(i: Insn, family: string): string | undefined {
  switch (i.op) {
    case 'counter':
      return `counter packets ${i.pkts} bytes ${i.bytes}`;
    case 'limit':
      return limitText(i);
    case 'quota':
      return `quota ${i.flags & 1 ? 'over ' : ''}${byteUnits(i.bytes)}${i.consumed ? ` used ${byteUnits(i.consumed)}` : ''}`;
    case 'log': {
      let s = 'log';
      if (i.prefix !== undefined) s += ` prefix "${i.prefix}"`;
      if (i.group !== undefined) {
        s += ` group ${i.group}`;
        if (i.snaplen) s += ` snaplen ${i.snaplen}`;
        if (i.qthreshold) s += ` queue-threshold ${i.qthreshold}`;
        return s;
      }
      if (i.level !== undefined && i.level !== 4) s += ` level ${LOG_LEVELS[i.level] ?? i.level}`;
      return s + logFlags(i.flags);
    }
    case 'reject':
      return rejectText(i, family);
    case 'notrack':
      return 'notrack';
    case 'queue': {
      if (i.sregQnum !== undefined) return undefined;
      const flags = [i.flags & 1 ? 'bypass' : '', i.flags & 2 ? 'fanout' : ''].filter(Boolean).join(',');
      const num = i.total > 1 ? `${i.num}-${i.num + i.total - 1}` : `${i.num}`;
      return `queue${flags ? ` flags ${flags}` : ''} to ${num}`;
    }
    case 'immediate_verdict':
      return i.v.chain !== undefined ? `${i.v.verdict} ${i.v.chain}` : i.v.verdict;
    case 'connlimit':
      return `ct count ${i.flags & 1 ? 'over ' : ''}${i.count}`;
    case 'synproxy':
      return i.mss || i.wscale ? `synproxy mss ${i.mss} wscale ${i.wscale}` : 'synproxy';
    case 'last':
      return 'last';
    case 'flow_offload':
      return `flow add @${i.name}`;
  }
  return undefined;
}
