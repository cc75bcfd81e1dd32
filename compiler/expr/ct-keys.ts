// The ct keys (kernel: enum nft_ct_keys; nftables: src/ct.c): printed
// name, register width, datatype and whether a direction is required.
// `ct original saddr` → key src, dir original.

/** One conntrack key. */
export interface CtKey {
  key: number;
  print: string;
  bits: number;
  type: string;
  needDir?: boolean;
  addr?: boolean;
}

const k = (key: number, print: string, bits: number, type: string, extra: Partial<CtKey> = {}): CtKey => ({ key, print, bits, type, ...extra });

/** ct keys by nft keyword. */
export const CT_KEYS: Record<string, CtKey> = {
  state: k(0, 'state', 32, 'ct_state'),
  direction: k(1, 'direction', 8, 'ct_dir'),
  status: k(2, 'status', 32, 'ct_status'),
  mark: k(3, 'mark', 32, 'mark'),
  secmark: k(4, 'secmark', 32, 'integer_host'),
  expiration: k(5, 'expiration', 32, 'time32'),
  helper: k(6, 'helper', 128, 'string'),
  l3proto: k(7, 'l3protocol', 8, 'nf_proto'),
  saddr: k(8, 'src', 32, 'ipv4_addr', { addr: true }),
  daddr: k(9, 'dst', 32, 'ipv4_addr', { addr: true }),
  protocol: k(10, 'protocol', 8, 'inet_proto'),
  'proto-src': k(11, 'proto_src', 16, 'inet_service', { needDir: true }),
  'proto-dst': k(12, 'proto_dst', 16, 'inet_service', { needDir: true }),
  label: k(13, 'label', 128, 'ct_label'),
  packets: k(14, 'packets', 64, 'integer_host'),
  bytes: k(15, 'bytes', 64, 'integer_host'),
  avgpkt: k(16, 'avgpkt', 64, 'integer_host'),
  zone: k(17, 'zone', 16, 'integer_host'),
  event: k(18, 'event', 32, 'ct_event'),
  id: k(23, 'id', 32, 'integer_be'),
};
