// Runs the CLI (src/cli/main.ts) in this process for the CLI tests: its
// standard output and error collected, `lines` as standard input (the
// shell's commands), e.g. `await runCli(['shell', 'rules.nft'], ['list ruleset'])`.
import { main } from '../../src/cli/main.js';

/** `nftvm ARGV...` with `lines` piped in: its exit code, standard output and standard error. */
export async function runCli(argv: string[], lines: string[] = []): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  async function* input() {
    yield* lines;
  }
  const code = await main(argv, (s) => (out += s), (s) => (err += s), { lines: input() });
  return { code, out, err };
}
