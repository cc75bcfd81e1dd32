// Interface names in rules resolve to the ifindex of the host compiled for,
// as nft resolves them against the host it runs on (a fresh namespace has only lo).
import { describe, expect, it } from 'vitest';
import { compileRuleset, renderDiagnostics, renderNetlink } from '../../compiler/index.js';

const src = { name: 'x.nft', text: 'table ip t {\n\tchain c {\n\t\tiif "eth1" accept\n\t}\n}\n' };

describe('iif "NAME"', () => {
  it('is refused on a fresh namespace, as nft refuses it there', () => {
    const r = compileRuleset(src);
    expect(renderDiagnostics(r.diagnostics)).toContain('x.nft:3:7-12: Error: Interface does not exist');
  });
  it('resolves against the interfaces given for the host', () => {
    const r = compileRuleset(src, undefined, { interfaces: new Map([['lo', 1], ['eth1', 3]]) });
    expect(r.diagnostics).toEqual([]);
    expect(renderNetlink(r.outputs)).toContain('[ meta load iif => reg 1 ]\n  [ cmp eq reg 1 0x00000003 ]');
  });
  it('does not leak into the next compilation', () => {
    compileRuleset(src, undefined, { interfaces: new Map([['eth1', 3]]) });
    expect(compileRuleset(src).diagnostics.length).toBe(1);
  });
});
