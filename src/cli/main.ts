// The nftvm command line. Node-only: file access lives here, never in
// compiler/. `nftvm compile FILE` prints what `nft --debug=netlink -f FILE`
// prints; `nftvm check FILE` is `nft -c -f FILE` without root or a kernel.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compileRuleset, kernelCheck, renderDiagnostics, renderNetlink } from '../../compiler/index.js';

const USAGE = `usage: nftvm <command> [options]

commands:
  compile FILE   print the kernel bytecode of every set and rule of FILE,
                 exactly as 'nft --debug=netlink -f FILE' prints it
  check FILE     parse, evaluate and linearize FILE like 'nft -c -f FILE';
                 print every error, exit 0 only if nft would accept it
  help           this text

FILE may be '-' for standard input. Includes resolve relative to the
including file.
`;

/**
 * Reads an included file: relative to the including file first (what users
 * expect), then relative to the working directory (what nft 1.0.6 does for
 * `./x.nft`), then as given.
 */
function includeReader(path: string, from: string): { name: string; text: string } | undefined {
  const candidates = path.startsWith('/') ? [path] : [resolve(from === '-' ? process.cwd() : dirname(from), path), resolve(path)];
  for (const p of candidates) {
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

/** Runs one CLI invocation; returns the exit status. */
export function main(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out(USAGE);
    return cmd ? 0 : 1;
  }
  if (cmd !== 'compile' && cmd !== 'check') {
    err(`nftvm: unknown command '${cmd}'\n${USAGE}`);
    return 2;
  }
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
  return 0;
}

const isEntry = process.argv[1] && /nftvm(\.mjs)?$|main\.ts$/.test(process.argv[1]);
if (isEntry) {
  const code = main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  process.exitCode = code;
}
