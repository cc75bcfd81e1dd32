// The compiler's public API: nft ruleset text in, kernel bytecode (as
// instructions and as `nft --debug=netlink` text) and diagnostics out.

import { Diagnostics, type Diagnostic } from './diagnostics.js';
import { compileRuleset, renderDiagnostics, renderNetlink, type CompileResult } from './ruleset.js';
import { isIncludeGlob, type FileReader, type IncludedFile } from './parser/index.js';
import type { Source } from './source.js';
import { validateBatch } from './validate.js';

export { compileRuleset, renderDiagnostics, renderNetlink };
export { isIncludeGlob };
export { withInterfaces } from './datatype.js';
export type { CompileResult, FileReader, IncludedFile };
export type { CompileOptions } from './ruleset.js';

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

/**
 * Compiles `text` (named `name` in errors); returns the debug text and the
 * error text. Like nft, the bytecode is still printed (`out`) when only the
 * kernel refuses the batch; `ok` is false whenever there is an error.
 */
export function compileToNetlink(name: string, text: string, read?: FileReader): { ok: boolean; out: string; errors: string; kernel?: boolean } {
  const r = compileRuleset({ name, text }, read);
  if (r.diagnostics.length) return { ok: false, out: '', errors: renderDiagnostics(r.diagnostics) };
  const out = renderNetlink(r.outputs);
  const kernel = kernelCheck(r);
  if (kernel.length) return { ok: false, out, errors: renderDiagnostics(kernel), kernel: true };
  return { ok: true, out, errors: '' };
}
