// The ruleset listing (nftables: src/rule.c table_print, chain_print,
// set_print, obj_print, rewritten): tables with their objects, sets and
// chains, every rule printed back from its bytecode by compiler/delinearize.
// `nft -f FILE; nft list ruleset` ≡ listRuleset(compileRuleset(FILE)).

import type { CompileResult, CompiledRule } from './ruleset.js';
import type { ObjDecl } from './ast.js';
import type { SetDef, SetElem } from './linearize.js';
import { delinearizeRule } from './delinearize/index.js';
import { replayRuleset } from './list/state.js';
import { elementTexts } from './delinearize/set.js';
import { limitText, byteUnits } from './delinearize/stmt.js';
import { timeText } from './delinearize/index.js';
import type { ValueType } from './delinearize/value.js';

const STD_PRIO: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIO: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

/** `filter`, `filter + 10`, `-100`: a numeric priority as nft names it for this family and hook. */
export function prioText(family: string, hook: string, prio: number): string {
  const table = family === 'bridge' ? BRIDGE_PRIO : family === 'netdev' || family === 'arp' ? { filter: 0 } : STD_PRIO;
  const valid = (name: string) => {
    if (family === 'bridge') return name === 'filter' || (name === 'dstnat' && hook === 'prerouting') || (name === 'srcnat' && hook === 'postrouting') || (name === 'out' && hook === 'output');
    if (name === 'dstnat') return hook === 'prerouting';
    if (name === 'srcnat') return hook === 'postrouting';
    return true;
  };
  let best: string | undefined;
  for (const [name, v] of Object.entries(table)) {
    if (!valid(name)) continue;
    const d = prio - v;
    if (Math.abs(d) <= 10 && (best === undefined || Math.abs(d) < Math.abs(prio - table[best]!))) best = name;
  }
  if (best === undefined) return String(prio);
  const d = prio - table[best]!;
  return d === 0 ? best : d > 0 ? `${best} + ${d}` : `${best} - ${-d}`;
}

function vtsOfSet(s: SetDef): { key: ValueType[]; data?: ValueType[] } {
  const key = (s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }]).map((p) => ({ type: p.type.name, order: p.type.order, bits: p.bits }));
  let data: ValueType[] | undefined;
  if (s.dataType) data = (s.dataParts ?? [{ type: s.dataType, bits: s.dataBits ?? s.dataType.bits }]).map((p) => ({ type: p.type.name, order: p.type.order, bits: p.bits }));
  return { key, data };
}

function typeName(s: SetDef): string {
  const parts = s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }];
  let t = parts.map((p) => (p.type.name === 'integer_host' || p.type.name === 'integer_be' ? 'integer' : p.type.name)).join(' . ');
  if (s.objMap) t += ` : ${({ 1: 'counter', 2: 'quota', 4: 'limit' } as Record<number, string>)[s.objMap]}`;
  else if (s.verdictMap) t += ' : verdict';
  else if (s.dataType) t += ` : ${(s.dataParts ?? [{ type: s.dataType }]).map((p) => p.type.name).join(' . ')}`;
  return t;
}

/** The elements line(s) of a set declaration, wrapped as nft wraps them. */
function elementsBlock(items: string[], perLine: number): string {
  let s = '\t\telements = { ';
  items.forEach((it, i) => {
    if (i > 0) s += i % perLine === 0 ? ',\n\t\t\t     ' : ', ';
    s += it;
  });
  return s + ' }\n';
}

function setDecl(s: SetDef, elements: SetElem[], handle: string): string {
  const kind = s.dataType || s.objMap ? 'map' : 'set';
  let o = `\t${kind} ${s.name} {${handle}\n\t\ttype ${typeName(s)}\n`;
  const flags: string[] = [];
  if (s.flags & 2) flags.push('constant');
  if (s.flags & 4) flags.push('interval');
  if (s.flags & 0x20) flags.push('dynamic');
  if (s.flags & 0x10 && s.timeout === undefined) flags.push('timeout');
  if (s.size !== undefined && !(s.flags & 2)) o += `\t\tsize ${s.size}\n`;
  if (flags.length) o += `\t\tflags ${flags.join(',')}\n`;
  if (s.timeout !== undefined) o += `\t\ttimeout ${timeText(s.timeout)}\n`;
  if (s.gcInterval !== undefined) o += `\t\tgc-interval ${timeText(s.gcInterval)}\n`;
  if (s.autoMerge) o += '\t\tauto-merge\n';
  if (s.comment !== undefined) o += `\t\tcomment "${s.comment}"\n`;
  if (elements.length) {
    const v = vtsOfSet(s);
    const items = elementTexts(s, elements, v.key, v.data);
    const bits = v.key.reduce((a, k) => a + Math.ceil(k.bits / 32) * 32, 0);
    const symbolic = ['icmp_type', 'icmpv6_type', 'ct_state', 'ifname', 'string', 'ct_status'].includes(v.key[0]!.type);
    const perLine = symbolic || bits > 32 ? 1 : bits <= 16 ? 1000 : 2;
    o += elementsBlock(items, perLine);
  }
  return o + '\t}\n';
}

function objDecl(o: ObjDecl, handle: string): string {
  const s = o.stmt;
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
    default:
      return '';
  }
  const comment = (o as ObjDecl & { comment?: string }).comment;
  return `\t${o.type} ${o.name} {${handle}\n${comment !== undefined ? `\t\tcomment "${comment}"\n` : ''}${body}\t}\n`;
}

/** The rule's text as listed: statements, then the comment. */
export function ruleText(r: CompiledRule, sets: Map<string, SetDef>): string {
  let t = delinearizeRule(r.insns, r.anonSets, { family: r.family, sets });
  if (r.comment !== undefined) t += `${t ? ' ' : ''}comment "${r.comment}"`;
  return t;
}

/** Options of the listing: `handles` is `nft -a`. */
export interface ListOptions {
  handles?: boolean;
}

/** Prints a compiled ruleset as `nft [-a] list ruleset` does after loading it. */
export function listRuleset(r: CompileResult, opts: ListOptions = {}): string {
  const h = (n: number) => (opts.handles ? ` # handle ${n}` : '');
  let o = '';
  for (const t of replayRuleset(r)) {
    // Sets a rule creates itself (meters) exist only in the compiler's table.
    const sets = new Map([...(r.tables.get(`${t.family} ${t.name}`)?.sets ?? []), ...[...t.sets].map(([k, v]) => [k, v.def] as const)]);
    const items: string[] = [];
    for (const ob of t.objs) {
      const text = objDecl(ob.decl, h(ob.handle));
      if (text) items.push(text);
    }
    for (const s of t.sets.values()) if (!s.def.anonymous) items.push(setDecl(s.def, s.elements, h(s.handle)));
    for (const ch of t.chains.values()) {
      let c = `\tchain ${ch.name} {${h(ch.handle)}\n`;
      if (ch.comment !== undefined) c += `\t\tcomment "${ch.comment}"\n`;
      if (ch.hook) {
        const hk = ch.hook;
        const dev = hk.devices.length === 1 ? ` device "${hk.devices[0]}"` : hk.devices.length ? ` devices = { ${hk.devices.map((d) => `"${d}"`).join(', ')} }` : '';
        c += `\t\ttype ${hk.type} hook ${hk.hook}${dev} priority ${prioText(t.family, hk.hook, hk.prio)}; policy ${ch.policy ?? 'accept'};\n`;
      }
      for (const rule of ch.rules) c += `\t\t${ruleText(rule.rule, sets)}${h(rule.handle)}\n`;
      items.push(c + '\t}\n');
    }
    let head = '';
    if (t.comment !== undefined) head += `\tcomment "${t.comment}"\n`;
    if (t.flags.length) head += `\tflags ${t.flags.join(',')}\n${items.length ? '\n' : ''}`;
    o += `table ${t.family} ${t.name} {${h(t.handle)}\n${head}${items.join('\n')}}\n`;
  }
  return o;
}
