// Truth tables of rt, socket, osf and ipsec (xfrm) on a replay: the host
// model's routes for rt, no sockets but a locally generated packet's own,
// no OS fingerprints and no IPsec state.
import { describe, expect, it } from 'vitest';
import { ACCEPT, DROP, engine, inputChain, ipv4, ipv6, rx, tcp, tx, udp, verdicts } from './helpers.js';
import type { HostModel } from '../../../src/host.js';

/** eth0 10.0.0.1/24 mtu 1400, eth1 192.168.1.1/24; 172.16.0.0/12 via 10.0.0.254; default via 192.168.1.254. */
const ROUTED: HostModel = {
  interfaces: [
    { index: 1, name: 'lo', type: 772, addresses: ['127.0.0.1/8', '::1/128'] },
    { index: 2, name: 'eth0', mtu: 1400, addresses: ['10.0.0.1/24', '2001:db8::1/64'] },
    { index: 3, name: 'eth1', addresses: ['192.168.1.1/24', '2001:db8:1::1/64'] },
  ],
  routes: [
    { dst: '172.16.0.0/12', oif: 2, via: '10.0.0.254' },
    { dst: '0.0.0.0/0', oif: 3, via: '192.168.1.254' },
    { dst: '::/0', oif: 3, via: '2001:db8:1::fe' },
  ],
  forwarding: true,
};

const chain = (rule: string, hook: string, family = 'ip') => inputChain(`${rule} drop`, family, 'accept', hook);
const run = async (rs: string, pk: Parameters<typeof verdicts>[1]) => {
  const e = await engine({ host: ROUTED });
  e.load(rs);
  const r = e.evaluate(pk);
  return pk.map((_, i) => r.verdict(i) === DROP);
};

describe('rt', () => {
  const fwd = (dst: string) => rx(ipv4({ src: '10.0.0.9', dst, l4: tcp() }));
  it('nexthop4: the gateway of the route, the destination when on-link; prerouting has no route (BREAK)', async () => {
    const pk = [fwd('8.8.8.8'), fwd('172.16.5.5'), fwd('192.168.1.7')];
    expect(await run(chain('rt ip nexthop 192.168.1.254', 'forward'), pk)).toEqual([true, false, false]);
    expect(await run(chain('rt ip nexthop 10.0.0.254', 'forward'), pk)).toEqual([false, true, false]);
    expect(await run(chain('rt ip nexthop 192.168.1.7', 'postrouting'), pk)).toEqual([false, false, true]);
    expect(await run(chain('rt ip nexthop != 1.1.1.1', 'prerouting'), pk)).toEqual([false, false, false]);
    // Local delivery: the destination itself.
    expect(await run(chain('rt ip nexthop 10.0.0.1', 'input'), [rx(ipv4({ dst: '10.0.0.1' }))])).toEqual([true]);
  });
  it('nexthop6 on ip6; nexthop4 on an IPv6 packet BREAKs (inet)', async () => {
    const p6 = rx(ipv6({ src: '2001:db8::9', dst: '2001:4860::8888', l4: udp() }));
    expect(await run(chain('rt ip6 nexthop 2001:db8:1::fe', 'forward', 'ip6'), [p6])).toEqual([true]);
    expect(await run(chain('rt ip nexthop != 1.1.1.1', 'forward', 'inet'), [p6])).toEqual([false]);
  });
  it('tcpmss: min(route MTU, MTU back to the source) - 40 (IPv4) / 60 (IPv6)', async () => {
    // To 8.8.8.8 over eth1 (1500), back to 10.0.0.9 over eth0 (1400): 1360.
    expect(await run(chain('rt mtu 1360', 'forward'), [fwd('8.8.8.8')])).toEqual([true]);
    // Locally generated from 192.168.1.1: back route is local (lo): 1500 - 40.
    const out = tx(ipv4({ src: '192.168.1.1', dst: '8.8.8.8', l4: tcp() }));
    expect(await run(chain('rt mtu 1460', 'output'), [out])).toEqual([true]);
    const out6 = tx(ipv6({ src: '2001:db8:1::1', dst: '2001:4860::8888', l4: tcp() }));
    expect(await run(chain('rt mtu 1440', 'postrouting', 'ip6'), [out6])).toEqual([true]);
  });
  it('classid 0 (no realms), ipsec exists false (no xfrm bundle)', async () => {
    expect(await run(chain('rt classid 0', 'forward'), [fwd('8.8.8.8')])).toEqual([true]);
    expect(await run(chain('rt ipsec missing', 'forward'), [fwd('8.8.8.8')])).toEqual([true]);
    expect(await run(chain('rt ipsec exists', 'forward'), [fwd('8.8.8.8')])).toEqual([false]);
  });
});

describe('socket', () => {
  it('BREAK without a socket; a locally generated packet\'s plain socket: transparent 0, mark 0, wildcard 0', async () => {
    const inp = rx(ipv4({ dst: '10.0.0.1', l4: tcp() }));
    expect(await verdicts(chain('socket transparent 0', 'input'), [inp])).toEqual([ACCEPT]);
    expect(await verdicts(chain('socket transparent != 1', 'prerouting'), [inp])).toEqual([ACCEPT]);
    const out = tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8', l4: tcp() }));
    const own = { ...out, socket: { uid: 1000, gid: 1000 } };
    expect(await verdicts(chain('socket transparent 0', 'output'), [out, own])).toEqual([ACCEPT, DROP]);
    expect(await verdicts(chain('socket mark 0', 'output'), [out, own])).toEqual([ACCEPT, DROP]);
    expect(await verdicts(chain('socket wildcard 0', 'output'), [out, own])).toEqual([ACCEPT, DROP]);
  });
});

describe('osf', () => {
  it('a TCP SYN is "unknown" (no fingerprints loaded); non-SYN and non-TCP BREAK', async () => {
    const syn = rx(ipv4({ dst: '10.0.0.1', l4: tcp({ flags: 0x02 }) }));
    const ack = rx(ipv4({ dst: '10.0.0.1', l4: tcp({ flags: 0x10 }) }));
    const u = rx(ipv4({ dst: '10.0.0.1', l4: udp() }));
    expect(await verdicts(chain('osf name "unknown"', 'input'), [syn, ack, u])).toEqual([DROP, ACCEPT, ACCEPT]);
    expect(await verdicts(chain('osf name != "Linux"', 'input'), [syn, ack, u])).toEqual([DROP, ACCEPT, ACCEPT]);
    expect(await verdicts(chain('osf name "Linux"', 'input'), [syn])).toEqual([ACCEPT]);
  });
});

describe('ipsec (xfrm)', () => {
  it('BREAK without a security path (in) or xfrm bundle (out)', async () => {
    const p = rx(ipv4({ dst: '10.0.0.1', l4: udp() }));
    expect(await verdicts(chain('ipsec in reqid 1', 'input'), [p])).toEqual([ACCEPT]);
    expect(await verdicts(chain('ipsec in ip saddr != 1.2.3.4', 'input'), [p])).toEqual([ACCEPT]);
    const o = tx(ipv4({ src: '10.0.0.1', dst: '8.8.8.8', l4: udp() }));
    expect(await verdicts(chain('ipsec out spi != 5', 'postrouting'), [o])).toEqual([ACCEPT]);
  });
});

describe('tproxy', () => {
  it('no transparent socket in a replay: BREAK (the rule goes on to the next); other family in inet: NF_DROP', async () => {
    const pre = (rule: string, family = 'ip') => inputChain(`${rule}\nmeta mark set 7`, family, 'accept', 'prerouting');
    const p = rx(ipv4({ dst: '10.0.0.1', l4: tcp({ dport: 80 }) }));
    const e = await engine();
    e.load(pre('tcp dport 80 tproxy to 127.0.0.1:8080'));
    const r = e.evaluate([p]);
    expect([r.verdict(0), r.mark(0)]).toEqual([ACCEPT, 7]);
    const p6 = rx(ipv6({ dst: '2001:db8::1', l4: tcp({ dport: 80 }) }));
    const e2 = await engine();
    e2.load(pre('tcp dport 80 tproxy ip to 127.0.0.1:8080', 'inet'));
    const r2 = e2.evaluate([p, p6]);
    expect([r2.verdict(0), r2.mark(0), r2.verdict(1)]).toEqual([ACCEPT, 7, DROP]);
  });
});
