// Declarations in the ruleset listing (nftables: src/rule.c set_print and
// obj_print, src/expression.c set element line breaks, rewritten): named
// sets and maps with their elements, counters, quotas, limits, ct helpers,
// timeouts and expectations, synproxies.
// `set s { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2, 10.0.0.3 } }` → three lines, two addresses a line.

import type { Expr, ObjDecl, SetDecl, TypeSpec } from '../ast.js';
import type { SetDef } from '../linearize.js';
import type { LSet } from './state.js';
import { elementTexts } from '../delinearize/set.js';
import { limitText, byteUnits } from '../delinearize/stmt.js';
import { metaKey } from '../delinearize/keys.js';
import { timeText } from '../delinearize/index.js';
import type { ValueType } from '../delinearize/value.js';
import { TIMEOUT_STATES } from '../objects.js';

function vtsOfSet(s: SetDef): { key: ValueType[]; data?: ValueType[] } {
  const key = (s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }]).map((p) => ({ type: p.type.name, order: p.type.order, bits: p.bits }));
  let data: ValueType[] | undefined;
  if (s.dataType) data = (s.dataParts ?? [{ type: s.dataType, bits: s.dataBits ?? s.dataType.bits }]).map((p) => ({ type: p.type.name, order: p.type.order, bits: p.bits }));
  return { key, data };
}

/** An expression of a `typeof` as nft prints it back from the set's userdata. */
function typeofExpr(e: Expr): string {
  switch (e.k) {
    case 'payload':
      return `${e.proto} ${e.field}`;
    case 'meta':
      return metaKey(e.key).text;
    case 'ct':
      return `ct ${e.dir ? `${e.dir} ` : ''}${e.l3 ? `${e.l3} ` : ''}${e.key}`;
  }
  return e.span.src.text.slice(e.span.start, e.span.end).replace(/\s+/g, ' ');
}

function specText(t: TypeSpec | undefined): string | undefined {
  if (t?.k === 'typeof') return t.exprs.map(typeofExpr).join(' . ');
  return undefined;
}

function typeLine(s: SetDef, d: SetDecl | undefined): string {
  const parts = s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }];
  const key = specText(d?.keyType);
  let t = key ?? parts.map((p) => (p.type.name === 'integer_host' || p.type.name === 'integer_be' ? 'integer' : p.type.name)).join(' . ');
  if (s.objMap) t += ` : ${({ 1: 'counter', 2: 'quota', 4: 'limit' } as Record<number, string>)[s.objMap]}`;
  else if (s.verdictMap) t += ' : verdict';
  else if (s.dataType) t += ` : ${specText(d?.dataType) ?? (s.dataParts ?? [{ type: s.dataType }]).map((p) => p.type.name).join(' . ')}`;
  return `${key !== undefined ? 'typeof' : 'type'} ${t}`;
}

/** Types nft lists five elements a line, and two a line; every other type one a line. */
const FIVE = new Set(['nf_proto', 'integer', 'integer_be', 'integer_host', 'arp_op', 'inet_proto', 'inet_service', 'tcp_flag', 'dccp_pkttype', 'mark', 'iface_index', 'classid', 'uid', 'gid', 'ct_dir']);
const TWO = new Set(['ipv4_addr', 'ct_state', 'ct_status', 'pkt_type']);

/** The elements line(s) of a declaration, wrapped as nft wraps them. */
function elementsBlock(items: string[], perLine: number): string {
  let s = '\t\telements = { ';
  items.forEach((it, i) => {
    if (i > 0) s += i % perLine === 0 ? ',\n\t\t\t     ' : ', ';
    s += it;
  });
  return s + ' }\n';
}

/** Whether a set is a map (listed as `map`; `list map` names one, `list set` a set). */
export function isMap(s: SetDef): boolean {
  return !!(s.dataType || s.objMap);
}

/** A named set or map as listed; `dynset` when a rule adds to it (the kernel then sizes it). */
export function setDecl(ls: LSet, handle: string, dynset: boolean, raw = false): string {
  const s = ls.def;
  const d = ls.decl;
  // The only anonymous sets listed on their own are meters (`list meters`).
  const kind = s.anonymous ? 'meter' : isMap(s) ? 'map' : 'set';
  let o = `\t${kind} ${s.name} {${handle}\n\t\t${typeLine(s, d)}\n`;
  if (d?.policy === 'memory' && !(s.flags & 2)) o += '\t\tpolicy memory\n';
  const size = s.size ?? (dynset ? 65535 : undefined);
  if (size !== undefined && !(s.flags & 2)) o += `\t\tsize ${size}\n`;
  const flags: string[] = [];
  if (s.flags & 2) flags.push('constant');
  if (s.flags & 4) flags.push('interval');
  if (s.flags & 0x20) flags.push('dynamic');
  // A default timeout implies the flag, which is then only named next to others.
  if (s.flags & 0x10 && (s.timeout === undefined || flags.length)) flags.push('timeout');
  if (flags.length) o += `\t\tflags ${flags.join(',')}\n`;
  if (d?.counter) o += '\t\tcounter\n';
  if (s.timeout !== undefined) o += `\t\ttimeout ${timeText(s.timeout)}\n`;
  if (s.gcInterval !== undefined) o += `\t\tgc-interval ${timeText(s.gcInterval)}\n`;
  if (s.autoMerge) o += '\t\tauto-merge\n';
  if (s.comment !== undefined) o += `\t\tcomment "${s.comment}"\n`;
  if (ls.elements.length) {
    const v = vtsOfSet(s);
    // `raw`: an interval set as nft's cache holds the declaration it sent, every start and end a value.
    const plain = raw && v.key.length === 1 && !!(s.flags & 4);
    const def = plain ? { ...s, flags: s.flags & ~4 } : s;
    const elements = plain ? ls.elements.map((e) => ({ ...e, flags: e.flags & ~1 })) : ls.elements;
    const items = elementTexts(def, elements, v.key, v.data, undefined, { counter: !!d?.counter, timeout: s.flags & 0x10 ? s.timeout ?? 0 : undefined });
    const t = v.key.length > 1 ? '' : v.key[0]!.type;
    o += elementsBlock(items, FIVE.has(t) ? 5 : TWO.has(t) ? 2 : 1);
  }
  return o + '\t}\n';
}

const L4: Record<string, string> = { 6: 'tcp', 17: 'udp' };

/** A named object as listed; `l3proto` stands in for a missing one (the table's family, as the kernel fills it in). */
export function objDecl(o: ObjDecl, l3proto: string, handle: string): string {
  const s = o.stmt;
  const p = o.props;
  const proto = p.protocol === undefined ? '' : L4[p.protocol] ?? p.protocol;
  let body = '';
  switch (o.type) {
    case 'counter':
      body = `\t\tpackets ${s?.k === 'counter' ? s.packets ?? 0n : 0n} bytes ${s?.k === 'counter' ? s.bytes ?? 0n : 0n}\n`;
      break;
    case 'quota':
      if (s?.k === 'quota') body = `\t\t${s.over ? 'over ' : ''}${byteUnits(s.bytes)}${s.used ? ` used ${byteUnits(s.used)}` : ''}\n`;
      break;
    case 'limit':
      if (s?.k === 'limit') body = `\t\t${limitText({ op: 'limit', rate: s.rate, unit: s.unit, burst: s.burst, bytes: s.bytes, flags: s.over ? 1 : 0 }).replace(/^limit /, '')}\n`;
      break;
    case 'ct helper':
      body = `\t\ttype "${p.type?.replace(/^"(.*)"$/, '$1')}" protocol ${proto}\n\t\tl3proto ${p.l3proto ?? l3proto}\n`;
      break;
    case 'ct timeout': {
      const states = TIMEOUT_STATES[proto] ?? [];
      const set = new Map((o.policy ?? []).map((x) => [x.state, x.value]));
      const changed = states.filter(([n, def]) => set.has(n) && set.get(n) !== def).map(([n]) => `${n} : ${set.get(n)}`);
      body = `\t\tprotocol ${proto}\n\t\tl3proto ${p.l3proto ?? l3proto}\n\t\tpolicy = { ${changed.join(', ')} }\n`;
      break;
    }
    case 'ct expectation':
      body = `\t\tprotocol ${proto}\n\t\tdport ${p.dport ?? 0}\n\t\ttimeout ${timeText(Number(p.timeout ?? 0))}\n\t\tsize ${p.size ?? 0}\n\t\tl3proto ${p.l3proto ?? l3proto}\n`;
      break;
    case 'synproxy': {
      const flags = ['timestamp', 'sack-perm'].filter((f) => f in p);
      body = `\t\tmss ${p.mss ?? 0}\n\t\twscale ${p.wscale ?? 0}\n${flags.length ? `\t\t${flags.join(' ')}\n` : ''}`;
      break;
    }
    case 'secmark':
      body = `\t\t"${p.context ?? ''}"\n`;
      break;
  }
  const comment = p.comment !== undefined ? `\t\tcomment "${p.comment.replace(/^"(.*)"$/, '$1')}"\n` : '';
  return `\t${o.type} ${o.name} {${handle}\n${comment}${body}\t}\n`;
}
