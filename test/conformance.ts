// Shared helpers for the conformance tests and the report script: split
// `nft --debug=netlink` text into per-rule units (a rule with the set,
// chain and object lines printed before it) and compare them.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { compileToNetlink } from '../compiler/index.js';

const RULE_HEADER = /^(ip|ip6|inet|arp|bridge|netdev) \S+ \S+( \d+)?$/;

/** One rule's block of output lines (with whatever nft printed just before it). */
export interface Unit {
  lines: string[];
  rule: boolean;
}

/** Splits debug text into units, one per rule, plus a trailing non-rule unit. */
export function splitUnits(text: string): Unit[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const units: Unit[] = [];
  let cur: string[] = [];
  let inRule = false;
  for (const l of lines) {
    if (!inRule && RULE_HEADER.test(l)) inRule = true;
    cur.push(l);
    if (inRule && (l === '' || l.startsWith('  userdata = '))) {
      units.push({ lines: cur, rule: true });
      cur = [];
      inRule = false;
    }
  }
  if (cur.length) units.push({ lines: cur, rule: inRule });
  return units;
}

/** Strips the origin comment line of a fixture. */
export function fixtureBody(text: string): string {
  return text.startsWith('# ') ? text.slice(text.indexOf('\n') + 1) : text;
}

/**
 * Reads includes like the CLI: relative to the including file first, then
 * relative to `baseDir`, the directory nft ran in when the fixtures were
 * recorded (nft 1.0.6 resolves `./x.nft` against its working directory).
 */
export function fsReader(baseDir: string) {
  return (path: string, from: string) => {
    for (const p of [resolve(baseDir, dirname(from), path), resolve(baseDir, path)]) {
      if (existsSync(p)) return { name: path, text: readFileSync(p, 'utf8') };
    }
    return undefined;
  };
}

/** Result of comparing one corpus file. */
export interface FileResult {
  name: string;
  total: number;
  identical: number;
  failures: { index: number; expected: string; got: string }[];
  error?: string;
}

/** Compiles one corpus file and compares it rule by rule with its fixture. */
export function compareFile(corpusDir: string, fixtureDir: string, name: string): FileResult {
  const src = readFileSync(join(corpusDir, name + '.nft'), 'utf8');
  const exp = splitUnits(fixtureBody(readFileSync(join(fixtureDir, name + '.netlink'), 'utf8')));
  const r = compileToNetlink(name + '.nft', src, fsReader(corpusDir));
  // A kernel refusal is expected when nft itself exited non-zero (NAME.err):
  // the bytecode was printed all the same.
  const nftFailed = existsSync(join(fixtureDir, name + '.err'));
  const usable = r.ok || (r.kernel && nftFailed);
  const got = usable ? splitUnits(r.out) : [];
  const res: FileResult = { name, total: 0, identical: 0, failures: [], error: usable ? undefined : r.errors };
  const expRules = exp.filter((u) => u.rule);
  const gotRules = got.filter((u) => u.rule);
  res.total = expRules.length;
  expRules.forEach((u, i) => {
    const g = gotRules[i];
    const a = u.lines.join('\n');
    const b = g ? g.lines.join('\n') : '';
    if (a === b) res.identical++;
    else res.failures.push({ index: i, expected: a, got: b });
  });
  // Trailing non-rule output (e.g. chains or sets after the last rule) must match too.
  const ta = exp.filter((u) => !u.rule).map((u) => u.lines.join('\n')).join('\n');
  const tb = got.filter((u) => !u.rule).map((u) => u.lines.join('\n')).join('\n');
  if (usable && ta !== tb) res.failures.push({ index: -1, expected: ta, got: tb });
  return res;
}
