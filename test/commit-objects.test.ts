// Named counters, quotas and limits added and deleted in place
// (assembly/commit.ts txAddObject, txDelObject; LiveRuleset.planInPlace;
// src/transaction.ts): the VM keeps every object record's index, so the
// engine's view (Generation.order.objects) lists objects in the VM's order,
// which the listing's counter values depend on. A deleted object's record
// and state go to a later object after a grace period.

import { describe, expect, it } from 'vitest';
import { encodePatch } from '../compiler/bytecode.js';
import { LiveRuleset, progObject, TransactionError } from '../compiler/transaction.js';
import type { ObjDecl } from '../compiler/ast.js';
import * as abi from '../assembly/abi.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp, udp } from './assembly/vm/helpers.js';
import { applied, both, outcome, wholeLoad } from './live-base.js';

/** Customers' traffic counted by the counter, and dropped once over the quota, their address names. */
const BILLING = `table ip t {
	counter total {
	}
	map bytes {
		type ipv4_addr : counter
	}
	map caps {
		type ipv4_addr : quota
	}
	chain input {
		type filter hook input priority filter; policy accept;
		counter name total
		counter name ip saddr map @bytes
		quota name ip saddr map @caps drop
	}
}
table ip other {
	counter seen {
	}
	chain input {
		type filter hook input priority 10; policy accept;
		counter name seen
	}
}
`;

/** A 100-byte TCP SYN from `src`. */
const syn = (src: string): PacketIn => rx(ipv4({ src, dst: '10.0.0.1', l4: tcp({ dport: 80, flags: 0x02, payload: Array(60).fill(0) }) }));

/** Customer `i`'s counter, quota and map elements; and their removal. */
const addCustomer = (i: number, kbytes = 1) => `add counter ip t c${i}\nadd quota ip t q${i} { over ${kbytes} kbytes; }\nadd element ip t bytes { 10.1.0.${i} : "c${i}" }\nadd element ip t caps { 10.1.0.${i} : "q${i}" }`;
const delCustomer = (i: number) => `delete element ip t bytes { 10.1.0.${i} }\ndelete element ip t caps { 10.1.0.${i} }\ndelete counter ip t c${i}\ndelete quota ip t q${i}`;

describe('named objects made in place', () => {
  it('a counter and a quota per customer: counted and capped in place, listed with their values', async () => {
    const e = await engine();
    e.apply(BILLING, 'base.nft');
    const image = e.image;
    e.apply(addCustomer(1));
    e.apply(addCustomer(2, 2));
    // 12 packets of 100 bytes from customer 1: over its 1 kbyte after the 10th (the quota drops the rest).
    const verdicts = outcome(e, Array.from({ length: 12 }, () => syn('10.1.0.1'))).map((o) => o.split(' ')[0]);
    expect(verdicts).toEqual([...Array(10).fill('1'), '0', '0']);
    expect(outcome(e, [syn('10.1.0.2')])[0]).toMatch(/^1 /);
    expect(e.image).toBe(image);
    const listed = e.list();
    expect(listed).toContain('counter c1 {\n\t\tpackets 12 bytes 1200\n\t}');
    expect(listed).toContain('counter c2 {\n\t\tpackets 1 bytes 100\n\t}');
    expect(listed).toContain('counter total {\n\t\tpackets 13 bytes 1300\n\t}');
    expect(listed).toContain('quota q1 {\n\t\tover 1 kbytes used 1200 bytes\n\t}');
    // The other table's object keeps its index and its value (the two packets over the quota were dropped before it).
    expect(listed).toContain('counter seen {\n\t\tpackets 11 bytes 1100\n\t}');
    // A rule naming a new object directly.
    e.apply('add counter ip other web\nadd rule ip other input tcp dport 80 counter name web');
    outcome(e, [syn('10.9.9.9')]);
    expect(e.image).toBe(image);
    expect(e.list()).toContain('counter web {\n\t\tpackets 1 bytes 100\n\t}');
  });

  it('take the records deleted objects left: add/delete cycles far beyond the spare records stay in place, as the whole load lists them', async () => {
    const { e, live } = await applied(BILLING);
    let image = e.image;
    let reloads = 0;
    for (let i = 0; i < 300; i++) {
      const c = i % 200;
      for (const text of [addCustomer(c), delCustomer(c)]) {
        both(e, live, text);
        if (e.image !== image) reloads++;
        image = e.image;
      }
    }
    // 600 commits, 600 objects made and deleted: never a reload.
    expect(reloads).toBe(0);
    e.apply(addCustomer(7));
    live.apply(addCustomer(7));
    outcome(e, [syn('10.1.0.7')]);
    // The live ruleset saw no packet: the one packet counted by c7, total and seen, and q7's use.
    const counted = live.list({ handles: true }).replace(/(counter (c7|total|seen) \{ # handle \d+\n\t\tpackets) 0 bytes 0/g, '$1 1 bytes 100').replace(/(quota q7 \{ # handle \d+\n\t\tover 1 kbytes)/, '$1 used 100 bytes');
    expect(e.list({ handles: true })).toBe(counted);
  });

  it('refused as the whole load refuses them: an object something names (EBUSY), one that is not there, a second one of a name', async () => {
    const e = await engine();
    e.apply(BILLING, 'base.nft');
    e.apply(addCustomer(1));
    const before = e.list({ handles: true });
    const image = e.image;
    expect(() => e.apply('delete counter ip t c1')).toThrow(/Could not process rule: Device or resource busy/);
    expect(() => e.apply('delete counter ip t total')).toThrow(/Could not process rule: Device or resource busy/);
    expect(() => e.apply('delete quota ip t nosuch')).toThrow(/Could not process rule: No such file or directory/);
    expect(() => e.apply('create counter ip t c1')).toThrow(/Could not process rule: File exists/);
    expect(() => e.apply('add counter ip t c9\nadd rule ip t input counter name c8')).toThrow(TransactionError);
    expect(e.list({ handles: true })).toBe(before);
    // `add` of one the table has keeps it, values and all.
    e.apply('add counter ip t c1');
    expect(e.image).toBe(image);
    expect(e.list({ handles: true })).toBe(before);
  });
});

describe('ct helper objects made in place', () => {
  it('come and go with a commit: a connection after it gets the helper as a whole load gives it, and none after the deletion', async () => {
    const base = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state new counter\n\t}\n}\n';
    const { e, live } = await applied(base);
    const image = e.image;
    const helped = (x: Engine, sport: number) => {
      x.evaluate([rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: tcp({ sport, dport: 21, flags: 0x02 }) }))]);
      const c = x.conntrack().find((k) => k.orig.sport === sport)!;
      return (c.status & abi.CtStatus.Helper) !== 0;
    };
    let sport = 3000;
    for (let i = 0; i < 80; i++) {
      const add = `add ct helper inet f h${i} { type "ftp" protocol tcp; }\nadd chain inet f pre { type filter hook prerouting priority 0; }\nadd rule inet f pre tcp dport 21 ct helper set "h${i}"`;
      for (const text of [add, `flush chain inet f pre\ndelete chain inet f pre\ndelete ct helper inet f h${i}`]) {
        both(e, live, text);
        const fresh = await wholeLoad(live);
        const got = helped(e, sport);
        expect(got, `${text} (cycle ${i})`).toBe(helped(fresh, sport));
        expect(got).toBe(text === add);
        expect(e.list({ handles: true }).replace(/packets \d+ bytes \d+/g, '')).toBe(live.list({ handles: true }).replace(/packets \d+ bytes \d+/g, ''));
        sport++;
      }
      expect(e.image, `cycle ${i}`).toBe(image);
    }
  });
});

describe('ct timeout objects made in place', () => {
  it('a new connection takes the policy after the commit; once the object is gone, the connections that had it fall back to the sysctls, even when a later object takes its record', async () => {
    const base = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state new counter\n\t}\n}\n';
    const e = await engine();
    e.apply(base, 'base.nft');
    const image = e.image;
    const dgram = (sport: number, sec: number) => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport, dport: 5500 }) }), { tstamp: BigInt(sec) * 1_000_000_000n });
    const timeout = (sport: number) => e.conntrack().find((c) => c.orig.sport === sport)!.timeout;
    const policy = (name: string, unreplied: number) => `add ct timeout inet f ${name} { protocol udp; l3proto ip; policy = { unreplied : ${unreplied} }; }\n` +
      `add chain inet f pol { type filter hook prerouting priority filter; policy accept; }\nadd rule inet f pol udp dport 5500 ct state new ct timeout set "${name}"`;
    e.apply(policy('short', 7));
    expect(e.image).toBe(image);
    e.evaluate([dgram(4000, 100)]);
    expect(timeout(4000)).toBe(7);
    e.apply('flush chain inet f pol\ndelete chain inet f pol\ndelete ct timeout inet f short');
    // The policy is gone: the flow's next packet refreshes it from the sysctl (udp 30 s), as the kernel's nf_ct_untimeout leaves it.
    e.evaluate([dgram(4000, 101)]);
    expect(timeout(4000)).toBe(30);
    // Later objects take the record: the old flow keeps the sysctls, new flows take the new policy.
    for (let i = 0; i < 4; i++) {
      e.apply(policy(`p${i}`, 11));
      e.evaluate([dgram(4000, 102 + i), dgram(4100 + i, 102 + i)]);
      expect([timeout(4000), timeout(4100 + i)], `round ${i}`).toEqual([30, 11]);
      e.apply(`flush chain inet f pol\ndelete chain inet f pol\ndelete ct timeout inet f p${i}`);
    }
    expect(e.image).toBe(image);
  });
});

describe('ct timeout policies across whole loads', () => {
  it('a connection keeps its policy when a whole load moves the object, and reads the sysctls once a whole load deletes it', async () => {
    // `ct state` in input keeps conntrack on after the policy's rule is gone (without a user, packets pass it by, as in the kernel).
    const base = 'table inet a {\n}\ntable inet f {\n\tct timeout short {\n\t\tprotocol udp\n\t\tl3proto ip\n\t\tpolicy = { unreplied : 7 }\n\t}\n' +
      '\tchain pol {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tudp dport 5500 ct state new ct timeout set "short"\n\t}\n' +
      '\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state new counter\n\t}\n}\n';
    const e = await engine();
    e.apply(base, 'base.nft');
    const dgram = (sec: number) => rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp({ sport: 4000, dport: 5500 }) }), { tstamp: BigInt(sec) * 1_000_000_000n });
    const timeout = () => e.conntrack().find((c) => c.orig.sport === 4000)!.timeout;
    e.evaluate([dgram(100)]);
    expect(timeout()).toBe(7);
    // Table flags take a whole load; the counter in table a comes before `short` in the new image.
    let image = e.image;
    e.apply('add counter inet a c1\nadd table inet z { flags dormant; }');
    expect(e.image).not.toBe(image);
    e.evaluate([dgram(101)]);
    expect(timeout()).toBe(7);
    image = e.image;
    e.apply('flush chain inet f pol\ndelete ct timeout inet f short\nadd table inet y { flags dormant; }');
    expect(e.image).not.toBe(image);
    e.evaluate([dgram(102)]);
    expect(timeout()).toBe(30);
  });
});

describe('object records (assembly/commit.ts)', () => {
  interface Tx {
    txBegin(): number;
    txAddObject(len: number, object: number): number;
    txDelObject(object: number): number;
    objectFree(object: number): number;
    txCommit(finish: number): number;
    txAbort(): void;
    imageAddr(): number;
  }
  const tx = (e: Engine) => (e as unknown as { x: Tx }).x;
  /** Puts a patch image with counter `name` of table 0 in the image buffer; its length. */
  const counterPatch = (e: Engine, name: string): number => {
    const decl: ObjDecl = { type: 'counter', name, props: {}, span: { src: { name: '', text: '' }, start: 0, end: 0 } };
    const refs = { chain: () => 0, set: () => 0, object: () => 0 };
    const image = encodePatch(undefined, [], 0, refs, [progObject(0, decl, 50)]);
    (e as unknown as { mem: Uint8Array }).mem.set(image, tx(e).imageAddr());
    return image.length;
  };

  it('a new object is in no rule until one names it; abort frees its record at once, a deletion after a grace period', async () => {
    const e = await engine();
    e.load(BILLING, 'base.nft');
    const x = tx(e);
    // Records 0 and 1 hold the loaded objects (total, seen); 2 is the next one.
    expect([0, 1, 2, 3].map((k) => x.objectFree(k))).toEqual([0, 0, 1, 0]);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddObject(counterPatch(e, 'a'), 3)).toBe(abi.LoadError.NoRoom);
    expect(x.txAddObject(counterPatch(e, 'a'), 2)).toBe(abi.LoadError.Ok);
    expect(x.objectFree(2)).toBe(0);
    x.txAbort();
    expect(x.objectFree(2)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txDelObject(9)).toBe(abi.LoadError.BadObject);
    expect(x.txDelObject(1)).toBe(abi.LoadError.Ok);
    expect(x.txDelObject(1)).toBe(abi.LoadError.NoSuchObject);
    x.txCommit(1);
    // Free from the finish after the next one on: a packet of the old generation may still count into it until then.
    expect(x.objectFree(1)).toBe(0);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddObject(counterPatch(e, 'b'), 1)).toBe(abi.LoadError.NoRoom);
    x.txCommit(1);
    expect(x.objectFree(1)).toBe(1);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddObject(counterPatch(e, 'b'), 1)).toBe(abi.LoadError.Ok);
    expect(x.txDelObject(1)).toBe(abi.LoadError.Ok);
    x.txCommit(1);
    expect(x.objectFree(1)).toBe(0);
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    x.txCommit(1);
    expect(x.objectFree(1)).toBe(1);
  });

  it('refuses a patch that is not one object, or a malformed one, with an error and no change', async () => {
    const e = await engine();
    e.load(BILLING, 'base.nft');
    const x = tx(e);
    const len = counterPatch(e, 'a');
    expect(x.txBegin()).toBe(abi.LoadError.Ok);
    expect(x.txAddObject(len - 4, 2)).not.toBe(abi.LoadError.Ok);
    expect(x.txAddObject(1 << 30, 2)).toBe(abi.LoadError.Truncated);
    expect(x.objectFree(2)).toBe(1);
    expect(x.txAddObject(len, 2)).toBe(abi.LoadError.Ok);
    x.txAbort();
  });
});
