// Diagnostics in nft's own format:
//   rules.nft:12:5-18: Error: Could not resolve hostname ...
//   <the source line>
//   <spaces>^^^^^^^^
// Errors are collected, never thrown, so one run reports all of them.

import { lineCol, type Source, type Span } from './source.js';

/** One error with the span it points at. */
export interface Diagnostic {
  span: Span;
  message: string;
  /** A parse-time error after which nft still evaluates the rest (unknown `$var`). */
  keepEvaluating?: boolean;
}

/** Thrown internally to abandon one statement; caught per statement. */
export class CompileError extends Error {
  constructor(public span: Span, message: string, public keepEvaluating = false) {
    super(message);
  }
}

/** Collects errors for one compilation. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(span: Span, message: string, keepEvaluating = false): void {
    this.list.push(keepEvaluating ? { span, message, keepEvaluating } : { span, message });
  }
  get count(): number {
    return this.list.length;
  }
  /** Errors that stop nft before evaluation (syntax errors and the like). */
  get blocking(): number {
    return this.list.filter((d) => !d.keepEvaluating).length;
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
  return `${includeChain(d.span.src)}${loc}: Error: ${d.message}\n${a.text}\n${marker}\n`;
}

/** nft's `In file included from FILE:L:C-C:` lines, innermost include first (src/erec.c). */
function includeChain(src: Source): string {
  let out = '';
  let prefix = 'In file included from';
  for (let at = src.includedFrom; at; at = at.src.includedFrom) {
    const a = lineCol(at.src, at.start);
    const b = lineCol(at.src, Math.max(at.start, at.end - 1));
    out += `${prefix} ${at.src.name}:${a.line}:${a.col}-${a.line === b.line ? b.col : a.text.length}:\n`;
    prefix = '                 from';
  }
  return out;
}

/** Message texts, kept in one place and worded as nft words them. */
export const msg = {
  syntax: (unexpected: string, expecting?: string) =>
    `syntax error, unexpected ${unexpected}` + (expecting ? `, expecting ${expecting}` : ''),
  undefinedVar: (name: string) => `unknown identifier '${name}'`,
  redefinition: (name: string) => `redefinition of symbol '${name}'`,
  noSuchFile: (name: string) => `File not found: ${name}`,
  /** nft's own cache lookup of `@name` failing (not the kernel's). */
  noSuchSet: 'No such file or directory',
  badValue: (what: string, text: string) => `Could not parse ${what}`,
  conflictingProto: (a: string, b: string) => `conflicting protocols specified: ${a} vs. ${b}`,
  unknownChainType: 'unknown chain type',
  unknownChainHook: 'unknown chain hook',
  familyHook: (family: string) => `The ${family} family does not support this hook`,
  badPriority: 'invalid priority expression value in this context.',
  missingDevice: "Missing `device' in this chain definition",
  stringTooLong: (len: number) => `String exceeds maximum length of ${len}`,
  serviceRange: 'Service out of range',
  valueRange: (v: bigint, max: bigint) => `Value ${v} exceeds valid range 0-${max}`,
  prefixLength: (len: number, bits: number) => `Prefix length ${len} is invalid for type of ${bits} bits width`,
  /** A refusal by the kernel (errno text as strerror words it). */
  kernel: (errno: string) => `Could not process rule: ${errno}`,
  rateFormat: 'Wrong rate format',
} as const;
