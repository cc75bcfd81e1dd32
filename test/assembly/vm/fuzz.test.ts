// Seeded fuzz: damaged images either load or fail with a message, never
// trap; random and mutated packets through a ruleset touching most
// instructions never trap; every loop is bounded, so nothing hangs.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { encodeBytecode, programOf } from '../../../compiler/bytecode.js';
import { compileRuleset } from '../../../compiler/ruleset.js';
import { EngineLoadError, type PacketIn } from '../../../src/engine.js';
import { fsReader } from '../../conformance.js';
import { engine, ether, icmp, ipv4, ipv6, tcp, udp } from './helpers.js';
import { xorshift32 as rng } from '../../rng.js';

const BIG = `table inet t {
 set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.0.0/16 } }
 set d { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 5s; }
 chain sub {
  tcp option maxseg size 1000-1500 counter
  exthdr frag exists counter
  ip option rr exists counter
  return
 }
 chain c { type filter hook prerouting priority 0;
  ip saddr @s counter
  meta l4proto { tcp, udp } th dport { 22, 53, 80 } jump sub
  ip saddr . tcp dport { 10.0.0.0/24 . 20-25 } counter
  update @d { ip saddr . tcp dport }
  tcp flags & (syn|ack) == syn limit rate 10/second counter
  meta mark set jhash ip saddr mod 7 seed 0x1 offset 3
  meta mark set numgen inc mod 4
  ip6 nexthdr udp udp dport 53 counter
  icmp type echo-request quota over 100 bytes
  meta iifname "eth*" ip ttl set 9
  tcp dport set 8080
  fib daddr type local counter
  @th,0,64 0x1 counter
  @ll,0,48 0 counter
  log prefix "x"
 }
}`;

function packets(r: () => number, n: number): PacketIn[] {
  const seeds = [
    ipv4({ l4: tcp({ dport: 22, options: [2, 4, 5, 0xb4] }) }), ipv4({ l4: udp({ dport: 53 }) }), ipv4({ l4: icmp() }),
    ipv6({ l4: tcp({ dport: 80 }) }), ipv6({ ext: [[44, Uint8Array.from([0, 0, 0, 8, 0, 0, 0, 1])]], nexthdr: 17 }),
    ipv4({ options: [7, 7, 4, 0, 0, 0, 0, 1], l4: tcp() }), ipv4({ proto: 6, frag: 16, raw: new Uint8Array(9) }),
  ];
  const out: PacketIn[] = [];
  for (let i = 0; i < n; i++) {
    let data: Uint8Array;
    const kind = r() % 4;
    if (kind === 0) data = Uint8Array.from({ length: r() % 120 }, () => r() & 255);
    else {
      data = ether(seeds[r() % seeds.length]!, r() % 5 === 0 ? { vlan: r() & 0xfff } : {});
      if (kind >= 2) for (let k = r() % 6; k > 0; k--) data[r() % data.length] = r() & 255;
      if (kind === 3) data = data.subarray(0, r() % (data.length + 1));
    }
    const hooks = Array.from({ length: r() % 4 }, () => r() % 7);
    out.push({ data, iif: r() % 4, ether: r() % 4 !== 0, family: [abi.Family.Ipv4, abi.Family.Ipv6, abi.Family.Bridge, abi.Family.Arp, abi.Family.Netdev, 0][r() % 6]!, hooks: r() % 3 ? hooks : [0, 1], tstamp: BigInt(r()) * 1000n, mark: r() });
  }
  return out;
}

describe('fuzz', () => {
  it('random and mutated packets through a ruleset using most instructions never trap', async () => {
    const e = await engine();
    e.load(BIG);
    const r = rng(1234);
    let dropped = 0;
    for (let round = 0; round < 40; round++) {
      const res = e.evaluate(packets(r, 200), { trace: 'all' });
      for (let i = 0; i < res.count; i++) if (res.verdict(i) === abi.Verdict.Drop) dropped++;
      expect(res.recordsDropped).toBeGreaterThanOrEqual(0);
    }
    expect(dropped).toBeGreaterThan(0);
  });

  it('damaged images load or fail with a message, never trap; loaded ones evaluate', async () => {
    const corpus = new URL('../../corpus/compile/', import.meta.url).pathname;
    const images: Uint8Array[] = [];
    for (const f of readdirSync(corpus).filter((x) => x.endsWith('.nft')).slice(0, 60)) {
      const res = compileRuleset({ name: f, text: readFileSync(corpus + f, 'utf8') }, fsReader(corpus));
      if (res.diagnostics.length) continue;
      try {
        images.push(encodeBytecode(programOf(res)));
      } catch {
        // not representable: skip
      }
    }
    images.push(encodeBytecode(programOf(compileRuleset({ name: 'big', text: BIG }))));
    expect(images.length).toBeGreaterThan(20);
    const e = await engine({ rulesetBytes: 4 << 20, imageBytes: 4 << 20 });
    const r = rng(Number(process.env.NFTVM_FUZZ_SEED ?? 99));
    let loaded = 0;
    let refused = 0;
    for (let round = 0; round < Number(process.env.NFTVM_FUZZ_ROUNDS ?? 1500); round++) {
      const img = images[r() % images.length]!.slice();
      const flips = 1 + (r() % 4);
      // Mostly the code section (instruction operands), sometimes anywhere.
      const v = new DataView(img.buffer);
      const code = v.getUint32(abi.BC_HEADER_SIZE + (abi.Section.Code - 1) * abi.BC_SECTION_ENTRY_SIZE + abi.SEC_OFFSET, true);
      for (let k = 0; k < flips; k++) {
        const at = r() % 3 && code < img.length ? code + (r() % (img.length - code)) : r() % img.length;
        img[at] = r() % 2 ? r() & 255 : img[at]! ^ (1 << (r() % 8));
      }
      try {
        e.load(img);
        loaded++;
        e.evaluate(packets(r, 8));
      } catch (x) {
        if (!(x instanceof EngineLoadError)) throw x;
        expect(x.message.length).toBeGreaterThan(5);
        refused++;
      }
    }
    expect(loaded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
