// Object maps (nft_objref_map_eval): the key's element names the counter,
// quota or limit object to run; no element (and no catch-all) → BREAK.
import { describe, expect, it } from 'vitest';
import { ACCEPT, DROP, engine, ipv4, rx } from './helpers.js';

describe('objref maps', () => {
  it('counter name ip saddr map @m: each source its counter; unknown sources BREAK', async () => {
    const e = await engine();
    e.load(`table ip t {
 counter c1 { }
 counter c2 { }
 map m { type ipv4_addr : counter; elements = { 10.0.0.7 : "c1", 10.0.0.8 : "c2" } }
 chain c { type filter hook input priority 0; policy accept;
  counter name ip saddr map @m drop
 }
}`);
    const a = rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }));
    const b = rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }));
    const c = rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1' }));
    const r = e.evaluate([a, a, b, c]);
    expect([0, 1, 2, 3].map((i) => r.verdict(i))).toEqual([DROP, DROP, DROP, ACCEPT]);
    const objs = e.liveStates().objects;
    expect(objs.map((o) => (o?.op === 'counter' ? o.packets : undefined))).toEqual([2n, 1n]);
  });
  it('quota name ip saddr map @m: each source its quota (over 40 bytes)', async () => {
    const e = await engine();
    e.load(`table ip t {
 quota q1 { over 40 bytes }
 quota q2 { over 40 bytes }
 map m { type ipv4_addr : quota; elements = { 10.0.0.7 : "q1", 10.0.0.8 : "q2" } }
 chain c { type filter hook input priority 0; policy accept;
  quota name ip saddr map @m drop
 }
}`);
    const a = rx(ipv4({ src: '10.0.0.7', dst: '10.0.0.1' }));
    const b = rx(ipv4({ src: '10.0.0.8', dst: '10.0.0.1' }));
    const r = e.evaluate([a, a, a, b]);
    expect([0, 1, 2, 3].map((i) => r.verdict(i))).toEqual([ACCEPT, ACCEPT, DROP, ACCEPT]);
  });
});

describe('objref maps: intervals', () => {
  it('counter name ip saddr map @m with prefixes (interval object map)', async () => {
    const e = await engine();
    e.load(`table ip t {
 counter lan { }
 counter dmz { }
 map m { type ipv4_addr : counter; flags interval; elements = { 10.0.0.0/24 : "lan", 192.168.1.0/24 : "dmz" } }
 chain c { type filter hook input priority 0; policy accept;
  counter name ip saddr map @m drop
 }
}`);
    const pk = ['10.0.0.7', '10.0.0.200', '192.168.1.5', '172.16.0.1'].map((src) => rx(ipv4({ src, dst: '10.0.0.1' })));
    const r = e.evaluate(pk);
    expect(pk.map((_, i) => r.verdict(i))).toEqual([DROP, DROP, DROP, ACCEPT]);
    expect(e.liveStates().objects.map((o) => (o?.op === 'counter' ? o.packets : undefined))).toEqual([2n, 1n]);
  });
});
