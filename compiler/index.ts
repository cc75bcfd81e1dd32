// The compiler's public API: nft ruleset text in, kernel bytecode (as
// instructions and as `nft --debug=netlink` text) and diagnostics out.

import { Diagnostics } from './diagnostics.js';
import { compileRuleset, renderDiagnostics, renderNetlink, type CompileResult } from './ruleset.js';
import type { FileReader } from './parser.js';
import type { Source } from './source.js';
import { validateBatch } from './validate.js';

export { compileRuleset, renderDiagnostics, renderNetlink };
export type { CompileResult, FileReader };

/**
 * Compiles like `nft -c -f`: parse, evaluate, then the kernel's checks of the
 * batch (run only when nft itself accepted the file, as nft sends nothing otherwise).
 */
export function checkRuleset(src: Source, read?: FileReader): CompileResult {
  const r = compileRuleset(src, read);
  if (r.diagnostics.length) return r;
  const kernel = new Diagnostics();
  validateBatch(r.cmds, kernel);
  return { ...r, diagnostics: kernel.list };
}

/** Compiles `text` (named `name` in errors); returns the debug text or the error text. */
export function compileToNetlink(name: string, text: string, read?: FileReader): { ok: boolean; out: string; errors: string } {
  const r = checkRuleset({ name, text }, read);
  if (r.diagnostics.length) return { ok: false, out: '', errors: renderDiagnostics(r.diagnostics) };
  return { ok: true, out: renderNetlink(r.outputs), errors: '' };
}
