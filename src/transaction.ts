// Transactions on a live Engine (Engine.apply, Engine.list): the next
// generation is checked by compiler/transaction.ts, its counters carried
// over from the running one, and loaded into the VM's inactive ruleset slot,
// which the VM switches to in one store (assembly/load.ts) — so a packet sees
// exactly the old or exactly the new ruleset. The kernel's counterpart is
// nf_tables_commit. `engine.apply('add rule inet f input tcp dport 80 accept')`.

import { encodeBytecode } from '../compiler/bytecode.js';
import { printInsn, type Insn } from '../compiler/insn.js';
import { LiveRuleset, type Generation } from '../compiler/transaction.js';
import type { ListOptions } from '../compiler/list.js';
import type { ObjDecl } from '../compiler/ast.js';
import type { ProgObject } from '../compiler/program.js';
import type { FileReader } from '../compiler/index.js';
import type { LiveState } from './engine.js';

export { TransactionError } from '../compiler/transaction.js';

/** What Transactions needs of the engine: its atomic image load and the live counters. */
export interface LoadTarget {
  load(image: Uint8Array): void;
  liveStates(): { rules: LiveState[][]; objects: (LiveState | undefined)[] };
}

/** The text an engine was loaded from, which a live ruleset starts with. */
export interface Seed {
  text: string;
  name: string;
  read?: FileReader;
}

/** A rule's identity across generations: table, handle and its instructions without their state. */
function ruleKey(family: string, table: string, handle: number, insns: Insn[]): string {
  const code = insns.filter((i) => i.op !== 'counter' && i.op !== 'quota' && i.op !== 'last').map(printInsn).join(';');
  return `${family} ${table} ${handle} ${code}`;
}

/** The live ruleset of one engine. */
export class Transactions {
  readonly live: LiveRuleset;
  /** The generation the engine runs (its program's rules are this generation's ruleRefs). */
  private loaded?: Generation;

  constructor(private readonly engine: LoadTarget, seed: Seed | undefined, opts: { read?: FileReader; interfaces?: ReadonlyMap<string, number> } = {}) {
    this.live = new LiveRuleset({ read: opts.read ?? seed?.read, interfaces: opts.interfaces });
    // The engine already runs the seed (loaded by Engine.load): only the state is rebuilt, not loaded again.
    if (seed) this.live.apply(seed.text, seed.name);
  }

  /**
   * Applies `text` as one transaction: checked, then loaded atomically.
   * Throws TransactionError (or EngineLoadError if the VM refuses the image)
   * and then leaves the running ruleset and the listing as they were.
   */
  apply(text: string, name = 'transaction.nft'): Generation {
    const g = this.live.prepare(text, name);
    this.carryState(g);
    this.engine.load(encodeBytecode(g.program));
    this.live.commit(g);
    this.loaded = this.live.current;
    return this.loaded;
  }

  /**
   * Counters and quotas of rules the transaction left alone keep their values
   * (the kernel keeps the rule; a replaced rule starts again from zero), and
   * so do named counters and quotas that still exist.
   */
  private carryState(g: Generation): void {
    const old = this.loaded;
    if (!old) return;
    const live = this.engine.liveStates();
    const byKey = new Map<string, LiveState[]>();
    old.ruleRefs.forEach((r, k) => byKey.set(ruleKey(r.table.family, r.table.name, r.rule.handle, r.rule.rule.insns), live.rules[k] ?? []));
    for (const r of g.ruleRefs) {
      const st = byKey.get(ruleKey(r.table.family, r.table.name, r.rule.handle, r.rule.rule.insns));
      if (st) writeStates(r.rule.rule.insns, st);
    }
    const objs = new Map<string, LiveState>();
    old.program.objects.forEach((o, k) => {
      const st = live.objects[k];
      if (st) objs.set(objKey(old, o), st);
    });
    for (const o of g.program.objects) {
      const st = objs.get(objKey(g, o));
      if (st && o.state) writeStates([o.state], [st]);
    }
  }

  /** Named counters and quotas with the VM's values, for the listing. */
  private liveObjects(g: Generation): Map<ObjDecl, ObjDecl> {
    const out = new Map<ObjDecl, ObjDecl>();
    const states = this.engine.liveStates().objects;
    g.program.objects.forEach((o, k) => {
      const st = states[k];
      const t = g.tables[o.table];
      const decl = t?.objs.find((x) => x.decl.name === o.name && x.handle === o.handle)?.decl;
      if (!decl || !st) return;
      if (st.op === 'counter') out.set(decl, { ...decl, stmt: { k: 'counter', packets: st.packets, bytes: st.bytes, span: decl.stmt?.span ?? decl.span } });
      else if (st.op === 'quota' && decl.stmt?.k === 'quota') out.set(decl, { ...decl, stmt: { ...decl.stmt, used: st.consumed } });
    });
    return out;
  }

  /** `nft list ruleset [-a]` of the current generation, with the VM's counter values where the engine runs it. */
  list(opts: ListOptions = {}): string {
    const g = this.live.current;
    if (this.loaded === g) {
      const states = this.engine.liveStates().rules;
      g.ruleRefs.forEach((r, k) => writeStates(r.rule.rule.insns, states[k] ?? []));
      return this.live.list({ ...opts, objects: this.liveObjects(g) });
    }
    return this.live.list(opts);
  }
}

/** A named object's identity across generations: table, type and name. */
function objKey(g: Generation, o: ProgObject): string {
  const t = g.program.tables[o.table]!;
  return `${t.family} ${t.name} ${o.type} ${o.name}`;
}

/** Writes live counter and quota values into a rule's instructions (in instruction order). */
function writeStates(insns: Insn[], states: LiveState[]): void {
  let s = 0;
  for (const i of insns) {
    if (i.op !== 'counter' && i.op !== 'quota' && i.op !== 'last') continue;
    const st = states[s++];
    if (i.op === 'counter' && st?.op === 'counter') {
      i.pkts = st.packets;
      i.bytes = st.bytes;
    } else if (i.op === 'quota' && st?.op === 'quota') i.consumed = st.consumed;
  }
}
