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

describe('a pruned history', () => {
  it('builds, after every commit of a random stream, the generation the whole history builds', () => {
    const rand = unitRng(11);
    const pruned = new LiveRuleset({ pruneAfter: 0 });
    const whole = new LiveRuleset({ pruneAfter: Infinity });
    for (const l of [pruned, whole]) l.apply(BASE, 'base.nft');
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const text = randomStep(rand, whole.list({ handles: true }), i);
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
    }
    expect(refused).toBeGreaterThan(10);
    expect(pruned.prunes.refused).toBe(0);
    expect(pruned.prunes.made).toBeGreaterThan(40);
    // What is left of the history: what made the rules and elements still there, and the rest (chains, sets, resets) as it was.
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
});
