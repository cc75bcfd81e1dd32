// Element expressions of dynset (nft_dynset_expr_setup, nft_set_elem_update_expr):
// meters with a limit per key, per-element counters and quotas.
import { describe, expect, it } from 'vitest';
import { encodeBytecode, programOf } from '../../../compiler/bytecode.js';
import { checkRuleset, renderDiagnostics } from '../../../compiler/index.js';
import type { Insn } from '../../../compiler/insn.js';
import { ACCEPT, DROP, engine, ipv4, rx } from './helpers.js';

const S = 1_000_000_000n;
const table = (set: string, rule: string) => `table ip t {
 set m { type ipv4_addr; flags dynamic${set}; }
 chain c { type filter hook input priority 0; policy accept;
  ${rule}
 }
}`;

describe('dynset element expressions', () => {
  it('update @m { ip saddr limit rate over 2/second burst 1 packets } drop: one bucket per source', async () => {
    const e = await engine();
    e.load(table('', 'update @m { ip saddr limit rate over 2/second burst 1 packets } drop'));
    const a = (t: bigint) => rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }), { tstamp: t });
    const b = (t: bigint) => rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }), { tstamp: t });
    // burst 1 + rate 2/s: a bucket of one packet's cost (0.5 s); a's third packet in the same instant is over, b has its own bucket.
    const pk = [a(10n * S), a(10n * S + 1n), b(10n * S + 2n), a(11n * S)];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, DROP, ACCEPT, ACCEPT]);
  });
  it('a per-element counter counts each key; a quota per element goes over on its own', async () => {
    const e = await engine();
    e.load(table('', 'add @m { ip saddr counter quota over 100 bytes } drop'));
    const a = rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }));
    const b = rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }));
    // 20-byte packets: the sixth of a key is over 100 bytes.
    const pk = [a, a, a, a, a, a, b];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, ACCEPT, ACCEPT, ACCEPT, ACCEPT, DROP, ACCEPT]);
  });
  it('meters in rules without a named set (meter syntax) load and run', async () => {
    const e = await engine();
    e.load(`table ip t {
 chain c { type filter hook input priority 0; policy accept;
  meter flood { ip saddr limit rate over 1/minute burst 1 packets } drop
 }
}`);
    const a = (t: bigint) => rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }), { tstamp: t });
    const pk = [a(S), a(2n * S), a(200n * S)];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, DROP, ACCEPT]);
  });
});

describe('dynset element expressions: expiry and refusals', () => {
  it('an expired element comes back with fresh state (quota starts again)', async () => {
    const e = await engine();
    e.load(table(',timeout; timeout 1s', 'update @m { ip saddr quota over 40 bytes } drop'));
    const a = (t: bigint) => rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }), { tstamp: t });
    const pk = [a(10n * S), a(10n * S + 1n), a(10n * S + 2n), a(20n * S)];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, ACCEPT, DROP, ACCEPT]);
  });
});

/** The image of `text` with expression records added to the elements of set `set` (nft's per-element counter/quota/limit: NFTA_SET_ELEM_EXPRESSIONS; made by hand here, for expressions the text cannot give: quota, counter+quota). */
function withElemExprs(text: string, set: string, exprs: Insn[]): Uint8Array {
  const r = checkRuleset({ name: 'x.nft', text });
  if (r.diagnostics.length) throw new Error(renderDiagnostics(r.diagnostics));
  const prog = programOf(r);
  for (const s of prog.sets) if (s.name === set) for (const el of s.elements) el.exprs = exprs;
  return encodeBytecode(prog);
}

describe('static element expressions (nft_lookup_eval runs them)', () => {
  const rs = `table ip t {
 set s { type ipv4_addr; elements = { 10.0.0.7, 10.0.0.8 } }
 chain c { type filter hook input priority 0; policy accept;
  ip saddr @s drop
 }
}`;
  it('a quota over 40 bytes per element: each element its own', async () => {
    const e = await engine();
    e.load(withElemExprs(rs, 's', [{ op: 'counter', pkts: 0n, bytes: 0n }, { op: 'quota', bytes: 40n, consumed: 0n, flags: 1 }]));
    const a = rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }));
    const b = rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }));
    const c = rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1' }));
    const pk = [a, a, a, b, c, a];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, ACCEPT, DROP, ACCEPT, ACCEPT, DROP]);
  });
  it('an element with its own limit (over 1/minute, burst 1)', async () => {
    const e = await engine();
    e.load(withElemExprs(rs, 's', [{ op: 'limit', rate: 1n, unit: 60, burst: 1n, bytes: false, flags: 1 }]));
    const a = (t: bigint) => rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }), { tstamp: t });
    const b = (t: bigint) => rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }), { tstamp: t });
    const pk = [a(S), a(2n * S), b(3n * S), a(300n * S)];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, DROP, ACCEPT, ACCEPT]);
  });
  it('interval sets with element expressions stay refused', async () => {
    const e = await engine();
    const iv = rs.replace('type ipv4_addr;', 'type ipv4_addr; flags interval;');
    expect(() => e.load(withElemExprs(iv, 's', [{ op: 'counter', pkts: 0n, bytes: 0n }]))).toThrow(/element expressions/);
  });
});

describe('element statements written in the ruleset text (compiled into the elements)', () => {
  it('an anonymous set element with its own limit: the lookup breaks while under the rate (limit over), as the hand-made image', async () => {
    const e = await engine();
    e.load(`table ip t {
 chain c { type filter hook input priority 0; policy accept;
  ip saddr { 10.0.0.7 limit rate over 1/minute burst 1 packets, 10.0.0.8 } drop
 }
}`);
    const a = (t: bigint) => rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }), { tstamp: t });
    const b = (t: bigint) => rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }), { tstamp: t });
    const pk = [a(S), a(2n * S), b(3n * S), a(300n * S)];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([ACCEPT, DROP, DROP, ACCEPT]);
  });
  it('a named set declared with counter loads (every element carries a counter)', async () => {
    const e = await engine();
    e.load(`table ip t {
 set s { type ipv4_addr; counter; elements = { 10.0.0.7 counter packets 1 bytes 2, 10.0.0.8 } }
 chain c { type filter hook input priority 0; policy accept;
  ip saddr @s drop
 }
}`);
    const pk = [rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' })), rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1' }))];
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([DROP, ACCEPT]);
  });
});
