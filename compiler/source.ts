// Source files and spans. Tokens carry byte offsets; line and column are
// computed only when a diagnostic is printed (nft prints 1-based columns).

/** One ruleset file (or an included one) with its text. */
export interface Source {
  name: string;
  text: string;
  /** For an included file: the `include` statement that read it. */
  includedFrom?: Span;
}

/** A half-open character range [start, end) in one source. */
export interface Span {
  src: Source;
  start: number;
  end: number;
}

/** 1-based line and column of `offset` in `src`, plus the line's text. */
export function lineCol(src: Source, offset: number): { line: number; col: number; text: string } {
  let line = 1;
  let lineStart = 0;
  const lim = Math.min(offset, src.text.length);
  for (let i = 0; i < lim; i++) {
    if (src.text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let lineEnd = src.text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = src.text.length;
  return { line, col: offset - lineStart + 1, text: src.text.slice(lineStart, lineEnd) };
}

/** The smallest span covering both `a` and `b` (same source). */
export function join(a: Span, b: Span): Span {
  return { src: a.src, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** The span of the keyword `word` that `span` starts with (nft points some errors there). */
export function keywordSpan(span: Span, word: string): Span {
  return { src: span.src, start: span.start, end: span.start + word.length };
}
