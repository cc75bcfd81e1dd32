// One-line summaries of the reply a reject built (Engine BatchResult.rejectReply):
// `10.99.1.1 > 10.99.1.2 tcp 5001 > 50001 rst,ack seq 0 ack 101 (40 bytes)`,
// `10.99.1.1 > 10.99.1.2 icmp port-unreachable, quoting 29 bytes (57 bytes)`,
// or why the kernel sends nothing (`no reply: rst in reply to a rst`).

import * as abi from '../../assembly/abi.js';
import type { RejectReply } from '../engine.js';

const SKIP: Record<number, string> = {
  [abi.RejectSkip.Fragment]: 'not the first fragment',
  [abi.RejectSkip.NotTcp]: 'not a tcp segment',
  [abi.RejectSkip.Rst]: 'rst in reply to a rst',
  [abi.RejectSkip.BadChecksum]: 'bad checksum',
  [abi.RejectSkip.IcmpError]: 'no icmp error about an icmp error',
  [abi.RejectSkip.NotUnicast]: 'broadcast, multicast or not for this host',
  [abi.RejectSkip.NoSpace]: 'record area full',
  [abi.RejectSkip.Malformed]: 'malformed or not ip',
  [abi.RejectSkip.NoRoute]: 'no route back to the sender',
};

const ICMP4 = ['net-unreachable', 'host-unreachable', 'prot-unreachable', 'port-unreachable', 'frag-needed', 'src-route-failed', 'net-unknown', 'host-unknown', 'host-isolated', 'net-prohibited', 'host-prohibited', 'net-tos-unreachable', 'host-tos-unreachable', 'admin-prohibited'];
const ICMP6 = ['no-route', 'admin-prohibited', 'beyond-scope', 'addr-unreachable', 'port-unreachable', 'policy-fail', 'reject-route'];

function ip4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ip6(b: Uint8Array, o: number): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[o + i]! << 8) | b[o + i + 1]!).toString(16));
  // The longest run of zero words (two or more) becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && w[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  if (best < 0) return w.join(':');
  return `${w.slice(0, best).join(':')}::${w.slice(best + bestLen).join(':')}`;
}

/** The summary of a reject's reply. */
export function rejectReplyText(r: RejectReply | undefined): string {
  if (!r) return 'no reply built';
  if ('skip' in r) return `no reply: ${SKIP[r.skip] ?? `reason ${r.skip}`}`;
  const b = r.bytes;
  const v6 = r.family === abi.Family.Ipv6;
  const hl = v6 ? 40 : (b[0]! & 15) * 4;
  const proto = v6 ? b[6]! : b[9]!;
  const addrs = v6 ? `${ip6(b, 8)} > ${ip6(b, 24)}` : `${ip4(b, 12)} > ${ip4(b, 16)}`;
  const u16 = (o: number) => (b[o]! << 8) | b[o + 1]!;
  const u32 = (o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  let what: string;
  if (proto === 6) {
    const f = b[hl + 13]!;
    what = `tcp ${u16(hl)} > ${u16(hl + 2)} ${f & 0x10 ? 'rst,ack' : 'rst'} seq ${u32(hl + 4)} ack ${u32(hl + 8)}`;
  } else if (proto === 1 || proto === 58) {
    const c = b[hl + 1]!;
    what = `${v6 ? 'icmpv6' : 'icmp'} ${(v6 ? ICMP6 : ICMP4)[c] ?? `unreachable code ${c}`}, quoting ${b.length - hl - 8} bytes`;
  } else what = `protocol ${proto}`;
  return `${addrs} ${what} (${b.length} bytes)`;
}
