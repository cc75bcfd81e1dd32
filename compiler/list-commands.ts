// What `list ...` and `reset counters|quotas ...` commands inside an `nft -f`
// file print (nftables 1.0.6: src/cache.c's cache flags and filter,
// src/evaluate.c's cache updates, src/rule.c do_command_list, do_list_obj and
// do_command_reset; rebuilt from observations, docs/transactions.md). nft
// prints from its cache, not from the kernel: the kernel's state before the
// file, as far as the file's commands made nft fetch it, plus the tables,
// chains, sets and objects the whole file declares (never its rules or
// elements), printed after every command of the file was evaluated.
// `add table ip x` + `list ruleset` → the kernel's tables, then `table ip x {\n}`.

import type { Cmd, ListWhat, ObjDecl } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import type { Span } from './source.js';
import type { CompileResult, Output } from './ruleset.js';
import type { SetDef, SetElem } from './linearize.js';
import { chainText, dynamicSets, flowtableText, handleNote, objText, tableText, type ListOptions } from './list.js';
import { isMap, setDecl } from './list/decl.js';
import { resetTargets, type LChain, type LSet, type LTable } from './list/state.js';
import { resolveHook } from './chain.js';
import { suggest } from './misspell.js';
import { FAMILIES } from './parser/tables.js';

/** What a command printed (in the file's order). */
export interface Printed {
  cmd: Cmd;
  text: string;
}

/** nft's own errors (a list of something its cache lacks: nothing is sent, nothing printed) and what the commands print. */
export interface Listing {
  errors: Diagnostic[];
  printed: Printed[];
}

/** A `list` command (nft's CMD_LIST). */
function isList(c: Cmd): boolean {
  return c.k === 'list' || ('op' in c && c.op === 'list');
}

/** Whether the file has a command that prints. */
export function printsSomething(cmds: Cmd[]): boolean {
  return cmds.some((c) => isList(c) || c.k === 'reset');
}

/** Object types of the plural listings. */
const PLURAL_OBJ: Partial<Record<ListWhat, ObjDecl['type']>> = { counters: 'counter', quotas: 'quota', limits: 'limit', 'ct helpers': 'ct helper' };

/** What nft fetches from the kernel at the start (cache.c): the filter a run of list commands at the end sets, and whether objects are fetched. */
interface Fetch {
  family?: string;
  table?: string;
  chain?: string;
  set?: string;
  objects: boolean;
  /** A `flush ruleset` anywhere in the file: nothing is fetched. */
  flushed: boolean;
}

function fetchOf(cmds: Cmd[]): Fetch {
  let f: Omit<Fetch, 'objects' | 'flushed'> = {};
  let objects = false;
  let flushed = false;
  for (const c of cmds) {
    if (c.k === 'handles') continue;
    // A command other than a listing after the filter was set clears it.
    if (f.table !== undefined && !isList(c)) f = {};
    if (c.k === 'flushRuleset') flushed = true;
    if (c.k === 'rule' || c.k === 'element' || ('op' in c && (c.op === 'delete' || c.op === 'destroy'))) objects = true;
    if (c.k === 'chain' && c.chain.rules.length) objects = true;
    if (!isList(c)) continue;
    // A listing of one table, chain, set or flowtable fetches its table only (and of a chain or a set, only
    // that one of its chains or sets); the other listings leave the filter as it was.
    if (c.k === 'table') f = { ...f, family: c.family, table: c.name };
    else if (c.k === 'chain') f = { ...f, family: c.family, table: c.table, chain: c.chain.name };
    // `list meter` fetches every set of its table.
    else if (c.k === 'set') f = { ...f, family: c.family, table: c.table, set: c.meter ? undefined : c.set.name };
    else if (c.k === 'flowtable') f = { ...f, family: c.family, table: c.table };
    if (c.k !== 'list' || !['tables', 'chains', 'sets', 'maps'].includes(c.what)) objects = true;
  }
  return { ...f, objects, flushed };
}

/** A kernel chain as nft's cache holds it: a base chain always has its policy. */
function cachedChain(ch: LChain): LChain {
  return { ...ch, ...(ch.hook ? { policy: ch.policy ?? 'accept' } : {}) };
}

/** Whether a set is one a rule's `meter` made. */
function isMeter(s: SetDef): boolean {
  return !!s.anonymous && !!(s.flags & 0x20);
}

/** The meters of a kernel table in handle order (without elements: packets fill them). */
function kernelMeters(t: LTable): LSet[] {
  const out: LSet[] = [];
  for (const ch of t.chains.values()) for (const r of ch.rules) r.rule.anonSets.forEach((def, i) => isMeter(def) && out.push({ def, handle: r.anonHandles[i]!, elements: [] }));
  return out.sort((a, b) => a.handle - b.handle);
}

/** The kernel's tables as nft fetched them, and their meters (a rule of the file adds none to the cache). */
function fetch(kernel: LTable[], f: Fetch): { tables: LTable[]; meters: Map<LTable, LSet[]> } {
  const meters = new Map<LTable, LSet[]>();
  if (f.flushed) return { tables: [], meters };
  const tables = kernel
    .filter((t) => f.table === undefined || (t.family === f.family && t.name === f.table))
    .map((k) => {
      const t: LTable = {
        ...k,
        chains: new Map([...k.chains].filter(([n]) => f.chain === undefined || n === f.chain).map(([n, ch]) => [n, cachedChain(ch)] as [string, LChain])),
        sets: new Map([...k.sets].filter(([n]) => f.set === undefined || n === f.set).map(([n, s]) => [n, { ...s, elements: [...s.elements] }] as [string, LSet])),
        objs: f.objects ? k.objs : [],
        flowtables: [...k.flowtables],
      };
      meters.set(t, kernelMeters(k).filter((m) => f.set === undefined || m.def.name === f.set));
      return t;
    });
  return { tables, meters };
}

/** The sets the compiler declared, by the command that declared them. */
function declaredSets(outputs: Output[] | undefined): Map<Cmd, { def: SetDef; elements: SetElem[] }> {
  const out = new Map<Cmd, { def: SetDef; elements: SetElem[] }>();
  let last: Cmd | undefined;
  for (const o of outputs ?? []) {
    if (o.k === 'cmd') last = o.cmd;
    else if (o.k === 'set' && last?.k === 'set' && last.set.name === o.set.name && !out.has(last)) out.set(last, { def: o.set, elements: [...o.elements] });
  }
  return out;
}

/** The words of a command's text with their offsets. */
function words(span: Span): { text: string; start: number; end: number }[] {
  return [...span.src.text.slice(span.start, span.end).matchAll(/[^\s;]+/g)].map((m) => ({ text: m[0], start: span.start + m.index!, end: span.start + m.index! + m[0].length }));
}

/** The span of the table name (`which` 0) or the object name (1) in `list KIND [FAMILY] TABLE NAME`. */
function nameAt(c: Cmd, which: 0 | 1): Span {
  const ws = words(c.span);
  let i = c.k === 'obj' && c.obj.type.startsWith('ct ') ? 3 : 2;
  if (c.k === 'list') i = c.what === 'ct helpers' ? 4 : 3;
  if (ws[i] && FAMILIES.includes(ws[i]!.text)) i++;
  const w = ws[i + which] ?? ws[ws.length - 1]!;
  return { src: c.span.src, start: w.start, end: w.end };
}

const ENOENT = 'No such file or directory';

/**
 * The listing of one transaction file: `kernel` is the running ruleset (the
 * generation before the file; `current` its compile result, for meters),
 * `outputs` the compiler's outputs of the file (for the sets it declares).
 */
export function listCommands(cmds: Cmd[], kernel: LTable[], current: CompileResult | undefined, outputs: Output[] | undefined, opts: ListOptions = {}): Listing {
  const f = fetchOf(cmds);
  const fetched = fetch(kernel, f);
  const cache = new Map(fetched.tables.map((t) => [`${t.family} ${t.name}`, t] as [string, LTable]));
  const meters = (t: LTable) => fetched.meters.get(t) ?? [];
  const sets = declaredSets(outputs);
  const raw = new Set<SetDef>();
  const declared = new Set<ObjDecl>();
  opts = { ...opts, raw, declared };
  const errors: Diagnostic[] = [];
  const tableOf = (family: string, name: string) => cache.get(`${family} ${name}`);
  const missingTable = (c: Cmd, family: string, name: string) => {
    const near = suggest(name, [...cache.values()].filter((t) => t.family !== family || t.name !== name), (t) => t.name);
    errors.push({ span: nameAt(c, 0), message: ENOENT + (near ? `; did you mean table \u2018${near.name}\u2019 in family ${near.family}?` : '') });
  };

  // Evaluation, in order: what the commands declare goes into the cache; a listing needs what it names.
  for (const c of cmds) {
    switch (c.k) {
      case 'table': {
        const key = `${c.family} ${c.name}`;
        if (c.op === 'add' || c.op === 'create') {
          if (!cache.has(key)) cache.set(key, { family: c.family, name: c.name, handle: 0, flags: c.flags ?? [], ...(c.comment !== undefined ? { comment: c.comment } : {}), chains: new Map(), sets: new Map(), objs: [], flowtables: [], next: 0, setOrder: [] });
        } else if (c.op === 'delete' || c.op === 'destroy') cache.delete(key);
        else if (c.op === 'list' && !cache.has(key)) missingTable(c, c.family, c.name);
        break;
      }
      case 'chain': {
        const t = tableOf(c.family, c.table);
        const d = c.chain;
        if (c.op === 'list') {
          if (!t) missingTable(c, c.family, c.table);
          else if (!t.chains.has(d.name)) errors.push({ span: nameAt(c, 1), message: ENOENT });
        } else if (!t) break;
        else if ((c.op === 'add' || c.op === 'create') && !t.chains.has(d.name)) {
          // As the command declares it: no rules, and no policy unless it names one.
          const ch: LChain = { name: d.name, handle: 0, rules: [], ...(d.comment !== undefined ? { comment: d.comment } : {}) };
          if (d.hook) {
            ch.hook = resolveHook(c.family, d.hook);
            ch.policy = d.policy ?? '';
          }
          t.chains.set(d.name, ch);
        } else if (c.op === 'delete' || c.op === 'destroy') t.chains.delete(d.name);
        break;
      }
      case 'set': {
        const t = tableOf(c.family, c.table);
        const name = c.set.name;
        if (c.op === 'list') {
          const s = t?.sets.get(name);
          if (!t) missingTable(c, c.family, c.table);
          else if (c.meter) {
            if (!meters(t).some((m) => m.def.name === name)) {
              // nft suggests a set or map, never a meter.
              const all = [...cache.values()].flatMap((x) => [...x.sets.values()].filter((y) => !y.def.anonymous).map((y) => ({ t: x, s: y })));
              const near = suggest(name, all, (x) => x.s.def.name);
              errors.push({ span: nameAt(c, 1), message: ENOENT + (near ? `; did you mean ${isMap(near.s.def) ? 'map' : 'set'} \u2018${near.s.def.name}\u2019 in table ${near.t.family} \u2018${near.t.name}\u2019?` : '') });
            }
          } else if (!s || isMap(s.def) !== c.set.map) errors.push({ span: nameAt(c, 1), message: ENOENT });
        } else if (!t) break;
        else if (c.op === 'add' || c.op === 'create') {
          const d = sets.get(c);
          if (d && !t.sets.has(name)) {
            t.sets.set(name, { def: d.def, decl: c.set, handle: 0, elements: d.elements });
            raw.add(d.def);
            t.setOrder = [...t.setOrder, d.def];
          }
        } else if (c.op === 'delete' || c.op === 'destroy') t.sets.delete(name);
        else if (c.op === 'flush') {
          const s = t.sets.get(name);
          if (s) t.sets.set(name, { ...s, elements: [] });
        }
        break;
      }
      case 'obj': {
        const t = tableOf(c.family, c.table);
        const same = (o: { decl: ObjDecl }) => o.decl.name === c.obj.name && o.decl.type === c.obj.type;
        if (c.op === 'list') {
          if (!t) missingTable(c, c.family, c.table);
          else if (!t.objs.some(same)) {
            // nft suggests objects of any type.
            const all = [...cache.values()].flatMap((x) => x.objs.map((o) => ({ t: x, o })));
            const near = suggest(c.obj.name, all, (x) => x.o.decl.name);
            errors.push({ span: nameAt(c, 1), message: ENOENT + (near ? `; did you mean obj \u2018${near.o.decl.name}\u2019 in table ${near.t.family} \u2018${near.t.name}\u2019?` : '') });
          }
        } else if (!t) break;
        else if ((c.op === 'add' || c.op === 'create') && !t.objs.some(same)) {
          t.objs = [...t.objs, { decl: c.obj, handle: 0 }];
          declared.add(c.obj);
        } else if (c.op === 'delete' || c.op === 'destroy') t.objs = t.objs.filter((o) => !same(o));
        break;
      }
      case 'flowtable': {
        const t = tableOf(c.family, c.table);
        const same = (x: { decl: { name: string } }) => x.decl.name === c.ft.name;
        if (c.op === 'list') {
          if (!t) missingTable(c, c.family, c.table);
          else if (!t.flowtables.some(same)) errors.push({ span: nameAt(c, 1), message: ENOENT });
        } else if (!t) break;
        else if ((c.op === 'add' || c.op === 'create') && !t.flowtables.some(same)) t.flowtables = [...t.flowtables, { decl: c.ft, handle: 0 }];
        else if (c.op === 'delete' || c.op === 'destroy') t.flowtables = t.flowtables.filter((x) => !same(x));
        break;
      }
      case 'list':
        if (c.table && !tableOf(c.family, c.table)) missingTable(c, c.family, c.table);
        break;
    }
  }
  if (errors.length) return { errors, printed: [] };

  // Execution, in order: every listing sees the cache the whole file left; a reset adds what the kernel
  // answered and nft's cache lacked.
  const printed: Printed[] = [];
  const tables = () => [...cache.values()];
  const inScope = (t: LTable, family?: string, table?: string) => (!family || t.family === family) && (table === undefined || t.name === table);
  const header = (t: LTable) => `table ${t.family} ${t.name} {\n`;
  const h = handleNote(opts);
  const objs = (type: string, family?: string, table?: string, name?: string) => {
    let o = '';
    for (const t of tables()) {
      if (!inScope(t, family, table) || !t.objs.length) continue;
      o += header(t);
      for (const ob of t.objs) if (ob.decl.type === type && (name === undefined || ob.decl.name === name)) o += objText(t, ob, opts);
      o += '}\n';
    }
    return o;
  };
  for (const c of cmds) {
    let text: string | undefined;
    if (c.k === 'reset') {
      for (const { table: k, obj: ob } of resetTargets(kernel, c)) {
        const t = tableOf(k.family, k.name);
        if (t && !t.objs.some((x) => x.decl.name === ob.decl.name && x.decl.type === ob.decl.type)) t.objs = [...t.objs, ob];
      }
      text = objs(c.type, c.family, c.table, c.name);
    } else if (!isList(c)) continue;
    else if (c.k === 'table') {
      const t = tableOf(c.family, c.name);
      text = t ? tableText(t, current, opts) : '';
    } else if (c.k === 'chain') {
      const t = tableOf(c.family, c.table);
      const ch = t?.chains.get(c.chain.name);
      text = t && ch ? header(t) + chainText(t, ch, opts, current) + '}\n' : '';
    } else if (c.k === 'set') {
      const t = tableOf(c.family, c.table);
      const s = c.meter ? t && meters(t).find((m) => m.def.name === c.set.name) : t?.sets.get(c.set.name);
      text = t && s ? header(t) + setDecl(s, h(s.handle), c.meter || dynamicSets(t).has(s.def.name), raw.has(s.def)) + '}\n' : '';
    } else if (c.k === 'obj') text = objs(c.obj.type, c.family, c.table, c.obj.name);
    else if (c.k === 'flowtable') {
      const t = tableOf(c.family, c.table);
      const ft = t?.flowtables.find((x) => x.decl.name === c.ft.name);
      text = t && ft ? header(t) + flowtableText(t, ft, opts) + '}\n' : '';
    } else if (c.k === 'list') {
      // `list sets table ip t` lists every table of the family.
      const scoped = tables().filter((t) => inScope(t, c.family, c.what === 'sets' ? undefined : c.table || undefined));
      const type = PLURAL_OBJ[c.what];
      if (c.what === 'ruleset') text = scoped.map((t) => tableText(t, current, opts)).join('');
      else if (c.what === 'tables') text = scoped.map((t) => `table ${t.family} ${t.name}\n`).join('');
      else if (c.what === 'chains') text = scoped.map((t) => header(t) + [...t.chains.values()].map((ch) => chainText(t, ch, opts, null)).join('') + '}\n').join('');
      else if (c.what === 'meters') text = scoped.map((t) => header(t) + meters(t).map((m) => setDecl(m, h(m.handle), true)).join('') + '}\n').join('');
      else if (c.what === 'flowtables') text = scoped.map((t) => header(t) + t.flowtables.map((ft) => flowtableText(t, ft, opts)).join('') + '}\n').join('');
      else if (c.what === 'sets' || c.what === 'maps') {
        const maps = c.what === 'maps';
        text = scoped.map((t) => {
          const dyn = dynamicSets(t);
          const listed = [...t.sets.values()].filter((x) => !x.def.anonymous && !x.def.objMap && isMap(x.def) === maps);
          return header(t) + listed.map((x) => setDecl(x, h(x.handle), dyn.has(x.def.name), raw.has(x.def))).join('') + '}\n';
        }).join('');
      } else if (type) text = objs(type, c.family, c.table || undefined);
    }
    if (text !== undefined) printed.push({ cmd: c, text });
  }
  return { errors, printed };
}
