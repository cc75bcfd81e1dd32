// Set elements with timeouts from the ruleset file (kernel: nft_add_set_elem
// takes the element's timeout, else the set's): they expire that long after
// the ruleset's first packet, in packet time.
import { describe, expect, it } from 'vitest';
import { ACCEPT, DROP, engine, ipv4, rx, udp } from './helpers.js';

const T0 = 1_700_000_000_000_000_000n;
const at = (s: number) => T0 + BigInt(Math.round(s * 1000)) * 1_000_000n;

describe('element timeouts in the image', () => {
  it('the set timeout and an element timeout run from the first packet', async () => {
    const e = await engine();
    e.load(`table ip t {
 set s { type ipv4_addr; timeout 10s; elements = { 10.0.0.2, 10.0.0.3 timeout 2s, 10.0.0.4 timeout 1h } }
 chain c { type filter hook input priority 0; ip saddr @s drop; }
}`);
    const from = (src: string, s: number) => ({ ...rx(ipv4({ src, dst: '10.0.0.1', l4: udp() })), tstamp: at(s) });
    const v = (src: string, s: number) => e.evaluate([from(src, s)]).verdict(0);
    expect([v('10.0.0.2', 0), v('10.0.0.3', 1), v('10.0.0.4', 1)]).toEqual([DROP, DROP, DROP]);
    expect([v('10.0.0.2', 9.5), v('10.0.0.3', 2.5), v('10.0.0.4', 9.5)]).toEqual([DROP, ACCEPT, DROP]);
    expect([v('10.0.0.2', 10.5), v('10.0.0.4', 3000)]).toEqual([ACCEPT, DROP]);
  });
  it('a set without timeouts keeps its elements', async () => {
    const e = await engine();
    e.load(`table ip t {
 set s { type ipv4_addr; elements = { 10.0.0.2 } }
 chain c { type filter hook input priority 0; ip saddr @s drop; }
}`);
    const r = e.evaluate([0, 1e6].map((s) => ({ ...rx(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', l4: udp() })), tstamp: at(s) })));
    expect([r.verdict(0), r.verdict(1)]).toEqual([DROP, DROP]);
  });
});
