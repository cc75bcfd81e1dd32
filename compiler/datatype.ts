import { parseTime } from './units.js';
import { numberValue } from './lexer.js';
// Datatypes of the nft language (nftables: src/datatype.c, proto.c,
// meta.c, ct.c; rewritten): size, byte order in registers, and how a
// symbol such as `ssh`, `10.0.0.1` or `established` becomes a value.

/** A constant as bytes in wire (most significant first) order, or a string. */
export type Value = { num: bigint } | { str: Uint8Array; wildcard: boolean };

/** A datatype: its natural width, register byte order and symbol parser. */
export interface Datatype {
  name: string;
  bits: number;
  order: 'be' | 'host';
  /** Bitmask types match implicitly with `& value != 0`. */
  bitmask?: boolean;
  symbols?: Record<string, number | bigint>;
  /** Parses a literal that is not a plain number or symbol; undefined = not this type, string = error. */
  parse?: (text: string, tok: string) => Value | string | undefined;
  /** Kind of literal expected, for error messages (`Could not parse X`). */
  desc: string;
  string?: boolean;
  /** Largest valid value when smaller than the width allows (`meta day` 0-6). */
  max?: bigint;
  /** nft's own message for a number beyond the type's range, if not `Value N exceeds ...`. */
  rangeError?: string;
}

const t = (name: string, bits: number, order: 'be' | 'host', desc: string, extra: Partial<Datatype> = {}): Datatype => ({ name, bits, order, desc, ...extra });

export const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8,
  'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12,
  'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15, 'info-reply': 16,
  'address-mask-request': 17, 'address-mask-reply': 18,
};
export const ICMP_CODES: Record<string, number> = {
  'net-unreachable': 0, 'host-unreachable': 1, 'prot-unreachable': 2, 'port-unreachable': 3,
  'frag-needed': 4, 'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
};
export const ICMPV6_TYPES: Record<string, number> = {
  'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4,
  'echo-request': 128, 'echo-reply': 129, 'mld-listener-query': 130, 'mld-listener-report': 131,
  'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133, 'nd-router-advert': 134,
  'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137, 'router-renumbering': 138,
  'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142, 'mld2-listener-report': 143,
};
export const ICMPV6_CODES: Record<string, number> = {
  'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4, 'policy-fail': 5, 'reject-route': 6,
};
export const ICMPX_CODES: Record<string, number> = {
  'no-route': 0, 'port-unreachable': 1, 'host-unreachable': 2, 'admin-prohibited': 3,
};
export const INET_PROTOS: Record<string, number> = {
  ip: 0, hopopt: 0, icmp: 1, igmp: 2, ggp: 3, ipencap: 4, st: 5, tcp: 6, egp: 8, igp: 9, pup: 12, udp: 17,
  hmp: 20, 'xns-idp': 22, rdp: 27, 'iso-tp4': 29, dccp: 33, xtp: 36, ddp: 37, 'idpr-cmtp': 38, ipv6: 41,
  'ipv6-route': 43, 'ipv6-frag': 44, idrp: 45, rsvp: 46, gre: 47, esp: 50, ah: 51, skip: 57, 'ipv6-icmp': 58,
  icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, rspf: 73, vmtp: 81, eigrp: 88, ospf: 89, 'ax.25': 93, ipip: 94,
  etherip: 97, encap: 98, pim: 103, ipcomp: 108, comp: 108, vrrp: 112, l2tp: 115, isis: 124, sctp: 132,
  fc: 133, 'mobility-header': 135, udplite: 136, 'mpls-in-ip': 137, manet: 138, hip: 139, shim6: 140,
  wesp: 141, rohc: 142, ethernet: 143, mptcp: 262,
};
export const SERVICES: Record<string, number> = {
  tcpmux: 1, echo: 7, discard: 9, systat: 11, daytime: 13, netstat: 15, chargen: 19, 'ftp-data': 20, ftp: 21,
  ssh: 22, telnet: 23, smtp: 25, time: 37, whois: 43, tacacs: 49, domain: 53, gopher: 70, finger: 79,
  http: 80, kerberos: 88, 'iso-tsap': 102, 'acr-nema': 104, pop3: 110, sunrpc: 111, auth: 113, nntp: 119,
  ntp: 123, epmap: 135, 'netbios-ns': 137, 'netbios-dgm': 138, 'netbios-ssn': 139, imap2: 143, imap: 143, snmp: 161,
  'snmp-trap': 162, 'cmip-man': 163, 'cmip-agent': 164, mailq: 174, xdmcp: 177, bgp: 179, smux: 199,
  qmtp: 209, z3950: 210, ipx: 213, ptp: 319, 'ptp-event': 319, 'ptp-general': 320, pawserv: 345, zserv: 346, rpc2portmap: 369,
  codaauth2: 370, clearcase: 371, ldap: 389, svrloc: 427, https: 443, snpp: 444, 'microsoft-ds': 445,
  kpasswd: 464, saft: 487, isakmp: 500, rtsp: 554, nqs: 607, 'qmqp': 628, ipp: 631, ldp: 646, exec: 512,
  biff: 512, login: 513, who: 513, shell: 514, syslog: 514, printer: 515, talk: 517, ntalk: 518, route: 520,
  gdomap: 538, uucp: 540, klogin: 543, kshell: 544, 'dhcpv6-client': 546, 'dhcpv6-server': 547, afpovertcp: 548,
  nntps: 563, submissions: 465, submission: 587, ldaps: 636, tinc: 655, silc: 706, 'kerberos-adm': 749,
  domains: 853, 'domain-s': 853, rsync: 873, 'ftps-data': 989, ftps: 990, telnets: 992, imaps: 993, pop3s: 995, socks: 1080,
  proofd: 1093, rootd: 1094, openvpn: 1194, rmiregistry: 1099, lotusnote: 1352, 'ms-sql-s': 1433,
  'ms-sql-m': 1434, ingreslock: 1524, 'datametrics': 1645, 'sa-msg-port': 1646, kermit: 1649, groupwise: 1677,
  l2f: 1701, radius: 1812, 'radius-acct': 1813, 'cisco-sccp': 2000, nfs: 2049, gnunet: 2086, 'rtcm-sc104': 2101,
  'gsigatekeeper': 2119, gris: 2135, 'cvspserver': 2401, venus: 2430, 'venus-se': 2431, codasrv: 2432,
  'codasrv-se': 2433, mon: 2583, dict: 2628, f5: 2627, gsiftp: 2811, gpsd: 2947, gds_db: 3050, icpv2: 3130, isns: 3205,
  iscsi: 3260, mysql: 3306, 'ms-wbt-server': 3389, nut: 3493, distcc: 3632, daap: 3689, svn: 3690, suucp: 4031,
  sysrqd: 4094, sieve: 4190, epmd: 4369, remctl: 4373, 'f5-iquery': 4353, ntske: 4460, ipsec: 4500, 'ipsec-nat-t': 4500,
  iax: 4569, mtn: 4691, 'radmin-port': 4899, sip: 5060, 'sip-tls': 5061, 'xmpp-client': 5222,
  'xmpp-server': 5269, cfengine: 5308, mdns: 5353, postgresql: 5432, freeciv: 5556, amqps: 5671, amqp: 5672,
  x11: 6000, 'x11-1': 6001, 'x11-2': 6002, 'x11-3': 6003, 'x11-4': 6004, 'x11-5': 6005, 'x11-6': 6006, 'x11-7': 6007,
  'gnutella-svc': 6346, 'gnutella-rtr': 6347, 'redis': 6379, 'sge-qmaster': 6444, 'sge-execd': 6445, 'mysql-proxy': 6446,
  'babel': 6696, 'ircs-u': 6697, bbs: 7000, afs3: 7000, 'afs3-fileserver': 7000, 'afs3-callback': 7001,
  'afs3-prserver': 7002, 'afs3-vlserver': 7003, 'afs3-kaserver': 7004, 'afs3-volser': 7005, 'afs3-bos': 7007,
  'afs3-update': 7008, 'afs3-rmtsys': 7009, 'font-service': 7100, 'http-alt': 8080, puppet: 8140, bacula_dir: 9101,
  bacula_fd: 9102, bacula_sd: 9103, xmms2: 9667, nbd: 10809, zabbix_agent: 10050, zabbix_trapper: 10051,
  amanda: 10080, dicom: 11112, hkp: 11371, db_lsp: 17500, dcap: 22125, gsidcap: 22128, wnn6: 22273, 'kerberos4': 750,
  'kerberos-master': 751, 'passwd-server': 752, 'krb-prop': 754, zephyr_srv: 2102, zephyr_clt: 2103, zephyr_hm: 2104,
  iprop: 2121, supfilesrv: 871, supfiledbg: 1127, poppassd: 106, moira_db: 775, moira_update: 777,
  moira_ureg: 779, spamd: 783, skkserv: 1178, predict: 1210, rmtcfg: 1236, xtel: 1313, xtelw: 1314, support: 1529,
  cfinger: 2003, frox: 2121, ninstall: 2150, zebrasrv: 2600, zebra: 2601, ripd: 2602, ripngd: 2603, ospfd: 2604,
  bgpd: 2605, ospf6d: 2606, ospfapi: 2607, isisd: 2608, afbackup: 2988, afmbackup: 2989, fax: 4557, hylafax: 4559,
  distmp3: 4600, munin: 4949, 'enbd-cstatd': 5051, 'enbd-sstatd': 5052, pcrd: 5151, noclog: 5354, hostmon: 5355,
  rplay: 5555, nrpe: 5666, nsca: 5667, mrtd: 5674, bgpsim: 5675, canna: 5680, 'syslog-tls': 6514, sane: 6566,
  'sane-port': 6566, ircd: 6667, 'zope-ftp': 8021, tproxy: 8081, omniorb: 8088, clc: 8990, xinetd: 9098, mandelspawn: 9359,
  git: 9418, zope: 9673, webmin: 10000, kamanda: 10081, amandaidx: 10082, amidxtape: 10083, smsqp: 11201,
  xpilot: 15345, 'sgi-cmsd': 17001, 'sgi-crsd': 17002, 'sgi-gcd': 17003, 'sgi-cad': 17004, binkp: 24554, asp: 27374,
  csync2: 30865, dircproxy: 57000, tfido: 60177, fido: 60179, bootps: 67, bootpc: 68, tftp: 69, 'irc': 194,
  'at-rtmp': 201, 'at-nbp': 202, 'at-echo': 204, 'at-zis': 206, 'imap3': 220, 'ulistserv': 372,
  'www': 80, 'mail': 25, 'nameserver': 42, 'rje': 77, 'link': 87, 'csnet-ns': 105, 'rtelnet': 107, 'sftp': 115,
  'uucp-path': 117, 'loc-srv': 135, 'nfs-nfs': 2049, 'ms-rpc': 135, 'pptp': 1723, 'xmpp': 5222, 'irc-alt': 6667,
  'dns': 53,
};
export const ETHER_TYPES: Record<string, number> = {
  ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100, '8021q': 0x8100, '8021ad': 0x88a8,
};
export const CT_STATES: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
export const CT_STATUS: Record<string, number> = {
  expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512,
};
export const TCP_FLAGS: Record<string, number> = { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16, urg: 32, ecn: 64, cwr: 128 };
export const DSCP: Record<string, number> = {
  cs0: 0, cs1: 8, cs2: 16, cs3: 24, cs4: 32, cs5: 40, cs6: 48, cs7: 56, df: 0, be: 0, lephb: 1,
  af11: 10, af12: 12, af13: 14, af21: 18, af22: 20, af23: 22, af31: 26, af32: 28, af33: 30,
  af41: 34, af42: 36, af43: 38, va: 44, ef: 46,
};
export const ECN: Record<string, number> = { 'not-ect': 0, ect1: 1, ect0: 2, ce: 3 };
export const PKT_TYPES: Record<string, number> = { host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 };
export const NF_PROTOS: Record<string, number> = { ipv4: 2, ipv6: 10 };
export const ARP_OPS: Record<string, number> = {
  request: 1, reply: 2, rrequest: 3, rreply: 4, inrequest: 8, inreply: 9, nak: 10,
};
export const IFACE_TYPES: Record<string, number> = {
  ether: 1, ppp: 512, ipip: 768, ipip6: 769, loopback: 772, sit: 776, ipgre: 778,
};
/** nft knows only the capitalised full names (`meta day sunday` is an error). */
export const DAYS: Record<string, number> = {
  Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6,
};
export const DCCP_TYPES: Record<string, number> = {
  request: 0, response: 1, data: 2, ack: 3, dataack: 4, closereq: 5, close: 6, reset: 7, sync: 8, syncack: 9,
};
export const IGMP_TYPES: Record<string, number> = {
  'membership-query': 0x11, 'membership-report-v1': 0x12, 'membership-report-v2': 0x16,
  'membership-report-v3': 0x22, 'leave-group': 0x17,
};
export const MH_TYPES: Record<string, number> = {
  'binding-refresh-request': 0, 'home-test-init': 1, 'careof-test-init': 2, 'home-test': 3, 'careof-test': 4,
  'binding-update': 5, 'binding-acknowledgement': 6, 'binding-error': 7, 'fast-binding-update': 8,
  'fast-binding-acknowledgement': 9, 'fast-binding-advertisement': 10, 'experimental-mobility-header': 11,
  'home-agent-switch-message': 12,
};
export const FIB_TYPES: Record<string, number> = {
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8,
};
export const CT_DIRS: Record<string, number> = { original: 0, reply: 1 };
export const CT_EVENTS: Record<string, number> = {
  new: 1, related: 2, destroy: 4, reply: 8, assured: 16, protoinfo: 32, helper: 64, mark: 128, seqadj: 256,
  secmark: 512, label: 1024,
};
export const BOOLEAN: Record<string, number> = { exists: 1, missing: 0, true: 1, false: 0 };

/**
 * A dotted-quad IPv4 address. With `aton`, parts with a leading zero are
 * octal, as getaddrinfo() (inet_aton) reads them after inet_pton() refused
 * them (`010.0.0.1` is 8.0.0.1).
 */
function parseIp4(text: string, aton = false): Value | undefined {
  // Scanned by hand, in numbers: this runs for every IPv4 literal, and a regex
  // match plus a bigint per part cost more than the rest of the literal's compile.
  let v = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && text.charCodeAt(i++) !== 46) return undefined; // '.'
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) return undefined;
    // A leading zero: inet_pton refuses it, inet_aton reads octal (`08` is no number).
    const octal = text.charCodeAt(start) === 48 && i - start > 1;
    if (octal && !aton) return undefined;
    let o = 0;
    for (let k = start; k < i; k++) {
      const d = text.charCodeAt(k) - 48;
      if (octal && d > 7) return undefined;
      o = o * (octal ? 8 : 10) + d;
    }
    if (o > 255) return undefined;
    v = v * 256 + o;
  }
  return i === text.length ? { num: BigInt(v) } : undefined;
}

/** Parses an IPv6 address (with `::` and an embedded IPv4 tail) to a 128-bit number. */
export function parseIp6(text: string): bigint | undefined {
  let s = text;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = parseIp4(v4[1]!);
    if (!p || !('num' in p)) return undefined;
    const n = Number(p.num);
    tail = [(n >>> 16) & 0xffff, n & 0xffff];
    s = s.slice(0, -v4[1]!.length) + (s.endsWith('::' + v4[1]) ? '' : '');
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((x) => (/^[0-9a-fA-F]{1,4}$/.test(x) ? parseInt(x, 16) : NaN)));
  const a = parse(halves[0]!);
  const b = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = 8 - tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (a.length + b.length > groups - 1 && !(a.length + b.length <= groups)) return undefined;
    words = [...a, ...new Array(Math.max(0, groups - a.length - b.length)).fill(0), ...b, ...tail];
  } else words = [...a, ...tail];
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) return undefined;
  let v = 0n;
  for (const w of words) v = (v << 16n) | BigInt(w);
  return v;
}

function parseMac(text: string): Value | undefined {
  const m = /^([0-9a-fA-F]{1,2})(?::([0-9a-fA-F]{1,2})){5}$/.test(text);
  if (!m) return undefined;
  let v = 0n;
  for (const p of text.split(':')) v = (v << 8n) | BigInt(parseInt(p, 16));
  return { num: v };
}

function parseString(text: string): Value {
  let s = text;
  let wildcard = false;
  if (s.endsWith('\\*')) s = s.slice(0, -2) + '*';
  else if (s.endsWith('*')) {
    s = s.slice(0, -1);
    wildcard = true;
  }
  return { str: new TextEncoder().encode(s), wildcard };
}

/** `"2024-01-01 00:00:00"` / `"2024-01-01"` → ns since the epoch (UTC, like this machine's TZ). */
function parseTimeOfDate(text: string): Value | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (m) {
    const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
    return { num: BigInt(ms) * 1000000n };
  }
  if (/^\d+$/.test(text)) return { num: BigInt(text) * 1000000000n };
  return undefined;
}

/** The interfaces nft would see when it parses: a fresh network namespace has only `lo`. */
const FRESH_NAMESPACE: ReadonlyMap<string, number> = new Map([['lo', 1]]);
let interfaces: ReadonlyMap<string, number> = FRESH_NAMESPACE;

/**
 * Runs `f` with `iif "eth0"`-style names resolving against `ifaces` (name →
 * ifindex), as nft resolves them against the host it runs on; the default
 * is a fresh namespace (only `lo`), the namespace the fixtures were recorded in.
 */
export function withInterfaces<T>(ifaces: ReadonlyMap<string, number> | undefined, f: () => T): T {
  const saved = interfaces;
  interfaces = ifaces ?? FRESH_NAMESPACE;
  try {
    return f();
  } finally {
    interfaces = saved;
  }
}

/** The ifindex of an interface name on the host being compiled for, if it exists. */
export function ifindexOf(name: string): number | undefined {
  return interfaces.get(name);
}

/** The name of interface `index` on the host being compiled for (nft lists `iif "eth0"` by it), if it exists. */
export function ifnameOf(index: number): string | undefined {
  for (const [name, i] of interfaces) if (i === index) return name;
  return undefined;
}

/** Interface names resolve to their ifindex when the rule is parsed. */
function parseIfindex(text: string, tok: string): Value | string | undefined {
  if (tok !== 'word' && tok !== 'string') return undefined;
  const idx = interfaces.get(text);
  return idx !== undefined ? { num: BigInt(idx) } : 'Interface does not exist';
}

/** Names nft looks up in system databases (services, protocols, users) fail with the lookup's message. */
function nameLookupError(message: string): (text: string, tok: string) => string | undefined {
  return (_text, tok) => (tok === 'word' || tok === 'string' ? message : undefined);
}

function parseHour(text: string): Value | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const h = +m[1]!;
  const mi = +m[2]!;
  const s = +(m[3] ?? 0);
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return { num: BigInt(h * 3600 + mi * 60 + s) };
}

const DT: Datatype[] = [
  t('integer', 0, 'be', 'integer'),
  t('integer_be', 32, 'be', 'integer'),
  t('integer_host', 32, 'host', 'integer'),
  t('ipv4_addr', 32, 'be', 'IPv4 address', { parse: (s, k) => (k === 'ip4' ? parseIp4(s, true) : undefined) }),
  t('ipv6_addr', 128, 'be', 'IPv6 address', { parse: (s, k) => { if (k !== 'ip6' && k !== 'word' && k !== 'mac') return undefined; const v = parseIp6(s); return v === undefined ? undefined : { num: v }; } }),
  t('ether_addr', 48, 'be', 'link layer address', { parse: (s, k) => (k === 'mac' ? parseMac(s) : undefined) }),
  t('ether_type', 16, 'be', 'Ethernet protocol', { symbols: ETHER_TYPES }),
  t('inet_proto', 8, 'be', 'Internet protocol', {
    symbols: INET_PROTOS, rangeError: 'Protocol out of range', parse: nameLookupError('Could not resolve protocol name'),
  }),
  t('inet_service', 16, 'be', 'internet network service', {
    symbols: SERVICES, parse: nameLookupError('Could not resolve service: Servname not supported for ai_socktype'),
  }),
  t('mark', 32, 'host', 'packet mark'),
  t('classid', 32, 'host', 'TC classid', {
    parse: (s) => {
      const m = /^([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(s);
      if (s === 'none') return { num: 0n };
      if (s === 'root') return { num: 0xffffffffn };
      if (!m) return undefined;
      return { num: (BigInt(parseInt(m[1]!, 16)) << 16n) | BigInt(m[2] ? parseInt(m[2], 16) : 0) };
    },
  }),
  t('iface_index', 32, 'host', 'network interface index', { parse: parseIfindex }),
  t('ifname', 128, 'be', 'network interface name', { string: true, parse: (s, k) => (k === 'string' || k === 'word' ? parseString(s) : undefined) }),
  t('iface_type', 16, 'host', 'network interface type', { symbols: IFACE_TYPES }),
  t('uid', 32, 'host', 'user ID', { symbols: { root: 0, daemon: 1, bin: 2, sys: 3, nobody: 65534 }, parse: nameLookupError('User does not exist') }),
  t('gid', 32, 'host', 'group ID', { symbols: { root: 0, daemon: 1, bin: 2, sys: 3, adm: 4, nogroup: 65534 }, parse: nameLookupError('Group does not exist') }),
  t('realm', 32, 'host', 'routing realm', { symbols: { default: 0, unspec: 0, universe: 0 } }),
  t('devgroup', 32, 'host', 'devgroup name', { symbols: { default: 0 } }),
  t('nf_proto', 8, 'host', 'netfilter protocol', { symbols: NF_PROTOS }),
  t('pkt_type', 8, 'host', 'packet type', { symbols: PKT_TYPES }),
  t('boolean', 1, 'host', 'boolean type', { symbols: BOOLEAN }),
  t('time', 64, 'host', 'Relative time', { parse: (s, k) => (k === 'string' ? parseTimeOfDate(s) ?? 'Cannot parse date' : undefined) }),
  t('time32', 32, 'host', 'Relative time', { parse: (s) => { const v = parseTime(s); return v === undefined ? undefined : { num: BigInt(v) }; } }),
  t('day', 8, 'host', 'Day of week of packet reception', { symbols: DAYS, max: 6n }),
  t('hour', 32, 'host', 'Hour of day', { parse: (s) => parseHour(s) ?? 'wrong time format' }),
  t('dscp', 6, 'be', 'Differentiated Services Code Point', { symbols: DSCP }),
  t('ecn', 2, 'be', 'Explicit Congestion Notification', { symbols: ECN }),
  t('tcp_flag', 8, 'be', 'TCP flag', { symbols: TCP_FLAGS, bitmask: true }),
  t('icmp_type', 8, 'be', 'ICMP type', { symbols: ICMP_TYPES }),
  t('icmp_code', 8, 'be', 'icmp code', { symbols: ICMP_CODES }),
  t('icmpv6_type', 8, 'be', 'ICMPv6 type', { symbols: ICMPV6_TYPES }),
  t('icmpv6_code', 8, 'be', 'icmpv6 code', { symbols: ICMPV6_CODES }),
  t('icmpx_code', 8, 'be', 'icmpx code', { symbols: ICMPX_CODES }),
  t('igmp_type', 8, 'be', 'IGMP type', { symbols: IGMP_TYPES }),
  t('arp_op', 16, 'be', 'ARP operation', { symbols: ARP_OPS }),
  t('mh_type', 8, 'be', 'Mobility Header Type', { symbols: MH_TYPES }),
  t('dccp_pkttype', 4, 'be', 'DCCP packet type', { symbols: DCCP_TYPES }),
  t('ct_state', 32, 'host', 'conntrack state', { symbols: CT_STATES, bitmask: true }),
  t('ct_status', 32, 'host', 'conntrack status', { symbols: CT_STATUS, bitmask: true }),
  t('ct_dir', 8, 'host', 'conntrack direction', { symbols: CT_DIRS }),
  t('ct_event', 32, 'host', 'conntrack event bits', { symbols: CT_EVENTS, bitmask: true }),
  t('ct_label', 128, 'host', 'conntrack label', { bitmask: true }),
  t('fib_addrtype', 32, 'host', 'fib address type', { symbols: FIB_TYPES }),
  t('string', 0, 'be', 'string', { string: true, parse: (s, k) => (k === 'string' || k === 'word' ? parseString(s) : undefined) }),
  t('verdict', 32, 'host', 'verdict'),
  t('invalid', 16, 'be', 'invalid'),
];

/** All datatypes by name. */
export const DATATYPES: Record<string, Datatype> = Object.fromEntries(DT.map((d) => [d.name, d]));

/** Aliases nft accepts in `type` declarations of sets. */
export const SET_TYPE_NAMES: Record<string, { type: string; bits: number }> = {
  ipv4_addr: { type: 'ipv4_addr', bits: 32 },
  ipv6_addr: { type: 'ipv6_addr', bits: 128 },
  ether_addr: { type: 'ether_addr', bits: 48 },
  inet_proto: { type: 'inet_proto', bits: 8 },
  inet_service: { type: 'inet_service', bits: 16 },
  mark: { type: 'mark', bits: 32 },
  ifname: { type: 'ifname', bits: 128 },
  iface_index: { type: 'iface_index', bits: 32 },
  ether_type: { type: 'ether_type', bits: 16 },
  ct_state: { type: 'ct_state', bits: 32 },
  ct_status: { type: 'ct_status', bits: 32 },
  ct_label: { type: 'ct_label', bits: 128 },
  icmp_type: { type: 'icmp_type', bits: 8 },
  icmpv6_type: { type: 'icmpv6_type', bits: 8 },
  icmp_code: { type: 'icmp_code', bits: 8 },
  icmpv6_code: { type: 'icmpv6_code', bits: 8 },
  icmpx_code: { type: 'icmpx_code', bits: 8 },
  tcp_flag: { type: 'tcp_flag', bits: 8 },
  pkt_type: { type: 'pkt_type', bits: 8 },
  nf_proto: { type: 'nf_proto', bits: 8 },
  uid: { type: 'uid', bits: 32 },
  gid: { type: 'gid', bits: 32 },
  realm: { type: 'realm', bits: 32 },
  classid: { type: 'classid', bits: 32 },
  devgroup: { type: 'devgroup', bits: 32 },
  day: { type: 'day', bits: 8 },
  hour: { type: 'hour', bits: 32 },
  time: { type: 'time', bits: 64 },
  dscp: { type: 'dscp', bits: 6 },
  ecn: { type: 'ecn', bits: 2 },
  arp_op: { type: 'arp_op', bits: 16 },
  iface_type: { type: 'iface_type', bits: 16 },
  boolean: { type: 'boolean', bits: 1 },
  verdict: { type: 'verdict', bits: 32 },
  integer: { type: 'integer_host', bits: 32 },
  counter: { type: 'integer_host', bits: 32 },
  quota: { type: 'integer_host', bits: 32 },
  limit: { type: 'integer_host', bits: 32 },
  fib_addrtype: { type: 'fib_addrtype', bits: 32 },
  igmp_type: { type: 'igmp_type', bits: 8 },
  dccp_pkttype: { type: 'dccp_pkttype', bits: 4 },
  ct_dir: { type: 'ct_dir', bits: 8 },
  string: { type: 'string', bits: 128 },
};

/** Looks a datatype up by name. */
export function datatype(name: string): Datatype {
  const d = DATATYPES[name];
  if (!d) throw new Error(`internal: unknown datatype ${name}`);
  return d;
}

/**
 * Parses a literal for `type`: number, symbol, address, string.
 * Returns the value or an error message in nft's words.
 */
export function parseLiteral(type: Datatype, text: string, tok: string): Value | string {
  if (type.name === 'invalid') return `Can't parse symbolic invalid expressions`;
  // Quoted numbers are read like nft's datatype parsers do (strtoul/mpz base 0).
  if (tok === 'string' && /^(0[xX][0-9a-fA-F]+|\d+)$/.test(text) && !type.string) {
    const v = numberValue(text);
    if (v !== undefined) text = v.toString();
  }
  // A bad octal port (`08`) goes on to getaddrinfo(), which reads it as decimal.
  if (type.name === 'inet_service' && tok !== 'number' && /^\d+$/.test(text) && /^0\d/.test(text)) {
    text = BigInt(text).toString();
    tok = 'number';
  }
  if (tok === 'number' || (tok === 'string' && /^\d+$/.test(text) && !type.string && !/^0\d/.test(text))) {
    if (type.string) return parseString(text);
    if (type.name === 'hour' || type.name === 'time') {
      if (type.name === 'time') {
        const v = parseTimeOfDate(text);
        if (v) return v;
      }
    }
    if (/^-/.test(text)) return `Could not parse ${type.desc}`;
    // A conntrack label number names one bit of the 128-bit label set.
    if (type.name === 'ct_label') return BigInt(text) < 128n ? { num: 1n << BigInt(text) } : `Could not parse ${type.desc}`;
    return { num: BigInt(text) };
  }
  if (type.symbols && tok !== 'ip4' && tok !== 'ip6') {
    const v = type.symbols[text];
    if (v !== undefined) return { num: BigInt(v) };
  }
  if (type.parse) {
    const v = type.parse(text, tok);
    if (v !== undefined) return v;
  }
  if (type.string) return parseString(text);
  if (type.name === 'ipv4_addr' || type.name === 'ipv6_addr') {
    // nft hands anything else to getaddrinfo(); offline, as in the reference namespace,
    // a literal of the other family is refused and anything else is not found.
    const other = type.name === 'ipv4_addr' ? 'ip6' : 'ip4';
    if (tok === other) return `Could not resolve hostname: Address family for hostname not supported`;
    return `Could not resolve hostname: Name or service not known`;
  }
  if (type.symbols || type.parse) {
    return `Could not parse ${type.desc}`;
  }
  return `Could not parse ${type.desc}`;
}

// Constants of compiled rules (and data operands of decoded ones, bytecode-insn.ts)
// are a few bytes each; an ArrayBuffer apiece was an eighth of a compiled
// 100,000-rule file's heap. They are views of shared 4 KiB buffers instead (a
// view keeps only its own buffer alive).
let slab = new Uint8Array(0);
let slabUsed = 0;

/** `n` zero bytes, for a constant: a view of a shared buffer when small. */
export function smallBytes(n: number): Uint8Array {
  if (n > 64) return new Uint8Array(n);
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(4096);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** One byte, as smallBytes. */
export function byteConst(b: number): Uint8Array {
  const out = smallBytes(1);
  out[0] = b;
  return out;
}

/** Encodes a number as `nbytes` register bytes in the type's byte order. */
export function encodeNum(v: bigint, nbytes: number, order: 'be' | 'host'): Uint8Array {
  const out = smallBytes(nbytes);
  // 32 bits at a time in a plain number: a bigint operation per byte allocates.
  let x = v;
  for (let i = nbytes - 1; i >= 0; i -= 4) {
    let w = x >= 0n && x <= 0xffffffffn ? Number(x) : Number(BigInt.asUintN(32, x));
    for (let k = i; k > i - 4 && k >= 0; k--) {
      out[k] = w & 0xff;
      w >>>= 8;
    }
    if (x >= 0n && x <= 0xffffffffn) break; // the remaining bytes are zero
    x >>= 32n;
  }
  if (order === 'host') out.reverse();
  return out;
}

/** Big-endian bytes → number. */
export function bytesToNum(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
