// Named stateful objects (counter, quota, limit, ct helper ...) as nft
// prints them in debug output (libnftnl's object printers):
// `table (null) name (null) use 0 [ counter pkts 0 bytes 0 ]`.

import * as abi from '../assembly/abi.js';
import type { ObjDecl } from './ast.js';
import { CompileError } from './diagnostics.js';
import { INET_PROTOS } from './datatype.js';

const L3PROTO: Record<string, number> = { ip: 2, ip6: 10, inet: 1, arp: 3, bridge: 7, netdev: 5 };

/** NFT_OBJECT_* by the object keyword of the nft language. */
export const OBJECT_TYPES: Readonly<Record<string, number>> = {
  counter: abi.ObjectType.Counter, quota: abi.ObjectType.Quota, 'ct helper': abi.ObjectType.CtHelper,
  limit: abi.ObjectType.Limit, connlimit: abi.ObjectType.Connlimit, tunnel: abi.ObjectType.Tunnel,
  'ct timeout': abi.ObjectType.CtTimeout, secmark: abi.ObjectType.Secmark,
  'ct expectation': abi.ObjectType.CtExpect, synproxy: abi.ObjectType.Synproxy,
};

/** ct timeout states in kernel order with nft's defaults (seconds). */
export const TIMEOUT_STATES: Record<string, [string, number][]> = {
  tcp: [
    ['syn_sent', 120], ['syn_recv', 60], ['established', 432000], ['fin_wait', 120], ['close_wait', 60],
    ['last_ack', 30], ['time_wait', 120], ['close', 10], ['syn_sent2', 120], ['retrans', 300], ['unack', 300],
  ],
  udp: [['unreplied', 30], ['replied', 120]],
};
/** libnftnl's names and defaults: it prints only values that differ from these (its UDP `replied` is 180). */
const TIMEOUT_PRINT: Record<string, [string, number][]> = {
  tcp: [
    ['SYN_SENT', 120], ['SYN_RECV', 60], ['ESTABLISHED', 432000], ['FIN_WAIT', 120], ['CLOSE_WAIT', 60],
    ['LAST_ACK', 30], ['TIME_WAIT', 120], ['CLOSE', 10], ['SYN_SENT2', 120], ['RETRANS', 300], ['UNACKNOWLEDGED', 300],
  ],
  udp: [['UNREPLIED', 30], ['REPLIED', 180]],
};

/** The L4 protocol number of a ct helper / timeout / expectation object. */
export function proto(o: ObjDecl): number {
  const p = o.props.protocol;
  const v = p === undefined ? undefined : /^\d+$/.test(p) ? Number(p) : INET_PROTOS[p];
  if (v === undefined) throw new CompileError(o.span, p === undefined ? `missing protocol` : `syntax error, unexpected string, expecting udp or tcp`);
  return v;
}

/** The NFPROTO_* number of the object's `l3proto`, undefined when not given. */
export function family(o: ObjDecl): number | undefined {
  const f = o.props.l3proto;
  return f === undefined ? undefined : L3PROTO[f];
}

/** Seconds per state of a ct timeout object in the kernel's order: its policy over nft's defaults. */
export function timeoutValues(o: ObjDecl): number[] {
  const states = TIMEOUT_STATES[o.props.protocol!];
  if (!states) throw new CompileError(o.span, `syntax error, unexpected ${o.props.protocol}, expecting udp or tcp`);
  const vals = states.map(([, d]) => d);
  for (const e of o.policy ?? []) {
    const i = states.findIndex(([n]) => n === e.state);
    if (i < 0) throw new CompileError(e.span, `invalid state for this protocol`);
    vals[i] = e.value;
  }
  return vals;
}

function timeoutPolicy(o: ObjDecl): string {
  const p = o.props.protocol!;
  const states = TIMEOUT_STATES[p];
  const names = TIMEOUT_PRINT[p];
  if (!states || !names) throw new CompileError(o.span, `syntax error, unexpected ${p}, expecting udp or tcp`);
  const vals = states.map(([, d]) => d);
  for (const e of o.policy ?? []) {
    const i = states.findIndex(([n]) => n === e.state);
    if (i < 0) throw new CompileError(e.span, `invalid state for this protocol`);
    vals[i] = e.value;
  }
  return vals.map((v, i) => (v !== names[i]![1] ? `${names[i]![0]} = ${v},` : '')).join('');
}

/** The debug line of a named object. */
export function objLine(o: ObjDecl): string {
  const head = 'table (null) name (null) use 0 ';
  const s = o.stmt;
  const fam = family(o);
  const famText = fam === undefined ? '' : `family ${fam} `;
  switch (o.type) {
    case 'counter': {
      const c = s?.k === 'counter' ? s : undefined;
      return head + `[ counter pkts ${c?.packets ?? 0n} bytes ${c?.bytes ?? 0n} ]`;
    }
    case 'quota':
      if (s?.k !== 'quota') throw new CompileError(o.span, `syntax error, unexpected '}'`);
      return head + `[ quota bytes ${s.bytes} flags ${s.over ? 1 : 0} ]`;
    case 'limit':
      if (s?.k !== 'limit') throw new CompileError(o.span, `syntax error, unexpected '}', expecting rate`);
      return head + `[ limit rate ${s.rate} unit ${s.unit} burst ${s.burst} type ${s.bytes ? 1 : 0} flags ${s.over ? 1 : 0} ]`;
    case 'ct helper':
      return head + `[ ct_helper name ${o.props.type ?? ''} family ${fam ?? 0} protocol ${proto(o)} ]`;
    case 'ct timeout':
      return head + `[ ct_timeout ${famText}protocol ${proto(o)} policy = {${timeoutPolicy(o)}}]`;
    case 'ct expectation':
      return head + `[ ct_expect ${famText}protocol ${proto(o)} dport ${o.props.dport ?? 0} timeout ${o.props.timeout ?? 0} size ${o.props.size ?? 0} ]`;
    case 'synproxy':
      return head + `[ synproxy mss ${o.props.mss ?? 0} wscale ${o.props.wscale ?? 0} ]`;
    case 'secmark':
      return head + `[ secmark context ${o.props.context ?? ''} ]`;
  }
}
