// The ruleset listing (nftables: src/rule.c table_print, chain_print,
// set_print, obj_print, rewritten): tables with their objects, sets and
// chains, every rule printed back from its bytecode by compiler/delinearize.
// `nft -f FILE; nft list ruleset` ≡ listRuleset(compileRuleset(FILE)).

import type { CompileResult, CompiledRule } from './ruleset.js';
import type { SetDef } from './linearize.js';
import type { FlowtableDecl, ObjDecl } from './ast.js';
import { delinearizeRule, type DCtx } from './delinearize/index.js';
import { replayRuleset, type LChain, type LTable } from './list/state.js';
import { objDecl, setDecl } from './list/decl.js';

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

/** The rule's text as listed: statements, then the comment. */
export function ruleText(r: CompiledRule, sets: Map<string, SetDef>, extra: Pick<DCtx, 'counterSets' | 'unlisted'> = {}): string {
  let t = delinearizeRule(r.insns, r.anonSets, { family: r.family, sets, ...extra });
  if (r.comment !== undefined) t += `${t ? ' ' : ''}comment "${r.comment}"`;
  return t;
}

/** Options of the listing: `handles` is `nft -a`. */
export interface ListOptions {
  handles?: boolean;
  /** Named objects to list as given here instead (live counter and quota values). */
  objects?: ReadonlyMap<ObjDecl, ObjDecl>;
  /** Interval sets to list as nft's cache holds a declaration it sent: every start and end a value (compiler/list-commands.ts). */
  raw?: ReadonlySet<SetDef>;
  /** Named objects nft's cache holds as the file declared them: a missing l3proto is `unknown` (the kernel fills it in). */
  declared?: ReadonlySet<ObjDecl>;
}

/** The ` # handle N` an item is listed with under `nft -a` (opts.handles), else nothing. */
export function handleNote(opts: ListOptions): (n: number) => string {
  return (n) => (opts.handles ? ` # handle ${n}` : '');
}

/** Prints a compiled ruleset as `nft [-a] list ruleset` does after loading it. */
export function listRuleset(r: CompileResult, opts: ListOptions = {}): string {
  let o = '';
  for (const t of replayRuleset(r)) o += tableText(t, r, opts);
  return o;
}

/** A named object of `t` as listed. */
export function objText(t: LTable, ob: { decl: ObjDecl; handle: number }, opts: ListOptions): string {
  return objDecl(opts.objects?.get(ob.decl) ?? ob.decl, opts.declared?.has(ob.decl) ? 'unknown' : t.family, handleNote(opts)(ob.handle));
}

/**
 * A flowtable of `t` as listed. Its devices are not: nft 1.0.6 printed none
 * for flowtables a file declared (the recording kernel has no flowtables, so
 * how it lists the kernel's own is unrecorded).
 */
export function flowtableText(t: LTable, ft: { decl: FlowtableDecl; handle: number }, opts: ListOptions): string {
  const d = ft.decl;
  const hook = d.hook ?? 'ingress';
  let o = `\tflowtable ${d.name} {${handleNote(opts)(ft.handle)}\n\t\thook ${hook} priority ${prioText(t.family, hook, d.prio)}\n`;
  if (d.flags.length) o += `\t\tflags ${d.flags.join(',')}\n`;
  if (d.counter) o += '\t\tcounter\n';
  return o + '\t}\n';
}

/** Sets rules of `t` may name: its named sets and those a rule creates itself (meters, only in the compiler's table). */
function tableSets(t: LTable, r: CompileResult | undefined): Map<string, SetDef> {
  return new Map([...(r?.tables.get(`${t.family} ${t.name}`)?.sets ?? []), ...[...t.sets].map(([k, v]) => [k, v.def] as const)]);
}

/** How the rules of `t` print: sets nft cannot read back and sets with counters. */
function ruleExtra(t: LTable): Pick<DCtx, 'counterSets' | 'unlisted'> {
  // nft 1.0.6 cannot read back a set keyed by ct label (datatype 30) and stops reading the table's sets
  // there: lookups in it and every later set are left out of the listing.
  const bad = t.setOrder.findIndex((x) => (x.keyParts ?? [{ type: x.keyType }]).some((p) => p.type.name === 'ct_label'));
  const unlisted = new Set(bad < 0 ? [] : t.setOrder.slice(bad));
  const counterSets = new Set([...t.sets.values()].filter((x) => x.decl?.counter).map((x) => x.def.name));
  return { counterSets, unlisted };
}

/** Sets that rules of `t` fill (`add @s`, `update @s`): listed with a size. */
export function dynamicSets(t: LTable): Set<string> {
  const dynsets = new Set<string>();
  for (const ch of t.chains.values()) for (const lr of ch.rules) for (const i of lr.rule.insns) if (i.op === 'dynset') dynsets.add(i.set);
  return dynsets;
}

/**
 * A chain as listed, with its rules when `r` is given (the compile result
 * for meters; null: none). A policy of '' is not printed: a chain nft's
 * cache took from a command that named none (compiler/list-commands.ts).
 */
export function chainText(t: LTable, ch: LChain, opts: ListOptions, r: CompileResult | undefined | null): string {
  const h = handleNote(opts);
  let c = `\tchain ${ch.name} {${h(ch.handle)}\n`;
  if (ch.comment !== undefined) c += `\t\tcomment "${ch.comment}"\n`;
  if (ch.hook) {
    const hk = ch.hook;
    const dev = hk.devices.length === 1 ? ` device "${hk.devices[0]}"` : hk.devices.length ? ` devices = { ${hk.devices.map((d) => `"${d}"`).join(', ')} }` : '';
    const policy = ch.policy === '' ? '' : ` policy ${ch.policy ?? 'accept'};`;
    c += `\t\ttype ${hk.type} hook ${hk.hook}${dev} priority ${prioText(t.family, hk.hook, hk.prio)};${policy}\n`;
  }
  if (r !== null) {
    const sets = tableSets(t, r);
    const extra = ruleExtra(t);
    for (const rule of ch.rules) c += `\t\t${ruleText(rule.rule, sets, extra)}${h(rule.handle)}\n`;
  }
  return c + '\t}\n';
}

/** A table as `nft list ruleset` and `nft list table` print it. */
export function tableText(t: LTable, r: CompileResult | undefined, opts: ListOptions = {}): string {
  const h = handleNote(opts);
  const items: string[] = [];
  const dynsets = dynamicSets(t);
  for (const ob of t.objs) items.push(objText(t, ob, opts));
  for (const s of t.sets.values()) if (!s.def.anonymous) items.push(setDecl(s, h(s.handle), dynsets.has(s.def.name), !!opts.raw?.has(s.def)));
  for (const ch of t.chains.values()) items.push(chainText(t, ch, opts, r));
  let head = '';
  if (t.flags.length) head += `\tflags ${t.flags.join(',')}\n`;
  if (t.comment !== undefined) head += `\tcomment "${t.comment}"\n`;
  if (t.flags.length && items.length) head += '\n';
  return `table ${t.family} ${t.name} {${h(t.handle)}\n${head}${items.join('\n')}}\n`;
}
