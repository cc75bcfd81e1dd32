// Capture replay (src/replay.ts): decides, per captured packet, the path the
// host's stack gives it (src/host.ts), then evaluates the packets in batches
// on an Engine. Browser-safe. The kernel counterpart is the stack around
// nf_hook_slow: ip_rcv → PREROUTING → routing → INPUT / FORWARD+POSTROUTING,
// ip_local_out → OUTPUT → POSTROUTING, ip_defrag before INPUT.
// `plan(readCapture(bytes), host, { iface: 2 })` → one item per evaluation.

import * as abi from '../assembly/abi.js';
import type { Capture, Packet } from './pcap/index.js';
import { Direction, LinkType, PacketType } from './pcap/index.js';
import { compileHost, hookPath, isLocal, parseMac, type CompiledHost, type HostModel } from './host.js';
import type { PacketIn } from './engine.js';

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd, ETH_P_ARP = 0x0806;

/** One evaluation: a packet (or reassembled datagram) on one hook path. */
export interface ReplayItem {
  /** Index (0-based) of the captured packet this evaluation comes from; the last fragment for a reassembled datagram. */
  packet: number;
  /** Trace id: the kernel's is per skb and hook traversal; here a hash of (packet, pass). */
  id: number;
  /** The descriptor, family, hooks and devices given. */
  desc: PacketIn & { family: abi.Family; hooks: number[] };
  /** EtherType of the network header. */
  ethertype: number;
  /** Where the network header starts in desc.data (0 for packets without a link layer). */
  nh: number;
  /**
   * Evaluated in order only if this one is accepted: the looped-back copy of
   * local traffic (a new skb on lo); what a bridge does after its prerouting
   * (flooded copies, local input), the frame passed up to the bridge device,
   * the bridge's output of a frame the host sent on it.
   */
  then?: ReplayItem[];
  /** The same skb as (or a clone of) the item it follows: its nf_trace bit carries over. */
  inherit?: boolean;
  /** A received IPv4 fragment for us: it passes prerouting, then waits for reassembly (input sees the datagram). */
  fragment?: boolean;
  /** The same skb as the item before it, continuing its path (a datagram reassembled from fragments): its nftrace bit carries over. */
  carry?: boolean;
  /** A follow-up that keeps its first pass's conntrack entry (local traffic looped back on lo is tracked once, in output). */
  keepCt?: boolean;
}

/** What the planner needs beyond the host. */
export interface PlanOptions {
  /** ifindex a capture without interface information was taken on (default: the first non-loopback interface). */
  iface?: number;
  /**
   * Ethernet captures of single interfaces (ifindex → capture, e.g. `tcpdump
   * -i eth0`): a cooked capture keeps only the source MAC, so a packet's
   * link-layer header is taken from the frame there with the same bytes.
   */
  links?: Map<number, Capture>;
  /** Families the ruleset tracks: the VM reassembles their fragments (conntrack's defrag), so each fragment takes its whole path. */
  defrag?: { ipv4: boolean; ipv6: boolean };
}

/** A packet with its direction and devices resolved, before paths are built. */
interface Seen {
  index: number;
  p: Packet;
  ethertype: number;
  l3: Uint8Array;
  /** Link-layer header as the stack sees it on receive (Ethernet, or synthesized for cooked captures). */
  ll?: Uint8Array;
  outgoing: boolean;
  ifindex: number;
  pkttype: number;
}

/** Deterministic 32-bit trace id for (packet, pass): murmur3's finalizer of the pair. */
export function traceId(packet: number, pass: number): number {
  let h = (Math.imul(packet + 1, 0x9e3779b1) ^ Math.imul(pass + 1, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Every evaluation of a plan, follow-ups after their item (depth first), as if all were accepted. */
export function flatItems(items: readonly ReplayItem[]): ReplayItem[] {
  const out: ReplayItem[] = [];
  const walk = (it: ReplayItem) => {
    out.push(it);
    for (const t of it.then ?? []) walk(t);
  };
  items.forEach(walk);
  return out;
}

const be16 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const macKey = (m: Uint8Array): string => Array.from(m.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sourceAddr(ethertype: number, l3: Uint8Array): Uint8Array | undefined {
  if (ethertype === ETH_P_IP && l3.length >= 20) return l3.subarray(12, 16);
  if (ethertype === ETH_P_IPV6 && l3.length >= 40) return l3.subarray(8, 24);
  if (ethertype === ETH_P_ARP && l3.length >= 28 && l3[5] === 4) return l3.subarray(14, 18);
  return undefined;
}

/** The destination MAC a received frame had, for captures that do not keep it (cooked): own MAC, broadcast or the multicast mapping. */
function destMac(pkttype: number, ethertype: number, l3: Uint8Array, own: Uint8Array | null): Uint8Array {
  if (pkttype === PacketType.Broadcast) return new Uint8Array(6).fill(0xff);
  if (pkttype === PacketType.Multicast) {
    if (ethertype === ETH_P_IPV6 && l3.length >= 40) return Uint8Array.from([0x33, 0x33, ...l3.subarray(36, 40)]);
    if (ethertype === ETH_P_IP && l3.length >= 20) return Uint8Array.from([0x01, 0x00, 0x5e, l3[17]! & 0x7f, l3[18]!, l3[19]!]);
  }
  return own ?? new Uint8Array(6);
}

/** skb->pkt_type of a received Ethernet frame (eth_type_trans). */
function pkttypeOf(frame: Uint8Array, own: Uint8Array | null): number {
  if (frame.length < 6) return PacketType.Host;
  if (frame[0]! & 1) return frame.subarray(0, 6).every((b) => b === 0xff) ? PacketType.Broadcast : PacketType.Multicast;
  if (own && !frame.subarray(0, 6).every((b, i) => b === own[i])) return PacketType.OtherHost;
  return PacketType.Host;
}

/** Where the packets of one capture interface were taken: a host ifindex, by pcapng if_name, else the default. */
function ifaceIndex(cap: Capture, p: Packet, host: HostModel, fallback: number): number {
  if (p.cooked?.ifindex) return p.cooked.ifindex;
  const name = cap.interfaces[p.interface]?.name;
  if (cap.interfaces.length > 1 && name) {
    const i = host.interfaces.find((x) => x.name === name);
    if (i) return i.index;
  }
  return fallback;
}

function destAddr(ethertype: number, l3: Uint8Array): Uint8Array | undefined {
  if (ethertype === ETH_P_IP && l3.length >= 20) return l3.subarray(16, 20);
  if (ethertype === ETH_P_IPV6 && l3.length >= 40) return l3.subarray(24, 40);
  if (ethertype === ETH_P_ARP && l3.length >= 28 && l3[5] === 4) return l3.subarray(24, 28);
  return undefined;
}

/** IP address → MAC address of the senders of received frames in the capture (first seen), for destinations a cooked capture does not keep. */
function neighbourMacs(cap: Capture, ch: CompiledHost): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const p of cap.packets) {
    if (p.networkOffset < 0 || p.networkOffset > p.data.length) continue;
    let mac: Uint8Array | undefined;
    if (p.cooked) {
      if (p.cooked.packetType !== PacketType.Outgoing && p.cooked.address.length === 6) mac = p.cooked.address;
    } else if (p.linkType === LinkType.Ethernet && p.data.length >= 14 && p.direction !== Direction.Outbound) mac = p.data.subarray(6, 12);
    const src = sourceAddr(p.protocol, p.data.subarray(p.networkOffset));
    if (!mac || !src || isLocal(ch, src) || mac.every((b) => b === 0)) continue;
    const k = src.join('.');
    if (!m.has(k)) m.set(k, mac);
  }
  return m;
}

/** The destination MAC of a frame to `l3`'s destination on a bridge: the bridge's own for its addresses, else the neighbour's, else unknown (zero). */
function bridgeDest(ethertype: number, l3: Uint8Array, bridgeMac: Uint8Array | null, ch: CompiledHost, ipMac: Map<string, Uint8Array>): Uint8Array {
  const d = destAddr(ethertype, l3);
  if (!d) return new Uint8Array(6);
  if (bridgeMac && isLocal(ch, d)) return bridgeMac;
  return ipMac.get(d.join('.')) ?? new Uint8Array(6);
}

/** The destination MAC of a packet the host sends: ARP replies to their target, broadcasts and multicasts by mapping, else the neighbour's (zero if unknown). */
function sentDest(ethertype: number, l3: Uint8Array, ipMac: Map<string, Uint8Array>): Uint8Array {
  if (ethertype === ETH_P_ARP) return l3.length >= 24 && be16(l3, 6) === 2 ? l3.slice(18, 24) : new Uint8Array(6).fill(0xff);
  const d = destAddr(ethertype, l3);
  if (!d) return new Uint8Array(6);
  if (d.length === 4 && d[0]! >= 224 && d[0]! < 240) return Uint8Array.from([0x01, 0x00, 0x5e, d[1]! & 0x7f, d[2]!, d[3]!]);
  if (d.length === 4 && d.every((b) => b === 255)) return new Uint8Array(6).fill(0xff);
  if (d.length === 16 && d[0] === 0xff) return Uint8Array.from([0x33, 0x33, ...d.subarray(12, 16)]);
  return ipMac.get(d.join('.')) ?? new Uint8Array(6);
}

/** Takes, per interface and in order, the link-layer header of the frame of a link capture with the same network bytes (undefined: none). */
function linkHeaders(links: Map<number, Capture> | undefined): (ifindex: number, l3: Uint8Array) => Uint8Array | undefined {
  if (!links?.size) return () => undefined;
  const byIface = new Map<number, Map<string, Uint8Array[]>>();
  for (const [ifindex, cap] of links) {
    const m = new Map<string, Uint8Array[]>();
    for (const p of cap.packets) {
      if (p.linkType !== LinkType.Ethernet || p.networkOffset < 14 || p.networkOffset > p.data.length) continue;
      const k = p.data.subarray(p.networkOffset).join(',');
      const q = m.get(k);
      if (q) q.push(p.data.subarray(0, p.networkOffset));
      else m.set(k, [p.data.subarray(0, p.networkOffset)]);
    }
    byIface.set(ifindex, m);
  }
  return (ifindex, l3) => byIface.get(ifindex)?.get(l3.join(','))?.shift();
}

/** Resolves direction, devices and link-layer header of every captured packet with a known network header. */
function resolve(cap: Capture, host: HostModel, ch: CompiledHost, opts: PlanOptions, ipMac: Map<string, Uint8Array>): Seen[] {
  const fallback = opts.iface ?? host.interfaces.find((i) => i.type !== 772)?.index ?? host.interfaces[0]?.index ?? 0;
  const macs = new Map(host.interfaces.map((i) => [i.index, i.mac ? parseMac(i.mac) : null]));
  const loop = new Set(host.interfaces.filter((i) => i.type === 772).map((i) => i.index));
  const masterOf = new Map(host.interfaces.filter((i) => i.master !== undefined).map((i) => [i.index, i.master!]));
  const linkHeader = linkHeaders(opts.links);
  const out: Seen[] = [];
  cap.packets.forEach((p, index) => {
    if (p.networkOffset < 0 || p.networkOffset > p.data.length) return;
    const l3 = p.data.subarray(p.networkOffset);
    const ethertype = p.protocol;
    const ifindex = ifaceIndex(cap, p, host, fallback);
    const own = macs.get(ifindex) ?? null;
    let outgoing: boolean;
    let pkttype: number;
    let ll: Uint8Array | undefined;
    if (p.cooked) {
      outgoing = p.cooked.packetType === PacketType.Outgoing;
      pkttype = outgoing ? PacketType.Host : p.cooked.packetType;
      const et = Uint8Array.from([ethertype >> 8, ethertype & 0xff]);
      const real = linkHeader(ifindex, l3);
      if (loop.has(ifindex) || p.cooked.hatype === 772) ll = concat([new Uint8Array(12), et]);
      else if (real) ll = real;
      else {
        const src = p.cooked.address.length === 6 ? p.cooked.address : new Uint8Array(6);
        const master = masterOf.get(ifindex);
        // A bridge port takes frames for other MACs too: the bridge's own, or a neighbour's (by its IP address).
        const dst = master && (pkttype === PacketType.Host || pkttype === PacketType.OtherHost)
          ? bridgeDest(ethertype, l3, macs.get(master) ?? null, ch, ipMac)
          : destMac(pkttype, ethertype, l3, own);
        ll = concat([dst, src, et]);
      }
    } else {
      const ether = p.linkType === LinkType.Ethernet;
      if (p.direction !== Direction.Unknown) outgoing = p.direction === Direction.Outbound;
      else {
        const src = sourceAddr(ethertype, l3);
        outgoing = src !== undefined && isLocal(ch, src);
      }
      pkttype = ether && !outgoing ? pkttypeOf(p.data, own) : PacketType.Host;
      if (ether) ll = p.data.subarray(0, p.networkOffset);
    }
    out.push({ index, p, ethertype, l3, ll, outgoing, ifindex, pkttype });
  });
  return out;
}

/** Fragment of an IPv4 or IPv6 datagram: the reassembly key, offset, more-fragments flag, payload. */
function fragmentOf(s: Seen): { key: string; off: number; more: boolean; body: Uint8Array; hdr: Uint8Array } | null {
  const b = s.l3;
  if (s.ethertype === ETH_P_IP && b.length >= 20) {
    const ff = be16(b, 6);
    const off = (ff & 0x1fff) * 8;
    const more = (ff & 0x2000) !== 0;
    if (!more && off === 0) return null;
    const ihl = (b[0]! & 15) * 4;
    const end = Math.min(be16(b, 2), b.length);
    if (ihl < 20 || end < ihl) return null;
    return { key: `4 ${s.outgoing} ${b.subarray(12, 20).join('.')} ${be16(b, 4)} ${b[9]}`, off, more, body: b.subarray(ihl, end), hdr: b.subarray(0, ihl) };
  }
  if (s.ethertype === ETH_P_IPV6 && b.length >= 48 && b[6] === 44) {
    const ff = be16(b, 42);
    const off = ff & 0xfff8;
    const more = (ff & 1) !== 0;
    if (!more && off === 0) return null;
    return { key: `6 ${s.outgoing} ${b.subarray(8, 40).join('.')} ${b.subarray(44, 48).join('.')}`, off, more, body: b.subarray(48, 40 + be16(b, 4)), hdr: b.subarray(0, 48) };
  }
  return null;
}

/** The datagram the fragments make, or null while a part is missing. */
function reassemble(frags: { s: Seen; f: NonNullable<ReturnType<typeof fragmentOf>> }[]): Uint8Array | null {
  const parts = [...new Map(frags.map((x) => [x.f.off, x.f])).values()].sort((a, b) => a.off - b.off);
  if (parts[0]?.off !== 0 || parts[parts.length - 1]!.more) return null;
  let at = 0;
  for (const p of parts) {
    if (p.off !== at) return null;
    at += p.body.length;
  }
  const body = concat(parts.map((p) => p.body));
  const first = parts[0]!;
  if (frags[0]!.s.ethertype === ETH_P_IPV6) {
    // The fragment header goes; its next header moves into the IPv6 header.
    const h = new Uint8Array(first.hdr.subarray(0, 40));
    h[6] = first.hdr[40]!;
    h[4] = body.length >> 8;
    h[5] = body.length & 0xff;
    return concat([h, body]);
  }
  const h = new Uint8Array(first.hdr);
  const len = h.length + body.length;
  h[2] = len >> 8;
  h[3] = len & 0xff;
  h[6] = 0;
  h[7] = 0;
  // The reassembled header carries a fresh checksum (ip_frag_reasm → ip_send_check).
  h[10] = 0;
  h[11] = 0;
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const c = ~sum & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return concat([h, body]);
}

/**
 * The parts of an IP datagram NAT and forwarding leave alone: length,
 * protocol, IPv4 id, hop count + `hops`, and L4 bytes past the ports and
 * checksums (TCP sequence numbers and flags, UDP/ICMP payload). null for
 * anything else.
 */
function forwardPrint(ethertype: number, b: Uint8Array, hops: number): string | null {
  let th: number;
  let proto: number;
  let head: string;
  if (ethertype === ETH_P_IP && b.length >= 20) {
    th = (b[0]! & 15) * 4;
    proto = b[9]!;
    if ((((b[6]! << 8) | b[7]!) & 0x3fff) !== 0) return null;
    head = `4 ${(b[2]! << 8) | b[3]!} ${proto} ${(b[4]! << 8) | b[5]!} ${b[8]! + hops}`;
  } else if (ethertype === ETH_P_IPV6 && b.length >= 40) {
    th = 40;
    proto = b[6]!;
    head = `6 ${(b[4]! << 8) | b[5]!} ${proto} ${b[7]! + hops}`;
  } else return null;
  const from = proto === 6 ? th + 4 : th + 8;
  const to = Math.min(b.length, proto === 6 ? th + 16 : th + 40);
  if (to - from < 4) return null;
  return `${head} ${Array.from(b.subarray(from, to)).join('.')}`;
}

function tstamp(p: Packet): bigint {
  return p.timestamp ?? 0n;
}

/**
 * Every evaluation of a capture, in capture order. Received packets
 * (cooked incoming, pcapng inbound, else a source that is not ours) go
 * ingress → prerouting → input/forward; locally generated ones output →
 * postrouting. Outgoing packets with a foreign source are the forwarded
 * copies of received ones and are skipped. Local traffic captured on lo
 * takes output → postrouting, then (if accepted) a second pass received on
 * lo. Outgoing fragments pass the hooks once, whole (fragmentation is after
 * postrouting); received IPv4 fragments for us pass prerouting one by one
 * and input reassembled (ip_local_deliver), IPv6 fragments each pass input.
 * Frames received on a bridge port take the bridge's hooks (prerouting, then
 * forward + postrouting to the port the forwarding database or flooding
 * picks, and/or input and a new pass received on the bridge device); what
 * the host sends on a bridge device then takes bridge output + postrouting.
 */
export function plan(cap: Capture, host: HostModel, opts: PlanOptions = {}): ReplayItem[] {
  const ch = compileHost(host);
  const masterOf = new Map(host.interfaces.filter((i) => i.master !== undefined).map((i) => [i.index, i.master!]));
  const ipMac = masterOf.size ? neighbourMacs(cap, ch) : new Map<string, Uint8Array>();
  const seen = resolve(cap, host, ch, opts, ipMac);
  const loop = new Set(host.interfaces.filter((i) => i.type === 772).map((i) => i.index));
  const items: ReplayItem[] = [];
  const frags = new Map<string, { s: Seen; f: NonNullable<ReturnType<typeof fragmentOf>> }[]>();
  for (const s of seen) {
    const f = fragmentOf(s);
    if (f) frags.set(f.key, [...(frags.get(f.key) ?? []), { s, f }]);
  }
  // What NAT leaves alone of each received datagram (forwardPrint), to recognise its forwarded copy.
  const receivedPrints = new Set<string>();
  for (const s of seen) {
    if (s.outgoing || loop.has(s.ifindex)) continue;
    const k = forwardPrint(s.ethertype, s.l3, 0);
    if (k) receivedPrints.add(k);
  }
  const whole = new Map<string, Uint8Array | null>();
  const datagram = (key: string) => {
    if (!whole.has(key)) whole.set(key, reassemble(frags.get(key)!));
    return whole.get(key)!;
  };
  const local = (s: Seen, l3: Uint8Array, index: number, pass: number): ReplayItem => {
    const lo = loop.has(s.ifindex);
    const path = hookPath(ch, l3, { iif: 0, ether: false, ethertype: s.ethertype });
    const oif = lo ? s.ifindex : s.outgoing ? s.ifindex : path.oif;
    return { packet: index, id: traceId(index, pass), ethertype: s.ethertype, nh: 0, desc: { data: l3, ether: false, family: path.family, hooks: path.hooks, iif: 0, oif, pkttype: PacketType.Host, tstamp: tstamp(s.p) } };
  };
  const received = (s: Seen, l3: Uint8Array, index: number, pass: number, hooks?: number[]): ReplayItem => {
    const ll = s.ll ?? new Uint8Array(0);
    const data = ll.length ? concat([ll, l3]) : l3;
    const path = hookPath(ch, l3, { iif: s.ifindex, ether: false, ethertype: s.ethertype });
    return {
      packet: index, id: traceId(index, pass), ethertype: s.ethertype, nh: ll.length,
      desc: { data, ether: ll.length > 0, family: path.family, hooks: hooks ?? path.hooks, iif: s.ifindex, oif: path.oif, pkttype: s.pkttype, tstamp: tstamp(s.p) },
    };
  };
  // Bridges (br_input.c, br_forward.c): ports, the forwarding database learned from received frames, frames passed up.
  const H = abi.InetHook;
  const macs = new Map(host.interfaces.map((i) => [i.index, i.mac ? parseMac(i.mac) : null]));
  const portsOf = (br: number) => host.interfaces.filter((i) => i.master === br).map((i) => i.index);
  const fdb = new Map<string, number>();
  const passed = new Map<string, number>();
  const bridges = new Set(masterOf.values());
  const passKey = (br: number, s: Seen) => `${br} ${s.ethertype} ${s.l3.join(',')}`;
  const bridgeItem = (s: Seen, frame: Uint8Array, hooks: number[], iif: number, oif: number, pkttype: number, pass: number, inherit: boolean): ReplayItem => ({
    packet: s.index, id: traceId(s.index, pass), ethertype: s.ethertype, nh: 14,
    desc: { data: frame, ether: true, family: abi.Family.Bridge, hooks, iif, oif, pkttype, tstamp: tstamp(s.p) },
    ...(inherit ? { inherit: true } : {}),
  });
  /** A frame received on a port of bridge `br`: prerouting, then input (for the bridge: passed up to it, a new skb pass) and/or forward + postrouting to the other ports. */
  const bridged = (s: Seen, br: number): ReplayItem => {
    const ll = s.ll && s.ll.length >= 14 ? s.ll.subarray(0, 14) : concat([new Uint8Array(12), Uint8Array.from([s.ethertype >> 8, s.ethertype & 0xff])]);
    const frame = concat([ll, s.l3]);
    const dst = ll.subarray(0, 6);
    const src = ll.subarray(6, 12);
    const brMac = macs.get(br);
    const ports = portsOf(br);
    const local = [br, ...ports].some((i) => { const m = macs.get(i); return m && macKey(m) === macKey(dst); });
    // br_handle_frame: a frame to the bridge's address becomes PACKET_HOST before prerouting.
    const pkttype = brMac && macKey(brMac) === macKey(dst) ? PacketType.Host : s.pkttype;
    if (!(src[0]! & 1)) fdb.set(macKey(src), s.ifindex);
    const item = (hooks: number[], oif: number, pass: number, inherit = false) => bridgeItem(s, frame, hooks, s.ifindex, oif, pkttype, pass, inherit);
    const up = (): ReplayItem => {
      // br_pass_frame_up: the frame is received again on the bridge device (new trace id); the capture's copy there is skipped.
      const path = hookPath(ch, s.l3, { iif: br, ether: false, ethertype: s.ethertype });
      const k = passKey(br, s);
      passed.set(k, (passed.get(k) ?? 0) + 1);
      return {
        packet: s.index, id: traceId(s.index, 2), ethertype: s.ethertype, nh: 14, inherit: true,
        desc: { data: frame, ether: true, family: path.family, hooks: path.hooks, iif: br, oif: path.oif, pkttype, tstamp: tstamp(s.p) },
      };
    };
    const others = ports.filter((q) => q !== s.ifindex);
    if (dst[0]! & 1) {
      // Broadcast / multicast: flooded (clones, new ids) and delivered locally (the original).
      return { ...item([H.Ingress, H.Prerouting], 0, 0), then: [...others.map((q, k) => item([H.Forward, H.Postrouting], q, 3 + k, true)), { ...item([H.Input], 0, 0, true), then: [up()] }] };
    }
    if (local) return { ...item([H.Ingress, H.Prerouting, H.Input], 0, 0), then: [up()] };
    const known = fdb.get(macKey(dst));
    if (known === s.ifindex) return item([H.Ingress, H.Prerouting], 0, 0);
    const outs = known !== undefined ? [known] : others;
    if (outs.length === 1) return item([H.Ingress, H.Prerouting, H.Forward, H.Postrouting], outs[0]!, 0);
    // Unknown unicast flooded to several ports: clones to all but the last, which gets the original.
    return { ...item([H.Ingress, H.Prerouting], 0, 0), then: outs.map((q, k) => item([H.Forward, H.Postrouting], q, k === outs.length - 1 ? 0 : 3 + k, true)) };
  };
  /** What the bridge device `br` does with a frame the host sent on it: bridge output + postrouting on the port(s) its destination is behind. */
  const bridgeOut = (s: Seen, l3: Uint8Array, br: number): ReplayItem[] => {
    const dst = sentDest(s.ethertype, l3, ipMac);
    const ll = concat([dst, macs.get(br) ?? new Uint8Array(6), Uint8Array.from([s.ethertype >> 8, s.ethertype & 0xff])]);
    const frame = concat([ll, l3]);
    const known = dst[0]! & 1 ? undefined : fdb.get(macKey(dst));
    const outs = known !== undefined ? [known] : portsOf(br);
    return outs.map((q, k) => bridgeItem(s, frame, [H.Output, H.Postrouting], 0, q, PacketType.Host, k === outs.length - 1 ? 0 : 3 + k, true));
  };
  for (const s of seen) {
    const master = masterOf.get(s.ifindex);
    if (master !== undefined) {
      // A bridge port: what it sends is planned where the frame arrived or where the bridge device sent it.
      if (!s.outgoing) items.push(bridged(s, master));
      continue;
    }
    if (!s.outgoing && passed.size && bridges.has(s.ifindex)) {
      const k = passKey(s.ifindex, s);
      const n = passed.get(k);
      if (n) {
        // The frame a port's bridge passed up, planned with its arrival on the port.
        if (n > 1) passed.set(k, n - 1);
        else passed.delete(k);
        continue;
      }
    }
    const f = fragmentOf(s);
    const group = f ? frags.get(f.key)! : undefined;
    const lo = loop.has(s.ifindex);
    if (s.outgoing || lo) {
      const src = sourceAddr(s.ethertype, s.l3);
      if (s.outgoing && src && !isLocal(ch, src) && s.ethertype !== ETH_P_ARP && ch.locals.length) continue; // a forwarded copy
      // A forwarded copy SNATed to one of our addresses: the same datagram was received just before, one hop earlier.
      if (s.outgoing && !lo && receivedPrints.has(forwardPrint(s.ethertype, s.l3, 1) ?? '')) continue;
      let l3 = s.l3;
      if (f && !lo) {
        const d = datagram(f.key);
        // Output and postrouting saw the datagram once, before it was cut: evaluate it at its first fragment.
        if (d) {
          if (group![0]!.s !== s) continue;
          l3 = d;
        }
      }
      const it = local(s, l3, s.index, 0);
      if (lo) it.then = [{ ...received(s, s.l3, s.index, 1), keepCt: true }];
      else if (s.outgoing && portsOf(s.ifindex).length) it.then = bridgeOut(s, l3, s.ifindex);
      items.push(it);
      continue;
    }
    if (f && s.ethertype === ETH_P_IP && !opts.defrag?.ipv4) {
      const it = received(s, s.l3, s.index, 0);
      const input = it.desc.hooks.indexOf(abi.InetHook.Input);
      if (input >= 0) {
        // ip_local_deliver reassembles: each fragment passes prerouting, the datagram passes input.
        it.desc.hooks = it.desc.hooks.slice(0, input);
        it.fragment = true;
        items.push(it);
        const d = datagram(f.key);
        const last = group!.reduce((a, b) => (b.s.index > a.s.index ? b : a));
        if (d && last.s === s) items.push({ ...received(s, d, s.index, 0, [abi.InetHook.Input]), carry: true });
        continue;
      }
      items.push(it);
      continue;
    }
    items.push(received(s, s.l3, s.index, 0));
  }
  return neighbourQueued(items);
}

/**
 * Packets the host sent while resolving their next hop: the stack queued them
 * after output and postrouting (neigh_resolve_output), sent the ARP request,
 * and sent them once the reply came, so the capture has request, reply,
 * packets while the hooks saw packets, request, reply. Moves such packets
 * (outgoing IPv4 to the request's target right after its reply) before it.
 */
function neighbourQueued(items: ReplayItem[]): ReplayItem[] {
  const l3 = (it: ReplayItem) => it.desc.data.subarray(it.nh);
  const arp = (it: ReplayItem, op: number, out: boolean) => {
    const b = l3(it);
    return it.desc.family === abi.Family.Arp && (it.desc.iif === 0) === out && b.length >= 28 && be16(b, 0) === 1 && b[5] === 4 && be16(b, 6) === op;
  };
  const same = (a: Uint8Array, i: number, b: Uint8Array, j: number) => a[i] === b[j] && a[i + 1] === b[j + 1] && a[i + 2] === b[j + 2] && a[i + 3] === b[j + 3];
  for (let i = 0; i < items.length; i++) {
    const req = items[i]!;
    if (!arp(req, 1, true)) continue;
    const t = l3(req);
    // Replies from the target (spa = the request's tpa), then IPv4 packets the host sent to it.
    let j = i + 1;
    while (j < items.length && arp(items[j]!, 2, false) && same(l3(items[j]!), 14, t, 24)) j++;
    if (j === i + 1) continue;
    let k = j;
    while (k < items.length && items[k]!.desc.iif === 0 && items[k]!.desc.family === abi.Family.Ipv4 && l3(items[k]!).length >= 20 && same(l3(items[k]!), 16, t, 24)) k++;
    if (k === j) continue;
    items.splice(i, 0, ...items.splice(j, k - j));
    i += k - j;
  }
  return items;
}

/** Per item: the engine's result, kept after its batch is gone. */
export interface ItemResult {
  verdict: number;
  hook: number;
  chain: number;
  rule: number;
  flags: number;
}

/** Replays planned items on an engine in batches; `onBatch` sees each batch's items and result views. */
export function replay(
  engine: import('./engine.js').Engine,
  items: ReplayItem[],
  opts: { batch?: number; trace?: boolean; ctEvents?: boolean; onBatch?: (items: ReplayItem[], r: import('./engine.js').BatchResult) => void; onProgress?: (done: number) => void } = {},
): { item: ReplayItem; result: ItemResult }[] {
  const size = Math.max(1, opts.batch ?? 1024);
  const out: { item: ReplayItem; result: ItemResult }[] = [];
  let queue: ReplayItem[] = [];
  let k = 0;
  let done = 0;
  let lastNftrace = false;
  let lastAccepted = false;
  while (k < items.length || queue.length) {
    // A follow-up pass depends on its first pass: the batch ends after an item that has one.
    // An item continuing the previous skb runs alone, with its nf_trace bit if that one had it.
    const batch: ReplayItem[] = queue;
    queue = [];
    // Follow-ups with follow-ups of their own run before the next captured packet: alone.
    const nested = batch.some((b) => b.then?.length);
    while (!nested && batch.length < size && k < items.length) {
      const it = items[k]!;
      if (it.carry && batch.length) break;
      batch.push(it);
      k++;
      if (it.then || it.carry) break;
    }
    const carried = batch.length === 1 && batch[0]!.carry === true;
    // A fragment the stack or a rule dropped never completes its datagram.
    if (carried && !lastAccepted) continue;
    const trace = opts.trace ? 'nftrace' : undefined;
    const r = engine.evaluate(batch.map((b) => (carried && lastNftrace ? { ...b.desc, nftrace: true } : b.desc)), { trace, ctEvents: opts.ctEvents === true });
    batch.forEach((it, i) => {
      const result = { verdict: r.verdict(i), hook: r.hook(i), chain: r.chain(i), rule: r.rule(i), flags: r.flags(i) };
      out.push({ item: it, result });
      lastNftrace = (result.flags & abi.ResFlags.Nftrace) !== 0;
      lastAccepted = (result.verdict & abi.NF_VERDICT_MASK) === abi.Verdict.Accept;
      // Follow-ups of the same skb (or a clone) keep its nf_trace bit.
      if (it.then && lastAccepted) {
        for (let t of it.then) {
          if (t.inherit && lastNftrace) t = { ...t, desc: { ...t.desc, nftrace: true } };
          if (t.keepCt) t = { ...t, desc: { ...t.desc, ct: { entry: r.ctEntry(i), info: r.ctInfo(i) } } };
          queue.push(t);
        }
      }
    });
    opts.onBatch?.(batch, r);
    done = k;
    opts.onProgress?.(done);
  }
  return out;
}
