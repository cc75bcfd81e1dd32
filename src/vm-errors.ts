// Load errors of the VM (assembly/load.ts, verify.ts) as text: what, then
// where — `unknown opcode 0x2a at insn 3 of rule handle 7`. The VM stores
// numbers only (abi VM_ERR_*); names come from the decoded image.

import * as abi from '../assembly/abi.js';
import { LoadError, LoadWhere, OPS } from '../assembly/abi.js';
import type { Program } from '../compiler/program.js';

/** The numbers the VM left in its error block. */
export interface VmLoadError {
  kind: LoadError;
  where: LoadWhere;
  rule: number;
  insn: number;
  index: number;
  elem: number;
  args: [number, number, number];
}

/** Reads the error block at `ctl`. */
export function readLoadError(view: DataView, ctl: number): VmLoadError {
  const u = (o: number) => view.getUint32(ctl + o, true);
  return {
    kind: u(abi.VM_ERR_KIND), where: u(abi.VM_ERR_WHERE), rule: u(abi.VM_ERR_RULE), insn: u(abi.VM_ERR_INSN),
    index: u(abi.VM_ERR_INDEX), elem: u(abi.VM_ERR_ELEM), args: [u(abi.VM_ERR_ARG1), u(abi.VM_ERR_ARG2), u(abi.VM_ERR_ARG3)],
  };
}

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;
const opName = (op: number) => (op > 0 && op < OPS.length ? `${OPS[op]!.expr} (${OPS[op]!.ops.split(',')[0]})` : `opcode ${hex(op)}`);
const META_UNSUPPORTED: Record<number, string> = { 13: 'rtclassid', 17: 'bri_iifname', 18: 'bri_oifname', 28: 'bri_iifpvid', 29: 'bri_iifvproto', 35: 'broute' };

function what(e: VmLoadError, p?: Program): string {
  const [a, b, c] = e.args;
  const chain = (k: number) => (p?.chains[k] ? `'${p.chains[k].name}'` : `${k}`);
  const set = (k: number) => (p?.sets[k] ? `'${p.sets[k].name}'` : `${k}`);
  switch (e.kind) {
    case LoadError.BadHeader:
      return a === 1 ? `bad magic ${hex(b, 8)}, not an nftvm bytecode image` : a === 2 ? `unsupported bytecode version ${b >>> 16}.${b & 0xffff} (this VM takes ${abi.BC_VERSION_MAJOR}.0 to ${abi.BC_VERSION_MAJOR}.${abi.BC_VERSION_MINOR})` : a === 3 ? `bad image size ${b}` : `bad section table (entry ${b})`;
    case LoadError.Truncated: return `truncated or misplaced data at offset ${a}`;
    case LoadError.UnknownOpcode: return `unknown opcode ${hex(a)}`;
    case LoadError.RecordSize: return `${opName(a)} record is ${b} bytes, its operands need ${c}`;
    case LoadError.BadRegister: return `register word ${a} of ${b} bytes out of range (words 4..19, word*4+len <= 80)`;
    case LoadError.VerdictRegister: return `${b}-byte store into the verdict register (word ${a})`;
    case LoadError.UninitRegister: return `load of ${b} bytes from register word ${a}, not written earlier in the rule`;
    case LoadError.BadOperand: return `${opName(a)}: bad operand at offset ${b}: ${c}`;
    case LoadError.BadSet: return `set index ${a} out of range or not this rule's`;
    case LoadError.SetMismatch: return `set ${set(a)}: length mismatch (${b})`;
    case LoadError.BadChain: return `chain index ${a} out of range`;
    case LoadError.JumpToBase: return `jump or goto to base chain ${chain(a)}`;
    case LoadError.OtherTable: return `${['', 'chain', 'set', 'object'][b] ?? 'index'} ${b === 1 ? chain(a) : b === 2 ? set(a) : a} is in another table`;
    case LoadError.BadVerdict: return `verdict code ${a | 0} not allowed`;
    case LoadError.TooManyLinks: return `too many links (EMLINK): base chain ${chain(a)} reaches ${abi.NFT_JUMP_STACK_SIZE} levels of jumps, or a loop`;
    case LoadError.NoConntrack: return `${opName(a)} needs conntrack, and this engine has no conntrack table (created with conntrack: false)`;
    case LoadError.Unsupported: return a === 0 ? 'element expressions on an interval set are not supported by the VM yet' : `${opName(a)} is not supported by the VM yet`;
    case LoadError.UnsupportedKey:
      if (a === abi.Op.Meta) return `meta ${META_UNSUPPORTED[b] ?? `key ${b}`} is not supported by the VM yet`;
      if (a === abi.Op.Dynset) {
        if (b === 0x200) return 'dynset on a non-hash (interval) set is not supported by the VM yet';
        if (b === 0x100) return 'a second dynset with element expressions on the same set is not supported by the VM yet';
        return `dynset element expression ${opName(b & 0xff)} is not supported by the VM yet`;
      }
      return `${opName(a)}: mode ${b} is not supported by the VM yet`;
    case LoadError.OutOfMemory: return `ruleset does not fit: ${a} bytes needed, the ruleset area has ${b}`;
    case LoadError.BadObject: return `object index ${a} invalid`;
    case LoadError.BadElement: return `malformed element ${b}`;
    case LoadError.BadString: return `bad string reference ${a}`;
    case LoadError.BadTable: return `bad table ${a} (family ${b})`;
    case LoadError.NoRoom: return `no room for this change in the loaded ruleset (${['', 'rule slots', 'set descriptors', 'memory', 'transaction log', 'kind of change', 'set entries'][a] ?? a})`;
    case LoadError.NoSuchObject: return a ? `no rule with handle ${a}` : 'no such element';
    case LoadError.SharedState: return `${opName(a)} keeps state that every packet updates, and evaluator threads share this engine's memory (created with shared: true); only counters are counted atomically`;
    case LoadError.BadChainRecord: return `bad chain record ${chain(a)}: ${['', 'hook', 'policy', 'flags', 'type'][b] ?? b}`;
  }
  return `load error ${e.kind}`;
}

function where(e: VmLoadError, p?: Program): string {
  switch (e.where) {
    case LoadWhere.Rule: return ` at insn ${e.insn} of rule handle ${e.rule}`;
    case LoadWhere.Set: return ` in set ${p?.sets[e.index]?.name ?? e.index}`;
    case LoadWhere.Element: return ` in element ${e.elem} of set ${p?.sets[e.index]?.name ?? e.index}`;
    case LoadWhere.Chain: return ` in chain ${p?.chains[e.index]?.name ?? e.index}`;
    case LoadWhere.Object: return ` in object ${p?.objects[e.index]?.name ?? e.index}`;
    case LoadWhere.Table: return ` in table ${p?.tables[e.index]?.name ?? e.index}`;
  }
  return '';
}

/** `what at where`; `p` (the decoded image, if it decodes) supplies names. */
export function formatLoadError(e: VmLoadError, p?: Program): string {
  return what(e, p) + where(e, p);
}
