// The ABI (assembly/abi.ts): one opcode-table row per opcode whose layout
// notes name the operand constants, a bytecode mapping for every
// instruction the compiler emits (and an instruction for every opcode),
// kernel register numbering, and a module asc builds from it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { describe, expect, it } from 'vitest';
import * as abi from '../../assembly/abi.js';
import { Op, OPS } from '../../assembly/abi.js';
import { CT_KEY_NAMES, INSN_OPCODE, META_KEY_NAMES } from '../../compiler/bytecode-insn.js';
import { CT_KEYS } from '../../compiler/expr/ct-keys.js';
import { META_KEYS } from '../../compiler/expr/meta-keys.js';
import type { Insn } from '../../compiler/insn.js';
import { netlinkReg } from '../../compiler/regs.js';
import { compileRuleset } from '../../compiler/ruleset.js';
import { fsReader } from '../conformance.js';

const root = new URL('../../', import.meta.url).pathname;
const abiExports = abi as unknown as Record<string, unknown>;
/** Names of a numeric enum's members. */
const members = (e: object) => Object.keys(e).filter((k) => Number.isNaN(Number(k)));
/** `PayloadSet` → `PAYLOAD_SET`, the prefix of its operand constants. */
const prefix = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
const WIDTH: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, str: 4 };

describe('opcode table', () => {
  const ops = members(Op);

  it('has one row per opcode, indexed by it', () => {
    expect(OPS.length).toBe(abi.OP_COUNT);
    expect(ops.length).toBe(abi.OP_COUNT - 1);
    for (const name of ops) {
      const op = Op[name as keyof typeof Op];
      expect(OPS[op]?.op, name).toBe(op);
    }
    expect(OPS[0]!.expr).toBe('');
  });

  for (const name of members(Op)) {
    const row = OPS[Op[name as keyof typeof Op]]!;
    it(`${name}: ${row.expr} (${row.ops}), ${row.size} bytes`, () => {
      expect(row.size % 4).toBe(0);
      expect(row.size).toBeGreaterThanOrEqual(abi.REC_HEADER_SIZE);
      expect(row.ops).toMatch(/^nft_\w+_ops?\b/);
      const hasLen = row.tail === abi.Tail.Data || row.tail === abi.Tail.Data2 || row.tail === abi.Tail.Bitwise;
      if (hasLen) expect(row.lenAt).toBeGreaterThanOrEqual(abi.REC_HEADER_SIZE);
      else expect(row.lenAt).toBe(0);
      // Every `field:type@offset` of the layout note is the constant PREFIX_FIELD.
      for (const [, field, type, at] of row.layout.matchAll(/(\w+):(\w+)@(\d+)/g)) {
        const constant = `${prefix(name)}_${field!.toUpperCase()}`;
        expect(abiExports[constant], constant).toBe(Number(at));
        if (WIDTH[type!] !== undefined && row.tail === abi.Tail.None) expect(Number(at) + WIDTH[type!]!, constant).toBeLessThanOrEqual(row.size);
      }
    });
  }
});

/** Compiler sources that build instructions (the type, the printer and the codec excluded). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') && !/^(insn|ast)\.ts$|^bytecode/.test(f) ? [p] : [];
  });
}

describe('compiler instructions and opcodes', () => {
  const encodable = Object.entries(INSN_OPCODE).filter(([, op]) => op !== undefined) as [Insn['op'], Op][];

  it('every instruction but printer text has an opcode', () => {
    expect(Object.entries(INSN_OPCODE).filter(([, op]) => op === undefined).map(([k]) => k)).toEqual(['raw']);
    for (const [name, op] of encodable) expect(OPS[op]?.op, name).toBe(op);
  });

  it('every opcode is the target of an instruction', () => {
    const targets = new Set(encodable.map(([, op]) => op));
    for (const name of members(Op)) expect(targets.has(Op[name as keyof typeof Op]), name).toBe(true);
  });

  it('every instruction literal in compiler/ has an opcode', () => {
    const found = new Set<string>();
    for (const f of sources(join(root, 'compiler'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\{\s*op:\s*'(\w+)'/g)) found.add(m[1]!);
    }
    expect(found.size).toBeGreaterThan(30);
    for (const op of found) expect(INSN_OPCODE[op as Insn['op']], op).toBeDefined();
  });

  it('every instruction the corpus compiles to has an opcode', () => {
    const corpus = join(root, 'test/corpus/compile/');
    const seen = new Set<string>();
    const walk = (i: Insn) => {
      seen.add(i.op);
      if (i.op === 'dynset') i.exprs.forEach(walk);
    };
    for (const f of readdirSync(corpus).filter((x) => x.endsWith('.nft'))) {
      const r = compileRuleset({ name: f, text: readFileSync(corpus + f, 'utf8') }, fsReader(corpus));
      for (const o of r.outputs) if (o.k === 'rule') o.rule.insns.forEach(walk);
    }
    for (const op of seen) expect(INSN_OPCODE[op as Insn['op']], op).toBeDefined();
  });
});

describe('kernel numbering', () => {
  it('register numbers map to words as nft_parse_register does', () => {
    for (let n = 0; n < abi.NFT_REG_TO_WORD.length; n++) {
      const want = n <= abi.Reg.R4 ? n * 4 : n >= abi.Reg.R32_00 && n <= abi.Reg.R32_15 ? n - 4 : -1;
      expect(abi.NFT_REG_TO_WORD[n], `reg ${n}`).toBe(want);
    }
    expect(abi.NFT_WORD_TO_REG.length).toBe(abi.NFT_REG32_NUM);
    for (let w = abi.NFT_REG_DATA_WORD; w < abi.NFT_REG32_NUM; w++) expect(abi.NFT_REG_TO_WORD[abi.NFT_WORD_TO_REG[w]!]).toBe(w);
  });

  it('words name their register as nft 1.0.6 allocates it', () => {
    for (let u = 1; u <= abi.NFT_REG32_COUNT; u++) expect(abi.NFT_WORD_TO_REG[abi.NFT_REG_DATA_WORD + u - 1], `unit ${u}`).toBe(netlinkReg(u));
  });

  it('verdict codes are the uapi values', () => {
    expect([abi.Verdict.Drop, abi.Verdict.Accept, abi.Verdict.Queue]).toEqual([0, 1, 3]);
    expect([abi.Verdict.Continue, abi.Verdict.Break, abi.Verdict.Jump, abi.Verdict.Goto, abi.Verdict.Return]).toEqual([-1, -2, -3, -4, -5]);
  });

  it('meta and ct keys agree with the compiler and the printer names', () => {
    expect(META_KEY_NAMES.length).toBe(members(abi.MetaKey).length);
    for (const k of Object.values(META_KEYS)) expect(META_KEY_NAMES[k.key], k.print).toBe(k.print);
    expect(CT_KEY_NAMES.length).toBe(members(abi.CtKey).length);
    for (const k of Object.values(CT_KEYS)) expect(CT_KEY_NAMES[k.key], k.print).toBe(k.print);
  });
});

describe('the AssemblyScript side', () => {
  it('asc builds assembly/index.ts and reports the ABI version', async () => {
    const files: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const f of readdirSync(join(root, 'assembly', dir))) {
        const rel = dir ? `${dir}/${f}` : f;
        if (statSync(join(root, 'assembly', rel)).isDirectory()) walk(rel);
        else if (f.endsWith('.ts') && !f.endsWith('.d.ts')) files[rel] = readFileSync(join(root, 'assembly', rel), 'utf8');
      }
    };
    walk('');
    const { error, binary, stderr } = await asc.compileString(files, { optimizeLevel: 0, runtime: 'stub' });
    expect(error, stderr.toString()).toBeNull();
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(binary!)), { env: { abort: () => {} } });
    const version = (instance.exports.abiVersion as () => number)();
    expect(version).toBe((abi.BC_VERSION_MAJOR << 16) | abi.BC_VERSION_MINOR);
  });
});
