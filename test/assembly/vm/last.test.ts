// last (nft_last_eval): the time of the last packet that ran the rule, read
// back as the engine's live state; `never` until one does.
import { describe, expect, it } from 'vitest';
import { engine, inputChain, ipv4, rx, tcp } from './helpers.js';

describe('last', () => {
  it('records the packet time of the last packet that reached it', async () => {
    const e = await engine();
    e.load(inputChain('tcp dport 22 last\nlast'));
    expect(e.liveStates().rules.map((r) => r.map((s) => s.op === 'last' && s.used))).toEqual([[undefined], [undefined]]);
    const t = (s: number) => BigInt(s) * 1_000_000_000n;
    e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) }), { tstamp: t(100) }), rx(ipv4({ l4: tcp({ dport: 80 }) }), { tstamp: t(105) })]);
    expect(e.liveStates().rules.map((r) => r.map((s) => s.op === 'last' && s.used))).toEqual([[t(100)], [t(105)]]);
    e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) }), { tstamp: t(200) })]);
    expect(e.liveStates().rules.map((r) => r.map((s) => s.op === 'last' && s.used))).toEqual([[t(200)], [t(200)]]);
  });
});
