// The host model (src/host.ts): interfaces (name, index, type, addresses),
// routes and forwarding — what the kernel's routing decides before the VM
// sees a packet: which hooks it takes and which devices each hook sees.
// Received on eth0 for a local address → ingress, prerouting, input.
// Browser-safe: no Node imports.

import * as abi from '../assembly/abi.js';

/** One network interface. */
export interface HostInterface {
  /** ifindex (1..IFACE_MAX-1). */
  index: number;
  /** Name, at most 15 bytes (`eth0`). */
  name: string;
  /** ARPHRD type: 1 Ethernet (default), 772 loopback. */
  type?: number;
  /** rtnl link kind (`veth`, `bridge`); empty for physical devices. */
  kind?: string;
  /** Interface group. */
  group?: number;
  /** MTU (default 1500, loopback 65536): rt tcpmss. */
  mtu?: number;
  /** Addresses with their prefix: `10.0.0.1/24`, `fe80::1/64`. */
  addresses?: string[];
  /** Hardware address `02:00:00:00:01:01` (received frames addressed to it are PACKET_HOST). */
  mac?: string;
  /** ifindex of the bridge this interface is a port of: frames it receives take the bridge's hooks first. */
  master?: number;
}

/** One route; connected prefixes of the interfaces' addresses are implied. */
export interface HostRoute {
  /** Destination prefix: `0.0.0.0/0`, `2001:db8::/32`. */
  dst: string;
  /** Output interface index. */
  oif: number;
  /** RTN_* type: unicast 1 (default), blackhole 6, unreachable 7, prohibit 8. */
  type?: number;
  /** Gateway (`via`), same family as dst; none = directly connected. */
  via?: string;
}

/** The machine the rules run on. */
export interface HostModel {
  interfaces: HostInterface[];
  routes?: HostRoute[];
  /** net.ipv4.ip_forward / ipv6 forwarding: received packets for other hosts are forwarded (one flag for both, or per family). */
  forwarding?: boolean | { ipv4?: boolean; ipv6?: boolean };
}

/** Parses an IPv4 or IPv6 address into 4 or 16 bytes; null if it is neither. */
export function parseAddr(s: string): Uint8Array | null {
  if (s.includes(':')) {
    const [head, tail] = s.split('::') as [string, string | undefined];
    if (s.split('::').length > 2) return null;
    const words = (x: string | undefined) => (x ? x.split(':') : []);
    const h = words(head);
    const t = words(tail);
    const fill = s.includes('::') ? 8 - h.length - t.length : 0;
    const all = [...h, ...Array<string>(Math.max(fill, 0)).fill('0'), ...t];
    if (all.length !== 8) return null;
    const out = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      const v = parseInt(all[i]!, 16);
      if (!/^[0-9a-fA-F]{1,4}$/.test(all[i]!)) return null;
      out[i * 2] = v >> 8;
      out[i * 2 + 1] = v & 255;
    }
    return out;
  }
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
  return Uint8Array.from(p.map(Number));
}

/** `10.0.0.0/8` → address bytes and prefix length (full length when no prefix is given). */
export function parsePrefix(s: string): { addr: Uint8Array; len: number } {
  const [a, l] = s.split('/');
  const addr = parseAddr(a ?? '');
  if (!addr) throw new Error(`bad address '${s}'`);
  const len = l === undefined ? addr.length * 8 : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > addr.length * 8) throw new Error(`bad prefix length in '${s}'`);
  return { addr, len };
}

function hostBitsSet(a: Uint8Array, len: number): boolean {
  for (let i = len; i < a.length * 8; i++) if (!(a[i >> 3]! & (0x80 >> (i & 7)))) return false;
  return true;
}

function prefixMatch(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < bits; i++) {
    const m = 0x80 >> (i & 7);
    if ((a[i >> 3]! & m) !== (b[i >> 3]! & m)) return false;
  }
  return true;
}

/** Writes the model into the VM's host area (abi IFACE_*, ADDR_*, ROUTE_*). */
export function writeHost(mem: Uint8Array, base: number, host: HostModel): void {
  const view = new DataView(mem.buffer, mem.byteOffset);
  mem.fill(0, base, base + abi.HOST_SIZE);
  const enc = new TextEncoder();
  const addrs = base + abi.IFACE_MAX * abi.IFACE_SIZE;
  const routes = addrs + abi.ADDR_MAX * abi.ADDR_SIZE;
  let na = 0;
  for (const i of host.interfaces) {
    if (!Number.isInteger(i.index) || i.index < 1 || i.index >= abi.IFACE_MAX) throw new Error(`interface ${i.name}: index ${i.index} out of range 1..${abi.IFACE_MAX - 1}`);
    const e = base + i.index * abi.IFACE_SIZE;
    const name = enc.encode(i.name);
    const kind = enc.encode(i.kind ?? '');
    if (name.length > 15 || kind.length > 15) throw new Error(`interface ${i.name}: name or kind longer than 15 bytes`);
    mem.set(name, e + abi.IFACE_NAME);
    mem.set(kind, e + abi.IFACE_KIND);
    view.setUint16(e + abi.IFACE_TYPE, i.type ?? 1, true);
    view.setUint16(e + abi.IFACE_PRESENT, 1, true);
    view.setUint32(e + abi.IFACE_GROUP, i.group ?? 0, true);
    view.setUint32(e + abi.IFACE_MTU, i.mtu ?? 0, true);
    for (const a of i.addresses ?? []) {
      if (na >= abi.ADDR_MAX) throw new Error(`more than ${abi.ADDR_MAX} addresses`);
      const p = parsePrefix(a);
      const q = addrs + na++ * abi.ADDR_SIZE;
      view.setUint32(q + abi.ADDR_IFINDEX, i.index, true);
      mem[q + abi.ADDR_FAMILY] = p.addr.length === 4 ? abi.Family.Ipv4 : abi.Family.Ipv6;
      mem[q + abi.ADDR_PREFIX] = p.len;
      mem.set(p.addr, q + abi.ADDR_ADDR);
    }
  }
  (host.routes ?? []).forEach((r, k) => {
    if (k >= abi.ROUTE_MAX) throw new Error(`more than ${abi.ROUTE_MAX} routes`);
    const p = parsePrefix(r.dst);
    const q = routes + k * abi.ROUTE_SIZE;
    view.setUint32(q + abi.ROUTE_IFINDEX, r.oif, true);
    mem[q + abi.ROUTE_FAMILY] = p.addr.length === 4 ? abi.Family.Ipv4 : abi.Family.Ipv6;
    mem[q + abi.ROUTE_PREFIX] = p.len;
    mem[q + abi.ROUTE_TYPE] = r.type ?? 1;
    mem.set(p.addr, q + abi.ROUTE_DST);
    if (r.via) {
      const g = parseAddr(r.via);
      if (!g || g.length !== p.addr.length) throw new Error(`route ${r.dst}: bad gateway '${r.via}'`);
      mem.set(g, q + abi.ROUTE_GW);
    }
  });
}

/** Where a packet goes: the family, hooks in order and devices for its descriptor. */
export interface HookPath {
  family: abi.Family;
  hooks: number[];
  iif: number;
  oif: number;
}

/** Network family and destination of a frame or IP packet (Ethernet + one VLAN tag). */
export function sniff(data: Uint8Array, ether: boolean, ethertype?: number): { family: abi.Family; daddr?: Uint8Array } {
  let nh = 0;
  let type = 0;
  if (ethertype !== undefined && !ether) type = ethertype;
  else if (ether) {
    if (data.length < 14) return { family: abi.Family.Netdev };
    type = (data[12]! << 8) | data[13]!;
    nh = 14;
    if ((type === 0x8100 || type === 0x88a8) && data.length >= 18) {
      type = (data[16]! << 8) | data[17]!;
      nh = 18;
    }
  } else type = data.length && data[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  if (type === 0x0806) return { family: abi.Family.Arp };
  if (type === 0x0800 && data.length >= nh + 20) return { family: abi.Family.Ipv4, daddr: data.subarray(nh + 16, nh + 20) };
  if (type === 0x86dd && data.length >= nh + 40) return { family: abi.Family.Ipv6, daddr: data.subarray(nh + 24, nh + 40) };
  if (type === 0x0800) return { family: abi.Family.Ipv4 };
  if (type === 0x86dd) return { family: abi.Family.Ipv6 };
  return { family: abi.Family.Netdev };
}

/** A host model with its prefixes parsed once (hookPath runs per packet). */
export interface CompiledHost {
  /** Forwarding of IPv4 / IPv6. */
  forward4: boolean;
  forward6: boolean;
  locals: { addr: Uint8Array; len: number; ifindex: number }[];
  routes: { addr: Uint8Array; len: number; ifindex: number }[];
  /** ifindex of the loopback device (ARPHRD 772), 0 if the model has none: where traffic to local addresses goes out. */
  loopback: number;
}

/** `02:00:00:00:01:01` → 6 bytes; null if it is not a MAC address. */
export function parseMac(s: string): Uint8Array | null {
  const p = s.split(':');
  if (p.length !== 6 || p.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x))) return null;
  return Uint8Array.from(p.map((x) => parseInt(x, 16)));
}

/** Parses the model's addresses and routes. */
export function compileHost(host: HostModel): CompiledHost {
  const locals = host.interfaces.flatMap((i) => (i.addresses ?? []).map((a) => ({ ...parsePrefix(a), ifindex: i.index })));
  const routes = (host.routes ?? []).map((r) => ({ ...parsePrefix(r.dst), ifindex: r.oif }));
  const f = host.forwarding ?? false;
  const forward4 = typeof f === 'boolean' ? f : f.ipv4 ?? false;
  const forward6 = typeof f === 'boolean' ? f : f.ipv6 ?? false;
  const loopback = host.interfaces.find((i) => i.type === 772)?.index ?? 0;
  return { forward4, forward6, locals, routes, loopback };
}

/** True if `addr` is one of the host's own addresses. */
export function isLocal(host: CompiledHost, addr: Uint8Array): boolean {
  return host.locals.some((p) => p.addr.length === addr.length && prefixMatch(p.addr, addr, addr.length * 8));
}

/** The host's routing decision: local delivery, or the output interface (0 = none). */
export function routeOf(host: CompiledHost, daddr: Uint8Array): { local: boolean; oif: number } {
  const v4 = daddr.length === 4;
  if (v4 && (daddr[0]! >= 224 || (daddr[0] === 255 && daddr[3] === 255))) return { local: true, oif: 0 };
  if (!v4 && daddr[0] === 0xff) return { local: true, oif: 0 };
  let best = -1;
  let oif = 0;
  for (const p of host.locals) {
    if (p.addr.length !== daddr.length) continue;
    if (prefixMatch(p.addr, daddr, p.addr.length * 8)) return { local: true, oif: host.loopback || p.ifindex };
    // The directed broadcast of a connected IPv4 prefix (10.99.1.255 on 10.99.1.0/24) is delivered locally.
    if (v4 && p.len < 31 && prefixMatch(p.addr, daddr, p.len) && hostBitsSet(daddr, p.len)) return { local: true, oif: 0 };
    if (p.len > best && prefixMatch(p.addr, daddr, p.len)) {
      best = p.len;
      oif = p.ifindex;
    }
  }
  for (const p of host.routes) {
    if (p.len > best && prefixMatch(p.addr, daddr, p.len)) {
      best = p.len;
      oif = p.ifindex;
    }
  }
  return { local: false, oif };
}

/**
 * The hooks a packet takes: received on `iif` → ingress, prerouting, then
 * input (local) or forward + postrouting (forwarding on) — a packet neither
 * local nor forwarded stops after prerouting, as the stack drops it; locally
 * generated (`iif` 0) → output, postrouting. ARP: ingress, arp input/output.
 * `ethertype` names the network protocol of bytes without a link layer.
 */
export function hookPath(host: CompiledHost, data: Uint8Array, opts: { iif?: number; ether?: boolean; ethertype?: number }): HookPath {
  const iif = opts.iif ?? 0;
  const ether = opts.ether ?? iif !== 0;
  const { family, daddr } = sniff(data, ether, opts.ethertype);
  const H = abi.InetHook;
  if (family === abi.Family.Arp) return { family, hooks: iif ? [H.Ingress, abi.ArpHook.In] : [abi.ArpHook.Out], iif, oif: 0 };
  if (family === abi.Family.Netdev) return { family, hooks: iif ? [H.Ingress] : [], iif, oif: 0 };
  const route = daddr ? routeOf(host, daddr) : { local: false, oif: 0 };
  if (!iif) return { family, hooks: [H.Output, H.Postrouting], iif: 0, oif: route.oif };
  if (route.local) return { family, hooks: [H.Ingress, H.Prerouting, H.Input], iif, oif: 0 };
  const forwarding = family === abi.Family.Ipv4 ? host.forward4 : host.forward6;
  if (forwarding && route.oif) return { family, hooks: [H.Ingress, H.Prerouting, H.Forward, H.Postrouting], iif, oif: route.oif };
  return { family, hooks: [H.Ingress, H.Prerouting], iif, oif: 0 };
}

/** The top level of a host.json (test/scenarios/README.md); `peers`, `neighbors`, `settle` are not needed here. */
export interface HostJson {
  forwarding?: { ipv4?: boolean; ipv6?: boolean } | boolean;
  interfaces: { name: string; index: number; kind?: string; mac?: string; mtu?: number; addresses?: string[]; group?: number; master?: string }[];
  routes?: { dst: string; via?: string; dev?: string; type?: string }[];
}

const ROUTE_TYPES: Record<string, number> = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8 };

/**
 * A host.json → the host model: `kind: loopback` is ARPHRD 772 with no rtnl
 * kind (like the kernel's lo), routes name their device (`dev`) or reach their
 * gateway (`via`) through a connected prefix; `default` takes the family of
 * its gateway (both families without one).
 */
export function hostFromJson(json: unknown): HostModel {
  const j = json as HostJson;
  if (!j || typeof j !== 'object' || !Array.isArray(j.interfaces)) throw new Error('host description: no "interfaces" array');
  const interfaces: HostInterface[] = j.interfaces.map((i, k) => {
    if (typeof i.name !== 'string' || !Number.isInteger(i.index)) throw new Error(`host description: interface ${k} needs "name" and "index"`);
    const loop = i.kind === 'loopback';
    const out: HostInterface = { index: i.index, name: i.name, type: loop ? 772 : 1, addresses: i.addresses ?? [] };
    if (!loop && i.kind) out.kind = i.kind;
    if (i.mac) out.mac = i.mac;
    if (i.group !== undefined) out.group = i.group;
    if (i.mtu !== undefined) out.mtu = i.mtu;
    return out;
  });
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  j.interfaces.forEach((i, k) => {
    if (i.master === undefined) return;
    const m = byName.get(i.master);
    if (!m) throw new Error(`host description: interface ${i.name}: no master '${i.master}'`);
    interfaces[k]!.master = m.index;
  });
  const connected = interfaces.flatMap((i) => (i.addresses ?? []).map((a) => ({ ...parsePrefix(a), ifindex: i.index })));
  const routes: HostRoute[] = [];
  for (const r of j.routes ?? []) {
    const via = r.via ? parseAddr(r.via) : null;
    if (r.via && !via) throw new Error(`host description: route ${r.dst}: bad gateway '${r.via}'`);
    let oif = 0;
    if (r.dev) {
      const d = byName.get(r.dev);
      if (!d) throw new Error(`host description: route ${r.dst}: no interface '${r.dev}'`);
      oif = d.index;
    } else if (via) oif = connected.find((p) => p.addr.length === via.length && prefixMatch(p.addr, via, p.len))?.ifindex ?? 0;
    if (!oif) throw new Error(`host description: route ${r.dst}: no device and no connected gateway`);
    const dsts = r.dst !== 'default' ? [r.dst] : via ? [via.length === 4 ? '0.0.0.0/0' : '::/0'] : ['0.0.0.0/0', '::/0'];
    for (const dst of dsts) routes.push({ dst, oif, ...(r.type ? { type: ROUTE_TYPES[r.type] ?? 1 } : {}), ...(via && r.via ? { via: r.via } : {}) });
  }
  return { interfaces, routes, forwarding: j.forwarding ?? false };
}
