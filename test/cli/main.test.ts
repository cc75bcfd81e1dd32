// The CLI commands: compile, check, list, help, and their exit statuses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'nftvm-cli-'));
const good = join(dir, 'good.nft');
writeFileSync(good, 'table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop;\n\t\ttcp dport 22 accept\n\t}\n}\n');
const bad = join(dir, 'bad.nft');
writeFileSync(bad, 'table ip t {\n\tchain c {\n\t\ttcp dport 65536 accept\n\t\tip saddr 10.0.0.0/40 drop\n\t}\n}\n');

describe('nftvm compile FILE', () => {
  it('prints the bytecode as nft --debug=netlink does', async () => {
    const r = await runCli(['compile', good]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'ip (null) (null) use 0 type filter hook input prio 0 packets 0 bytes 0\n' +
        'ip t c\n  [ meta load l4proto => reg 1 ]\n  [ cmp eq reg 1 0x00000006 ]\n' +
        '  [ payload load 2b @ transport header + 2 => reg 1 ]\n  [ cmp eq reg 1 0x00001600 ]\n' +
        '  [ immediate reg 0 accept ]\n\n',
    );
  });
  it('reports every error in nft style and exits 1', async () => {
    const r = await runCli(['compile', bad]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${bad}:3:13-17: Error: Service out of range\n\t\ttcp dport 65536 accept\n\t\t          ^^^^^\n`);
    expect(r.err).toContain(`${bad}:4:12-22: Error: Prefix length 40 is invalid for type of 32 bits width`);
  });
  it('a missing file is an error, not a crash', async () => {
    const r = await runCli(['compile', join(dir, 'nope.nft')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.nft');
  });
});

describe('nftvm check FILE', () => {
  it('exits 0 and prints nothing for a ruleset nft accepts', async () => {
    expect(await runCli(['check', good])).toEqual({ code: 0, out: '', err: '' });
  });
  it('exits 1 with the errors for one nft rejects', async () => {
    const r = await runCli(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.err.match(/Error:/g)?.length).toBe(2);
  });
});

describe('nftvm list [-a] FILE', () => {
  it('prints the ruleset as nft list ruleset does after nft -f FILE', async () => {
    const r = await runCli(['list', good]);
    expect(r).toEqual({
      code: 0,
      out: 'table ip t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 22 accept\n\t}\n}\n',
      err: '',
    });
  });
  it('-a adds the handles as nft -a list ruleset does', async () => {
    const r = await runCli(['list', '-a', good]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'table ip t { # handle 1\n\tchain c { # handle 1\n\t\ttype filter hook input priority filter; policy drop;\n' +
        '\t\ttcp dport 22 accept # handle 2\n\t}\n}\n',
    );
  });
  it('lists nothing and exits 1 when nft would refuse the file', async () => {
    const r = await runCli(['list', bad]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('Error: Service out of range');
  });
  it('expects a FILE; several are applied in order, one transaction each', async () => {
    expect((await runCli(['list', '-a'])).code).toBe(2);
    // As `nft -f good.nft; nft -f good.nft`: the table block adds its rule again.
    const r = await runCli(['list', '-a', good, good]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\t\ttcp dport 22 accept # handle 2\n\t\ttcp dport 22 accept # handle 3\n');
  });
});

describe('usage', () => {
  it('help prints the commands', async () => {
    const r = await runCli(['help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('compile FILE');
    expect(r.out).toContain('check FILE');
    expect(r.out).toContain('list [-a] FILE');
  });
  it('an unknown command exits 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
  it('a missing FILE exits 2', async () => {
    expect((await runCli(['compile'])).code).toBe(2);
  });
});
