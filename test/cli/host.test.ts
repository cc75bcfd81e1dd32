// The host model of the replay commands (src/host.ts): host.json → interfaces,
// routes and forwarding, and the hook paths they give packets.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as abi from '../../assembly/abi.js';
import { compileHost, hookPath, hostFromJson, parseAddr } from '../../src/host.js';
import { readCapture } from '../../src/pcap/index.js';
import { plan, type ReplayItem } from '../../src/replay.js';

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
    expect(h.routes).toEqual([{ dst: '0.0.0.0/0', oif: 2, via: '192.0.2.1' }, { dst: '::/0', oif: 2, via: 'fe80::1' }]);
    expect(h.interfaces.map((i) => i.mtu)).toEqual([65536, 1500]);
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

describe('bridge ports (test/fixtures/trace/bridge)', () => {
  const dir = 'test/fixtures/trace/bridge/';
  const host = hostFromJson(json(`${dir}host.json`));
  it('ports name their bridge by ifindex', () => {
    expect(host.interfaces.map((i) => [i.name, i.master])).toEqual([['lo', undefined], ['eth0', 4], ['eth1', 4], ['br0', undefined]]);
    expect(() => hostFromJson({ interfaces: [{ name: 'eth0', index: 2, master: 'br9' }] })).toThrow(/no master 'br9'/);
  });
  it('the capture plans as bridge paths: forwarded, to the bridge (then passed up to br0), flooded, output on the port', () => {
    const cap = readCapture(new Uint8Array(readFileSync(fileURLToPath(new URL(`../../${dir}capture.pcap`, import.meta.url)))));
    const items = plan(cap, host);
    const show = (it: ReplayItem): unknown => [it.desc.family, it.desc.hooks, it.desc.iif, it.desc.oif, ...(it.then ? [it.then.map(show)] : [])];
    const B = abi.Family.Bridge;
    // Echo request peer1 → peer2, bridged; the reply; the echo request to br0 (passed up: inet input on br0); the host's reply (inet output, bridge output on eth0).
    expect(items.slice(0, 4).map(show)).toEqual([
      [B, [H.Ingress, H.Prerouting, H.Forward, H.Postrouting], 2, 3],
      [B, [H.Ingress, H.Prerouting, H.Forward, H.Postrouting], 3, 2],
      [B, [H.Ingress, H.Prerouting, H.Input], 2, 0, [[abi.Family.Ipv4, [H.Ingress, H.Prerouting, H.Input], 4, 0]]],
      [abi.Family.Ipv4, [H.Output, H.Postrouting], 0, 4, [[B, [H.Output, H.Postrouting], 0, 2]]],
    ]);
    // The broadcast ARP request: prerouting, then a clone forwarded to eth1 and the original to bridge input, passed up to br0 (arp).
    expect(show(items[5]!)).toEqual([B, [H.Ingress, H.Prerouting], 2, 0, [
      [B, [H.Forward, H.Postrouting], 2, 3],
      [B, [H.Input], 2, 0, [[abi.Family.Arp, [H.Ingress, abi.ArpHook.In], 4, 0]]],
    ]]);
    expect(items[5]!.then![0]!.id).not.toBe(items[5]!.id);
    expect(items[5]!.then![1]!.id).toBe(items[5]!.id);
  });
});
