// Shared helpers for the listing test: compile a corpus file, print it as
// `nft [-a] list ruleset` would, and compare rule by rule and as a whole with
// the listings nft 1.0.6 printed (test/fixtures/list, recorded by
// test/oracle/record-list.sh).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRuleset } from '../compiler/index.js';
import { listRuleset } from '../compiler/list.js';
import { fixtureBody, fsReader } from './conformance.js';

/** Rule lines of a listing, by `family/table/chain`. */
export function listedRules(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let table = '';
  let chain: string[] | undefined;
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (t) {
      table = `${t[1]}/${t[2]}`;
      continue;
    }
    const c = /^\tchain (\S+) \{$/.exec(line);
    if (c) {
      chain = [];
      m.set(`${table}/${c[1]}`, chain);
      continue;
    }
    if (line === '\t}') {
      chain = undefined;
      continue;
    }
    if (chain && line.startsWith('\t\t') && !/^\t\ttype \S+ hook /.test(line)) chain.push(line.slice(2));
  }
  return m;
}

/** One rule that differs. */
export interface ListFailure {
  key: string;
  expected: string;
  got: string;
}

/** Result of comparing one corpus file's listing. */
export interface ListResult {
  total: number;
  identical: number;
  failures: ListFailure[];
  /** The whole `nft list ruleset` text is byte-identical. */
  whole: boolean;
  /** The whole `nft -a list ruleset` text (handles) is byte-identical. */
  wholeHandles: boolean;
  got: string;
  gotHandles: string;
}

/** Compiles `name` and compares its listing with the fixtures: rule by rule, then whole, with and without handles. */
export function compareListing(corpusDir: string, fixtureDir: string, name: string): ListResult {
  const src = readFileSync(join(corpusDir, name + '.nft'), 'utf8');
  const expText = fixtureBody(readFileSync(join(fixtureDir, name + '.list'), 'utf8'));
  const expHandles = fixtureBody(readFileSync(join(fixtureDir, name + '.list-a'), 'utf8'));
  const r = compileRuleset({ name: name + '.nft', text: src }, fsReader(corpusDir));
  const got = listRuleset(r);
  const gotHandles = listRuleset(r, { handles: true });
  const exp = listedRules(expText);
  const have = listedRules(got);
  const res: ListResult = { total: 0, identical: 0, failures: [], whole: got === expText, wholeHandles: gotHandles === expHandles, got, gotHandles };
  for (const [chain, rules] of exp) {
    const g = have.get(chain) ?? [];
    rules.forEach((e, i) => {
      res.total++;
      if (g[i] === e) res.identical++;
      else res.failures.push({ key: `${name}:${chain}:${i}`, expected: e, got: g[i] ?? '(missing)' });
    });
  }
  return res;
}
