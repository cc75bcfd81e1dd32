// The nftvm command line. Node-only: file access lives here, never in
// compiler/. `nftvm compile FILE` prints what `nft --debug=netlink -f FILE`
// prints; `nftvm check FILE` is `nft -c -f FILE` without root or a kernel;
// `nftvm list [-a] FILE` prints what `nft -f FILE; nft [-a] list ruleset` prints.
// `nftvm run|trace|bench RULESET CAPTURE` replay a capture on the VM (run.ts, bench.ts).

import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compileRuleset, kernelCheck, renderDiagnostics, renderNetlink, isIncludeGlob, type IncludedFile } from '../../compiler/index.js';
import { listRuleset } from '../../compiler/list.js';
import { parseReplayArgs, UsageError, type Io } from './replay.js';
import { runCommand, traceCommand } from './run.js';
import { benchCommand } from './bench.js';
import { shellCommand, stdinLines } from './shell.js';
import { LiveRuleset, TransactionError } from '../../compiler/transaction.js';
import { printsSomething } from '../../compiler/list-commands.js';

const USAGE = `usage: nftvm <command> [options]

commands:
  compile FILE   print the kernel bytecode of every set and rule of FILE,
                 exactly as 'nft --debug=netlink -f FILE' prints it
  check FILE     parse, evaluate and linearize FILE like 'nft -c -f FILE';
                 print every error, exit 0 only if nft would accept it
  list [-a] FILE... print the ruleset FILE loads into an empty kernel, exactly
                 as 'nft -f FILE; nft list ruleset' prints it; -a adds the
                 handles like 'nft -a list ruleset'. Several files are
                 applied in order, one transaction each, as 'nft -f F1;
                 nft -f F2; ...' would (handles continue from one to the next);
                 what list and reset commands in the files print comes first,
                 as 'nft [-a] -f' prints it
  shell RULESET [CAPTURE HOST OPTIONS]
                 a shell on a live engine running RULESET: each line of nft
                 commands is one transaction (a '{' line opens a longer one,
                 '}' ends it; 'source FILE' applies a file); 'list ruleset
                 [-a]', 'list table [FAMILY] NAME'; with a capture 'replay
                 [N]' (the next N packets: verdicts, deciding rules), 'trace
                 [N]', 'conntrack'; 'help', 'quit'. Reads standard input,
                 so commands can be piped in (exit 1 if any failed)
  run RULESET CAPTURE [HOST OPTIONS] [--conntrack] [--events] [--json]
                 replay the capture (pcap or pcapng) through RULESET as the
                 host; print packets per final verdict and per deciding
                 rule, the ruleset with its counters as 'nft list ruleset'
                 prints it, and the log, reject, fwd and dup records
                 --conntrack  then the conntrack table as 'conntrack -L'
                              prints it, listed at the last packet's time
                              (what expired by then is gone); conntrack's
                              'N flow entries have been shown.' on stderr
                 --conntrack-at SEC[.FRACTION]
                              the same, listed at that time (seconds since
                              the epoch, the capture's clock)
                 --events     'conntrack -E -o timestamp' lines as they
                              happen, before the report: [SEC.USEC] is the
                              time of the packet that caused the event (of
                              the last packet for entries that expired by
                              then)
                 --json       everything as one object, with the table
                              ("conntrack") and, with --events, "events"
  trace RULESET CAPTURE [HOST OPTIONS]
                 every packet's path as 'nft monitor trace' prints it
                 (trace ids are a hash of the packet's index, not the
                 kernel's)
  bench RULESET CAPTURE [HOST OPTIONS] [--seconds S] [--batch N] [--json]
                 evaluate the capture's packets, loaded into the VM once,
                 repeatedly for S seconds (default 3), N per call (default
                 4096); print packets/s and ns/packet. The conntrack table
                 is kept from one pass to the next (established flows stay
                 established)
  help           this text

HOST OPTIONS:
  --host HOST.json   interfaces, addresses, routes, forwarding (the format of
                     test/scenarios/README.md)
  --iface NAME       interface a capture without interface information was
                     taken on (default: the first non-loopback one; eth0)
  --local ADDR,...   the host's own addresses (added to --iface)
  --forward          forwarding on
  --link IFNAME=FILE an Ethernet capture of one interface (tcpdump -i IFNAME):
                     destination MACs a cooked (-i any) capture does not keep

The conntrack table (one per replay, kept across all its packets) has the
kernel's defaults: 262144 buckets and entries, nf_conntrack_acct off (on
when the ruleset reads ct packets, bytes or avgpkt). HOST.json may set
  "sysctl": { "net.netfilter.nf_conntrack_udp_timeout": 5, ... }
             timeouts nf_conntrack_{tcp_timeout_*,udp_timeout,
             udp_timeout_stream,icmp_timeout,icmpv6_timeout,
             generic_timeout}; nf_conntrack_tcp_loose, _tcp_be_liberal,
             _tcp_ignore_invalid_rst, _tcp_max_retrans, _checksum, _acct,
             _max, _buckets
  "conntrack_max": N   nf_conntrack_max
  "conntrack_buckets": N  nf_conntrack_buckets (rounded up to a multiple of
                       512, as the kernel does; nf_conntrack_max stays
                       262144 unless set too)

A packet takes the input path when its destination is local, else forward
(--forward) or is dropped after prerouting; packets from a local address,
and cooked/pcapng packets marked outgoing, take output and postrouting.

FILE may be '-' for standard input. Includes resolve relative to the
including file.
`;

/** A glob pattern segment (`*`, `?`, `[...]`) as a regular expression; `*` and `?` skip a leading dot. */
function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, j);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^(?!\\.)${re}$`);
}

/**
 * Expands an include pattern like glob(3) with GLOB_MARK: every regular file
 * matching, sorted bytewise (nft includes them in that order); directories
 * are left out. `base` resolves a relative pattern; names keep the pattern's
 * own form (`./d/a.nft`).
 */
function globFiles(pattern: string, base: string): string[] {
  const segs = pattern.split('/');
  let found: string[] = [pattern.startsWith('/') ? '/' : ''];
  segs.forEach((seg, i) => {
    if (seg === '' && i === 0) return;
    const next: string[] = [];
    for (const prefix of found) {
      const join = (n: string) => (prefix === '' ? n : prefix.endsWith('/') ? prefix + n : `${prefix}/${n}`);
      if (!isIncludeGlob(seg)) {
        next.push(join(seg));
        continue;
      }
      const dir = resolve(base, prefix === '' ? '.' : prefix);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      const re = segmentRegExp(seg);
      for (const n of names) if (re.test(n)) next.push(join(n));
    }
    found = next;
  });
  return found
    .filter((p) => {
      try {
        return statSync(resolve(base, p)).isFile();
      } catch {
        return false;
      }
    })
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Reads an included file: relative to the including file first (what users
 * expect), then relative to the working directory (what nft 1.0.6 does for
 * `./x.nft`), then as given. A pattern with wildcards (`include "d/*.nft"`)
 * yields every matching file of the first of those places that has any.
 */
function includeReader(path: string, from: string): IncludedFile | IncludedFile[] | undefined {
  const bases = path.startsWith('/') ? ['/'] : [from === '-' ? process.cwd() : dirname(from), process.cwd()];
  if (isIncludeGlob(path)) {
    for (const b of bases) {
      const files = globFiles(path, resolve(b));
      if (!files.length) continue;
      return files.map((f) => ({ name: f, text: readFileSync(resolve(b, f), 'utf8') }));
    }
    return [];
  }
  for (const b of bases) {
    const p = resolve(b, path);
    if (!existsSync(p)) continue;
    try {
      return { name: path, text: readFileSync(p, 'utf8') };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function readInput(file: string): string {
  if (file === '-') return readFileSync(0, 'utf8');
  return readFileSync(file, 'utf8');
}

/** The replay commands: usage errors exit 2, load and capture errors 1. */
async function replayMain(cmd: string, rest: string[], io: Io): Promise<number> {
  try {
    const a = parseReplayArgs(cmd, rest);
    if (cmd === 'run') return await runCommand(a, io, includeReader);
    if (cmd === 'trace') return await traceCommand(a, io, includeReader);
    return await benchCommand(a, io, includeReader);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nftvm ${cmd}: ${e.message}\n${USAGE}`);
      return 2;
    }
    io.err(`nftvm ${cmd}: ${(e as Error).message}\n`);
    return 1;
  }
}

/** `nftvm list F1 F2 ...`: each file one transaction on the ruleset the ones before left (compiler/transaction.ts). */
function listTransactions(files: string[], handles: boolean, out: (s: string) => void, err: (s: string) => void, first?: string): number {
  const live = new LiveRuleset({ read: includeReader });
  for (const file of files) {
    let text: string;
    try {
      text = first !== undefined && files.length === 1 ? first : readInput(file);
    } catch (e) {
      err(`Error: Could not process rule: No such file or directory\n${file}: ${(e as Error).message}\n`);
      return 1;
    }
    try {
      // What the file's list and reset commands print, as `nft [-a] -f FILE` prints it.
      out(live.apply(text, file === '-' ? '/dev/stdin' : file, { handles }).printed);
    } catch (e) {
      if (!(e instanceof TransactionError)) throw e;
      out(e.printed);
      err(e.message + '\n');
      return 1;
    }
  }
  out(live.list({ handles }));
  return 0;
}

/** `nftvm shell`: usage errors exit 2, a ruleset or capture that does not load 1. */
async function shellMain(rest: string[], io: Io, lines: AsyncIterable<string> | undefined, interactive: boolean): Promise<number> {
  try {
    return await shellCommand(rest, io, includeReader, lines ?? stdinLines(), interactive);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nftvm shell: ${e.message}\n${USAGE}`);
      return 2;
    }
    io.err(`nftvm shell: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Runs one CLI invocation; returns the exit status (a promise for run, trace, bench and shell). `lines`: the shell's input (default standard input). */
export function main(argv: string[], out: (s: string) => void, err: (s: string) => void, opts: { tty?: boolean; lines?: AsyncIterable<string>; interactive?: boolean } = {}): number | Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out(USAGE);
    return cmd ? 0 : 1;
  }
  if (cmd === 'run' || cmd === 'trace' || cmd === 'bench') return replayMain(cmd, rest, { out, err, tty: opts.tty });
  if (cmd === 'shell') return shellMain(rest, { out, err, tty: opts.tty }, opts.lines, opts.interactive ?? false);
  if (cmd !== 'compile' && cmd !== 'check' && cmd !== 'list') {
    err(`nftvm: unknown command '${cmd}'\n${USAGE}`);
    return 2;
  }
  const handles = cmd === 'list' && (rest[0] === '-a' || rest[0] === '--handle');
  if (handles) rest.shift();
  if (cmd === 'list' && rest.length > 1) return listTransactions(rest, handles, out, err);
  const file = rest[0];
  if (!file || rest.length > 1) {
    err(`nftvm ${cmd}: expected exactly one FILE\n`);
    return 2;
  }
  let text: string;
  try {
    text = readInput(file);
  } catch (e) {
    err(`Error: Could not process rule: No such file or directory\n${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = compileRuleset({ name: file === '-' ? '/dev/stdin' : file, text }, includeReader);
  // A file with list or reset commands prints them: applied as a transaction.
  if (cmd === 'list' && printsSomething(r.cmds)) return listTransactions([file], handles, out, err, text);
  if (r.diagnostics.length) {
    err(renderDiagnostics(r.diagnostics));
    return 1;
  }
  // Like nft, the bytecode is printed before the kernel refuses the batch.
  if (cmd === 'compile') out(renderNetlink(r.outputs));
  const kernel = kernelCheck(r);
  if (kernel.length) {
    err(renderDiagnostics(kernel));
    return 1;
  }
  // The kernel took the whole batch; list what it now holds.
  if (cmd === 'list') out(listRuleset(r, { handles }));
  return 0;
}

const isEntry = process.argv[1] && /nftvm(\.mjs)?$|main\.ts$/.test(process.argv[1]);
if (isEntry) {
  const code = main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s), { tty: process.stderr.isTTY, interactive: process.stdin.isTTY === true });
  if (typeof code === 'number') process.exitCode = code;
  else void code.then((c) => (process.exitCode = c));
}
