// `nftvm shell RULESET [CAPTURE HOST OPTIONS]`: a line-oriented shell on a
// live engine, like `nft -i` on a running host. Each line of nft commands is
// one transaction (a `{` line opens a multi-line one, closed by its `}`;
// `source FILE` applies a file), all or nothing; `list ruleset [-a]`,
// `list table [FAMILY] NAME`, and with a capture `replay [N]`, `trace [N]`,
// `conntrack`. Node-only; reads lines from any stream (tests pipe them in).
//   nftvm> add rule inet filter input tcp dport 8080 accept
//   nftvm> replay 100

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FileReader } from '../../compiler/index.js';
import { Engine } from '../engine.js';
import { Transactions, TransactionError } from '../transaction.js';
import type { Generation } from '../../compiler/transaction.js';
import { replay, type ReplayItem } from '../replay.js';
import { rulesetNames, TraceFormatter, type RulesetNames } from '../replay-trace.js';
import { formatConntrackEntry } from '../format/conntrack.js';
import type { HostModel } from '../host.js';
import { buildHost, loadReplay, parseReplayArgs, readWasm, UsageError, type Io, type ReplayArgs } from './replay.js';
import { fate } from './run.js';

const HELP = `commands (one per line):
  NFT COMMANDS          one transaction: add/insert/replace/delete/create/flush ...
  {                     start a transaction of several lines, ended by '}'
  source FILE           apply FILE as one transaction (also: -f FILE)
  list ruleset [-a]     the ruleset as 'nft list ruleset' prints it (-a: handles)
  list table [FAMILY] NAME [-a]
  replay [N]            evaluate the capture's next N packets (default: all left);
                        print packets per verdict and per deciding rule
  trace [N]             the same, printed as 'nft monitor trace' lines
  conntrack             the conntrack table as 'conntrack -L' lists it
  help, quit
`;

/** A shell session: the engine, its live ruleset, and the capture's position. */
class Session {
  private names?: RulesetNames;
  private pos = 0;
  failed = 0;

  constructor(
    private readonly io: Io,
    private readonly engine: Engine,
    private readonly tx: Transactions,
    private gen: Generation,
    private readonly host: HostModel,
    private readonly items: ReplayItem[],
  ) {}

  /** Applies one transaction; prints nft's errors. */
  apply(text: string, name: string): void {
    try {
      this.gen = this.tx.apply(text, name);
      this.names = undefined;
      // What its list and reset commands print, as nft -f prints it.
      this.io.out(this.gen.printed);
    } catch (e) {
      this.failed++;
      if (e instanceof TransactionError) {
        this.io.out(e.printed);
        this.io.err(e.message + '\n');
      } else this.io.err(`${name}: ${(e as Error).message}\n`);
    }
  }

  private rulesetNames(): RulesetNames {
    return (this.names ??= rulesetNames(this.gen.result, this.gen.program));
  }

  /** `list ruleset [-a]`, `list table [FAMILY] NAME [-a]`. */
  list(words: string[]): void {
    const handles = words.includes('-a');
    const w = words.filter((x) => x !== '-a');
    const text = this.tx.list({ handles });
    if (w[1] === 'ruleset' && w.length === 2) return this.io.out(text);
    if (w[1] === 'table' && (w.length === 3 || w.length === 4)) {
      const [family, name] = w.length === 4 ? [w[2]!, w[3]!] : ['ip', w[2]!];
      const blocks = text.split(/(?=^table )/m);
      const b = blocks.find((x) => x.startsWith(`table ${family} ${name} {`));
      if (b) return this.io.out(b);
      this.failed++;
      return this.io.err(`Error: No such file or directory\nlist table ${family} ${name}\n`);
    }
    this.failed++;
    this.io.err(`Error: usage: list ruleset [-a] | list table [FAMILY] NAME [-a]\n`);
  }

  /** The next N planned packets (all that are left without N). */
  private next(words: string[]): ReplayItem[] | undefined {
    if (!this.items.length) {
      this.failed++;
      this.io.err('Error: no capture: start the shell as nftvm shell RULESET CAPTURE [HOST OPTIONS]\n');
      return undefined;
    }
    const n = words[1] === undefined ? Infinity : Number(words[1]);
    if (!(n > 0)) {
      this.failed++;
      this.io.err(`Error: ${words[0]} needs a positive number of packets\n`);
      return undefined;
    }
    const batch = this.items.slice(this.pos, this.pos + Math.min(n, this.items.length));
    this.pos += batch.length;
    return batch;
  }

  /** `replay [N]`: packets per final verdict and per deciding rule. */
  replay(words: string[]): void {
    const items = this.next(words);
    if (!items) return;
    const names = this.rulesetNames();
    const verdicts = new Map<string, number>();
    const rules = new Map<string, number>();
    const p = this.gen.program;
    for (const { item, result } of replay(this.engine, items, { batch: 1024 })) {
      const f = fate(item, result);
      verdicts.set(f, (verdicts.get(f) ?? 0) + 1);
      if (result.chain >= p.chains.length) continue;
      const c = names.chains[result.chain]!;
      const k = names.ruleIndex.get(`${result.chain}:${result.rule}`);
      const rule = result.rule === 0 ? `policy ${p.chains[result.chain]!.policy ?? 'accept'}` : `${k !== undefined ? names.ruleTexts[k]!.replace(/counter packets \d+ bytes \d+/g, 'counter') : ''} # handle ${result.rule}`;
      const key = `${c.family} ${c.table} ${c.name}: ${rule}`;
      rules.set(key, (rules.get(key) ?? 0) + 1);
    }
    const rows = (m: Map<string, number>) => {
      const w = Math.max(1, ...[...m.values()].map((n) => String(n).length));
      return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(w)}  ${k}\n`).join('');
    };
    this.io.out(`packets ${this.pos - items.length + 1}-${this.pos} of ${this.items.length}\nverdicts:\n${rows(verdicts)}deciding rules:\n${rows(rules) || '  (no base chain decided a packet)\n'}`);
  }

  /** `trace [N]`: `nft monitor trace` lines of the next N packets. */
  trace(words: string[]): void {
    const items = this.next(words);
    if (!items) return;
    const f = new TraceFormatter(this.rulesetNames(), this.host);
    const lines: string[] = [];
    replay(this.engine, items, { batch: 256, trace: true, onBatch: (b, r) => lines.push(...f.lines(b, r.records())) });
    this.io.out(lines.map((l) => l + '\n').join(''));
  }

  conntrack(): void {
    this.io.out(this.engine.conntrack().map((e) => formatConntrackEntry(e) + '\n').join(''));
  }

  source(file: string | undefined): void {
    if (!file) {
      this.failed++;
      return this.io.err('Error: source needs a FILE\n');
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      this.failed++;
      return this.io.err(`Error: Could not process rule: No such file or directory\n${file}: ${(e as Error).message}\n`);
    }
    this.apply(text, file);
  }
}

/** `{` and `}` outside strings and comments: how much deeper a line leaves the block nesting. */
function depthChange(line: string): number {
  let d = 0;
  let str = false;
  for (const c of line) {
    if (c === '"') str = !str;
    else if (str) continue;
    else if (c === '#') break;
    else if (c === '{') d++;
    else if (c === '}') d--;
  }
  return d;
}

/** Parses `RULESET [CAPTURE] [HOST OPTIONS]`: the capture is optional. */
function shellArgs(argv: string[]): ReplayArgs & { noCapture: boolean } {
  const NONE = '\0no capture';
  try {
    const a = parseReplayArgs('shell', [...argv, NONE]);
    return { ...a, noCapture: a.capture === NONE };
  } catch (e) {
    if (!(e instanceof UsageError) || !/expected RULESET and CAPTURE/.test(e.message)) throw e;
  }
  try {
    return { ...parseReplayArgs('shell', argv), noCapture: false };
  } catch (e) {
    if (e instanceof UsageError && /expected RULESET and CAPTURE/.test(e.message)) throw new UsageError('expected RULESET [CAPTURE] [HOST OPTIONS]');
    throw e;
  }
}

/** `nftvm shell`: reads commands from `lines` until they end or `quit`; exit 1 if any command failed and the input is not a terminal. */
export async function shellCommand(argv: string[], io: Io, read: FileReader, lines: AsyncIterable<string>, interactive: boolean): Promise<number> {
  const a = shellArgs(argv);
  let text: string;
  try {
    text = a.ruleset === '-' ? '' : readFileSync(a.ruleset, 'utf8');
  } catch (e) {
    throw new Error(`${a.ruleset}: ${(e as Error).message}`);
  }
  let engine: Engine;
  let host: HostModel;
  let items: ReplayItem[] = [];
  if (a.noCapture) {
    host = buildHost(a, (f) => readFileSync(f, 'utf8')).host;
    engine = await Engine.create({ wasm: readWasm(), host });
  } else {
    const l = await loadReplay(a, read);
    ({ engine, host, items } = l);
  }
  const interfaces = new Map(host.interfaces.map((i) => [i.name, i.index] as [string, number]));
  const tx = new Transactions(engine, undefined, { read, interfaces });
  let gen: Generation;
  try {
    gen = tx.apply(text, a.ruleset);
    io.out(gen.printed);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  const s = new Session(io, engine, tx, gen, host, items);
  const prompt = () => interactive && io.out('nftvm> ');
  prompt();
  let block: string[] | undefined;
  let depth = 0;
  let blockStart = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.replace(/\r$/, '');
    if (block) {
      depth += depthChange(line);
      // The `}` that closes a `{` line ends the transaction; it is not part of it.
      if (depth <= 0) {
        const opened = block[0] === '{';
        if (opened) block.shift();
        else block.push(line);
        // Padded with newlines so errors name the line of standard input.
        const first = opened ? blockStart + 1 : blockStart;
        s.apply('\n'.repeat(first - 1) + block.join('\n') + '\n', '<stdin>');
        block = undefined;
      } else block.push(line);
      prompt();
      continue;
    }
    const t = line.trim();
    const words = t.split(/\s+/);
    if (!t || t.startsWith('#')) {
      // nothing
    } else if (t === 'quit' || t === 'exit') break;
    else if (t === 'help') io.out(HELP);
    else if (t === '{' || depthChange(t) > 0) {
      block = [t === '{' ? '{' : line];
      depth = depthChange(t);
      blockStart = lineNo;
    } else if (words[0] === 'list' && (words[1] === 'ruleset' || words[1] === 'table' || words[1] === '-a')) {
      s.list(words[1] === '-a' ? ['list', ...words.slice(2), '-a'] : words);
    } else if (words[0] === 'replay') s.replay(words);
    else if (words[0] === 'trace') s.trace(words);
    else if (t === 'conntrack' || t === 'conntrack -L') s.conntrack();
    else if (words[0] === 'source' || words[0] === '-f') s.source(words[1]);
    else s.apply('\n'.repeat(lineNo - 1) + line + '\n', '<stdin>');
    prompt();
  }
  if (block) {
    s.failed++;
    io.err(`Error: the transaction started at line ${blockStart} has no closing '}'\n`);
  }
  if (interactive) io.out('\n');
  return s.failed && !interactive ? 1 : 0;
}

/**
 * The lines of standard input (a terminal, a pipe or a file). The reader is
 * made when the first line is wanted: one made earlier would read lines
 * before anyone listens, and they would be lost.
 */
export async function* stdinLines(): AsyncIterable<string> {
  const tty = process.stdin.isTTY === true;
  // On a terminal readline echoes and edits the line (it needs the output for that).
  yield* createInterface({ input: process.stdin, ...(tty ? { output: process.stdout, terminal: true } : { terminal: false }), crlfDelay: Infinity });
}
