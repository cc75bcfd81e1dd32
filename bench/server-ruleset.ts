// The 20-rule stateless `inet` server ruleset that bench/vm.ts times (issue
// 3's "realistic server ruleset") and bench/conntrack.ts times again with
// `ct state established,related accept` in front (what conntrack adds), and
// the host both replay it as.

import type { HostModel } from '../src/engine.js';

/** The benchmarks' host: lo, eth0 192.168.1.10/24 (the default route), eth1 10.0.0.1/8. */
export const SERVER_HOST: HostModel = {
  interfaces: [
    { index: 1, name: 'lo', type: 772, addresses: ['127.0.0.1/8', '::1/128'] },
    { index: 2, name: 'eth0', addresses: ['192.168.1.10/24', '2001:db8:1::10/64'] },
    { index: 3, name: 'eth1', addresses: ['10.0.0.1/8'] },
  ],
  routes: [{ dst: '0.0.0.0/0', oif: 2 }, { dst: '::/0', oif: 2 }],
};

/** The ruleset; `ct` puts `ct state established,related accept` first. */
export function serverRuleset(ct = false): string {
  return `table inet filter {
  set tcp_services { type inet_service; elements = { 22, 25, 80, 110, 143, 443, 465, 587, 993, 995, 8080, 8443 } }
  set udp_services { type inet_service; elements = { 53, 67, 123, 161, 514, 1194 } }
  set blocklist4 { type ipv4_addr; flags interval; elements = { 100.64.0.0/10, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 } }
  set admin4 { type ipv4_addr; flags interval; elements = { 10.10.0.0/16, 172.16.5.0/24 } }
  chain input {
    type filter hook input priority filter; policy drop;
${ct ? '    ct state established,related accept\n' : ''}    iifname "lo" accept
    ip saddr @blocklist4 drop
    ip6 saddr 2001:db8:bad::/48 drop
    ip frag-off & 0x1fff != 0 drop
    tcp flags & (fin | syn) == (fin | syn) drop
    tcp flags & (syn | rst) == (syn | rst) drop
    meta l4proto icmp icmp type { echo-request, echo-reply, destination-unreachable, time-exceeded, parameter-problem } accept
    meta l4proto ipv6-icmp icmpv6 type { echo-request, echo-reply, nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, packet-too-big } accept
    iifname "eth1" ip saddr 10.0.0.0/8 accept
    ip saddr @admin4 tcp dport { 22, 5432, 6379, 9090 } accept
    ip6 saddr fd00::/8 tcp dport { 22, 9090 } accept
    tcp dport @tcp_services accept
    udp dport @udp_services accept
    udp dport 33434-33524 drop
    ip daddr 192.168.1.255 udp dport { 137, 138 } drop
    ip saddr 192.168.1.0/24 udp dport 5353 accept
    ip6 saddr fe80::/10 udp dport { 546, 547 } accept
    ip saddr 192.168.1.0/24 tcp dport 1024-65535 accept
    meta pkttype { broadcast, multicast } drop
    ip protocol igmp drop
  }
}
`;
}

/** A 64-byte Ethernet frame to the server (192.168.1.10): IPv4 + TCP SYN from a random public source and port (`rnd`) to `dport`. */
export function tcpFrame(rnd: () => number, dport: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  const src = [11 + (rnd() % 180), rnd() & 255, rnd() & 255, 1 + (rnd() % 254)];
  f.set([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, 192, 168, 1, 10], 14);
  const sport = 32768 + (rnd() % 28000);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[24] = c >> 8;
  f[25] = c & 255;
  return f;
}
