// What `list` and `reset` commands inside `nft -f` files print
// (compiler/list-commands.ts through LiveRuleset): every sequence of
// test/corpus/list-commands/NAME (base.nft, step1.nft, ...) is applied step by
// step, once as `nft -f` and once as `nft -a -f`, and each step's printed text
// must equal what nft 1.0.6 printed (test/fixtures/list-commands, recorded by
// test/oracle/record-list-commands.sh), its error nft's error text, and the
// ruleset after it nft's `nft -a list ruleset`.
// Known differences: test/known-gaps/list-commands.txt (`NAME/STEP  reason`).

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LiveRuleset, TransactionError } from '../../compiler/transaction.js';
import { listCommands } from '../../compiler/list-commands.js';
import { parseSource } from '../../compiler/ruleset.js';
import { Diagnostics } from '../../compiler/diagnostics.js';
import { readGaps } from '../known-gaps.js';

const corpus = join(__dirname, '../corpus/list-commands');
const fixtures = join(__dirname, '../fixtures/list-commands');
const gaps = readGaps(join(__dirname, '../known-gaps/list-commands.txt'));

function steps(name: string): string[] {
  const n = readdirSync(join(corpus, name)).filter((f) => /^step\d+\.nft$/.test(f)).map((f) => Number(/\d+/.exec(f)![0])).sort((a, b) => a - b);
  return ['base', ...n.map((k) => `step${k}`)];
}

/** A fixture without its origin line. */
function fixture(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8').split('\n').slice(1).join('\n');
}

/** What one step printed, its error text, and the listing after it. */
function runStep(live: LiveRuleset, name: string, step: string, handles: boolean): { printed: string; error?: string } {
  const text = readFileSync(join(corpus, name, `${step}.nft`), 'utf8');
  try {
    return { printed: live.apply(text, `${step}.nft`, { handles }).printed };
  } catch (e) {
    if (!(e instanceof TransactionError)) throw e;
    return { printed: e.printed, error: e.message + '\n' };
  }
}

const names = readdirSync(corpus).filter((d) => existsSync(join(corpus, d, 'base.nft'))).sort();

describe('list and reset commands in files print what nft prints', () => {
  let count = 0;
  let equal = 0;
  for (const name of names) {
    it(name, () => {
      const failures: string[] = [];
      // Steps that differed in either run (the error and the listing after are only checked in the plain one).
      const differed = new Set<string>();
      for (const handles of [false, true]) {
        const live = new LiveRuleset();
        for (const step of steps(name)) {
          const key = `${name}/${step}`;
          const suffix = handles ? 'out-a' : 'out';
          const got = runStep(live, name, step, handles);
          const want = fixture(join(fixtures, name, `${step}.${suffix}`));
          const wantErr = fixture(join(fixtures, name, `${step}.err`));
          const problems: string[] = [];
          if (want === undefined) problems.push('no fixture (run test/oracle/record-list-commands.sh)');
          else if (got.printed !== want) {
            problems.push(`${suffix} differs`);
            writeFileSync(join(fixtures, name, `${step}.${suffix}.got`), got.printed);
          }
          if (!handles) {
            if (wantErr !== got.error) problems.push(`error: want ${JSON.stringify(wantErr)}, got ${JSON.stringify(got.error)}`);
            const listing = live.list({ handles: true });
            if (listing !== fixture(join(fixtures, name, `${step}.list-a`))) problems.push('listing after the step differs');
          }
          count++;
          if (!problems.length) equal++;
          if (problems.length) differed.add(key);
          const gap = gaps.has(key);
          if (problems.length && !gap) failures.push(`${key} (${suffix}): ${problems.join('; ')}`);
          if (!differed.has(key) && gap && handles) failures.push(`${key}: listed in test/known-gaps/list-commands.txt but now matches; remove it`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
  it('reports the figures', () => {
    console.log(`list-commands: ${equal}/${count} step runs print what nft prints (plain and -a), ${names.length} sequences`);
    expect(count).toBeGreaterThan(100);
  });
  it('every known gap names a step of the corpus', () => {
    const all = new Set(names.flatMap((n) => steps(n).map((s) => `${n}/${s}`)));
    expect([...gaps.keys()].filter((k) => !all.has(k))).toEqual([]);
  });
});

describe('flowtables a file declares print what nft printed before the recording kernel refused them', () => {
  // Each step on its own: nftvm keeps the flowtables the recording kernel refused (test/known-gaps/list-commands.txt).
  const name = 'flowtable-declared';
  for (const step of steps(name).slice(1)) {
    it(readFileSync(join(corpus, name, `${step}.nft`), 'utf8').trim().replace(/\s*\n\s*/g, '; '), () => {
      for (const handles of [false, true]) {
        const live = new LiveRuleset();
        runStep(live, name, 'base', handles);
        expect(runStep(live, name, step, handles).printed).toBe(fixture(join(fixtures, name, `${step}.${handles ? 'out-a' : 'out'}`)));
      }
    });
  }
});

/** The running ruleset of the unit tests below. */
const BASE = `table ip t {
  counter c { packets 5 bytes 10; }
  quota q { 100 bytes used 7 bytes; }
  set s { type ipv4_addr; elements = { 1.1.1.1 }; }
  map m { type inet_service : verdict; elements = { 22 : jump c2 }; }
  chain c1 { type filter hook input priority 0; policy drop; counter packets 3 bytes 4 accept; jump c2; }
  chain c2 { ip saddr @s drop; }
}
table inet f {
  counter k { packets 1 bytes 2; }
}
`;

function printed(text: string, handles = false): string {
  const live = new LiveRuleset();
  live.apply(BASE, 'base.nft');
  return live.apply(text, 'f.nft', { handles }).printed;
}

function refused(text: string): TransactionError {
  const live = new LiveRuleset();
  live.apply(BASE, 'base.nft');
  try {
    live.apply(text, 'f.nft');
  } catch (e) {
    if (e instanceof TransactionError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('each kind of list and reset command', () => {
  it('list ruleset (with -a) shows the kernel and what the file declares, not its rules', () => {
    const out = printed('list ruleset\nadd table ip n\nadd chain ip n c { type filter hook input priority 0; }\nadd rule ip t c2 accept\n', true);
    expect(out).toContain('table ip t { # handle 1\n');
    expect(out).toContain('table ip n { # handle 0\n\tchain c { # handle 0\n\t\ttype filter hook input priority filter;\n\t}\n}\n');
    expect(out).not.toContain('\t\taccept');
  });
  it('list ruleset ip / inet filters by family', () => {
    expect(printed('list ruleset inet\n')).toBe('table inet f {\n\tcounter k {\n\t\tpackets 1 bytes 2\n\t}\n}\n');
  });
  it('list table', () => {
    expect(printed('list table inet f\n', true)).toBe('table inet f { # handle 2\n\tcounter k { # handle 1\n\t\tpackets 1 bytes 2\n\t}\n}\n');
  });
  it('list chain prints the table header without a handle and the chain with its rules', () => {
    expect(printed('list chain ip t c1\n', true)).toBe('table ip t {\n\tchain c1 { # handle 1\n\t\ttype filter hook input priority filter; policy drop;\n\t\tcounter packets 3 bytes 4 accept # handle 7\n\t\tjump c2 # handle 8\n\t}\n}\n');
  });
  it('list set and list map', () => {
    expect(printed('list set ip t s\n')).toBe('table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 1.1.1.1 }\n\t}\n}\n');
    expect(printed('list map ip t m\n')).toBe('table ip t {\n\tmap m {\n\t\ttype inet_service : verdict\n\t\telements = { 22 : jump c2 }\n\t}\n}\n');
  });
  it('list counter and list quota', () => {
    expect(printed('list counter ip t c\n')).toBe('table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\n');
    expect(printed('list quota ip t q\n')).toBe('table ip t {\n\tquota q {\n\t\t100 bytes used 7 bytes\n\t}\n}\n');
  });
  it('list counters / quotas print every table with objects', () => {
    expect(printed('list counters\n')).toBe('table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\ntable inet f {\n\tcounter k {\n\t\tpackets 1 bytes 2\n\t}\n}\n');
    expect(printed('list quotas\n')).toBe('table ip t {\n\tquota q {\n\t\t100 bytes used 7 bytes\n\t}\n}\ntable inet f {\n}\n');
    expect(printed('list counters table inet f\n')).toBe('table inet f {\n\tcounter k {\n\t\tpackets 1 bytes 2\n\t}\n}\n');
  });
  it('list tables, chains, sets, maps', () => {
    expect(printed('list tables\n')).toBe('table ip t\ntable inet f\n');
    expect(printed('list chains ip\n')).toBe('table ip t {\n\tchain c1 {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n\tchain c2 {\n\t}\n}\n');
    expect(printed('list sets inet\n')).toBe('table inet f {\n}\n');
    expect(printed('list maps ip\n')).toContain('\tmap m {\n');
    expect(printed('list sets ip\n')).not.toContain('map m');
  });
  it('reset counters prints the counters before the reset, and later lists still show the cached values', () => {
    const live = new LiveRuleset();
    live.apply(BASE, 'base.nft');
    const out = live.apply('reset counters\nlist counters\n', 'f.nft').printed;
    const counters = 'table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\ntable inet f {\n\tcounter k {\n\t\tpackets 1 bytes 2\n\t}\n}\n';
    expect(out).toBe(counters + counters);
    expect(live.list()).toContain('packets 0 bytes 0');
  });
  it('reset quota of one quota', () => {
    expect(printed('reset quota ip t q\n')).toBe('table ip t {\n\tquota q {\n\t\t100 bytes used 7 bytes\n\t}\n}\n');
  });
  it('a list of something missing is nft\'s own error: nothing printed, nothing sent', () => {
    const e = refused('list ruleset\nlist table ip nn\nadd table ip x\n');
    expect(e.message).toBe('f.nft:2:15-16: Error: No such file or directory; did you mean table \u2018t\u2019 in family ip?\nlist table ip nn\n              ^^');
    expect(e.printed).toBe('');
    expect(refused('list chain ip t nope\n').message.split('\n')[0]).toBe('f.nft:1:17-20: Error: No such file or directory');
    expect(refused('list counter ip t cc\n').message.split('\n')[0]).toBe('f.nft:1:19-20: Error: No such file or directory; did you mean obj \u2018c\u2019 in table ip \u2018t\u2019?');
  });
  it('a batch the kernel refuses still printed its listings', () => {
    const e = refused('list counter ip t c\nadd rule ip t c1 jump nowhere\n');
    expect(e.message.split('\n')[0]).toBe('f.nft:2:23-29: Error: Could not process rule: No such file or directory');
    expect(e.printed).toBe('table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\n');
  });
  it('a refused reset stops the printing there', () => {
    const e = refused('list counter ip t c\nreset counter ip t nope\nlist quota ip t q\n');
    expect(e.printed).toBe('table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\n');
  });
  it('an error nft finds itself prints nothing', () => {
    expect(refused('list ruleset\nadd rule ip t c1 tcp dport foo accept\n').printed).toBe('');
  });
  it('a flush ruleset anywhere in the file: nothing is fetched', () => {
    expect(printed('list ruleset\nflush ruleset\nadd table ip x\n')).toBe('table ip x {\n}\n');
  });
  it('a file without list or reset commands prints nothing', () => {
    expect(printed('add rule ip t c2 accept\n')).toBe('');
  });
  it('a listing of many things parses to what it lists and its scope', () => {
    const parsed = (text: string) => {
      const c = parseSource({ name: 'f.nft', text }, new Diagnostics())[0]!;
      return c.k === 'list' ? { what: c.what, family: c.family, table: c.table } : c.k;
    };
    expect(parsed('list ruleset\n')).toEqual({ what: 'ruleset', family: '', table: '' });
    expect(parsed('list counters inet\n')).toEqual({ what: 'counters', family: 'inet', table: '' });
    expect(parsed('list counters table t\n')).toEqual({ what: 'counters', family: 'ip', table: 't' });
    expect(parsed('list ct helpers table inet f\n')).toEqual({ what: 'ct helpers', family: 'inet', table: 'f' });
    expect(parsed('list flowtables ip\n')).toEqual({ what: 'flowtables', family: 'ip', table: '' });
    expect(parsed('list meters\n')).toEqual({ what: 'meters', family: '', table: '' });
    expect(parsed('list ct helper ip t h\n')).toBe('obj');
    const meter = parseSource({ name: 'f.nft', text: 'list meter ip t m\n' }, new Diagnostics())[0]!;
    expect(meter).toMatchObject({ k: 'set', op: 'list', meter: true, set: { name: 'm' } });
  });
  it('list ct helpers and list flowtables', () => {
    expect(printed('add ct helper inet f h { type "ftp" protocol tcp; }\nlist ct helpers table inet f\n')).toBe('table inet f {\n\tct helper h {\n\t\ttype "ftp" protocol tcp\n\t\tl3proto unknown\n\t}\n}\n');
    expect(printed('list flowtables inet\n')).toBe('table inet f {\n}\n');
  });
  it('listCommands with live values of named objects', () => {
    const live = new LiveRuleset();
    live.apply(BASE, 'base.nft');
    const diags = new Diagnostics();
    const cmds = parseSource({ name: 'f.nft', text: 'list counter ip t c\n' }, diags);
    const t = live.current.tables[0]!;
    const c = t.objs.find((o) => o.decl.name === 'c')!.decl;
    const objects = new Map([[c, { ...c, stmt: { k: 'counter' as const, packets: 77n, bytes: 88n, span: c.span } }]]);
    expect(listCommands(cmds, live.current.tables, live.current.result, undefined, { objects }).printed[0]!.text).toContain('packets 77 bytes 88');
  });
});
