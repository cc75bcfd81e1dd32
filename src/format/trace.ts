// Trace events → `nft monitor trace` lines, as nftables 1.0.6 prints them
// (src/netlink.c netlink_events_trace_cb; kernel side net/netfilter/nf_tables_trace.c).
// Browser-safe. Example:
//   trace id 632ece30 inet t in rule icmp type echo-request jump sub (verdict jump sub)

import { NF_VERDICT_MASK, Verdict } from '../../assembly/abi.js';
import { decodeTracePacket } from './trace-packet.js';

export { decodeTracePacket, type PacketDecodeInput } from './trace-packet.js';

/** Table families by NFPROTO value, as nft names them (family2str). */
const FAMILY_NAMES: Record<number, string> = { 1: 'inet', 2: 'ip', 3: 'arp', 5: 'netdev', 7: 'bridge', 10: 'ip6' };
const FAMILY_NUMBERS: Record<string, number> = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 };

/** NFT_TRACETYPE_*_HSIZE: how many header bytes the kernel copies into a trace event. */
export const TRACE_LL_HSIZE = 20;
export const TRACE_NETWORK_HSIZE = 40;
export const TRACE_TRANSPORT_HSIZE = 20;

/** Table family: an NFPROTO value (abi Family) or its nft name (`inet`, `ip`, `ip6`, `arp`, `bridge`, `netdev`). */
export type TraceFamily = number | string;

/** What starts every trace line: `trace id %08x FAMILY TABLE CHAIN`. */
export interface TraceEventBase {
  /** Trace id (u32). The kernel hashes skb pointer, skb hash and skb_iif; one id per skb and hook traversal. */
  id: number;
  /** Family of the table the chain is in. */
  family: TraceFamily;
  /** Table name. */
  table: string;
  /** Chain name: the chain holding the rule (rule events), the base chain (packet and policy events). */
  chain: string;
}

/** A device in a trace event (NFTA_TRACE_IIF/IIFTYPE, OIF/OIFTYPE). */
export interface TraceInterface {
  /** ifindex. */
  index: number;
  /** The name nft resolves the index to; without one nft prints the number (`iif 7`). */
  name?: string;
  /** ARPHRD_* device type: 1 Ethernet (veth, bridge), 772 loopback. Decides whether the link-layer header decodes as `ether`. */
  type: number;
}

/**
 * The first event of a base chain run: the packet as it entered that chain
 * (printed as the `packet:` line). The VM produces it from its packet record.
 */
export interface TracePacketInfo extends TraceEventBase {
  /** NFTA_TRACE_NFPROTO, the hook's protocol family (nft_pf): 2 or 10 in ip/ip6/inet tables, 3 arp, 5 netdev, 7 bridge. */
  nfproto: number;
  /** Input device (prerouting, input, forward, ingress; postrouting of forwarded packets). */
  iif?: TraceInterface;
  /** Output device (forward, output, postrouting). */
  oif?: TraceInterface;
  /**
   * Bytes from the MAC header to the network header, when the skb has one:
   * received frames and everything forwarded or bridged (also on `lo`: 14 bytes,
   * zero MACs); absent for locally generated packets in output/postrouting. A
   * hardware-accelerated VLAN tag is given re-inserted (18 bytes: vlan_ethhdr).
   * Cut to TRACE_LL_HSIZE bytes.
   */
  llHeader?: Uint8Array;
  /** The packet from its network header to the end of the skb (skb->len: after ip_rcv's trim in ip/inet hooks, untrimmed in netdev/bridge). */
  network: Uint8Array;
  /**
   * Transport header offset from the network header, present iff the kernel's
   * NFT_PKTINFO_L4PROTO flag is set (nft_thoff - network offset). Absent when
   * the header check failed (netdev/bridge validation, ARP). Note the kernel's
   * quirk for non-first IPv6 fragments: ipv6_find_hdr leaves it at 0.
   */
  thoff?: number;
}

/** A verdict as the kernel reports it (NFTA_TRACE_VERDICT). */
export interface TraceVerdict {
  /** Verdict code (abi Verdict: Drop 0, Accept 1, Queue 3 with the queue number in bits 16..31, Continue -1, Jump -3, Goto -4, Return -5). */
  code: number;
  /** Target chain of jump and goto. */
  chain?: string;
}

/**
 * A rule that ran to its end (continue) or set a verdict. Not for BREAK, and
 * not for the implicit end of a chain: nft 1.0.6 prints neither (kernel 6.18
 * sends the latter without a rule handle). `reject` reports drop, nat accept.
 */
export interface TraceRuleEvent extends TraceEventBase {
  /** The rule as `nft list ruleset` prints it, without handle; null if nft's cache has no such rule. */
  ruleText: string | null;
  /** Rule handle, printed as `unknown rule handle N` when ruleText is null. */
  handle?: number;
  verdict: TraceVerdict;
}

/** A base chain fell through to its policy (reported under the base chain). */
export interface TracePolicyEvent extends TraceEventBase {
  /** Policy verdict code: Verdict.Accept or Verdict.Drop. */
  policy: number;
  /** skb->mark; printed (`meta mark 0x0000002a`) when non-zero. Rule lines never print it in nft 1.0.6. */
  mark?: number;
}

function familyNumber(f: TraceFamily): number {
  return typeof f === 'number' ? f : FAMILY_NUMBERS[f] ?? -1;
}

function familyName(f: TraceFamily): string {
  return typeof f === 'string' ? f : FAMILY_NAMES[f] ?? 'unknown';
}

/** `trace id %08x FAMILY TABLE CHAIN ` (trace_print_hdr). */
export function traceHeader(e: TraceEventBase): string {
  return `trace id ${(e.id >>> 0).toString(16).padStart(8, '0')} ${familyName(e.family)} ${e.table} ${e.chain} `;
}

/** The three header attributes the kernel puts in a trace event (nf_trace_fill_pkt_info), cut from the packet. */
export function traceHeaders(p: Pick<TracePacketInfo, 'llHeader' | 'network' | 'thoff'>): { ll?: Uint8Array; network?: Uint8Array; transport?: Uint8Array } {
  const out: { ll?: Uint8Array; network?: Uint8Array; transport?: Uint8Array } = {};
  const nhEnd = p.thoff ?? p.network.length;
  const nlen = Math.min(nhEnd, TRACE_NETWORK_HSIZE);
  if (nlen > 0) out.network = p.network.subarray(0, nlen);
  if (p.thoff !== undefined && p.thoff < p.network.length) {
    out.transport = p.network.subarray(p.thoff, p.thoff + Math.min(p.network.length - p.thoff, TRACE_TRANSPORT_HSIZE));
  }
  if (p.llHeader && p.llHeader.length > 0) out.ll = p.llHeader.subarray(0, TRACE_LL_HSIZE);
  return out;
}

/** The MAC header the kernel gives a packet looped back over `lo`: zero addresses and the EtherType (prints `@ll,0,112 0x800`). */
export function loopbackLlHeader(ethertype: number): Uint8Array {
  const h = new Uint8Array(14);
  h[12] = (ethertype >> 8) & 0xff;
  h[13] = ethertype & 0xff;
  return h;
}

function ifText(key: string, i: TraceInterface): string {
  return `${key} ${i.name !== undefined ? `"${i.name}"` : String(i.index)} `;
}

/** The `packet:` line, or null when the event has neither link-layer nor network header (nft prints none then). */
export function formatTracePacket(p: TracePacketInfo): string | null {
  const h = traceHeaders(p);
  if (!h.ll && !h.network) return null;
  return `${traceHeader(p)}packet: ${tracePacketItems(p)}`;
}

/** What follows `packet: `: devices, then the decoded headers, each item followed by a space. */
export function tracePacketItems(p: TracePacketInfo): string {
  let s = '';
  if (p.iif) s += ifText('iif', p.iif);
  if (p.oif) s += ifText('oif', p.oif);
  const h = traceHeaders(p);
  const items = decodeTracePacket({ family: familyNumber(p.family), nfproto: p.nfproto, iifType: p.iif?.type, ...h });
  for (const it of items) s += it + ' ';
  return s;
}

/** A verdict as nft prints it (verdict_type_print): `accept`, `jump sub`, `queue`, … */
export function verdictText(v: TraceVerdict): string {
  switch (v.code) {
    case Verdict.Continue: return 'continue';
    case Verdict.Break: return 'break';
    case Verdict.Jump: return `jump ${v.chain ?? ''}`;
    case Verdict.Goto: return `goto ${v.chain ?? ''}`;
    case Verdict.Return: return 'return';
  }
  switch (v.code & NF_VERDICT_MASK) {
    case Verdict.Accept: return 'accept';
    case Verdict.Drop: return 'drop';
    case Verdict.Queue: return 'queue';
    case Verdict.Stolen: return 'stolen';
  }
  return `unknown verdict value ${v.code >>> 0}`;
}

/** `… rule RULE (verdict V)` (trace_print_rule). */
export function formatTraceRule(e: TraceRuleEvent): string {
  const what = e.ruleText !== null ? `rule ${e.ruleText}` : `unknown rule handle ${e.handle ?? 0}`;
  return `${traceHeader(e)}${what} (verdict ${verdictText(e.verdict)})`;
}

/** `… policy accept ` / `… policy drop meta mark 0x0000002a ` (NFT_TRACETYPE_POLICY). */
export function formatTracePolicy(e: TracePolicyEvent): string {
  let s = `${traceHeader(e)}policy ${verdictText({ code: e.policy })} `;
  if (e.mark) s += `meta mark 0x${(e.mark >>> 0).toString(16).padStart(8, '0')} `;
  return s;
}
