// Diagnostics in nft's own format:
//   rules.nft:12:5-18: Error: Could not resolve hostname ...
//   <the source line>
//   <spaces>^^^^^^^^
// Errors are collected, never thrown, so one run reports all of them.

import { lineCol, type Span } from './source.js';

/** One error with the span it points at. */
export interface Diagnostic {
  span: Span;
  message: string;
}

/** Thrown internally to abandon one statement; caught per statement. */
export class CompileError extends Error {
  constructor(public span: Span, message: string) {
    super(message);
  }
}

/** Collects errors for one compilation. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(span: Span, message: string): void {
    this.list.push({ span, message });
  }
  get count(): number {
    return this.list.length;
  }
}

/** Prints one diagnostic as nft does (location, source line, marker line). */
export function formatDiagnostic(d: Diagnostic): string {
  const a = lineCol(d.span.src, d.span.start);
  const endOff = Math.max(d.span.start, d.span.end - 1);
  const b = lineCol(d.span.src, endOff);
  const sameLine = a.line === b.line;
  const endCol = sameLine ? b.col : a.text.length;
  const loc = `${d.span.src.name}:${a.line}:${a.col}-${Math.max(a.col, endCol)}`;
  let marker = '';
  for (let i = 1; i < a.col; i++) marker += a.text[i - 1] === '\t' ? '\t' : ' ';
  marker += '^'.repeat(Math.max(1, endCol - a.col + 1));
  return `${loc}: Error: ${d.message}\n${a.text}\n${marker}\n`;
}

/** Message texts, kept in one place and worded as nft words them. */
export const msg = {
  syntax: (unexpected: string, expecting?: string) =>
    `syntax error, unexpected ${unexpected}` + (expecting ? `, expecting ${expecting}` : ''),
  undefinedVar: (name: string) => `unknown identifier '${name}'`,
  noSuchFile: (name: string) => `File not found: ${name}`,
  unknownTable: (name: string) => `Could not process rule: No such file or directory`,
  noSuchChain: (name: string) => `Could not process rule: No such file or directory`,
  badValue: (what: string, text: string) => `Could not parse ${what}`,
  conflictingProto: (a: string, b: string) => `conflicting protocols specified: ${a} vs. ${b}`,
} as const;
