// `nftvm run` and `nftvm trace` (src/cli/run.ts). run: a verdict summary
// (per final verdict, per deciding rule), the ruleset with the VM's counters
// as `nft list ruleset` prints it, log, reject, fwd and dup records; --json all of it
// as one object. trace: every packet's path as `nft monitor trace` lines.

import * as abi from '../../assembly/abi.js';
import { listRuleset } from '../../compiler/list.js';
import type { Insn } from '../../compiler/insn.js';
import type { FileReader } from '../../compiler/index.js';
import type { LiveState } from '../engine.js';
import { replay, type ItemResult, type ReplayItem } from '../replay.js';
import { TraceFormatter } from '../replay-trace.js';
import { loadReplay, progressBar, type Io, type Loaded, type ReplayArgs } from './replay.js';
import { logLine } from './log-line.js';
import { rejectReplyText } from '../format/reject.js';
import { conntrackListTrailer, formatConntrackEntry, formatConntrackEvent, timestampPrefix } from '../format/conntrack.js';
import type { CtEntry, CtEvent, CtEventKind, CtStats } from '../conntrack.js';

const VERDICT_NAMES: Record<number, string> = { 0: 'drop', 1: 'accept', 2: 'stolen', 3: 'queue', 4: 'repeat' };

/** The final fate of one evaluation, as the summary names it. */
export function fate(item: ReplayItem, r: ItemResult): string {
  if (r.flags & abi.ResFlags.BadDescriptor) return 'error (bad descriptor)';
  if (r.flags & abi.ResFlags.StackDrop) return 'drop (stack: malformed header)';
  const v = VERDICT_NAMES[r.verdict & abi.NF_VERDICT_MASK] ?? `verdict ${r.verdict}`;
  const d = item.desc;
  if (v === 'accept' && item.fragment) return 'accept (fragment, held for reassembly)';
  const ip = d.family === abi.Family.Ipv4 || d.family === abi.Family.Ipv6;
  // Received, neither for us nor forwarded: the stack drops it after prerouting.
  if (v === 'accept' && ip && (d.iif ?? 0) !== 0 && !d.hooks.includes(abi.InetHook.Input) && !d.hooks.includes(abi.InetHook.Forward)) return 'drop (routing: not local, not forwarded)';
  return v;
}

/** Copies the VM's counter and quota values into the compiled rules and object declarations (for the listing). */
function applyLiveStates(l: Loaded, live: { rules: LiveState[][]; objects: (LiveState | undefined)[] }): void {
  l.program.rules.forEach((r, k) => {
    const states = live.rules[k] ?? [];
    let s = 0;
    r.insns.forEach((i: Insn) => {
      if (i.op !== 'counter' && i.op !== 'quota' && i.op !== 'last') return;
      const st = states[s++];
      if (i.op === 'counter' && st?.op === 'counter') {
        i.pkts = st.packets;
        i.bytes = st.bytes;
      } else if (i.op === 'quota' && st?.op === 'quota') i.consumed = st.consumed;
    });
  });
  l.program.objects.forEach((o, k) => {
    const st = live.objects[k];
    const t = l.program.tables[o.table]!;
    for (const c of l.result.cmds) {
      if (c.k !== 'obj' || c.family !== t.family || c.table !== t.name || c.obj.name !== o.name) continue;
      const stmt = c.obj.stmt;
      if (st?.op === 'counter') c.obj.stmt = { k: 'counter', packets: st.packets, bytes: st.bytes, span: stmt?.span ?? c.obj.span };
      else if (st?.op === 'quota' && stmt?.k === 'quota') stmt.used = st.consumed;
    }
  });
}

/** One deciding rule (or policy) of the summary. */
interface Decider {
  family: string;
  table: string;
  chain: string;
  handle: number;
  rule: string;
  packets: number;
}

/** The run's data: what `run` prints, and what `--json` holds. */
export interface RunReport {
  capture: { file: string; packets: number; error: string | null };
  evaluations: number;
  verdicts: Record<string, number>;
  rules: Decider[];
  listing: string;
  logs: { packet: number; text: string }[];
  rejects: { packet: number; rule: string; type: string; reply: string }[];
  /** netdev `fwd to`: the packet left on `interface` (to `address` of `family` with `fwd ip|ip6 to`). */
  fwds: Redirect[];
  /** `dup to`: a copy went out on `interface` and/or to `address`. */
  dups: Redirect[];
  /** The conntrack table after the last packet (--conntrack, and always with --json): `at` = listing time `SEC.USEC`. */
  conntrack?: { at: string | null; entries: (CtEntry & { text: string })[]; stats: CtStats | null };
  /** Conntrack events in order (--events): `packet` = capture packet (1-based), null when reaped after the last one. */
  events?: CtEventReport[];
}

/** One conntrack event of a run. */
export interface CtEventReport {
  packet: number | null;
  /** Packet time `SEC.USEC`. */
  time: string;
  kind: CtEventKind;
  bits: number;
  entry: CtEntry;
  /** The `conntrack -E -o timestamp` line. */
  text: string;
}

/** ns since the epoch as `SEC.USEC`. */
const secUsec = (ns: bigint) => timestampPrefix(ns).slice(1, -2);

/** A fwd or dup record: interface name (the ifindex when the host lacks it), next hop / gateway. IPv6 addresses are not in the record: `address` is null then. */
export interface Redirect {
  packet: number;
  rule: string;
  interface: string | null;
  family: 'ip' | 'ip6' | null;
  address: string | null;
}

/** The statement a fwd or dup record stands for, as nft writes it (`fwd ip to 10.0.0.1 device "eth1"`). */
function redirectText(op: 'fwd' | 'dup', x: Redirect): string {
  const dev = x.interface !== null ? `"${x.interface}"` : null;
  const addr = x.family ? x.address ?? `(${x.family} address)` : null;
  if (op === 'fwd') return addr ? `fwd ${x.family} to ${addr} device ${dev}` : `fwd to ${dev}`;
  return addr ? `dup to ${addr}${dev ? ` device ${dev}` : ''}` : `dup to ${dev}`;
}

function rejectText(type: number, code: number, family: abi.Family): string {
  if (type === abi.RejectType.TcpRst) return 'with tcp reset';
  const v4 = ['net-unreachable', 'host-unreachable', 'prot-unreachable', 'port-unreachable', 'frag-needed', 'src-route-failed', 'net-unknown', 'host-unknown', 'host-isolated', 'net-prohibited', 'host-prohibited', 'net-tos-unreachable', 'host-tos-unreachable', 'admin-prohibited'];
  const v6 = ['no-route', 'admin-prohibited', 'beyond-scope', 'addr-unreachable', 'port-unreachable', 'policy-fail', 'reject-route'];
  // NFT_REJECT_ICMPX_*: 0 no-route, 1 port-unreach, 2 host-unreach, 3 admin-prohibited.
  const x = ['no-route', 'port-unreachable', 'host-unreachable', 'admin-prohibited'];
  if (type === abi.RejectType.IcmpxUnreach) return `with icmpx ${x[code] ?? code}`;
  return family === abi.Family.Ipv6 ? `with icmpv6 ${v6[code] ?? code}` : `with icmp ${v4[code] ?? code}`;
}

/** Replays the capture; collects the report. */
export function runReport(l: Loaded, io: Io): RunReport {
  const verdicts: Record<string, number> = {};
  const deciders = new Map<string, Decider>();
  const ruleByTable = new Map<string, number>();
  l.program.rules.forEach((r, k) => ruleByTable.set(`${l.program.chains[r.chain]!.table}:${r.handle}`, k));
  const logs: RunReport['logs'] = [];
  const rejects: RunReport['rejects'] = [];
  const fwds: Redirect[] = [];
  const dups: Redirect[] = [];
  const ifName = (i: number) => (i === abi.NONE32 || i === 0 ? null : l.host.interfaces.find((x) => x.index === i)?.name ?? String(i));
  const ruleOf = (chain: number, handle: number) => ruleByTable.get(`${l.program.chains[chain]?.table}:${handle}`);
  const events: CtEventReport[] = [];
  const wantEvents = l.args.events === true;
  // Events print as they happen (before the report), unless everything goes out as one JSON object.
  const onEvents = (evs: CtEvent[], packetOf: (ev: CtEvent) => number | null) => {
    let text = '';
    for (const ev of evs) {
      const line = formatConntrackEvent(ev, { timestamp: true });
      events.push({ packet: packetOf(ev), time: secUsec(ev.time), kind: ev.kind, bits: ev.bits, entry: ev.entry, text: line });
      text += line + '\n';
    }
    if (text && !l.args.json) io.out(text);
  };
  const results = replay(l.engine, l.items, {
    batch: l.args.batch ?? 4096,
    ctEvents: wantEvents,
    onProgress: progressBar(io, l.items.length),
    onBatch: (items, r) => {
      if (wantEvents) onEvents(r.ctEvents(), (ev) => (ev.packet !== undefined && items[ev.packet] ? items[ev.packet]!.packet + 1 : null));
      for (const rec of r.records()) {
        const item = items[rec.packet];
        if (!item) continue;
        const k = ruleOf(rec.chain, rec.rule);
        const insns = k !== undefined ? l.program.rules[k]!.insns : [];
        if (rec.kind === abi.RecordKind.Log) {
          const log = insns.find((i) => i.op === 'log') as (Insn & { op: 'log' }) | undefined;
          logs.push({ packet: item.packet + 1, text: logLine(item, rec.hook, log?.prefix ?? '', l.host) });
        } else if (rec.kind === abi.RecordKind.Reject) {
          rejects.push({ packet: item.packet + 1, rule: k !== undefined ? l.names.ruleTexts[k]! : `handle ${rec.rule}`, type: rejectText(rec.sub, rec.a, item.desc.family), reply: rejectReplyText(r.rejectReply(rec)) });
        } else if (rec.kind === abi.RecordKind.Fwd || rec.kind === abi.RecordKind.Dup) {
          const family = rec.sub === abi.Family.Ipv4 ? 'ip' : rec.sub === abi.Family.Ipv6 ? 'ip6' : null;
          // REC_B: the IPv4 address in network order as in memory (read little-endian: first byte lowest).
          const b = rec.b >>> 0;
          const address = family === 'ip' ? [b & 0xff, (b >>> 8) & 0xff, (b >>> 16) & 0xff, b >>> 24].join('.') : null;
          const x: Redirect = { packet: item.packet + 1, rule: k !== undefined ? l.names.ruleTexts[k]! : `handle ${rec.rule}`, interface: ifName(rec.a >>> 0), family, address };
          (rec.kind === abi.RecordKind.Fwd ? fwds : dups).push(x);
        }
      }
    },
  });
  for (const { item, result } of results) {
    const f = fate(item, result);
    verdicts[f] = (verdicts[f] ?? 0) + 1;
    if (result.chain === abi.NONE32) continue;
    const c = l.names.chains[result.chain]!;
    const k = result.rule ? ruleOf(result.chain, result.rule) : undefined;
    const rule = (result.rule === 0 ? `policy ${l.program.chains[result.chain]!.policy ?? 'accept'}` : k !== undefined ? l.names.ruleTexts[k]! : `handle ${result.rule}`).replace(/counter packets \d+ bytes \d+/g, 'counter');
    const key = `${result.chain}:${result.rule}`;
    const d = deciders.get(key) ?? { family: c.family, table: c.table, chain: c.name, handle: result.rule, rule, packets: 0 };
    d.packets++;
    deciders.set(key, d);
  }
  applyLiveStates(l, l.engine.liveStates());
  // The table as listed at the last packet's time (or --conntrack-at): what expired by then is reaped first (DESTROY events).
  let conntrack: RunReport['conntrack'];
  if (l.args.conntrack || l.args.json) {
    const last = l.args.conntrackAt ?? l.capture.packets[l.capture.packets.length - 1]?.timestamp ?? undefined;
    if (last !== undefined) onEvents(l.engine.ctAdvance(last).events, () => null);
    const entries = l.engine.conntrack().map((e) => ({ ...e, text: formatConntrackEntry(e) }));
    conntrack = { at: last !== undefined ? secUsec(last) : null, entries, stats: l.engine.conntrackStats() ?? null };
  }
  return {
    capture: { file: l.args.capture, packets: l.capture.packets.length, error: l.capture.error?.message ?? null },
    evaluations: results.length,
    verdicts,
    rules: [...deciders.values()].sort((a, b) => b.packets - a.packets),
    listing: listRuleset(l.result),
    logs,
    rejects,
    fwds,
    dups,
    ...(conntrack ? { conntrack } : {}),
    ...(wantEvents ? { events } : {}),
  };
}

/** The human-readable report. */
export function formatReport(r: RunReport): string {
  let o = `${r.capture.file}: ${r.capture.packets} packets, ${r.evaluations} evaluations\n\nverdicts:\n`;
  const w = Math.max(...Object.values(r.verdicts).map((n) => String(n).length), 1);
  for (const [v, n] of Object.entries(r.verdicts).sort((a, b) => b[1] - a[1])) o += `  ${String(n).padStart(w)}  ${v}\n`;
  o += '\ndeciding rules:\n';
  const w2 = Math.max(...r.rules.map((d) => String(d.packets).length), 1);
  for (const d of r.rules) o += `  ${String(d.packets).padStart(w2)}  ${d.family} ${d.table} ${d.chain}: ${d.rule}\n`;
  if (!r.rules.length) o += '  (no base chain decided a packet)\n';
  o += `\nruleset:\n${r.listing}`;
  if (r.logs.length) o += `\nlog (${r.logs.length}):\n${r.logs.map((x) => `  packet ${x.packet}: ${x.text}\n`).join('')}`;
  if (r.rejects.length) o += `\nreject (${r.rejects.length}):\n${r.rejects.map((x) => `  packet ${x.packet}: reject ${x.type} (${x.rule})\n    → ${x.reply}\n`).join('')}`;
  if (r.fwds.length) o += `\nfwd (${r.fwds.length}):\n${r.fwds.map((x) => `  packet ${x.packet}: ${redirectText('fwd', x)} (${x.rule})\n`).join('')}`;
  if (r.dups.length) o += `\ndup (${r.dups.length}):\n${r.dups.map((x) => `  packet ${x.packet}: ${redirectText('dup', x)} (${x.rule})\n`).join('')}`;
  if (r.conntrack) {
    const at = r.conntrack.at !== null ? ` at ${r.conntrack.at}` : '';
    o += `\nconntrack table${at} (${r.conntrack.entries.length} entries):\n${r.conntrack.entries.map((e) => e.text + '\n').join('')}`;
  }
  return o;
}

/** `nftvm run`: exit 0, or 1 when the capture is corrupt (the packets before the error were still evaluated). */
export async function runCommand(a: ReplayArgs, io: Io, read: FileReader): Promise<number> {
  const l = await loadReplay(a, read);
  const rep = runReport(l, io);
  if (!a.json && !a.conntrack) delete rep.conntrack;
  io.out(a.json ? JSON.stringify(rep, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) + '\n' : formatReport(rep));
  // conntrack -L's own trailer goes to stderr, as conntrack writes it.
  if (a.conntrack && !a.json && rep.conntrack) io.err(conntrackListTrailer(rep.conntrack.entries.length) + '\n');
  if (l.capture.error) {
    io.err(`nftvm run: ${a.capture}: ${l.capture.error.message}\n`);
    return 1;
  }
  return 0;
}

/** The trace lines of a whole replay (what `nftvm trace` prints). */
export function traceLines(l: Loaded, io?: Io): string[] {
  const f = new TraceFormatter(l.names, l.host);
  const lines: string[] = [];
  let dropped = 0;
  replay(l.engine, l.items, {
    batch: l.args.batch ?? 256,
    trace: true,
    ...(io ? { onProgress: progressBar(io, l.items.length) } : {}),
    onBatch: (items, r) => {
      dropped += r.recordsDropped;
      lines.push(...f.lines(items, r.records()));
    },
  });
  if (dropped && io) io.err(`nftvm trace: ${dropped} trace events lost (record area full); use a smaller --batch\n`);
  return lines;
}

/** `nftvm trace`: the lines on stdout; exit 1 when the capture is corrupt. */
export async function traceCommand(a: ReplayArgs, io: Io, read: FileReader): Promise<number> {
  const l = await loadReplay(a, read);
  const lines = traceLines(l, io);
  io.out(lines.map((x) => x + '\n').join(''));
  if (l.capture.error) {
    io.err(`nftvm trace: ${a.capture}: ${l.capture.error.message}\n`);
    return 1;
  }
  return 0;
}
