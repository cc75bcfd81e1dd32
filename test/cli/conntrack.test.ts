// nftvm run --conntrack / --events (src/cli/run.ts, src/format/conntrack.ts)
// on kernel recordings of test/fixtures/trace/ct-*: the events must be the
// lines `conntrack -E -o timestamp` printed (timestamps aside: the kernel's
// are taken when the event is sent, ours are packet times), the table the
// lines `conntrack -L` printed when listed at the kernel's listing time
// (--conntrack-at). Plus host.json's
// "sysctl" / "conntrack_max" and automatic accounting.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.js';
import { readGaps } from '../known-gaps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(ROOT, 'test/fixtures/trace');
const dir = mkdtempSync(join(tmpdir(), 'nftvm-ct-'));

const files = (name: string) => [join(FIX, name, 'ruleset.nft'), join(FIX, name, 'capture.pcap'), '--host', join(FIX, name, 'host.json')];
const body = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
const untimed = (line: string) => line.replace(/^\[\d+\.\d{6}\]\t/, '');
/** A `conntrack -L` line with its timeout column cut out, and the timeout. */
const splitTimeout = (line: string): [string, number] => {
  const m = /^(\S+ +\d+ )(\d+) (.*)$/.exec(line)!;
  return [m[1]! + m[3]!, Number(m[2])];
};

describe('nftvm run --events --conntrack against the kernel', () => {
  // Every recording with the kernel's events and listing. Those the replay does not reproduce are listed with
  // the reason in test/known-gaps/conntrack.txt (`NAME:events` / `NAME:table`); a listed one that now agrees fails.
  const gaps = readGaps(join(ROOT, 'test/known-gaps/conntrack.txt'));
  const recordings = readdirSync(FIX).filter((d) => existsSync(join(FIX, d, 'events.txt'))).sort();
  it('lists no gap for a recording that does not exist', () => {
    expect([...gaps.keys()].filter((k) => !recordings.includes(k.replace(/:(events|table)$/, '')))).toEqual([]);
  });
  for (const name of recordings) {
    it(name, async () => {
      // Listed when the kernel listed: `# listed at` of conntrack.txt.
      const ctFile = readFileSync(join(FIX, name, 'conntrack.txt'), 'utf8');
      const listedAt = /# listed at (\d+\.\d+)/.exec(ctFile)![1]!;
      const r = await runCli(['run', ...files(name), '--events', '--conntrack-at', listedAt]);
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      // Events come first, as they happen, in the kernel's order.
      const events = lines.filter((l) => /^\[\d+\.\d{6}\]\t/.test(l));
      expect(lines.findIndex((l) => !l.startsWith('['))).toBe(events.length);
      const eventsSame = JSON.stringify(events.map(untimed)) === JSON.stringify(body(join(FIX, name, 'events.txt')).map(untimed));
      // The table: same entries (any order), timeouts within a second of the kernel's.
      const at = lines.findIndex((l) => l.startsWith(`conntrack table at ${listedAt} (`));
      expect(at).toBeGreaterThan(0);
      const ours = lines.slice(at + 1).filter(Boolean).map(splitTimeout);
      const kernel = body(join(FIX, name, 'conntrack.txt')).map(splitTimeout);
      const tableSame =
        JSON.stringify(ours.map((x) => x[0]).sort()) === JSON.stringify(kernel.map((x) => x[0]).sort()) &&
        kernel.every(([text, t]) => Math.abs(ours.find((x) => x[0] === text)![1] - t) <= 1);
      expect(r.err).toBe(`conntrack v1.4.7 (conntrack-tools): ${ours.length} flow entries have been shown.\n`);
      const problems: string[] = [];
      for (const [what, same] of [['events', eventsSame], ['table', tableSame]] as const) {
        const key = `${name}:${what}`;
        if (!same && !gaps.has(key)) problems.push(`${key} differs from the kernel's`);
        if (same && gaps.has(key)) problems.push(`${key} now agrees: remove it from test/known-gaps/conntrack.txt`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('examples/server.nft on examples/server.pcap: the kernel\'s table (examples/server-conntrack.txt)', async () => {
    const ex = (f: string) => join(ROOT, 'examples', f);
    const r = await runCli(['run', ex('server.nft'), ex('server.pcap'), '--host', ex('server-host.json'), '--conntrack']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const ours = lines.slice(lines.findIndex((l) => l.startsWith('conntrack table at ')) + 1).filter(Boolean).map(splitTimeout);
    const kernel = body(ex('server-conntrack.txt')).map(splitTimeout);
    // The kernel listed a few seconds after the last packet (its TIME_WAIT entries show 4 s less):
    // every entry it listed is ours, and ours that it did not list had expired by then.
    const delay = Math.max(...kernel.map(([text, t]) => (ours.find((x) => x[0] === text)?.[1] ?? Infinity) - t));
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(10);
    for (const [text, t] of kernel) expect(Math.abs(ours.find((x) => x[0] === text)![1] - t - delay)).toBeLessThanOrEqual(1);
    const extra = ours.filter(([text]) => !kernel.some((k) => k[0] === text));
    for (const [, t] of extra) expect(t).toBeLessThanOrEqual(delay + 1);
    expect(ours.length - extra.length).toBe(kernel.length);
  });

  it('--json: the table and the events as data', async () => {
    const r = await runCli(['run', ...files('ct-tcp-handshake'), '--events', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      conntrack: { at: string; entries: { state: string; assured: boolean; orig: { sport: number }; text: string }[]; stats: { entries: number } };
      events: { packet: number | null; kind: string; entry: { state: string }; text: string }[];
    };
    expect(j.conntrack.at).toMatch(/^\d+\.\d{6}$/);
    expect(j.conntrack.entries).toHaveLength(1);
    expect(j.conntrack.entries[0]).toMatchObject({ state: 'TIME_WAIT', assured: true, orig: { sport: 40100 } });
    expect(j.conntrack.entries[0]!.text).toMatch(/^tcp      6 120 TIME_WAIT src=10\.99\.1\.2 /);
    expect(j.conntrack.stats.entries).toBe(1);
    expect(j.events.map((e) => `${e.kind} ${e.entry.state}`)).toEqual([
      'NEW SYN_SENT', 'UPDATE SYN_RECV', 'UPDATE ESTABLISHED', 'UPDATE FIN_WAIT', 'UPDATE CLOSE_WAIT', 'UPDATE LAST_ACK', 'UPDATE TIME_WAIT',
    ]);
    // The SYN is the capture's first packet, the SYN-ACK its second.
    expect(j.events.slice(0, 2).map((e) => e.packet)).toEqual([1, 2]);
    expect(j.events[0]!.text).toMatch(/^\[\d+\.\d{6}\]\t    \[NEW\] tcp      6 120 SYN_SENT /);
  });

  it('without --conntrack and --events: no table, no events, nothing on stderr', async () => {
    const r = await runCli(['run', ...files('ct-tcp-handshake')]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).not.toContain('conntrack table');
    expect(r.out).not.toMatch(/^\[/m);
  });

  it('--events and --conntrack belong to run', async () => {
    const r = await runCli(['trace', ...files('ct-tcp-handshake'), '--events']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^nftvm trace: --events is an option of 'nftvm run'\n/);
  });
});

/** host.json of a fixture with extra keys. */
function hostWith(name: string, extra: Record<string, unknown>): string {
  const j = JSON.parse(readFileSync(join(FIX, name, 'host.json'), 'utf8')) as Record<string, unknown>;
  const f = join(dir, `${name}-${Object.keys(extra).join('-')}.json`);
  writeFileSync(f, JSON.stringify({ ...j, ...extra }));
  return f;
}

describe('host.json "sysctl" and "conntrack_max"', () => {
  const name = 'ct-tcp-handshake';
  const rules = join(FIX, name, 'ruleset.nft');
  const cap = join(FIX, name, 'capture.pcap');

  it('a timeout sysctl sets the table\'s timeout', async () => {
    const host = hostWith(name, { sysctl: { 'net.netfilter.nf_conntrack_tcp_timeout_time_wait': 7, 'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': '100' } });
    const r = await runCli(['run', rules, cap, '--host', host, '--conntrack', '--events']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\t    \[NEW\] tcp      6 100 SYN_SENT /);
    expect(r.out).toMatch(/\t \[UPDATE\] tcp      6 7 TIME_WAIT /);
    expect(r.out).toMatch(/\ntcp      6 7 TIME_WAIT src=10\.99\.1\.2 dst=10\.99\.1\.1 sport=40100 dport=8080 /);
  });

  it('nf_conntrack_acct = 1: packets= and bytes= per direction', async () => {
    const host = hostWith(name, { sysctl: { 'net.netfilter.nf_conntrack_acct': 1 } });
    const r = await runCli(['run', rules, cap, '--host', host, '--conntrack']);
    expect(r.code).toBe(0);
    // 7 packets (390 bytes) from the client, 6 (345) from the host: the input and output chains' counters.
    expect(r.out).toMatch(/\ntcp      6 120 TIME_WAIT src=10\.99\.1\.2 dst=10\.99\.1\.1 sport=40100 dport=8080 packets=7 bytes=390 src=10\.99\.1\.1 dst=10\.99\.1\.2 sport=8080 dport=40100 packets=6 bytes=345 \[ASSURED\] mark=0 use=1\n/);
  });

  it('a ruleset reading ct packets turns accounting on, as the kernel does', async () => {
    const f = join(dir, 'acct.nft');
    writeFileSync(f, 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct packets > 1000000 drop\n\t}\n}\n');
    const r = await runCli(['run', f, cap, '--host', join(FIX, name, 'host.json'), '--conntrack']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ dport=8080 packets=7 bytes=390 src=10\.99\.1\.1 dst=10\.99\.1\.2 sport=8080 dport=40100 packets=6 bytes=345 \[ASSURED\] mark=0 use=1\n/);
    const plain = await runCli(['run', ...files(name), '--conntrack']);
    expect(plain.out).not.toContain('packets=');
  });

  it('an unknown sysctl: the file, the key and what is known', async () => {
    const host = hostWith(name, { sysctl: { 'net.netfilter.nf_conntrack_udp_timout': 5 } });
    const r = await runCli(['run', rules, cap, '--host', host]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^nftvm run: .*\.json: "sysctl": unknown sysctl 'net\.netfilter\.nf_conntrack_udp_timout' \(known: .*net\.netfilter\.nf_conntrack_udp_timeout, /);
  });

  it('"conntrack_buckets": rounded up to a multiple of 512; nf_conntrack_max keeps its default unless given', async () => {
    const stats = async (extra: Record<string, unknown>) => {
      const r = await runCli(['run', rules, cap, '--host', hostWith(name, extra), '--json']);
      return (JSON.parse(r.out) as { conntrack: { stats: { buckets: number; max: number } } }).conntrack.stats;
    };
    expect(await stats({ conntrack_buckets: 600 })).toMatchObject({ buckets: 1024, max: 262144 });
    expect(await stats({ conntrack_buckets: 512, conntrack_max: 40 })).toMatchObject({ buckets: 512, max: 40 });
  });

  it('"conntrack_max" must be a positive integer', async () => {
    const host = hostWith(name, { conntrack_max: -3 });
    const r = await runCli(['run', rules, cap, '--host', host]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"conntrack_max" must be a positive integer, not -3\n$/);
  });

  it('conntrack_max: a full table drops the new connection (no entry, no event)', async () => {
    const host = hostWith('ct-icmp-echo', { conntrack_max: 2 });
    const r = await runCli(['run', join(FIX, 'ct-icmp-echo', 'ruleset.nft'), join(FIX, 'ct-icmp-echo', 'capture.pcap'), '--host', host, '--conntrack', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { conntrack: { entries: unknown[]; stats: { max: number; drop: number } } };
    expect(j.conntrack.stats.max).toBe(2);
    expect(j.conntrack.entries).toHaveLength(2);
    expect(j.conntrack.stats.drop).toBeGreaterThan(0);
  });
});

describe('nftvm bench keeps the table across passes', () => {
  it('runs a conntrack ruleset', async () => {
    const r = await runCli(['bench', ...files('ct-tcp-handshake'), '--seconds', '0.2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { passes: number; evaluations: number };
    expect(j.passes).toBeGreaterThan(1);
  });
});
