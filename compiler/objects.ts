// Named stateful objects (counter, quota, limit, ct helper ...) as nft
// prints them in debug output: `table (null) name (null) use 0 [ counter pkts 0 bytes 0 ]`.

import type { ObjDecl } from './ast.js';
import { printInsn } from './insn.js';

/** The debug line of a named object. */
export function objLine(o: ObjDecl): string {
  const head = 'table (null) name (null) use 0 ';
  const s = o.stmt;
  if (o.type === 'counter') {
    const c = s?.k === 'counter' ? s : undefined;
    return head + printInsn({ op: 'counter', pkts: c?.packets ?? 0n, bytes: c?.bytes ?? 0n });
  }
  if (o.type === 'quota' && s?.k === 'quota') return head + printInsn({ op: 'quota', bytes: s.bytes, consumed: 0n, flags: s.over ? 1 : 0 });
  if (o.type === 'limit' && s?.k === 'limit') return head + printInsn({ op: 'limit', rate: s.rate, unit: s.unit, burst: s.burst, bytes: s.bytes, flags: s.over ? 1 : 0 });
  return head + `[ ${o.type} ]`;
}
