// The instruction list of one rule, in the kernel's expression vocabulary
// (payload, cmp, bitwise, ...), and its `nft --debug=netlink` text
// (libnftnl's expression printers, rewritten). Example line:
//   [ payload load 2b @ transport header + 2 => reg 1 ]

/** Data words as libnftnl prints them: each 4 bytes as a host-order (LE) u32. */
export function dataWords(b: Uint8Array, prefix = '0x'): string {
  const n = Math.max(1, Math.ceil(b.length / 4));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = (b[i * 4] ?? 0) | ((b[i * 4 + 1] ?? 0) << 8) | ((b[i * 4 + 2] ?? 0) << 16) | ((b[i * 4 + 3] ?? 0) << 24);
    out.push(prefix + (w >>> 0).toString(16).padStart(8, '0'));
  }
  return out.join(' ');
}

/** A verdict as immediate data or set-element data. */
export interface VerdictData {
  verdict: string; // accept, drop, continue, return, jump, goto, queue
  chain?: string;
}

export const BASES = ['link', 'network', 'transport', 'inner'];
export const CMP_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];

/** One kernel expression with its attributes, as nft sends it. */
export type Insn =
  | { op: 'payload'; dreg: number; base: number; offset: number; len: number }
  | { op: 'payload_write'; sreg: number; base: number; offset: number; len: number; csumType: number; csumOff: number; csumFlags: number }
  | { op: 'cmp'; cmp: number; sreg: number; data: Uint8Array }
  | { op: 'range'; neq: boolean; sreg: number; from: Uint8Array; to: Uint8Array }
  | { op: 'bitwise'; sreg: number; dreg: number; len: number; mask: Uint8Array; xor: Uint8Array }
  | { op: 'bitwise_shift'; sreg: number; dreg: number; len: number; left: boolean; shift: number }
  | { op: 'byteorder'; sreg: number; dreg: number; hton: boolean; len: number; size: number }
  | { op: 'meta'; key: string; dreg: number }
  | { op: 'meta_set'; key: string; sreg: number }
  | { op: 'ct'; key: string; dreg: number; dir?: number }
  | { op: 'ct_set'; key: string; sreg: number; dir?: number }
  | { op: 'immediate'; dreg: number; data: Uint8Array }
  | { op: 'immediate_verdict'; v: VerdictData }
  | { op: 'lookup'; sreg: number; set: string; dreg?: number; inv: boolean }
  | { op: 'dynset'; setOp: number; sregKey: number; sregData?: number; set: string; timeout: number; exprs: Insn[] }
  | { op: 'counter'; pkts: bigint; bytes: bigint }
  | { op: 'limit'; rate: bigint; unit: number; burst: bigint; bytes: boolean; flags: number }
  | { op: 'quota'; bytes: bigint; consumed: bigint; flags: number }
  | { op: 'log'; prefix?: string; group?: number; snaplen?: number; qthreshold?: number; level?: number; flags: number }
  | { op: 'reject'; type: number; code: number }
  | { op: 'nat'; kind: 'snat' | 'dnat'; family: 'ip' | 'ip6' | 'inet'; addrMin?: number; addrMax?: number; protoMin?: number; protoMax?: number; flags: number }
  | { op: 'masq'; protoMin?: number; protoMax?: number; flags: number }
  | { op: 'redir'; protoMin?: number; protoMax?: number; flags: number }
  | { op: 'notrack' }
  | { op: 'queue'; num: number; total: number; flags: number; sregQnum?: number }
  | { op: 'objref'; type: number; name: string }
  | { op: 'objref_map'; sreg: number; set: string }
  | { op: 'exthdr'; exop: number; dreg: number; type: number; offset: number; len: number; flags: number }
  | { op: 'exthdr_write'; exop: number; sreg: number; type: number; offset: number; len: number }
  | { op: 'fib'; flags: number; result: number; dreg: number }
  | { op: 'rt'; key: string; dreg: number }
  | { op: 'numgen'; dreg: number; type: number; mod: number; offset: number }
  | { op: 'hash'; dreg: number; type: number; sreg: number; len: number; mod: number; seed: number; offset: number }
  | { op: 'socket'; key: string; dreg: number; level: number }
  | { op: 'osf'; dreg: number; ttl: number; flags: number }
  | { op: 'xfrm'; key: string; dreg: number; dir: number; spnum: number }
  | { op: 'tproxy'; family: number; regAddr?: number; regPort?: number }
  | { op: 'dup'; regAddr?: number; regDev?: number }
  | { op: 'fwd'; regDev: number; regAddr?: number; family?: number }
  | { op: 'synproxy'; mss: number; wscale: number }
  | { op: 'connlimit'; count: number; flags: number }
  | { op: 'last' }
  | { op: 'flow_offload'; name: string }
  /** A ct timeout object's state: seconds per state in the kernel's order, 4 bytes each (little-endian). */
  | { op: 'ct_timeout'; l3proto: number; l4proto: number; timeouts: Uint8Array }
  /** A ct helper object's state: the kernel helper it names. */
  | { op: 'ct_helper'; l3proto: number; l4proto: number; helper: string }
  | { op: 'raw'; text: string };

const LOG_FLAGS: [number, string][] = [[1, 'tcpseq'], [2, 'tcpopt'], [4, 'ipopt'], [8, 'uid'], [0x20, 'macdecode']];
const FAM_NAMES: Record<string, string> = { ip: 'ip', ip6: 'ip6', inet: 'inet' };
// libnftnl names only these ops; sctp chunks print as `exthdr load 1b @ 0 + 0 ...`.
const EXTHDR_OPS = [' ipv6', ' tcpopt', ' ipv4', '', ''];

/** Prints a verdict as libnftnl does (`accept`, `jump -> chain`). */
export function verdictText(v: VerdictData): string {
  if (v.verdict === 'jump' || v.verdict === 'goto') return `${v.verdict} -> ${v.chain}`;
  return v.verdict;
}

/** The `[ ... ]` line of one instruction, without the two leading spaces. */
export function printInsn(i: Insn): string {
  switch (i.op) {
    case 'payload':
      return `[ payload load ${i.len}b @ ${BASES[i.base]} header + ${i.offset} => reg ${i.dreg} ]`;
    case 'payload_write':
      return `[ payload write reg ${i.sreg} => ${i.len}b @ ${BASES[i.base]} header + ${i.offset} csum_type ${i.csumType} csum_off ${i.csumOff} csum_flags 0x${i.csumFlags.toString(16)} ]`;
    case 'cmp':
      return `[ cmp ${CMP_OPS[i.cmp]} reg ${i.sreg} ${dataWords(i.data)} ]`;
    case 'range':
      return `[ range ${i.neq ? 'neq' : 'eq'} reg ${i.sreg} ${dataWords(i.from)} ${dataWords(i.to)} ]`;
    case 'bitwise':
      return `[ bitwise reg ${i.dreg} = ( reg ${i.sreg} & ${dataWords(i.mask)} ) ^ ${dataWords(i.xor)} ]`;
    case 'bitwise_shift':
      return `[ bitwise reg ${i.dreg} = ( reg ${i.sreg} ${i.left ? '<<' : '>>'} 0x${i.shift.toString(16).padStart(8, '0')} ) ]`;
    case 'byteorder':
      return `[ byteorder reg ${i.dreg} = ${i.hton ? 'hton' : 'ntoh'}(reg ${i.sreg}, ${i.size}, ${i.len}) ]`;
    case 'meta':
      return `[ meta load ${i.key} => reg ${i.dreg} ]`;
    case 'meta_set':
      return `[ meta set ${i.key} with reg ${i.sreg} ]`;
    case 'ct':
      return `[ ct load ${ctKeyName(i.key)} => reg ${i.dreg}${i.dir !== undefined ? ` , dir ${i.dir === 0 ? 'original' : 'reply'}` : ''} ]`;
    case 'ct_set':
      return `[ ct set ${ctKeyName(i.key)} with reg ${i.sreg}${i.dir !== undefined ? ` , dir ${i.dir === 0 ? 'original' : 'reply'}` : ''} ]`;
    case 'immediate':
      return `[ immediate reg ${i.dreg} ${dataWords(i.data)} ]`;
    case 'immediate_verdict':
      return `[ immediate reg 0 ${verdictText(i.v)} ]`;
    case 'lookup':
      return `[ lookup reg ${i.sreg} set ${i.set}${i.dreg !== undefined ? ` dreg ${i.dreg}` : ''}${i.inv ? ' 0x1' : ''} ]`;
    case 'dynset': {
      let s = `[ dynset ${['add', 'update', 'delete'][i.setOp]} reg_key ${i.sregKey} set ${i.set}`;
      if (i.sregData !== undefined) s += ` sreg_data ${i.sregData}`;
      if (i.timeout) s += ` timeout ${i.timeout}ms`;
      for (const e of i.exprs) s += ` expr ${printInsn(e)}`;
      return s + ' ]';
    }
    case 'counter':
      return `[ counter pkts ${i.pkts} bytes ${i.bytes} ]`;
    case 'limit':
      return `[ limit rate ${i.rate}/${unitName(i.unit)} burst ${i.burst} type ${i.bytes ? 'bytes' : 'packets'} flags 0x${i.flags.toString(16)} ]`;
    case 'quota':
      return `[ quota bytes ${i.bytes} consumed ${i.consumed} flags ${i.flags} ]`;
    case 'log': {
      let s = '[ log';
      if (i.prefix !== undefined) s += ` prefix ${i.prefix}`;
      if (i.group !== undefined) s += ` group ${i.group} snaplen ${i.snaplen ?? 0} qthreshold ${i.qthreshold ?? 0}`;
      else {
        if (i.level !== undefined) s += ` level ${i.level}`;
        for (const [bit, name] of LOG_FLAGS) if (i.flags & bit) s += ` ${name}`;
      }
      return s + ' ]';
    }
    case 'reject':
      return `[ reject type ${i.type} code ${i.code} ]`;
    case 'nat': {
      let s = `[ nat ${i.kind} ${FAM_NAMES[i.family]}`;
      if (i.addrMin !== undefined) s += ` addr_min reg ${i.addrMin}`;
      if (i.addrMax !== undefined) s += ` addr_max reg ${i.addrMax}`;
      if (i.protoMin !== undefined) s += ` proto_min reg ${i.protoMin}`;
      if (i.protoMax !== undefined) s += ` proto_max reg ${i.protoMax}`;
      if (i.flags) s += ` flags 0x${i.flags.toString(16)}`;
      return s + ' ]';
    }
    case 'masq':
    case 'redir': {
      let s = `[ ${i.op}`;
      if (i.protoMin !== undefined) s += ` proto_min reg ${i.protoMin}`;
      if (i.protoMax !== undefined) s += ` proto_max reg ${i.protoMax}`;
      if (i.flags) s += ` flags 0x${i.flags.toString(16)}`;
      return s + ' ]';
    }
    case 'notrack':
      return '[ notrack ]';
    case 'queue': {
      let s = '[ queue';
      if (i.sregQnum !== undefined) s += ` sreg_qnum ${i.sregQnum}`;
      else s += ` num ${i.num}${i.total > 1 ? `-${i.num + i.total - 1}` : ''}`;
      if (i.flags & 1) s += ' bypass';
      if (i.flags & 2) s += ' fanout';
      return s + ' ]';
    }
    case 'objref':
      return `[ objref type ${i.type} name ${i.name} ]`;
    case 'objref_map':
      return `[ objref sreg ${i.sreg} set ${i.set} ]`;
    case 'exthdr':
      return `[ exthdr load${EXTHDR_OPS[i.exop]} ${i.len}b @ ${i.type} + ${i.offset}${i.flags & 1 ? ' present' : ''} => reg ${i.dreg} ]`;
    case 'exthdr_write':
      return `[ exthdr write${EXTHDR_OPS[i.exop]} reg ${i.sreg} => ${i.len}b @ ${i.type} + ${i.offset} ]`;
    case 'fib':
      return `[ fib ${fibFlags(i.flags)} ${['', 'oif', 'oifname', 'type'][i.result]}${i.flags & 0x20 ? ' present' : ''} => reg ${i.dreg} ]`;
    case 'rt':
      return `[ rt load ${i.key} => reg ${i.dreg} ]`;
    case 'numgen':
      return `[ numgen reg ${i.dreg} = ${i.type ? 'random' : 'inc'} mod ${i.mod}${i.offset ? ` offset ${i.offset}` : ''} ]`;
    case 'hash':
      if (i.type === 1) return `[ hash reg ${i.dreg} = symhash() % mod ${i.mod}${i.offset ? ` offset ${i.offset}` : ''} ]`;
      return `[ hash reg ${i.dreg} = jhash(reg ${i.sreg}, ${i.len}, 0x${(i.seed >>> 0).toString(16)}) % mod ${i.mod}${i.offset ? ` offset ${i.offset}` : ''} ]`;
    case 'socket':
      return `[ socket load ${i.key} => reg ${i.dreg} ${i.key === 'cgroupv2' ? `level ${i.level} ` : ''}]`;
    case 'osf':
      // libnftnl prints only the register of osf, whatever its ttl and flags.
      return `[ osf dreg ${i.dreg} ]`;
    case 'xfrm':
      return `[ xfrm load ${i.dir ? 'out' : 'in'} ${i.spnum} ${i.key} => reg ${i.dreg} ]`;
    case 'tproxy': {
      let s = `[ tproxy${i.family === 2 ? ' ip' : i.family === 10 ? ' ip6' : ''}`;
      if (i.regAddr !== undefined) s += ` addr reg ${i.regAddr}`;
      if (i.regPort !== undefined) s += ` port reg ${i.regPort}`;
      return s + ' ]';
    }
    case 'dup': {
      let s = '[ dup';
      if (i.regAddr !== undefined) s += ` sreg_addr ${i.regAddr}`;
      if (i.regDev !== undefined) s += ` sreg_dev ${i.regDev}`;
      return s + ' ]';
    }
    case 'fwd': {
      let s = `[ fwd sreg_dev ${i.regDev}`;
      if (i.regAddr !== undefined) s += ` sreg_addr ${i.regAddr} nfproto ${i.family}`;
      return s + ' ]';
    }
    case 'synproxy':
      return `[ synproxy mss ${i.mss} wscale ${i.wscale} ]`;
    case 'connlimit':
      return `[ connlimit count ${i.count} flags ${i.flags} ]`;
    case 'last':
      return '[ last never ]';
    case 'flow_offload':
      return `[ flow_offload flowtable ${i.name} ]`;
    case 'ct_timeout': {
      const dv = new DataView(i.timeouts.buffer, i.timeouts.byteOffset, i.timeouts.byteLength);
      const secs = Array.from({ length: i.timeouts.length >> 2 }, (_, k) => dv.getUint32(k * 4, true));
      return `[ ct_timeout family ${i.l3proto} protocol ${i.l4proto} timeouts ${secs.join(',')} ]`;
    }
    case 'ct_helper':
      return `[ ct_helper name ${i.helper} family ${i.l3proto} protocol ${i.l4proto} ]`;
    case 'raw':
      return i.text;
  }
}

// The ct keys libnftnl 1.2 has names for; newer keys (`id`) print as `unknown`.
const CT_KEY_NAMES = new Set([
  'state', 'direction', 'status', 'mark', 'secmark', 'expiration', 'helper', 'l3protocol', 'src', 'dst', 'protocol',
  'proto_src', 'proto_dst', 'label', 'packets', 'bytes', 'avgpkt', 'zone', 'event', 'src_ip', 'dst_ip', 'src_ip6', 'dst_ip6',
]);

function ctKeyName(key: string): string {
  return CT_KEY_NAMES.has(key) ? key : 'unknown';
}

function unitName(u: number): string {
  return ({ 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day', 604800: 'week' } as Record<number, string>)[u] ?? 'second';
}

/** The `saddr . iif` part of a fib expression from its NFTA_FIB_F_* flags, as nft writes it. */
export function fibFlags(f: number): string {
  const names: string[] = [];
  if (f & 1) names.push('saddr');
  if (f & 2) names.push('daddr');
  if (f & 4) names.push('mark');
  if (f & 8) names.push('iif');
  if (f & 0x10) names.push('oif');
  return names.join(' . ');
}
