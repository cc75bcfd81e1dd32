// The pruned history of a live ruleset (compiler/history.ts, LiveRuleset's
// prune): a stream of commits keeps a bounded history, and every generation
// built from it is the one the whole history builds — the listing with
// handles, the image, and the handles of what comes next (after refused
// batches too, whose handles the kernel never gives back).

import { describe, expect, it } from 'vitest';
import { encodeBytecode } from '../../compiler/bytecode.js';
import { LiveRuleset, TransactionError } from '../../compiler/transaction.js';
import { unitRng } from '../rng.js';

const BASE = `table inet f {
  counter hits { }
  set blocked { type ipv4_addr; }
  set nets { type ipv4_addr; flags interval; }
  map svc { type inet_service : verdict; }
  chain sub { tcp dport 1 drop; }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 accept
    tcp dport 23 jump sub
  }
}
`;

/** Handles of the rules listed in chain `chain`. */
function ruleHandles(listing: string, chain: string): number[] {
  const body = listing.split(`chain ${chain} {`)[1]?.split('\n\t}')[0] ?? '';
  return [...body.matchAll(/\n\t\t[^\n]*# handle (\d+)/g)].map((m) => +m[1]!);
}

/** One random step: mostly rules and elements that come and go, now and then anything else a user does. */
function randomStep(rand: () => number, listing: string, i: number): string {
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
  const chain = rand() < 0.8 ? 'input' : 'sub';
  const hs = ruleHandles(listing, chain);
  const ip = `10.0.${i % 7}.${1 + Math.floor(rand() * 4)}`;
  const listed = [...listing.matchAll(/10\.0\.\d+\.\d+(?!\/)/g)].map((m) => m[0]);
  const r = rand();
  if (r < 0.2) return `add rule inet f ${chain} tcp dport ${1000 + i} counter accept`;
  if (r < 0.3) return `insert rule inet f ${chain} ip saddr { ${ip}, 192.0.2.${i % 250} } drop`;
  if (r < 0.4 && hs.length) return `delete rule inet f ${chain} handle ${pick(hs)}`;
  if (r < 0.47 && hs.length) return `replace rule inet f ${chain} handle ${pick(hs)} udp dport ${i} counter drop`;
  if (r < 0.5 && hs.length) return `add rule inet f ${chain} position ${pick(hs)} tcp dport ${3000 + i} accept`;
  if (r < 0.52 && hs.length) return `add rule inet f ${chain} index 0 tcp dport ${4000 + i} accept`;
  if (r < 0.62) return `add element inet f blocked { ${ip} }`;
  if (r < 0.7 && listed.length) return `delete element inet f blocked { ${pick(listed)} }`;
  if (r < 0.72) return `flush set inet f blocked`;
  if (r < 0.74) return `flush chain inet f ${chain}`;
  if (r < 0.78) return `add element inet f svc { ${5000 + (i % 9)} : ${rand() < 0.5 ? 'accept' : 'jump sub'} }`;
  if (r < 0.8) return `delete element inet f svc { ${5000 + (i % 9)} }`;
  if (r < 0.82) return `add element inet f nets { 10.${i % 5}.0.0/16 }`;
  if (r < 0.84) return `delete element inet f nets { 10.${i % 5}.0.0/16 }`;
  if (r < 0.86) return `reset counters table inet f`;
  if (r < 0.88) return `add rule inet f input tcp dport ${i} counter name hits`;
  if (r < 0.9) return `add chain inet f input { policy ${rand() < 0.5 ? 'drop' : 'accept'}; }`;
  if (r < 0.92) return `add set inet f s${i % 3} { type ipv4_addr; }\nadd element inet f s${i % 3} { ${ip} }`;
  if (r < 0.94) return `delete set inet f s${i % 3}`;
  if (r < 0.96) return `add rule inet f input tcp dport 9 jump nowhere`;
  if (r < 0.98) return `add chain inet f c${i % 2}\nadd rule inet f c${i % 2} accept`;
  return `delete chain inet f c${i % 2}`;
}

/**
 * Applies `n` commits (`step(i, listing with handles)` gives each one's
 * text) to a live ruleset pruned after every commit and to one never
 * pruned, both from `base`; after each, both must refuse it with the same
 * error or accept it, and list and encode the same, with no pruning refused.
 */
function pruneAlongside(base: string, n: number, step: (i: number, listing: string) => string): { pruned: LiveRuleset; whole: LiveRuleset; refused: number } {
  const pruned = new LiveRuleset({ pruneAfter: 0 });
  const whole = new LiveRuleset({ pruneAfter: Infinity });
  for (const l of [pruned, whole]) l.apply(base, 'base.nft');
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const text = step(i, whole.list({ handles: true }));
    const errors = [whole, pruned].map((l) => {
      try {
        l.apply(text, `step${i}.nft`);
        return undefined;
      } catch (e) {
        if (!(e instanceof TransactionError)) throw e;
        return e.message;
      }
    });
    expect(errors[1], text).toBe(errors[0]);
    if (errors[0]) refused++;
    expect(pruned.list({ handles: true }), `${i}: ${text}`).toBe(whole.list({ handles: true }));
    expect(encodeBytecode(pruned.current.program), `${i}: ${text}`).toEqual(encodeBytecode(whole.current.program));
    expect(pruned.prunes.refused, `${i}: ${text}`).toBe(0);
  }
  return { pruned, whole, refused };
}

describe('a pruned history', () => {
  it('builds, after every commit of a random stream, the generation the whole history builds', () => {
    const rand = unitRng(11);
    const { pruned, whole, refused } = pruneAlongside(BASE, 400, (i, listing) => randomStep(rand, listing, i));
    expect(refused).toBeGreaterThan(10);
    expect(pruned.prunes.refused).toBe(0);
    expect(pruned.prunes.made).toBeGreaterThan(40);
    // What is left of the history: what made the rules, elements, chains and sets still there, and what pins them (resets, renames, ...).
    expect(pruned.current.result.outputs.length * 1.5).toBeLessThan(whole.current.result.outputs.length);
  });

  it('stays bounded under a stream of rules and elements that come and go', () => {
    const live = new LiveRuleset({ pruneAfter: 64 });
    live.apply(BASE, 'base.nft');
    let most = 0;
    for (let i = 0; i < 2000; i++) {
      live.apply(`add rule inet f input tcp dport ${i} accept\nadd element inet f blocked { 10.1.${i >> 8}.${i & 255} }`);
      const h = ruleHandles(live.list({ handles: true }), 'input').at(-1)!;
      live.apply(`delete rule inet f input handle ${h}\ndelete element inet f blocked { 10.1.${i >> 8}.${i & 255} }`);
      most = Math.max(most, live.current.parts.length);
    }
    expect(live.prunes.refused).toBe(0);
    // 4,000 commits; the history never held more than the threshold's worth of them.
    expect(most).toBeLessThan(70);
    // Each rule took a handle the kernel never gives back: the next rule's handle counts them all.
    const fresh = new LiveRuleset();
    for (const l of [live, fresh]) l.apply(`${l === fresh ? BASE : ''}add rule inet f input accept`);
    expect(ruleHandles(live.list({ handles: true }), 'input').at(-1)).toBe(ruleHandles(fresh.list({ handles: true }), 'input').at(-1)! + 2000);
  });

  it('leaves the history it prunes as it was (a gap that grows is a copy), should the shorter one be refused', () => {
    const live = new LiveRuleset({ pruneAfter: 0 });
    live.apply(BASE, 'base.nft');
    live.apply('add rule inet f input tcp dport 1 accept\nadd rule inet f input tcp dport 2 accept');
    const [first, second] = ruleHandles(live.list({ handles: true }), 'input').slice(-2);
    // The first rule goes: its handle leaves a gap in the part that still adds the second.
    live.apply(`delete rule inet f input handle ${first}`);
    const before = live.current.parts;
    const gaps = () => JSON.stringify(before.flat().filter((c) => c.k === 'handles' && c.gap).map((c) => c.k === 'handles' && c.perTable));
    const was = gaps();
    expect(was).toBe('[{"inet f":1}]');
    // The second goes too: its handle joins that gap, in the new history only.
    live.apply(`delete rule inet f input handle ${second}`);
    expect(live.prunes.made).toBeGreaterThan(1);
    expect(gaps()).toBe(was);
  });
});


const TABLE = `table ip t {
  counter hits { }
  map dispatch { type ipv4_addr : verdict; }
  map om { type ipv4_addr : counter; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr vmap @dispatch
    tcp dport 22 accept
  }
}
`;

/** What a listing of table `ip t` holds: rules (text, handle) by chain, sets and maps, counters and quotas. */
function contents(listing: string) {
  const text = listing.split(/^table /m).find((x) => x.startsWith('ip t ')) ?? '';
  const chains = new Map<string, { text: string; handle: number }[]>();
  let cur: { text: string; handle: number }[] | undefined;
  for (const line of text.split('\n')) {
    const c = /^\tchain (\S+) \{/.exec(line);
    if (c) chains.set(c[1]!, (cur = []));
    else if (line === '\t}') cur = undefined;
    const r = /^\t\t(.*) # handle (\d+)$/.exec(line);
    if (cur && r) cur.push({ text: r[1]!, handle: +r[2]! });
  }
  const names = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);
  return { text, chains, sets: names(/^\t(?:set|map) (\S+) \{/gm), objs: names(/^\t(?:counter|quota) (\S+) \{/gm) };
}

/** Commands that take away every rule and element naming `what` (`jump c1`, `@s1`, `"k1"`), so a deletion of it is not busy. */
function unreference(listing: string, what: RegExp): string[] {
  const { text, chains } = contents(listing);
  const out: string[] = [];
  for (const [ch, rules] of chains) for (const r of rules) if (what.test(r.text)) out.push(`delete rule ip t ${ch} handle ${r.handle}`);
  for (const [, map, body] of text.matchAll(/^\tmap (\S+) \{[^\n]*\n([^]*?)\n\t\}/gm)) {
    const elements = body!.split('elements = {')[1] ?? '';
    for (const m of elements.matchAll(/([\w.]+) : ([^,\n}]+)/g)) if (what.test(m[2]!)) out.push(`delete element ip t ${map} { ${m[1]} }`);
  }
  return out;
}

/** One random step of a stream where chains, sets, maps and objects come and go, with the rules, jumps and elements that use them. */
function objectStep(rand: () => number, listing: string, i: number): string {
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
  const { text, chains, sets, objs } = contents(listing);
  const regular = [...chains.keys()].filter((c) => c !== 'input' && !c.startsWith('d'));
  const n = Math.floor(rand() * 4);
  const chain = rand() < 0.7 ? pick(regular) ?? `c${n}` : `c${n}`;
  const other = pick(regular) ?? 'c0';
  const set = pick(sets.filter((s) => /^[smi]\d/.test(s))) ?? `s${n}`;
  const obj = pick(objs.filter((o) => o !== 'hits')) ?? `k${n}`;
  const anyRule = pick([...chains].flatMap(([c, rs]) => rs.map((r) => ({ c, h: r.handle }))));
  const word = (s: string) => new RegExp(`(jump |goto |@|")${s}("|\\b)`);
  const r = rand();
  if (r < 0.08) return `add chain ip t c${n}\nadd rule ip t c${n} tcp dport ${i} counter accept`;
  if (r < 0.11) return `add chain ip t c${n} { tcp dport ${i} counter drop; }`;
  if (r < 0.17) return `add rule ip t ${chain} tcp dport ${i} counter accept`;
  if (r < 0.23) return `add rule ip t input tcp dport ${i} ${rand() < 0.8 ? 'jump' : 'goto'} ${chain}`;
  if (r < 0.26) return `add rule ip t ${chain} udp dport ${i} jump ${other}`;
  // (A key the map holds with other data is not refused yet: only new keys.)
  const key = `10.0.0.${n + 4 * Math.floor(rand() * 3)}`;
  if (r < 0.32 && !new RegExp(`${key.replace(/\./g, '\\.')} :`).test(text)) return `add element ip t dispatch { ${key} : jump ${chain} }`;
  if (r < 0.34) return `add rule ip t input ip daddr vmap { 10.9.0.${n} : jump ${chain}, 10.9.1.${i % 250} : accept }`;
  if (r < 0.41) return [...unreference(listing, word(chain)), rand() < 0.3 ? `flush chain ip t ${chain}` : '', `delete chain ip t ${chain}`].filter(Boolean).join('\n');
  if (r < 0.45 && anyRule) return `delete rule ip t ${anyRule.c} handle ${anyRule.h}`;
  if (r < 0.46) return `flush chain ip t ${chain}`;
  if (r < 0.47) return `rename chain ip t ${chain} r${i}`;
  if (r < 0.48) return `create chain ip t ${chain}`;
  // (The compiler still knows a destroyed chain's name, and `destroy chain` of one in use is not
  // refused yet: chains of their own, which nothing names and whose names come back no more.)
  const gone = pick([...chains.keys()].filter((c) => c.startsWith('d')));
  if (r < 0.485) return gone ? `destroy chain ip t ${gone}` : `add chain ip t d${i}\nadd rule ip t d${i} tcp dport ${i} counter accept`;
  if (r < 0.49) return `add rule ip t ${gone ?? 'd0'} udp dport ${i} counter drop`;
  if (r < 0.53) return `add set ip t s${n} { type ipv4_addr; ${rand() < 0.5 ? `elements = { 10.1.${n}.1 }` : ''} }`;
  if (r < 0.55) return `add map ip t m${n} { type inet_service : verdict; elements = { ${i} : jump ${chain} } }`;
  if (r < 0.57) return `add set ip t i${n} { type ipv4_addr; flags interval; elements = { 10.${n}.0.0/16 } }`;
  if (r < 0.6) return `add element ip t ${set} { ${set.startsWith('m') ? `${i} : accept` : set.startsWith('i') ? `10.${20 + (i % 200)}.0.0/16` : `10.1.${n}.${i % 250}`} }`;
  if (r < 0.62) return `add rule ip t ${chain} ${set.startsWith('m') ? `tcp dport vmap @${set}` : `ip saddr @${set} drop`}`;
  if (r < 0.64) return `flush set ip t ${set}`;
  if (r < 0.69) return [...unreference(listing, word(set)), `delete ${set.startsWith('m') ? 'map' : 'set'} ip t ${set}`].join('\n');
  if (r < 0.73) return rand() < 0.5 ? `add counter ip t k${n}` : `add quota ip t q${n} { over ${n + 1} mbytes }`;
  if (r < 0.76) return `add rule ip t ${chain} ${obj.startsWith('q') ? 'quota' : 'counter'} name ${obj}`;
  // (An object map's element naming a missing object is not refused yet: only existing counters.)
  if (r < 0.78 && obj.startsWith('k') && objs.includes(obj)) return `add element ip t om { 10.8.0.${i % 250} : "${obj}" }`;
  if (r < 0.83) return [...unreference(listing, word(obj)), `delete ${obj.startsWith('q') ? 'quota' : 'counter'} ip t ${obj}`].join('\n');
  if (r < 0.84) return `reset counter ip t ${obj}`;
  if (r < 0.85) return `reset counters table ip t`;
  if (r < 0.9) return `add table ip u\nadd chain ip u x${n}\nadd set ip u s { type ipv4_addr; }\nadd counter ip u k\nadd rule ip u x${n} ip saddr @s counter name k jump x${n}`;
  if (r < 0.93) return `delete table ip u`;
  if (r < 0.95) return `flush table ip ${rand() < 0.7 ? 'u' : 't'}`;
  if (r < 0.97) return `add chain ip t input { policy ${rand() < 0.5 ? 'drop' : 'accept'}; }`;
  return `add rule ip t input position ${anyRule?.h ?? 1} tcp dport ${i} drop`;
}

/** How many commands of `parts` make (`add`/`create`) a chain, a set or map, or an object. */
function makers(parts: { k: string; op?: string }[][], k: 'chain' | 'set' | 'obj'): number {
  return parts.flat().filter((c) => c.k === k && (c.op === 'add' || c.op === 'create')).length;
}

describe('a pruned history of chains, sets and objects', () => {
  it('builds, after every commit of a random stream, the generation the whole history builds', () => {
    const rand = unitRng(5);
    const { pruned, whole, refused } = pruneAlongside(TABLE, 500, (i, listing) => objectStep(rand, listing, i));
    expect(refused).toBeGreaterThan(20);
    expect(refused).toBeLessThan(250);
    expect(pruned.prunes.made).toBeGreaterThan(80);
    // Chains, sets and objects that came and went left the history.
    for (const k of ['chain', 'set', 'obj'] as const) expect(makers(pruned.current.parts, k) * 2, k).toBeLessThan(makers(whole.current.parts, k));
    expect(pruned.current.result.outputs.length * 2).toBeLessThan(whole.current.result.outputs.length);
  });

  it('follows interval sets: an element added alone and deleted by the same text goes, whatever else the set held', () => {
    const rand = unitRng(3);
    const base = `table ip t {
  set nets { type ipv4_addr; flags interval; elements = { 10.0.0.0/16 } }
  set am { type ipv4_addr; flags interval; auto-merge; }
  map iv { type ipv4_addr : verdict; flags interval; }
  chain c1 { accept; }
  chain c2 { drop; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @nets drop
    ip saddr @am drop
    ip daddr vmap @iv
  }
}
`;
    const intervalCmds = (l: LiveRuleset) => l.current.parts.flat().filter((c) => c.k === 'element').length;
    const { pruned, whole } = pruneAlongside(base, 400, () => {
      const x = 1 + Math.floor(rand() * 6);
      const net = rand() < 0.7 ? `10.${x}.0.0/16` : `10.${x}.0.0-10.${x}.255.255`;
      const r = rand();
      return r < 0.25 ? `add element ip t nets { ${net} }`
        : r < 0.45 ? `delete element ip t nets { ${net} }`
        : r < 0.5 ? `add element ip t nets { ${net}, 10.${x + 10}.0.0/16 }`
        : r < 0.53 ? `define n = ${net}\n${rand() < 0.5 ? 'add' : 'delete'} element ip t nets { $n }`
        : r < 0.55 ? `destroy element ip t nets { ${rand() < 0.5 ? net : '10.0.0.0/16'} }`
        : r < 0.56 ? `flush set ip t nets`
        : r < 0.66 ? `${rand() < 0.6 ? 'add' : 'delete'} element ip t am { 10.${x}.${rand() < 0.5 ? '0.0/16' : '128.0/17'} }`
        : r < 0.8 ? `add element ip t iv { ${net} : jump c${rand() < 0.5 ? 1 : 2} }`
        : r < 0.95 ? `delete element ip t iv { ${net} }`
        : `add set ip t nets { type ipv4_addr; flags interval; elements = { 10.${x}.0.0/16 } }`;
    });
    // Half the element commands went (kept: those of several elements, `$n`, what a flush or `add set` took, ...).
    expect(intervalCmds(pruned) * 1.5).toBeLessThan(intervalCmds(whole));
  });

  it('stays bounded under a stream of chains, sets and counters that come and go, jumped to and looked up', () => {
    const live = new LiveRuleset({ pruneAfter: 64 });
    live.apply(TABLE, 'base.nft');
    const n = 300;
    let most = 0;
    for (let i = 0; i < n; i++) {
      const ip = `10.0.${1 + (i >> 8)}.${i & 255}`;
      live.apply(`add chain ip t c${i}\nadd rule ip t c${i} tcp dport ${i} counter accept\nadd element ip t dispatch { ${ip} : jump c${i} }`);
      live.apply(`add set ip t s${i} { type ipv4_addr; }\nadd element ip t s${i} { 10.1.0.1 }\nadd rule ip t c${i} ip saddr @s${i} drop`);
      live.apply(`add counter ip t k${i}\nadd rule ip t input counter name k${i}`);
      const h = contents(live.list({ handles: true })).chains.get('input')!.at(-1)!.handle;
      live.apply(`delete element ip t dispatch { ${ip} }\ndelete rule ip t input handle ${h}\ndelete chain ip t c${i}\ndelete set ip t s${i}\ndelete counter ip t k${i}`);
      most = Math.max(most, live.current.parts.length);
    }
    expect(live.prunes.refused).toBe(0);
    expect(live.prunes.made).toBeGreaterThan(n / 10);
    // 1,200 commits; the history never held more than the threshold's worth of them (a few iterations).
    expect(most).toBeLessThan(12);
    for (const k of ['chain', 'set', 'obj'] as const) expect(makers(live.current.parts, k), k).toBeLessThan(10);
    // Each chain, rule, set and counter took a handle the kernel never gives back: 6 an iteration.
    const fresh = new LiveRuleset();
    fresh.apply(TABLE);
    for (const l of [live, fresh]) l.apply('add rule ip t input accept');
    const last = (l: LiveRuleset) => contents(l.list({ handles: true })).chains.get('input')!.at(-1)!.handle;
    expect(last(live)).toBe(last(fresh) + 6 * n);
    expect(live.list({ handles: true }).replace(/# handle \d+\n\t\}\n\}/, '')).toBe(fresh.list({ handles: true }).replace(/# handle \d+\n\t\}\n\}/, ''));
  });
});
