// The compiler's public API: nft ruleset text in, kernel bytecode (as
// instructions and as `nft --debug=netlink` text) and diagnostics out.

import { Diagnostics, type Diagnostic } from './diagnostics.js';
import { compileRuleset, renderDiagnostics, renderNetlink, type CompileResult } from './ruleset.js';
import type { FileReader } from './parser/index.js';
import type { Source } from './source.js';
import { validateBatch } from './validate.js';

export { compileRuleset, renderDiagnostics, renderNetlink };
export type { CompileResult, FileReader };

/**
 * The kernel's checks of the batch `r` would send (compiler/validate.ts);
 * nft sends nothing when it found errors itself, so neither does this.
 */
export function kernelCheck(r: CompileResult): Diagnostic[] {
  if (r.diagnostics.length) return [];
  const kernel = new Diagnostics();
  validateBatch(r.cmds, kernel);
  return kernel.list;
}

/** Compiles like `nft -c -f`: parse, evaluate, then the kernel's checks. */
export function checkRuleset(src: Source, read?: FileReader): CompileResult {
  const r = compileRuleset(src, read);
  return r.diagnostics.length ? r : { ...r, diagnostics: kernelCheck(r) };
}

/** Compiles `text` (named `name` in errors); returns the debug text or the error text. */
export function compileToNetlink(name: string, text: string, read?: FileReader): { ok: boolean; out: string; errors: string } {
  const r = checkRuleset({ name, text }, read);
  if (r.diagnostics.length) return { ok: false, out: '', errors: renderDiagnostics(r.diagnostics) };
  return { ok: true, out: renderNetlink(r.outputs), errors: '' };
}
