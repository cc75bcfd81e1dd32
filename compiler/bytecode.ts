// The binary bytecode image of a compiled ruleset (docs/bytecode.md): what
// the VM loads instead of the kernel's netlink batch. Tables, chains, sets
// with their elements, objects and rules in little-endian sections; rules
// point into one code section of fixed-layout instruction records.
// `encodeBytecode(programOf(compileRuleset(src)))` → Uint8Array starting "NFTV".

import * as abi from '../assembly/abi.js';
import { NONE32, NONE8, Section } from '../assembly/abi.js';
import { BytecodeError, Reader, Writer } from './bytecode-io.js';
import { decodeInsn, encodeInsn, recordSize, type DecodeRefs, type EncodeRefs } from './bytecode-insn.js';
import type { Insn } from './insn.js';
import type { SetDef, SetElem } from './linearize.js';
import type { CompileResult } from './ruleset.js';
import { decodeElement, encodeElement } from './bytecode-elem.js';

export { BytecodeError };

/** A table. */
export interface ProgTable {
  family: string;
  name: string;
}

/** A chain; base chains carry their hook. */
export interface ProgChain {
  table: number;
  name: string;
  handle: number;
  hook?: { type: string; hook: string; prio: number; devices: string[] };
  policy?: string;
}

/** A set or map (named, anonymous or a meter) with its elements. */
export interface ProgSet {
  table: number;
  name: string;
  handle: number;
  /** NFT_SET_* flags as sent to the kernel. */
  flags: number;
  anonymous: boolean;
  /** One entry per concatenated field: datatype name and length in bytes (unpadded). */
  key: { type: string; len: number }[];
  /** Data of a map or verdict map (`verdict`). */
  data?: { type: string; len: number };
  /** NFT_OBJECT_* type of an object map. */
  objType?: number;
  timeout?: number;
  gcInterval?: number;
  size?: number;
  policy?: string;
  comment?: string;
  elements: SetElem[];
}

/** A named stateful object; `state` is its counter/quota/limit expression when known. */
export interface ProgObject {
  table: number;
  name: string;
  handle: number;
  type: number;
  state?: Insn;
}

/** A rule: its chain, handle, the anonymous sets it owns, its instructions. */
export interface ProgRule {
  chain: number;
  handle: number;
  position?: number;
  comment?: string;
  /** Indices of the rule's anonymous sets; consecutive. */
  anonSets: number[];
  insns: Insn[];
}

/** A whole ruleset image; every cross-reference is an index into these arrays. */
export interface Program {
  tables: ProgTable[];
  chains: ProgChain[];
  sets: ProgSet[];
  objects: ProgObject[];
  rules: ProgRule[];
}

const FAMILIES: ReadonlyMap<string, number> = new Map([
  ['inet', abi.Family.Inet], ['ip', abi.Family.Ipv4], ['arp', abi.Family.Arp],
  ['netdev', abi.Family.Netdev], ['bridge', abi.Family.Bridge], ['ip6', abi.Family.Ipv6],
]);
const FAMILY_NAMES = new Map([...FAMILIES].map(([k, v]) => [v, k]));
const INET_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'];
const NETDEV_HOOKS = ['ingress', 'egress'];
const ARP_HOOKS = ['input', 'output', 'forward'];
const CHAIN_TYPES = ['filter', 'route', 'nat'];
const CHAIN_POLICIES = ['drop', 'accept'];
const SET_POLICIES = ['performance', 'memory'];
/** NFT_OBJECT_* by the object keyword of the nft language. */
export const OBJECT_TYPES: Readonly<Record<string, number>> = {
  counter: abi.ObjectType.Counter, quota: abi.ObjectType.Quota, 'ct helper': abi.ObjectType.CtHelper,
  limit: abi.ObjectType.Limit, connlimit: abi.ObjectType.Connlimit, tunnel: abi.ObjectType.Tunnel,
  'ct timeout': abi.ObjectType.CtTimeout, secmark: abi.ObjectType.Secmark,
  'ct expectation': abi.ObjectType.CtExpect, synproxy: abi.ObjectType.Synproxy,
};

const hooksOf = (family: string) => (family === 'netdev' ? NETDEV_HOOKS : family === 'arp' ? ARP_HOOKS : INET_HOOKS);

function indexIn(list: readonly string[], v: string, what: string): number {
  const i = list.indexOf(v);
  if (i < 0) throw new BytecodeError(`unknown ${what} '${v}'`);
  return i;
}

// ---------------------------------------------------------------------------
// From the compiler's result

type TableState = CompileResult['tables'] extends Map<string, infer T> ? T : never;

function progSet(table: number, handle: number, s: SetDef): ProgSet {
  const parts = s.keyParts ?? [{ type: s.keyType, bits: s.keyBits }];
  const set: ProgSet = {
    table, name: s.name, handle, flags: s.flags, anonymous: s.anonymous,
    key: parts.map((p) => ({ type: p.type.name, len: Math.ceil(p.bits / 8) })), elements: [],
  };
  if (s.objMap !== undefined) set.objType = s.objMap;
  else if (s.dataType) set.data = { type: s.dataType.name, len: Math.ceil((s.dataBits ?? s.dataType.bits) / 8) };
  if (s.timeout !== undefined) set.timeout = s.timeout;
  if (s.gcInterval !== undefined) set.gcInterval = s.gcInterval;
  if (s.size !== undefined) set.size = s.size;
  if (s.policy !== undefined) set.policy = s.policy;
  if (s.comment !== undefined) set.comment = s.comment;
  return set;
}

/**
 * The final state of a compile result as an image: the tables that still
 * exist, their chains, named sets (with every element batch), objects and
 * rules with their anonymous sets. Handles are allocated per table as the
 * kernel does for one batch: chains, sets, objects, then rules in order.
 */
export function programOf(result: CompileResult): Program {
  const p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };
  const tables = new Map<string, { index: number; state: TableState; handle: number; chains: Map<string, number> }>();
  for (const [key, t] of result.tables) {
    const info = { index: p.tables.length, state: t, handle: 0, chains: new Map<string, number>() };
    tables.set(key, info);
    p.tables.push({ family: t.family, name: t.name });
    for (const name of t.chains.keys()) {
      const decl = t.chainDecl.get(name);
      const c: ProgChain = { table: info.index, name, handle: ++info.handle };
      if (decl?.hook) c.hook = { type: decl.hook.type, hook: decl.hook.hook, prio: decl.hook.prio, devices: [...decl.hook.devices] };
      if (decl?.policy !== undefined) c.policy = decl.policy;
      info.chains.set(name, p.chains.length);
      p.chains.push(c);
    }
  }
  const named = new Map<SetDef, ProgSet>();
  for (const o of result.outputs) {
    if (o.k !== 'set' && o.k !== 'elements') continue;
    const t = tables.get(`${o.set.family} ${o.set.table}`);
    // A set deleted or redefined later is not part of the final state.
    if (!t || t.state.sets.get(o.set.name) !== o.set) continue;
    let s = named.get(o.set);
    if (!s) {
      s = progSet(t.index, ++t.handle, o.set);
      named.set(o.set, s);
      p.sets.push(s);
    }
    s.elements.push(...o.elements);
  }
  for (const t of tables.values()) {
    for (const [name, type] of t.state.objects) {
      const code = OBJECT_TYPES[type];
      if (code === undefined) throw new BytecodeError(`unknown object type '${type}'`);
      p.objects.push({ table: t.index, name, handle: ++t.handle, type: code });
    }
  }
  for (const o of result.outputs) {
    if (o.k !== 'rule') continue;
    const r = o.rule;
    const t = tables.get(`${r.family} ${r.table}`);
    const chain = t?.chains.get(r.chain);
    if (!t || chain === undefined) continue;
    const anonSets: number[] = [];
    for (const s of r.anonSets) {
      anonSets.push(p.sets.length);
      p.sets.push({ ...progSet(t.index, ++t.handle, s), elements: s.elements });
    }
    const rule: ProgRule = { chain, handle: ++t.handle, anonSets, insns: r.insns };
    if (r.position !== undefined) rule.position = r.position;
    if (r.comment !== undefined) rule.comment = r.comment;
    p.rules.push(rule);
  }
  return p;
}

// ---------------------------------------------------------------------------
// Encoding

class Strings {
  readonly w = new Writer();
  private refs = new Map<string, number>();
  count = 0;

  ref(s: string | undefined): number {
    if (s === undefined) return NONE32;
    let off = this.refs.get(s);
    if (off === undefined) {
      off = this.w.len;
      this.w.str(s);
      this.refs.set(s, off);
      this.count++;
    }
    return off;
  }
}

function context<T>(where: () => string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BytecodeError) throw new BytecodeError(`cannot encode ${where()}: ${e.message}`);
    throw e;
  }
}

/** Encodes a program; throws a BytecodeError naming the offending item. */
export function encodeBytecode(p: Program): Uint8Array {
  const strings = new Strings();
  const tables = new Writer(p.tables.length * abi.TABLE_RECORD_SIZE);
  const chains = new Writer(p.chains.length * abi.CHAIN_RECORD_SIZE);
  const sets = new Writer(p.sets.length * abi.SET_RECORD_SIZE);
  const elements = new Writer();
  const objects = new Writer(p.objects.length * abi.OBJ_RECORD_SIZE + 4);
  const rules = new Writer(p.rules.length * abi.RULE_RECORD_SIZE + 4);
  const code = new Writer(p.rules.length * 64 + 4);

  // Per-table name → index maps, for references by name.
  const chainIdx = p.tables.map(() => new Map<string, number>());
  const setIdx = p.tables.map(() => new Map<string, number>());
  const objIdx = p.tables.map(() => new Map<string, number>());
  const tableOf = (t: number, what: () => string) => {
    if (!Number.isInteger(t) || t < 0 || t >= p.tables.length) throw new BytecodeError(`cannot encode ${what()}: no table ${t}`);
    return t;
  };
  const refsIn = (t: number): EncodeRefs => ({
    set: (name) => {
      const k = setIdx[t]!.get(name);
      if (k === undefined) throw new BytecodeError(`no set '${name}' in table ${p.tables[t]!.name}`);
      return k;
    },
    object: (name) => {
      const k = objIdx[t]!.get(name);
      if (k === undefined) throw new BytecodeError(`no object '${name}' in table ${p.tables[t]!.name}`);
      return k;
    },
    chain: (name) => {
      const k = chainIdx[t]!.get(name);
      if (k === undefined) throw new BytecodeError(`no chain '${name}' in table ${p.tables[t]!.name}`);
      return k;
    },
    str: (s) => strings.ref(s),
  });

  p.tables.forEach((t, k) => {
    context(() => `table ${k}`, () => {
      const q = tables.reserve(abi.TABLE_RECORD_SIZE);
      const fam = FAMILIES.get(t.family);
      if (fam === undefined) throw new BytecodeError(`unknown family '${t.family}'`);
      tables.u8(q + abi.TABLE_FAMILY, fam);
      tables.u32(q + abi.TABLE_NAME, strings.ref(t.name));
    });
  });

  p.chains.forEach((c, k) => {
    const where = () => `chain ${c.name}`;
    const t = tableOf(c.table, where);
    chainIdx[t]!.set(c.name, k);
    context(where, () => {
      const q = chains.reserve(abi.CHAIN_RECORD_SIZE);
      chains.u32(q + abi.CHAIN_TABLE, t);
      chains.u32(q + abi.CHAIN_NAME, strings.ref(c.name));
      chains.u32(q + abi.CHAIN_HANDLE, c.handle, 'handle');
      chains.u8(q + abi.CHAIN_POLICY, c.policy === undefined ? NONE8 : indexIn(CHAIN_POLICIES, c.policy, 'policy'));
      if (c.hook) {
        chains.u8(q + abi.CHAIN_FLAGS, abi.ChainFlags.Base);
        chains.u8(q + abi.CHAIN_TYPE, indexIn(CHAIN_TYPES, c.hook.type, 'chain type'));
        chains.u8(q + abi.CHAIN_HOOK, indexIn(hooksOf(p.tables[t]!.family), c.hook.hook, 'hook'));
        chains.i32(q + abi.CHAIN_PRIO, c.hook.prio, 'priority');
        // Interface names cannot contain NUL, so it separates them.
        chains.u32(q + abi.CHAIN_DEVICES, c.hook.devices.length ? strings.ref(c.hook.devices.join('\0')) : NONE32);
      } else chains.u32(q + abi.CHAIN_DEVICES, NONE32);
    });
  });

  // Names first: rules and elements may refer to any set or object of their table.
  p.sets.forEach((s, k) => {
    const t = tableOf(s.table, () => `set ${s.name}`);
    if (!(s.flags & abi.SetFlags.Anonymous)) setIdx[t]!.set(s.name, k);
  });
  p.objects.forEach((o, k) => objIdx[tableOf(o.table, () => `object ${o.name}`)]!.set(o.name, k));

  let elemCount = 0;
  p.sets.forEach((s) => {
    context(() => `set ${s.name}`, () => {
      const q = sets.reserve(abi.SET_RECORD_SIZE);
      if (s.key.length < 1 || s.key.length > abi.SET_FIELD_MAX) throw new BytecodeError(`${s.key.length} key fields`);
      sets.u32(q + abi.SET_TABLE, s.table);
      sets.u32(q + abi.SET_NAME, strings.ref(s.name));
      sets.u32(q + abi.SET_HANDLE, s.handle, 'handle');
      sets.u32(q + abi.SET_FLAGS, s.flags, 'flags');
      sets.u8(q + abi.SET_FIELD_COUNT, s.key.length);
      s.key.forEach((f, i) => sets.u8(q + abi.SET_FIELD_LEN + i, f.len, 'key field length'));
      sets.u32(q + abi.SET_KEY_TYPE, strings.ref(s.key.map((f) => f.type).join(' . ')));
      if (s.data) {
        sets.u8(q + abi.SET_DATA_KIND, s.data.type === 'verdict' ? abi.SetData.Verdict : abi.SetData.Value);
        sets.u8(q + abi.SET_DATA_LEN, s.data.len, 'data length');
      }
      sets.u32(q + abi.SET_DATA_TYPE, strings.ref(s.data?.type));
      sets.u8(q + abi.SET_OBJ_TYPE, s.objType ?? 0, 'object type');
      let has = s.anonymous ? abi.SetHas.Anonymous : 0;
      if (s.timeout !== undefined) has |= abi.SetHas.Timeout;
      if (s.gcInterval !== undefined) has |= abi.SetHas.GcInterval;
      if (s.size !== undefined) has |= abi.SetHas.Size;
      sets.u8(q + abi.SET_HAS, has);
      sets.u64(q + abi.SET_TIMEOUT, s.timeout ?? 0, 'timeout');
      sets.u32(q + abi.SET_GC_INTERVAL, s.gcInterval ?? 0, 'gc interval');
      sets.u32(q + abi.SET_SIZE, s.size ?? 0, 'size');
      sets.u8(q + abi.SET_POLICY, s.policy === undefined ? NONE8 : indexIn(SET_POLICIES, s.policy, 'set policy'));
      sets.u32(q + abi.SET_COMMENT, strings.ref(s.comment));
      sets.u32(q + abi.SET_ELEM_OFFSET, elements.len);
      sets.u32(q + abi.SET_ELEM_COUNT, s.elements.length);
      const refs = refsIn(s.table);
      s.elements.forEach((e, j) => context(() => `element ${j}`, () => encodeElement(elements, e, s, refs)));
      elemCount += s.elements.length;
    });
  });

  p.objects.forEach((o) => {
    context(() => `object ${o.name}`, () => {
      const q = objects.reserve(abi.OBJ_RECORD_SIZE);
      objects.u32(q + abi.OBJ_TABLE, o.table);
      objects.u32(q + abi.OBJ_NAME, strings.ref(o.name));
      objects.u32(q + abi.OBJ_HANDLE, o.handle, 'handle');
      objects.u8(q + abi.OBJ_TYPE, o.type, 'type');
      objects.u32(q + abi.OBJ_STATE, o.state ? code.len : NONE32);
      if (o.state) encodeInsn(code, o.state, refsIn(o.table));
    });
  });

  p.rules.forEach((r) => {
    const c = p.chains[r.chain];
    if (!c) throw new BytecodeError(`cannot encode rule ${r.handle}: no chain ${r.chain}`);
    const base = refsIn(c.table);
    let refs = base;
    if (r.anonSets.length) {
      // The rule's own anonymous sets answer first: they all share nft's `__set%d` name.
      const own = new Map<string, number[]>();
      r.anonSets.forEach((s, i) => {
        if (s !== r.anonSets[0]! + i || !p.sets[s]) throw new BytecodeError(`cannot encode rule ${r.handle}: anonymous sets not consecutive`);
        const list = own.get(p.sets[s]!.name);
        if (list) list.push(s);
        else own.set(p.sets[s]!.name, [s]);
      });
      refs = { ...base, set: (name) => own.get(name)?.shift() ?? base.set(name) };
    }
    const q = rules.reserve(abi.RULE_RECORD_SIZE);
    const start = code.len;
    context(() => `rule ${r.handle}`, () => {
      rules.u32(q + abi.RULE_CHAIN, r.chain);
      rules.u32(q + abi.RULE_HANDLE, r.handle, 'handle');
      rules.u32(q + abi.RULE_POSITION, r.position ?? NONE32, 'position');
      rules.u32(q + abi.RULE_COMMENT, strings.ref(r.comment));
      rules.u32(q + abi.RULE_SET_FIRST, r.anonSets[0] ?? 0);
      rules.u16(q + abi.RULE_SET_COUNT, r.anonSets.length, 'anonymous set count');
      rules.u16(q + abi.RULE_INSN_COUNT, r.insns.length, 'instruction count');
    });
    r.insns.forEach((i, j) => context(() => `insn ${j} of rule ${r.handle}`, () => encodeInsn(code, i, refs)));
    rules.u32(q + abi.RULE_CODE, start);
    rules.u32(q + abi.RULE_CODE_SIZE, code.len - start);
  });

  const body: [Section, Writer, number][] = [
    [Section.Strings, strings.w, strings.count], [Section.Tables, tables, p.tables.length],
    [Section.Chains, chains, p.chains.length], [Section.Sets, sets, p.sets.length],
    [Section.Elements, elements, elemCount], [Section.Objects, objects, p.objects.length],
    [Section.Rules, rules, p.rules.length], [Section.Code, code, countRecords(p)],
  ];
  let total = abi.BC_HEADER_SIZE + abi.SECTION_COUNT * abi.BC_SECTION_ENTRY_SIZE;
  for (const [, w] of body) {
    w.pad();
    total += w.len;
  }
  const out = new Writer(total);
  const h = out.reserve(abi.BC_HEADER_SIZE + abi.SECTION_COUNT * abi.BC_SECTION_ENTRY_SIZE);
  out.u32(h + abi.HDR_MAGIC, abi.BC_MAGIC);
  out.u16(h + abi.HDR_VERSION_MAJOR, abi.BC_VERSION_MAJOR);
  out.u16(h + abi.HDR_VERSION_MINOR, abi.BC_VERSION_MINOR);
  out.u32(h + abi.HDR_SIZE, total);
  out.u32(h + abi.HDR_SECTIONS, abi.SECTION_COUNT);
  body.forEach(([id, w, count], k) => {
    const e = h + abi.BC_HEADER_SIZE + k * abi.BC_SECTION_ENTRY_SIZE;
    out.u32(e + abi.SEC_ID, id);
    out.u32(e + abi.SEC_OFFSET, out.len);
    out.u32(e + abi.SEC_SIZE, w.len);
    out.u32(e + abi.SEC_COUNT, count);
    out.append(w);
  });
  return out.finish();
}

/** Top-level records in the code section: object states and rule instructions. */
function countRecords(p: Program): number {
  let n = 0;
  for (const o of p.objects) if (o.state) n++;
  for (const r of p.rules) n += r.insns.length;
  return n;
}

// ---------------------------------------------------------------------------
// Decoding

interface SectionEntry {
  offset: number;
  size: number;
  count: number;
  end: number;
}

const SECTION_NAMES = ['', 'strings', 'tables', 'chains', 'sets', 'elements', 'objects', 'rules', 'code'];

function readSections(r: Reader): SectionEntry[] {
  const fail = (m: string) => new BytecodeError(m);
  if (r.length < abi.BC_HEADER_SIZE) throw fail(`truncated header: ${r.length} bytes, need ${abi.BC_HEADER_SIZE}`);
  const magic = r.u32(abi.HDR_MAGIC);
  if (magic !== abi.BC_MAGIC) throw fail(`bad magic 0x${magic.toString(16).padStart(8, '0')}, not an nftvm bytecode image`);
  const major = r.u16(abi.HDR_VERSION_MAJOR);
  const minor = r.u16(abi.HDR_VERSION_MINOR);
  if (major !== abi.BC_VERSION_MAJOR || minor > abi.BC_VERSION_MINOR) {
    throw fail(`unsupported bytecode version ${major}.${minor} (this reader takes ${abi.BC_VERSION_MAJOR}.0 to ${abi.BC_VERSION_MAJOR}.${abi.BC_VERSION_MINOR})`);
  }
  const size = r.u32(abi.HDR_SIZE);
  if (size !== r.length) throw fail(`header says ${size} bytes, got ${r.length}`);
  const n = r.u32(abi.HDR_SECTIONS);
  if (n !== abi.SECTION_COUNT) throw fail(`${n} sections, expected ${abi.SECTION_COUNT}`);
  let at = abi.BC_HEADER_SIZE + n * abi.BC_SECTION_ENTRY_SIZE;
  if (r.length < at) throw fail(`truncated section table: ${r.length} bytes, need ${at}`);
  const out: SectionEntry[] = [];
  for (let k = 0; k < n; k++) {
    const e = abi.BC_HEADER_SIZE + k * abi.BC_SECTION_ENTRY_SIZE;
    const id = r.u32(e + abi.SEC_ID);
    const offset = r.u32(e + abi.SEC_OFFSET);
    const len = r.u32(e + abi.SEC_SIZE);
    const name = SECTION_NAMES[k + 1];
    if (id !== k + 1) throw fail(`section entry ${k} has id ${id}, expected ${k + 1} (${name})`);
    if (offset !== at || len % 4 !== 0) throw fail(`${name} section at offset ${offset} size ${len}: expected 4-aligned, right after the previous one at ${at}`);
    if (offset + len > r.length) throw fail(`truncated ${name} section at offset ${offset}: ${len} bytes, file ends at ${r.length}`);
    out.push({ offset, size: len, count: r.u32(e + abi.SEC_COUNT), end: offset + len });
    at = offset + len;
  }
  if (at !== r.length) throw fail(`${r.length - at} stray bytes after the last section`);
  return out;
}

function fixedRecords(s: SectionEntry, size: number, name: string): void {
  if (s.count * size !== s.size) throw new BytecodeError(`${name} section: ${s.count} records of ${size} bytes do not fill ${s.size} bytes`);
}

/** Decodes an image; any defect gives a BytecodeError saying what and where. */
export function decodeBytecode(bytes: Uint8Array): Program {
  const r = new Reader(bytes);
  const [str, tbl, chn, st, el, obj, rul, cod] = readSections(r) as [SectionEntry, SectionEntry, SectionEntry, SectionEntry, SectionEntry, SectionEntry, SectionEntry, SectionEntry];
  const p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };

  // Strings: entries back to back, then up to 3 bytes of zero padding.
  const strings = new Map<number, string>();
  let at = str.offset;
  for (let k = 0; k < str.count; k++) {
    if (at + 2 > str.end) throw new BytecodeError(`truncated string ${k} at offset ${at}`);
    const n = r.u16(at);
    if (at + 2 + n > str.end) throw new BytecodeError(`truncated string ${k} at offset ${at}`);
    strings.set(at - str.offset, r.text(at + 2, n));
    at += 2 + n;
  }
  if (str.end - at > 3) throw new BytecodeError(`${str.end - at} stray bytes after the last string at offset ${at}`);
  const text = (off: number, where: () => string): string => {
    const s = strings.get(off);
    if (s === undefined) throw new BytecodeError(`bad string reference ${off} at ${where()}`);
    return s;
  };
  const optText = (off: number, where: () => string) => (off === NONE32 ? undefined : text(off, where));
  const tableRef = (k: number, where: () => string): number => {
    if (k >= p.tables.length) throw new BytecodeError(`table index ${k} out of range at ${where()}`);
    return k;
  };

  fixedRecords(tbl, abi.TABLE_RECORD_SIZE, 'tables');
  for (let k = 0; k < tbl.count; k++) {
    const q = tbl.offset + k * abi.TABLE_RECORD_SIZE;
    const where = () => `table ${k}`;
    const family = FAMILY_NAMES.get(r.u8(q + abi.TABLE_FAMILY));
    if (family === undefined) throw new BytecodeError(`unknown family ${r.u8(q + abi.TABLE_FAMILY)} at ${where()}`);
    p.tables.push({ family, name: text(r.u32(q + abi.TABLE_NAME), where) });
  }

  fixedRecords(chn, abi.CHAIN_RECORD_SIZE, 'chains');
  for (let k = 0; k < chn.count; k++) {
    const q = chn.offset + k * abi.CHAIN_RECORD_SIZE;
    const where = () => `chain ${k}`;
    const table = tableRef(r.u32(q + abi.CHAIN_TABLE), where);
    const c: ProgChain = { table, name: text(r.u32(q + abi.CHAIN_NAME), where), handle: r.u32(q + abi.CHAIN_HANDLE) };
    const flags = r.u8(q + abi.CHAIN_FLAGS);
    if (flags & ~abi.ChainFlags.Base) throw new BytecodeError(`unknown chain flags 0x${flags.toString(16)} at ${where()}`);
    if (flags & abi.ChainFlags.Base) {
      const type = CHAIN_TYPES[r.u8(q + abi.CHAIN_TYPE)];
      const hook = hooksOf(p.tables[table]!.family)[r.u8(q + abi.CHAIN_HOOK)];
      if (type === undefined) throw new BytecodeError(`unknown chain type ${r.u8(q + abi.CHAIN_TYPE)} at ${where()}`);
      if (hook === undefined) throw new BytecodeError(`unknown hook ${r.u8(q + abi.CHAIN_HOOK)} at ${where()}`);
      const devices = optText(r.u32(q + abi.CHAIN_DEVICES), where);
      c.hook = { type, hook, prio: r.i32(q + abi.CHAIN_PRIO), devices: devices === undefined ? [] : devices.split('\0') };
    }
    const policy = r.u8(q + abi.CHAIN_POLICY);
    if (policy !== NONE8) {
      c.policy = CHAIN_POLICIES[policy];
      if (c.policy === undefined) throw new BytecodeError(`unknown policy ${policy} at ${where()}`);
    }
    p.chains.push(c);
  }

  const ref = (list: { table: number; name: string }[], what: string, table: number) => (k: number, where: () => string): string => {
    const x = list[k];
    if (!x) throw new BytecodeError(`${what} index ${k} out of range at ${where()}`);
    if (x.table !== table) throw new BytecodeError(`${what} index ${k} is in another table at ${where()}`);
    return x.name;
  };
  const refsIn = (table: number): DecodeRefs => ({
    set: ref(p.sets, 'set', table), object: ref(p.objects, 'object', table), chain: ref(p.chains, 'chain', table), str: text,
  });

  // Set records first (elements may name any set of the table), then elements in set order.
  fixedRecords(st, abi.SET_RECORD_SIZE, 'sets');
  for (let k = 0; k < st.count; k++) p.sets.push(decodeSet(r, st.offset + k * abi.SET_RECORD_SIZE, k, text, tableRef));
  let elemAt = el.offset;
  let elemCount = 0;
  p.sets.forEach((s, k) => {
    const q = st.offset + k * abi.SET_RECORD_SIZE;
    const where = () => `set ${s.name}`;
    if (el.offset + r.u32(q + abi.SET_ELEM_OFFSET) !== elemAt) throw new BytecodeError(`elements of ${where()} do not follow the previous set's at offset ${elemAt}`);
    const n = r.u32(q + abi.SET_ELEM_COUNT);
    if (n > (el.end - elemAt) / 8) throw new BytecodeError(`${n} elements of ${where()} cannot fit in ${el.end - elemAt} bytes`);
    const refs = refsIn(s.table);
    for (let j = 0; j < n; j++) {
      const [e, size] = decodeElement(r, elemAt, el.end, s, refs, () => `element ${j} of ${where()}`);
      s.elements.push(e);
      elemAt += size;
    }
    elemCount += n;
  });
  if (elemAt !== el.end || elemCount !== el.count) throw new BytecodeError(`elements section: ${elemCount} elements in ${elemAt - el.offset} bytes, header says ${el.count} in ${el.size}`);

  // Code is tiled: object states, then each rule's instructions, in record order.
  let codeAt = cod.offset;
  let records = 0;
  fixedRecords(obj, abi.OBJ_RECORD_SIZE, 'objects');
  for (let k = 0; k < obj.count; k++) {
    const q = obj.offset + k * abi.OBJ_RECORD_SIZE;
    const where = () => `object ${k}`;
    const table = tableRef(r.u32(q + abi.OBJ_TABLE), where);
    const o: ProgObject = { table, name: text(r.u32(q + abi.OBJ_NAME), where), handle: r.u32(q + abi.OBJ_HANDLE), type: r.u8(q + abi.OBJ_TYPE) };
    p.objects.push(o);
    const state = r.u32(q + abi.OBJ_STATE);
    if (state !== NONE32) {
      const sw = () => `state of object ${o.name}`;
      if (cod.offset + state !== codeAt) throw new BytecodeError(`${sw()} is not at code offset ${codeAt - cod.offset}`);
      const n = recordSize(r, codeAt, cod.end, sw);
      o.state = decodeInsn(r, codeAt, n, refsIn(table), sw, true);
      codeAt += n;
      records++;
    }
  }

  fixedRecords(rul, abi.RULE_RECORD_SIZE, 'rules');
  for (let k = 0; k < rul.count; k++) {
    const q = rul.offset + k * abi.RULE_RECORD_SIZE;
    const handle = r.u32(q + abi.RULE_HANDLE);
    const where = () => `rule ${handle}`;
    const chain = r.u32(q + abi.RULE_CHAIN);
    if (chain >= p.chains.length) throw new BytecodeError(`chain index ${chain} out of range at ${where()}`);
    const table = p.chains[chain]!.table;
    const rule: ProgRule = { chain, handle, anonSets: [], insns: [] };
    const position = r.u32(q + abi.RULE_POSITION);
    if (position !== NONE32) rule.position = position;
    const comment = optText(r.u32(q + abi.RULE_COMMENT), where);
    if (comment !== undefined) rule.comment = comment;
    const first = r.u32(q + abi.RULE_SET_FIRST);
    const nsets = r.u16(q + abi.RULE_SET_COUNT);
    if (nsets && first + nsets > p.sets.length) throw new BytecodeError(`anonymous sets ${first}..${first + nsets - 1} out of range at ${where()}`);
    for (let i = 0; i < nsets; i++) rule.anonSets.push(first + i);
    const start = cod.offset + r.u32(q + abi.RULE_CODE);
    const end = start + r.u32(q + abi.RULE_CODE_SIZE);
    if (start !== codeAt) throw new BytecodeError(`code of ${where()} is not at code offset ${codeAt - cod.offset}`);
    if (end > cod.end) throw new BytecodeError(`truncated code of ${where()} at offset ${start}`);
    const n = r.u16(q + abi.RULE_INSN_COUNT);
    const refs = refsIn(table);
    let pc = start;
    for (let j = 0; j < n; j++) {
      const iw = () => `insn ${j} of rule ${handle}`;
      const size = recordSize(r, pc, end, iw);
      rule.insns.push(decodeInsn(r, pc, size, refs, iw));
      pc += size;
    }
    if (pc !== end) throw new BytecodeError(`${end - pc} bytes after the last instruction of ${where()} at offset ${pc}`);
    codeAt = end;
    records += n;
    p.rules.push(rule);
  }
  if (codeAt !== cod.end || records !== cod.count) throw new BytecodeError(`code section: ${records} records in ${codeAt - cod.offset} bytes, header says ${cod.count} in ${cod.size}`);
  return p;
}

function decodeSet(r: Reader, q: number, k: number, text: (off: number, where: () => string) => string, tableRef: (k: number, where: () => string) => number): ProgSet {
  const where = () => `set ${k}`;
  const fail = (m: string) => new BytecodeError(`${m} at ${where()}`);
  const table = tableRef(r.u32(q + abi.SET_TABLE), where);
  const nfields = r.u8(q + abi.SET_FIELD_COUNT);
  if (nfields < 1 || nfields > abi.SET_FIELD_MAX) throw fail(`${nfields} key fields`);
  const types = text(r.u32(q + abi.SET_KEY_TYPE), where).split(' . ');
  if (types.length !== nfields) throw fail(`${types.length} key types for ${nfields} fields`);
  const has = r.u8(q + abi.SET_HAS);
  const s: ProgSet = {
    table, name: text(r.u32(q + abi.SET_NAME), where), handle: r.u32(q + abi.SET_HANDLE), flags: r.u32(q + abi.SET_FLAGS),
    anonymous: (has & abi.SetHas.Anonymous) !== 0, key: types.map((type, i) => ({ type, len: r.u8(q + abi.SET_FIELD_LEN + i) })), elements: [],
  };
  const kind = r.u8(q + abi.SET_DATA_KIND);
  const dtype = r.u32(q + abi.SET_DATA_TYPE);
  if (kind > abi.SetData.Verdict) throw fail(`unknown data kind ${kind}`);
  if ((kind === abi.SetData.None) !== (dtype === NONE32)) throw fail(`data kind ${kind} with${dtype === NONE32 ? 'out' : ''} a data type`);
  if (kind !== abi.SetData.None) {
    s.data = { type: text(dtype, where), len: r.u8(q + abi.SET_DATA_LEN) };
    if ((kind === abi.SetData.Verdict) !== (s.data.type === 'verdict')) throw fail(`data kind ${kind} with data type ${s.data.type}`);
  }
  const objType = r.u8(q + abi.SET_OBJ_TYPE);
  if (objType) s.objType = objType;
  if (has & abi.SetHas.Timeout) s.timeout = r.u64n(q + abi.SET_TIMEOUT);
  if (has & abi.SetHas.GcInterval) s.gcInterval = r.u32(q + abi.SET_GC_INTERVAL);
  if (has & abi.SetHas.Size) s.size = r.u32(q + abi.SET_SIZE);
  const policy = r.u8(q + abi.SET_POLICY);
  if (policy !== NONE8) {
    s.policy = SET_POLICIES[policy];
    if (s.policy === undefined) throw fail(`unknown set policy ${policy}`);
  }
  const comment = r.u32(q + abi.SET_COMMENT);
  if (comment !== NONE32) s.comment = text(comment, where);
  return s;
}

