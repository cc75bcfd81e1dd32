// The meta keys (kernel: enum nft_meta_keys; nftables: src/meta.c):
// number, printed name, register length, datatype. `meta mark` → key 3.

/** One meta key. */
export interface MetaKey {
  key: number;
  print: string;
  bits: number;
  type: string;
}

const k = (key: number, print: string, bits: number, type: string): MetaKey => ({ key, print, bits, type });

/** Meta keys by their nft keyword. */
export const META_KEYS: Record<string, MetaKey> = {
  len: k(0, 'len', 32, 'integer_host'),
  protocol: k(1, 'protocol', 16, 'ether_type'),
  priority: k(2, 'priority', 32, 'classid'),
  mark: k(3, 'mark', 32, 'mark'),
  iif: k(4, 'iif', 32, 'iface_index'),
  oif: k(5, 'oif', 32, 'iface_index'),
  iifname: k(6, 'iifname', 128, 'ifname'),
  oifname: k(7, 'oifname', 128, 'ifname'),
  iiftype: k(8, 'iiftype', 16, 'iface_type'),
  oiftype: k(9, 'oiftype', 16, 'iface_type'),
  skuid: k(10, 'skuid', 32, 'uid'),
  skgid: k(11, 'skgid', 32, 'gid'),
  nftrace: k(12, 'nftrace', 1, 'integer_host'),
  rtclassid: k(13, 'rtclassid', 32, 'realm'),
  secmark: k(14, 'secmark', 32, 'integer_host'),
  nfproto: k(15, 'nfproto', 8, 'nf_proto'),
  l4proto: k(16, 'l4proto', 8, 'inet_proto'),
  ibrname: k(17, 'bri_iifname', 128, 'ifname'),
  obrname: k(18, 'bri_oifname', 128, 'ifname'),
  pkttype: k(19, 'pkttype', 8, 'pkt_type'),
  cpu: k(20, 'cpu', 32, 'integer_host'),
  iifgroup: k(21, 'iifgroup', 32, 'devgroup'),
  oifgroup: k(22, 'oifgroup', 32, 'devgroup'),
  cgroup: k(23, 'cgroup', 32, 'integer_host'),
  random: k(24, 'prandom', 32, 'integer_be'),
  secpath: k(25, 'secpath', 1, 'boolean'),
  iifkind: k(26, 'iifkind', 128, 'ifname'),
  oifkind: k(27, 'oifkind', 128, 'ifname'),
  ibrpvid: k(28, 'bri_iifpvid', 16, 'integer_host'),
  ibrvproto: k(29, 'bri_iifvproto', 16, 'ether_type'),
  time: k(30, 'time', 64, 'time'),
  day: k(31, 'day', 8, 'day'),
  hour: k(32, 'hour', 32, 'hour'),
  sdif: k(33, 'sdif', 32, 'iface_index'),
  sdifname: k(34, 'sdifname', 128, 'ifname'),
  broute: k(35, 'broute', 8, 'integer_host'),
};

/** Meta keys nft also accepts without the `meta` keyword (`mark`, `iif`, ...). */
export const META_BARE = new Set([
  'mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype', 'skuid', 'skgid', 'nftrace', 'rtclassid',
  'ibrname', 'obrname', 'ibriport', 'obriport', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'ipsec',
  'priority', 'time', 'day', 'hour',
]);
