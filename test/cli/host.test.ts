// The host model of the replay commands (src/host.ts): host.json → interfaces,
// routes and forwarding, and the hook paths they give packets.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as abi from '../../assembly/abi.js';
import { compileHost, hookPath, hostFromJson, parseAddr } from '../../src/host.js';

const json = (p: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../${p}`, import.meta.url)), 'utf8'));
const H = abi.InetHook;

function ip4(src: string, dst: string): Uint8Array {
  const b = new Uint8Array(20);
  b[0] = 0x45;
  b.set(parseAddr(src)!, 12);
  b.set(parseAddr(dst)!, 16);
  return b;
}

describe('hostFromJson', () => {
  it('examples/server-host.json: lo is ARPHRD 772 without a kind, defaults take their gateway family', () => {
    const h = hostFromJson(json('examples/server-host.json'));
    expect(h.interfaces.map((i) => [i.name, i.index, i.type, i.kind])).toEqual([['lo', 1, 772, undefined], ['eth0', 2, 1, 'veth']]);
    expect(h.routes).toEqual([{ dst: '0.0.0.0/0', oif: 2 }, { dst: '::/0', oif: 2 }]);
    expect(h.forwarding).toEqual({ ipv4: false, ipv6: false });
  });

  it('a route needs a device or a connected gateway', () => {
    expect(() => hostFromJson({ interfaces: [{ name: 'eth0', index: 2, addresses: ['10.0.0.1/24'] }], routes: [{ dst: 'default', via: '192.168.9.1' }] })).toThrow(/no device and no connected gateway/);
  });
});

describe('hookPath on the router scenario (forwarding per family)', () => {
  const host = compileHost(hostFromJson(json('test/fixtures/trace/inet-forward/host.json')));
  it('for us: ingress, prerouting, input', () => {
    expect(hookPath(host, ip4('10.99.1.2', '10.99.1.1'), { iif: 2, ether: false, ethertype: 0x0800 }).hooks).toEqual([H.Ingress, H.Prerouting, H.Input]);
  });
  it('directed broadcast of a connected prefix is local', () => {
    expect(hookPath(host, ip4('10.99.1.2', '10.99.1.255'), { iif: 2, ether: false, ethertype: 0x0800 }).hooks).toEqual([H.Ingress, H.Prerouting, H.Input]);
  });
  it('for the other side: forward and postrouting out of eth1', () => {
    const p = hookPath(host, ip4('10.99.1.2', '10.99.2.2'), { iif: 2, ether: false, ethertype: 0x0800 });
    expect([p.hooks, p.oif]).toEqual([[H.Ingress, H.Prerouting, H.Forward, H.Postrouting], 3]);
  });
  it('locally generated to an own address: out through lo', () => {
    const p = hookPath(host, ip4('10.99.1.1', '10.99.2.1'), { iif: 0, ether: false, ethertype: 0x0800 });
    expect([p.hooks, p.oif]).toEqual([[H.Output, H.Postrouting], 1]);
  });
});
