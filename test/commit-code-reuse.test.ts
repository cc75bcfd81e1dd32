// Code bytes of dead rules are reused (assembly/commit.ts codeTake,
// codeRetire): streams of in-place commits that add and delete rules stay in
// a ruleset slot with little room to spare, where, without reuse, every
// added rule's code would take new bytes until the slot ran out and the
// host fell back to a whole load. Each test checks the packets' verdicts on
// the way, and that the code of the rules that stay (their counters) is
// left alone by the rules that come and go around it. And dead rule records
// make room in their chain (chainSlot): the same streams in a short chain
// do not move it until the rule array's spare tail runs out. Sets come
// back the same way: the descriptor and the memory of a deleted named set,
// and of a dead rule's anonymous sets, go to later sets (setDead).

import { describe, expect, it } from 'vitest';
import { encodePatch } from '../compiler/bytecode.js';
import { LiveRuleset } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import * as layout from '../assembly/layout.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp } from './assembly/vm/helpers.js';
import { both, wholeLoad } from './live-base.js';

/** Base chain `input` (policy drop) with `live` counted rules for ports 2000.., and a regular chain `sub` it jumps to. */
function base(live: number): string {
  const l = ['table inet f {', '\tchain input {', '\t\ttype filter hook input priority filter; policy drop;', '\t\tjump sub'];
  for (let i = 0; i < live; i++) l.push(`\t\ttcp dport ${2000 + i} counter accept`);
  l.push('\t}', '\tchain sub {', '\t}', '}');
  return l.join('\n') + '\n';
}

/** Room for a few hundred bytes of rules above what the base ruleset needs. */
const SPARE_BYTES = 6 << 10;

/** An engine whose ruleset slot holds `text` and `spare` bytes more, with `text` applied; and the same ruleset as the compiler keeps it. */
async function tight(text: string, spare = SPARE_BYTES): Promise<{ e: Engine; live: LiveRuleset }> {
  // The smallest slot that loads it, within 256 bytes.
  let lo = 16 << 10;
  let hi = 4 << 20;
  while (hi - lo > 256) {
    const mid = (lo + hi) >> 1;
    const e = await engine({ rulesetBytes: mid });
    try {
      e.apply(text, 'base.nft');
      hi = mid;
    } catch {
      lo = mid;
    }
  }
  const e = await engine({ rulesetBytes: hi + spare });
  e.apply(text, 'base.nft');
  const live = new LiveRuleset();
  live.apply(text, 'base.nft');
  return { e, live };
}

const to = (dport: number): PacketIn => rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) }));

/** Each packet's verdict and deciding rule. */
function outcomeOf(e: Engine, pkts: PacketIn[]): [number, number][] {
  const r = e.evaluate(pkts);
  return pkts.map((_, i) => [r.verdict(i), r.rule(i)]);
}

/** Verdict and deciding rule of a packet to `dport`. */
function fate(e: Engine, dport: number): [number, number] {
  const r = e.evaluate([to(dport)]);
  return [r.verdict(0), r.rule(0)];
}

/** Handle of the listed rule that starts with `start` (its matches, up to its counter). */
function handleOf(e: Engine, start: string): number {
  const m = new RegExp(`\\t${start} [^\\n]*# handle (\\d+)\\n`).exec(e.list({ handles: true }));
  if (!m) throw new Error(`no rule ${start}`);
  return Number(m[1]);
}

/** A rule's matches: its text before ` counter`. */
const matches = (rule: string): string => rule.slice(0, rule.indexOf(' counter'));

/** The packets' fates in `e` and in a fresh engine loaded with what the compiler says the ruleset is now. */
async function sameAsFresh(e: Engine, live: LiveRuleset, ports: number[]): Promise<void> {
  const fresh = await wholeLoad(live);
  for (const p of ports) expect(fate(e, p), `port ${p}`).toEqual(fate(fresh, p));
}

/** The VM's raw in-place exports (as test/transaction-inplace.test.ts), to send patches the host would not. */
interface Tx {
  memory: WebAssembly.Memory;
  txBegin(): number;
  txAddRule(len: number, mode: number, ref: number): number;
  txAddSets(len: number, first: number): number;
  txDelSet(set: number): number;
  setFree(first: number, n: number): number;
  txCommit(finish: number): number;
  txAbort(): void;
  imageAddr(): number;
  ctlAddr(): number;
}

const ACCEPT = abi.Verdict.Accept;
const DROP = abi.Verdict.Drop;

describe('code of deleted rules is reused (assembly/commit.ts)', () => {
  it('add rule / delete rule cycles far beyond the spare bytes and set descriptors stay in place', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    for (let i = 0; i < 400; i++) {
      const port = 1000 + (i % 7);
      // Two sizes of rule, so that reused ranges are split too; rules with a hash set, an interval set, and two sets (a run of two descriptors).
      const rule = [
        `tcp dport ${port} counter accept`, `ip saddr 10.0.0.9 tcp sport 40000 tcp dport ${port} counter accept`, `tcp dport ${port} counter accept`,
        `tcp dport { ${port}, ${port + 100}, ${port + 200} } counter accept`, `tcp dport { ${port}-${port + 1}, 3000-3010 } counter accept`,
        `ip saddr { 10.0.0.8, 10.0.0.9 } tcp dport { 5, ${port} } counter accept`,
      ][i % 6]!;
      both(e, live, `add rule inet f input ${rule}`);
      const h = handleOf(e, matches(rule));
      expect(fate(e, port), rule).toEqual([ACCEPT, h]);
      both(e, live, `delete rule inet f input handle ${h}`);
      expect(fate(e, port), rule).toEqual([DROP, 0]);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    expect(fate(e, 2003)).toEqual([ACCEPT, handleOf(e, 'tcp dport 2003')]);
    await sameAsFresh(e, live, [1000, 1006, 2000, 2003, 2004]);
  });

  it('replace rule cycles stay in place (the replaced rules\' anonymous sets go with them)', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    both(e, live, 'add rule inet f input tcp dport 999 counter drop');
    const h = handleOf(e, 'tcp dport 999');
    for (let i = 0; i < 400; i++) {
      const port = 1000 + (i % 5);
      const rule = [`tcp dport ${port} counter drop`, `tcp sport 40000 tcp dport ${port} counter drop`, `tcp dport { ${port}, ${port + 50} } counter drop`][i % 3]!;
      both(e, live, `replace rule inet f input handle ${h} ${rule}`);
      expect(fate(e, port), rule).toEqual([DROP, h]);
      // The rule it replaced matches no more: the packet falls to the policy (drop, no rule).
      expect(fate(e, 1000 + ((i + 4) % 5)), rule).toEqual([DROP, 0]);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [999, 1000, 1003, 2000]);
  });

  it('flush chain cycles stay in place', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    for (let i = 0; i < 300; i++) {
      const port = 1000 + (i % 9);
      // A rule added before the flush in the same transaction goes with it (in no generation: dead at once).
      both(e, live, `add rule inet f sub tcp dport ${port + 2} counter accept\nflush chain inet f sub\nadd rule inet f sub tcp dport ${port} counter drop\nadd rule inet f sub tcp dport ${port + 1} counter accept`);
      expect(fate(e, port)).toEqual([DROP, handleOf(e, `tcp dport ${port}`)]);
      expect(fate(e, port + 1)).toEqual([ACCEPT, handleOf(e, `tcp dport ${port + 1}`)]);
      expect(fate(e, port + 2)).toEqual([DROP, 0]);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [1000, 1001, 1008, 1009, 2001]);
  });

  it('a rule refused after its code took a free range gives the range back as it was', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    const x = (e as unknown as { x: Tx }).x;
    // The patches of in-place `add rule`s as the host sends them, to send again refused.
    const patches: Uint8Array[] = [];
    const commit = e.commitInPlace.bind(e);
    e.commitInPlace = (steps, program) => {
      for (const st of steps) if (st.op === 'addRule') patches.push(st.image.slice());
      return commit(steps, program);
    };
    const send = (steps: [Uint8Array, number, number][]): number[] => {
      expect(x.txBegin()).toBe(abi.LoadError.Ok);
      const rcs = steps.map(([p, mode, ref]) => {
        new Uint8Array(x.memory.buffer).set(p, x.imageAddr());
        return x.txAddRule(p.length, mode, ref);
      });
      x.txAbort();
      return rcs;
    };
    both(e, live, 'add rule inet f input tcp dport 999 counter accept');
    const ok = patches.pop()!;
    both(e, live, `delete rule inet f input handle ${handleOf(e, 'tcp dport 999')}`);
    // The same rule with an unknown opcode in its second record: the verifier refuses it after checking the first.
    const bad = ok.slice();
    const code = new DataView(bad.buffer).getUint32(abi.BC_HEADER_SIZE + (abi.Section.Code - 1) * abi.BC_SECTION_ENTRY_SIZE + abi.SEC_OFFSET, true);
    bad[code + new DataView(bad.buffer).getUint16(code + 2, true)] = 0xfe;
    for (let i = 0; i < 300; i++) {
      const port = 1000 + (i % 7);
      // Bigger than the refused rule (the free range it takes is split) or the same size (taken whole).
      const rule = i % 2 ? `ip saddr 10.0.0.9 ip daddr 10.0.0.1 tcp sport 40000 tcp dport ${port} counter accept` : `tcp dport ${port} counter accept`;
      both(e, live, `add rule inet f input ${rule}`);
      const h = handleOf(e, matches(rule));
      expect(fate(e, port)).toEqual([ACCEPT, h]);
      both(e, live, `delete rule inet f input handle ${h}`);
      // Placed after a rule that is not there; refused by the verifier; each after a rule of its own transaction took a range too (the abort retires that one).
      expect(send([[ok, 2, 0x7fffffff]])).toEqual([abi.LoadError.NoSuchObject]);
      expect(send([[bad, 0, 0]])[0]).toBe(abi.LoadError.UnknownOpcode);
      expect(send([[ok, 0, 0], [ok, 2, 0x7fffffff]])).toEqual([abi.LoadError.Ok, abi.LoadError.NoSuchObject]);
      expect(send([[ok, 0, 0], [bad, 1, 0]])).toEqual([abi.LoadError.Ok, abi.LoadError.UnknownOpcode]);
      expect(fate(e, port)).toEqual([DROP, 0]);
      expect(fate(e, 999)).toEqual([DROP, 0]);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    both(e, live, 'add rule inet f input tcp dport 1000 counter accept');
    expect(fate(e, 1000)).toEqual([ACCEPT, handleOf(e, 'tcp dport 1000')]);
    expect(e.image).toBe(image);
    await sameAsFresh(e, live, [999, 1000, 1001, 2000, 2003]);
  });

  it('the code of a dead rule is reused only once another commit has finished after it died', async () => {
    const { e, live } = await tight(base(2));
    // Where the VM keeps the code of the rule with `handle` of chain 0 (input).
    const codeAt = (handle: number): number => {
      const v = new DataView((e as unknown as { x: Tx }).x.memory.buffer);
      const rs = v.getUint32((e as unknown as { x: { ctlAddr(): number } }).x.ctlAddr() + abi.VM_ACTIVE, true);
      const ch = v.getUint32(rs + layout.RS_CHAINS, true);
      const rules = v.getUint32(rs + layout.RS_RULES, true);
      for (let i = 0; i < v.getUint32(ch + layout.CH_COUNT, true); i++) {
        const r = rules + (v.getUint32(ch + layout.CH_FIRST, true) + i) * layout.RU_SIZE;
        if (v.getUint32(r + layout.RU_HANDLE, true) === handle && !(v.getUint8(r + layout.RU_FFLAGS) & layout.RuleGen.Dead)) return v.getUint32(r + layout.RU_CODE, true);
      }
      throw new Error(`no rule ${handle}`);
    };
    const cycle = (port: number): number => {
      both(e, live, `add rule inet f input tcp dport ${port} counter accept`);
      const h = handleOf(e, `tcp dport ${port}`);
      const at = codeAt(h);
      both(e, live, `delete rule inet f input handle ${h}`);
      return at;
    };
    const a = cycle(1000);
    // Dead since the last commit finished: an evaluator on another thread may have been in it until then.
    const b = cycle(1001);
    expect(b).not.toBe(a);
    // A finish later (the delete of 1001's rule), 1000's bytes are free; 1001's are next.
    expect(cycle(1002)).toBe(a);
    expect(cycle(1003)).toBe(b);
  });

  it('counters of the rules that stay are intact after their neighbours came and went', async () => {
    const { e, live } = await tight(base(8));
    const image = e.image;
    // Loaded rules deleted: their code is reused too. It tiles the loaded code section with its neighbours' (84 bytes each after a 16-byte `jump sub`): each of these ends 4 bytes into a word its neighbour's code starts.
    for (const p of [2000, 2002, 2004]) both(e, live, `delete rule inet f input handle ${handleOf(e, `tcp dport ${p}`)}`);
    const kept = [2001, 2003, 2005, 2006, 2007];
    /** Packets sent to each rule that stays, by port. */
    const sent = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const port = 1000 + (i % 11);
      // Three sizes; `counter accept` (40 bytes, a whole number of words) fills the end of a range it takes.
      const rule = [`tcp dport ${port} counter accept`, `ip saddr 10.0.0.9 tcp dport ${port} counter accept`, 'counter accept'][i % 3]!;
      both(e, live, `add rule inet f input ${rule}`);
      const h = handleOf(e, i % 3 === 2 ? 'counter' : matches(rule));
      expect(fate(e, port), rule).toEqual([ACCEPT, h]);
      // Every tenth cycle a rule that stays, in a range the others come and go around.
      if (i % 10 === 0) both(e, live, `add rule inet f input tcp dport ${3000 + i} counter accept`);
      both(e, live, `delete rule inet f input handle ${h}`);
      for (const p of [kept[i % kept.length]!, 3000 + i - (i % 10)]) {
        e.evaluate(Array.from({ length: 1 + (i % 3) }, () => to(p)));
        sent.set(p, (sent.get(p) ?? 0) + 1 + (i % 3));
      }
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    const listed = e.list();
    expect(sent.size).toBe(kept.length + 30);
    for (const [p, n] of sent) expect(listed).toContain(`\ttcp dport ${p} counter packets ${n} bytes ${n * 40} accept\n`);
    await sameAsFresh(e, live, [1000, 1005, 2000, 2001, 2003, 2007, 3000, 3290]);
  });
});

describe('dead rule records make room (assembly/commit.ts chainSlot)', () => {
  it('a short chain with rules coming and going anywhere in it stays where it is, in place', async () => {
    // Room to spare in the slot: here the chain's rule slots are what runs out, if the dead records in them are not squeezed out.
    const e = await engine();
    const live = new LiveRuleset();
    const text = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 2000 counter accept\n\t}\n}\n';
    e.apply(text, 'base.nft');
    live.apply(text, 'base.nft');
    const image = e.image;
    const kept = handleOf(e, 'tcp dport 2000');
    for (let i = 0; i < 500; i++) {
      const port = 1000 + (i % 13);
      // At the end, at the start, after and before the rule that stays: each placed where the rules are once the dead ones are gone.
      const how = i % 4;
      const rule = how < 2 ? `tcp dport ${port} counter accept` : 'tcp dport 2000 counter drop';
      both(e, live, [`add rule inet f input ${rule}`, `insert rule inet f input ${rule}`, `add rule inet f input position ${kept} ${rule}`, `insert rule inet f input position ${kept} ${rule}`][how]!);
      const h = Number([...e.list({ handles: true }).matchAll(/# handle (\d+)\n/g)].map((m) => Number(m[1])).reduce((a, b) => Math.max(a, b)));
      if (how < 2) expect(fate(e, port), rule).toEqual([ACCEPT, h]);
      expect(fate(e, 2000), rule).toEqual(how === 3 ? [DROP, h] : [ACCEPT, kept]);
      both(e, live, `delete rule inet f input handle ${h}`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [1000, 1012, 2000]);
  });
});

describe('sets of dead rules and deleted named sets are reused (assembly/commit.ts setDead)', () => {
  it('flush takes the rules\' sets with them', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    for (let i = 0; i < 300; i++) {
      // Three rules with sets in the chain `input` jumps to, flushed.
      for (const p of [4000, 4001, 4002]) both(e, live, `add rule inet f sub tcp dport { ${p}, ${p + 10 + (i % 7)} } counter accept`);
      expect(fate(e, 4002)).toEqual([ACCEPT, handleOf(e, 'tcp dport { 4002,')]);
      both(e, live, 'flush chain inet f sub');
      expect(fate(e, 4002)).toEqual([DROP, 0]);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [4000, 4012, 2000]);
  });

  it('named sets: add / delete cycles stay in place, and a reused descriptor holds only its new set\'s elements', async () => {
    // A named set has room for elements to come (about 100 KB here): a slot with room for three more.
    const { e, live } = await tight(base(4), 300 << 10);
    const image = e.image;
    for (let i = 0; i < 300; i++) {
      const port = 1000 + i;
      both(e, live, `add set inet f s${i} { type inet_service; elements = { ${port}, ${port + 5000} } }\nadd rule inet f input tcp dport @s${i} counter accept`);
      const h = handleOf(e, `tcp dport @s${i}`);
      expect(fate(e, port + 5000)).toEqual([ACCEPT, h]);
      both(e, live, `delete rule inet f input handle ${h}\ndelete set inet f s${i}`);
      expect(fate(e, port)).toEqual([DROP, 0]);
      // An empty set in a descriptor that held elements: none of them match.
      both(e, live, `add set inet f empty { type inet_service; }\nadd rule inet f input tcp dport @empty counter accept`);
      expect(fate(e, port)).toEqual([DROP, 0]);
      expect(fate(e, port - 1)).toEqual([DROP, 0]);
      both(e, live, `delete rule inet f input handle ${handleOf(e, 'tcp dport @empty')}\ndelete set inet f empty`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [1000, 1299, 6299, 2000]);
  });

  it('a set\'s generation bits: new sets hidden from the current generation, deleted ones dead after the finish and free one finish later, aborted ones free at once', async () => {
    const e = await engine();
    e.apply('table inet f {\n\tset s {\n\t\ttype inet_service\n\t\telements = { 22 }\n\t}\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n', 'base.nft');
    const x = (e as unknown as { x: Tx }).x;
    const view = () => new DataView(x.memory.buffer);
    const rs = () => view().getUint32(x.ctlAddr() + abi.VM_ACTIVE, true);
    const gen = (k: number) => view().getUint8(view().getUint32(rs() + layout.RS_SETS, true) + k * layout.SD_SIZE + layout.SD_GEN);
    const cursor = () => view().getUint32(x.ctlAddr() + abi.VM_GEN_CURSOR, true) & 1;
    const notIn = (g: number) => layout.RuleGen.Gen0Inactive << g;
    const live = new LiveRuleset();
    live.apply('table inet f { set t { type inet_service; elements = { 80 }; }; }', 'x.nft');
    const refs = { set: () => 0, object: () => 0, chain: () => 0 };
    const patch = encodePatch(undefined, [live.current.program.sets[0]!], 1, refs);
    const send = (bytes: Uint8Array) => new Uint8Array(x.memory.buffer).set(bytes, x.imageAddr());
    // Set 1 (the next descriptor) added: not in the current generation until the commit.
    expect(x.setFree(0, 1)).toBe(0);
    expect(x.setFree(1, 1)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    send(patch);
    expect(x.txAddSets(patch.length, 1)).toBe(abi.LoadError.Ok);
    expect(gen(1)).toBe(notIn(cursor()));
    x.txCommit(1);
    expect(gen(1)).toBe(0);
    // Deleted: not in the next generation, then dead; a rule may not look it up.
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelSet(1)).toBe(abi.LoadError.Ok);
    expect(gen(1)).toBe(notIn(cursor() ^ 1));
    expect(x.txDelSet(1)).toBe(abi.LoadError.NoSuchObject);
    x.txCommit(1);
    expect(gen(1)).toBe(layout.RuleGen.Dead);
    const lookup = encodePatch({ chain: 0, handle: 9, anonSets: [], insns: [
      { op: 'payload', base: 2, offset: 2, len: 2, dreg: 1 }, { op: 'lookup', sreg: 1, set: 't', inv: false },
      { op: 'immediate_verdict', v: { verdict: 'accept' } },
    ] }, [], 0, { ...refs, set: () => 1 });
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    send(lookup);
    expect(x.txAddRule(lookup.length, 0, 0)).toBe(abi.LoadError.BadSet);
    x.txAbort();
    // Free only once another commit has finished (an evaluator on another thread may have been reading it).
    expect(x.setFree(1, 1)).toBe(0);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    x.txCommit(1);
    expect(x.setFree(1, 1)).toBe(1);
    // Added again, then aborted: free at once (no packet ever reached it).
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    send(patch);
    expect(x.txAddSets(patch.length, 1)).toBe(abi.LoadError.Ok);
    expect(x.setFree(1, 1)).toBe(0);
    x.txAbort();
    expect(gen(1)).toBe(layout.RuleGen.Dead);
    expect(x.setFree(1, 1)).toBe(1);
    // The loaded set is untouched, and `delete set` of it works through the engine.
    expect(e.evaluate([to(22)]).verdict(0)).toBe(DROP);
    e.apply('add rule inet f input tcp dport @s accept');
    expect(e.evaluate([to(22)]).verdict(0)).toBe(ACCEPT);
  });
});

describe('state slots of dead rules and objects are reused (assembly/commit.ts stateRetireIn)', () => {
  /** Three packets to `port`: a limit of burst 2 that starts full lets the first two through. */
  const three = (e: Engine, port: number) => [0, 1, 2].map(() => fate(e, port)[0]);

  it('rules with limits and numgen counters, and named limits: add / delete cycles far beyond the spare slots stay in place, and each starts afresh', async () => {
    const { e, live } = await tight(base(4));
    const image = e.image;
    for (let i = 0; i < 200; i++) {
      const port = 1000 + (i % 7);
      const named = i % 3 === 1;
      if (i % 3 === 2) {
        // A counter that starts from 0: its first packet is 0 mod 3, its second is not (two packets leave the slot's count at 2).
        both(e, live, `add rule inet f input tcp dport ${port} numgen inc mod 3 0 counter accept`);
        expect([fate(e, port)[0], fate(e, port)[0]], `cycle ${i}`).toEqual([ACCEPT, DROP]);
      } else {
        both(e, live, named
          ? `add limit inet f l${i} { rate 1/hour burst 2 packets; }\nadd rule inet f input tcp dport ${port} limit name "l${i}" counter accept`
          : `add rule inet f input tcp dport ${port} limit rate 1/hour burst 2 packets counter accept`);
        expect(three(e, port), `cycle ${i}`).toEqual([ACCEPT, ACCEPT, DROP]);
      }
      both(e, live, `delete rule inet f input handle ${handleOf(e, `tcp dport ${port}`)}${named ? `\ndelete limit inet f l${i}` : ''}`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [1000, 2000]);
  });
});

describe('device names of deleted chains and old hook lists are reused (assembly/commit.ts chainDead, hooksRebuild)', () => {
  it('a netdev chain added and deleted far beyond the spare bytes stays in place', async () => {
    const { e, live } = await tight(`table netdev n {\n}\n${base(2)}`);
    const image = e.image;
    for (let i = 0; i < 600; i++) {
      both(e, live, `add chain netdev n in${i % 3} { type filter hook ingress devices = { eth0, eth1, lo } priority 0; policy accept; }`);
      both(e, live, `delete chain netdev n in${i % 3}`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [2000, 2001]);
  });
});

describe('interval sets change in place (assembly/commit.ts txReplaceSet)', () => {
  const SETS = 'table inet f {\n\tset nets {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.1.0.0/16 }\n\t}\n' +
    '\tset pairs {\n\t\ttype ipv4_addr . inet_service\n\t\tflags interval\n\t}\n' +
    '\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tip saddr @nets counter drop\n\t\tip saddr . tcp dport @pairs counter drop\n\t}\n}\n';
  const from = (src: string, dport = 22): PacketIn => rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) }));
  const pkts = ['10.1.2.3', '10.2.0.1', '10.2.255.255', '10.3.0.5', '10.3.0.10', '10.4.0.1'].flatMap((s) => [from(s), from(s, 85)]);

  it('elements added, deleted and flushed, and overlaps refused, as a whole load has them; the old contents\' memory is reused', async () => {
    const { e, live } = await tight(SETS, 16 << 10);
    const image = e.image;
    const steps = [
      'add element inet f nets { 10.2.0.0/16 }',
      'add element inet f nets { 10.3.0.1-10.3.0.9 }\nadd element inet f pairs { 10.4.0.0/24 . 80-90 }',
      'delete element inet f nets { 10.2.0.0/16 }',
      'delete element inet f pairs { 10.4.0.0/24 . 80-90 }\nadd element inet f pairs { 10.1.0.0/16 . 85 }',
      'flush set inet f nets\nadd element inet f nets { 10.2.0.0/15 }',
      'flush set inet f nets\nflush set inet f pairs\nadd element inet f nets { 10.1.0.0/16 }',
    ];
    for (let i = 0; i < 200; i++) {
      const text = steps[i % steps.length]!;
      both(e, live, text);
      const fresh = await wholeLoad(live);
      expect(outcomeOf(e, pkts), `${text} (step ${i})`).toEqual(outcomeOf(fresh, pkts));
      const uncounted = (l: string) => l.replace(/packets \d+ bytes \d+/g, '');
      expect(uncounted(e.list()), `${text} (step ${i})`).toBe(uncounted(live.list()));
      expect(e.image, `step ${i}`).toBe(image);
    }
    // An overlap is the kernel's error, and changes nothing.
    const before = e.list();
    expect(() => e.apply('add element inet f nets { 10.1.2.0/24 }')).toThrow(/interval overlaps with an existing one/);
    expect(e.list()).toBe(before);
    expect(e.image).toBe(image);
  });
});

describe('sets with a size change in place', () => {
  it('elements up to the size go in place; one more is the kernel\'s error; a deletion makes room once a commit has finished', async () => {
    const text = 'table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tsize 2\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tip saddr @s drop\n\t}\n}\n';
    const { e, live } = await tight(text);
    const image = e.image;
    const dropped = (src: string) => e.evaluate([rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport: 22, flags: 0x02 }) }))]).verdict(0) === DROP;
    both(e, live, 'add element ip t s { 10.0.0.2, 10.0.0.3 }');
    expect(e.image).toBe(image);
    expect(() => e.apply('add element ip t s { 10.0.0.4 }')).toThrow(/Too many open files in system/);
    expect(e.image).toBe(image);
    for (let i = 0; i < 100; i++) {
      both(e, live, `delete element ip t s { 10.0.0.${2 + (i % 2)} }`);
      // The deleted element's slot is free once another commit has finished (an evaluator may have held it): here an empty one.
      both(e, live, 'add table ip t');
      both(e, live, `add element ip t s { 10.0.0.${2 + (i % 2)} }`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    expect([dropped('10.0.0.2'), dropped('10.0.0.3'), dropped('10.0.0.4')]).toEqual([true, true, false]);
    // A new set with a size, in place too.
    both(e, live, 'add set ip t u { type ipv4_addr; size 1; elements = { 10.0.0.9 }; }\nadd rule ip t c ip saddr @u drop');
    expect(e.image).toBe(image);
    expect(dropped('10.0.0.9')).toBe(true);
    expect(e.list()).toBe(live.list());
  });
});
