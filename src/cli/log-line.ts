// A `log` record as the kernel's syslog logger prints it (net/netfilter/
// nf_log_syslog.c: dump_ipv4_packet, dump_ipv6_packet, the MAC header):
// `nftvm drop: IN=eth0 OUT= MAC=02:..:08:00 SRC=192.0.2.7 DST=192.0.2.10 LEN=60 ... PROTO=TCP SPT=4242 DPT=23 ...`.
// Options (tcp sequence/options, ip options, uid) are not printed.

import * as abi from '../../assembly/abi.js';
import type { HostModel } from '../host.js';
import type { ReplayItem } from '../replay.js';

const hex2 = (b: number) => b.toString(16).padStart(2, '0');
const be16 = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);

function ip6Text(b: Uint8Array): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(be16(b, i).toString(16));
  // Longest run of zero words becomes '::' (RFC 5952).
  let best = -1, len = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === '0') j++;
    if (j - i > len && j - i > 1) { best = i; len = j - i; }
    i = j;
  }
  if (best < 0) return w.join(':');
  return `${w.slice(0, best).join(':')}::${w.slice(best + len).join(':')}`;
}

function transport(proto: number, t: Uint8Array): string {
  if ((proto === 6 || proto === 17 || proto === 136) && t.length < (proto === 6 ? 20 : 8)) return ` INCOMPLETE [${t.length} bytes] `;
  if (proto === 6) {
    const flags = t[13]!;
    const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
    const set = names.filter((_, i) => flags & (1 << i));
    const order = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'].filter((n) => set.includes(n));
    return `PROTO=TCP SPT=${be16(t, 0)} DPT=${be16(t, 2)} WINDOW=${be16(t, 14)} RES=0x${hex2(t[12]! & 0x0f)} ${order.map((n) => n + ' ').join('')}URGP=${be16(t, 18)} `;
  }
  if (proto === 17 || proto === 136) return `PROTO=${proto === 17 ? 'UDP' : 'UDPLITE'} SPT=${be16(t, 0)} DPT=${be16(t, 2)} LEN=${be16(t, 4)} `;
  if (proto === 1 || proto === 58) {
    const name = proto === 1 ? 'ICMP' : 'ICMPv6';
    if (t.length < 4) return `PROTO=${name} INCOMPLETE [${t.length} bytes] `;
    let s = `PROTO=${name} TYPE=${t[0]} CODE=${t[1]} `;
    const echo = proto === 1 ? t[0] === 0 || t[0] === 8 : t[0] === 128 || t[0] === 129;
    if (echo && t.length >= 8) s += `ID=${be16(t, 4)} SEQ=${be16(t, 6)} `;
    return s;
  }
  return `PROTO=${proto} `;
}

/** The log line of `item` at `hook`, after the rule's prefix. */
export function logLine(item: ReplayItem, hook: number, prefix: string, host: HostModel): string {
  const name = (i: number | undefined) => (i ? host.interfaces.find((x) => x.index === i)?.name ?? String(i) : '');
  const d = item.desc;
  const inHook = hook === abi.InetHook.Prerouting || hook === abi.InetHook.Input || hook === abi.InetHook.Ingress || hook === abi.InetHook.Forward;
  const outHook = hook === abi.InetHook.Output || hook === abi.InetHook.Postrouting || hook === abi.InetHook.Forward;
  let s = `${prefix}IN=${inHook ? name(d.iif) : ''} OUT=${outHook ? name(d.oif) : ''} `;
  if (item.nh > 0 && inHook) s += `MAC=${Array.from(d.data.subarray(0, item.nh), hex2).join(':')} `;
  const b = d.data.subarray(item.nh);
  if (item.ethertype === 0x0800 && b.length >= 20) {
    const ff = be16(b, 6);
    s += `SRC=${b.subarray(12, 16).join('.')} DST=${b.subarray(16, 20).join('.')} LEN=${be16(b, 2)} TOS=0x${hex2(b[1]! & 0xfc)} PREC=0x${hex2(b[1]! & 0xe0)} TTL=${b[8]} ID=${be16(b, 4)} `;
    if (ff & 0x8000) s += 'CE ';
    if (ff & 0x4000) s += 'DF ';
    if (ff & 0x2000) s += 'MF ';
    if (ff & 0x1fff) return s + `FRAG:${ff & 0x1fff} PROTO=${b[9]} `;
    return s + transport(b[9]!, b.subarray((b[0]! & 15) * 4));
  }
  if (item.ethertype === 0x86dd && b.length >= 40) {
    const tc = ((b[0]! & 15) << 4) | (b[1]! >> 4);
    s += `SRC=${ip6Text(b.subarray(8, 24))} DST=${ip6Text(b.subarray(24, 40))} LEN=${be16(b, 4) + 40} TC=${tc} HOPLIMIT=${b[7]} FLOWLBL=${((b[1]! & 15) << 16) | be16(b, 2)} `;
    return s + transport(b[6]!, b.subarray(40));
  }
  return s + `PROTO=0x${item.ethertype.toString(16).padStart(4, '0')} `;
}
