// `list` and `reset` commands inside files given to the CLI print what nft
// prints for them (compiler/list-commands.ts): `nftvm list [-a] F1 F2 ...`,
// `nftvm list FILE` and the shell's transactions, with the VM's counters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run.js';

const corpus = join(__dirname, '../corpus/list-commands');
const fixtures = join(__dirname, '../fixtures/list-commands');
const examples = join(__dirname, '../../examples');

/** A fixture without its origin line. */
const fixture = (name: string, file: string) => readFileSync(join(fixtures, name, file), 'utf8').split('\n').slice(1).join('\n');

describe('nftvm list F1 F2 ... prints what the files\' list and reset commands print', () => {
  it('-a: each file\'s printing as nft -a -f, then the ruleset', async () => {
    const files = ['base', 'step1'].map((s) => join(corpus, 'reset', `${s}.nft`));
    const r = await run(['list', '-a', ...files]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(fixture('reset', 'step1.out-a') + fixture('reset', 'step1.list-a'));
  });

  it('a file the kernel refuses printed its listings before nft\'s error', async () => {
    const files = ['base', 'step1'].map((s) => join(corpus, 'refused', `${s}.nft`));
    const r = await run(['list', ...files]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(fixture('refused', 'step1.out'));
    expect(r.err).toBe(fixture('refused', 'step1.err').replace(/^step1\.nft/, join(corpus, 'refused', 'step1.nft')));
  });

  it('one file with list commands: its printing (nft\'s cache: no policy, no rules), then the ruleset', async () => {
    const r = await run(['list', join(corpus, 'chain-block', 'step1.nft')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const listing = 'table ip n {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n\n\tchain c1 {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter packets 0 bytes 0 accept\n\t\tdrop\n\t}\n\n\tchain c2 {\n\t\ttype filter hook output priority filter + 10; policy drop;\n\t}\n}\n';
    const cached = 'table ip n {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n\n\tchain c1 {\n\t\ttype filter hook input priority filter;\n\t}\n\n\tchain c2 {\n\t\ttype filter hook output priority filter + 10; policy drop;\n\t}\n}\n';
    expect(r.out).toBe(cached + cached + 'table ip n {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\n' + listing);
  });

  it('one file without them: the ruleset alone, as before', async () => {
    const r = await run(['list', join(corpus, 'kinds', 'base.nft')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(fixture('kinds', 'base.list-a').replace(/ # handle \d+/g, ''));
  });
});

describe('nftvm shell prints what list and reset commands print', () => {
  it('list and reset lines of the shell, with the counters the VM counted', async () => {
    const r = await run(['shell', join(examples, 'server.nft'), join(examples, 'server.pcap'), '--host', join(examples, 'server-host.json')], [
      'insert rule inet filter input counter',
      'replay 300',
      'list chain inet filter input',
      'list ruleset',
      'list tables',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const chain = /^table inet filter \{\n\tchain input \{\n[^]*?\n\t\}\n\}\n/m.exec(r.out)?.[0];
    expect(chain).toBeDefined();
    const counted = [...chain!.matchAll(/counter packets (\d+) bytes (\d+)/g)].map((m) => m[0]);
    expect(counted[0]).toMatch(/^counter packets [1-9]\d* bytes [1-9]/);
    // The same counters as the shell's own listing of the running ruleset.
    for (const c of counted) expect(r.out.split(c).length).toBeGreaterThanOrEqual(3);
    expect(r.out.endsWith('table inet filter\n')).toBe(true);
  });

  it('a refused transaction line prints its listings, then the error', async () => {
    const r = await run(['shell', join(corpus, 'reset', 'base.nft')], ['list counter ip t c ; add rule ip t c1 jump nowhere']);
    expect(r.out).toBe('table ip t {\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n}\n');
    expect(r.err).toMatch(/^<stdin>:1:45-51: Error: Could not process rule: No such file or directory\n/);
  });
});

describe('Engine.apply returns what list and reset commands print', () => {
  it('with the counts of the running VM, named counters and rule counters; a reset prints them before zeroing', async () => {
    const { engine, ipv4, rx, tcp } = await import('../assembly/vm/helpers.js');
    const e = await engine();
    e.load('table ip t {\n\tcounter hits { }\n\tchain in { type filter hook input priority 0; counter name "hits" counter accept; }\n}\n', 'base.nft');
    expect(e.apply('add rule ip t in drop\n', 'a.nft')).toBe('');
    const pkt = rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: tcp({ dport: 80 }) }));
    e.evaluate([pkt, pkt]);
    const counted = e.list().match(/counter packets 2 bytes (\d+)/);
    expect(counted).not.toBeNull();
    const bytes = counted![1];
    expect(e.apply('list chain ip t in\n', 'b.nft', undefined, { handles: true })).toBe(`table ip t {\n\tchain in { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter name "hits" counter packets 2 bytes ${bytes} accept # handle 3\n\t\tdrop # handle 4\n\t}\n}\n`);
    expect(e.apply('reset counters\n', 'c.nft')).toBe(`table ip t {\n\tcounter hits {\n\t\tpackets 2 bytes ${bytes}\n\t}\n}\n`);
    expect(e.list()).toContain('counter hits {\n\t\tpackets 0 bytes 0\n');
  });
});
