// The binary bytecode (compiler/bytecode.ts): every compiling corpus file
// and one instruction of every kind round-trip exactly and print the same
// `nft --debug=netlink` text; damaged images give a precise BytecodeError
// and nothing else (a seeded fuzz of truncations and byte flips).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as abi from '../../assembly/abi.js';
import { BytecodeError, decodeBytecode, encodeBytecode, programOf, type ProgObject, type Program, type ProgSet } from '../../compiler/bytecode.js';
import { INSN_OPCODE } from '../../compiler/bytecode-insn.js';
import type { Insn } from '../../compiler/insn.js';
import type { SetDef } from '../../compiler/linearize.js';
import { compileRuleset, renderNetlink, type CompileResult } from '../../compiler/ruleset.js';
import { fsReader } from '../conformance.js';
import { unitRng as rng } from '../rng.js';

const corpus = new URL('../corpus/compile/', import.meta.url).pathname;
const files = readdirSync(corpus).filter((f) => f.endsWith('.nft')).sort();

function compile(file: string): CompileResult {
  return compileRuleset({ name: file, text: readFileSync(corpus + file, 'utf8') }, fsReader(corpus));
}

/** A SetDef for printing: the original's nft-only details, the decoded set's contents. */
function printable(orig: SetDef, s: ProgSet): SetDef {
  return { ...orig, name: s.name, flags: s.flags, timeout: s.timeout, gcInterval: s.gcInterval, size: s.size, policy: s.policy, elements: s.elements };
}

/** Each rule's and each single-batch named set's debug text, before and after the round trip. */
function debugTexts(r: CompileResult, d: Program): { want: string[]; got: string[] } {
  const want: string[] = [];
  const got: string[] = [];
  const live = (family: string, table: string, chain?: string) => {
    const t = r.tables.get(`${family} ${table}`);
    return !!t && (chain === undefined || t.chains.has(chain));
  };
  let k = 0;
  for (const o of r.outputs) {
    if (o.k !== 'rule' || !live(o.rule.family, o.rule.table, o.rule.chain)) continue;
    const rule = d.rules[k++]!;
    const chain = d.chains[rule.chain]!;
    const table = d.tables[chain.table]!;
    const anonSets = rule.anonSets.map((s, i) => printable(o.rule.anonSets[i]!, d.sets[s]!));
    const rebuilt = { ...o.rule, family: table.family, table: table.name, chain: chain.name, insns: rule.insns, anonSets, comment: rule.comment, position: rule.position };
    want.push(renderNetlink([o]));
    got.push(renderNetlink([{ k: 'rule', rule: rebuilt }]));
  }
  for (const o of r.outputs) {
    const batches = r.outputs.filter((x) => (x.k === 'set' || x.k === 'elements') && x.set === (o as { set?: SetDef }).set);
    if (o.k !== 'set' || batches.length !== 1 || r.tables.get(`${o.set.family} ${o.set.table}`)?.sets.get(o.set.name) !== o.set) continue;
    const s = d.sets.find((x) => !x.anonymous && x.name === o.set.name && d.tables[x.table]!.name === o.set.table && d.tables[x.table]!.family === o.set.family)!;
    want.push(renderNetlink([o]));
    got.push(renderNetlink([{ k: 'set', set: printable(o.set, s), elements: s.elements }]));
  }
  return { want, got };
}

/**
 * Named objects rules refer to but the file does not declare: nft leaves that
 * check to the kernel, and so does the encoder (it cannot resolve them).
 */
function missingObjects(p: Program): ProgObject[] {
  const out: ProgObject[] = [];
  for (const rule of p.rules) {
    const table = p.chains[rule.chain]!.table;
    for (const i of rule.insns) {
      if (i.op === 'objref' && !p.objects.some((o) => o.table === table && o.name === i.name) && !out.some((o) => o.table === table && o.name === i.name)) {
        out.push({ table, name: i.name, handle: 0, type: i.type });
      }
    }
  }
  return out;
}

describe('corpus round trip: encode → decode → same program, same debug text', () => {
  for (const file of files) {
    const r = compile(file);
    it.skipIf(r.diagnostics.length > 0)(file, () => {
      const p = programOf(r);
      const missing = missingObjects(p);
      if (missing.length) {
        expect(() => encodeBytecode(p)).toThrow(new RegExp(`: no object '${missing[0]!.name}' in table `));
        p.objects.push(...missing);
      }
      const bytes = encodeBytecode(p);
      const d = decodeBytecode(bytes);
      expect(d).toEqual(p);
      expect(encodeBytecode(d)).toEqual(bytes);
      const { want, got } = debugTexts(r, d);
      expect(got.join('')).toBe(want.join(''));
    });
  }

  it('compiling the same file twice gives identical bytes', () => {
    const a = encodeBytecode(programOf(compile('c-home-router.nft')));
    const b = encodeBytecode(programOf(compile('c-home-router.nft')));
    expect(b).toEqual(a);
  });
});

/** One instruction of every kind (the dynset nests two). */
const SAMPLES: Insn[] = [
  { op: 'payload', dreg: 1, base: 2, offset: 2, len: 2 },
  { op: 'payload_write', sreg: 1, base: 1, offset: 8, len: 2, csumType: 1, csumOff: 10, csumFlags: 1 },
  { op: 'cmp', cmp: 5, sreg: 9, data: Uint8Array.of(0, 22) },
  { op: 'range', neq: true, sreg: 1, from: Uint8Array.of(3, 232), to: Uint8Array.of(7, 208) },
  { op: 'bitwise', sreg: 1, dreg: 1, len: 6, mask: Uint8Array.of(255, 255, 255, 0, 0, 0), xor: Uint8Array.of(0, 0, 0, 0, 0, 1) },
  { op: 'bitwise_shift', sreg: 1, dreg: 2, len: 4, left: false, shift: 8 },
  { op: 'byteorder', sreg: 1, dreg: 1, hton: true, len: 4, size: 4 },
  { op: 'meta', key: 'l4proto', dreg: 1 },
  { op: 'meta_set', key: 'mark', sreg: 1 },
  { op: 'ct', key: 'src_ip6', dreg: 1, dir: 1 },
  { op: 'ct', key: 'state', dreg: 1 },
  { op: 'ct_set', key: 'zone', sreg: 1, dir: 0 },
  { op: 'immediate', dreg: 23, data: Uint8Array.of(10, 0, 0, 1) },
  { op: 'immediate_verdict', v: { verdict: 'jump', chain: 'c' } },
  { op: 'immediate_verdict', v: { verdict: 'return' } },
  { op: 'lookup', sreg: 1, set: 's', dreg: 0, inv: false },
  { op: 'lookup', sreg: 1, set: 's', inv: true },
  {
    op: 'dynset', setOp: 1, sregKey: 1, sregData: 2, set: 's', timeout: 5_184_000_000,
    exprs: [{ op: 'counter', pkts: 0n, bytes: 0n }, { op: 'limit', rate: 10n, unit: 60, burst: 5n, bytes: false, flags: 0 }],
  },
  { op: 'counter', pkts: 10n, bytes: 0xffff_ffff_ffffn },
  { op: 'limit', rate: 1024n, unit: 1, burst: 100n, bytes: true, flags: 1 },
  { op: 'quota', bytes: 1_000_000n, consumed: 5n, flags: 1 },
  { op: 'log', prefix: 'in: ', level: 4, flags: 3 },
  { op: 'log', group: 2, snaplen: 64, qthreshold: 10, flags: 0 },
  { op: 'reject', type: 2, code: 1 },
  { op: 'nat', kind: 'dnat', family: 'ip6', addrMin: 1, addrMax: 2, protoMin: 3, flags: 3 },
  { op: 'masq', protoMin: 1, protoMax: 9, flags: 0x14 },
  { op: 'redir', flags: 0 },
  { op: 'notrack' },
  { op: 'queue', num: 1, total: 4, flags: 3 },
  { op: 'queue', num: 0, total: 1, flags: 0, sregQnum: 1 },
  { op: 'objref', type: 1, name: 'o' },
  { op: 'objref_map', sreg: 1, set: 's' },
  { op: 'exthdr', exop: 1, dreg: 1, type: 2, offset: 2, len: 2, flags: 0 },
  { op: 'exthdr_write', exop: 1, sreg: 1, type: 2, offset: 2, len: 2 },
  { op: 'fib', flags: 0x29, result: 1, dreg: 1 },
  { op: 'rt', key: 'tcpmss', dreg: 1 },
  { op: 'numgen', dreg: 1, type: 1, mod: 10, offset: 5 },
  { op: 'hash', dreg: 1, type: 0, sreg: 2, len: 4, mod: 2, seed: 0xdeadbeef, offset: 0 },
  { op: 'socket', key: 'cgroupv2', dreg: 1, level: 2 },
  { op: 'osf', dreg: 1, ttl: 1, flags: 1 },
  { op: 'xfrm', key: 'saddr6', dreg: 1, dir: 1, spnum: 0 },
  { op: 'tproxy', family: 2, regAddr: 1, regPort: 2 },
  { op: 'dup', regAddr: 1, regDev: 2 },
  { op: 'fwd', regDev: 1, regAddr: 2, family: 10 },
  { op: 'synproxy', mss: 1460, wscale: 7 },
  { op: 'connlimit', count: 10, flags: 1 },
  { op: 'last' },
  { op: 'flow_offload', name: 'ft' },
  { op: 'ct_timeout', l3proto: 2, l4proto: 17, timeouts: new Uint8Array([7, 0, 0, 0, 45, 0, 0, 0]) },
  { op: 'ct_helper', l3proto: 1, l4proto: 6, helper: 'ftp' },
];

/** A hand-made program with every instruction (rule handle 10 + i) and every element part. */
function sampleProgram(): Program {
  const elements: ProgSet['elements'] = [
    { key: [Uint8Array.of(10, 0, 0, 1)], data: Uint8Array.of(1, 0, 0, 0), flags: 0, timeout: 30_000, expires: 12_000, comment: 'web' },
    { key: [Uint8Array.of(10, 0, 0, 2)], data: Uint8Array.of(2, 0, 0, 0), flags: 0, exprs: [{ op: 'counter', pkts: 1n, bytes: 60n }] },
    { key: [], data: Uint8Array.of(3, 0, 0, 0), flags: abi.SetElemFlags.Catchall },
  ];
  return {
    tables: [{ family: 'inet', name: 't' }, { family: 'netdev', name: 'n' }],
    chains: [
      { table: 0, name: 'input', handle: 1, hook: { type: 'filter', hook: 'input', prio: -150, devices: [] }, policy: 'drop' },
      { table: 0, name: 'c', handle: 2 },
      { table: 1, name: 'ingress', handle: 1, hook: { type: 'filter', hook: 'ingress', prio: 0, devices: ['eth0', 'eth1'] } },
    ],
    sets: [
      { table: 0, name: 's', handle: 3, flags: abi.SetFlags.Map | abi.SetFlags.Timeout, anonymous: false, key: [{ type: 'ipv4_addr', len: 4 }], data: { type: 'mark', len: 4 }, timeout: 60_000, gcInterval: 5000, size: 65535, policy: 'memory', comment: 'hosts', elements },
      {
        table: 0, name: '__map%d', handle: 5, flags: 0x8f, anonymous: true, key: [{ type: 'ipv4_addr', len: 4 }, { type: 'inet_service', len: 2 }], data: { type: 'verdict', len: 4 },
        elements: [
          { key: [Uint8Array.of(10, 0, 0, 0), Uint8Array.of(0, 22, 0, 0)], keyEnd: [Uint8Array.of(10, 255, 255, 255), Uint8Array.of(0, 25, 0, 0)], verdict: { verdict: 'goto', chain: 'c' }, flags: 0 },
          { key: [Uint8Array.of(192, 168, 0, 0), Uint8Array.of(0, 0, 0, 0)], keyEnd: [Uint8Array.of(255, 255, 255, 255), Uint8Array.of(255, 255, 0, 0)], verdict: { verdict: 'drop' }, flags: 0, open: true },
        ],
      },
    ],
    objects: [
      { table: 0, name: 'o', handle: 4, type: abi.ObjectType.Counter, state: { op: 'counter', pkts: 7n, bytes: 700n } },
      { table: 0, name: 'h', handle: 6, type: abi.ObjectType.CtHelper },
    ],
    rules: [
      { chain: 0, handle: 7, comment: 'many', anonSets: [1], insns: SAMPLES.slice(0, 6) },
      ...SAMPLES.map((i, k) => ({ chain: 1, handle: 10 + k, anonSets: [], insns: [i] })),
      { chain: 2, handle: 2, position: 1, anonSets: [], insns: [{ op: 'immediate_verdict', v: { verdict: 'accept' } }] },
    ],
  };
}

describe('instruction records', () => {
  it('the samples cover every instruction the compiler has', () => {
    const ops = Object.keys(INSN_OPCODE).filter((op) => op !== 'raw').sort();
    expect([...new Set(SAMPLES.map((i) => i.op))].sort()).toEqual(ops);
  });

  it('a program with every instruction and element part round-trips', () => {
    const p = sampleProgram();
    const d = decodeBytecode(encodeBytecode(p));
    expect(d).toEqual(p);
  });

  for (const insn of SAMPLES) {
    it(`${insn.op} is a record of the size the opcode table gives`, () => {
      const bytes = encodeBytecode(sampleProgram());
      const k = SAMPLES.indexOf(insn);
      const at = insnOffset(bytes, 1 + k, 0);
      const v = new DataView(bytes.buffer);
      expect(bytes[at]).toBe(INSN_OPCODE[insn.op]);
      const row = abi.OPS[bytes[at]!]!;
      const size = v.getUint16(at + abi.REC_SIZE, true);
      expect(size % 4).toBe(0);
      if (row.tail === abi.Tail.None) expect(size).toBe(row.size);
      else expect(size).toBeGreaterThanOrEqual(row.size);
    });
  }

  it('registers are stored as word indices', () => {
    const bytes = encodeBytecode(sampleProgram());
    const cmp = insnOffset(bytes, 1 + 2, 0); // cmp gte reg 9
    expect(bytes[cmp + abi.CMP_SREG]).toBe(5);
    const imm = insnOffset(bytes, 1 + 12, 0); // immediate reg 23
    expect(bytes[imm + abi.IMMEDIATE_DREG]).toBe(19);
  });
});

// --- helpers that find records in an image, using the ABI offsets

function section(b: Uint8Array, id: abi.Section): { offset: number; size: number } {
  const v = new DataView(b.buffer, b.byteOffset);
  const e = abi.BC_HEADER_SIZE + (id - 1) * abi.BC_SECTION_ENTRY_SIZE;
  return { offset: v.getUint32(e + abi.SEC_OFFSET, true), size: v.getUint32(e + abi.SEC_SIZE, true) };
}

/** Absolute offset of instruction `j` of the `k`-th rule record. */
function insnOffset(b: Uint8Array, k: number, j: number): number {
  const v = new DataView(b.buffer, b.byteOffset);
  const rule = section(b, abi.Section.Rules).offset + k * abi.RULE_RECORD_SIZE;
  let at = section(b, abi.Section.Code).offset + v.getUint32(rule + abi.RULE_CODE, true);
  for (let i = 0; i < j; i++) at += v.getUint16(at + abi.REC_SIZE, true);
  return at;
}

function decodeError(b: Uint8Array): string {
  try {
    decodeBytecode(b);
  } catch (e) {
    expect(e).toBeInstanceOf(BytecodeError);
    return (e as Error).message;
  }
  throw new Error('decoded without an error');
}

describe('decoding bad images gives precise errors', () => {
  const good = encodeBytecode(sampleProgram());
  const patched = (f: (b: Uint8Array, v: DataView) => void) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };

  it('too short for a header', () => expect(decodeError(good.subarray(0, 3))).toBe('truncated header: 3 bytes, need 16'));
  it('bad magic', () => expect(decodeError(patched((b) => (b[0] = 0x7f)))).toBe('bad magic 0x5654467f, not an nftvm bytecode image'));
  it('newer major version', () => expect(decodeError(patched((_, v) => (v.setUint16(abi.HDR_VERSION_MAJOR, 2, true), v.setUint16(abi.HDR_VERSION_MINOR, 0, true))))).toMatch(/^unsupported bytecode version 2\.0 \(this reader takes 1\.0 to 1\.1\)/));
  it('cut short', () => expect(decodeError(good.subarray(0, good.length - 4))).toBe(`header says ${good.length} bytes, got ${good.length - 4}`));

  it('unknown opcode', () => {
    const b = patched((b) => (b[insnOffset(b, 0, 3)] = 0x2c));
    expect(decodeError(b)).toBe('unknown opcode 0x2c at insn 3 of rule 7');
  });

  it('a record running past its rule', () => {
    const last = insnOffset(good, 0, 5);
    const b = patched((b, v) => {
      const rule = section(b, abi.Section.Rules).offset;
      v.setUint32(rule + abi.RULE_CODE_SIZE, v.getUint32(rule + abi.RULE_CODE_SIZE, true) - 4, true);
    });
    expect(decodeError(b)).toBe(`truncated record at offset ${last} (insn 5 of rule 7)`);
  });

  it('a record size that does not match its operands', () => {
    const at = insnOffset(good, 0, 2);
    const b = patched((b) => (b[at + abi.CMP_LEN] = 9));
    expect(decodeError(b)).toBe(`cmp record at offset ${at} is 12 bytes, its operands need 20 (insn 2 of rule 7)`);
  });

  it('a register outside the register file', () => {
    const b = patched((b) => (b[insnOffset(b, 0, 2) + abi.CMP_SREG] = 25));
    expect(decodeError(b)).toBe('register word 25 out of range at insn 2 of rule 7');
  });

  it('a set index out of range', () => {
    const k = 1 + SAMPLES.findIndex((i) => i.op === 'lookup');
    const b = patched((b, v) => v.setUint32(insnOffset(b, k, 0) + abi.LOOKUP_SET, 99, true));
    expect(decodeError(b)).toBe(`set index 99 out of range at insn 0 of rule ${10 + k - 1}`);
  });

  it('a jump into another table', () => {
    const k = 1 + SAMPLES.findIndex((i) => i.op === 'immediate_verdict');
    const b = patched((b, v) => v.setUint32(insnOffset(b, k, 0) + abi.IMMEDIATE_VERDICT_CHAIN, 2, true));
    expect(decodeError(b)).toBe(`chain index 2 is in another table at insn 0 of rule ${10 + k - 1}`);
  });

  it('an element record longer than its parts', () => {
    const el = section(good, abi.Section.Elements).offset;
    const b = patched((b) => (b[el + abi.ELEM_HAS] = 0));
    expect(decodeError(b)).toMatch(new RegExp(`^element record at offset ${el} is \\d+ bytes, its parts take 12 \\(element 0 of set s\\)$`));
  });
});

describe('encoding refuses what the format cannot hold', () => {
  const one = (insn: Insn): Program => ({
    tables: [{ family: 'ip', name: 't' }],
    chains: [{ table: 0, name: 'c', handle: 1 }],
    sets: [],
    objects: [],
    rules: [{ chain: 0, handle: 2, anonSets: [], insns: [insn] }],
  });
  const encodeError = (p: Program) => {
    try {
      encodeBytecode(p);
    } catch (e) {
      expect(e).toBeInstanceOf(BytecodeError);
      return (e as Error).message;
    }
    throw new Error('encoded without an error');
  };
  it('a set that does not exist', () => expect(encodeError(one({ op: 'lookup', sreg: 1, set: 'nope', inv: false }))).toBe("cannot encode insn 0 of rule 2: no set 'nope' in table t"));
  it('a jump to a chain that does not exist', () => expect(encodeError(one({ op: 'immediate_verdict', v: { verdict: 'jump', chain: 'x' } }))).toBe("cannot encode insn 0 of rule 2: no chain 'x' in table t"));
  it('an operand too wide for its field', () => expect(encodeError(one({ op: 'payload', dreg: 1, base: 1, offset: 0, len: 300 }))).toBe('cannot encode insn 0 of rule 2: len 300 out of range 0..255'));
  it('a register that does not exist', () => expect(encodeError(one({ op: 'meta', key: 'mark', dreg: 5 }))).toBe('cannot encode insn 0 of rule 2: register 5 out of range'));
  it('an unknown meta key', () => expect(encodeError(one({ op: 'meta', key: 'colour', dreg: 1 }))).toBe("cannot encode insn 0 of rule 2: unknown meta key 'colour'"));
  it('printer-only text', () => expect(encodeError(one({ op: 'raw', text: '[ x ]' }))).toBe("cannot encode insn 0 of rule 2: '[ x ]' is printer text, not an instruction"));
});

/** Decodes damaged bytes: a BytecodeError with a message, or a program that encodes again. */
function tolerate(b: Uint8Array): void {
  let p: Program;
  try {
    p = decodeBytecode(b);
  } catch (e) {
    if (!(e instanceof BytecodeError) || !e.message) throw e;
    return;
  }
  encodeBytecode(p);
}

describe('fuzzing the decoder (seeded)', () => {
  const images = [encodeBytecode(sampleProgram()), ...['a-maps-vmaps.nft', 'b-set-statements.nft', 'c-home-router.nft', 'b-objects.nft'].map((f) => encodeBytecode(programOf(compile(f))))];

  it('every truncation is an error', () => {
    const r = rng(7);
    for (let n = 0; n < 1500; n++) {
      const img = images[n % images.length]!;
      const cut = Math.floor(r() * img.length);
      expect(() => decodeBytecode(img.subarray(0, cut))).toThrow(BytecodeError);
    }
  });

  it('byte flips anywhere', () => {
    const r = rng(8);
    for (let n = 0; n < 3000; n++) {
      const b = images[n % images.length]!.slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(r() * b.length);
        b[at] = b[at]! ^ (1 + Math.floor(r() * 255));
      }
      tolerate(b);
    }
  });

  it('byte flips in the records (past the section table)', () => {
    const r = rng(9);
    const first = abi.BC_HEADER_SIZE + abi.SECTION_COUNT * abi.BC_SECTION_ENTRY_SIZE;
    for (let n = 0; n < 3000; n++) {
      const b = images[n % images.length]!.slice();
      const flips = 1 + Math.floor(r() * 3);
      for (let i = 0; i < flips; i++) b[first + Math.floor(r() * (b.length - first))] = Math.floor(r() * 256);
      tolerate(b);
    }
  });

  it('random bytes behind a valid header', () => {
    const r = rng(10);
    for (let n = 0; n < 500; n++) {
      const b = images[0]!.slice();
      for (let i = abi.BC_HEADER_SIZE; i < b.length; i++) if (r() < 0.3) b[i] = Math.floor(r() * 256);
      tolerate(b);
    }
  });
});
