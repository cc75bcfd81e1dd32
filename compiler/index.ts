// The compiler's public API: nft ruleset text in, kernel bytecode (as
// instructions and as `nft --debug=netlink` text) and diagnostics out.

import { compileRuleset, renderDiagnostics, renderNetlink, type CompileResult } from './ruleset.js';
import type { FileReader } from './parser.js';

export { compileRuleset, renderDiagnostics, renderNetlink };
export type { CompileResult, FileReader };

/** Compiles `text` (named `name` in errors); returns the debug text or the error text. */
export function compileToNetlink(name: string, text: string, read?: FileReader): { ok: boolean; out: string; errors: string } {
  const r = compileRuleset({ name, text }, read);
  if (r.diagnostics.length) return { ok: false, out: '', errors: renderDiagnostics(r.diagnostics) };
  return { ok: true, out: renderNetlink(r.outputs), errors: '' };
}
