// The binary bytecode image of a compiled ruleset (docs/bytecode.md): what
// the VM loads in place of the kernel's netlink batch. Tables, chains, sets
// with their elements, objects and rules in little-endian sections; rules
// point into one code section of fixed-layout instruction records.
// `encodeBytecode(programOf(compileRuleset(src)))` → bytes starting "NFTV".

import * as abi from '../assembly/abi.js';
import { NONE32, NONE8, Section } from '../assembly/abi.js';
import { BytecodeError, Reader, Writer } from './bytecode-io.js';
import { decodeInsn, encodeInsn, recordSize, type DecodeRefs, type EncodeRefs } from './bytecode-insn.js';
import { decodeElement, decodeSet, encodeElement, encodeSet } from './bytecode-set.js';
import type { ProgChain, ProgObject, ProgRule, ProgSet, Program } from './program.js';
import type { SetElem } from './linearize.js';
import type { Insn } from './insn.js';

export { BytecodeError };
export { programOf, type ProgChain, type ProgObject, type ProgRule, type ProgSet, type ProgTable, type Program } from './program.js';

const FAMILIES: ReadonlyMap<string, number> = new Map([
  ['inet', abi.Family.Inet], ['ip', abi.Family.Ipv4], ['arp', abi.Family.Arp],
  ['netdev', abi.Family.Netdev], ['bridge', abi.Family.Bridge], ['ip6', abi.Family.Ipv6],
]);
const FAMILY_NAMES = new Map([...FAMILIES].map(([k, v]) => [v, k]));
const CHAIN_TYPES = ['filter', 'route', 'nat']; // index = abi.ChainType
const CHAIN_POLICIES = ['drop', 'accept']; // index = abi.Verdict
const SECTION_NAMES = ['', 'strings', 'tables', 'chains', 'sets', 'elements', 'objects', 'rules', 'code'];
const SECTIONS_END = abi.BC_HEADER_SIZE + abi.SECTION_COUNT * abi.BC_SECTION_ENTRY_SIZE;

/** Hook names by number; the numbering depends on the family. */
/** abi Family of table family `family` (the image's TABLE_FAMILY). */
export function familyNumber(family: string): number {
  const f = FAMILIES.get(family);
  if (f === undefined) throw new BytecodeError(`unknown family '${family}'`);
  return f;
}

/** abi hook number of hook `hook` of `family` (the image's CHAIN_HOOK). */
export function hookNumber(family: string, hook: string): number {
  return indexIn(hooksOf(family), hook, 'hook');
}

function hooksOf(family: string): string[] {
  if (family === 'netdev') return ['ingress', 'egress'];
  if (family === 'arp') return ['input', 'output', 'forward'];
  return ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'];
}

function indexIn(list: readonly string[], v: string, what: string): number {
  const i = list.indexOf(v);
  if (i < 0) throw new BytecodeError(`unknown ${what} '${v}'`);
  return i;
}

/** Runs `f`, prefixing a BytecodeError with the item being encoded. */
function encoding<T>(where: () => string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw encodeFailure(e, where());
  }
}

/** `e` to throw again: a BytecodeError says what was being encoded (`cannot encode insn 2 of rule 4: ...`). */
function encodeFailure(e: unknown, what: string): unknown {
  return e instanceof BytecodeError ? new BytecodeError(`cannot encode ${what}: ${e.message}`) : e;
}

// ---------------------------------------------------------------------------
// Encoding

class Encoder {
  private readonly strings = new Writer();
  private readonly stringOffsets = new Map<string, number>();
  /** Per table: name → index of chains, named sets and objects. */
  private readonly names: { chains: Map<string, number>; sets: Map<string, number>; objects: Map<string, number> }[];

  /** `fixed`: references already resolved to a loaded ruleset's indices (a patch image, encodePatch). */
  constructor(private readonly p: Program, private readonly fixed?: Omit<EncodeRefs, 'str'>) {
    this.names = fixed ? [] : p.tables.map(() => ({ chains: new Map(), sets: new Map(), objects: new Map() }));
    if (fixed) return;
    const table = (t: number, what: () => string) => {
      if (!this.names[t]) throw new BytecodeError(`cannot encode ${what()}: no table ${t}`);
      return this.names[t];
    };
    p.chains.forEach((c, k) => table(c.table, () => `chain ${c.name}`).chains.set(c.name, k));
    p.sets.forEach((s, k) => {
      // Anonymous sets all share nft's `__set%d` name; rules reach them through anonSets.
      const names = table(s.table, () => `set ${s.name}`);
      if (!(s.flags & abi.SetFlags.Anonymous)) names.sets.set(s.name, k);
    });
    p.objects.forEach((o, k) => table(o.table, () => `object ${o.name}`).objects.set(o.name, k));
  }

  /** The string's offset in the string table (NONE32 for undefined). */
  readonly str = (s: string | undefined): number => {
    if (s === undefined) return NONE32;
    let off = this.stringOffsets.get(s);
    if (off === undefined) {
      off = this.strings.len;
      this.strings.str(s);
      this.stringOffsets.set(s, off);
    }
    return off;
  };

  private readonly refs: EncodeRefs[] = [];

  /** References resolved within table `t` (cached: every rule of the table shares them). */
  refsIn(t: number): EncodeRefs {
    if (this.fixed) return { ...this.fixed, str: this.str };
    return (this.refs[t] ??= this.makeRefs(t));
  }

  private makeRefs(t: number): EncodeRefs {
    const names = this.names[t]!;
    const find = (map: Map<string, number>, what: string) => (name: string) => {
      const k = map.get(name);
      if (k === undefined) throw new BytecodeError(`no ${what} '${name}' in table ${this.p.tables[t]!.name}`);
      return k;
    };
    return { set: find(names.sets, 'set'), object: find(names.objects, 'object'), chain: find(names.chains, 'chain'), str: this.str };
  }

  tables(w: Writer): void {
    this.p.tables.forEach((t, k) =>
      encoding(() => `table ${k}`, () => {
        const q = w.reserve(abi.TABLE_RECORD_SIZE);
        const family = FAMILIES.get(t.family);
        if (family === undefined) throw new BytecodeError(`unknown family '${t.family}'`);
        w.u8(q + abi.TABLE_FAMILY, family);
        w.u8(q + abi.TABLE_FLAGS, t.dormant ? abi.TableFlags.Dormant : 0);
        w.u32(q + abi.TABLE_NAME, this.str(t.name));
      }),
    );
  }

  chains(w: Writer): void {
    for (const c of this.p.chains) {
      encoding(() => `chain ${c.name}`, () => {
        const q = w.reserve(abi.CHAIN_RECORD_SIZE);
        w.u32(q + abi.CHAIN_TABLE, c.table);
        w.u32(q + abi.CHAIN_NAME, this.str(c.name));
        w.u32(q + abi.CHAIN_HANDLE, c.handle, 'handle');
        w.u8(q + abi.CHAIN_POLICY, c.policy === undefined ? NONE8 : indexIn(CHAIN_POLICIES, c.policy, 'policy'));
        w.u32(q + abi.CHAIN_DEVICES, NONE32);
        if (!c.hook) return;
        w.u8(q + abi.CHAIN_FLAGS, abi.ChainFlags.Base);
        w.u8(q + abi.CHAIN_TYPE, indexIn(CHAIN_TYPES, c.hook.type, 'chain type'));
        w.u8(q + abi.CHAIN_HOOK, indexIn(hooksOf(this.p.tables[c.table]!.family), c.hook.hook, 'hook'));
        w.i32(q + abi.CHAIN_PRIO, c.hook.prio, 'priority');
        // Interface names cannot contain NUL, so it separates them.
        if (c.hook.devices.length) w.u32(q + abi.CHAIN_DEVICES, this.str(c.hook.devices.join('\0')));
      });
    }
  }

  sets(w: Writer, elements: Writer): void {
    for (const s of this.p.sets) {
      encoding(() => `set ${s.name}`, () => {
        encodeSet(w, w.reserve(abi.SET_RECORD_SIZE), s, elements.len, this.str);
        const refs = this.refsIn(s.table);
        s.elements.forEach((e, j) => encoding(() => `element ${j}`, () => encodeElement(elements, e, s, refs)));
      });
    }
  }

  objects(w: Writer, code: Writer): void {
    for (const o of this.p.objects) {
      encoding(() => `object ${o.name}`, () => {
        const q = w.reserve(abi.OBJ_RECORD_SIZE);
        w.u32(q + abi.OBJ_TABLE, o.table);
        w.u32(q + abi.OBJ_NAME, this.str(o.name));
        w.u32(q + abi.OBJ_HANDLE, o.handle, 'handle');
        w.u8(q + abi.OBJ_TYPE, o.type, 'type');
        w.u32(q + abi.OBJ_STATE, o.state ? code.len : NONE32);
        if (o.state) encodeInsn(code, o.state, this.refsIn(o.table));
      });
    }
  }

  rules(w: Writer, code: Writer, setBase = 0): void {
    for (const r of this.p.rules) {
      const where = () => `rule ${r.handle}`;
      const chain = this.p.chains[r.chain];
      if (!chain && !this.fixed) throw new BytecodeError(`cannot encode ${where()}: no chain ${r.chain}`);
      const refs = this.ruleRefs(r, this.refsIn(chain?.table ?? 0), where, setBase);
      const q = w.reserve(abi.RULE_RECORD_SIZE);
      const start = code.len;
      // One try and no closures per rule (encoding() made three): this runs for every rule of the image.
      let j = -1;
      try {
        w.u32(q + abi.RULE_CHAIN, r.chain);
        w.u32(q + abi.RULE_HANDLE, r.handle, 'handle');
        w.u32(q + abi.RULE_POSITION, r.position ?? NONE32, 'position');
        w.u32(q + abi.RULE_COMMENT, this.str(r.comment));
        w.u32(q + abi.RULE_SET_FIRST, r.anonSets[0] ?? 0);
        w.u16(q + abi.RULE_SET_COUNT, r.anonSets.length, 'anonymous set count');
        w.u16(q + abi.RULE_INSN_COUNT, r.insns.length, 'instruction count');
        for (j = 0; j < r.insns.length; j++) encodeInsn(code, r.insns[j]!, refs);
      } catch (e) {
        throw encodeFailure(e, j < 0 ? where() : `insn ${j} of rule ${r.handle}`);
      }
      w.u32(q + abi.RULE_CODE, start);
      w.u32(q + abi.RULE_CODE_SIZE, code.len - start);
    }
  }

  /** A rule's own anonymous sets answer to their names first, in the order the rule uses them. */
  private ruleRefs(r: ProgRule, table: EncodeRefs, where: () => string, setBase: number): EncodeRefs {
    if (!r.anonSets.length) return table;
    const own = new Map<string, number[]>();
    r.anonSets.forEach((k, i) => {
      const s = this.p.sets[k - setBase];
      if (!s || k !== r.anonSets[0]! + i) throw new BytecodeError(`cannot encode ${where()}: its anonymous sets are not consecutive sets`);
      own.set(s.name, [...(own.get(s.name) ?? []), k]);
    });
    return { ...table, set: (name) => own.get(name)?.shift() ?? table.set(name) };
  }

  /** The image: header, section table, the string table, then `sections` (ids 2..8) with their record counts. */
  finish(sections: [Writer, number][]): Uint8Array {
    const all: [Writer, number][] = [[this.strings, this.stringOffsets.size], ...sections];
    let total = SECTIONS_END;
    for (const [w] of all) {
      w.pad();
      total += w.len;
    }
    const out = new Writer(total);
    const h = out.reserve(SECTIONS_END);
    out.u32(h + abi.HDR_MAGIC, abi.BC_MAGIC);
    out.u16(h + abi.HDR_VERSION_MAJOR, abi.BC_VERSION_MAJOR);
    out.u16(h + abi.HDR_VERSION_MINOR, abi.BC_VERSION_MINOR);
    out.u32(h + abi.HDR_SIZE, total);
    out.u32(h + abi.HDR_SECTIONS, abi.SECTION_COUNT);
    all.forEach(([w, count], k) => {
      const e = h + abi.BC_HEADER_SIZE + k * abi.BC_SECTION_ENTRY_SIZE;
      out.u32(e + abi.SEC_ID, Section.Strings + k);
      out.u32(e + abi.SEC_OFFSET, out.len);
      out.u32(e + abi.SEC_SIZE, w.len);
      out.u32(e + abi.SEC_COUNT, count);
      out.append(w);
    });
    return out.finish();
  }
}

/** Whether two images are the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, k) => v === b[k]);
}

/** Encodes a program; throws a BytecodeError naming the item it cannot represent. */
export function encodeBytecode(p: Program): Uint8Array {
  const e = new Encoder(p);
  const tables = new Writer(p.tables.length * abi.TABLE_RECORD_SIZE + 4);
  const chains = new Writer(p.chains.length * abi.CHAIN_RECORD_SIZE + 4);
  const sets = new Writer(p.sets.length * abi.SET_RECORD_SIZE + 4);
  const elements = new Writer(p.sets.length * 32 + 4);
  const objects = new Writer(p.objects.length * abi.OBJ_RECORD_SIZE + 4);
  const rules = new Writer(p.rules.length * abi.RULE_RECORD_SIZE + 4);
  const code = new Writer(p.rules.length * 64 + 4);
  e.tables(tables);
  e.chains(chains);
  e.sets(sets, elements);
  // Object states first, then the rules: that order tiles the code section.
  e.objects(objects, code);
  e.rules(rules, code);
  let elementCount = 0;
  for (const s of p.sets) elementCount += s.elements.length;
  let records = p.objects.filter((o) => o.state).length;
  for (const r of p.rules) records += r.insns.length;
  return e.finish([
    [tables, p.tables.length], [chains, p.chains.length], [sets, p.sets.length], [elements, elementCount],
    [objects, p.objects.length], [rules, p.rules.length], [code, records],
  ]);
}

/**
 * A patch image for an in-place commit (assembly/commit.ts txAddRule): one
 * rule and its anonymous sets, its chain, set and object references
 * already the loaded ruleset's indices (`refs`; the rule's own sets are
 * `rule.anonSets`, numbered from `setBase`, the loaded ruleset's set count).
 * Without a rule: named sets to add (txAddSets), or a named object with
 * its state (txAddObject).
 */
export function encodePatch(rule: ProgRule | undefined, anonSets: ProgSet[], setBase: number, refs: Omit<EncodeRefs, 'str'>, objs: ProgObject[] = []): Uint8Array {
  const p: Program = { tables: [], chains: [], sets: anonSets, objects: objs, rules: rule ? [rule] : [] };
  const e = new Encoder(p, refs);
  const sets = new Writer(anonSets.length * abi.SET_RECORD_SIZE + 4);
  const elements = new Writer(anonSets.length * 32 + 4);
  const objects = new Writer(objs.length * abi.OBJ_RECORD_SIZE + 4);
  const rules = new Writer(abi.RULE_RECORD_SIZE);
  const code = new Writer(64);
  e.sets(sets, elements);
  e.objects(objects, code);
  e.rules(rules, code, setBase);
  let elementCount = 0;
  for (const s of anonSets) elementCount += s.elements.length;
  return e.finish([
    [new Writer(4), 0], [new Writer(4), 0], [sets, anonSets.length], [elements, elementCount],
    [objects, objs.length], [rules, rule ? 1 : 0], [code, objs.filter((o) => o.state).length + (rule?.insns.length ?? 0)],
  ]);
}

/** Element records (the image's element format) of set `s`, for assembly/commit.ts txAddElements / txDelElements. */
export function encodeElements(s: ProgSet, elements: SetElem[], refs: Omit<EncodeRefs, 'str'>): Uint8Array {
  const w = new Writer(elements.length * 32 + 4);
  const r: EncodeRefs = { ...refs, str: () => NONE32 };
  elements.forEach((el, j) => encoding(() => `element ${j}`, () => encodeElement(w, el, s, r)));
  return w.finish();
}

// ---------------------------------------------------------------------------
// Decoding

interface SectionEntry {
  offset: number;
  size: number;
  count: number;
  end: number;
}

type SectionName = 'strings' | 'tables' | 'chains' | 'sets' | 'elements' | 'objects' | 'rules' | 'code';

/** Checks the header and the section table; the sections by name. */
function readHeader(r: Reader): Record<SectionName, SectionEntry> {
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
  if (r.length < SECTIONS_END) throw fail(`truncated section table: ${r.length} bytes, need ${SECTIONS_END}`);
  const out: Partial<Record<SectionName, SectionEntry>> = {};
  let at = SECTIONS_END;
  for (let k = 0; k < n; k++) {
    const e = abi.BC_HEADER_SIZE + k * abi.BC_SECTION_ENTRY_SIZE;
    const id = r.u32(e + abi.SEC_ID);
    const offset = r.u32(e + abi.SEC_OFFSET);
    const len = r.u32(e + abi.SEC_SIZE);
    const name = SECTION_NAMES[k + 1] as SectionName;
    if (id !== k + 1) throw fail(`section entry ${k} has id ${id}, expected ${k + 1} (${name})`);
    if (offset !== at || len % 4 !== 0) throw fail(`${name} section at offset ${offset} size ${len}: expected a multiple of 4 bytes right after the previous section, at ${at}`);
    if (offset + len > r.length) throw fail(`truncated ${name} section at offset ${offset}: ${len} bytes, file ends at ${r.length}`);
    out[name] = { offset, size: len, count: r.u32(e + abi.SEC_COUNT), end: offset + len };
    at = offset + len;
  }
  if (at !== r.length) throw fail(`${r.length - at} stray bytes after the last section`);
  return out as Record<SectionName, SectionEntry>;
}

class Decoder {
  readonly p: Program = { tables: [], chains: [], sets: [], objects: [], rules: [] };
  private readonly strings = new Map<number, string>();
  private readonly s: Record<SectionName, SectionEntry>;
  /** Next unread byte of the code section: object states, then rules, tile it. */
  private codeAt: number;
  private codeRecords = 0;

  constructor(private readonly r: Reader) {
    this.s = readHeader(r);
    this.codeAt = this.s.code.offset;
  }

  readonly str = (off: number, where: () => string): string => {
    const s = this.strings.get(off);
    if (s === undefined) throw new BytecodeError(`bad string reference ${off} at ${where()}`);
    return s;
  };

  private table(k: number, where: () => string): number {
    if (k >= this.p.tables.length) throw new BytecodeError(`table index ${k} out of range at ${where()}`);
    return k;
  }

  /** Offsets of the `count` fixed-size records of a section. */
  private records(name: SectionName, size: number): number[] {
    const s = this.s[name];
    if (s.count * size !== s.size) throw new BytecodeError(`${name} section: ${s.count} records of ${size} bytes do not fill ${s.size} bytes`);
    return Array.from({ length: s.count }, (_, k) => s.offset + k * size);
  }

  /** refsIn(table, []) per table, for the rules that own no anonymous set. */
  private readonly plainRefs: DecodeRefs[] = [];

  /** Index → name within `table`; a rule passes the anonymous sets it owns, the only ones it may use. */
  refsIn(table: number, own?: number[]): DecodeRefs {
    const ref = (list: { table: number; name: string }[], what: string) => (k: number, where: () => string): string => {
      const x = list[k];
      if (!x) throw new BytecodeError(`${what} index ${k} out of range at ${where()}`);
      if (x.table !== table) throw new BytecodeError(`${what} index ${k} is in another table at ${where()}`);
      return x.name;
    };
    const set = ref(this.p.sets, 'set');
    return {
      set: (k, where) => {
        if (own && this.p.sets[k] && this.p.sets[k].flags & abi.SetFlags.Anonymous && !own.includes(k)) {
          throw new BytecodeError(`set index ${k} is another rule's anonymous set at ${where()}`);
        }
        return set(k, where);
      },
      object: ref(this.p.objects, 'object'),
      chain: ref(this.p.chains, 'chain'),
      str: this.str,
    };
  }

  readStrings(): void {
    const { offset, end, count } = this.s.strings;
    let at = offset;
    for (let k = 0; k < count; k++) {
      if (at + 2 > end || at + 2 + this.r.u16(at) > end) throw new BytecodeError(`truncated string ${k} at offset ${at}`);
      const n = this.r.u16(at);
      this.strings.set(at - offset, this.r.text(at + 2, n));
      at += 2 + n;
    }
    if (end - at > 3) throw new BytecodeError(`${end - at} stray bytes after the last string at offset ${at}`);
  }

  readTables(): void {
    this.records('tables', abi.TABLE_RECORD_SIZE).forEach((q, k) => {
      const where = () => `table ${k}`;
      const family = FAMILY_NAMES.get(this.r.u8(q + abi.TABLE_FAMILY));
      if (family === undefined) throw new BytecodeError(`unknown family ${this.r.u8(q + abi.TABLE_FAMILY)} at ${where()}`);
      const flags = this.r.u8(q + abi.TABLE_FLAGS);
      if (flags & ~abi.TableFlags.Dormant) throw new BytecodeError(`unknown table flags 0x${flags.toString(16)} at ${where()}`);
      this.p.tables.push({ family, name: this.str(this.r.u32(q + abi.TABLE_NAME), where), ...(flags ? { dormant: true as const } : {}) });
    });
  }

  readChains(): void {
    const r = this.r;
    this.records('chains', abi.CHAIN_RECORD_SIZE).forEach((q, k) => {
      const where = () => `chain ${k}`;
      const fail = (m: string) => new BytecodeError(`${m} at ${where()}`);
      const table = this.table(r.u32(q + abi.CHAIN_TABLE), where);
      const c: ProgChain = { table, name: this.str(r.u32(q + abi.CHAIN_NAME), where), handle: r.u32(q + abi.CHAIN_HANDLE) };
      const flags = r.u8(q + abi.CHAIN_FLAGS);
      if (flags & ~abi.ChainFlags.Base) throw fail(`unknown chain flags 0x${flags.toString(16)}`);
      if (flags & abi.ChainFlags.Base) {
        const type = CHAIN_TYPES[r.u8(q + abi.CHAIN_TYPE)];
        const hook = hooksOf(this.p.tables[table]!.family)[r.u8(q + abi.CHAIN_HOOK)];
        if (type === undefined) throw fail(`unknown chain type ${r.u8(q + abi.CHAIN_TYPE)}`);
        if (hook === undefined) throw fail(`unknown hook ${r.u8(q + abi.CHAIN_HOOK)}`);
        const devices = r.u32(q + abi.CHAIN_DEVICES);
        c.hook = { type, hook, prio: r.i32(q + abi.CHAIN_PRIO), devices: devices === NONE32 ? [] : this.str(devices, where).split('\0') };
      }
      const policy = r.u8(q + abi.CHAIN_POLICY);
      if (policy !== NONE8) {
        c.policy = CHAIN_POLICIES[policy];
        if (c.policy === undefined) throw fail(`unknown policy ${policy}`);
      }
      this.p.chains.push(c);
    });
  }

  readSets(): void {
    for (const [k, q] of this.records('sets', abi.SET_RECORD_SIZE).entries()) {
      const where = () => `set ${k}`;
      this.p.sets.push(decodeSet(this.r, q, this.table(this.r.u32(q + abi.SET_TABLE), where), this.str, where));
    }
  }

  /** Elements tile their section in set order. */
  readElements(): void {
    const el = this.s.elements;
    let at = el.offset;
    let count = 0;
    this.p.sets.forEach((s, k) => {
      const q = this.s.sets.offset + k * abi.SET_RECORD_SIZE;
      const where = () => `set ${s.name}`;
      if (el.offset + this.r.u32(q + abi.SET_ELEM_OFFSET) !== at) throw new BytecodeError(`elements of ${where()} do not follow the previous set's at offset ${at}`);
      const n = this.r.u32(q + abi.SET_ELEM_COUNT);
      if (n > (el.end - at) / abi.ELEM_KEY) throw new BytecodeError(`${n} elements of ${where()} cannot fit in ${el.end - at} bytes`);
      const refs = this.refsIn(s.table);
      for (let j = 0; j < n; j++) {
        const [e, size] = decodeElement(this.r, at, el.end, s, refs, () => `element ${j} of ${where()}`);
        s.elements.push(e);
        at += size;
      }
      count += n;
    });
    if (at !== el.end || count !== el.count) throw new BytecodeError(`elements section: ${count} elements in ${at - el.offset} bytes, header says ${el.count} in ${el.size}`);
  }

  readObjects(): void {
    const r = this.r;
    this.records('objects', abi.OBJ_RECORD_SIZE).forEach((q, k) => {
      const where = () => `object ${k}`;
      const table = this.table(r.u32(q + abi.OBJ_TABLE), where);
      const o: ProgObject = { table, name: this.str(r.u32(q + abi.OBJ_NAME), where), handle: r.u32(q + abi.OBJ_HANDLE), type: r.u8(q + abi.OBJ_TYPE) };
      this.p.objects.push(o);
      const state = r.u32(q + abi.OBJ_STATE);
      if (state === NONE32) return;
      const sw = () => `state of object ${o.name}`;
      if (this.s.code.offset + state !== this.codeAt) throw new BytecodeError(`${sw()} is not at code offset ${this.codeAt - this.s.code.offset}`);
      const n = recordSize(r, this.codeAt, this.s.code.end, sw);
      o.state = decodeInsn(r, this.codeAt, n, this.refsIn(table), sw, true);
      this.codeAt += n;
      this.codeRecords++;
    });
  }

  /** The rule and instruction readRules is at, for its error messages (closures made once, not per rule). */
  private ruleHandle = 0;
  private insnIndex = 0;
  private readonly ruleWhere = () => `rule ${this.ruleHandle}`;
  private readonly insnWhere = () => `insn ${this.insnIndex} of rule ${this.ruleHandle}`;

  readRules(): void {
    const r = this.r;
    const code = this.s.code;
    const where = this.ruleWhere;
    const iw = this.insnWhere;
    for (const q of this.records('rules', abi.RULE_RECORD_SIZE)) {
      const handle = r.u32(q + abi.RULE_HANDLE);
      this.ruleHandle = handle;
      const chain = r.u32(q + abi.RULE_CHAIN);
      if (chain >= this.p.chains.length) throw new BytecodeError(`chain index ${chain} out of range at ${where()}`);
      // The instruction list at its final size (push's growth leaves spare slots in every rule).
      const n = r.u16(q + abi.RULE_INSN_COUNT);
      const rule: ProgRule = { chain, handle, anonSets: [], insns: new Array<Insn>(n) };
      const position = r.u32(q + abi.RULE_POSITION);
      if (position !== NONE32) rule.position = position;
      const comment = r.u32(q + abi.RULE_COMMENT);
      if (comment !== NONE32) rule.comment = this.str(comment, where);
      const first = r.u32(q + abi.RULE_SET_FIRST);
      const nsets = r.u16(q + abi.RULE_SET_COUNT);
      if (nsets && first + nsets > this.p.sets.length) throw new BytecodeError(`anonymous sets ${first}..${first + nsets - 1} out of range at ${where()}`);
      for (let i = 0; i < nsets; i++) rule.anonSets.push(first + i);
      const start = code.offset + r.u32(q + abi.RULE_CODE);
      const end = start + r.u32(q + abi.RULE_CODE_SIZE);
      if (start !== this.codeAt) throw new BytecodeError(`code of ${where()} is not at code offset ${this.codeAt - code.offset}`);
      if (end > code.end) throw new BytecodeError(`truncated code of ${where()} at offset ${start}`);
      const table = this.p.chains[chain]!.table;
      // Rules without anonymous sets share their table's references (one set of closures, not one per rule).
      const refs = nsets ? this.refsIn(table, rule.anonSets) : (this.plainRefs[table] ??= this.refsIn(table, []));
      let pc = start;
      for (let j = 0; j < n; j++) {
        this.insnIndex = j;
        const size = recordSize(r, pc, end, iw);
        rule.insns[j] = decodeInsn(r, pc, size, refs, iw, false, true);
        pc += size;
      }
      if (pc !== end) throw new BytecodeError(`${end - pc} bytes after the last instruction of ${where()} at offset ${pc}`);
      this.codeAt = end;
      this.codeRecords += n;
      this.p.rules.push(rule);
    }
    if (this.codeAt !== code.end || this.codeRecords !== code.count) {
      throw new BytecodeError(`code section: ${this.codeRecords} records in ${this.codeAt - code.offset} bytes, header says ${code.count} in ${code.size}`);
    }
  }
}

/** Decodes an image; any defect gives a BytecodeError saying what is wrong, then where. */
export function decodeBytecode(bytes: Uint8Array): Program {
  const d = new Decoder(new Reader(bytes));
  d.readStrings();
  d.readTables();
  d.readChains();
  d.readSets();
  // Objects before elements: element expressions may name objects.
  d.readObjects();
  d.readElements();
  d.readRules();
  return d.p;
}

