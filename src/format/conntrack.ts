// `conntrack -L` and `conntrack -E` lines (conntrack-tools 1.4.7 with
// libnetfilter_conntrack), from decoded entries (src/conntrack.ts). Reference:
// shared/reference/conntrack.md §6.2/§6.3.
// `tcp      6 431999 ESTABLISHED src=10.99.0.1 dst=10.99.0.2 sport=40100 dport=8080 src=… [ASSURED] mark=0 use=1`.

import * as abi from '../../assembly/abi.js';
import type { CtEntry, CtEvent, CtTuple } from '../conntrack.js';

/** Protocol names libnetfilter_conntrack prints; others are `unknown`. */
const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

/** The protocol column: name left-justified in 8 columns, a space, the number. */
function protoColumn(proto: number): string {
  return `${(PROTO_NAMES[proto] ?? 'unknown').padEnd(8)} ${proto}`;
}

function tupleText(t: CtTuple, proto: number): string {
  let s = `src=${t.src} dst=${t.dst}`;
  if (t.type !== undefined) s += ` type=${t.type} code=${t.code} id=${t.id}`;
  else if (proto === 47 && t.sport !== undefined) s += ` srckey=0x${t.sport.toString(16)} dstkey=0x${t.dport!.toString(16)}`;
  else if (t.sport !== undefined) s += ` sport=${t.sport} dport=${t.dport}`;
  return s;
}

/** What to print besides the tuples. */
interface Layout {
  timeout: boolean;
  state: boolean;
  /** mark=: always (-L), only when non-zero (-E), never. */
  mark: 'always' | 'nonzero';
  use: boolean;
  counters: boolean;
  /** helper=NAME of an entry with a helper (not in DESTROY events: ctnetlink leaves the help info out there). */
  helper: boolean;
}

function entryText(e: CtEntry, l: Layout): string {
  const parts = [protoColumn(e.proto)];
  if (l.timeout) parts.push(String(e.timeout));
  if (l.state && e.state !== undefined) parts.push(e.state);
  parts.push(tupleText(e.orig, e.proto));
  if (l.counters && e.counters) parts.push(`packets=${e.counters.orig.packets} bytes=${e.counters.orig.bytes}`);
  if (e.unreplied) parts.push('[UNREPLIED]');
  parts.push(tupleText(e.reply, e.proto));
  if (l.counters && e.counters) parts.push(`packets=${e.counters.reply.packets} bytes=${e.counters.reply.bytes}`);
  if (e.assured) parts.push('[ASSURED]');
  if (l.mark === 'always' || e.mark !== 0) parts.push(`mark=${e.mark}`);
  if (e.zone !== 0) parts.push(`zone=${e.zone}`);
  if (l.helper && e.helper) parts.push(`helper=${e.helper}`);
  if (l.use) parts.push(`use=${e.use ?? 1}`);
  return parts.join(' ');
}

/** One line of `conntrack -L` (no newline). */
export function formatConntrackEntry(e: CtEntry): string {
  return entryText(e, { timeout: true, state: true, mark: 'always', use: true, counters: true, helper: true });
}

/** `conntrack -o timestamp`'s prefix for a time in ns since the Unix epoch: `[sec.usec]` and a TAB. */
export function timestampPrefix(ns: bigint): string {
  const us = ns / 1000n;
  return `[${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}]\t`;
}

/**
 * One line of `conntrack -E` (no newline): the type tag right-aligned in 9
 * columns, then the entry without use= and with mark= only when the mark is
 * not 0 (ctnetlink sends it in events only then); the TCP state only for NEW,
 * DESTROY and updates that changed it; DESTROY's timeout only when the entry
 * was killed with time left, its counters (accounting on) only on DESTROY. `timestamp` adds `-o timestamp`'s prefix.
 */
export function formatConntrackEvent(ev: CtEvent, opts: { timestamp?: boolean } = {}): string {
  const kind = ev.kind;
  const destroy = kind === 'DESTROY';
  const timeout = destroy ? (ev.bits & abi.CtEventBits.Killed) !== 0 && ev.entry.timeout > 0 : true;
  const state = kind !== 'UPDATE' || (ev.bits & abi.CtEventBits.Protoinfo) !== 0;
  // ctnetlink sends the mark with a mark event, or when it is not 0.
  const mark = (ev.bits & abi.CtEventBits.Mark) !== 0 ? 'always' : 'nonzero';
  const line = `${`[${kind}]`.padStart(9)} ${entryText(ev.entry, { timeout, state, mark, use: false, counters: destroy, helper: !destroy })}`;
  return opts.timestamp ? timestampPrefix(ev.time) + line : line;
}

/** The trailer `conntrack -L` writes to stderr after the entries (no newline). */
export function conntrackListTrailer(n: number): string {
  return `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been shown.`;
}

/** The trailer `conntrack -E` writes to stderr when it stops (no newline). */
export function conntrackEventsTrailer(n: number): string {
  return `conntrack v1.4.7 (conntrack-tools): ${n} flow events have been shown.`;
}
