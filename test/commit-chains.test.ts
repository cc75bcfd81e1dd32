// Regular chains added and deleted in place (assembly/commit.ts txAddChain,
// txDelChain; LiveRuleset.planInPlace; src/transaction.ts): the VM keeps
// every chain record's index, so the engine's view of the ruleset
// (Generation.order) must list chains in the VM's order, not the
// tables': names in verdicts and the counters of the listing depend on it.
// A deleted chain's record goes to a later chain after a grace period.

import { describe, expect, it } from 'vitest';
import { encodePatch } from '../compiler/bytecode.js';
import { LiveRuleset, TransactionError } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp } from './assembly/vm/helpers.js';
import { applied, both, outcome, wholeLoad } from './live-base.js';

const TWO_TABLES = `table inet f {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 1 counter accept
	}
	chain sub {
		tcp dport 2 counter drop
	}
}
table ip g {
	chain input {
		type filter hook input priority 10; policy accept;
		tcp dport 3 counter jump gsub
	}
	chain gsub {
		tcp dport 3 counter drop
	}
}
`;

const syn = (dport: number, src = '10.0.0.2'): PacketIn => rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) }));
const ports = [1, 2, 3, 4, 5, 6, 7];

/** An engine loaded with `text` by a whole load, after the same packets. */
async function fresh(text: string, pkts: PacketIn[]): Promise<Engine> {
  const f = await engine();
  f.load(text, 'fresh.nft');
  f.evaluate(pkts);
  return f;
}

describe('regular chains made in place', () => {
  it('in any table: verdicts name the chain that decided, and the listing counts what each rule saw', async () => {
    const e = await engine();
    e.apply(TWO_TABLES, 'base.nft');
    const image = e.image;
    // The new chain's record comes after table g's chains in the VM, while a whole load puts it in table f.
    e.apply('add chain inet f c4\nadd rule inet f c4 tcp dport 4 counter drop\nadd rule inet f input jump c4');
    e.apply('add chain ip g c5 { tcp dport 5 counter drop; }\nadd rule ip g input jump c5');
    e.apply('add chain inet f c6\nadd rule inet f c6 tcp dport 6 counter drop\nadd rule inet f sub tcp dport 6 counter\nadd rule inet f input jump sub\nadd rule inet f input jump c6');
    expect(e.image).toBe(image);
    const pkts = ports.map((p) => syn(p));
    const deciders = (o: string[]) => o.map((x) => x.replace(/#.*/, ''));
    const got = outcome(e, pkts);
    // Port 1 is accepted by f, then meets g's input policy; 7 meets both policies.
    expect(deciders(got)).toEqual(['1 input', '0 sub', '0 gsub', '0 c4', '0 c5', '0 c6', '1 input']);
    // With the kernel's handles (the table's counter: chain c4 took 5, its rule 6; c5 took 5 of g, c6 8 of f).
    expect(got).toEqual(['1 input#0', '0 sub#4', '0 gsub#4', '0 c4#6', '0 c5#6', '0 c6#9', '1 input#0']);
    const f = await fresh(e.list().replace(/counter packets \d+ bytes \d+/g, 'counter'), pkts);
    expect(e.list()).toBe(f.list());
    // A deleted chain leaves a free record behind (the rules jumping to it went first).
    e.apply('delete rule inet f input handle 7\ndelete chain inet f c4');
    e.apply('add rule ip g input tcp dport 7 counter drop');
    expect(e.image).toBe(image);
    const counted = e.list();
    const now = outcome(e, pkts);
    expect(deciders(now)).toEqual(['1 input', '0 sub', '0 gsub', '1 input', '0 c5', '0 c6', '0 input']);
    expect(now[6]).toBe('0 input#8');
    // Every counter, the new chains' included, as a whole load's that starts from the same counts.
    expect(e.list()).toBe((await fresh(counted, pkts)).list());
  });

  it('take the records deleted chains left: add/delete cycles far beyond the spare records stay in place', async () => {
    const e = await engine();
    e.apply(TWO_TABLES, 'base.nft');
    const image = e.image;
    const pkts = [syn(9), syn(1)];
    for (let i = 0; i < 300; i++) {
      e.apply(`add chain inet f k${i}\nadd rule inet f k${i} tcp dport 9 counter drop\ninsert rule inet f input jump k${i}`);
      expect(outcome(e, pkts)[0]).toMatch(new RegExp(`^0 k${i}#`));
      const h = e.list({ handles: true }).match(/jump k\d+ # handle (\d+)/)![1];
      e.apply(`delete rule inet f input handle ${h}\ndelete chain inet f k${i}`);
    }
    expect(e.image).toBe(image);
    expect(outcome(e, pkts)).toEqual(['1 input#0', '1 input#0']);
    expect(e.list()).toBe((await fresh(TWO_TABLES, Array<PacketIn>(301).fill(syn(1)))).list());
  });

  it('refused (a chain still jumped to, one that is not there) as the whole load refuses them, leaving the listing as it was', async () => {
    const { e, live } = await applied(TWO_TABLES);
    const image = e.image;
    for (const text of ['delete chain inet f sub\nadd rule inet f input jump sub', 'add rule inet f input jump sub\ndelete chain inet f sub', 'delete chain ip g gsub', 'delete chain inet f nothere', 'add rule inet f input jump sub\ndestroy chain inet f sub']) {
      const before = e.list({ handles: true });
      let want = '';
      try {
        live.apply(text, 't.nft');
      } catch (err) {
        want = (err as Error).message;
      }
      // The compiler refuses it too (an empty want would match any message).
      expect(want, text).toMatch(/^t\.nft:\d+:\d+-\d+: Error: /);
      expect(() => e.apply(text, 't.nft'), text).toThrow(TransactionError);
      expect(() => e.apply(text, 't.nft')).toThrow(want);
      expect(e.list({ handles: true })).toBe(before);
    }
    // `destroy` of a chain that is not there is no error; of one that is, a deletion.
    e.apply('destroy chain inet f nothere\ndestroy chain inet f sub');
    expect(e.list()).not.toContain('chain sub');
    expect(e.image).toBe(image);
  });
});

describe('verdict map elements that jump, made in place (assembly/jumps.ts elementJumpOk)', () => {
  const DISPATCH = `table inet f {
	map cust {
		type ipv4_addr : verdict
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr vmap @cust
	}
}
`;

  it('a chain per customer, reached through the map: added and deleted with their elements, in place', async () => {
    const e = await engine();
    e.apply(DISPATCH, 'base.nft');
    let image = e.image;
    let reloads = 0;
    for (let i = 0; i < 200; i++) {
      const a = `10.1.${i >> 8}.${i & 255}`;
      e.apply(`add chain inet f cust${i}\nadd rule inet f cust${i} tcp dport ${i} counter accept\nadd rule inet f cust${i} drop\nadd element inet f cust { ${a} : jump cust${i} }`);
      // Every third customer stays.
      if (i % 3) e.apply(`delete element inet f cust { ${a} }\ndelete chain inet f cust${i}`);
      if (e.image !== image) reloads++;
      image = e.image;
    }
    // 333 commits: the 67 chains kept outgrow the spare records a load leaves (64) once.
    expect(reloads).toBe(1);
    const pkts = [syn(3, '10.1.0.3'), syn(4, '10.1.0.3'), syn(4, '10.1.0.4'), syn(198, '10.1.0.198')];
    expect(outcome(e, pkts).map((o) => o.replace(/#\d+/, ''))).toEqual(['1 cust3', '0 cust3', '1 input', '1 cust198']);
    expect(e.list({ handles: true })).toBe((() => {
      const live = new LiveRuleset();
      live.apply(DISPATCH, 'base.nft');
      for (let i = 0; i < 200; i++) {
        const a = `10.1.${i >> 8}.${i & 255}`;
        live.apply(`add chain inet f cust${i}\nadd rule inet f cust${i} tcp dport ${i} counter accept\nadd rule inet f cust${i} drop\nadd element inet f cust { ${a} : jump cust${i} }`);
        if (i % 3) live.apply(`delete element inet f cust { ${a} }\ndelete chain inet f cust${i}`);
      }
      return live.list({ handles: true });
    })().replace(/tcp dport 3 counter packets 0 bytes 0/, 'tcp dport 3 counter packets 1 bytes 40').replace(/tcp dport 198 counter packets 0 bytes 0/, 'tcp dport 198 counter packets 1 bytes 40'));
  });

  it('stay in place across the prunings of a long stream, which drop the chains that came and went (compiler/history.ts)', async () => {
    const e = await engine();
    e.apply(DISPATCH, 'base.nft');
    const image = e.image;
    let most = 0;
    for (let k = 0; k < 2500; k++) {
      const a = `10.200.${k >> 8}.${k & 255}`;
      e.apply(`add chain inet f c${k}\nadd rule inet f c${k} counter accept\nadd element inet f cust { ${a} : jump c${k} }`);
      e.apply(`delete element inet f cust { ${a} }\ndelete chain inet f c${k}`);
      most = Math.max(most, e.history()!.parts);
    }
    expect(e.image).toBe(image);
    expect(e.history()!.prunes).toMatchObject({ refused: 0 });
    expect(e.history()!.prunes.made).toBeGreaterThan(0);
    // 5,000 commits of about four outputs: the first pruning comes at 16,384.
    expect(most).toBeLessThan(4500);
    expect(e.history()!.parts).toBeLessThan(most);
  });

  it('refused as the kernel refuses them: a loop back through the map, a path 16 jumps deep', async () => {
    // input → vmap @cust → d1 → d2 → … → d14: the map is looked up at level 0, d14 is 14 jumps down.
    let deep = DISPATCH;
    for (let k = 1; k <= 14; k++) deep += `add chain inet f d${k}\n`;
    for (let k = 1; k < 14; k++) deep += `add rule inet f d${k} jump d${k + 1}\n`;
    deep += 'add element inet f cust { 10.0.0.1 : jump d1 }\nadd chain inet f loop\nadd rule inet f loop ip saddr vmap @cust\nadd chain inet f d15\n';
    const { e, live } = await applied(deep);
    const image = e.image;
    // 15 jumps deep is within the limit: in place.
    e.apply('add rule inet f d14 jump d15');
    live.apply('add rule inet f d14 jump d15');
    expect(e.image).toBe(image);
    for (const text of ['add element inet f cust { 10.0.0.2 : jump loop }', 'add element inet f cust { 10.0.0.1 : jump loop }', 'add chain inet f d16\nadd rule inet f d15 jump d16']) {
      let want = '';
      try {
        live.apply(text, 't.nft');
      } catch (err) {
        want = (err as Error).message;
      }
      const before = e.list({ handles: true });
      expect(want, text).toMatch(/Error: Could not process rule/);
      expect(() => e.apply(text, 't.nft')).toThrow(want);
      expect(e.list({ handles: true })).toBe(before);
    }
    expect(e.image).toBe(image);
    expect(outcome(e, [syn(80, '10.0.0.1')])).toEqual(['1 input#0']);
  });
});

describe('chain records (assembly/commit.ts)', () => {
  interface Tx {
    txBegin(): number;
    txAddChain(chain: number, table: number, handle: number): number;
    txAddBaseChain(chain: number, table: number, handle: number, hook: number, prio: number, policy: number, nat: number, devLen: number): number;
    txDelChain(chain: number): number;
    txFlushChain(chain: number): number;
    txDelRule(chain: number, handle: number): number;
    txAddRule(len: number, mode: number, ref: number): number;
    imageAddr(): number;
    chainFree(chain: number): number;
    txCommit(finish: number): number;
    txAbort(): void;
  }
  const tx = (e: Engine) => (e as unknown as { x: Tx }).x;

  it('a new chain is hidden until the commit; abort frees its record at once, a deletion after a grace period', async () => {
    const e = await engine();
    e.load(TWO_TABLES, 'base.nft');
    const x = tx(e);
    // Records 0-3 hold the loaded chains; 4 is the next one.
    expect([0, 3, 4, 5].map((c) => x.chainFree(c))).toEqual([0, 0, 1, 0]);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddChain(4, 9, 50)).toBe(abi.LoadError.BadTable);
    expect(x.txAddChain(5, 0, 50)).toBe(abi.LoadError.NoRoom);
    expect(x.txAddChain(4, 0, 50)).toBe(abi.LoadError.Ok);
    expect(x.chainFree(4)).toBe(0);
    x.txAbort();
    expect(x.chainFree(4)).toBe(1);
    // A chain with rules in the next generation, or a base chain, is not deleted here.
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelChain(1)).toBe(abi.LoadError.NoRoom);
    expect(x.txDelChain(0)).toBe(abi.LoadError.NoRoom);
    expect(x.txDelChain(9)).toBe(abi.LoadError.BadChain);
    expect(x.txFlushChain(1)).toBe(abi.LoadError.Ok);
    expect(x.txDelChain(1)).toBe(abi.LoadError.Ok);
    expect(x.txDelChain(1)).toBe(abi.LoadError.NoSuchObject);
    x.txCommit(1);
    // Free from the finish after the next one on: a packet of the old generation may still be in it until then.
    expect(x.chainFree(1)).toBe(0);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddChain(1, 0, 51)).toBe(abi.LoadError.NoRoom);
    x.txCommit(1);
    expect(x.chainFree(1)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddChain(1, 0, 51)).toBe(abi.LoadError.Ok);
    expect(x.txDelChain(1)).toBe(abi.LoadError.Ok);
    // Added and deleted in one transaction: in no generation, and free from the finish after this commit's on, as any deleted chain.
    expect(x.chainFree(1)).toBe(0);
    x.txCommit(1);
    expect(x.chainFree(1)).toBe(0);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    x.txCommit(1);
    expect(x.chainFree(1)).toBe(1);
  });

  it('a new base chain is on its hook at once, skipped by packets until the commit; after an abort or a deletion, skipped until a later chain takes its record', async () => {
    const e = await engine();
    e.load(TWO_TABLES, 'base.nft');
    const x = tx(e);
    const web = [syn(80)];
    expect(outcome(e, web)[0]).toMatch(/^1 /);
    const input = 1;
    // A table that is not there is refused; an ingress chain without devices, devices on another hook and nat on forward are left to a whole load.
    const forward = 2;
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddBaseChain(4, 9, 50, input, -10, abi.Verdict.Drop, 0, 0)).toBe(abi.LoadError.BadTable);
    expect(x.txAddBaseChain(4, 0, 50, 5, -10, abi.Verdict.Drop, 0, 0)).toBe(abi.LoadError.NoRoom);
    expect(x.txAddBaseChain(4, 0, 50, input, -10, abi.Verdict.Drop, 0, 4)).toBe(abi.LoadError.NoRoom);
    expect(x.txAddBaseChain(4, 0, 50, forward, -10, abi.Verdict.Accept, 1, 0)).toBe(abi.LoadError.NoRoom);
    expect(x.txAddBaseChain(4, 0, 50, input, -10, abi.Verdict.Drop, 0, 0)).toBe(abi.LoadError.Ok);
    expect(outcome(e, web)[0]).toMatch(/^1 /);
    x.txAbort();
    expect(outcome(e, web)[0]).toMatch(/^1 /);
    // The aborted chain stays on the hook list, skipped, until its record goes to a later chain.
    expect(x.chainFree(4)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddBaseChain(4, 0, 51, input, -10, abi.Verdict.Drop, 0, 0)).toBe(abi.LoadError.Ok);
    expect(outcome(e, web)[0]).toMatch(/^1 /);
    x.txCommit(1);
    // Its policy drops the packet before inet f's input chain (priority 0) sees it.
    expect(outcome(e, web)[0]).toMatch(/^0 /);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelChain(4)).toBe(abi.LoadError.Ok);
    expect(outcome(e, web)[0]).toMatch(/^0 /);
    x.txCommit(1);
    expect(outcome(e, web)[0]).toMatch(/^1 /);
    // Free after a grace period; a regular chain that takes it is off the hook lists: its `drop` is never run.
    expect(x.chainFree(4)).toBe(0);
    x.txBegin();
    x.txCommit(1);
    expect(x.chainFree(4)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddChain(4, 0, 52)).toBe(abi.LoadError.Ok);
    const drop = encodePatch({ chain: 4, handle: 53, anonSets: [], insns: [{ op: 'immediate_verdict', v: { verdict: 'drop' } }] }, [], 0, { chain: () => 4, set: () => 0, object: () => 0 });
    (e as unknown as { mem: Uint8Array }).mem.set(drop, x.imageAddr());
    expect(x.txAddRule(drop.length, 0, 0)).toBe(abi.LoadError.Ok);
    x.txCommit(1);
    expect(outcome(e, web)[0]).toMatch(/^1 input#/);
  });
});

describe('tables made in place', () => {
  /** Table x with a counter, a set, a base chain that drops one address (and, through its set and an anonymous one, two ports) and a regular chain. */
  const addX = (i: number) => `add table ip x\nadd counter ip x n\nadd set ip x ports { type inet_service; elements = { ${7000 + i} }; }\n` +
    `add chain ip x filter { type filter hook input priority -5; policy accept; }\n` +
    `add chain ip x sub\nadd rule ip x sub counter\nadd rule ip x filter ip saddr 10.0.0.${(i % 200) + 1} counter name n jump sub\nadd rule ip x filter ip saddr 10.0.0.${(i % 200) + 1} drop\n` +
    `add rule ip x filter tcp dport @ports drop\nadd rule ip x filter tcp dport { 8000, ${8001 + i} } drop\n`;

  it('come with their objects and chains and go with them: cycles far beyond the spare records stay in place, as the whole load gives', async () => {
    const { e, live } = await applied(TWO_TABLES);
    let image = e.image;
    let reloads = 0;
    for (let i = 0; i < 100; i++) {
      for (const text of [addX(i), 'delete table ip x']) {
        both(e, live, text);
        if (e.image !== image) reloads++;
        image = e.image;
      }
    }
    expect(reloads).toBe(0);
    e.apply(addX(7));
    live.apply(addX(7));
    expect(e.image).toBe(image);
    // 10.0.0.8, port 7007 (in x's set) and 8008 (in its anonymous set): dropped by x's base chain (priority -5) before inet f's input sees them.
    const pkts = [syn(1, '10.0.0.8'), syn(1, '10.0.0.9'), syn(7007), syn(8008), syn(7006), syn(8007)];
    expect(outcome(e, pkts).map((o) => o.replace(/#\d+/, ''))).toEqual(['0 filter', '1 input', '0 filter', '0 filter', '1 input', '1 input']);
    const counted = (l: string) => l.replace(/(counter n \{ # handle \d+\n\t\tpackets) 0 bytes 0/, '$1 1 bytes 40');
    expect(e.list({ handles: true }).replace(/(tcp dport 1 counter) packets \d+ bytes \d+/, '$1 packets 0 bytes 0').replace(/(chain sub \{ # handle \d+\n\t\tcounter) packets 1 bytes 40/, '$1 packets 0 bytes 0')).toBe(counted(live.list({ handles: true })));
  });
});

describe('nat base chains made in place', () => {
  // No conntrack until a nat rule needs it.
  const NAT_BASE = 'table ip t {\n\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter\n\t}\n}\n';
  /** A connection's first packet to port 80 from `sport`, as it leaves the hooks (a dnat rewrites its port). */
  const first = (e: Engine, sport: number) => {
    const r = e.evaluate([rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: tcp({ sport, dport: 80, flags: 0x02 }) }))]);
    return { verdict: r.verdict(0), dport: new DataView(r.packet(0).buffer, r.packet(0).byteOffset).getUint16(14 + 20 + 2) };
  };

  it('come and go with a commit: connections after it are translated as a whole load translates them, and none after the deletion', async () => {
    const { e, live } = await applied(NAT_BASE);
    const image = e.image;
    let sport = 20000;
    for (let i = 0; i < 100; i++) {
      const add = `add chain ip t pre { type nat hook prerouting priority dstnat; policy accept; }\nadd rule ip t pre tcp dport 80 dnat to 10.0.0.1:${8000 + i}\n` +
        (i % 2 ? 'add chain ip t post { type nat hook postrouting priority srcnat; policy accept; }\nadd rule ip t post counter\n' : '');
      for (const text of [add, `flush chain ip t pre\ndelete chain ip t pre${i % 2 ? '\nflush chain ip t post\ndelete chain ip t post' : ''}`]) {
        both(e, live, text);
        const got = first(e, sport);
        const fresh = await wholeLoad(live);
        expect(got, `${text} (cycle ${i})`).toEqual(first(fresh, sport));
        expect(got.dport).toBe(text === add ? 8000 + i : 80);
        expect(e.list({ handles: true }).replace(/packets \d+ bytes \d+/g, '')).toBe(live.list({ handles: true }).replace(/packets \d+ bytes \d+/g, ''));
        sport++;
      }
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    // A table with a nat chain goes in place too.
    e.apply('add chain ip t pre { type nat hook prerouting priority dstnat; policy accept; }\nadd rule ip t pre tcp dport 80 dnat to 10.0.0.1:9999');
    expect(first(e, sport++).dport).toBe(9999);
    e.apply('delete table ip t');
    expect(e.image).toBe(image);
    expect(first(e, sport++)).toEqual({ verdict: abi.Verdict.Accept, dport: 80 });
  });

  it('without conntrack a new nat chain runs nothing, as in a whole load (the hook walk looks for nat chains from then on)', async () => {
    const e = await engine();
    e.apply(NAT_BASE, 'base.nft');
    const image = e.image;
    const text = 'add chain ip t post { type nat hook input priority 100; policy accept; }\nadd rule ip t post counter';
    e.apply(text);
    expect(e.image).toBe(image);
    const fresh = await engine();
    fresh.apply(NAT_BASE + text, 'whole.nft');
    for (const x of [e, fresh]) first(x, 30000);
    expect(e.list()).toBe(fresh.list());
    expect(e.list()).toContain('chain post {\n\t\ttype nat hook input priority 100; policy accept;\n\t\tcounter packets 0 bytes 0\n');
  });
});

describe('chains on devices made in place', () => {
  const DEV_BASE = 'table netdev n {\n}\ntable inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter\n\t}\n}\n';
  /** From 10.0.0.`host`, received on eth0 (2) and on eth1 (3). */
  const from = (host: number) => [2, 3].map((iif) => rx(ipv4({ src: `10.0.0.${host}`, dst: '10.0.0.1', l4: tcp({ dport: 22, flags: 0x02 }) }), { iif }));

  it('netdev and inet ingress chains come and go with their devices, as a whole load gives them, and their records and names are reused', async () => {
    const { e, live } = await applied(DEV_BASE);
    const image = e.image;
    const pkts = [...from(7), ...from(8), ...from(9)];
    for (let i = 0; i < 100; i++) {
      const dev = i % 2 ? 'eth1' : 'eth0';
      const add = `define dev = ${dev}\nadd chain netdev n in { type filter hook ingress devices = { $dev, lo } priority ${i % 3 - 1}; policy accept; }\nadd rule netdev n in ip saddr 10.0.0.7 counter drop\n` +
        `add chain inet f ing { type filter hook ingress device "eth${(i + 1) % 2}" priority 0; }\nadd rule inet f ing ip saddr 10.0.0.8 counter drop\n`;
      for (const text of [add, 'flush chain netdev n in\ndelete chain netdev n in\nflush chain inet f ing\ndelete chain inet f ing']) {
        both(e, live, text);
        const fresh = await wholeLoad(live);
        expect(outcome(e, pkts), `${text} (cycle ${i})`).toEqual(outcome(fresh, pkts));
        expect(e.list({ handles: true }).replace(/packets \d+ bytes \d+/g, '')).toBe(live.list({ handles: true }).replace(/packets \d+ bytes \d+/g, ''));
      }
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    // Dropped on the chain's device only.
    e.apply('add chain netdev n in { type filter hook ingress device "eth1" priority 0; policy accept; }\nadd rule netdev n in ip saddr 10.0.0.7 drop');
    expect(e.image).toBe(image);
    expect(outcome(e, from(7)).map((o) => o.replace(/#\d+/, ''))).toEqual(['1 input', '0 in']);
  });
});

describe('dormant tables', () => {
  const ASLEEP = 'table ip asleep {\n\tflags dormant\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n';

  it('keep their base chains off their hooks, across in-place commits that wake them, put them to sleep and add chains to them', async () => {
    const { e, live } = await applied(ASLEEP);
    const image = e.image;
    const pkts = [syn(22), syn(80, '10.0.0.7')];
    const step = async (text: string, want: number[]) => {
      both(e, live, text);
      const fresh = await wholeLoad(live);
      const got = pkts.map((p) => e.evaluate([p]).verdict(0));
      expect(got, text).toEqual(pkts.map((p) => fresh.evaluate([p]).verdict(0)));
      expect(got, text).toEqual(want);
      expect(e.image, text).toBe(image);
    };
    const A = abi.Verdict.Accept;
    const D = abi.Verdict.Drop;
    expect(pkts.map((p) => e.evaluate([p]).verdict(0))).toEqual([A, A]);
    // A chain added to a dormant table stays off its hook too.
    await step('add chain ip asleep pre { type filter hook prerouting priority 0; policy accept; ip saddr 10.0.0.7 drop; }', [A, A]);
    // `add table` without flags wakes it (the kernel's flags are the command's), with its chains.
    await step('add table ip asleep', [D, D]);
    await step('add chain ip asleep out { type filter hook output priority 0; policy drop; }', [D, D]);
    for (let i = 0; i < 20; i++) {
      await step('add table ip asleep { flags dormant; }', [A, A]);
      await step('add table ip asleep', [D, D]);
    }
    // Asleep and changed in one commit: the new rule's chain goes off its hook with the others.
    await step('add table ip asleep { flags dormant; }\nadd rule ip asleep pre ip saddr 10.0.0.2 drop', [A, A]);
    expect(e.list()).toBe('table ip asleep {\n\tflags dormant\n\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n\n' +
      '\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tip saddr 10.0.0.7 drop\n\t\tip saddr 10.0.0.2 drop\n\t}\n\n' +
      '\tchain out {\n\t\ttype filter hook output priority filter; policy drop;\n\t}\n}\n');
    await step('delete table ip asleep', [A, A]);
    expect(e.list()).toBe('');
  });
});
