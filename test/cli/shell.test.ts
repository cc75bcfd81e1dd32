// `nftvm shell` (src/cli/shell.ts) with commands piped in, and `nftvm list`
// of several files applied as successive transactions (src/cli/main.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run.js';

const corpus = join(__dirname, '../corpus/transactions');
const fixtures = join(__dirname, '../fixtures/transactions');
const examples = join(__dirname, '../../examples');

describe('nftvm list F1 F2 ...', () => {
  it('applies the files in order, as nft -f one after the other, handles included', async () => {
    const files = ['base', 'step1', 'step2', 'step3'].map((s) => join(corpus, 'rules-position', `${s}.nft`));
    const r = await run(['list', '-a', ...files]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(fixtures, 'rules-position', 'step3.list-a'), 'utf8').split('\n').slice(1).join('\n'));
  });

  it('stops at the first refused file with nft\'s error', async () => {
    const files = ['base', 'step1', 'step2', 'step3', 'step4'].map((s) => join(corpus, 'rules-position', `${s}.nft`));
    const r = await run(['list', ...files]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/step4\.nft:1:28-29: Error: Could not process rule: No such file or directory\n/);
  });
});

describe('nftvm shell RULESET', () => {
  it('one transaction per line; a refused one changes nothing and names the line', async () => {
    const r = await run(['shell', join(corpus, 'basic', 'base.nft')], [
      'add rule inet filter input udp dport 53 accept',
      'add rule inet filter input tcp dport 25 accept ; add rule inet filter nosuch accept',
      '# a comment',
      '{',
      'add chain inet filter svc',
      'add rule inet filter svc tcp dport 8080 accept',
      'add rule inet filter input jump svc',
      '}',
      'list ruleset -a',
      'quit',
      'list ruleset',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('<stdin>:2:71-76: Error: Could not process rule: No such file or directory\nadd rule inet filter input tcp dport 25 accept ; add rule inet filter nosuch accept\n                                                                      ^^^^^^\n');
    // The refused line's first rule took handle 7 in the kernel (never given back): the block starts at 8.
    expect(r.out).toContain('\t\tudp dport 53 accept # handle 6\n\t\tjump svc # handle 10\n');
    expect(r.out).toContain('\tchain svc { # handle 8\n\t\ttcp dport 8080 accept # handle 9\n');
    expect(r.out.match(/^table /gm)).toHaveLength(1);
  });

  it('a table block spanning lines is one transaction; list table prints one table', async () => {
    const r = await run(['shell', join(corpus, 'basic', 'base.nft')], ['table ip t {', '\tchain c {', '\t\tcounter', '\t}', '}', 'list table ip t', 'list table ip nosuch']);
    expect(r.out).toBe('table ip t {\n\tchain c {\n\t\tcounter packets 0 bytes 0\n\t}\n}\n');
    expect(r.err).toMatch(/^Error: No such file or directory/);
  });
});

describe('nftvm shell usage', () => {
  it('needs a RULESET, takes at most a CAPTURE besides', async () => {
    for (const argv of [['shell'], ['shell', 'a', 'b', 'c']]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^nftvm shell: expected RULESET \[CAPTURE\] \[HOST OPTIONS\]\n/);
    }
  });
});

describe('nftvm shell RULESET CAPTURE', () => {
  it('replays packets between transactions with the ruleset of the moment', async () => {
    const r = await run(['shell', join(examples, 'server.nft'), join(examples, 'server.pcap'), '--host', join(examples, 'server-host.json')], [
      'replay 100',
      'insert rule inet filter input drop',
      'replay 100',
      'conntrack',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const parts = r.out.split(/^packets /m).slice(1);
    expect(parts[0]).toMatch(/^1-100 of \d+\n/);
    expect(parts[1]).toMatch(/^101-200 of \d+\n/);
    // After the insert every received packet is dropped by the new first rule (handle after the last one).
    expect(parts[1]).toMatch(/inet filter input: drop # handle \d+\n/);
    expect(parts[0]).not.toMatch(/input: drop # handle/);
    expect(r.out).toMatch(/^tcp +6 /m);
  });
});
