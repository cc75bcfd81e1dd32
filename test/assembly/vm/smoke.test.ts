import { describe, expect, it } from 'vitest';
import { ACCEPT, DROP, inputChain, ipv4, rx, tcp, verdicts } from './helpers.js';

describe('smoke', () => {
  it('tcp dport 22 drop', async () => {
    const rs = inputChain('tcp dport 22 drop');
    expect(await verdicts(rs, [rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 80 }) }))])).toEqual([DROP, ACCEPT]);
  });
});
