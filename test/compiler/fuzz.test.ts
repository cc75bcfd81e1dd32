// Robustness: no input makes the compiler throw, hang or overflow the
// stack. Deterministic pseudo-random inputs (seeded), mutations of corpus
// files, pathological sizes and nesting.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../compiler/index.js';
import { unitRng as rng } from '../rng.js';

/** Compiles `text` and returns how it ended; a thrown exception fails the test. */
function compile(text: string) {
  return compileRuleset({ name: 'fuzz.nft', text }, () => undefined);
}

const corpus = new URL('../corpus/compile/', import.meta.url).pathname;
const samples = readdirSync(corpus).filter((f) => f.endsWith('.nft')).map((f) => readFileSync(corpus + f, 'utf8'));

describe('compiler fuzzing', () => {
  it('random bytes', () => {
    const r = rng(1);
    for (let n = 0; n < 300; n++) {
      const len = Math.floor(r() * 400);
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(r() * 128));
      expect(() => compile(s)).not.toThrow();
    }
  });
  it('mutated and truncated corpus files', () => {
    const r = rng(2);
    const alphabet = '{}();,.:/-@$"\n\t *|&^!<>=0123456789abcxyz';
    for (let n = 0; n < 400; n++) {
      const src = samples[Math.floor(r() * samples.length)]!;
      let s = src;
      const op = Math.floor(r() * 3);
      const at = Math.floor(r() * s.length);
      if (op === 0) s = s.slice(0, at);
      else if (op === 1) s = s.slice(0, at) + alphabet[Math.floor(r() * alphabet.length)] + s.slice(at + 1);
      else s = s.slice(0, at) + s.slice(at + Math.floor(r() * 20));
      const res = compile(s);
      expect(Array.isArray(res.diagnostics)).toBe(true);
    }
  });
  it('a 10 MB line', () => {
    const line = 'table ip t { chain c { ip saddr { ' + '10.0.0.1, '.repeat(1_000_000) + '} } }';
    const t0 = Date.now();
    expect(() => compile(line)).not.toThrow();
    expect(Date.now() - t0).toBeLessThan(30000);
  });
  it('deeply nested braces and parentheses', () => {
    for (const s of ['{'.repeat(100000), '('.repeat(100000), 'table ip t { chain c { meta mark set ' + '('.repeat(50000) + '1' + ')'.repeat(50000) + ' } }', 'define x = ' + '{ '.repeat(50000)]) {
      const res = compile(s);
      expect(res.diagnostics.length).toBeGreaterThan(0);
    }
  });
  it('an unterminated string and a lone quote', () => {
    expect(compile('table ip t { chain c { iifname "eth0 accept } }').diagnostics.length).toBeGreaterThan(0);
    expect(compile('"').diagnostics.length).toBeGreaterThan(0);
  });
});
