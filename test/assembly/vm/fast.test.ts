// Differential tests of the rule summaries (assembly/fast.ts): random
// rulesets of the shapes the summaries cover (guards, fused checks, inline
// verdicts, runs of equal guards) mixed with ones they only partly cover
// (lookups, counters, jumps, masks), loaded twice — summaries on and off —
// and run on the same random packets: verdicts, deciding chain and rule,
// flags, marks, trace/log records and counters must be identical.
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import type { Engine, HostModel, PacketIn } from '../../../src/engine.js';
import { engine, ether, HOST, icmp, ipv4, ipv6, tcp, udp } from './helpers.js';
import { xorshift32 as rng } from '../../rng.js';

const PORTS = [22, 53, 80, 123, 443, 8080];
const ADDRS4 = ['10.0.0.2', '10.0.0.9', '192.168.1.7'];
const ADDRS6 = ['2001:db8::2', 'fe80::1'];

function rule(r: () => number, family: string, chains: string[]): string {
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
  const parts: string[] = [];
  const l4 = pick(['tcp', 'udp', 'icmp', '', '']);
  const n = r() % 4;
  if (l4 && r() % 2) parts.push(`meta l4proto ${l4}`);
  const net = family === 'ip6' ? 'ip6' : family === 'ip' ? 'ip' : pick(['ip', 'ip6']);
  if (family === 'inet' && r() % 3 === 0) parts.push(`meta nfproto ${net === 'ip' ? 'ipv4' : 'ipv6'}`);
  for (let k = 0; k < n; k++) {
    const ne = r() % 4 === 0 ? '!= ' : '';
    const c = r() % 11;
    if (c < 3 && (l4 === 'tcp' || l4 === 'udp')) parts.push(`${l4} dport ${ne}${pick(PORTS)}`);
    else if (c < 4 && (l4 === 'tcp' || l4 === 'udp')) parts.push(`${l4} sport ${ne}${pick([40000, 53, 123])}`);
    else if (c < 5 && l4 === 'tcp') parts.push(r() % 2 ? `tcp flags ${ne}syn` : 'tcp flags & (syn | ack) == syn');
    else if (c < 6 && (l4 === 'tcp' || l4 === 'udp')) parts.push(`${l4} dport { ${PORTS.slice(r() % 3, 3 + (r() % 3)).join(', ')} }`);
    else if (c < 7) parts.push(net === 'ip6' ? `ip6 saddr ${ne}${pick(ADDRS6)}` : `ip saddr ${ne}${pick(ADDRS4)}`);
    else if (c < 8) parts.push(net === 'ip6' ? `ip6 hoplimit ${ne}${pick([1, 64])}` : `ip ttl ${ne}${pick([1, 64])}`);
    else if (c < 9) parts.push(l4 ? `meta l4proto ${l4}` : `meta l4proto ${ne}${pick(['tcp', 'udp', 'icmp'])}`);
    else if (c < 10 && r() % 2) parts.push(pick([`iifname ${ne}"${pick(['lo', 'eth0', 'eth1'])}"`, `iifname ${ne}"eth*"`, `oifname ${ne}"eth1"`, `meta mark ${ne}${r() % 3}`, `meta pkttype ${ne}host`, `iif ${ne}"lo"`, `meta protocol ${ne}ip`]));
    else if (c < 10 || r() % 2) parts.push(net === 'ip6' ? `ip6 saddr ${pick(ADDRS6)}/64` : `ip saddr 10.0.0.0/${pick([8, 24, 30])}`);
    else if (net === 'ip') parts.push(r() % 2 ? `ip saddr { ${ADDRS4.slice(r() % 3).join(', ')} }` : `ip saddr ${ne}{ 10.0.0.0/30, 192.168.0.0/16 }`);
    else parts.push(`ip6 saddr { ${ADDRS6.slice(r() % 2).join(', ')} }`);
  }
  if (r() % 4 === 0) parts.push('counter');
  if (r() % 8 === 0) parts.push(`meta mark set ${r() % 5}`);
  const v = r() % 12;
  if (v < 3) parts.push('accept');
  else if (v < 5) parts.push('drop');
  else if (v < 6) parts.push('continue');
  else if (v < 8 && chains.length) parts.push(`${pick(['jump', 'goto'])} ${pick(chains)}`);
  else if (v < 9) parts.push('return');
  else if (v < 10) parts.push('counter');
  if (!parts.length) parts.push('counter');
  return parts.join(' ');
}

function ruleset(r: () => number): string {
  let out = '';
  for (const family of ['inet', 'ip', 'ip6']) {
    const subs = ['s1', 's2'];
    out += `table ${family} t {\n`;
    // s2 holds no jumps (no loops); s1 may jump to s2.
    for (const s of [...subs].reverse()) {
      const targets = s === 's1' ? ['s2'] : [];
      out += ` chain ${s} {\n` + Array.from({ length: r() % 8 }, () => `  ${rule(r, family, targets)}\n`).join('') + ' }\n';
    }
    for (const hook of ['prerouting', 'input']) {
      out += ` chain ${hook} { type filter hook ${hook} priority ${r() % 3}; policy ${r() % 4 ? 'accept' : 'drop'};\n`;
      out += Array.from({ length: r() % 14 }, () => `  ${rule(r, family, subs)}\n`).join('');
      out += ' }\n';
    }
    out += '}\n';
  }
  return out;
}

function packets(r: () => number, n: number): PacketIn[] {
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
  const out: PacketIn[] = [];
  for (let i = 0; i < n; i++) {
    const l4 = (): ReturnType<typeof tcp> => {
      const k = r() % 3;
      return k === 0 ? tcp({ dport: pick(PORTS), sport: pick([40000, 53]), flags: pick([0x02, 0x12, 0x10, 0x03]) }) : k === 1 ? udp({ dport: pick(PORTS), sport: pick([123, 40000]) }) : icmp({ type: 8 });
    };
    let ip: Uint8Array;
    const k = r() % 10;
    if (k < 5) ip = ipv4({ src: pick(ADDRS4), ttl: pick([1, 64]), l4: l4() });
    else if (k < 6) ip = ipv4({ src: pick(ADDRS4), proto: pick([6, 17]), frag: pick([0, 8, 16]), mf: true, raw: new Uint8Array(r() % 12) });
    else if (k < 9) ip = ipv6({ src: pick(ADDRS6), l4: l4() });
    else ip = ipv4({ src: pick(ADDRS4), l4: l4() }).subarray(0, 20 + (r() % 6));
    out.push({ data: ether(ip, ip[0]! >> 4 === 6 ? { type: 0x86dd } : {}), iif: 2, mark: r() % 3 });
  }
  return out;
}

async function pair(text: string, host?: HostModel): Promise<[Engine, Engine]> {
  const fast = await engine(host ? { host } : {});
  const slow = await engine(host ? { host } : {});
  (slow as unknown as { x: { fastPath(on: number): void } }).x.fastPath(0);
  fast.load(text);
  slow.load(text);
  return [fast, slow];
}

function outcome(e: Engine, ps: PacketIn[]) {
  const res = e.evaluate(ps, { trace: 'all' });
  const rows: number[][] = [];
  for (let i = 0; i < res.count; i++) rows.push([res.verdict(i), res.hook(i), res.chain(i), res.rule(i), res.flags(i), res.mark(i)]);
  return { rows, records: res.records(), counters: [...e.ruleCounters().entries()].map(([h, c]) => [h, c.chain, c.packets, c.bytes]) };
}

/** Both engines give every packet the same verdict, records and counters (`text` names the ruleset in a failure); the summarised engine's outcome. */
function sameOutcome(fast: Engine, slow: Engine, ps: PacketIn[], text: string): ReturnType<typeof outcome> {
  const a = outcome(fast, ps);
  const b = outcome(slow, ps);
  expect(a.rows, text).toEqual(b.rows);
  expect(a.records, text).toEqual(b.records);
  expect(a.counters, text).toEqual(b.counters);
  return a;
}

/** Packets of `o` a rule decided (not the policy, not past the chains). */
const decidedBy = (o: ReturnType<typeof outcome>): number => o.rows.filter((x) => x[3] !== 0).length;

describe('rule summaries (fast.ts) against the interpreter', () => {
  it('random rulesets and packets: same verdicts, records and counters', async () => {
    const r = rng(Number(process.env.NFTVM_FAST_SEED ?? 4242));
    let rules = 0;
    let decided = 0;
    for (let round = 0; round < Number(process.env.NFTVM_FAST_ROUNDS ?? 60); round++) {
      const text = ruleset(r);
      rules += text.split('\n').length;
      const [fast, slow] = await pair(text);
      const ps = packets(r, 150);
      decided += decidedBy(sameOutcome(fast, slow, ps, text));
    }
    expect(rules).toBeGreaterThan(1000);
    // About half the packets (4,808 of 9,000 with the default seed).
    expect(decided).toBeGreaterThan(2000);
  });

  it('scan runs (same guard and load, one eq check, a verdict): random runs, packets and entry points', async () => {
    const r = rng(Number(process.env.NFTVM_FAST_SEED ?? 777));
    const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
    let decided = 0;
    for (let round = 0; round < 30; round++) {
      const line = (): string => {
        const shape = pick(['tcp dport', 'udp dport', 'th dport', 'ip saddr', 'ip ttl', 'meta l4proto', 'meta nfproto', 'tcp sport']);
        const value = shape.endsWith('port') ? pick(PORTS) : shape === 'ip saddr' ? pick(ADDRS4) : shape === 'ip ttl' ? pick([1, 64]) : shape === 'meta nfproto' ? pick(['ipv4', 'ipv6']) : pick(['tcp', 'udp', 'icmp']);
        const verdict = pick(['accept', 'drop', 'continue', 'jump s', 'goto s', 'return', 'counter', 'counter accept', 'meta mark set 7']);
        return `${shape === 'th dport' ? 'meta l4proto udp ' : ''}${shape} ${value} ${verdict}`;
      };
      // Long runs: the same shape repeated with other values.
      const lines: string[] = [];
      while (lines.length < 40) {
        const l = line();
        const [shape] = l.split(/ (?=[^ ]*$)|(?<=dport|saddr|ttl|l4proto|nfproto|sport) /);
        for (let k = 1 + (r() % 8); k > 0; k--) lines.push(l.replace(/^(.*?(?:dport|saddr|ttl|l4proto|nfproto|sport)) \S+/, (_, p1: string) => `${p1} ${shape!.endsWith('port') ? pick(PORTS) : p1.endsWith('saddr') ? pick(ADDRS4) : p1.endsWith('ttl') ? pick([1, 64]) : p1.endsWith('nfproto') ? pick(['ipv4', 'ipv6']) : pick(['tcp', 'udp', 'icmp'])}`));
      }
      const text = `table inet t {
 chain s {
${Array.from({ length: r() % 10 }, () => `  ${line().replace(/jump s|goto s/, 'accept')}\n`).join('')} }
 chain c { type filter hook input priority 0; policy ${pick(['accept', 'drop'])};
${lines.map((l) => `  ${l}\n`).join('')} }
}`;
      const [fast, slow] = await pair(text);
      const ps = packets(r, 200);
      decided += decidedBy(sameOutcome(fast, slow, ps, text));
    }
    // Rules decide many of the packets: the comparison is not of policies alone.
    expect(decided).toBeGreaterThan(1000);
  });

  it('runs of rules with the same guard are skipped as a whole, with the same trace', async () => {
    const text = `table inet t { chain c { type filter hook input priority 0; policy drop;
      meta l4proto tcp tcp dport 1 drop
      meta l4proto tcp tcp dport 2 counter drop
      meta l4proto tcp tcp dport 22 accept
      meta l4proto udp udp dport 53 continue
      meta l4proto udp counter
      meta nfproto ipv4 ip saddr 10.0.0.9 accept
      meta nfproto ipv4 ip ttl 1 drop
      udp dport 53 accept
    }
    }`;
    const [fast, slow] = await pair(text);
    const ps = [ipv4({ l4: tcp({ dport: 22 }) }), ipv4({ l4: udp({ dport: 53 }) }), ipv4({ src: '10.0.0.9', l4: icmp() }), ipv6({ l4: udp({ dport: 53 }) }), ipv4({ ttl: 1, l4: icmp() })].map((ip) =>
      ({ data: ether(ip, ip[0]! >> 4 === 6 ? { type: 0x86dd } : {}), iif: 2 }));
    const a = outcome(fast, ps);
    expect(a).toEqual(outcome(slow, ps));
    expect(a.rows.map((x) => x[0]! & 0xff)).toEqual([abi.Verdict.Accept, abi.Verdict.Accept, abi.Verdict.Accept, abi.Verdict.Accept, abi.Verdict.Drop]);
  });
  it('interface names (prefixes, neq, output) and interval sets of up to 16 entries and more: same as the interpreter', async () => {
    const r = rng(Number(process.env.NFTVM_FAST_SEED ?? 909));
    const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
    const NAMES = ['lo', 'eth0', 'eth1', 'eth*', 'e*', 'eth', 'eth0x', 'veryveryverylon', 'veryveryverylo*', 'veryveryveryloX', 'very*', 'l*', 'eth1*'];
    // Names beyond 8 bytes too: the compare covers both words of the name.
    const host: HostModel = { ...HOST, interfaces: [...HOST.interfaces, { index: 4, name: 'veryveryverylon' }, { index: 5, name: 'veryveryverylom' }] };
    const oct = (): number => pick([0, 1, 2, 3, 9, 10, 127, 128, 254, 255]);
    const addr = (): string => `10.${oct()}.${oct()}.${oct()}`;
    let decided = 0;
    for (let round = 0; round < 40; round++) {
      // Interval sets across the small-set limit: prefixes, ranges, single addresses, maybe a timeout.
      const size = pick([1, 2, 3, 5, 7, 8, 9, 12, 20]);
      const elems = new Set<string>();
      while (elems.size < size) {
        const k = r() % 3;
        elems.add(k === 0 ? `10.${oct()}.${oct()}.0/24` : k === 1 ? `10.${oct()}.${oct()}.${oct()}` : `10.${oct()}.0.0/16`);
      }
      const timeout = r() % 4 === 0 ? ' timeout 5s' : '';
      const lines: string[] = [];
      for (let k = 0; k < 12; k++) {
        const ne = r() % 3 === 0 ? '!= ' : '';
        const verdict = pick(['accept', 'drop', 'counter', 'counter accept', 'meta mark set 7', 'continue']);
        const c = r() % 4;
        if (c === 0) lines.push(`iifname ${ne}"${pick(NAMES)}" ${verdict}`);
        else if (c === 1) lines.push(`iifname ${ne}"${pick(NAMES)}" ip saddr @iv ${verdict}`);
        else if (c === 2) lines.push(`ip saddr @iv ${pick(['', 'ip daddr @iv ', 'tcp dport 22 '])}${verdict}`);
        else lines.push(`oifname ${ne}"${pick(NAMES)}" ${verdict}`);
      }
      const text = `table ip t {
 set iv { type ipv4_addr; flags interval${timeout ? ', timeout' : ''}; auto-merge; elements = { ${[...elems].map((e, i) => (i % 2 ? e + timeout : e)).join(', ')} } }
 chain c { type filter hook ${pick(['input', 'prerouting', 'output'])} priority 0; policy ${pick(['accept', 'drop'])};
${lines.map((l) => `  ${l}\n`).join('')} }
}`;
      const [fast, slow] = await pair(text, host);
      const ps: PacketIn[] = [];
      for (let i = 0; i < 120; i++) {
        const ip = ipv4({ src: addr(), dst: addr(), l4: tcp({ dport: pick([22, 80]) }) });
        const iif = pick([0, 1, 2, 3, 4, 5]);
        ps.push(iif ? { data: ether(ip), iif, tstamp: BigInt(pick([1, 2, 9])) * 1_000_000_000n } : { data: ip, tstamp: BigInt(pick([1, 9])) * 1_000_000_000n });
      }
      decided += decidedBy(sameOutcome(fast, slow, ps, text));
    }
    // Rules decide many of the packets: the comparison is not of policies alone.
    expect(decided).toBeGreaterThan(400);
  });
  it('guard classes: rules whose guard fails for the packet are stepped over with the same verdicts, records and counters', async () => {
    const r = rng(Number(process.env.NFTVM_FAST_SEED ?? 31337));
    const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
    const L4 = ['tcp', 'udp', 'icmp', 'ipv6-icmp', 'sctp', 'gre', 'igmp', '99'];
    const line = (family: string, targets: boolean): string => {
      const verdict = pick(['accept', 'drop', 'continue', 'counter', 'counter accept', 'meta mark set 3', 'return', ...(targets ? ['jump s', 'goto s'] : [])]);
      const k = r() % 9;
      if (k < 3) return `meta l4proto ${pick(L4)} ${verdict}`;
      if (k < 5 && family === 'inet') return `meta nfproto ${pick(['ipv4', 'ipv6'])} ${pick(['', 'meta l4proto tcp ', 'ip ttl 64 '])}${verdict}`.replace('meta nfproto ipv6 ip ttl', 'meta nfproto ipv6 ip6 hoplimit');
      if (k < 6) return `${pick(['tcp', 'udp'])} dport ${pick([22, 53, 80])} ${verdict}`;
      if (k < 7 && family !== 'netdev') return `${pick(family === 'ip6' ? ['ip6 saddr 2001:db8::2', 'ip6 nexthdr tcp'] : ['ip saddr 10.0.0.2', 'ip6 saddr 2001:db8::2', 'ip protocol tcp'])} ${verdict}`;
      return `${pick(['meta mark 1', 'counter', 'meta pkttype host', 'iifname "eth0"'])} ${verdict}`;
    };
    let decided = 0;
    for (let round = 0; round < 40; round++) {
      let text = '';
      for (const family of ['inet', 'ip6', 'netdev']) {
        const hook = family === 'netdev' ? 'ingress device "eth0"' : 'input';
        text += `table ${family} t {\n chain s {\n${Array.from({ length: r() % 6 }, () => `  ${line(family, false)}\n`).join('')} }\n`;
        text += ` chain c { type filter hook ${hook} priority 0; policy ${pick(['accept', 'drop'])};\n${Array.from({ length: 10 + (r() % 30) }, () => `  ${line(family, true)}\n`).join('')} }\n}\n`;
      }
      const [fast, slow] = await pair(text);
      const ps: PacketIn[] = [];
      for (let i = 0; i < 150; i++) {
        const l4 = (): ReturnType<typeof tcp> => {
          const k = r() % 4;
          return k === 0 ? tcp({ dport: pick([22, 80]) }) : k === 1 ? udp({ dport: pick([53, 80]) }) : k === 2 ? icmp({ type: 8, proto: pick([1, 58]) }) : { ...udp({ dport: 22 }), proto: pick([132, 47, 2, 99]) };
        };
        const k = r() % 6;
        let ip: Uint8Array;
        if (k < 2) ip = ipv4({ src: pick(['10.0.0.2', '10.0.0.3']), l4: l4() });
        else if (k < 4) ip = ipv6({ src: pick(['2001:db8::2', '2001:db8::3']), l4: l4() });
        else if (k < 5) ip = ipv4({ proto: pick([6, 17]), frag: 16, mf: true, raw: new Uint8Array(8) });
        else ip = ipv4({ l4: tcp({ dport: 22 }) }).subarray(0, 20 + (r() % 6));
        ps.push({ data: ether(ip, ip[0]! >> 4 === 6 ? { type: 0x86dd } : {}), iif: pick([1, 2]), mark: r() % 2 });
      }
      decided += decidedBy(sameOutcome(fast, slow, ps, text));
    }
    // Rules decide many of the packets: the comparison is not of policies alone.
    expect(decided).toBeGreaterThan(1500);
  });
  it('meta values in hash sets and ordering compares (ranges) of payload: same as the interpreter', async () => {
    const r = rng(Number(process.env.NFTVM_FAST_SEED ?? 2718));
    const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
    const META = ['meta pkttype { broadcast, multicast }', 'meta pkttype { host }', 'meta mark { 1, 2 }', 'meta mark { 0x100, 7 }', 'meta l4proto { tcp, udp }', 'meta l4proto { icmp }',
      'meta nfproto { ipv4 }', 'meta protocol { ip, ip6 }', 'meta length { 40, 48, 60 }', 'meta iif { 1, 2 }', 'meta oif { 3 }'];
    const RANGE = ['tcp dport 1024-65535', 'udp dport 33434-33524', 'tcp dport < 1024', 'tcp dport > 80', 'tcp dport <= 22', 'tcp dport >= 65535', 'tcp dport < 0', 'udp dport > 65535',
      'ip ttl < 64', 'ip ttl > 1', 'ip ttl <= 255', 'ip saddr 10.0.0.0-10.0.0.9', 'ip saddr > 10.0.0.5', 'th dport 1-100', 'ip6 hoplimit 2-63', 'udp sport >= 32768', 'ip ttl 0-0'];
    let decided = 0;
    for (let round = 0; round < 40; round++) {
      const lines: string[] = [];
      for (let k = 0; k < 14; k++) {
        const parts: string[] = [];
        // One network and one transport protocol per rule (nft refuses conflicting ones).
        const net = pick(['ip ', 'ip6 ']);
        const l4 = pick(['tcp ', 'udp ', 'th ']);
        const ranges = RANGE.filter((x) => (!/^(ip|ip6) /.test(x) || x.startsWith(net)) && (!/^(tcp|udp|th) /.test(x) || x.startsWith(l4)));
        const metas = META.filter((x) => !x.includes('icmp') && (net === 'ip ' || !x.includes('nfproto')));
        for (let n = 1 + (r() % 4); n > 0; n--) parts.push(r() % 2 ? pick(metas) : pick(ranges));
        parts.push(pick(['accept', 'drop', 'counter', 'continue', 'counter accept', 'meta mark set 2', 'log prefix "x"']));
        lines.push(parts.join(' '));
      }
      const text = `table inet t {
 chain c { type filter hook ${pick(['input', 'prerouting', 'output'])} priority 0; policy ${pick(['accept', 'drop'])};
${lines.map((l) => `  ${l}\n`).join('')} }
}`;
      const [fast, slow] = await pair(text);
      const ps: PacketIn[] = [];
      for (let i = 0; i < 150; i++) {
        const port = (): number => pick([0, 1, 22, 80, 81, 1023, 1024, 33434, 33500, 33524, 33525, 40000, 65535]);
        const l4 = r() % 3 === 0 ? udp({ dport: port(), sport: port() }) : r() % 2 ? tcp({ dport: port(), sport: port() }) : icmp({ type: 8 });
        const src = `10.0.0.${pick([0, 1, 5, 6, 9, 10, 200])}`;
        const k = r() % 6;
        const ip = k < 3 ? ipv4({ src, ttl: pick([0, 1, 2, 63, 64, 255]), l4 }) : k < 5 ? ipv6({ l4 }) : ipv4({ src, l4 }).subarray(0, 20 + (r() % 4));
        const frame = ether(ip, ip[0]! >> 4 === 6 ? { type: 0x86dd } : {});
        ps.push(r() % 5 ? { data: frame, iif: pick([1, 2, 3]), mark: pick([0, 1, 2, 7, 0x100]), pkttype: pick([0, 1, 2]) } : { data: ip, mark: pick([0, 2]) });
      }
      decided += decidedBy(sameOutcome(fast, slow, ps, text));
    }
    // Rules decide many of the packets: the comparison is not of policies alone.
    expect(decided).toBeGreaterThan(800);
  });
});
