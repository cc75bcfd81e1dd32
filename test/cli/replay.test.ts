// nftvm run / trace / bench: a capture replayed as a host (src/cli/run.ts,
// src/cli/bench.ts, src/replay.ts). Kernel agreement of the trace lines is
// trace-agreement.test.ts; these check the commands' output and statuses.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const S = join(ROOT, 'test/fixtures/trace/ip-input');
const dir = mkdtempSync(join(tmpdir(), 'nftvm-replay-'));

const scenario = [join(S, 'ruleset.nft'), join(S, 'capture.pcap'), '--host', join(S, 'host.json')];

describe('nftvm run RULESET CAPTURE --host HOST.json', () => {
  it('ip-input: verdicts, deciding rules, the listing with counters', async () => {
    const r = await runCli(['run', ...scenario]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/capture\.pcap: \d+ packets, \d+ evaluations\n\nverdicts:\n/);
    expect(r.out).toMatch(/\n\s+\d+  accept\n/);
    expect(r.out).toMatch(/\n\s+\d+  drop\n/);
    expect(r.out).toContain('ip filter input: icmp type echo-request counter accept');
    expect(r.out).toContain('ip filter input: policy drop');
    // The listing carries the VM's counters: three echo requests of 38 bytes were accepted.
    expect(r.out).toContain('\nruleset:\ntable ip trace {');
    expect(r.out).toMatch(/\t\ticmp type echo-request counter packets [1-9]\d* bytes [1-9]\d* accept\n/);
  });

  it('--json: one object with the same data', async () => {
    const r = await runCli(['run', ...scenario, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { capture: { packets: number; error: null }; evaluations: number; verdicts: Record<string, number>; rules: { chain: string; rule: string; packets: number }[]; listing: string };
    expect(j.capture.error).toBeNull();
    expect(Object.values(j.verdicts).reduce((a, b) => a + b, 0)).toBe(j.evaluations);
    expect(j.rules.find((x) => x.rule === 'tcp dport 22 counter accept')?.packets).toBeGreaterThan(0);
    expect(j.listing).toMatch(/^table ip trace \{/);
  });

  it('a corrupt capture: the error with its offset, packets before it evaluated, exit 1', async () => {
    const bytes = readFileSync(join(S, 'capture.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = await runCli(['run', join(S, 'ruleset.nft'), cut, '--host', join(S, 'host.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^nftvm run: .*cut\.pcap: truncated packet record at offset \d+: need \d+ bytes, have \d+\n$/);
    expect(r.out).toMatch(/\d+ evaluations/);
  });

  it('log and reject records', async () => {
    const rules = join(dir, 'log.nft');
    writeFileSync(rules, 'table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 22 log prefix "ssh: " reject with tcp reset\n\t}\n}\n');
    const r = await runCli(['run', rules, join(S, 'capture.pcap'), '--host', join(S, 'host.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\nlog \(\d+\):\n {2}packet \d+: ssh: IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10\.99\.1\.2 DST=10\.99\.1\.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=200 PROTO=TCP SPT=40000 DPT=22 WINDOW=8192 RES=0x00 SYN URGP=0 \n/);
    expect(r.out).toMatch(/\nreject \(\d+\):\n {2}packet \d+: reject with tcp reset \(tcp dport 22 log prefix "ssh: " reject with tcp reset\)\n {4}→ 10\.99\.1\.1 > 10\.99\.1\.2 tcp 22 > 40000 rst,ack seq 0 ack \d+ \(40 bytes\)\n/);
  });

  it('fwd and dup records: a line per record (packet, interface, address, rule), and in --json', async () => {
    const N = join(ROOT, 'test/fixtures/trace/netdev-ingress');
    const rules = join(dir, 'fwd.nft');
    writeFileSync(rules, 'table netdev t {\n\tchain c {\n\t\ttype filter hook ingress device "eth0" priority 0; policy accept;\n\t\tether type arp dup to "lo"\n\t\tether type ip udp dport 9 fwd ip to 10.99.1.2 device "eth0"\n\t\tether type ip6 dup to "eth0"\n\t\tether type ip6 fwd to "lo"\n\t}\n}\n');
    const args = [rules, join(N, 'capture.pcap'), '--host', join(N, 'host.json')];
    const r = await runCli(['run', ...args]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('\nfwd (2):\n  packet 3: fwd ip to 10.99.1.2 device "eth0" (ether type ip udp dport 9 fwd ip to 10.99.1.2 device "eth0")\n  packet 8: fwd to "lo" (ether type ip6 fwd to "lo")\n');
    expect(r.out).toContain('\ndup (2):\n  packet 6: dup to "lo" (ether type arp dup to "lo")\n  packet 8: dup to "eth0" (ether type ip6 dup to "eth0")\n');
    const j = JSON.parse((await runCli(['run', ...args, '--json'])).out) as { fwds: unknown[]; dups: unknown[] };
    expect(j.fwds).toEqual([
      { packet: 3, rule: 'ether type ip udp dport 9 fwd ip to 10.99.1.2 device "eth0"', interface: 'eth0', family: 'ip', address: '10.99.1.2' },
      { packet: 8, rule: 'ether type ip6 fwd to "lo"', interface: 'lo', family: null, address: null },
    ]);
    expect(j.dups).toEqual([
      { packet: 6, rule: 'ether type arp dup to "lo"', interface: 'lo', family: null, address: null },
      { packet: 8, rule: 'ether type ip6 dup to "eth0"', interface: 'eth0', family: null, address: null },
    ]);
  });

  it('dup to an IPv4 gateway: the address and the device', async () => {
    const rules = join(dir, 'dup4.nft');
    writeFileSync(rules, 'table ip t {\n\tchain c {\n\t\ttype filter hook prerouting priority 0; policy accept;\n\t\ticmp type echo-request dup to 10.99.1.2 device "eth0"\n\t}\n}\n');
    const r = await runCli(['run', rules, join(S, 'capture.pcap'), '--host', join(S, 'host.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\ndup \(\d+\):\n {2}packet 1: dup to 10\.99\.1\.2 device "eth0" \(icmp type echo-request dup to 10\.99\.1\.2 device "eth0"\)\n/);
  });

  it('no fwd or dup section without records; empty lists in --json', async () => {
    const r = await runCli(['run', ...scenario]);
    expect(r.out).not.toMatch(/\n(fwd|dup) \(/);
    const j = JSON.parse((await runCli(['run', ...scenario, '--json'])).out) as { fwds: unknown[]; dups: unknown[] };
    expect(j.fwds).toEqual([]);
    expect(j.dups).toEqual([]);
  });

  it('--iface and --local instead of a host description (Ethernet pcap)', async () => {
    const rules = join(dir, 'web.nft');
    writeFileSync(rules, 'table inet t {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 80 counter\n\t}\n\tchain out {\n\t\ttype filter hook output priority 0; policy accept;\n\t\ttcp sport 80 counter\n\t}\n}\n');
    const r = await runCli(['run', rules, join(ROOT, 'examples/server.pcap'), '--iface', 'eth0', '--local', '192.0.2.10,2001:db8::10,fe80::10', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { listing: string; evaluations: number };
    const counts = [...j.listing.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    // Requests to port 80 arrive on input, the replies leave through output.
    expect(counts[0]).toBeGreaterThan(100);
    expect(counts[1]).toBeGreaterThan(100);
  });

  it('a ruleset the VM cannot run fails loudly at load, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftvm-synproxy-'));
    const file = join(dir, 'synproxy.nft');
    writeFileSync(file, 'table inet t {\n chain c { type filter hook input priority 0;\n  tcp dport 80 synproxy mss 1460 wscale 7\n }\n}\n');
    const r = await runCli(['run', file, join(ROOT, 'examples/server.pcap'), '--host', join(ROOT, 'examples/server-host.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^nftvm run: .*synproxy\.nft: synproxy \(nft_synproxy_ops\) is not supported by the VM yet/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['run', join(S, 'ruleset.nft')])).code).toBe(2);
    expect((await runCli(['run', ...scenario, '--bogus'])).code).toBe(2);
    expect((await runCli(['bench', ...scenario, '--seconds', '0'])).code).toBe(2);
  });

  it('a missing host interface is an error', async () => {
    const r = await runCli(['run', ...scenario, '--iface', 'eth9']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no interface 'eth9'");
  });

  it('--link IFNAME=FILE: a usage error without "=", an error for an interface the host lacks', async () => {
    expect((await runCli(['run', ...scenario, '--link', 'eth0'])).code).toBe(2);
    const r = await runCli(['run', ...scenario, '--link', `eth9=${join(S, 'eth0.pcap')}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--link eth9=");
  });
});

describe('nftvm trace RULESET CAPTURE', () => {
  it('--link: destination MACs a cooked capture lacks come from the interface\'s Ethernet capture', async () => {
    const N = join(ROOT, 'test/fixtures/trace/netdev-ingress');
    const args = [join(N, 'ruleset.nft'), join(N, 'capture.pcap'), '--host', join(N, 'host.json')];
    const plain = await runCli(['trace', ...args]);
    const linked = await runCli(['trace', ...args, '--link', `eth0=${join(N, 'eth0.pcap')}`]);
    expect(linked.code).toBe(0);
    // The otherhost frame to 02:00:00:00:00:77 (cooked: replayed to eth0's own MAC).
    expect(plain.out).not.toContain('ether daddr 02:00:00:00:00:77');
    expect(linked.out).toContain('ether daddr 02:00:00:00:00:77');
  });

  it('prints nft monitor trace lines with deterministic ids', async () => {
    const a = await runCli(['trace', ...scenario]);
    const b = await runCli(['trace', ...scenario]);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const want = readFileSync(join(S, 'trace.txt'), 'utf8').split('\n')[1]!.replace(/^trace id \w+/, '');
    expect(a.out.split('\n')[0]!.replace(/^trace id \w+/, '')).toBe(want);
    expect(a.out.split('\n')[0]).toMatch(/^trace id [0-9a-f]{8} ip trace pre packet: iif "eth0" /);
  });
});

describe('nftvm bench RULESET CAPTURE', () => {
  it('--json: packets, seconds, pps, nsPerPacket', async () => {
    const r = await runCli(['bench', ...scenario, '--seconds', '0.2', '--batch', '4', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { packets: number; seconds: number; pps: number; nsPerPacket: number; batch: number; passes: number };
    expect(j.packets).toBeGreaterThan(4);
    expect(j.batch).toBe(4);
    expect(j.seconds).toBeGreaterThanOrEqual(0.2);
    expect(j.pps).toBeGreaterThan(0);
    expect(j.nsPerPacket).toBeGreaterThan(0);
  });

  it('text output', async () => {
    const r = await runCli(['bench', ...scenario, '--seconds', '0.1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Mpps, [\d.]+ ns\/packet \(evaluation only, one core\)\n$/);
  });
});
