// In-place commits (assembly/commit.ts, LiveRuleset.planInPlace): rules and
// plain set elements change without reloading the ruleset, and the result is
// exactly what the whole-load path gives — the same listing (handles,
// counters), the same packet paths — including when the VM runs out of
// spare room and falls back. And the generation masks do what they are for:
// while a transaction is open, packets see only the current generation.

import { describe, expect, it } from 'vitest';
import { encodePatch } from '../compiler/bytecode.js';
import { LiveRuleset, TransactionError } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp, udp } from './assembly/vm/helpers.js';
import { applied, both, outcome as liveOutcome, wholeLoad } from './live-base.js';
import { xorshift32 } from './rng.js';

const BASE = `table inet f {
	set blocked {
		type ipv4_addr
		elements = { 10.0.0.66 }
	}
	map marks {
		type inet_service : mark
		elements = { 22 : 0x1 }
	}
	set pairs {
		type ipv4_addr . inet_service
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @blocked counter drop
		ip saddr . tcp dport @pairs accept
		meta mark set tcp dport map @marks
		tcp dport { 80, 443 } counter accept
		udp dport 53 accept
	}
	chain other {
		counter
	}
}
`;

function packets(): PacketIn[] {
  const out: PacketIn[] = [];
  for (const src of ['10.0.0.2', '10.0.0.3', '10.0.0.66', '10.0.0.200']) {
    for (const dport of [22, 80, 443, 1000, 1001, 1002, 8080]) out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) })));
    out.push(rx(ipv4({ src, dst: '10.0.0.1', l4: udp({ dport: 53 }) })));
  }
  return out;
}

/** Verdict, deciding rule and mark of each packet. */
const outcome = (e: Engine, pkts: PacketIn[]): string[] => liveOutcome(e, pkts, { mark: true });

/** A random transaction of the kinds commit.ts makes in place (and some that the kernel refuses). */
function randomStep(next: () => number, handles: number[]): string {
  const pick = <T>(xs: T[]) => xs[next() % xs.length]!;
  const port = 1000 + (next() % 4);
  const host = `10.0.0.${2 + (next() % 3)}`;
  switch (next() % 41) {
    case 0: return `add rule inet f input tcp dport ${port} counter accept`;
    case 1: return `insert rule inet f input ip saddr ${host} tcp dport { ${port}, 8080 } drop`;
    case 2: return handles.length ? `add rule inet f input position ${pick(handles)} ip saddr ${host} counter drop` : 'add rule inet f other accept';
    case 3: return handles.length ? `delete rule inet f input handle ${pick(handles)}` : 'delete rule inet f input handle 999';
    case 4: return `add element inet f blocked { ${host} }`;
    case 5: return `delete element inet f blocked { ${host} }`;
    case 6: return `add element inet f marks { ${port} : 0x${(port & 0xf).toString(16)} }\nadd element inet f pairs { ${host} . ${port} }`;
    case 7: return `delete element inet f pairs { ${host} . ${port} }`;
    case 8: return `insert rule inet f input index ${next() % 3} udp dport ${port} drop`;
    case 9: return handles.length ? `replace rule inet f input handle ${pick(handles)} tcp dport ${port} counter drop` : 'replace rule inet f input handle 999 accept';
    case 10: return `flush chain inet f ${pick(['other', 'sub', 'input'])}`;
    case 11: return `flush set inet f ${pick(['blocked', 'pairs'])}`;
    case 12: return `add chain inet f input { type filter hook input priority filter; policy ${pick(['accept', 'drop'])}; }`;
    case 13: return `add rule inet f input tcp dport ${port} ${pick(['jump', 'goto'])} ${pick(['other', 'sub'])}`;
    // Sometimes a loop (other → sub → other), which the kernel refuses.
    case 14: return pick(['add rule inet f other jump sub', 'add rule inet f sub jump other', 'add rule inet f sub ip saddr 10.0.0.2 goto other']);
    case 15: return `add rule inet f input udp dport vmap { ${port} : jump ${pick(['other', 'sub'])}, 53 : accept }`;
    // Regular chains come, with rules and jumps to them, and go (refused while a rule still jumps to one).
    case 20: {
      const c = `c${next() % 4}`;
      return `add chain inet f ${c}\nadd rule inet f ${c} tcp dport ${port} counter drop\nadd rule inet f input ip saddr ${host} ${pick(['jump', 'goto'])} ${c}`;
    }
    case 21: return `add chain inet f c${next() % 4} { ip saddr ${host} accept; }\nadd rule inet f input udp dport vmap { ${port} : jump c${next() % 4} }`;
    case 22: return `delete chain inet f c${next() % 4}`;
    // A verdict map's jumps: to chains that may look the map up again (a loop, refused).
    case 23: return `add element inet f vm { ${port} : ${pick(['jump', 'goto'])} ${pick(['sub', 'other', 'c0', 'c1'])} }`;
    case 24: return `delete element inet f vm { ${port} }`;
    case 25: return `add rule inet f ${pick(['sub', 'c0', 'c1'])} tcp dport vmap @vm`;
    // Rules and map elements that name objects (and objects the table lacks: refused).
    case 26: return `add rule inet f input tcp dport ${port} ${pick(['counter name hits', 'quota name big', 'counter name nosuch'])}`;
    case 27: return `add rule inet f input counter name tcp dport map @counted`;
    case 28: return `add element inet f counted { ${port} : "${pick(['hits', 'hits', 'big'])}" }`;
    case 29: return `delete element inet f counted { ${port} }`;
    // Objects come and go, named by new rules and map elements (and busy while something names one: refused).
    case 30: {
      const o = `o${next() % 3}`;
      return pick([`add counter inet f ${o}`, `add counter inet f ${o}\nadd rule inet f input udp dport ${port} counter name ${o}`, `add counter inet f ${o}\nadd element inet f counted { ${port} : "${o}" }`]);
    }
    case 31: return pick([`add quota inet f q${next() % 2} { over ${1 + (next() % 9)} kbytes; }`, `add limit inet f l${next() % 2} { rate ${1 + (next() % 9)}/second; }`]);
    // Without a verdict: the engine's quotas and limits have seen packets the whole load's have not.
    case 32: return `add rule inet f input tcp dport ${port} ${pick(['quota name q0', 'quota name q1', 'limit name l0', 'limit name l1'])} counter`;
    case 34: return 'flush table inet f';
    // Base chains come (before, between or after input's priority, with a rule or not) and go.
    case 35: return `add chain inet f b${next() % 2} { type filter hook input priority ${pick([-10, 0, 10])}; policy ${pick(['accept', 'drop'])}; ${pick(['', `tcp dport ${port} accept; `, `ip saddr ${host} counter drop; `])}}`;
    case 36: return `delete chain inet f b${next() % 2}`;
    // Tables come, with a base chain, a regular chain or an object, and go with all they hold.
    case 37: return pick([
      'add table ip x',
      `table ip x { chain in { type filter hook input priority ${pick([-5, 5])}; policy accept; ip saddr ${host} counter drop; } }`,
      'add table ip x\nadd chain ip x c\nadd counter ip x n\nadd rule ip x c counter name n',
    ]);
    case 38: return 'delete table ip x';
    // Two anonymous sets, one of intervals: they die with the rule (case 3), and later sets take their descriptors and memory.
    case 39: return `add rule inet f input ip saddr { ${host}, 10.0.0.200 } tcp dport { ${port}-${port + 1}, 8080 } counter drop`;
    // An interval set's elements (overlaps and missing elements refused).
    case 40: return pick([`add element inet f nets { ${host} }`, `add element inet f nets { 10.0.0.${2 + (next() % 3)}-10.0.0.${4 + (next() % 3)} }`, `delete element inet f nets { ${host} }`, 'flush set inet f nets']);
    case 33: return `delete ${pick(['counter inet f o0', 'counter inet f o1', 'counter inet f o2', 'quota inet f q0', 'limit inet f l1', 'counter inet f hits'])}`;
    // New named sets and maps, and rules that use them, in one transaction.
    case 16: {
      const n = next() % 1000;
      return `add set inet f s${n} { type ipv4_addr; elements = { ${host} } }\nadd rule inet f input ip saddr @s${n} tcp dport ${port} drop`;
    }
    // Sets no rule uses come and go (and sets rules use are busy: refused).
    case 17:
    case 18: return next() % 2 ? 'add set inet f unused { type ipv4_addr; }' : `delete set inet f ${pick(['unused', 'unused', 'blocked'])}`;
    default: {
      const n = next() % 1000;
      return `add map inet f m${n} { type inet_service : verdict; elements = { ${port} : jump sub } }\nadd rule inet f input tcp dport vmap @m${n}`;
    }
  }
}

/** Handles of the rules the input chain has after the base ruleset (and steps) as listed. */
function inputHandles(listing: string): number[] {
  const chain = listing.slice(listing.indexOf('chain input'), listing.indexOf('chain other'));
  return [...chain.matchAll(/# handle (\d+)\n/g)].slice(1).map((m) => Number(m[1]));
}

describe('in-place commits', () => {
  it('keep the loaded image: rules and elements change in the VM, not by a reload', async () => {
    const e = await engine();
    e.apply(BASE, 'base.nft');
    const image = e.image;
    e.apply('add rule inet f input tcp dport 1000 accept');
    e.apply('add element inet f blocked { 10.0.0.2 }');
    e.apply('delete rule inet f input handle 6');
    expect(e.image).toBe(image);
    // Regular chains come and go in place too.
    e.apply('add chain inet f more\nadd rule inet f more tcp dport 1001 accept\nadd rule inet f input jump more');
    e.apply('flush chain inet f input\ndelete chain inet f more');
    expect(e.image).toBe(image);
    // Base chains too, nat ones and ones on devices included; a dormant table takes the whole next generation.
    e.apply('add chain inet f out { type filter hook output priority 0; }');
    e.apply('delete chain inet f out');
    e.apply('add chain inet f post { type nat hook postrouting priority 100; }');
    e.apply('add chain inet f dev { type filter hook ingress device "eth0" priority 0; }');
    expect(e.image).toBe(image);
    e.apply('add table inet g { flags dormant; }');
    expect(e.image).not.toBe(image);
  });

  it('stay in place across the prunings that keep the history bounded (compiler/history.ts)', async () => {
    const e = await engine();
    e.apply(BASE, 'base.nft');
    const image = e.image;
    const pkts = packets();
    let most = 0;
    for (let i = 0; i < 3000; i++) {
      e.apply(`add rule inet f input tcp dport 1000 counter accept\nadd element inet f blocked { 10.0.0.3 }`);
      const h = inputHandles(e.list({ handles: true })).at(-1)!;
      // The new rule decides port 1000 from 10.0.0.2 and 10.0.0.200 (10.0.0.3 is blocked now, 10.0.0.66 always).
      if (i % 500 === 0) expect(outcome(e, pkts).filter((o) => o.includes(`#${h} `))).toHaveLength(2);
      e.apply(`delete rule inet f input handle ${h}\ndelete element inet f blocked { 10.0.0.3 }`);
      most = Math.max(most, e.history()!.parts);
    }
    expect(e.image).toBe(image);
    expect(e.history()!.prunes).toMatchObject({ refused: 0 });
    expect(e.history()!.prunes.made).toBeGreaterThan(0);
    // 6,000 commits; at most about the default threshold's worth (16,384 outputs, about five per commit) held at once.
    expect(most).toBeLessThan(4000);
    // The same as an engine loaded with the base ruleset (every rule and element since is gone).
    const fresh = await engine();
    fresh.load(BASE, 'base.nft');
    expect(outcome(e, pkts)).toEqual(outcome(fresh, pkts));
  });

  it('add rules that add to sets: in place, and the packets fill the set as after a whole load (element expressions: a whole load)', async () => {
    const text = 'table ip t {\n\tset seen {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tip saddr @seen drop\n\t}\n}\n';
    const { e, live } = await applied(text);
    const image = e.image;
    const p = (src: string, dport: number) => rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) }));
    const pkts = [p('10.0.0.5', 23), p('10.0.0.5', 80), p('10.0.0.6', 24), p('10.0.0.6', 80), p('10.0.0.7', 80)];
    for (const [rule, inPlace] of [['tcp dport 23 add @seen { ip saddr }', true], ['tcp dport 24 update @seen { ip saddr timeout 1h }', true], ['tcp dport 25 add @seen { ip saddr counter }', false]] as const) {
      const before = e.image;
      e.apply(`add rule ip t c ${rule}`);
      live.apply(`add rule ip t c ${rule}`);
      expect(e.image === before, rule).toBe(inPlace);
      const fresh = await wholeLoad(live);
      // Each engine from an empty set: the in-place one's set is flushed first, in place too.
      e.apply('flush set ip t seen');
      live.apply('flush set ip t seen');
      expect(outcome(e, pkts), rule).toEqual(outcome(fresh, pkts));
    }
    expect(e.image).not.toBe(image);
  });

  it('replace one rule twice in one transaction: the second replacement is the rule', async () => {
    const e = await engine();
    e.apply(BASE, 'base.nft');
    const image = e.image;
    const h = inputHandles(e.list({ handles: true }))[4]!;
    e.apply(`replace rule inet f input handle ${h} tcp dport 1000 accept\nreplace rule inet f input handle ${h} tcp dport 1001 accept`);
    expect(e.image).toBe(image);
    const pkts = packets();
    const fresh = await engine();
    fresh.load(e.list(), 'now.nft');
    expect(outcome(e, pkts)).toEqual(outcome(fresh, pkts));
    expect(outcome(e, pkts).filter((o) => o.includes(`#${h} `))).toHaveLength(3);
  });

  it('go on in place after a refused transaction', async () => {
    const e = await engine();
    e.apply(BASE, 'base.nft');
    const image = e.image;
    expect(() => e.apply('add rule inet f nowhere accept')).toThrow(TransactionError);
    expect(() => e.apply('add rule inet f input tcp dport 1000 jump nowhere')).toThrow(TransactionError);
    e.apply('add rule inet f input tcp dport 1000 accept');
    expect(e.image).toBe(image);
  });

  it('start from an engine loaded with text: the first commit is in place too, and counts carry on', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    const image = e.image;
    const pkts = packets();
    e.evaluate(pkts);
    const counted = e.list().match(/tcp dport \{ 80, 443 \} counter packets (\d+)/)![1];
    expect(Number(counted)).toBeGreaterThan(0);
    e.apply('add rule inet f input tcp dport 1000 accept');
    expect(e.image).toBe(image);
    expect(e.list()).toContain(`tcp dport { 80, 443 } counter packets ${counted} `);
    // Port 1000 from all but the blocked source.
    const h = inputHandles(e.list({ handles: true })).at(-1)!;
    expect(outcome(e, pkts).filter((o) => o.includes(`#${h} `))).toHaveLength(3);
  });

  it('give every packet and the listing what the whole-load path gives, step by step', async () => {
    const e = await engine();
    const live = new LiveRuleset();
    // A second regular chain for jumps between regular chains (and loops).
    const base = `${BASE}add chain inet f sub\nadd rule inet f sub tcp dport 1001 drop\nadd map inet f vm { type inet_service : verdict; }\nadd rule inet f input tcp dport vmap @vm\n` +
      'add set inet f nets { type ipv4_addr; flags interval; }\nadd rule inet f input ip saddr @nets tcp dport 1002 counter drop\n' +
      // Named objects, for rules and map elements that name them.
      'add counter inet f hits\nadd quota inet f big { over 1000 mbytes; }\nadd map inet f counted { type inet_service : counter; elements = { 22 : "hits" }; }\n';
    e.apply(base, 'base.nft');
    live.apply(base, 'base.nft');
    const pkts = packets();
    const next = xorshift32(7);
    let inPlace = 0;
    const kinds = new Set<string>();
    let refused = 0;
    for (let step = 0; step < 280; step++) {
      const text = randomStep(next, inputHandles(live.list({ handles: true })));
      const image = e.image;
      let want: string | undefined;
      try {
        live.apply(text, `step${step}.nft`);
      } catch (err) {
        if (!(err instanceof TransactionError)) throw err;
        want = err.message;
      }
      let got: string | undefined;
      try {
        e.apply(text, `step${step}.nft`);
      } catch (err) {
        if (!(err instanceof TransactionError)) throw err;
        got = err.message;
      }
      expect(got, text).toBe(want);
      if (want) refused++;
      else if (e.image === image) {
        inPlace++;
        kinds.add(/^(add )?table ip x/.test(text) ? 'new table' : /^add chain inet f b/.test(text) ? 'new base chain' : text.startsWith('delete chain inet f b') ? 'delete base chain' : text.startsWith('add chain inet f c') ? 'new chain' : /jump|goto/.test(text) && !text.startsWith('add map') ? 'jumps' : /^(add|delete) (counter|quota|limit)/.test(text) ? 'named object' : / nets /.test(text) ? 'interval set' : /counted|name/.test(text) ? 'objects' : text.split(' ').slice(0, 2).join(' '));
      }
      // The listing without counters (packets were only sent to the engine), and the packets' fates.
      // Named counters and quotas count too: their values, and the quota's `used`, go.
      const unused = (l: string) => l.replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0').replace(/ used \d+ \w+/g, '');
      expect(unused(e.list({ handles: true })), text).toBe(unused(live.list({ handles: true })));
      const fresh = await wholeLoad(live);
      expect(outcome(e, pkts), text).toEqual(outcome(fresh, pkts));
    }
    // The stream exercised both: commits made in place, and refusals.
    expect(inPlace).toBeGreaterThan(100);
    // Each kind of change among them (`add chain` of the base chain: its policy).
    expect([...kinds].sort()).toEqual(['add chain', 'add element', 'add map', 'add rule', 'add set', 'delete base chain', 'delete chain', 'delete element', 'delete rule', 'delete set', 'delete table', 'flush chain', 'flush set', 'flush table', 'insert rule', 'interval set', 'jumps', 'named object', 'new base chain', 'new chain', 'new table', 'objects', 'replace rule']);
    expect(refused).toBeGreaterThan(3);
  });

  it('keep counters: of rules left alone across in-place and whole loads, from zero for new rules', async () => {
    const e = await engine();
    e.apply(BASE, 'base.nft');
    const web = rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport: 80, flags: 0x02 }) }));
    e.evaluate([web, web]);
    e.apply('add rule inet f input tcp dport 1000 counter accept');
    e.evaluate([web, rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport: 1000, flags: 0x02 }) }))]);
    const listed = e.list();
    expect(listed).toContain('tcp dport { 80, 443 } counter packets 3 bytes 120 accept');
    expect(listed).toContain('tcp dport 1000 counter packets 1 bytes 40 accept');
    // A whole load next (a new chain) carries both over.
    e.apply('add chain inet f more');
    expect(e.list()).toContain('tcp dport { 80, 443 } counter packets 3 bytes 120 accept');
    expect(e.list()).toContain('tcp dport 1000 counter packets 1 bytes 40 accept');
  });

  it('add again an element whose timeout ran out, and it matches again', async () => {
    const e = await engine();
    e.apply('table ip t {\n\tset s { type ipv4_addr; flags timeout; }\n\tchain c { type filter hook input priority 0; policy accept; ip saddr @s drop; }\n}\n', 'base.nft');
    const from5 = (sec: number) => rx(ipv4({ src: '10.0.0.5', dst: '10.0.0.1', l4: udp({ dport: 53 }) }), { tstamp: BigInt(sec) * 1_000_000_000n });
    e.evaluate([from5(100)]);
    e.apply('add element ip t s { 10.0.0.5 timeout 1s }');
    expect(e.evaluate([from5(100)]).verdict(0)).toBe(0);
    expect(e.evaluate([from5(102)]).verdict(0)).toBe(1);
    e.apply('add element ip t s { 10.0.0.5 timeout 10s }');
    expect(e.evaluate([from5(103)]).verdict(0)).toBe(0);
  });

  it('fall back to a whole load when a chain or a set runs out of room, with the same result', async () => {
    const { e, live } = await applied(BASE);
    let loads = 0;
    let image = e.image;
    // 600 rules into a chain of one: its room (8 slots), then the rule array's spare tail, run out.
    for (let i = 0; i < 600; i++) {
      const text = `add rule inet f other tcp dport ${2000 + i} counter drop\nadd element inet f blocked { 10.1.${i >> 8}.${i & 255} }`;
      both(e, live, text);
      if (e.image !== image) loads++;
      image = e.image;
    }
    // Most commits were in place; the few whole loads gave every chain room again.
    expect(loads).toBeGreaterThan(0);
    expect(loads).toBeLessThan(20);
    expect(e.list({ handles: true }).replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0')).toBe(live.list({ handles: true }));
    const blocked = rx(ipv4({ src: '10.1.2.33', dst: '10.0.0.1', l4: tcp({ dport: 80, flags: 0x02 }) }));
    expect(outcome(e, [blocked])[0]).toMatch(/^0 input#6 /);
  });
});

describe('a chain that outgrows its room (assembly/commit.ts chainSlot)', () => {
  it('moves with its skip targets: a packet the guards turn away still ends, where the rules say', async () => {
    const e = await engine();
    const rules = Array.from({ length: 16 }, (_, i) => `\t\ttcp dport ${3000 + i} drop\n`).join('');
    e.apply(`table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n${rules}\t}\n}\n`, 'base.nft');
    const image = e.image;
    // Its room is 16 + 16/8 + 8 = 26 slots: the 11th rule added moves the chain to the rule array's free tail.
    for (let i = 0; i < 12; i++) e.apply(`add rule ip t c tcp dport ${4000 + i} drop`);
    expect(e.image).toBe(image);
    // The UDP packet fails the first rule's guard and skips the run of TCP rules (left in the old place, the skip led back into the old copy, round and round).
    const r = e.evaluate([rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: udp({ dport: 53 }) })), rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport: 4011, flags: 0x02 }) }))]);
    expect([r.verdict(0), r.rule(0)]).toEqual([abi.Verdict.Accept, 0]);
    expect([r.verdict(1), r.rule(1)]).toEqual([abi.Verdict.Drop, 29]);
  });
});

describe('reclaiming (assembly/commit.ts)', () => {
  it('reuses the slots of deleted elements: add/delete cycles far beyond the room of the set stay in place', async () => {
    const e = await engine();
    e.apply('table ip t {\n\tset s { type ipv4_addr; }\n\tchain c { type filter hook input priority 0; policy accept; ip saddr @s drop; }\n}\n', 'base.nft');
    e.apply('add element ip t s { 10.9.9.9 }');
    const image = e.image;
    const from = (src: string) => rx(ipv4({ src, dst: '10.0.0.1', l4: udp({ dport: 53 }) }));
    // The set has room for 1,024 entries; 3,000 of them come and go.
    for (let i = 0; i < 3000; i++) {
      const a = `10.1.${i >> 8}.${i & 255}`;
      e.apply(`add element ip t s { ${a} }`);
      if (i % 500 === 0) expect(e.evaluate([from(a)]).verdict(0)).toBe(abi.Verdict.Drop);
      e.apply(`delete element ip t s { ${a} }`);
      if (i % 500 === 0) expect(e.evaluate([from(a)]).verdict(0)).toBe(abi.Verdict.Accept);
    }
    expect(e.image).toBe(image);
    // The element that stays still matches; the last and the first of those that came and went no more.
    const r = e.evaluate([from('10.9.9.9'), from('10.1.11.183'), from('10.1.0.1')]);
    expect([r.verdict(0), r.verdict(1), r.verdict(2)]).toEqual([abi.Verdict.Drop, abi.Verdict.Accept, abi.Verdict.Accept]);
    expect(e.list()).toContain('elements = { 10.9.9.9 }');
  });
});

describe('generation masks (assembly/commit.ts)', () => {
  /** The VM's raw in-place exports, to look inside an open transaction. */
  interface Tx {
    memory: WebAssembly.Memory;
    txBegin(): number;
    txAddRule(len: number, mode: number, ref: number): number;
    txDelElements(set: number, n: number, len: number): number;
    txDelRule(chain: number, handle: number): number;
    txFlushChain(chain: number): number;
    txPolicy(chain: number, verdict: number): number;
    txFlushSet(set: number): number;
    txAddSets(len: number, first: number): number;
    txAddElements(set: number, n: number, len: number): number;
    txReplaceSet(len: number, set: number, scratch: number): number;
    txDelSet(set: number): number;
    setFree(first: number, n: number): number;
    txAddBaseChain(chain: number, table: number, handle: number, hook: number, prio: number, policy: number, nat: number, devLen: number): number;
    txCommit(finish: number): number;
    txAbort(): void;
    imageAddr(): number;
  }
  const tx = (e: Engine) => (e as unknown as { x: Tx }).x;

  it('a packet sees the current generation until the commit flips the cursor; abort restores it', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    const x = tx(e);
    const dns = [rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: udp({ dport: 53 }) }))];
    const before = outcome(e, dns)[0];
    expect(before).toMatch(/^1 input#11 /);
    // Chain 0 (input), rule handle 11 (udp dport 53 accept): deleted in the next generation only.
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelRule(0, 11)).toBe(abi.LoadError.Ok);
    expect(outcome(e, dns)[0]).toBe(before);
    x.txAbort();
    expect(outcome(e, dns)[0]).toBe(before);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelRule(0, 11)).toBe(abi.LoadError.Ok);
    // The same rule twice: the next generation no longer holds it.
    expect(x.txDelRule(0, 11)).toBe(abi.LoadError.NoSuchObject);
    expect(outcome(e, dns)[0]).toBe(before);
    x.txCommit(1);
    expect(outcome(e, dns)[0]).toMatch(/^0 input#0 /);
  });

  it('flushes and policy changes too: hidden from packets until the commit, undone by abort', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    const x = tx(e);
    // 10.0.0.66 is in @blocked (set 0): dropped by rule 6 of input (chain 0); 10.0.0.9 port 1000 meets the policy.
    const pkts = [rx(ipv4({ src: '10.0.0.66', dst: '10.0.0.1', l4: tcp({ dport: 80, flags: 0x02 }) })), rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport: 1000, flags: 0x02 }) }))];
    const before = outcome(e, pkts);
    expect(before).toEqual(['0 input#6 mark 0', '0 input#0 mark 0']);
    const open = (steps: () => void) => {
      const now = outcome(e, pkts);
      expect(x.txBegin()).toBe(abi.LoadError.Ok);
      steps();
      expect(outcome(e, pkts)).toEqual(now);
    };
    const changes = () => {
      expect(x.txFlushSet(0)).toBe(abi.LoadError.Ok);
      expect(x.txPolicy(0, abi.Verdict.Accept)).toBe(abi.LoadError.Ok);
    };
    open(changes);
    x.txAbort();
    expect(outcome(e, pkts)).toEqual(before);
    open(changes);
    x.txCommit(1);
    // 10.0.0.66 goes on to `tcp dport { 80, 443 } counter accept` (handle 10); port 1000 meets the new policy.
    expect(outcome(e, pkts)).toEqual(['1 input#10 mark 0', '1 input#0 mark 0']);
    open(() => expect(x.txFlushChain(0)).toBe(abi.LoadError.Ok));
    x.txAbort();
    expect(outcome(e, pkts)).toEqual(['1 input#10 mark 0', '1 input#0 mark 0']);
    open(() => {
      expect(x.txFlushChain(0)).toBe(abi.LoadError.Ok);
      expect(x.txPolicy(0, abi.Verdict.Drop)).toBe(abi.LoadError.Ok);
      // Only a base chain has a policy; a verdict other than accept or drop is refused.
      expect(x.txPolicy(1, abi.Verdict.Drop)).toBe(abi.LoadError.BadChainRecord);
      expect(x.txPolicy(0, 7)).toBe(abi.LoadError.BadChainRecord);
    });
    x.txCommit(1);
    expect(outcome(e, pkts)).toEqual(['0 input#0 mark 0', '0 input#0 mark 0']);
  });

  it('refuses malformed patches and element records with an error, never a trap, and changes nothing', async () => {
    const e = await engine();
    e.load(BASE, 'base.nft');
    const x = tx(e);
    const pkts = packets();
    const before = outcome(e, pkts);
    const refs = { set: () => 0, object: () => 0, chain: () => 0 };
    const rule = encodePatch({ chain: 0, handle: 99, anonSets: [], insns: [] }, [], 6, refs);
    const live = new LiveRuleset();
    live.apply(BASE, 'base.nft');
    // The map `marks` (with its element) as a set-only patch.
    const sets = encodePatch(undefined, [live.current.program.sets[1]!], 6, refs);
    // Whole, it goes in at the VM's set count only (each one in moves the count on): a live set's descriptor is no room.
    new Uint8Array(x.memory.buffer).set(sets, x.imageAddr());
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    const rcs = Array.from({ length: 16 }, (_, k) => x.txAddSets(sets.length, k));
    const k0 = rcs.indexOf(abi.LoadError.Ok);
    // The VM's set count: the loaded ruleset's sets, anonymous ones included.
    expect(k0).toBe(live.current.program.sets.length);
    expect(rcs).toEqual([...Array<number>(k0).fill(abi.LoadError.NoRoom), ...Array<number>(16 - k0).fill(abi.LoadError.Ok)]);
    x.txAbort();
    const next = xorshift32(11);
    for (let i = 0; i < 600; i++) {
      const mem = new Uint8Array(x.memory.buffer);
      // A third mutated rule patches, a third mutated set patches, a third random bytes.
      const patch = i % 3 ? (i % 3 === 1 ? rule : sets) : undefined;
      const bytes = patch ? patch.map((b) => (next() % 16 ? b : next() & 0xff)) : Uint8Array.from({ length: next() % 300 }, () => next() & 0xff);
      mem.set(bytes, x.imageAddr());
      expect(x.txBegin()).toBe(abi.LoadError.Ok);
      x.txAddRule(bytes.length, next() % 5, next());
      x.txAddSets(bytes.length, next() % 2 ? 6 : next() % 16);
      x.txAddElements(next() % 8, next() % 4, bytes.length);
      x.txDelElements(next() % 8, next() % 4, bytes.length);
      x.txReplaceSet(bytes.length, next() % 8, next() % 2 ? 6 : next());
      x.setFree(next() % 70, next() % 4);
      x.txAddBaseChain(next() % 10, next() % 3, 900 + i, next() % 7, next() | 0, next() % 3, next() % 2, next() % 2 ? next() % 40 : next());
      x.txDelSet(next() % 8);
      x.txAbort();
    }
    expect(outcome(e, pkts)).toEqual(before);
  });
});
