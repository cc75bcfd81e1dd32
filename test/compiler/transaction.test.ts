// Kernel parity of transactions (compiler/transaction.ts): every sequence of
// test/corpus/transactions/NAME (base.nft, step1.nft, ...) is applied step by
// step to one live ruleset and compared, after every step, with what nft 1.0.6
// and the kernel listed (`nft -a list ruleset`, test/fixtures/transactions,
// recorded by test/oracle/record-transactions.sh). A refused step must fail
// with nft's first error line and leave the listing byte-identical.
// Known differences: test/known-gaps/transactions.txt (`NAME/STEP  reason`).

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LiveRuleset, TransactionError } from '../../compiler/transaction.js';
import { readGaps } from '../known-gaps.js';
import { unitRng } from '../rng.js';

const corpus = join(__dirname, '../corpus/transactions');
const fixtures = join(__dirname, '../fixtures/transactions');
const gaps = readGaps(join(__dirname, '../known-gaps/transactions.txt'));

/** The steps of a sequence in order: base, step1, step2, ... */
export function steps(name: string): string[] {
  const n = readdirSync(join(corpus, name)).filter((f) => /^step\d+\.nft$/.test(f)).map((f) => Number(/\d+/.exec(f)![0])).sort((a, b) => a - b);
  return ['base', ...n.map((k) => `step${k}`)];
}

/** A fixture without its origin line. */
function fixture(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8').split('\n').slice(1).join('\n');
}

/** What one step did: the listing after it and the first error line. */
function runStep(live: LiveRuleset, name: string, step: string): { listing: string; error?: string } {
  const text = readFileSync(join(corpus, name, `${step}.nft`), 'utf8');
  let error: string | undefined;
  try {
    live.apply(text, `${step}.nft`);
  } catch (e) {
    if (!(e instanceof TransactionError)) throw e;
    error = e.message.split('\n')[0];
  }
  return { listing: live.list({ handles: true }), ...(error !== undefined ? { error } : {}) };
}

const names = readdirSync(corpus).filter((d) => existsSync(join(corpus, d, 'base.nft'))).sort();

describe('transactions match the kernel step by step', () => {
  const seen = new Set<string>();
  let steps_ = 0;
  let equal = 0;
  let refused = 0;
  for (const name of names) {
    it(name, () => {
      const live = new LiveRuleset();
      let before = '';
      const failures: string[] = [];
      for (const step of steps(name)) {
        const key = `${name}/${step}`;
        seen.add(key);
        const got = runStep(live, name, step);
        const wantList = fixture(join(fixtures, name, `${step}.list-a`));
        const wantErr = fixture(join(fixtures, name, `${step}.err`))?.split('\n')[0];
        const problems: string[] = [];
        if (wantList === undefined) problems.push('no fixture (run test/oracle/record-transactions.sh)');
        else if (got.listing !== wantList) {
          problems.push('listing differs');
          writeFileSync(join(fixtures, name, `${step}.list-a.got`), got.listing);
        }
        if (wantErr !== got.error) problems.push(`error: want ${JSON.stringify(wantErr)}, got ${JSON.stringify(got.error)}`);
        // A refused transaction leaves the ruleset exactly as it was (but for what its `reset`s zeroed: nft resets before it sends the batch).
        const resets = /^reset /m.test(readFileSync(join(corpus, name, `${step}.nft`), 'utf8'));
        if (got.error !== undefined && got.listing !== before && !resets) problems.push('refused step changed the listing');
        before = got.listing;
        steps_++;
        if (!problems.length) equal++;
        if (wantErr !== undefined) refused++;
        const gap = gaps.has(key);
        if (problems.length && !gap) failures.push(`${key}: ${problems.join('; ')}`);
        if (!problems.length && gap) failures.push(`${key}: listed in test/known-gaps/transactions.txt but now matches; remove it`);
      }
      expect(failures).toEqual([]);
    });
  }
  it('reports the figures', () => {
    console.log(`transactions: ${equal}/${steps_} steps equal to the kernel (listing with handles, first error line), ${refused} of them refused, ${names.length} sequences`);
    expect(steps_).toBeGreaterThan(0);
  });
  it('every known gap names a step of the corpus', () => {
    const all = new Set(names.flatMap((n) => steps(n).map((s) => `${n}/${s}`)));
    expect([...gaps.keys()].filter((k) => !all.has(k))).toEqual([]);
  });
});

describe('the history of a live ruleset', () => {
  it('pruned after every commit, gives every corpus step what the whole history gives (handles after refused batches too)', () => {
    let made = 0;
    let compared = 0;
    for (const name of names) {
      const pruned = new LiveRuleset({ pruneAfter: 0 });
      const whole = new LiveRuleset({ pruneAfter: Infinity });
      for (const step of steps(name)) {
        const want = runStep(whole, name, step);
        expect(runStep(pruned, name, step), `${name}/${step}`).toEqual(want);
        compared++;
      }
      expect(pruned.prunes.refused, name).toBe(0);
      made += pruned.prunes.made;
    }
    // Some sequences delete or replace what an earlier step made (most delete what a table block made, which stays).
    expect(made).toBeGreaterThan(3);
    expect(compared).toBeGreaterThan(200);
  });

  it('starts again at a flush ruleset, keeping the table handle counter', () => {
    const live = new LiveRuleset();
    live.apply('table ip a { chain c { accept; }; }\n');
    for (let i = 0; i < 5; i++) live.apply(`add rule ip a c tcp dport ${i} accept\n`);
    expect(live.current.parts).toHaveLength(6);
    live.apply('flush ruleset\ntable ip b { chain c { accept; }; }\n');
    expect(live.current.parts).toHaveLength(1);
    live.apply('add table ip c\n');
    expect(live.list({ handles: true })).toBe('table ip b { # handle 2\n\tchain c { # handle 1\n\t\taccept # handle 2\n\t}\n}\ntable ip c { # handle 3\n}\n');
  });
});

describe('elements added again', () => {
  // Recorded on Linux 6.18 (nft 1.0.6): an element of a timeout set added again takes the new
  // timeout, or none; expiry times run with the clock, so this is not a corpus step.
  it('in a set with timeouts, take the new timeout', () => {
    const live = new LiveRuleset();
    live.apply('table ip t { set s { type ipv4_addr; flags timeout; elements = { 10.0.0.1 timeout 1h, 10.0.0.2 timeout 1h }; }; }\n');
    live.apply('add element ip t s { 10.0.0.1 timeout 2h }\nadd element ip t s { 10.0.0.2 }\n');
    expect(live.list()).toContain('elements = { 10.0.0.1 timeout 2h expires 2h, 10.0.0.2 }');
  });

  it('in a plain map, are one element (the corpus: element-clash)', () => {
    const live = new LiveRuleset();
    live.apply('table ip t { map m { type ipv4_addr : mark; elements = { 10.0.0.1 : 1 }; }; }\n');
    for (let i = 0; i < 3; i++) live.apply('add element ip t m { 10.0.0.1 : 1, 10.0.0.2 : 2 }\n');
    expect(live.list()).toContain('elements = { 10.0.0.1 : 0x00000001, 10.0.0.2 : 0x00000002 }');
    expect(() => live.apply('add element ip t m { 10.0.0.2 : 3 }\n')).toThrow(/:1:22-29: Error: Could not process rule: File exists/);
  });
});

describe('mutated transactions', () => {
  it('either apply or fail with nft-style errors, leaving the listing as it was', () => {
    const rnd = unitRng(20261121);
    const files = names.flatMap((n) => steps(n).slice(1).map((s) => readFileSync(join(corpus, n, `${s}.nft`), 'utf8')));
    let refused = 0;
    for (const name of names) {
      const live = new LiveRuleset();
      try {
        live.apply(readFileSync(join(corpus, name, 'base.nft'), 'utf8'), 'base.nft');
      } catch {
        continue;
      }
      for (let k = 0; k < 40; k++) {
        const words = files[Math.floor(rnd() * files.length)]!.split(/(\s+)/);
        // Drop, repeat or swap a word or two.
        for (let m = 0; m < 1 + Math.floor(rnd() * 2); m++) {
          const i = Math.floor(rnd() * words.length);
          const j = Math.floor(rnd() * words.length);
          const r = rnd();
          if (r < 0.4) words.splice(i, 1);
          else if (r < 0.7) words.splice(i, 0, words[j]!);
          else [words[i], words[j]] = [words[j]!, words[i]!];
        }
        const before = live.list({ handles: true });
        try {
          live.apply(words.join(''), 'm.nft');
        } catch (e) {
          if (!(e instanceof TransactionError)) throw new Error(`${name}: ${JSON.stringify(words.join(''))}: ${(e as Error).stack}`);
          expect(e.message).toMatch(/^m\.nft:\d+:\d+-\d+: Error: /);
          expect(live.list({ handles: true })).toBe(before);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(20);
  });
});
