// Load-time rejections, one per kind (the verifier is the VM's security
// boundary): each test compiles a valid image, damages one field, and
// checks the message says what and where — and that the previous ruleset
// stays active.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { encodeBytecode, programOf } from '../../../compiler/bytecode.js';
import { compileRuleset } from '../../../compiler/ruleset.js';
import { EngineLoadError } from '../../../src/engine.js';
import { DROP, engine, inputChain, ipv4, rx, tcp } from './helpers.js';

function image(text: string): Uint8Array {
  const r = compileRuleset({ name: 't.nft', text });
  if (r.diagnostics.length) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return encodeBytecode(programOf(r));
}

/** File offset of section `id`. */
function section(img: Uint8Array, id: abi.Section): number {
  return new DataView(img.buffer, img.byteOffset).getUint32(abi.BC_HEADER_SIZE + (id - 1) * abi.BC_SECTION_ENTRY_SIZE + abi.SEC_OFFSET, true);
}

/** File offset of instruction `n` of the rule with record index `k`. */
function insnAt(img: Uint8Array, k: number, n: number): number {
  const v = new DataView(img.buffer, img.byteOffset);
  const rule = section(img, abi.Section.Rules) + k * abi.RULE_RECORD_SIZE;
  let p = section(img, abi.Section.Code) + v.getUint32(rule + abi.RULE_CODE, true);
  for (let i = 0; i < n; i++) p += v.getUint16(p + 2, true);
  return p;
}

async function rejects(img: Uint8Array, message: RegExp): Promise<void> {
  const e = await engine();
  e.load(inputChain('tcp dport 22 drop'));
  expect(() => e.load(img)).toThrow(message);
  // Nothing half-loaded: the previous ruleset still decides.
  expect(e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) }))]).verdict(0)).toBe(DROP);
}

const RULE = inputChain('tcp dport 22 counter accept'); // meta l4proto; cmp; payload; cmp; counter; immediate
const handle = 2;

describe('verifier rejections', () => {
  it('bad magic', async () => {
    const img = image(RULE);
    img[0] = 0;
    await rejects(img, /^bad magic 0x5654464e|^bad magic 0x56544600/);
  });
  it('unsupported version', async () => {
    const img = image(RULE);
    img[abi.HDR_VERSION_MAJOR] = 9;
    img[abi.HDR_VERSION_MINOR] = 0;
    await rejects(img, /unsupported bytecode version 9\.0 \(this VM takes 1\.0 to 1\.1\)/);
  });
  it('size mismatch (truncated image)', async () => {
    await rejects(image(RULE).subarray(0, 200), /bad image size/);
  });
  it('unknown opcode 0x2c at insn 3 of rule handle 2', async () => {
    const img = image(RULE);
    img[insnAt(img, 0, 3)] = 0x2c;
    await rejects(img, new RegExp(`^unknown opcode 0x2c at insn 3 of rule handle ${handle}$`));
  });
  it('record size disagreeing with the operands', async () => {
    const img = image(RULE);
    const p = insnAt(img, 0, 1); // cmp, 12 bytes
    img[p + abi.CMP_LEN] = 9; // needs 8 + 12
    await rejects(img, /cmp \(nft_cmp_ops\) record is 12 bytes, its operands need 20 at insn 1/);
  });
  it('register out of the file', async () => {
    const img = image(RULE);
    img[insnAt(img, 0, 2) + abi.PAYLOAD_DREG] = 19; // 2 bytes at word 19: 76 + 2 ≤ 80 fine; use 4 bytes below
    img[insnAt(img, 0, 2) + abi.PAYLOAD_LEN] = 8;
    await rejects(img, /register word 19 of 8 bytes out of range .* at insn 2/);
  });
  it('store into the verdict register', async () => {
    const img = image(RULE);
    img[insnAt(img, 0, 2) + abi.PAYLOAD_DREG] = 0;
    await rejects(img, /2-byte store into the verdict register \(word 0\) at insn 2/);
  });
  it('load of a register not written earlier in the rule', async () => {
    const img = image(RULE);
    img[insnAt(img, 0, 1) + abi.CMP_SREG] = 8;
    await rejects(img, /load of 1 bytes from register word 8, not written earlier in the rule at insn 1/);
  });
  it('operand out of range (cmp op 9)', async () => {
    const img = image(RULE);
    img[insnAt(img, 0, 1) + abi.CMP_OP] = 9;
    await rejects(img, /cmp \(nft_cmp_ops\): bad operand at offset 5: 9 at insn 1/);
  });
  it('verdict code not allowed (NF_STOLEN)', async () => {
    const img = image(RULE);
    new DataView(img.buffer).setInt32(insnAt(img, 0, 5) + abi.IMMEDIATE_VERDICT_CODE, abi.Verdict.Stolen, true);
    await rejects(img, /verdict code 2 not allowed at insn 5/);
  });
  it('set index out of range', async () => {
    const img = image(inputChain('tcp dport { 22, 23 } drop'));
    new DataView(img.buffer).setUint32(insnAt(img, 0, 3) + abi.LOOKUP_SET, 99, true);
    await rejects(img, /set index 99 out of range or not this rule's at insn 3/);
  });
  it('jump to a base chain', async () => {
    const img = image(`table ip t {\n chain x {\n  accept\n }\n chain c { type filter hook input priority 0;\n  jump x\n }\n}`);
    new DataView(img.buffer).setUint32(insnAt(img, 1, 0) + abi.IMMEDIATE_VERDICT_CHAIN, 1, true);
    await rejects(img, /jump or goto to base chain 'c'/);
  });
  it('jump into another table', async () => {
    const img = image(`table ip t {\n chain c { type filter hook input priority 0;\n  jump x\n }\n chain x {\n  accept\n }\n}\ntable ip u {\n chain y {\n  accept\n }\n}`);
    new DataView(img.buffer).setUint32(insnAt(img, 0, 0) + abi.IMMEDIATE_VERDICT_CHAIN, 2, true);
    await rejects(img, /chain ('y'|2) is in another table at insn 0 of rule handle/);
  });
  it('16 levels of jumps (EMLINK), and a loop reachable from a base chain', async () => {
    const chains = Array.from({ length: 16 }, (_, i) => ` chain c${i + 1} {\n  ${i < 15 ? `jump c${i + 2}` : 'accept'}\n }`).join('\n');
    await rejects(image(`table ip t {\n${chains}\n chain base { type filter hook input priority 0;\n  jump c1\n }\n}`), /too many links \(EMLINK\): base chain 'base'/);
    const img = image(`table ip t {\n chain a {\n  jump b\n }\n chain b {\n  accept\n }\n chain c { type filter hook input priority 0;\n  jump a\n }\n}`);
    new DataView(img.buffer).setUint32(insnAt(img, 1, 0) + abi.IMMEDIATE_VERDICT_CHAIN, 0, true); // b: jump a
    const v = new DataView(img.buffer);
    v.setInt32(insnAt(img, 1, 0) + abi.IMMEDIATE_VERDICT_CODE, abi.Verdict.Jump, true);
    await rejects(img, /too many links/);
  });
  it('a loop not reachable from a base chain is accepted', async () => {
    const e = await engine();
    e.load(`table ip t {\n chain a {\n  jump b\n }\n chain b {\n  jump a\n }\n chain c { type filter hook input priority 0;\n  accept\n }\n}`);
  });
  it('instructions the VM does not run yet fail loudly: connlimit, synproxy', async () => {
    await rejects(image(inputChain('tcp dport 22 ct count over 4 drop')), /^connlimit \(nft_connlimit_ops\) is not supported by the VM yet at insn \d+ of rule handle 2$/);
    await rejects(image(inputChain('tcp dport 80 synproxy mss 1460 wscale 7')), /synproxy \(nft_synproxy_ops\) is not supported by the VM yet/);
  });
  it('unsupported meta key', async () => {
    await rejects(image(inputChain('meta ibrname "br0" drop', 'bridge')), /meta bri_iifname is not supported by the VM yet at insn 0/);
  });
  it('ruleset area too small', async () => {
    const e = await engine({ rulesetBytes: 256 });
    const err = (() => {
      try {
        e.load(inputChain('tcp dport { 1, 2, 3, 4, 5, 6, 7, 8 } drop'));
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EngineLoadError);
    expect((err as EngineLoadError).message).toMatch(/ruleset does not fit/);
  });
  it('compile errors come back in nft style', async () => {
    const e = await engine();
    expect(() => e.load('table ip t { chain c { tcp dport ssh accepts } }')).toThrow(/ruleset\.nft:1:\d+-\d+: Error:/);
  });
});
