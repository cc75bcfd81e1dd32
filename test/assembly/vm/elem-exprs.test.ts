// Element expressions of dynset (nft_dynset_expr_setup, nft_set_elem_update_expr):
// meters with a limit per key, per-element counters and quotas.
import { describe, expect, it } from 'vitest';
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
