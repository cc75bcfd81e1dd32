// `nftvm run`, `nftvm trace`, `nftvm bench` (src/cli/replay.ts): a capture
// replayed as a host (--host HOST.json, or --iface/--local/--forward) through
// a ruleset on the VM. Node-only. Shared setup: options, host, ruleset, capture.
// `nftvm run examples/server.nft examples/server.pcap --host examples/server-host.json`.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRuleset, kernelCheck, renderDiagnostics, withInterfaces, type FileReader } from '../../compiler/index.js';
import { encodeBytecode, programOf, type Program } from '../../compiler/bytecode.js';
import type { CompileResult } from '../../compiler/ruleset.js';
import { Engine } from '../engine.js';
import { sysctlOptions, type ConntrackOptions } from '../conntrack.js';
import { hostFromJson, parsePrefix, type HostModel } from '../host.js';
import { readCapture, type Capture } from '../pcap/index.js';
import { plan, type ReplayItem } from '../replay.js';
import { rulesetNames, type RulesetNames } from '../replay-trace.js';

/** Options shared by run, trace and bench. */
export interface ReplayArgs {
  ruleset: string;
  capture: string;
  iface?: string;
  local: string[];
  forward: boolean;
  host?: string;
  json: boolean;
  seconds: number;
  batch?: number;
  /** `IFNAME=FILE`: an Ethernet capture of one interface, for the link-layer headers a cooked capture lacks. */
  links?: string[];
  /** run: print the conntrack table at the end (`conntrack -L`). */
  conntrack?: boolean;
  /** run: print conntrack events as they happen (`conntrack -E -o timestamp`). */
  events?: boolean;
  /** run: list the table at this time (ns since the epoch) instead of the last packet's. */
  conntrackAt?: bigint;
}

/** Output channels of a command; `tty` says whether stderr is a terminal (progress bar). */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  tty?: boolean;
}

/** A usage error: printed with the command's synopsis, exit status 2. */
export class UsageError extends Error {}

/** Parses `RULESET CAPTURE [--iface NAME] [--local A,B] [--forward] [--host F] [--link IFNAME=FILE]... [--json] [--seconds S] [--batch N]`. */
export function parseReplayArgs(cmd: string, argv: string[]): ReplayArgs {
  const pos: string[] = [];
  const a: ReplayArgs = { ruleset: '', capture: '', local: [], forward: false, json: false, seconds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--iface': a.iface = value(); break;
      case '--local': a.local.push(...value().split(',').filter(Boolean)); break;
      case '--forward': a.forward = true; break;
      case '--link': {
        const v = value();
        if (!/^[^=]+=./.test(v)) throw new UsageError('--link needs IFNAME=FILE');
        (a.links ??= []).push(v);
        break;
      }
      case '--host': a.host = value(); break;
      case '--json': a.json = true; break;
      case '--conntrack-at': {
        if (cmd !== 'run') throw new UsageError(`${name} is an option of 'nftvm run'`);
        const v = value();
        const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
        if (!m) throw new UsageError('--conntrack-at needs a time in seconds since the epoch (SEC or SEC.FRACTION)');
        a.conntrackAt = BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
        a.conntrack = true;
        break;
      }
      case '--conntrack':
      case '--events':
        if (cmd !== 'run') throw new UsageError(`${name} is an option of 'nftvm run'`);
        if (name === '--conntrack') a.conntrack = true;
        else a.events = true;
        break;
      case '--seconds': {
        const s = Number(value());
        if (!(s > 0)) throw new UsageError('--seconds needs a positive number');
        a.seconds = s;
        break;
      }
      case '--batch': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError('--batch needs a positive integer');
        a.batch = n;
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        pos.push(arg);
    }
  }
  if (pos.length !== 2) throw new UsageError(`nftvm ${cmd}: expected RULESET and CAPTURE`);
  [a.ruleset, a.capture] = pos as [string, string];
  return a;
}

/**
 * The host the capture is replayed as: host.json, then the shortcuts.
 * Without --host: `lo` (1) and --iface (default eth0, index 2) holding the
 * --local addresses. --iface picks the receiving interface of captures that
 * do not name one; --local adds addresses to it; --forward turns forwarding on.
 */
export function buildHost(a: ReplayArgs, read: (f: string) => string): { host: HostModel; iface: number; conntrack: ConntrackOptions } {
  let host: HostModel;
  let conntrack: ConntrackOptions = {};
  if (a.host) {
    let json: unknown;
    try {
      json = JSON.parse(read(a.host));
    } catch (e) {
      throw new Error(`${a.host}: ${(e as Error).message}`);
    }
    host = hostFromJson(json);
    conntrack = conntrackFromJson(json as Record<string, unknown>, a.host);
  } else {
    host = { interfaces: [{ index: 1, name: 'lo', type: 772, addresses: ['127.0.0.1/8', '::1/128'] }, { index: 2, name: a.iface ?? 'eth0', addresses: [] }] };
  }
  const name = a.iface;
  const dev = name !== undefined ? host.interfaces.find((i) => i.name === name) : host.interfaces.find((i) => i.type !== 772) ?? host.interfaces[0];
  if (!dev) throw new Error(name !== undefined ? `no interface '${name}' in the host description` : 'the host has no interface');
  for (const l of a.local) {
    const p = parsePrefix(l);
    dev.addresses = [...(dev.addresses ?? []), l.includes('/') ? l : `${l}/${p.addr.length * 8}`];
  }
  if (a.forward) host.forwarding = true;
  return { host, iface: dev.index, conntrack };
}

/** nf_conntrack_max of the recording machine (reference §1.3: 262144 buckets and entries by default). */
const DEFAULT_CONNTRACK_MAX = 262144;

/** The conntrack table of host.json: its "sysctl" (net.netfilter.nf_conntrack_*), "conntrack_max" and "conntrack_buckets". */
export function conntrackFromJson(j: Record<string, unknown>, file: string): ConntrackOptions {
  const o: ConntrackOptions = {};
  const sysctl = j.sysctl;
  if (sysctl !== undefined) {
    if (!sysctl || typeof sysctl !== 'object' || Array.isArray(sysctl)) throw new Error(`${file}: "sysctl" must be an object of sysctl names and values`);
    try {
      sysctlOptions(sysctl as Record<string, unknown>, o);
    } catch (e) {
      throw new Error(`${file}: "sysctl": ${(e as Error).message}`);
    }
  }
  for (const [key, field] of [['conntrack_max', 'max'], ['conntrack_buckets', 'hashsize']] as const) {
    const v = j[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new Error(`${file}: "${key}" must be a positive integer, not ${JSON.stringify(v)}`);
    o[field] = v;
  }
  // The kernel allocates whole pages of bucket heads: nf_conntrack_buckets rounds up to a multiple of 512.
  if (o.hashsize !== undefined) o.hashsize = Math.ceil(o.hashsize / 512) * 512;
  // Setting nf_conntrack_buckets at run time leaves nf_conntrack_max as it was: the default of 262144.
  if (o.hashsize !== undefined && o.max === undefined) o.max = DEFAULT_CONNTRACK_MAX;
  return o;
}

/** ct keys that need the accounting extension (nft_ct turns nf_conntrack_acct on for them, as here). */
const ACCT_KEYS = new Set(['packets', 'bytes', 'avgpkt']);

/** The table options a program needs beyond the host's: accounting for `ct packets|bytes|avgpkt`, room for labels for `ct label`. */
export function programConntrack(p: Program, o: ConntrackOptions): ConntrackOptions {
  const out: ConntrackOptions = { ...o };
  const walk = (insns: readonly import('../../compiler/insn.js').Insn[]) => {
    for (const i of insns) {
      if (i.op === 'ct' && ACCT_KEYS.has(i.key)) out.accounting = true;
      if ((i.op === 'ct' || i.op === 'ct_set') && i.key === 'label') out.labels = true;
      if (i.op === 'dynset') walk(i.exprs);
    }
  };
  for (const r of p.rules) walk(r.insns);
  return out;
}

/** The compiled VM: build/nftvm.wasm next to the bundle (dist/) or the sources (src/cli/). */
export function readWasm(): Uint8Array {
  const tried: string[] = [];
  for (const rel of ['../build/nftvm.wasm', '../../build/nftvm.wasm']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    tried.push(p);
    try {
      return new Uint8Array(readFileSync(p));
    } catch {
      // try the next place
    }
  }
  throw new Error(`build/nftvm.wasm is missing (looked at ${tried.join(', ')}); run \`npm run build\` first`);
}

/** Everything a replay command needs, loaded. */
export interface Loaded {
  args: ReplayArgs;
  host: HostModel;
  engine: Engine;
  result: CompileResult;
  program: Program;
  names: RulesetNames;
  capture: Capture;
  items: ReplayItem[];
}

/** Compiles and loads the ruleset, reads the capture, plans the replay; throws Error with the message to print. */
export async function loadReplay(a: ReplayArgs, includeReader: FileReader, opts: { batchBytes?: number; recordBytes?: number } = {}): Promise<Loaded> {
  const read = (f: string) => readFileSync(f, 'utf8');
  const { host, iface, conntrack } = buildHost(a, read);
  let text: string;
  try {
    text = a.ruleset === '-' ? readFileSync(0, 'utf8') : read(a.ruleset);
  } catch (e) {
    throw new Error(`${a.ruleset}: ${(e as Error).message}`);
  }
  const interfaces = new Map(host.interfaces.map((i) => [i.name, i.index] as [string, number]));
  const result = compileRuleset({ name: a.ruleset === '-' ? '/dev/stdin' : a.ruleset, text }, includeReader, { interfaces });
  if (result.diagnostics.length) throw new Error(renderDiagnostics(result.diagnostics).replace(/\n$/, ''));
  const kernel = kernelCheck(result);
  if (kernel.length) throw new Error(renderDiagnostics(kernel).replace(/\n$/, ''));
  const program = programOf(result);
  // nft lists `iif "eth1"` by the host's names too.
  const names = withInterfaces(interfaces, () => rulesetNames(result, program));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(a.capture));
  } catch (e) {
    throw new Error(`${a.capture}: ${(e as Error).message}`);
  }
  const capture = readCapture(bytes);
  const links = new Map<number, Capture>();
  for (const l of a.links ?? []) {
    const eq = l.indexOf('=');
    const name = l.slice(0, eq);
    const file = l.slice(eq + 1);
    const dev = host.interfaces.find((i) => i.name === name);
    if (!dev) throw new Error(`--link ${l}: no interface '${name}' in the host description`);
    try {
      links.set(dev.index, readCapture(new Uint8Array(readFileSync(file))));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }
  const engine = await Engine.create({
    wasm: readWasm(), host, recordBytes: opts.recordBytes ?? 8 << 20, ...(opts.batchBytes ? { batchBytes: opts.batchBytes } : {}),
    conntrack: programConntrack(program, conntrack),
  });
  try {
    engine.load(encodeBytecode(program));
  } catch (e) {
    throw new Error(`${a.ruleset}: ${(e as Error).message}`);
  }
  // Families the ruleset tracks get their fragments reassembled by the VM (defrag at -400), one fragment at a time.
  const items = plan(capture, host, { iface, links, defrag: engine.trackedFamilies() });
  return { args: a, host, engine, result, program, names, capture, items };
}

/** A progress bar on stderr for large captures when stderr is a terminal; call with the items done. */
export function progressBar(io: Io, total: number): ((done: number) => void) | undefined {
  if (!io.tty || total < 50_000) return undefined;
  let shown = -1;
  return (done: number) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === shown) return;
    shown = pct;
    const w = 30;
    const fill = Math.round((w * done) / total);
    io.err(`\r[${'#'.repeat(fill)}${' '.repeat(w - fill)}] ${String(pct).padStart(3)}% ${done}/${total}${done >= total ? '\n' : ''}`);
  };
}
