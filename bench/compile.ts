// Compiler throughput: a generated 10,000-rule ruleset (port sets, address
// prefixes, named sets and maps, vmaps, concatenations, counters, ct state)
// compiled (parse + evaluate + linearize), encoded to the binary bytecode and
// decoded again; baselines in the same run: tokenizing the same text, and
// compiling a 100-rule ruleset. Run: `npm run bench`. Prints a table.

import { cpus } from 'node:os';
import { printTables } from './table.js';
import { decodeBytecode, encodeBytecode, programOf } from '../compiler/bytecode.js';
import { tokenize } from '../compiler/lexer.js';
import { compileRuleset, renderDiagnostics, type CompileResult } from '../compiler/ruleset.js';

const RULES = 10_000;
const WARMUP = 3;
const REPS = 15;
const TENANTS = 40;

/** One rule of a realistic mix; `i` varies addresses, ports and targets. */
function rule(i: number): string {
  const a = (i >> 8) & 255;
  const b = i & 255;
  const port = 1024 + (i % 50_000);
  const tenant = `tenant_${i % TENANTS}`;
  switch (i % 16) {
    case 0: return 'ct state established,related accept';
    case 1: return `ip saddr 10.${a}.${b}.0/24 tcp dport { 22, 80, 443 } counter accept`;
    case 2: return 'ip saddr @blocklist counter drop';
    case 3: return `tcp dport @web_ports ct state new counter accept`;
    case 4: return 'ip daddr . tcp dport @services accept';
    case 5: return `tcp dport vmap { 80 : accept, 443 : accept, ${port} : jump ${tenant} }`;
    case 6: return `iifname "eth${i % 4}" ip daddr 192.168.${b}.0/24 udp dport 53 accept`;
    case 7: return `meta mark set tcp dport map @port_marks`;
    case 8: return `ip6 saddr 2001:db8:${i.toString(16)}::/48 tcp dport ${port}-${port + 100} counter drop`;
    case 9: return 'tcp dport vmap @service_vmap';
    case 10: return `ip saddr . tcp dport { 10.0.${a}.${b} . 22, 10.1.${a}.${b} . 80 } counter accept`;
    case 11: return `meta l4proto icmp icmp type echo-request limit rate ${1 + (i % 100)}/second accept`;
    case 12: return `ip saddr 172.16.${b}.${a} ct state new tcp flags & (syn | ack) == syn counter jump ${tenant}`;
    case 13: return `tcp dport { ${port}, ${port + 1}, ${port + 7} } ip daddr != 10.${a}.0.0/16 counter reject with tcp reset`;
    case 14: return `meta mark 0x${(i & 0xffff).toString(16)} ct mark set meta mark counter`;
    default: return `ip protocol udp udp sport ${port} ip ttl < 5 log prefix "ttl-${i}: " drop`;
  }
}

/** A ruleset with `n` rules: the named sets and maps they use, then the rules spread over chains. */
function ruleset(n: number): string {
  const lines: string[] = ['table inet bench {'];
  const blocklist = Array.from({ length: 200 }, (_, k) => `${20 + (k >> 8)}.${k & 255}.0.0/16`).join(', ');
  const services = Array.from({ length: 100 }, (_, k) => `10.9.${k >> 4}.${k & 15} . ${8000 + k}`).join(', ');
  const marks = Array.from({ length: 64 }, (_, k) => `${3000 + k} : 0x${(k + 1).toString(16)}`).join(', ');
  lines.push(
    `  set blocklist { type ipv4_addr; flags interval; elements = { ${blocklist} } }`,
    '  set web_ports { type inet_service; elements = { 80, 443, 8080, 8443 } }',
    `  set services { type ipv4_addr . inet_service; elements = { ${services} } }`,
    `  map port_marks { type inet_service : mark; elements = { ${marks} } }`,
    '  map service_vmap { type inet_service : verdict; elements = { 22 : jump tenant_0, 25 : drop, 53 : accept } }',
  );
  // Base chains get three rules in four; tenant chains never jump (no loops).
  const body = new Map<string, string[]>([['input', []], ['forward', []]]);
  for (let t = 0; t < TENANTS; t++) body.set(`tenant_${t}`, []);
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) body.get(`tenant_${i % TENANTS}`)!.push(rule(i).replace(/jump tenant_\d+/, 'accept'));
    else body.get(i % 2 ? 'forward' : 'input')!.push(rule(i));
  }
  for (const [chain, rules] of body) {
    lines.push(`  chain ${chain} {`);
    if (!chain.startsWith('tenant')) lines.push(`    type filter hook ${chain} priority filter; policy drop;`);
    for (const r of rules) lines.push(`    ${r}`);
    lines.push('  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

interface Timing {
  /** Median wall-clock seconds. */
  median: number;
  /** Fastest run, wall clock. */
  best: number;
}

/** Times `f` over REPS runs after WARMUP runs. */
function time(f: () => unknown): Timing {
  for (let k = 0; k < WARMUP; k++) f();
  const wall: number[] = [];
  for (let k = 0; k < REPS; k++) {
    const t0 = performance.now();
    f();
    wall.push((performance.now() - t0) / 1000);
  }
  wall.sort((x, y) => x - y);
  return { median: wall[wall.length >> 1]!, best: wall[0]! };
}

function compile(text: string): CompileResult {
  const r = compileRuleset({ name: 'bench.nft', text });
  if (r.diagnostics.length) {
    process.stderr.write(renderDiagnostics(r.diagnostics));
    process.exit(1);
  }
  return r;
}

const big = ruleset(RULES);
const small = ruleset(100);
const result = compile(big);
const program = programOf(result);
const image = encodeBytecode(program);
if (program.rules.length !== RULES) throw new Error(`generated ${program.rules.length} rules, expected ${RULES}`);

const rows: [string, number, Timing][] = [
  ['baseline: tokenize only', RULES, time(() => tokenize({ name: 'bench.nft', text: big }))],
  ['baseline: compile 100 rules', 100, time(() => compile(small))],
  ['compile (parse+evaluate+linearize)', RULES, time(() => compile(big))],
  ['encode to binary (programOf+encode)', RULES, time(() => encodeBytecode(programOf(result)))],
  ['decode binary', RULES, time(() => decodeBytecode(image))],
  ['compile + encode', RULES, time(() => encodeBytecode(programOf(compile(big))))],
];

const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
const header = ['case', 'rules', 'seconds', 'rules/s', 'µs/rule', 'best rules/s'];
const body = rows.map(([name, n, t]) => [name, String(n), t.median.toFixed(4), rate(n, t.median), ((t.median * 1e6) / n).toFixed(2), rate(n, t.best)]);
console.log(`nftvm compiler benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, one thread; wall-clock median (and best) of ${REPS} runs after ${WARMUP} warm-up runs`);
console.log(`ruleset: ${RULES} rules, ${big.length} bytes of source, ${program.sets.length} sets (${program.sets.filter((s) => s.anonymous).length} anonymous); image: ${image.length} bytes (${(image.length / RULES).toFixed(1)} bytes/rule)`);
printTables(header, body.map((cells) => ({ section: '', cells })), () => false);
