// Trace records of a replay → `nft monitor trace` lines (src/replay-trace.ts).
// The VM records RULE / RETURN / POLICY events (nft_trace_notify); this adds
// what nft prints around them: one `packet:` line at the first event of each
// base chain run, built from the packet as that hook saw it (devices, link
// layer, the kernel's header cuts), and the rule text of nft's listing.
// `trace id 1b2c3d4e inet filter input rule tcp dport 22 accept (verdict accept)`.

import * as abi from '../assembly/abi.js';
import type { Program } from '../compiler/bytecode.js';
import type { CompileResult, CompiledRule } from '../compiler/ruleset.js';
import type { Insn } from '../compiler/insn.js';
import { ruleText } from '../compiler/list.js';
import { replayRuleset } from '../compiler/list/state.js';
import { formatTracePacket, formatTracePolicy, formatTraceRule, type TraceInterface, type TracePacketInfo } from './format/trace.js';
import type { HostModel } from './host.js';
import type { VmRecord } from './engine.js';
import type { ReplayItem } from './replay.js';

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;

/** Names of a loaded program: chains with their table, rule texts as nft lists them, rules by (chain, handle). */
export interface RulesetNames {
  chains: { family: string; table: string; name: string; base: boolean }[];
  /** `chainIndex:handle` → program rule index. */
  ruleIndex: Map<string, number>;
  /** Per program rule: its text in `nft list ruleset` (counters as loaded). */
  ruleTexts: string[];
  /** Per program rule: the compiled rule (instructions shared with the compile result). */
  rules: (CompiledRule | undefined)[];
}

/** Builds the names of `p` = programOf(r): every rule's listed text, keyed by chain index and handle. */
export function rulesetNames(r: CompileResult, p: Program): RulesetNames {
  const byInsns = new Map<Insn[], CompiledRule>();
  for (const o of r.outputs) if (o.k === 'rule') byInsns.set(o.rule.insns, o.rule);
  const texts = new Map<CompiledRule, string>();
  for (const t of replayRuleset(r)) {
    const sets = new Map([...(r.tables.get(`${t.family} ${t.name}`)?.sets ?? []), ...[...t.sets].map(([k, v]) => [k, v.def] as const)]);
    const bad = t.setOrder.findIndex((x) => (x.keyParts ?? [{ type: x.keyType }]).some((q) => q.type.name === 'ct_label'));
    const unlisted = new Set(bad < 0 ? [] : t.setOrder.slice(bad));
    const counterSets = new Set([...t.sets.values()].filter((x) => x.decl?.counter).map((x) => x.def.name));
    for (const ch of t.chains.values()) for (const lr of ch.rules) texts.set(lr.rule, ruleText(lr.rule, sets, { counterSets, unlisted }));
  }
  const chains = p.chains.map((c) => ({ family: p.tables[c.table]!.family, table: p.tables[c.table]!.name, name: c.name, base: c.hook !== undefined }));
  const ruleIndex = new Map<string, number>();
  const rules = p.rules.map((x) => byInsns.get(x.insns));
  const ruleTexts = p.rules.map((x, k) => {
    ruleIndex.set(`${x.chain}:${x.handle}`, k);
    const c = rules[k];
    return c ? texts.get(c) ?? '' : '';
  });
  return { chains, ruleIndex, ruleTexts, rules };
}

/** ipv6_find_hdr(skb, &thoff, -1, &frag_off, IP6_FH_F_AUTH) as nft_set_pktinfo_ipv6 calls it; null = error. */
function ipv6FindHdr(b: Uint8Array): number | null {
  const ext = (n: number) => n === 0 || n === 43 || n === 44 || n === 51 || n === 59 || n === 60;
  let nexthdr = b[6]!;
  let start = 40;
  for (;;) {
    if (!ext(nexthdr) || nexthdr === 59) return start;
    if (start + 2 > b.length) return null;
    let hdrlen: number;
    if (nexthdr === 44) {
      if (start + 4 > b.length) return null;
      if (((b[start + 2]! << 8) | b[start + 3]!) & ~7) return ext(b[start]!) && b[start] !== 59 ? null : 0;
      hdrlen = 8;
    } else if (nexthdr === 51) return start;
    else hdrlen = (b[start + 1]! + 1) << 3;
    nexthdr = b[start]!;
    start += hdrlen;
  }
}

/** What nft_set_pktinfo* gives the trace: the skb from the network header (trimmed in ip hooks) and the transport offset. */
export function tracePktinfo(ethertype: number, l3: Uint8Array, validate: boolean): { network: Uint8Array; thoff?: number } {
  const b = l3;
  if (ethertype === ETH_P_IP) {
    if (b.length < 20) return { network: b };
    const ihl = b[0]! & 15;
    const tot = (b[2]! << 8) | b[3]!;
    const thoff = ihl * 4;
    if (validate) {
      if (ihl < 5 || b[0]! >> 4 !== 4 || b.length < tot || tot < thoff) return { network: b };
      return { network: b, thoff };
    }
    return { network: b.subarray(0, Math.min(tot, b.length)), thoff };
  }
  if (ethertype === ETH_P_IPV6) {
    if (b.length < 40) return { network: b };
    const total = 40 + ((b[4]! << 8) | b[5]!);
    if (validate && (b[0]! >> 4 !== 6 || total > b.length)) return { network: b };
    const network = validate ? b : b.subarray(0, Math.min(total, b.length));
    const thoff = ipv6FindHdr(network);
    return thoff === null ? { network } : { network, thoff };
  }
  return { network: b };
}

/** The packet after ip_forward: ttl / hop limit decremented (the forward and postrouting hooks see this). */
function decremented(ethertype: number, l3: Uint8Array): Uint8Array {
  const b = new Uint8Array(l3);
  if (ethertype === ETH_P_IP && b.length >= 20 && b[8]! > 0) b[8]!--;
  else if (ethertype === ETH_P_IPV6 && b.length >= 40 && b[7]! > 0) b[7]!--;
  return b;
}

/** Turns a replay's trace records into `nft monitor trace` lines. */
export class TraceFormatter {
  private readonly ifaces: Map<number, TraceInterface>;

  constructor(private readonly names: RulesetNames, host: HostModel) {
    this.ifaces = new Map(host.interfaces.map((i) => [i.index, { index: i.index, name: i.name, type: i.type ?? 1 }]));
  }

  private dev(index: number): TraceInterface | undefined {
    if (!index) return undefined;
    return this.ifaces.get(index) ?? { index, type: 1 };
  }

  /** The `packet:` line of a base chain run of `item` at `hook`; `now` = what NAT made of the packet so far. */
  private packetLine(item: ReplayItem, rec: VmRecord, now?: VmRecord): string | null {
    const c = this.names.chains[rec.chain];
    if (!c) return null;
    const d = now ? { ...item.desc, oif: now.a, hooks: now.chain ? [abi.InetHook.Prerouting, abi.InetHook.Forward, abi.InetHook.Postrouting] : item.desc.hooks } : item.desc;
    const hook = rec.hook;
    const netdev = rec.nfproto === abi.Family.Netdev || d.hooks[0] === abi.InetHook.Ingress && hook === abi.InetHook.Ingress;
    const arp = d.family === abi.Family.Arp;
    const bridge = d.family === abi.Family.Bridge;
    const received = (d.iif ?? 0) !== 0;
    const forwarded = received && !bridge && d.hooks.includes(abi.InetHook.Forward);
    let iif: TraceInterface | undefined;
    let oif: TraceInterface | undefined;
    if (bridge && !netdev) {
      // Bridge hooks: in on prerouting/input, both on forward, out on output/postrouting (skb->dev is the port by then).
      if (hook !== abi.InetHook.Output && hook !== abi.InetHook.Postrouting) iif = this.dev(d.iif ?? 0);
      if (hook === abi.InetHook.Forward || hook === abi.InetHook.Output || hook === abi.InetHook.Postrouting) oif = this.dev(d.oif ?? 0);
    } else if (arp) {
      if (hook === abi.ArpHook.Out) oif = this.dev(d.oif ?? 0);
      else iif = this.dev(d.iif ?? 0);
    } else if (netdev || hook === abi.InetHook.Prerouting || hook === abi.InetHook.Input) iif = this.dev(d.iif ?? 0);
    else if (hook === abi.InetHook.Forward || (hook === abi.InetHook.Postrouting && forwarded)) {
      iif = this.dev(d.iif ?? 0);
      oif = this.dev(d.oif ?? 0);
    } else oif = this.dev(d.oif ?? 0);
    let l3 = d.data.subarray(item.nh);
    if (now?.data) {
      l3 = now.data;
      // Changed at prerouting: ip_forward still decrements the ttl before forward and postrouting.
      if (forwarded && now.hook === abi.InetHook.Prerouting && (hook === abi.InetHook.Forward || hook === abi.InetHook.Postrouting)) l3 = decremented(item.ethertype, l3);
    } else if (forwarded && (hook === abi.InetHook.Forward || hook === abi.InetHook.Postrouting)) l3 = decremented(item.ethertype, l3);
    const info: TracePacketInfo = {
      id: item.id, family: c.family, table: c.table, chain: c.name, nfproto: rec.nfproto,
      ...(iif ? { iif } : {}), ...(oif ? { oif } : {}),
      ...(arp ? { network: l3 } : tracePktinfo(item.ethertype, l3, netdev || c.family === 'bridge')),
    };
    // Received frames keep their MAC header through forwarding; ARP output and local output have none; bridged frames always have one.
    if (item.nh > 0 && (received || bridge) && !(arp && hook === abi.ArpHook.Out)) info.llHeader = d.data.subarray(0, item.nh);
    return formatTracePacket(info);
  }

  /** Lines of one batch: `items[k]` is packet k of the batch. */
  lines(items: readonly ReplayItem[], records: readonly VmRecord[]): string[] {
    const out: string[] = [];
    let last = -1;
    let lastHook = -1;
    let open = false;
    // The packet as NAT left it (RecordKind.Packet), per packet of the batch.
    const changed = new Map<number, VmRecord>();
    for (const rec of records) {
      if (rec.kind === abi.RecordKind.Packet) {
        changed.set(rec.packet, rec);
        open = false;
        continue;
      }
      if (rec.kind !== abi.RecordKind.Trace) continue;
      const item = items[rec.packet];
      const c = this.names.chains[rec.chain];
      if (!item || !c) continue;
      if (rec.packet !== last || rec.hook !== lastHook) open = false;
      last = rec.packet;
      lastHook = rec.hook;
      if (!open) {
        open = true;
        const p = this.packetLine(item, rec, changed.get(rec.packet));
        if (p !== null) out.push(p);
      }
      const base = { id: item.id, family: c.family, table: c.table, chain: c.name };
      const code = rec.a | 0;
      if (rec.sub === abi.TraceType.Policy) {
        // REC_B of a policy event is skb->mark.
        out.push(formatTracePolicy({ ...base, policy: code, mark: rec.b }));
        open = false;
      } else if (rec.sub === abi.TraceType.Rule) {
        const k = this.names.ruleIndex.get(`${rec.chain}:${rec.rule}`);
        const target = code === abi.Verdict.Jump || code === abi.Verdict.Goto ? this.names.chains[rec.b]?.name : undefined;
        out.push(formatTraceRule({ ...base, ruleText: k === undefined ? null : this.names.ruleTexts[k]!, handle: rec.rule, verdict: { code, ...(target !== undefined ? { chain: target } : {}) } }));
        // accept, drop, queue, stolen end the base chain run.
        if (code >= 0) open = false;
      }
    }
    return out;
  }
}
