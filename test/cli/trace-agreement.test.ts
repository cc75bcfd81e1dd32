// Kernel agreement of `nftvm trace`: every scenario of test/fixtures/trace
// (and the bundled example) replayed in-process from its capture.pcap,
// ruleset.nft and host.json, compared with the kernel's trace.txt packet by
// packet. A packet is its group of lines (one trace id, one pass through the
// hooks); ids are normalised (the kernel's are skb hashes, ours a hash of the
// packet index), groups are aligned in order (longest common subsequence).
// Kernel packets without an identical replayed packet must be listed in
// test/known-gaps/trace.txt (`SCENARIO:LINE  reason`, LINE = first line of the
// packet in trace.txt; a bare `SCENARIO` = the ruleset does not load yet).
// Details of each mismatch go to test/fixtures/trace/SCENARIO/trace.replay.got.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadReplay, type ReplayArgs } from '../../src/cli/replay.js';
import { traceLines } from '../../src/cli/run.js';
import { readGaps } from '../known-gaps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'test/fixtures/trace');
const GAPS_FILE = join(ROOT, 'test/known-gaps/trace.txt');

/** One packet's lines, ids replaced. */
interface Group {
  line: number;
  text: string;
}

/** Hook of each base chain (`family table chain` → hook name), from the ruleset's declarations. */
function chainHooks(ruleset: string): Map<string, string> {
  const m = new Map<string, string>();
  let table = '';
  let chain = '';
  for (const l of ruleset.split('\n')) {
    const t = /^\s*table\s+(\S+)\s+(\S+)/.exec(l);
    if (t) table = `${t[1]} ${t[2]}`;
    const c = /^\s*chain\s+(\S+)/.exec(l);
    if (c) chain = c[1]!;
    const h = /\bhook\s+(\w+)/.exec(l);
    if (h && table && chain) m.set(`${table} ${chain}`, h[1]!);
  }
  return m;
}

const RANK: Record<string, number> = { ingress: 0, prerouting: 1, output: 1, input: 2, forward: 2, postrouting: 3 };

/** Whether a base chain run at hook `h` continues a path whose last run was at `g`. */
function follows(g: string, h: string): boolean {
  if (g === 'input' || (g === 'output' && (h === 'input' || h === 'forward'))) return false;
  return (RANK[h] ?? -1) > (RANK[g] ?? -1);
}

/**
 * Splits trace output into packets: lines with one id, from a `packet:` line
 * until a `packet:` line of the same id that cannot be the same pass (a base
 * chain seen again, or a hook that does not follow the last one).
 */
export function groups(lines: string[], hooks: Map<string, string>, first = 1): Group[] {
  const open = new Map<string, { g: { line: number; lines: string[] }; seen: Set<string>; hook: string }>();
  const all: { line: number; lines: string[] }[] = [];
  lines.forEach((line, i) => {
    const m = /^trace id ([0-9a-f]{8}) (\S+ \S+ \S+) (packet: )?/.exec(line);
    if (!m) return;
    const [, id, chain, packet] = m as unknown as [string, string, string, string | undefined];
    const body = line.replace(/^trace id [0-9a-f]{8} /, 'trace id ID ');
    let cur = open.get(id);
    if (packet) {
      const hook = hooks.get(chain) ?? '?';
      const same = cur && !cur.seen.has(chain) && (hook === cur.hook || follows(cur.hook, hook));
      if (!same) {
        cur = { g: { line: first + i, lines: [] }, seen: new Set(), hook };
        open.set(id, cur);
        all.push(cur.g);
      }
      cur!.seen.add(chain);
      cur!.hook = hook;
    }
    if (!cur) {
      cur = { g: { line: first + i, lines: [] }, seen: new Set(), hook: '?' };
      open.set(id, cur);
      all.push(cur.g);
    }
    cur.g.lines.push(body);
  });
  return all.map((g) => ({ line: g.line, text: g.lines.join('\n') }));
}

/** Indices of `a` matched in order by an identical element of `b` (longest common subsequence). */
export function matched(a: string[], b: string[]): Set<number> {
  const n = a.length;
  const m = b.length;
  const ids = new Map<string, number>();
  const id = (s: string) => ids.get(s) ?? (ids.set(s, ids.size), ids.size - 1);
  const A = a.map(id);
  const B = b.map(id);
  const len = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const k = i * (m + 1) + j;
      len[k] = A[i] === B[j] ? len[k + m + 2]! + 1 : Math.max(len[k + m + 1]!, len[k + 1]!);
    }
  }
  const out = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (A[i] === B[j]) {
      out.add(i++);
      j++;
    } else if (len[(i + 1) * (m + 1) + j]! >= len[i * (m + 1) + j + 1]!) i++;
    else j++;
  }
  return out;
}

interface Scenario {
  name: string;
  ruleset: string;
  capture: string;
  host: string;
  trace: string;
}

function scenarios(): Scenario[] {
  const out: Scenario[] = readdirSync(DIR)
    .filter((d) => existsSync(join(DIR, d, 'trace.txt')))
    .sort()
    .map((d) => ({ name: d, ruleset: join(DIR, d, 'ruleset.nft'), capture: join(DIR, d, 'capture.pcap'), host: join(DIR, d, 'host.json'), trace: join(DIR, d, 'trace.txt') }));
  // The example ran server.nft, then record/trace.nft (examples/record-example.sh).
  const tmp = mkdtempSync(join(tmpdir(), 'nftvm-example-'));
  const ruleset = join(tmp, 'example.nft');
  writeFileSync(ruleset, readFileSync(join(ROOT, 'examples/server.nft'), 'utf8') + readFileSync(join(ROOT, 'examples/record/trace.nft'), 'utf8'));
  out.push({ name: 'example', ruleset, capture: join(ROOT, 'examples/server.pcap'), host: join(ROOT, 'examples/server-host.json'), trace: join(ROOT, 'examples/server-trace.txt') });
  return out;
}

interface Outcome {
  name: string;
  /** Kernel packets (groups) and which replayed identically; `error` when the replay could not run. */
  kernel: Group[];
  ok: Set<number>;
  error?: string;
  replayed: Group[];
}

async function compare(s: Scenario): Promise<Outcome> {
  const text = readFileSync(s.trace, 'utf8').split('\n');
  const hooks = chainHooks(readFileSync(s.ruleset, 'utf8'));
  const kernel = groups(text.slice(1), hooks, 2);
  // The recorder's per-interface Ethernet captures (IFNAME.pcap) give the destination MACs capture.pcap (cooked) lacks.
  const dir = s.capture.slice(0, s.capture.lastIndexOf('/'));
  const ifnames = (JSON.parse(readFileSync(s.host, 'utf8')) as { interfaces: { name: string }[] }).interfaces.map((i) => i.name);
  const links = ifnames.filter((n) => existsSync(join(dir, `${n}.pcap`))).map((n) => `${n}=${join(dir, `${n}.pcap`)}`);
  const args: ReplayArgs = { ruleset: s.ruleset, capture: s.capture, host: s.host, local: [], forward: false, json: false, seconds: 1, links };
  try {
    const l = await loadReplay(args, () => undefined);
    const replayed = groups(traceLines(l), hooks);
    const ok = matched(kernel.map((g) => g.text), replayed.map((g) => g.text));
    return { name: s.name, kernel, ok, replayed };
  } catch (e) {
    return { name: s.name, kernel, ok: new Set(), error: (e as Error).message.split('\n')[0]!, replayed: [] };
  }
}

const all = scenarios();
const outcomes = await Promise.all(all.map(compare));

describe('nftvm trace agrees with the kernel (test/fixtures/trace, examples/server-trace.txt)', () => {
  const gaps = readGaps(GAPS_FILE);
  const total = outcomes.reduce((n, o) => n + o.kernel.length, 0);
  const same = outcomes.reduce((n, o) => n + o.ok.size, 0);
  console.log(`trace agreement: ${same}/${total} kernel packets identical (${((100 * same) / total).toFixed(1)}%)`);
  for (const o of outcomes) console.log(`  ${o.name}: ${o.ok.size}/${o.kernel.length}${o.error ? ` — ${o.error}` : ''}`);

  for (const o of outcomes) {
    it(o.name, () => {
      const dir = o.name === 'example' ? join(ROOT, 'examples') : join(DIR, o.name);
      const got = join(dir, o.name === 'example' ? 'server-trace.replay.got' : 'trace.replay.got');
      const problems: string[] = [];
      if (o.error) {
        if (!gaps.has(o.name)) problems.push(`${o.name} does not replay: ${o.error}`);
        return expect(problems).toEqual([]);
      }
      if (gaps.has(o.name)) problems.push(`${o.name} replays now: replace its line in test/known-gaps/trace.txt by its packets' gaps`);
      const bad = o.kernel.map((g, i) => ({ g, i })).filter(({ i }) => !o.ok.has(i));
      if (bad.length) {
        const rep = o.replayed.map((g) => g.text).join('\n\n');
        writeFileSync(got, bad.map(({ g }) => `${o.name}:${g.line}\n${g.text}\n`).join('\n') + `\n# replayed:\n${rep}\n`);
      } else if (existsSync(got)) rmSync(got);
      for (const { g } of bad) if (!gaps.has(`${o.name}:${g.line}`)) problems.push(`${o.name}:${g.line} differs (see ${got})\n${g.text}`);
      for (const [i, g] of o.kernel.entries()) if (o.ok.has(i) && gaps.has(`${o.name}:${g.line}`)) problems.push(`${o.name}:${g.line} now matches: remove it from test/known-gaps/trace.txt`);
      expect(problems).toEqual([]);
    });
  }

  it('lists no gap for a packet that does not exist', () => {
    const keys = new Set(outcomes.flatMap((o) => [o.name, ...o.kernel.map((g) => `${o.name}:${g.line}`)]));
    expect([...gaps.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });
});
